"""``mutuo eval letor``: learning-to-rank quality on a LETOR-format dataset."""

from __future__ import annotations

from pathlib import Path

import click

from ..bench.common import emit


@click.command(name="letor")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--folds", default="1-5", show_default=True, help="Folds to run, e.g. 1-5 or 1,3.")
@click.option(
    "--empty-queries",
    type=click.Choice(["zero", "exclude"]),
    default="zero",
    show_default=True,
    help="NDCG/MAP of a query with no relevant document: counted as 0 (LETOR 4.0's "
    "evaluation script) or left out of the mean.",
)
@click.option("--seed", default=0, show_default=True, help="Training seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def letor(path: Path, folds: str, empty_queries: str, seed: int, as_json: bool) -> None:
    """Train XGBoost LambdaMART (early stopping on vali) and a LightGBM lambdarank
    baseline per fold; report NDCG@1/3/5/10 and MAP on test, per fold and on average.

    Gains are 2^label - 1 with a log2 discount. The engine column (upload as
    model/xgboost+json, rank test queries with sltr rescoring) joins once the
    embedded engine supports rescore.

    \b
    Example:
      mutuo eval letor ../shared/data/letor/mq2008 --folds 1-5 --json
    """
    from ..evaluation.letor import evaluate_folds, parse_folds

    report = evaluate_folds(path, parse_folds(folds), empty_queries, seed)  # type: ignore[arg-type]
    emit(report, as_json)
