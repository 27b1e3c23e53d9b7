"""The ``knn_vector`` field mapping of the k-NN plugin: parameters and value checks.

Messages follow the plugin's ``KNNVectorFieldMapper`` and method validation. The subset:
``data_type`` float or byte, ``method.name`` hnsw on the faiss or lucene engine (both are
served by a faiss HNSW graph with the same ``m``/``ef_construction``), spaces l2,
cosinesimil and innerproduct for graphs; l1 and linf only through the ``knn_score``
script, as in OpenSearch 3.x where nmslib (their only graph engine) is closed to new
indices. Quantisation (``compression_level`` other than 1x, encoders) and trained models
are refused with an error naming the embedded engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MapperParsingError

MAX_DIMENSION = 16_000
# SpaceType.VALID_VALUES, in the plugin's order
SPACE_TYPES = ("l2", "cosinesimil", "l1", "linf", "innerproduct", "hamming")
ENGINE_SPACES = {
    "faiss": {"l2", "innerproduct", "cosinesimil", "hamming"},
    "lucene": {"l2", "cosinesimil", "innerproduct"},
}
DEFAULT_M = 16
DEFAULT_EF_CONSTRUCTION = 100
_METHOD_KEYS = ("name", "engine", "space_type", "parameters")
_HNSW_PARAMETERS = {
    "faiss": ("m", "ef_construction", "ef_search", "encoder"),
    "lucene": ("m", "ef_construction"),
}


@dataclass(frozen=True)
class VectorSpec:
    """What the engine needs to know about one knn_vector field."""

    field: str
    dimension: int
    data_type: str
    space_type: str
    engine: str
    method: str | None  # None: no method (index.knn false: exact search only)
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
        if not np.isfinite(vec).all():  # one pass for the common case; then say which
            if np.isnan(vec).any():
                raise ValueError("KNN vector values cannot be NaN")
            raise ValueError("KNN vector values cannot be infinity")
        if self.data_type == "byte":
            _check_bytes(vec)
        if self.space_type == "cosinesimil" and not vec.any():
            raise ValueError("zero vector is not supported when space type is [cosinesimil]")
        return vec


def _check_bytes(vec: np.ndarray) -> None:
    if np.any(vec != np.round(vec)):
        raise ValueError(
            "[data_type] field was set as [byte] in index mapping. But, KNN vector values are "
            "floats instead of byte integers"
        )
    if vec.min() < -128 or vec.max() > 127:
        raise ValueError(
            "[data_type] field was set as [byte] in index mapping. But, KNN vector values are not "
            "within in the byte range [-128, 127]"
        )


def validate_knn_vector(path: str, params: dict[str, Any]) -> VectorSpec:
    """Read and check a knn_vector mapping the way the plugin's mapper does."""
    if "model_id" in params:
        raise MapperParsingError(
            f"[model_id] on field [{path}]: trained k-NN models are not supported by the "
            "embedded engine"
        )
    dim = _dimension(path, params)
    data_type = str(params.get("data_type", "float")).lower()
    if data_type not in ("float", "byte", "binary"):
        raise MapperParsingError(
            "Invalid value provided for [data_type] field. Supported values are [binary,byte,float]"
        )
    if data_type == "binary":
        raise MapperParsingError(
            "[data_type] [binary] (hamming space) is not supported by the embedded engine"
        )
    _check_mode(path, params)
    method = params.get("method")
    if method is None:
        space = _space(str(params.get("space_type", "l2")))
        return VectorSpec(
            path, dim, data_type, space, "faiss", None, DEFAULT_M, DEFAULT_EF_CONSTRUCTION, None
        )
    return _method_spec(path, dim, data_type, params, method)


def _method_spec(
    path: str, dim: int, data_type: str, params: dict[str, Any], method: Any
) -> VectorSpec:
    """The ``method`` block: name, engine, space and HNSW parameters."""
    if not isinstance(method, dict):
        raise MapperParsingError(f"Unable to parse [method] for field [{path}]")
    for key in method:
        if key not in _METHOD_KEYS:
            raise MapperParsingError(f"Invalid parameter: {key}")
    name = str(method.get("name", ""))
    if not name:
        raise MapperParsingError("name needs to be set")
    engine = _engine(str(method.get("engine", params.get("engine", "faiss"))).lower())
    space = _space(str(method.get("space_type", params.get("space_type", "l2"))))
    if "space_type" in method and "space_type" in params and params["space_type"] != space:
        raise MapperParsingError(
            'Space type in "method" and top level space type should be same or one of them '
            "should be defined"
        )
    if name in ("ivf",) and engine == "faiss":
        raise MapperParsingError('Validation Failed: 1: "method" requires training.;')
    if name != "hnsw":
        raise MapperParsingError(f"Validation Failed: 1: Invalid method name: {name};")
    if space not in ENGINE_SPACES[engine] or space == "hamming":
        raise MapperParsingError(
            f'Validation Failed: 1: "hnsw" with "{engine}" configuration does not support space '
            f'type: "{space}".;'
        )
    if engine == "faiss" and space == "cosinesimil" and data_type == "byte":
        raise MapperParsingError(
            "Validation Failed: 1: Faiss engine does not support cosine similarity with byte "
            "vectors. Cosine similarity requires vector normalization which is only supported "
            "for float vectors. Please use float data type or choose a different space type like "
            "l2 or inner_product.;"
        )
    m, ef_c, ef_s = _hnsw_parameters(engine, method.get("parameters") or {})
    return VectorSpec(path, dim, data_type, space, engine, name, m, ef_c, ef_s)


def _dimension(path: str, params: dict[str, Any]) -> int:
    if "dimension" not in params:
        raise MapperParsingError(f"Dimension value missing for vector: {path}")
    raw = params["dimension"]
    if raw is None:
        raise MapperParsingError("Dimension cannot be null")
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        dim = int(raw)
    except (TypeError, ValueError):
        raise MapperParsingError(
            f"Unable to parse [dimension] from provided value [{raw}] for vector [{path}]"
        ) from None
    if dim <= 0:
        raise MapperParsingError(f"Dimension value must be greater than 0 for vector: {path}")
    if dim > MAX_DIMENSION:
        raise MapperParsingError(
            f"Dimension value cannot be greater than {MAX_DIMENSION} for vector with engine: faiss"
        )
    return dim


def _engine(engine: str) -> str:
    if engine == "nmslib":
        raise MapperParsingError(
            "nmslib engine is deprecated in OpenSearch  and cannot be used for new index "
            "creation in OpenSearch from  3.0.0."
        )
    if engine not in ENGINE_SPACES:
        raise MapperParsingError(f"Invalid engine type: {engine}")
    return engine


def _space(space: str) -> str:
    if space not in SPACE_TYPES:
        raise MapperParsingError(
            f"Unable to find space: {space} . Valid values are: [{', '.join(SPACE_TYPES)}]"
        )
    return space


def _check_mode(path: str, params: dict[str, Any]) -> None:
    if params.get("mode", "in_memory") not in ("in_memory", "on_disk"):
        raise MapperParsingError(f"Invalid mode: {params.get('mode')}")
    if str(params.get("compression_level", "1x")) != "1x" or params.get("mode") == "on_disk":
        raise MapperParsingError(
            f"Quantised vectors (mode [on_disk], compression_level other than [1x]) on field "
            f"[{path}] are not supported by the embedded engine"
        )


def _hnsw_parameters(engine: str, parameters: Any) -> tuple[int, int, int | None]:
    if not isinstance(parameters, dict):
        raise MapperParsingError("Unable to parse [parameters] of [method]")
    unknown = [k for k in parameters if k not in _HNSW_PARAMETERS[engine]]
    if unknown:
        raise MapperParsingError(f"Validation Failed: 1: Unknown parameter '{unknown[0]}' found;")
    if "encoder" in parameters:
        raise MapperParsingError("Vector encoders are not supported by the embedded engine")
    m = _positive_int(parameters.get("m", DEFAULT_M), "m")
    ef_c = _positive_int(
        parameters.get("ef_construction", DEFAULT_EF_CONSTRUCTION), "ef_construction"
    )
    ef_s = parameters.get("ef_search")
    return m, ef_c, None if ef_s is None else _positive_int(ef_s, "ef_search")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MapperParsingError(
            f"Validation Failed: 1: value is not an instance of Integer for Integer parameter [{name}].;"
        )
    if value <= 0:
        raise MapperParsingError(
            f"Validation Failed: 1: parameter validation failed for Integer parameter [{name}].;"
        )
    return int(value)


def check_index_settings(settings: dict[str, Any], fields: dict[str, Any]) -> None:
    """Mapping rules that depend on ``index.knn``.

    Without ``index.knn`` a vector field is "flat" (exact search through scripts only) and
    may not name a method; with it, a field without a method gets the default faiss HNSW
    method, which must support the field's space.
    """
    knn = str(settings.get("index.knn", "false")).lower() == "true"
    for mapper in fields.values():
        spec = getattr(mapper, "vector", None)
        if spec is None:
            continue
        if not knn and spec.method is not None:
            raise MapperParsingError(
                "Cannot set modelId or method parameters when index.knn setting is false"
            )
        if (
            knn
            and spec.method is None
            and spec.space_type not in ENGINE_SPACES["faiss"] - {"hamming"}
        ):
            raise MapperParsingError(
                f'Validation Failed: 1: "hnsw" with "faiss" configuration does not support space '
                f'type: "{spec.space_type}".;'
            )
