"""The engine's rankers: features logged with ``ltr_log``, XGBoost, ``sltr`` rescoring.

Per split, fresh in-memory engines (:mod:`.world`: sync, UBI events, signals): the *full*
world holds every training meeting and is where test viewers are ranked; each of
``FOLDS`` *fold* worlds lacks one fold of the training meetings (:func:`.training_folds`)
and is where that fold's training rows are logged. Without this cross-fitting a training
row's features would contain its own outcome (the viewer's like is in their taste vector
and in the candidate's like rate), which a test row never does, and the models learnt
that leak instead of the marketplace. The worlds are built on first use and shared by
both learned rankers. Each ranker then runs the LTR loop: the product's judgments from
``ubi_events`` (:func:`mutuo.ltr.judgments.collect_judgments`; each viewer's evening is
one list), every training row's features logged by the engine
(:mod:`.features`), a LambdaMART model (early stopping on a seeded fifth of the
viewers), uploaded with ``_createmodel`` (``model/xgboost+json+raw``); each test viewer's held-out partners are ranked
by one search with an ``sltr`` rescore whose score alone orders them. The same search logs
the features, and the engine's scores are checked against the booster's own on them.

* ``one_sided`` learns the viewer's like (one-sided judgments) from ``sd-one-sided``
  (viewer's interest only);
* ``reciprocal`` learns graded judgments (mutual match 3 > like 1 > nothing 0) from
  ``sd-reciprocal``, which adds the candidate's interest in the viewer and readiness to
  say yes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from ...client import connect
from ...errors import MutuoError
from ...ltr import export
from ...ltr.judgments import collect_judgments
from ...ltr.train import RankingData, train_xgboost_lambdamart, xgboost_scores
from ...sync.embedder import Embedder
from ..letor_engine import msearch
from .dataset import Meeting, SpeedDating
from .features import ONE_SIDED, RECIPROCAL, SETS, create_feature_sets, viewer_params
from .profiles import member_id
from .protocol import ViewerCase
from .splits import Split, training_folds
from .world import SyncedPopulation, load_world

PROFILES = "profiles"
LOG = "sd"
VALIDATION_SHARE = 0.2
SCORE_TOLERANCE = 1e-3  # float32 tree sums of the engine vs XGBoost's own
Pair = tuple[str, str]
FOLDS = 3  # cross-fitting: each training list is logged in a world without its outcomes


@dataclass
class EngineWorld:
    client: Any
    population: SyncedPopulation
    params: dict[str, dict[str, Any]]  # viewer member id -> sltr params


class MemoEmbedder(Embedder):
    """The embedding model with every text it embedded kept: the worlds of a split sync
    the same profiles."""

    def __init__(self) -> None:
        super().__init__()
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in self.memo})
        if new:
            self.memo.update(zip(new, super().embed(new), strict=True))
        return np.stack([self.memo[t] for t in texts]) if texts else super().embed(texts)


def build_world(
    data: SpeedDating, train: Sequence[Meeting], root: Path, embedder: Embedder
) -> EngineWorld:
    client = connect("embedded://:memory:")
    with tempfile.TemporaryDirectory(prefix="mutuo-sd-") as workdir:
        population = load_world(client, root, Path(workdir), data, train, embedder)
    create_feature_sets(client)
    ids = [member_id(iid) for iid in sorted(data.participants)]
    docs = client.mget(index=PROFILES, body={"ids": ids})["docs"]
    params = {d["_id"]: viewer_params(d["_source"]) for d in docs if d.get("found")}
    return EngineWorld(client, population, params)


@dataclass
class SplitWorlds:
    """The world of all training meetings (test ranking happens there) and, per training
    fold, the world without that fold's meetings, where the fold's lists are logged."""

    full: EngineWorld
    folds: list[tuple[EngineWorld, set[frozenset[str]]]]

    def close(self) -> None:
        for world in [self.full, *(w for w, _pairs in self.folds)]:
            world.client.close()

    def fold_of(self) -> dict[frozenset[str], EngineWorld]:
        return {pair: world for world, pairs in self.folds for pair in pairs}


def build_worlds(data: SpeedDating, split: Split, root: Path) -> SplitWorlds:
    embedder = MemoEmbedder()
    full = build_world(data, split.train, root, embedder)
    folds = []
    for held in training_folds(split, FOLDS):
        kept = [m for m in split.train if m not in held]
        pairs = {frozenset((member_id(m.a), member_id(m.b))) for m in held}
        folds.append((build_world(data, kept, root, embedder), pairs))
    return SplitWorlds(full, folds)


class WorldCache:
    """The last split's worlds: both learned rankers of a run share them."""

    def __init__(self) -> None:
        self.key: tuple[str, int, int] | None = None
        self.worlds: SplitWorlds | None = None

    def get(self, data: SpeedDating, split: Split, root: Path) -> SplitWorlds:
        key = (split.name, split.seed, id(split))
        if self.worlds is None or self.key != key:
            if self.worlds is not None:
                self.worlds.close()
            self.worlds = build_worlds(data, split, root)
            self.key = key
        return self.worlds


WORLDS = WorldCache()


def _search(params: dict[str, Any], ids: list[str], model: str | None, feature_set: str) -> Any:
    body: dict[str, Any] = {"size": len(ids), "_source": False}
    if model is None:
        sltr = {"_name": "logged", "featureset": feature_set, "params": params}
        body["query"] = {"bool": {"filter": [{"ids": {"values": ids}}, {"sltr": sltr}]}}
        body["ext"] = {"ltr_log": {"log_specs": [{"name": LOG, "named_query": "logged"}]}}
        return body
    body["query"] = {"bool": {"filter": [{"ids": {"values": ids}}]}}
    body["rescore"] = {
        "window_size": len(ids),
        "query": {
            "rescore_query": {"sltr": {"model": model, "params": params}},
            "query_weight": 0.0,
            "rescore_query_weight": 1.0,
        },
    }
    body["ext"] = {"ltr_log": {"log_specs": [{"name": LOG, "rescore_index": 0}]}}
    return body


def _logged(hit: dict[str, Any]) -> list[float]:
    """A hit's logged features; an unmatched feature (no value) is missing (NaN), as the
    plugin's tree models read it since LTR 3.2."""
    return [entry.get("value", np.nan) for entry in hit["fields"]["_ltrlog"][0][LOG]]


class LearnedRanker:
    """One LTR model of the engine, trained on the split's judgments (see module doc)."""

    def __init__(self, name: str, feature_set: str, worlds: SplitWorlds, reciprocal: bool) -> None:
        self.name, self.feature_set, self.worlds = name, feature_set, worlds
        self.world = worlds.full
        self.model = f"sd-{name}"
        self.lists, self.labels = _judged(worlds.full.client, reciprocal)
        self._checked = self._mismatched = 0
        self.booster = self._train()

    def _log(self, world: EngineWorld, lists: dict[str, list[str]]) -> dict[str, np.ndarray]:
        viewers = [v for v in lists if v in world.params and lists[v]]
        searches = [_search(world.params[v], lists[v], None, self.feature_set) for v in viewers]
        out = {}
        responses = msearch(world.client, PROFILES, searches, _Silent())
        for viewer, response in zip(viewers, responses, strict=True):
            rows = {h["_id"]: _logged(h) for h in response["hits"]["hits"]}
            out[viewer] = np.array([rows[t] for t in lists[viewer]], dtype=np.float32)
        return out

    def _training_features(self, lists: dict[str, list[str]]) -> dict[str, np.ndarray]:
        """Each (viewer, shown) row logged in the world of its meeting's fold."""
        fold_of = self.worlds.fold_of()
        rows: dict[tuple[str, str], np.ndarray] = {}
        for world, _pairs in self.worlds.folds:
            part = {
                v: [t for t in shown if fold_of[frozenset((v, t))] is world]
                for v, shown in lists.items()
            }
            for viewer, features in self._log(world, part).items():
                rows.update(zip(((viewer, t) for t in part[viewer]), features, strict=True))
        return {v: np.stack([rows[(v, t)] for t in shown]) for v, shown in lists.items()}

    def _data(self, viewers: list[str], features: dict[str, np.ndarray]) -> RankingData:
        lists = self.lists
        labels = [self.labels[(v, t)] for v in viewers for t in lists[v]]
        qids = [i for i, v in enumerate(viewers) for _t in lists[v]]
        return RankingData(
            np.concatenate([features[v] for v in viewers]),
            np.array(labels, dtype=np.float32),
            np.array(qids),
            list(SETS[self.feature_set]),
        )

    def _train(self) -> xgb.Booster:
        features = self._training_features(self.lists)
        viewers = sorted(features)
        rng = np.random.default_rng(0)
        held = set(rng.choice(viewers, int(len(viewers) * VALIDATION_SHARE), replace=False))
        train = self._data([v for v in viewers if v not in held], features)
        vali = self._data([v for v in viewers if v in held], features)
        booster = train_xgboost_lambdamart(train, vali, max_depth=3, eta=0.05)
        # the saved model, not the text dump: the dump rounds thresholds, and a test value
        # equal to a training value (a rate both worlds computed alike) sits on one
        definition = export.xgboost_raw_definition(booster)
        model = {"type": "model/xgboost+json+raw", "definition": definition}
        self.world.client.plugins.ltr.create_model_from_set(
            name=self.feature_set, body={"model": {"name": self.model, "model": model}}
        )
        self.training = {"lists": len(viewers), "rows": len(train.labels) + len(vali.labels)}
        return booster

    def score(self, cases: Sequence[ViewerCase]) -> list[np.ndarray]:
        ids = [[member_id(c) for c in case.candidates] for case in cases]
        searches = [
            _search(self.world.params[member_id(case.viewer)], i, self.model, self.feature_set)
            for case, i in zip(cases, ids, strict=True)
        ]
        scores = []
        responses = msearch(self.world.client, PROFILES, searches, _Silent())
        for candidates, response in zip(ids, responses, strict=True):
            hits = {h["_id"]: h for h in response["hits"]["hits"]}
            if set(hits) != set(candidates):
                raise MutuoError("a ranking search did not return exactly its candidates")
            engine = np.array([hits[c]["_score"] for c in candidates], dtype=np.float32)
            logged = np.array([_logged(hits[c]) for c in candidates], dtype=np.float32)
            self._check(engine, logged)
            scores.append(engine)
        return scores

    def _check(self, engine: np.ndarray, logged: np.ndarray) -> None:
        """Stop on any row whose engine score is not XGBoost's on the features the same
        response logged: the ranking must be the model's, or the numbers measure a bug."""
        native = xgboost_scores(self.booster, logged)
        differences = np.abs(native - engine)
        self._checked += len(differences)
        self._mismatched += int(np.sum(differences > SCORE_TOLERANCE))
        if self._mismatched:
            raise MutuoError(
                f"{self.name}: the engine's sltr score differs from XGBoost's on "
                f"{self._mismatched} of {self._checked} rows (largest {differences.max()})"
            )

    def report(self) -> dict[str, Any]:
        gains = {
            name: float(np.sum(value))
            for name, value in self.booster.get_score(importance_type="gain").items()
        }
        total = sum(gains.values()) or 1.0
        return {
            "model": self.model,
            "feature_set": self.feature_set,
            "trees": self.booster.num_boosted_rounds(),
            "training": self.training,
            "importance": {k: round(v / total, 3) for k, v in sorted(gains.items())},
            "engine_vs_xgboost": {"rows": self._checked, "differing": self._mismatched},
            "world": {
                "members": self.world.population.members,
                "events": self.world.population.events,
                "signals_applied": self.world.population.signals_applied,
            },
        }


class _Silent:
    def stage(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


def _judged(client: Any, reciprocal: bool) -> tuple[dict[str, list[str]], dict[Pair, int]]:
    """Each viewer's shown members in list order (viewers sorted) and every row's label."""
    lists: dict[str, list[str]] = {}
    labels: dict[Pair, int] = {}
    for j in collect_judgments(client, reciprocal=reciprocal):
        lists.setdefault(j.viewer_id, []).append(j.member_id)
        labels[(j.viewer_id, j.member_id)] = j.label
    return {v: lists[v] for v in sorted(lists)}, labels


def one_sided(data: SpeedDating, split: Split, _seed: int) -> LearnedRanker:
    worlds = WORLDS.get(data, split, Path.cwd())
    return LearnedRanker("one_sided", ONE_SIDED, worlds, reciprocal=False)


def reciprocal(data: SpeedDating, split: Split, _seed: int) -> LearnedRanker:
    worlds = WORLDS.get(data, split, Path.cwd())
    return LearnedRanker("reciprocal", RECIPROCAL, worlds, reciprocal=True)
