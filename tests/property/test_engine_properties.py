"""Property tests of the engine's document model against small reference models.

Each example runs on a fresh in-memory engine through opensearch-py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opensearchpy import OpenSearch, TransportError

import mutuo
from mutuo.engine import Engine

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def fresh_client() -> Iterator[OpenSearch]:
    client = mutuo.connect("embedded://:memory:")
    try:
        yield client
    finally:
        client.close()


# -- bulk/get round trips --------------------------------------------------------------

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
documents = st.fixed_dictionaries(
    {},
    optional={
        "name": text,
        "age": st.integers(-(2**40), 2**40),
        "score": st.floats(allow_nan=False, allow_infinity=False, width=32),
        "tags": st.lists(text, max_size=4),
        "active": st.booleans(),
        "place": st.fixed_dictionaries({"city": text, "zip": st.integers(0, 99999)}),
        "nothing": st.none(),
    },
)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 9), documents), min_size=1, max_size=25))
def test_bulk_then_get_returns_every_source_as_sent(
    writes: list[tuple[int, dict[str, Any]]],
) -> None:
    with fresh_client() as client:
        lines = []
        for doc_id, doc in writes:
            lines += [
                json.dumps({"index": {"_index": "docs", "_id": str(doc_id)}}),
                json.dumps(doc),
            ]
        result = client.bulk(body="\n".join(lines) + "\n", refresh=True)
        assert result["errors"] is False
        assert [i["index"]["_seq_no"] for i in result["items"]] == list(range(len(writes)))
        latest = {str(doc_id): doc for doc_id, doc in writes}
        counts: dict[str, int] = {}
        for doc_id, _ in writes:
            counts[str(doc_id)] = counts.get(str(doc_id), 0) + 1
        for doc_id, doc in latest.items():
            got = client.get(index="docs", id=doc_id)
            assert got["_source"] == doc
            assert got["_version"] == counts[doc_id]
        assert client.count(index="docs")["count"] == len(latest)


@SETTINGS
@given(documents)
def test_source_bytes_come_back_verbatim(doc: dict[str, Any]) -> None:
    raw = json.dumps(doc, indent=1, ensure_ascii=False).encode()  # unusual spacing on purpose
    engine = Engine(":memory:")
    try:
        assert engine.handle("PUT", "/docs/_doc/1", {}, raw)[0] == 201
        assert engine.handle("GET", "/docs/_source/1", {}, None)[2] == raw
    finally:
        engine.close()


# -- versioning rules --------------------------------------------------------------------


@dataclass
class DocModel:
    version: int
    seq_no: int
    live: bool


op_kinds = st.sampled_from(["index", "create", "external", "external_gte", "if_seq_no", "delete"])
operations = st.lists(
    st.tuples(op_kinds, st.sampled_from(["a", "b", "c"]), st.integers(0, 12)), max_size=30
)


def expected(model: dict[str, DocModel], kind: str, doc_id: str, number: int) -> int | None:
    """The version the write gets under OpenSearch's rules, or None for a 409."""
    state = model.get(doc_id)
    if kind in ("index", "delete"):
        return 1 if state is None else state.version + 1
    if kind == "create":
        if state is not None and state.live:
            return None
        return 1 if state is None else state.version + 1
    if kind == "external":
        return number if state is None or number > state.version else None
    if kind == "external_gte":
        return number if state is None or number >= state.version else None
    if state is None or not state.live or state.seq_no != number:  # if_seq_no
        return None
    return state.version + 1


def perform(client: OpenSearch, kind: str, doc_id: str, number: int) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if kind in ("external", "external_gte"):
        params = {"version": number, "version_type": kind}
    elif kind == "if_seq_no":
        params = {"if_seq_no": number, "if_primary_term": 1}
    elif kind == "create":
        params = {"op_type": "create"}
    method, path = (
        ("DELETE", f"/v/_doc/{doc_id}") if kind == "delete" else ("PUT", f"/v/_doc/{doc_id}")
    )
    body = None if kind == "delete" else {"n": number}
    try:
        return client.transport.perform_request(method, path, params=params, body=body)
    except TransportError as err:
        return {"status": err.status_code, **(err.info if isinstance(err.info, dict) else {})}


@SETTINGS
@given(operations)
def test_versioning_follows_opensearch_rules(ops: list[tuple[str, str, int]]) -> None:
    model: dict[str, DocModel] = {}
    next_seq = 0
    with fresh_client() as client:
        client.indices.create(index="v")
        for kind, doc_id, number in ops:
            version = expected(model, kind, doc_id, number)
            response = perform(client, kind, doc_id, number)
            if version is None:
                assert response["status"] == 409, (kind, doc_id, number, response)
                assert response["error"]["type"] == "version_conflict_engine_exception"
                continue
            assert response["_version"] == version, (kind, doc_id, number, response)
            assert response["_seq_no"] == next_seq
            model[doc_id] = DocModel(version, next_seq, kind != "delete")
            next_seq += 1
        for doc_id in ("a", "b", "c"):
            state = model.get(doc_id)
            got = client.get(index="v", id=doc_id, ignore=404)
            assert got["found"] == bool(state and state.live)
            if state and state.live:
                assert (got["_version"], got["_seq_no"]) == (state.version, state.seq_no)


# -- alias resolution ------------------------------------------------------------------

memberships = st.lists(
    st.tuples(st.sampled_from(["i1", "i2", "i3"]), st.sampled_from([None, True, False])),
    min_size=1,
    max_size=3,
    unique_by=lambda t: t[0],
)


def write_target(members: list[tuple[str, bool | None]]) -> str | None:
    if len(members) == 1 and members[0][1] is not False:
        return members[0][0]
    writers = [name for name, flag in members if flag is True]
    return writers[0] if len(writers) == 1 else None


@SETTINGS
@given(memberships)
def test_aliases_resolve_reads_and_writes(members: list[tuple[str, bool | None]]) -> None:
    with fresh_client() as client:
        for name in ("i1", "i2", "i3"):
            client.index(index=name, id="doc", body={"from": name}, refresh=True)
        actions = []
        for name, flag in members:
            spec: dict[str, Any] = {"index": name, "alias": "al"}
            if flag is not None:
                spec["is_write_index"] = flag
            actions.append({"add": spec})
        client.indices.update_aliases(body={"actions": actions})
        assert client.count(index="al")["count"] == len(members)
        single = members[0][0] if len(members) == 1 else None
        read = client.transport.perform_request("GET", "/al/_doc/doc", params={"ignore": [400]})
        if single:
            assert read["_source"] == {"from": single}
        else:
            assert "more than one index" in read["error"]["reason"]
        target = write_target(members)
        written = client.transport.perform_request(
            "PUT", "/al/_doc/new", body={"x": 1}, params={"ignore": [400]}
        )
        if target:
            assert written["_index"] == target
        else:
            assert "no write index is defined for alias [al]" in written["error"]["reason"]


# -- dynamic mapping ---------------------------------------------------------------------

dates = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
field_values = st.one_of(
    st.booleans().map(lambda v: (v, "boolean")),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: (v, "long")),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: (v, "float")),
    dates.map(lambda d: (d.replace(tzinfo=UTC).isoformat(), "date")),
    dates.map(lambda d: (d.strftime("%Y-%m-%d"), "date")),
    st.integers().map(lambda v: (str(v), "text")),  # numeric strings are never dates
    st.text(st.characters(categories=("L",)), min_size=1, max_size=20).map(lambda v: (v, "text")),
    st.fixed_dictionaries({"inner": st.integers(0, 5)}).map(lambda v: (v, "object")),
)


@SETTINGS
@given(st.lists(field_values, min_size=1, max_size=6))
def test_dynamic_mapping_picks_opensearch_default_types(values: list[tuple[Any, str]]) -> None:
    doc = {f"f{i}": value for i, (value, _) in enumerate(values)}
    with fresh_client() as client:
        client.index(index="dyn", id="1", body=doc)
        props = client.indices.get_mapping(index="dyn")["dyn"]["mappings"]["properties"]
        for i, (_, kind) in enumerate(values):
            field = props[f"f{i}"]
            assert (
                field.get("type", "object") == kind if kind != "object" else "properties" in field
            )
        client.index(index="dyn", id="2", body=doc)  # the same document fits its own mapping
        assert client.indices.get_mapping(index="dyn")["dyn"]["mappings"]["properties"] == props
