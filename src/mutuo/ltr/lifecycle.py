"""The LTR loop in a few calls, for the CLI and for programs (the demo, the evaluation)::

    from mutuo.ltr import lifecycle
    registry = ModelRegistry("ltr_models")
    model = lifecycle.train_from_events(client, registry, "mutuo-people-20261122")
    lifecycle.deploy(client, registry, model.name)       # upload, then promote

Each step is also its own function (``collect_judgments``, ``log_features``,
``train_ranker``, ``upload``, ``promote``, ``rollback``) and its own ``mutuo ltr`` command.
"""

from __future__ import annotations

from opensearchpy import OpenSearch

from .card import card_markdown
from .featurelog import Embed, log_features
from .judgments import collect_judgments
from .ranker import TrainedModel, TrainOptions, train_ranker
from .registry import ModelRegistry
from .upload import PromotionResult, promote, upload


def register(registry: ModelRegistry, model: TrainedModel) -> None:
    """Write a trained model, its booster and its card into the registry."""
    registry.save(model.name, model.body, model.booster, model.card, card_markdown(model.card))


def train_from_events(
    client: OpenSearch,
    registry: ModelRegistry,
    name: str,
    since: str | None = None,
    until: str | None = None,
    options: TrainOptions = TrainOptions(),
    embed: Embed | None = None,
) -> TrainedModel:
    """Judgments from UBI -> features through the engine -> a registered model."""
    judgments = collect_judgments(client, since, until)
    data = log_features(client, judgments, embed=embed)
    model = train_ranker(data, name, options)
    register(registry, model)
    return model


def deploy(client: OpenSearch, registry: ModelRegistry, name: str) -> PromotionResult:
    """Upload a registered model and make the templates rank with it."""
    upload(client, registry, name)
    return promote(client, name, registry)
