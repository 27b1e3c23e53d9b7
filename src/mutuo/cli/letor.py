"""``mutuo eval letor``: learning-to-rank quality on a LETOR-format dataset."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from ..bench.common import emit
from ..evaluation.letor_engine import NoProgress, Progress


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
@click.option("--silent", is_flag=True, help="No progress bar.")
def letor(
    path: Path, folds: str, empty_queries: str, seed: int, as_json: bool, silent: bool
) -> None:
    """Per fold: the LTR plugin path on a fresh in-memory engine, next to the same
    XGBoost model's own predictions and a LightGBM lambdarank baseline; NDCG@1/3/5/10
    and MAP on test, per fold and on average.

    The engine column indexes each split (features as float fields f1..fN, the query id
    as the keyword qid), creates a feature set of one function_score/field_value_factor
    feature per field, logs train and vali features with ltr_log (checked against the
    file), trains XGBoost LambdaMART on the logged features with early stopping on
    vali, uploads it as model/xgboost+json (_createmodel), and ranks each test query
    with a search for its documents plus an sltr rescore (query_weight 0), batched with
    _msearch. The engine's rankings must equal the native ones: ties rank in file order
    in both (the engine's tie order is index order, and documents are indexed in file
    order). The command exits 1 when they differ.

    NDCG@k: gains 2^label - 1, discount log2(1 + rank), divided by the DCG@k of the
    query's own labels sorted; MAP: any label > 0 is relevant.

    \b
    Example:
      mutuo eval letor ../shared/data/letor/mq2008 --folds 1-5 --json
    """
    from ..evaluation.letor import evaluate_folds, parse_folds

    with _progress(not silent) as progress:
        report = evaluate_folds(path, parse_folds(folds), empty_queries, seed, progress)  # type: ignore[arg-type]
    emit(report, as_json)
    if not report["engine_equals_native"]:
        click.echo("the engine's rankings differ from XGBoost's own", err=True)
        sys.exit(1)


class _RichProgress:
    """One bar per stage, on stderr (stdout stays clean for --json)."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar
        self.task = bar.add_task("", total=None)

    def stage(self, description: str, total: int) -> None:
        self.bar.reset(self.task, total=total, description=description)

    def advance(self, amount: int = 1) -> None:
        self.bar.advance(self.task, amount)


@contextmanager
def _progress(show: bool) -> Iterator[Progress]:
    if not show:
        yield NoProgress()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Bar(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        yield _RichProgress(bar)
