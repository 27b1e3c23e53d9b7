"""The rankers ``mutuo eval speed-dating`` knows, by name, in report order."""

from __future__ import annotations

from ...errors import ConfigError
from .ltr_rankers import one_sided, reciprocal
from .run import BASELINES, RankerFactory

# The learned rankers need the engine and the embedding model (about two minutes per split).
RANKERS: dict[str, RankerFactory] = {
    **BASELINES,
    "one_sided": one_sided,
    "reciprocal": reciprocal,
}


def select_rankers(spec: str | None) -> dict[str, RankerFactory]:
    """``"random,popularity"`` -> those factories in report order; None -> all."""
    if spec is None:
        return dict(RANKERS)
    wanted = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in RANKERS]
    if unknown:
        raise ConfigError(
            f"unknown ranker {', '.join(unknown)}; expected some of {', '.join(RANKERS)}"
        )
    return {name: RANKERS[name] for name in RANKERS if name in wanted}
