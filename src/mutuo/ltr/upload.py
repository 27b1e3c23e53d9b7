"""Upload a registered model into the cluster's feature store, and promote or roll back.

An upload is refused when the model's features are not exactly its feature set's, in
order: a tree model trained on another feature layout would read the wrong columns. The
plugin only checks that split features exist; the order matters to us because the
booster (used for explanations) addresses features by column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch

from ..artifacts.kinds.ltr_models import create_body, same_model
from ..artifacts.kinds.remote import found
from ..errors import ModelError
from .registry import ModelRegistry
from .slot import (
    DEFAULT_SCORE_SPREAD,
    PROMOTED_TEMPLATES,
    slot_model,
    with_slot_model,
    with_slot_spread,
)


def stored_feature_names(client: OpenSearch, featureset: str) -> list[str]:
    """The features of a stored feature set, in ordinal order."""
    response = client.transport.perform_request(
        "GET", f"/_ltr/_featureset/{featureset}", params={"ignore": [400, 404]}
    )
    if not found(response):
        raise ModelError(f"feature set {featureset!r} is not installed; run mutuo apply")
    features = response["_source"]["featureset"]["features"]
    return [f["name"] for f in features]


def model_feature_names(registry: ModelRegistry, name: str) -> list[str] | None:
    """The feature columns a model was trained on (None when it names features itself)."""
    booster = registry.booster(name)
    if booster is not None:
        return list(booster.feature_names or [])
    return None


def check_features(
    registry: ModelRegistry, name: str, body: dict[str, Any], stored: list[str]
) -> None:
    trained = model_feature_names(registry, name)
    if trained is not None and trained != stored:
        raise ModelError(
            f"model {name!r} was trained on features {trained}, but feature set "
            f"{body['featureset']!r} has {stored}; retrain it on the current feature set"
        )
    definition = body["model"].get("definition")
    if body["model"]["type"] == "model/linear" and isinstance(definition, dict):
        unknown = sorted(set(definition) - set(stored))
        if unknown:
            raise ModelError(f"model {name!r} weighs features {unknown} not in the feature set")


def upload(client: OpenSearch, registry: ModelRegistry, name: str) -> str:
    """Create a registered model in the cluster; 'created' or 'unchanged'."""
    body = registry.model_body(name)
    check_features(registry, name, body, stored_feature_names(client, body["featureset"]))
    current = client.transport.perform_request(
        "GET", f"/_ltr/_model/{name}", params={"ignore": [400, 404]}
    )
    if found(current):
        if same_model(current, body):
            return "unchanged"
        raise ModelError(f"a different model {name!r} is installed; upload under a new name")
    path = f"/_ltr/_featureset/{body['featureset']}/_createmodel"
    client.transport.perform_request("POST", path, body=create_body(name, body))
    return "created"


def promoted_model(client: OpenSearch) -> str | None:
    """The model the installed ``mutuo-recommend`` template ranks with."""
    script = client.get_script(id=PROMOTED_TEMPLATES[0], ignore=404)
    if not found(script):
        return None
    return slot_model(script["script"]["source"])


@dataclass(frozen=True)
class PromotionResult:
    previous: str | None
    current: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "previous": self.previous, "current": self.current}


def model_spread(registry: ModelRegistry, name: str) -> float:
    """The score spread on ``name``'s model card (:data:`DEFAULT_SCORE_SPREAD` for a model
    whose card records none, such as the hand-set baseline)."""
    card = registry.card(name) or {}
    spread = card.get("score_spread")
    return float(spread) if spread else DEFAULT_SCORE_SPREAD


def promote(
    client: OpenSearch, name: str, registry: ModelRegistry, action: str = "promote"
) -> PromotionResult:
    """Make the recommend and search templates rank with model ``name`` by default, their
    marketplace stage sized by its score spread."""
    model = client.transport.perform_request(
        "GET", f"/_ltr/_model/{name}", params={"ignore": [400, 404]}
    )
    if not found(model):
        raise ModelError(f"model {name!r} is not in the cluster; run mutuo ltr upload {name}")
    previous = promoted_model(client)
    spread = model_spread(registry, name)
    for template in PROMOTED_TEMPLATES:
        script = client.get_script(id=template, ignore=404)
        if not found(script):
            raise ModelError(f"template {template!r} is not installed; run mutuo apply")
        source = with_slot_spread(with_slot_model(script["script"]["source"], name), spread)
        client.put_script(id=template, body={"script": {"lang": "mustache", "source": source}})
    registry.log_promotion(action, name, previous)
    return PromotionResult(previous, name, action)


def rollback(client: OpenSearch, registry: ModelRegistry) -> PromotionResult:
    """Go back to the model that was promoted before the current one."""
    current = promoted_model(client)
    for entry in reversed(registry.promotions()):
        if entry.action == "promote" and entry.model == current and entry.previous:
            return promote(client, entry.previous, registry, action="rollback")
    raise ModelError(
        f"nothing to roll back to: no promotion of {current!r} is recorded in "
        f"{registry.root}/promotions.jsonl"
    )
