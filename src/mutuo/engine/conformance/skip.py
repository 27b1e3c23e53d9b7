"""``skip`` steps: version ranges and runner features.

Versions compare like OpenSearch's ``Version``: legacy Elasticsearch versions (6.x and
7.x, which OpenSearch's compatibility layer still parses) sort below every OpenSearch
version, so ``"6.7.0 - "`` covers OpenSearch 3.x while ``" - 7.9.99"`` does not.
"""

from __future__ import annotations

from typing import Any

from ..info import VERSION

# Runner features this runner implements; a section needing another one is skipped.
SUPPORTED_FEATURES = frozenset(
    {
        "headers",
        "warnings",
        "allowed_warnings",
        "warnings_regex",
        "allowed_warnings_regex",
        "contains",
        "close_to",
        "stash_in_key",
        "stash_in_path",
        "embedded_stash_key",
        "arbitrary_key",
        "default_shards",
    }
)

# Sections exercising a feature the embedded engine deliberately refuses or does not model
# (docs/engine.md lists them); each reason names the feature. Keyed by (file name, section).
ENGINE_EXCLUSIONS: dict[tuple[str, str], str] = {
    ("90_search_after.yml", "date_nanos"): (
        "date_nanos nanosecond precision: the embedded engine keeps dates at millisecond precision"
    ),
    ("30_search_template.yml", "Test that parameters can be used"): (
        "search profiling: [profile] is refused by the embedded engine"
    ),
}

VersionKey = tuple[int, int, int, int]


def version_key(text: str) -> VersionKey:
    """Sort key of a version; legacy Elasticsearch versions (major >= 6) come first."""
    numbers = [int("".join(ch for ch in part if ch.isdigit()) or 0) for part in text.split(".")]
    major, minor, patch = [*numbers, 0, 0, 0][:3]
    return (0 if major >= 6 else 1, major, minor, patch)


def in_range(version: str, ranges: str) -> bool:
    """Whether ``version`` lies in any of the ``"lo - hi, lo2 - hi2"`` ranges (or ``all``)."""
    if ranges.strip().lower() == "all":
        return True
    key = version_key(version)
    for part in ranges.split(","):
        if "-" not in part:
            raise ValueError(f"version range [{part.strip()}] must look like [lo - hi]")
        low, high = (bound.strip() for bound in part.split("-", 1))
        lower_ok = not low or version_key(low) <= key
        upper_ok = not high or key <= version_key(high)
        if lower_ok and upper_ok:
            return True
    return False


def skip_reason(spec: dict[str, Any], version: str = VERSION) -> str | None:
    """Why a ``skip`` step skips the section, or ``None`` when it runs."""
    features = spec.get("features") or []
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",")]
    missing = [f for f in features if f not in SUPPORTED_FEATURES]
    if missing:
        return f"runner feature [{', '.join(missing)}] is not supported"
    ranges = spec.get("version")
    if ranges is not None:
        if not spec.get("reason"):
            raise ValueError("a skip with [version] needs a [reason]")
        if in_range(version, str(ranges)):
            return f"version {version} is in skip range [{str(ranges).strip()}]: {spec['reason']}"
    return None
