"""OpenSearch-shaped errors for the embedded engine.

Every failure the engine reports is an :class:`OpenSearchError` whose ``type`` is the
snake_case exception name OpenSearch itself would use and whose ``status`` is the HTTP
status OpenSearch would answer with. :meth:`OpenSearchError.body` renders the exact
response body shape (``{"error": {"root_cause": [...], "type", "reason", ...}, "status"}``)
so that opensearch-py raises the same exception classes against both engines.

    OpenSearchError                      500 exception
    ├── IllegalArgumentError             400 illegal_argument_exception
    ├── ParsingError                     400 parsing_exception (line, col)
    ├── XContentParseError               400 x_content_parse_exception
    ├── ActionRequestValidationError     400 action_request_validation_exception
    ├── MapperParsingError               400 mapper_parsing_exception
    ├── StrictDynamicMappingError        400 strict_dynamic_mapping_exception
    ├── InvalidIndexNameError            400 invalid_index_name_exception
    ├── InvalidAliasNameError            400 invalid_alias_name_exception
    ├── ResourceAlreadyExistsError       400 resource_already_exists_exception
    ├── QueryShardError                  400 query_shard_exception
    ├── SearchPhaseExecutionError        400/500 search_phase_execution_exception
    ├── IndexNotFoundError               404 index_not_found_exception
    ├── ResourceNotFoundError            404 resource_not_found_exception
    ├── DocumentMissingError             404 document_missing_exception
    ├── AliasesNotFoundError             404 aliases_not_found_exception
    ├── RoutingMissingError              400 routing_missing_exception
    ├── VersionConflictError             409 version_conflict_engine_exception
    └── EngineLockedError                500 engine_locked_exception (a second writer)
"""

from __future__ import annotations

from typing import Any


class OpenSearchError(Exception):
    """An error rendered exactly like OpenSearch renders its exceptions."""

    status: int = 500
    error_type: str = "exception"

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        caused_by: OpenSearchError | None = None,
        root_causes: list[OpenSearchError] | None = None,
        **metadata: Any,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status
        if error_type is not None:
            self.error_type = error_type
        self.caused_by = caused_by
        self.root_causes = root_causes
        self.metadata = {k.replace("__", "."): v for k, v in metadata.items() if v is not None}

    def to_dict(self, with_root_cause: bool = False) -> dict[str, Any]:
        """The ``error`` object; ``caused_by`` nested objects carry no ``root_cause``."""
        out: dict[str, Any] = {}
        if with_root_cause:
            out["root_cause"] = [c.to_dict() for c in self._root_causes()]
        out["type"] = self.error_type
        out["reason"] = self.reason
        out.update(self.metadata)
        if self.caused_by is not None:
            out["caused_by"] = self.caused_by.to_dict()
        return out

    def _root_causes(self) -> list[OpenSearchError]:
        if self.root_causes:
            return self.root_causes
        if self.caused_by is not None and isinstance(self, _Wrapper):
            return self.caused_by._root_causes()
        return [self]

    def body(self) -> dict[str, Any]:
        return {"error": self.to_dict(with_root_cause=True), "status": self.status}


class _Wrapper:
    """Marker: wrapper exceptions report their innermost cause as the root cause."""


class IllegalArgumentError(OpenSearchError):
    status = 400
    error_type = "illegal_argument_exception"


class ParsingError(OpenSearchError):
    status = 400
    error_type = "parsing_exception"


class XContentParseError(OpenSearchError):
    status = 400
    error_type = "x_content_parse_exception"


class ActionRequestValidationError(OpenSearchError):
    status = 400
    error_type = "action_request_validation_exception"

    def __init__(self, *problems: str) -> None:
        text = "".join(f"{i}: {p};" for i, p in enumerate(problems, 1))
        super().__init__(f"Validation Failed: {text}")


class MapperParsingError(OpenSearchError):
    status = 400
    error_type = "mapper_parsing_exception"


class StrictDynamicMappingError(OpenSearchError):
    status = 400
    error_type = "strict_dynamic_mapping_exception"


class InvalidIndexNameError(OpenSearchError):
    status = 400
    error_type = "invalid_index_name_exception"

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"Invalid index name [{name}], {why}", index_uuid="_na_", index=name)


class InvalidAliasNameError(OpenSearchError):
    status = 400
    error_type = "invalid_alias_name_exception"


class ResourceAlreadyExistsError(OpenSearchError):
    status = 400
    error_type = "resource_already_exists_exception"


class QueryShardError(OpenSearchError):
    status = 400
    error_type = "query_shard_exception"


class SearchPhaseExecutionError(_Wrapper, OpenSearchError):
    error_type = "search_phase_execution_exception"


class IndexNotFoundError(OpenSearchError):
    status = 404
    error_type = "index_not_found_exception"

    def __init__(self, index: str, reason: str | None = None) -> None:
        super().__init__(
            reason or f"no such index [{index}]",
            index=index,
            resource__id=index,
            resource__type="index_or_alias",
            index_uuid="_na_",
        )


class ResourceNotFoundError(OpenSearchError):
    status = 404
    error_type = "resource_not_found_exception"


class DocumentMissingError(OpenSearchError):
    status = 404
    error_type = "document_missing_exception"


class AliasesNotFoundError(OpenSearchError):
    status = 404
    error_type = "aliases_not_found_exception"


class RoutingMissingError(OpenSearchError):
    status = 400
    error_type = "routing_missing_exception"

    def __init__(self, index: str, doc_id: str) -> None:
        super().__init__(f"routing is required for [{index}]/[{doc_id}]", index=index)


class VersionConflictError(OpenSearchError):
    status = 409
    error_type = "version_conflict_engine_exception"


class EngineLockedError(OpenSearchError):
    """Raised when a second process tries to open a data path another process owns."""

    error_type = "engine_locked_exception"


def wrap_shard_failure(index: str, cause: OpenSearchError) -> SearchPhaseExecutionError:
    """Wrap a per-shard query failure the way OpenSearch reports "all shards failed"."""
    failure = {"shard": 0, "index": index, "node": "embedded", "reason": cause.to_dict()}
    return SearchPhaseExecutionError(
        "all shards failed",
        status=cause.status if cause.status < 500 else 500,
        caused_by=cause,
        phase="query",
        grouped=True,
        failed_shards=[failure],
    )
