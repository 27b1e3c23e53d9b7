"""``mutuo ltr``: the learning-to-rank loop, one command per step.

judgments (UBI events -> graded labels) -> log (features through the engine's ltr_log)
-> train (XGBoost rank:ndcg, model card) -> upload -> promote NAME / rollback.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..client import connect
from ..ltr.card import card_markdown
from ..ltr.featurelog import TrainingSet, log_features
from ..ltr.judgments import collect_judgments, label_counts, read_judgments, write_judgments
from ..ltr.lifecycle import register as register_model
from ..ltr.ranker import TrainOptions, train_ranker
from ..ltr.registry import ModelRegistry
from ..ltr.upload import promote, promoted_model, rollback, upload

WORK = Path(".mutuo/ltr")
REGISTRY_OPTION = click.option(
    "--registry", default="ltr_models", show_default=True, help="The model registry folder."
)


@click.group(name="ltr")
def ltr_group() -> None:
    """The LTR loop: judgments, feature logging, training, upload, promotion.

    \b
    Example:
      mutuo ltr judgments && mutuo ltr log && mutuo ltr train
      mutuo ltr upload mutuo-people-20261123-0100 && mutuo ltr promote mutuo-people-20261123-0100
    """


def _out(payload: dict[str, Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, indent=2) if as_json else text)


@ltr_group.command(name="judgments")
@click.option("--since", help="Lists shown from this time (ISO 8601) on.")
@click.option("--until", help="Lists shown before this time.")
@click.option("--out", default=str(WORK / "judgments.jsonl"), show_default=True)
@click.option("--one-sided", is_flag=True, help="Label the viewer's side only (a baseline).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def judgments_command(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    out: str,
    one_sided: bool,
    as_json: bool,
) -> None:
    """Graded labels from ubi_events: 3 match, 2 like with reply, 1 like, 0 nothing."""
    client = connect(ctx.obj["opensearch_url"])
    try:
        judgments = collect_judgments(client, since, until, reciprocal=not one_sided)
    finally:
        client.close()
    count = write_judgments(judgments, out)
    labels = label_counts(judgments)
    lists = len({j.query_id for j in judgments})
    payload = {"judgments": count, "lists": lists, "labels": labels, "path": out}
    _out(payload, as_json, f"{count} judgments in {lists} lists {labels} -> {out}")


@ltr_group.command(name="log")
@click.option("--judgments", "source", default=str(WORK / "judgments.jsonl"), show_default=True)
@click.option("--out", default=str(WORK / "training.jsonl"), show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def log_command(ctx: click.Context, source: str, out: str, as_json: bool) -> None:
    """Feature rows for the judgments, computed by the engine (ltr_log): the values logged
    at serving when the list was shown, else re-logged now with an sltr query."""
    judgments = read_judgments(source)
    client = connect(ctx.obj["opensearch_url"])
    try:
        data = log_features(client, judgments, embed=_embedder(judgments))
    finally:
        client.close()
    data.save(out)
    payload = {"rows": len(data.judgments), "features": data.feature_names, "sources": data.sources}
    _out(payload, as_json, f"{len(data.judgments)} rows {data.sources} -> {out}")


def _embedder(judgments: list[Any]) -> Any:
    """The text model, loaded only when a search list must be re-logged."""
    if not any(j.user_query for j in judgments):
        return None
    from ..sync.embedder import Embedder

    model = Embedder()
    return lambda text: model.embed([text])[0].tolist()


@ltr_group.command(name="train")
@click.option("--data", default=str(WORK / "training.jsonl"), show_default=True)
@click.option("--name", help="Model name (default mutuo-people-YYYYMMDD-HHMM).")
@REGISTRY_OPTION
@click.option("--max-depth", default=TrainOptions.max_depth, show_default=True)
@click.option("--eta", default=TrainOptions.eta, show_default=True, help="Learning rate.")
@click.option("--rounds", default=TrainOptions.max_rounds, show_default=True, help="Most rounds.")
@click.option(
    "--early-stopping",
    default=TrainOptions.early_stopping,
    show_default=True,
    help="Stop after this many rounds without a better validation NDCG.",
)
@click.option("--no-position-correction", is_flag=True, help="Plain LambdaMART.")
@click.option("--json", "as_json", is_flag=True)
def train_command(
    data: str,
    name: str | None,
    registry: str,
    max_depth: int,
    eta: float,
    rounds: int,
    early_stopping: int,
    no_position_correction: bool,
    as_json: bool,
) -> None:
    """XGBoost rank:ndcg with early stopping; writes the model and its card to the registry."""
    name = name or datetime.now(UTC).strftime("mutuo-people-%Y%m%d-%H%M")
    options = TrainOptions(
        max_depth=max_depth,
        eta=eta,
        max_rounds=rounds,
        early_stopping=early_stopping,
        unbiased=not no_position_correction,
    )
    model = train_ranker(TrainingSet.load(data), name, options)
    register_model(ModelRegistry(registry), model)
    if as_json:
        click.echo(json.dumps(model.card, indent=2))
    else:
        click.echo(card_markdown(model.card))


@ltr_group.command(name="upload")
@click.argument("name")
@REGISTRY_OPTION
@click.pass_context
def upload_command(ctx: click.Context, name: str, registry: str) -> None:
    """Create model NAME in the cluster's feature store (refused if its features differ)."""
    client = connect(ctx.obj["opensearch_url"])
    try:
        action = upload(client, ModelRegistry(registry), name)
    finally:
        client.close()
    click.echo(f"{name}: {action}")


@ltr_group.command(name="promote")
@click.argument("name")
@REGISTRY_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def promote_command(ctx: click.Context, name: str, registry: str, as_json: bool) -> None:
    """Make mutuo-recommend and mutuo-search rank with model NAME."""
    client = connect(ctx.obj["opensearch_url"])
    try:
        result = promote(client, name, ModelRegistry(registry))
    finally:
        client.close()
    _out(result.to_dict(), as_json, f"promoted {result.current} (was {result.previous})")


@ltr_group.command(name="rollback")
@REGISTRY_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rollback_command(ctx: click.Context, registry: str, as_json: bool) -> None:
    """Go back to the model promoted before the current one."""
    client = connect(ctx.obj["opensearch_url"])
    try:
        result = rollback(client, ModelRegistry(registry))
    finally:
        client.close()
    _out(result.to_dict(), as_json, f"rolled back to {result.current} (from {result.previous})")


@ltr_group.command(name="status")
@REGISTRY_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status_command(ctx: click.Context, registry: str, as_json: bool) -> None:
    """The promoted model and the registered ones."""
    client = connect(ctx.obj["opensearch_url"])
    try:
        current = promoted_model(client)
    finally:
        client.close()
    names = ModelRegistry(registry).names()
    _out(
        {"promoted": current, "registered": names},
        as_json,
        f"promoted: {current}\n" + "\n".join(names),
    )


def register(group: click.Group) -> None:
    group.add_command(ltr_group)
