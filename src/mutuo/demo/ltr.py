"""The demo's LTR step: ``mutuo ltr judgments | log | train | upload | promote`` in-process,
into the demo's own model registry (so the repository's ``ltr_models/`` is left alone)."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from ..ltr.featurelog import log_features
from ..ltr.judgments import collect_judgments, label_counts
from ..ltr.lifecycle import register
from ..ltr.ranker import train_ranker
from ..ltr.registry import ModelRegistry
from ..ltr.upload import promote, upload


def train_and_promote(client: OpenSearch, registry: ModelRegistry, name: str) -> dict[str, Any]:
    """Judgments from what the simulation logged, features as served, XGBoost, promotion."""
    judgments = collect_judgments(client)
    data = log_features(client, judgments)
    model = train_ranker(data, name)
    register(registry, model)
    # the demo's own model from an earlier run (an engine the demo keeps): this run's model
    # replaces it, trained on this run's behaviour and the current feature set
    client.transport.perform_request("DELETE", f"/_ltr/_model/{name}", params={"ignore": [404]})
    action = upload(client, registry, name)
    promotion = promote(client, name, registry)
    card = model.card
    test = card["metrics"].get("test", {})
    return {
        "model": name,
        "judgments": len(judgments),
        "labels": label_counts(judgments),
        "trees": card["trees"],
        "uploaded": action,
        "previous": promotion.previous,
        "ndcg@10": {ranking: round(m.get("ndcg@10", 0.0), 4) for ranking, m in test.items()},
        "top_features": list(card["importances"])[:5],
    }
