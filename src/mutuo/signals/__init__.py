"""Behaviour signals: UBI events -> decayed counters, rates, vectors and viewer_state.

``mutuo signals run`` (or :class:`SignalsWorker` in-process) reads ``ubi_events`` and keeps
the signal fields of ``profiles`` and the ``viewer_state`` documents fresh; docs/signals.md
defines every signal.
"""

from .feed import ConcurrentWorkerError
from .model import SignalsConfig, explore_bonus, exposure_factor
from .state import SignalsState
from .worker import PassResult, SignalsOptions, SignalsSummary, SignalsWorker

__all__ = [
    "ConcurrentWorkerError",
    "PassResult",
    "SignalsConfig",
    "SignalsOptions",
    "SignalsState",
    "SignalsSummary",
    "SignalsWorker",
    "explore_bonus",
    "exposure_factor",
]
