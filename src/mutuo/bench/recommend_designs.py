"""``mutuo bench recommend-designs``: the offline comparison behind two design choices.

**Search: bool + LTR vs hybrid + pipeline.** Under a ``hybrid`` query a rescore runs per
sub-query before normalisation (reference §4.1), so an LTR stage cannot decide the final
order. Measured here: ``mutuo-search`` (bool retrieval, BM25 and k-NN candidates, then an
``sltr`` rescore whose features include the BM25 and the semantic score, with the baseline
linear model and with an XGBoost model trained on the training queries) against
``mutuo-search-hybrid`` (hybrid query, min-max + arithmetic mean pipeline, no LTR).

**Reciprocity: how the two directions combine.** Over ``mutuo-recommend`` candidates:
ranking by the viewer's side alone, by the arithmetic mean of both sides and by their
harmonic mean (``taste_reciprocal``).

The market: demo members (real profile text embedded with the sync's model) whose hidden
interests are their tastes (``taste_vector`` = embedding of those interests). A member
likes another whose interests meet their tastes. Search label: 2 when the member has a
queried interest *and* likes the viewer back, 1 with the interest only, 0 otherwise.
Recommend label: 2 mutual like, 1 the viewer's like only. NDCG@10 uses gains 2^label - 1
and the ideal list of the pooled results of every design (TREC pooling).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import click
import numpy as np
from opensearchpy import OpenSearch

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..demo.population import INTERESTS, Member, generate_members
from ..ltr.featurelog import TrainingSet, parse_ltr_log
from ..ltr.judgments import Judgment
from ..ltr.ranker import TrainOptions, train_ranker
from ..ltr.upload import stored_feature_names
from ..recommend.requests import RankingOptions, recommend_request, search_request
from .common import emit
from .recommend_market import _step

Embed = Callable[[list[str]], np.ndarray]


def _index(client: OpenSearch, members: list[Member], embed: Embed, root: str) -> None:
    apply_plan(client, make_plan(client, load_artifacts(root)), lambda _m: None)
    texts = [f"{m.profile['headline']}. {m.profile['bio']}" for m in members]
    profile = embed(texts)
    taste = embed([", ".join(m.hidden_interests) for m in members])
    body: list[Any] = []
    for i, m in enumerate(members):
        p = {k: v for k, v in m.profile.items() if k != "birthdate"}
        p.update(
            max_distance_step_km=_step(float(p["max_distance_km"])),
            age_pref_mid=(p["age_min"] + p["age_max"]) / 2,
            age_pref_radius=max((p["age_max"] - p["age_min"]) / 2, 1.0),
            profile_completeness=1.0,
            profile_vector=profile[i].tolist(),
            taste_vector=taste[i].tolist(),
        )
        body += [{"index": {"_index": "profiles", "_id": m.id}}, p]
    if client.bulk(body=body, refresh=True)["errors"]:
        raise click.ClickException("bulk indexing reported item errors")


class Market:
    def __init__(self, members: list[Member]) -> None:
        self.members = {m.id: m for m in members}

    def likes(self, a: str, b: str) -> bool:
        return bool(
            set(self.members[a].hidden_interests) & set(self.members[b].profile["interests"])
        )

    def search_label(self, viewer: str, member: str, wanted: Sequence[str]) -> int:
        topical = bool(set(wanted) & set(self.members[member].profile["interests"]))
        return 0 if not topical else 2 if self.likes(member, viewer) else 1

    def recommend_label(self, viewer: str, member: str) -> int:
        if not self.likes(viewer, member):
            return 0
        return 2 if self.likes(member, viewer) else 1


def ndcg(gains: Sequence[int], pooled: Sequence[int], k: int = 10) -> float:
    def dcg(labels: Sequence[int]) -> float:
        return sum((2**g - 1) / np.log2(i + 2) for i, g in enumerate(labels[:k]))

    ideal = dcg(sorted(pooled, reverse=True))
    return dcg(gains) / ideal if ideal > 0 else 0.0


def _template(client: OpenSearch, body: dict[str, Any]) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = client.search_template(index="profiles", body=body)["hits"]["hits"]
    return hits


def _search_lists(
    client: OpenSearch,
    queries: list[tuple[str, list[str], str, list[float]]],
    model: str | None,
    k: int,
) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for viewer, _wanted, text, vector in queries:
        doc = client.get(index="profiles", id=viewer)["_source"]
        options = RankingOptions(model=model)
        body = search_request(text, vector, viewer, doc, k, log_features=True, options=options)
        out[viewer + "|" + text] = _template(client, body)
    return out


def _hybrid_lists(
    client: OpenSearch, queries: list[tuple[str, list[str], str, list[float]]], k: int
) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for viewer, _wanted, text, vector in queries:
        doc = client.get(index="profiles", id=viewer)["_source"]
        params = {"query_text": text, "query_vector": vector, "viewer_id": viewer, "viewer": doc}
        body = {"id": "mutuo-search-hybrid", "params": {**params, "size": k}}
        out[viewer + "|" + text] = _template(client, body)
    return out


def _train(
    client: OpenSearch, market: Market, queries: list[Any], names: list[str]
) -> tuple[Any, dict[str, Any]]:
    lists = _search_lists(client, queries, None, 100)
    judgments, rows = [], []
    for n, (viewer, wanted, text, _v) in enumerate(queries):
        for position, hit in enumerate(lists[viewer + "|" + text]):
            label = market.search_label(viewer, hit["_id"], wanted)
            stamp = f"2026-11-01T00:{n // 60:02d}:{n % 60:02d}Z"
            judgments.append(Judgment(f"q{n}", viewer, hit["_id"], position, label, stamp, text))
            rows.append(parse_ltr_log(hit, "features", names))
    data = TrainingSet(judgments, names, np.asarray(rows, dtype=np.float32))
    options = TrainOptions(test_share=0.0, validation_share=0.25, unbiased=False, max_rounds=200)
    model = train_ranker(data, f"designs-{int(time.time())}", options)
    return model, model.body


def _queries(
    members: list[Member], embed: Embed, count: int, rng: random.Random
) -> list[tuple[str, list[str], str, list[float]]]:
    viewers = rng.sample([m.id for m in members], count)
    wanted = [rng.sample(INTERESTS, 2) for _ in viewers]
    texts = [f"someone into {a} and {b}" for a, b in wanted]
    vectors = embed(texts)
    return [
        (v, w, t, vectors[i].tolist())
        for i, (v, w, t) in enumerate(zip(viewers, wanted, texts, strict=True))
    ]


def _reciprocity(
    client: OpenSearch, market: Market, viewers: list[str], names: list[str]
) -> dict[str, Any]:
    """Rank each viewer's recommend candidates (features logged) three ways."""
    v2c, c2v = names.index("taste_v2c"), names.index("taste_c2v")
    rankings: dict[str, list[float]] = {
        "viewer_side_only": [],
        "arithmetic_mean": [],
        "harmonic_mean": [],
    }
    mutual: dict[str, list[float]] = {name: [] for name in rankings}
    for viewer in viewers:
        doc = client.get(index="profiles", id=viewer)["_source"]
        hits = _template(client, recommend_request(viewer, doc, 200, log_features=True))
        if not hits:
            continue
        rows = np.nan_to_num(np.asarray([parse_ltr_log(h, "features", names) for h in hits]))
        labels = [market.recommend_label(viewer, h["_id"]) for h in hits]
        a, b = rows[:, v2c], rows[:, c2v]
        scores = {
            "viewer_side_only": a,
            "arithmetic_mean": (a + b) / 2,
            "harmonic_mean": np.where(a + b > 0, 2 * a * b / np.where(a + b > 0, a + b, 1), 0),
        }
        for name, s in scores.items():
            order = np.argsort(-s, kind="stable")[:10]
            ranked = [labels[i] for i in order]
            rankings[name].append(ndcg(ranked, labels))
            mutual[name].append(sum(1 for g in ranked if g == 2) / 10)
    return {
        name: {
            "ndcg@10": round(float(np.mean(rankings[name])), 4),
            "mutual_share@10": round(float(np.mean(mutual[name])), 4),
        }
        for name in rankings
    }


def run(members_n: int, queries_n: int, seed: int, root: str) -> dict[str, Any]:
    from ..sync.embedder import Embedder

    model = Embedder()
    embed: Embed = model.embed
    members = generate_members(members_n, seed=seed)
    market = Market(members)
    rng = random.Random(seed)
    client = connect("embedded://:memory:")
    try:
        _index(client, members, embed, root)
        names = stored_feature_names(client, "mutuo-people")
        train_q = _queries(members, embed, queries_n, rng)
        test_q = _queries(members, embed, queries_n, rng)
        trained, body = _train(client, market, train_q, names)
        client.transport.perform_request(
            "POST",
            "/_ltr/_featureset/mutuo-people/_createmodel",
            body={"model": {"name": trained.name, "model": body["model"]}},
        )
        lists = {
            "bool_ltr_baseline_linear": _search_lists(client, test_q, None, 10),
            "bool_ltr_trained_xgboost": _search_lists(client, test_q, trained.name, 10),
            "hybrid_pipeline_no_ltr": _hybrid_lists(client, test_q, 10),
        }
        report = _search_report(market, test_q, lists)
        report["reciprocity"] = _reciprocity(client, market, [q[0] for q in test_q], names)
    finally:
        client.close()
    return {"benchmark": "recommend-designs", "members": members_n, "queries": queries_n, **report}


def _search_report(
    market: Market, queries: list[Any], lists: dict[str, dict[str, list[Any]]]
) -> dict[str, Any]:
    scores: dict[str, list[float]] = {name: [] for name in lists}
    for viewer, wanted, text, _v in queries:
        key = viewer + "|" + text
        pooled = {h["_id"] for design in lists.values() for h in design[key]}
        pooled_labels = [market.search_label(viewer, m, wanted) for m in pooled]
        for name, design in lists.items():
            gains = [market.search_label(viewer, h["_id"], wanted) for h in design[key]]
            scores[name].append(ndcg(gains, pooled_labels))
    return {"search_ndcg@10": {name: round(float(np.mean(v)), 4) for name, v in scores.items()}}


@click.command(name="recommend-designs")
@click.option("--members", default=1500, show_default=True)
@click.option("--queries", default=100, show_default=True, help="Training and test queries each.")
@click.option("--seed", default=7, show_default=True)
@click.option("--root", default=".", show_default=True, help="The artifacts' folder.")
@click.option("--json", "as_json", is_flag=True)
def command(members: int, queries: int, seed: int, root: str, as_json: bool) -> None:
    """Offline NDCG@10 of the search designs (bool + LTR vs hybrid + pipeline) and of the
    reciprocal combinations (one side, arithmetic mean, harmonic mean).

    \b
    Example:
      mutuo bench recommend-designs --json
    """
    emit(run(members, queries, seed, root), as_json)
