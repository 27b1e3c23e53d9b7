"""Partial updates copy the analysed tokens of unchanged text members from the previous
ordinal (the text column's forward index) instead of analysing them again. A copied
entry that went stale would show here: each test drives two indices with the same
documents, ``fast`` through partial updates and ``full`` through whole-document writes
of the merged source, and requires the same search results, scores included, and the
same per-document tokens."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mutuo.engine import Engine, codec, shard, snapshot
from mutuo.engine.columns import TextColumn

MAPPING = {
    "properties": {
        "bio": {"type": "text"},
        "interests": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "age": {"type": "integer"},
        "seen": {"type": "date"},
    }
}
QUERIES = [
    {"match": {"bio": "hiking coffee"}},
    {"match": {"bio": "sailing"}},
    {"match_phrase": {"bio": "likes hiking"}},
    {"match_phrase": {"interests": "jazz piano"}},
    {"term": {"interests.keyword": "jazz piano"}},
    {
        "bool": {
            "must": [{"match": {"interests": "chess"}}],
            "filter": [{"range": {"age": {"gte": 25}}}],
        }
    },
]


def call(engine: Engine, method: str, path: str, body: Any = None, **params: Any) -> Any:
    data = None
    if isinstance(body, list):
        data = b"".join(codec.dumps(line) + b"\n" for line in body)
    elif body is not None:
        data = codec.dumps(body)
    status, _headers, out = engine.handle(method, path, params, data)
    assert status < 300, out
    return codec.loads(out) if out else None


def profile(i: int) -> dict[str, Any]:
    return {
        "bio": f"likes hiking {'coffee' if i % 2 else 'tea'} and more hiking {i}"
        + (" sailing" if i % 4 == 0 else ""),
        "interests": ["jazz piano", "chess"] if i % 3 else ["chess club"],
        "age": 20 + i % 15,
        "seen": "2026-01-01T00:00:00Z",
    }


class Twins:
    """The same documents in ``fast`` (partial updates) and ``full`` (whole writes)."""

    def __init__(self, engine: Engine, n: int) -> None:
        self.engine = engine
        self.sources = {str(i): profile(i) for i in range(n)}
        for name in ("fast", "full"):
            call(engine, "PUT", f"/{name}", {"mappings": MAPPING})
            lines: list[Any] = []
            for doc_id, source in self.sources.items():
                lines += [{"index": {"_index": name, "_id": doc_id}}, source]
            assert not call(engine, "POST", "/_bulk", lines)["errors"]
        self.refresh()

    def update(self, patches: dict[str, dict[str, Any]]) -> None:
        fast: list[Any] = []
        full: list[Any] = []
        for doc_id, patch in patches.items():
            self.sources[doc_id] = {**self.sources[doc_id], **patch}
            fast += [{"update": {"_index": "fast", "_id": doc_id}}, {"doc": patch}]
            full += [{"index": {"_index": "full", "_id": doc_id}}, self.sources[doc_id]]
        for lines in (fast, full):
            assert not call(self.engine, "POST", "/_bulk", lines)["errors"]

    def refresh(self) -> None:
        call(self.engine, "POST", "/_refresh")

    def check(self) -> None:
        self.refresh()
        for query in QUERIES:
            results = [
                [
                    (h["_id"], h["_score"])
                    for h in call(
                        self.engine, "POST", f"/{name}/_search", {"query": query, "size": 100}
                    )["hits"]["hits"]
                ]
                for name in ("fast", "full")
            ]
            assert results[0] == results[1], query
            assert results[0], query  # each query matches something
        for doc_id, source in self.sources.items():
            assert call(self.engine, "GET", f"/fast/_source/{doc_id}") == source
            for field in ("bio", "interests"):
                assert tokens(self.engine, "fast", field, doc_id) == tokens(
                    self.engine, "full", field, doc_id
                )

    def check_against_fresh(self) -> None:
        """``fast`` against an index built from the current sources in one go (no
        updates, no compaction): the same hits, scores and tokens."""
        call(self.engine, "PUT", "/fresh", {"mappings": MAPPING})
        lines: list[Any] = []
        for doc_id, source in self.sources.items():
            lines += [{"index": {"_index": "fresh", "_id": doc_id}}, source]
        assert not call(self.engine, "POST", "/_bulk", lines, refresh="true")["errors"]
        for query in QUERIES:
            body = {"query": query, "size": 100}
            hits = [
                sorted(
                    (h["_id"], h["_score"])
                    for h in call(self.engine, "POST", f"/{name}/_search", body)["hits"]["hits"]
                )
                for name in ("fast", "fresh")
            ]
            assert hits[0] == hits[1], query
        for doc_id in self.sources:
            for field in ("bio", "interests"):
                assert tokens(self.engine, "fast", field, doc_id) == tokens(
                    self.engine, "fresh", field, doc_id
                )
        call(self.engine, "DELETE", "/fresh")


def tokens(engine: Engine, name: str, field: str, doc_id: str) -> Any:
    """One document's postings (term -> positions) as its text column holds them, with
    its forward-index entries."""
    index = engine.indices[name]
    column = index.shard.columns[field]
    assert isinstance(column, TextColumn)
    o = index.shard.id_to_ord[doc_id]
    postings = {}
    for term in column.terms:
        docs, offsets, positions = column.positions(term)
        for i in np.flatnonzero(docs == o).tolist():
            postings[term] = positions[offsets[i] : offsets[i + 1]].tolist()
    start, length = int(column.starts.view()[o]), int(column.lengths.view()[o])
    forward = sorted(
        zip(
            [column.terms[t] for t in column.entry_terms.view()[start : start + length].tolist()],
            column.entry_positions.view()[start : start + length].tolist(),
            strict=True,
        )
    )
    assert forward == sorted((t, p) for t, ps in postings.items() for p in ps)
    return postings, (column.doc_count, column.sum_ttf)


@pytest.fixture
def engine() -> Iterator[Engine]:
    built = Engine(":memory:")
    yield built
    built.close()


def test_updated_text_is_found_by_its_new_terms_and_not_its_old(engine: Engine) -> None:
    twins = Twins(engine, 12)
    twins.update({"1": {"bio": "sailing at dawn"}, "2": {"age": 40}})
    twins.check()
    body = {"query": {"match": {"bio": "coffee"}}, "size": 100}
    hits = call(engine, "POST", "/fast/_search", body)["hits"]["hits"]
    assert "1" not in {h["_id"] for h in hits} and "3" in {h["_id"] for h in hits}
    body = {"query": {"match": {"bio": "dawn"}}}
    assert [h["_id"] for h in call(engine, "POST", "/fast/_search", body)["hits"]["hits"]] == ["1"]


def test_text_kept_through_rounds_of_other_updates_stays_searchable(engine: Engine) -> None:
    twins = Twins(engine, 12)
    for round_ in range(4):  # each round copies the previous round's copies
        twins.update({str(i): {"seen": f"2026-02-0{round_ + 1}T00:00:00Z"} for i in range(12)})
        twins.check()
    pending = engine.indices["fast"].shard
    twins.update({"5": {"age": 99}})
    assert pending.pending[-1].reuse is not None
    assert (
        "bio" in pending.pending[-1].reuse[1]
        and "interests.keyword" in pending.pending[-1].reuse[1]
    )
    twins.check()


def test_copied_and_analysed_text_in_one_refresh(engine: Engine) -> None:
    twins = Twins(engine, 9)
    # interleaved: changed text, kept text, a second write of one doc before the refresh
    twins.update(
        {
            "0": {"bio": "sailing and jazz"},
            "1": {"age": 31},
            "2": {"interests": ["chess", "jazz piano"]},
            "3": {"seen": "2026-03-01T00:00:00Z"},
        }
    )
    twins.update({"1": {"bio": "sailing hiking coffee"}, "3": {"age": 30}})
    twins.check()


def test_compaction_keeps_the_forward_index_aligned(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shard, "COMPACT_MIN_DELETED", 4)
    twins = Twins(engine, 10)
    twins.update({str(i): {"age": 50 + i} for i in range(0, 10, 2)})
    twins.update({"3": {"bio": "sailing hiking"}})
    twins.check()
    compacted = engine.indices["fast"].shard
    assert compacted.maxdoc == 10 and compacted.num_deleted == 0  # six dead ordinals dropped
    twins.check_against_fresh()
    twins.update({str(i): {"seen": "2026-04-01T00:00:00Z"} for i in range(10)})
    twins.check()
    twins.check_against_fresh()


def test_reopening_from_a_snapshot_keeps_text_reuse_correct(tmp_path: Path) -> None:
    path = tmp_path / "engine"
    engine = Engine(path)
    twins = Twins(engine, 10)
    twins.update({"1": {"age": 44}, "2": {"bio": "sailing"}})
    twins.refresh()
    engine.close()
    reopened = Engine(path)
    try:
        twins.engine = reopened
        twins.check()
        for round_ in range(2):
            twins.update({str(i): {"seen": f"2026-05-0{round_ + 1}T00:00:00Z"} for i in range(10)})
            twins.check()
    finally:
        reopened.close()


def test_a_snapshot_of_the_previous_format_is_rebuilt_not_read(tmp_path: Path) -> None:
    path = tmp_path / "engine"
    engine = Engine(path)
    twins = Twins(engine, 10)
    uuid = engine.indices["fast"].uuid
    engine.close()
    target = snapshot.path_for(path, uuid)
    state = pickle.loads(target.read_bytes())
    # what format 1 held: text columns without their forward index
    state["format"] = 1
    column = state["columns"]["bio"]
    for name in ("starts", "entry_terms", "entry_positions"):
        delattr(column, name)
    target.write_bytes(pickle.dumps(state, protocol=5))
    reopened = Engine(path)
    try:
        column = reopened.indices["fast"].shard.columns["bio"]
        assert isinstance(column, TextColumn) and column.entry_terms.n > 0
        twins.engine = reopened
        twins.update({str(i): {"age": 70} for i in range(10)})
        twins.check()
    finally:
        reopened.close()
