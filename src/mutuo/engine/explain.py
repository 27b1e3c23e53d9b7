"""The ``_explain`` API: does one document match a query, and why does it score so.

The document is looked up in the searchable (refreshed) view, as OpenSearch does; a
document that is not there answers 404 with ``matched: false``. The explanation tree
is the one the query types build (``Query.explain_doc``), whose root value equals the
score the same query gives in a search.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .api.documents import single_index
from .errors import OpenSearchError, wrap_shard_failure
from .fetch import load_sources
from .queries import parse_query
from .search_context import SearchContext
from .source_filter import filter_source, from_params

if TYPE_CHECKING:
    from .engine import Engine


def explain_document(
    engine: Engine, index_name: str, doc_id: str, body: dict[str, Any], params: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    index = single_index(engine, index_name)
    query_body = body["query"]
    alias = index.aliases.get(index_name) if index_name != index.name else None
    if alias is not None and alias.get("filter") is not None:
        query_body = {"bool": {"must": [query_body], "filter": [alias["filter"]]}}
    query = parse_query(query_body)
    head: dict[str, Any] = {"_index": index.name, "_id": doc_id}
    ordinal = index.shard.id_to_ord.get(doc_id)
    if ordinal is None:
        return 404, {**head, "matched": False}
    ctx = SearchContext(engine, index, int(time.time() * 1000))
    try:
        explanation = query.explain_doc(ctx, ordinal)
    except OpenSearchError as err:
        raise wrap_shard_failure(index.name, err) from None
    out = {**head, "matched": explanation.match, "explanation": explanation.to_json()}
    fetch, includes, excludes = from_params(params, None)
    if any(k in params for k in ("_source", "_source_includes", "_source_excludes")) and fetch:
        source = load_sources(engine, index, [ordinal]).get(ordinal) or {}
        out["get"] = {
            "_seq_no": int(index.shard.seq_nos.view()[ordinal]),
            "_primary_term": 1,
            "found": True,
            "_source": filter_source(source, includes, excludes),
        }
    return 200, out
