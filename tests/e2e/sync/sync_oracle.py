"""What the index must hold after syncing a change log: computed independently of the
worker by replaying the whole log in memory, and compared with the engine's contents."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from mutuo.sync.config import SyncMapping
from mutuo.sync.derive import MappingError
from mutuo.sync.mapping import Mapper
from mutuo.sync.sources.file import parse_record


@dataclass
class Expected:
    live: dict[str, tuple[int, dict[str, Any], str | None]] = field(
        default_factory=dict
    )  # id -> (version, fields, text)
    deleted: set[str] = field(default_factory=set)
    dead: set[tuple[str, int]] = field(
        default_factory=set
    )  # (doc id, version) of unreadable changes


def expected_state(log: Path, mapping: SyncMapping) -> Expected:
    """Every document at its newest valid version, deletes gone, bad changes dead-lettered."""
    mapper = Mapper(mapping)
    out = Expected()
    offset = 0
    for line in log.read_bytes().split(b"\n")[:-1]:
        change = parse_record(line, mapping.collection, offset) if line.strip() else None
        offset += len(line) + 1
        if change is None:
            continue
        if change.error is not None:
            out.dead.add((change.doc_id, change.version))
            continue
        try:
            doc = mapper.map(change)
        except MappingError:
            out.dead.add((change.doc_id, change.version))
            continue
        if doc.delete:
            out.live.pop(doc.doc_id, None)
            out.deleted.add(doc.doc_id)
        else:
            out.live[doc.doc_id] = (doc.version, doc.fields, doc.text)
            out.deleted.discard(doc.doc_id)
    return out


def assert_index_matches(
    client: OpenSearch, expected: Expected, mapping: SyncMapping, embed: Any = None
) -> None:
    """The index equals the oracle: same ids, versions and fields; vectors of the texts."""
    client.indices.refresh(index=[mapping.index, mapping.dead_letter_index])
    hits = client.search(index=mapping.index, body={"query": {"match_all": {}}, "size": 10000})[
        "hits"
    ]["hits"]
    indexed = {h["_id"]: h["_source"] for h in hits}
    assert set(indexed) == set(expected.live), (
        f"missing {sorted(set(expected.live) - set(indexed))[:5]} extra {sorted(set(indexed) - set(expected.live))[:5]}"
    )
    for doc_id, (version, fields, _text) in expected.live.items():
        doc = indexed[doc_id]
        assert doc[mapping.version_field] == version, doc_id
        for name, value in fields.items():
            assert doc.get(name) == value, (doc_id, name, doc.get(name), value)
    if embed is not None:
        ids = sorted(i for i, (_v, _f, text) in expected.live.items() if text)
        vectors = embed([expected.live[i][2] for i in ids])
        for doc_id, vector in zip(ids, vectors, strict=True):
            assert np.allclose(indexed[doc_id]["profile_vector"], vector, atol=1e-5), doc_id
    letters = client.search(
        index=mapping.dead_letter_index, body={"query": {"match_all": {}}, "size": 10000}
    )["hits"]["hits"]
    assert {(h["_source"]["doc_id"], h["_source"]["version"]) for h in letters} == expected.dead
