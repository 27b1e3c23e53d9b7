"""Move a managed alias to a new physical index with no downtime and no lost write.

1. create the new index (the installed template gives it the new mapping);
2. block writes on the old one (``index.blocks.write``): writers such as the sync get
   ``cluster_block_exception`` (403) and retry, readers are not affected;
3. copy every document in ``_id`` order with ``search_after`` and ``_bulk``, keeping each
   document's version (``version_type=external``), and check the counts;
4. swap the alias in one ``_aliases`` request: writers' retries land in the new index.

On failure before the swap the old index is unblocked and the half-built new one
deleted, so the alias keeps serving reads and writes as before. The old index stays
(read-only) after a successful swap, for a rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opensearchpy import OpenSearch

from ..errors import MutuoError

PAGE = 500


def copy_documents(client: OpenSearch, source: str, target: str, page: int = PAGE) -> int:
    """Copy every document of ``source`` into ``target``; the number copied."""
    copied = 0
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": page,
            "query": {"match_all": {}},
            "sort": [{"_id": "asc"}],
            "version": True,
        }
        if after is not None:
            body["search_after"] = after
        hits = client.search(index=source, body=body)["hits"]["hits"]
        if not hits:
            return copied
        actions: list[dict[str, Any]] = []
        for hit in hits:
            meta = {
                "_index": target,
                "_id": hit["_id"],
                "version": hit["_version"],
                "version_type": "external",
            }
            actions += [{"index": meta}, hit["_source"]]
        response = client.bulk(body=actions)
        if response["errors"]:
            first = next(i for i in response["items"] if "error" in next(iter(i.values())))
            raise MutuoError(
                f"reindex {source} -> {target} failed on a document: {next(iter(first.values()))['error']}"
            )
        copied += len(hits)
        after = hits[-1]["sort"]


def reindex(client: OpenSearch, alias: str, old: str, new: str, log: Callable[[str], None]) -> int:
    client.indices.create(index=new)
    client.indices.put_settings(index=old, body={"index.blocks.write": True})
    swapped = False
    try:
        copied = copy_documents(client, old, new)
        client.indices.refresh(index=new)
        expected = client.count(index=old)["count"]
        found = client.count(index=new)["count"]
        if found != expected:
            raise MutuoError(
                f"reindex {old} -> {new}: {found} documents in the copy, {expected} in the original"
            )
        client.indices.update_aliases(
            body={
                "actions": [
                    {"remove": {"index": old, "alias": alias}},
                    {"add": {"index": new, "alias": alias}},
                ]
            }
        )
        swapped = True
        log(f"copied {copied} documents {old} -> {new}; alias {alias} -> {new}")
        return copied
    finally:
        if not swapped:
            client.indices.put_settings(index=old, body={"index.blocks.write": None})
            client.indices.delete(index=new, ignore_unavailable=True)
