"""Search request features: top-level body keys implemented in their own modules.

The search executor (``engine/search.py``) owns the core phases (query, merge, fetch);
features such as ``rescore``, ``collapse`` and ``ext`` (LTR feature logging) hook into
those phases without editing the executor:

* ``parse(value, search)`` validates the body value (raise ``parsing_exception`` /
  ``illegal_argument_exception``) and returns the spec kept in ``search.features[key]``;
* ``after_query(spec, shard, search)`` runs per index after the query phase, before the
  merge (a rescore window is per shard in OpenSearch);
* ``merge(spec, shards, search, window)`` may replace the default by-score merge
  (collapse returns its own page of groups); the first feature that answers wins;
* ``fetch(spec, hits, search)`` decorates the fetched page (``fields._ltrlog``);
* ``finish(spec, response, search)`` adjusts the finished response (a hybrid query's
  ``max_score`` is its best combined score).

``ext`` sub-sections are registered separately with :func:`register_ext` and get the same
hooks. Modules in this package register themselves on import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import ParsingError

if TYPE_CHECKING:
    from ..search import ParsedSearch, ShardHits


@dataclass
class FetchedHit:
    """One hit of the page: where it comes from and the JSON being built for it."""

    shard: ShardHits
    ordinal: int
    hit: dict[str, Any]


class SearchFeature:
    key: ClassVar[str] = ""
    order: ClassVar[int] = 100  # hooks run in increasing order

    def parse(self, value: Any, search: ParsedSearch) -> Any:
        return value

    def after_query(self, spec: Any, shard: ShardHits, search: ParsedSearch) -> None:
        """Per-index work between the query phase and the merge."""

    def merge(
        self, spec: Any, shards: list[ShardHits], search: ParsedSearch, window: int
    ) -> Sequence[tuple[Any, ...]] | None:
        """Replace the default merge: rows (shard position, ordinal, score[, sort values]);
        ``None`` keeps the default."""
        return None

    def fetch(self, spec: Any, hits: list[FetchedHit], search: ParsedSearch) -> None:
        """Add to the page's hits (fields, logs)."""

    def finish(self, spec: Any, response: dict[str, Any], search: ParsedSearch) -> None:
        """Adjust the response once it is complete."""


FEATURES: dict[str, SearchFeature] = {}
EXT_FEATURES: dict[str, SearchFeature] = {}
F = TypeVar("F", bound=type[SearchFeature])


def register_feature(cls: F) -> F:
    FEATURES[cls.key] = cls()
    return cls


def register_ext(cls: F) -> F:
    EXT_FEATURES[cls.key] = cls()
    return cls


@register_feature
class Ext(SearchFeature):
    """``ext``: plugin sections of a search request (e.g. ``ltr_log``)."""

    key = "ext"
    order = 200

    def parse(self, value: Any, search: ParsedSearch) -> Any:
        _load_all()
        if not isinstance(value, dict):
            raise ParsingError("[ext] must be an object")
        specs = {}
        for name, section in value.items():
            feature = EXT_FEATURES.get(name)
            if feature is None:
                raise ParsingError(
                    f"Unknown SearchExtBuilder [{name}]; the embedded engine knows {sorted(EXT_FEATURES)}"
                )
            specs[name] = feature.parse(section, search)
        return specs

    def after_query(self, spec: Any, shard: ShardHits, search: ParsedSearch) -> None:
        for name, sub in spec.items():
            EXT_FEATURES[name].after_query(sub, shard, search)

    def fetch(self, spec: Any, hits: list[FetchedHit], search: ParsedSearch) -> None:
        for name, sub in spec.items():
            EXT_FEATURES[name].fetch(sub, hits, search)


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def features() -> dict[str, SearchFeature]:
    _load_all()
    return FEATURES
