"""The rankers ``mutuo eval speed-dating`` knows, by name, in report order."""

from __future__ import annotations

from ...errors import ConfigError
from .run import BASELINES, RankerFactory

RANKERS: dict[str, RankerFactory] = {**BASELINES}


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
