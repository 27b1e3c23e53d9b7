"""The stored basis of the last full graph build, which later runs fold members into.

    STATE/basis.npz   ids, degree scales, U S^-1/2, V S^-1/2, singular values, and each
                      member's edge digest as of the vector last written for them

Written atomically; a missing or unreadable basis means the next build is a full one.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..sync.state import write_atomic

FORMAT = 1
DEFAULT_STATE = Path(".mutuo") / "graph"


@dataclass
class GraphBasis:
    ids: list[str]
    row_scale: np.ndarray
    col_scale: np.ndarray
    liker_basis: np.ndarray  # U S^-1/2, one row per id
    liked_basis: np.ndarray  # V S^-1/2, one row per id
    singular_values: np.ndarray
    dimension: int
    digests: dict[str, str] = field(default_factory=dict)
    built_at: float = field(default_factory=time.time)
    folded_since_build: int = 0  # members folded in since the factorisation

    @property
    def position(self) -> dict[str, int]:
        if not hasattr(self, "_position"):
            self._position = {m: i for i, m in enumerate(self.ids)}
        return self._position

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        digest_ids = sorted(self.digests)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(FORMAT),
            ids=np.array(self.ids, dtype=np.str_),
            row_scale=self.row_scale,
            col_scale=self.col_scale,
            liker_basis=self.liker_basis,
            liked_basis=self.liked_basis,
            singular_values=self.singular_values,
            dimension=np.array(self.dimension),
            digest_ids=np.array(digest_ids, dtype=np.str_),
            digest_values=np.array([self.digests[m] for m in digest_ids], dtype=np.str_),
            built_at=np.array(self.built_at),
            folded_since_build=np.array(self.folded_since_build),
        )
        write_atomic(directory / "basis.npz", buffer.getvalue())

    @classmethod
    def load(cls, directory: Path) -> GraphBasis | None:
        """The stored basis, or None when there is none usable (the next build is full)."""
        path = directory / "basis.npz"
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != FORMAT:
                    return None
                return cls(
                    ids=[str(m) for m in data["ids"]],
                    row_scale=data["row_scale"],
                    col_scale=data["col_scale"],
                    liker_basis=data["liker_basis"],
                    liked_basis=data["liked_basis"],
                    singular_values=data["singular_values"],
                    dimension=int(data["dimension"]),
                    digests=dict(
                        zip(
                            (str(m) for m in data["digest_ids"]),
                            (str(d) for d in data["digest_values"]),
                            strict=True,
                        )
                    ),
                    built_at=float(data["built_at"]),
                    folded_since_build=int(data["folded_since_build"]),
                )
        except (OSError, ValueError, KeyError):
            return None
