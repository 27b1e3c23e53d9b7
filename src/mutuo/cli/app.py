"""The root ``mutuo`` group and the options every command shares."""

from __future__ import annotations

import logging

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--opensearch-url",
    envvar="MUTUO_OPENSEARCH_URL",
    default=None,
    help="embedded://PATH (default embedded://.mutuo/engine) or http(s)://host:port.",
)
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="mutuo")
@click.pass_context
def cli(ctx: click.Context, opensearch_url: str | None, verbose: bool) -> None:
    """mutuo: a search-engine-native people recommender on OpenSearch.

    \b
    Example:
      mutuo serve --data .mutuo/engine --port 9200
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = {"opensearch_url": opensearch_url, "verbose": verbose}


def register_commands() -> None:
    from . import artifacts, bench, demo, engine, graph, ltr, recommend, serve, signals, sync
    from . import eval as eval_cli

    modules = (
        artifacts,
        bench,
        demo,
        engine,
        eval_cli,
        graph,
        ltr,
        recommend,
        serve,
        signals,
        sync,
    )
    for module in modules:
        module.register(cli)


register_commands()
