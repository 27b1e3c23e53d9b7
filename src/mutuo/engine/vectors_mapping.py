"""The ``knn_vector`` field mapping of the k-NN plugin: parameters and value checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MapperParsingError

MAX_DIMENSION = 16_000
SPACE_TYPES = ("l2", "cosinesimil", "innerproduct", "l1", "linf", "hamming")
ENGINE_SPACES = {
    "faiss": {"l2", "innerproduct", "cosinesimil", "hamming"},
    "lucene": {"l2", "cosinesimil", "innerproduct"},
    "nmslib": {"l2", "innerproduct", "cosinesimil", "l1", "linf"},
}
DEFAULT_M = 16
DEFAULT_EF_CONSTRUCTION = 100


@dataclass(frozen=True)
class VectorSpec:
    """What the engine needs to know about one knn_vector field."""

    field: str
    dimension: int
    data_type: str
    space_type: str
    engine: str
    method: str
    m: int
    ef_construction: int
    ef_search: int | None

    def convert(self, value: Any) -> np.ndarray:
        if not isinstance(value, list):
            raise ValueError(f"Vector value for field [{self.field}] must be an array of numbers")
        if len(value) != self.dimension:
            raise ValueError(
                f"Vector dimension mismatch. Expected: {self.dimension}, Given: {len(value)}"
            )
        try:
            vec = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f"Vector value for field [{self.field}] must contain only numbers"
            ) from None
        if not np.all(np.isfinite(vec)):
            raise ValueError("KNN vector values cannot be NaN or Infinity")
        if self.data_type == "byte" and (
            np.any(vec != np.round(vec)) or vec.min() < -128 or vec.max() > 127
        ):
            raise ValueError(
                "[data_type] field was set as [byte] in index mapping. But, KNN vector values "
                "are floats instead of byte integers"
            )
        if self.space_type == "cosinesimil" and not np.any(vec):
            raise ValueError("zero vector is not supported when space type is [cosinesimil]")
        return vec


def validate_knn_vector(path: str, params: dict[str, Any]) -> VectorSpec:
    """Read and check a knn_vector mapping the way the plugin's mapper does."""
    if "model_id" in params:
        raise MapperParsingError(
            f"[model_id] on field [{path}]: trained k-NN models are not supported by the "
            "embedded engine"
        )
    if "dimension" not in params:
        raise MapperParsingError(f"Dimension value missing for vector: {path}")
    dim = params["dimension"]
    if isinstance(dim, str) and dim.isdigit():
        dim = int(dim)
    if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0 or dim > MAX_DIMENSION:
        raise MapperParsingError(
            f"Dimension value must be greater than 0 and less than or equal to {MAX_DIMENSION} "
            f"for vector: {path}"
        )
    data_type = str(params.get("data_type", "float")).lower()
    if data_type not in ("float", "byte"):
        raise MapperParsingError(
            f"Invalid value provided for [data_type] field. Supported values are [float, byte]"
            f" in the embedded engine, got [{data_type}]"
        )
    method = params.get("method") or {}
    if not isinstance(method, dict):
        raise MapperParsingError(f"Unable to parse [method] for field [{path}]")
    for key in method:
        if key not in ("name", "engine", "space_type", "parameters"):
            raise MapperParsingError(f"Invalid parameter for method: {key}")
    name = method.get("name", "hnsw")
    engine = str(method.get("engine", params.get("engine", "faiss")))
    if engine not in ENGINE_SPACES:
        raise MapperParsingError(f"Invalid engine: {engine}")
    if name != "hnsw":
        raise MapperParsingError(
            f"Method [{name}] is not supported by the embedded engine (only [hnsw])"
        )
    space = str(method.get("space_type", params.get("space_type", "l2")))
    if "space_type" in method and "space_type" in params and params["space_type"] != space:
        raise MapperParsingError(
            f'Space type in "method" and top level space type should be same or one of them '
            f"should be empty for field [{path}]"
        )
    if space not in SPACE_TYPES:
        raise MapperParsingError(f"Unable to find space: {space}")
    if space not in ENGINE_SPACES[engine]:
        raise MapperParsingError(
            f"Validation Failed: 1: {engine} engine does not support space type {space};"
        )
    parameters = method.get("parameters") or {}
    for key in parameters:
        if key not in ("m", "ef_construction", "ef_search", "encoder"):
            raise MapperParsingError(f"Invalid parameter for method: {key}")
    if "encoder" in parameters:
        raise MapperParsingError("Vector encoders are not supported by the embedded engine")
    m = _positive_int(parameters.get("m", DEFAULT_M), "m")
    ef_c = _positive_int(
        parameters.get("ef_construction", DEFAULT_EF_CONSTRUCTION), "ef_construction"
    )
    ef_s = parameters.get("ef_search")
    if params.get("mode", "in_memory") not in ("in_memory", "on_disk"):
        raise MapperParsingError(f"Invalid mode: {params.get('mode')}")
    if str(params.get("compression_level", "1x")) != "1x":
        raise MapperParsingError(
            "Quantised compression levels are not supported by the embedded engine (only [1x])"
        )
    return VectorSpec(
        field=path,
        dimension=dim,
        data_type=data_type,
        space_type=space,
        engine=engine,
        method=name,
        m=m,
        ef_construction=ef_c,
        ef_search=None if ef_s is None else _positive_int(ef_s, "ef_search"),
    )


def _positive_int(value: Any, name: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value <= 0
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise MapperParsingError(f"[{name}] must be a positive integer, got [{value}]")
    return int(value)
