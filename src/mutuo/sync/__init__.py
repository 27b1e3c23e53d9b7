"""Mirror a source collection into an index, with embeddings, resumably and losslessly.

``mutuo sync run`` wires these together: a source (:mod:`.sources`), the sync mapping
(:mod:`.config`, :mod:`.mapping`), the embedder and its cache, the sink and the
checkpointed state, run as a pipeline by :class:`.worker.SyncWorker`.
"""

from .changelog import ChangeLogWriter
from .config import SyncMapping, load_mapping
from .worker import RunSummary, SyncWorker, WorkerOptions

__all__ = [
    "ChangeLogWriter",
    "RunSummary",
    "SyncMapping",
    "SyncWorker",
    "WorkerOptions",
    "load_mapping",
]
