"""REST: features, feature sets and models in a store; ``_addfeatures``; ``_createmodel``.

``PUT`` creates (409 if the element exists), ``POST`` overwrites (models are immutable:
405), ``GET``/``HEAD``/``DELETE`` are plain document operations on ``<type>-<name>``, and
``GET /_ltr[/{store}]/_<type>?prefix=`` is a search of the store index, exactly as the
plugin implements them on top of its store index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.documents import get_document
from ..documents import WriteBatch
from ..errors import (
    IllegalArgumentError,
    IndexNotFoundError,
    ParsingError,
    VersionConflictError,
)
from ..index import Versioning
from ..router import Request, Response, Router
from ..search import execute_search
from .elements import (
    FEATURE,
    FEATURESET,
    MODEL,
    TYPES,
    Element,
    StoredFeature,
    StoredFeatureSet,
    StoredModel,
    Validation,
    element_from_source,
    element_id,
    parse_element_body,
    parse_feature,
    parse_model_definition,
    parse_validation,
)
from .parsing import as_str, check_fields, check_object
from .plugin import LtrPlugin, store_index_name
from .validation import precheck, validate

if TYPE_CHECKING:
    from ..engine import Engine

_NOT_UPDATABLE = "Element of type [model] are not updatable, please create a new one instead."


def store_element(
    plugin: LtrPlugin, index_name: str, element: Element, create: bool, check: Validation | None
) -> Response:
    """The plugin's store action: store exists, pre-check, validation, then the write."""
    plugin.require_store(index_name)
    precheck(element)
    if check is not None:
        validate(plugin.engine, element, check)
    result = plugin.write(index_name, element, create)
    return Response(result.pop("status"), result)


def register_elements(router: Router, engine: Engine, plugin: LtrPlugin) -> None:
    for element_type in TYPES:
        _register_type(router, engine, plugin, element_type)
    add_features = _add_features_handler(engine, plugin)
    create_model = _create_model_handler(engine, plugin)
    for prefix in ("/_ltr", "/_ltr/{store}"):
        router.add("POST", f"{prefix}/_featureset/{{name}}/_addfeatures", add_features)
        router.add("POST", f"{prefix}/_featureset/{{name}}/_addfeatures/{{query}}", add_features)
        router.add("POST", f"{prefix}/_featureset/{{name}}/_createmodel", create_model)


def _register_type(router: Router, engine: Engine, plugin: LtrPlugin, element_type: str) -> None:
    def add_or_update(req: Request) -> Response:
        name = req.path_params["name"]
        if not (req.body or b"").strip():
            raise IllegalArgumentError("Missing content or source param.")
        element, check = parse_element_body(req.json(), name)
        if element.type != element_type:
            raise IllegalArgumentError(
                f"Excepted a [{element_type}] but encountered [{element.type}]"
            )
        if req.method == "POST" and not element.updatable:
            error = IllegalArgumentError(_NOT_UPDATABLE, status=405)
            return Response(405, error.body())
        index_name = store_index_name(req.path_params.get("store"))
        return store_element(plugin, index_name, element, req.method == "PUT", check)

    def get(req: Request) -> Response:
        index_name = store_index_name(req.path_params.get("store"))
        index = engine.indices.get(index_name)
        if index is None:
            raise IndexNotFoundError(index_name)
        doc_id = element_id(element_type, req.path_params["name"])
        result = get_document(engine, index, doc_id, {})
        return Response(200 if result["found"] else 404, result)

    def delete(req: Request) -> Response:
        index_name = store_index_name(req.path_params.get("store"))
        plugin.evict(index_name, element_type, req.path_params["name"])
        index = engine.indices.get(index_name)
        if index is None:
            raise IndexNotFoundError(index_name)
        batch = WriteBatch(engine)
        doc_id = element_id(element_type, req.path_params["name"])
        result = batch.delete(index, doc_id, Versioning(op_type="delete"))
        batch.commit()
        return Response(result.pop("status"), result)

    for prefix in ("/_ltr", "/_ltr/{store}"):
        path = f"{prefix}/_{element_type}/{{name}}"
        router.add("PUT,POST", path, add_or_update)
        router.add("GET", path, get)
        router.add("DELETE", path, delete)
        router.add("GET", f"{prefix}/_{element_type}", _search_handler(engine, element_type))


def _search_handler(engine: Engine, element_type: str) -> Any:
    """``GET /_ltr[/{store}]/_<type>?prefix=&from=&size=``: a search of the store index."""

    def search(req: Request) -> Response:
        index_name = store_index_name(req.path_params.get("store"))
        query: dict[str, Any] = {"bool": {"filter": [{"term": {"type": element_type}}]}}
        prefix = req.params.get("prefix")
        if prefix:
            query["bool"]["must"] = [{"match": {"name.prefix": prefix}}]
        body = {
            "query": query,
            "from": req.int_param("from", 0),
            "size": req.int_param("size", 20),
        }
        return Response(200, execute_search(engine, engine.resolve(index_name), body, {}))

    return search


def _add_features_handler(engine: Engine, plugin: LtrPlugin) -> Any:
    def add_features(req: Request) -> Response:
        index_name = store_index_name(req.path_params.get("store"))
        set_name = req.path_params["name"]
        name_query = req.path_params.get("query")
        features, check = _features_body(req)
        if name_query is None and not features:
            raise IllegalArgumentError(
                "features must be provided as a query for the feature store or in the body, "
                "none provided"
            )
        if name_query is not None and features:
            raise IllegalArgumentError(
                "features must be provided as a query for the feature store or directly in "
                "the body not both"
            )
        plugin.require_store(index_name)
        current = plugin.read(index_name, FEATURESET, set_name)
        if name_query is not None:
            features = _features_by_name(engine, index_name, name_query)
        existing = current[0] if current is not None else StoredFeatureSet(set_name, [])
        assert isinstance(existing, StoredFeatureSet)
        updated = existing.merge(features) if req.flag("merge") else existing.append(features)
        return store_element(plugin, index_name, updated, current is None, check)

    return add_features


def _features_body(req: Request) -> tuple[list[StoredFeature], Validation | None]:
    if not (req.body or b"").strip():
        return [], None
    body = req.json()
    check_fields(body, "features", ("features", "validation"))
    raw = body.get("features") or []
    features = [parse_feature(f) for f in (raw if isinstance(raw, list) else [raw])]
    check = parse_validation(body["validation"]) if "validation" in body else None
    return features, check


def _features_by_name(engine: Engine, index_name: str, name_query: str) -> list[StoredFeature]:
    """Stored features whose name matches ``name`` or, with a trailing ``*``, the prefix."""
    if name_query.endswith("*"):
        prefix = name_query.rstrip("*")
        name_clause: dict[str, Any] = (
            {"match": {"name.prefix": prefix}} if prefix else {"match_all": {}}
        )
    else:
        name_clause = {"match": {"name": name_query}}
    body = {
        "query": {"bool": {"must": [name_clause, {"match": {"type": FEATURE}}]}},
        "size": 10_000,
    }
    result = execute_search(engine, [engine.indices[index_name]], body, {})
    hits = result["hits"]["hits"]
    if not hits:
        raise IllegalArgumentError(f"The feature query [{name_query}] returned no features")
    found = [element_from_source(h["_source"], FEATURE) for h in hits]
    return [f for f in found if isinstance(f, StoredFeature)]


def _create_model_handler(engine: Engine, plugin: LtrPlugin) -> Any:
    def create_model(req: Request) -> Response:
        index_name = store_index_name(req.path_params.get("store"))
        set_name = req.path_params["name"]
        expected = req.int_param("version")
        if expected is not None and expected <= 0:
            raise IllegalArgumentError("version must be a strictly positive long value")
        model_name, definition, check = _create_model_body(req.json())
        plugin.require_store(index_name)
        found = plugin.read(index_name, FEATURESET, set_name)
        if found is None:
            raise IllegalArgumentError(f"Stored feature set [{set_name}] does not exist")
        feature_set, version = found
        assert isinstance(feature_set, StoredFeatureSet)
        if expected is not None and expected != version:
            raise IllegalArgumentError(
                f"Stored feature set [{set_name}] has version [{version}] but [{expected}] was "
                "expected."
            )
        model_type, text, normalizers = definition
        model = StoredModel(model_name, feature_set, model_type, text, normalizers)
        try:
            return store_element(plugin, index_name, model, True, check)
        except VersionConflictError:
            error = IllegalArgumentError(_NOT_UPDATABLE, status=405)
            return Response(405, error.body())

    return create_model


def _create_model_body(body: dict[str, Any]) -> tuple[str, Any, Validation | None]:
    check_fields(body, "create_model_from_set", (MODEL, "validation"))
    if MODEL not in body:
        raise ParsingError("Missing required value [model]")
    model = check_object(body[MODEL], MODEL)
    check_fields(model, MODEL, ("name", MODEL))
    if "name" not in model:
        raise ParsingError("Missing required value [name]")
    if MODEL not in model:
        raise ParsingError("Field [model] is mandatory")
    definition = parse_model_definition(model[MODEL])
    check = parse_validation(body["validation"]) if "validation" in body else None
    return as_str(model["name"], MODEL, "name"), definition, check
