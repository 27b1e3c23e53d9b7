"""``mutuo validate`` and ``mutuo apply``: check and install the artifacts."""

from __future__ import annotations

import json
from typing import Any

import click

from ..artifacts.apply import apply_plan, load_artifacts, make_plan, validate
from ..client import connect
from ..errors import MutuoError

_SYMBOL = {"create": "+", "update": "~", "reindex": "»", "unchanged": "=", "error": "!"}


def _fail(exc: MutuoError) -> click.ClickException:
    return click.ClickException(str(exc))


@click.command(name="validate")
@click.option(
    "--artifacts",
    "root",
    default=None,
    help="Project folder holding index_templates/, sync/ ... (default: .).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def validate_command(root: str | None, as_json: bool) -> None:
    """Check every artifact and every cross-reference; exit 1 on any problem.

    \b
    Example:
      mutuo validate
      mutuo validate --json | jq '.problems[].pointer'
    """
    try:
        artifacts = load_artifacts(root)
    except MutuoError as exc:
        raise _fail(exc) from None
    problems = validate(artifacts)
    counts = {kind: len(items) for kind, items in artifacts.by_kind.items() if items}
    if as_json:
        click.echo(
            json.dumps(
                {
                    "valid": not problems,
                    "artifacts": counts,
                    "problems": [p.to_dict() for p in problems],
                },
                indent=2,
            )
        )
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        summary = ", ".join(f"{n} {kind.replace('_', ' ')}(s)" for kind, n in counts.items())
        click.echo(f"{'invalid' if problems else 'valid'}: {summary}; {len(problems)} problem(s)")
    if problems:
        raise SystemExit(1)


@click.command(name="apply")
@click.option(
    "--artifacts",
    "root",
    default=None,
    help="Project folder holding index_templates/, sync/ ... (default: .).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan (and what was applied) as JSON."
)
@click.pass_context
def apply_command(ctx: click.Context, root: str | None, dry_run: bool, as_json: bool) -> None:
    """Install the artifacts into the cluster idempotently, showing the plan first.

    A mapping change creates the next physical index (profiles-v2), copies the
    documents and swaps the alias atomically.

    \b
    Example:
      mutuo apply --dry-run
      mutuo --opensearch-url http://localhost:9200 apply
    """
    client = connect(ctx.obj["opensearch_url"])
    messages: list[str] = []
    try:
        plan = make_plan(client, load_artifacts(root))
        if not as_json:
            _print_plan(plan)
        applied = 0
        if not dry_run:
            applied = apply_plan(client, plan, messages.append if as_json else _echo)
    except MutuoError as exc:
        raise _fail(exc) from None
    finally:
        client.close()
    if as_json:
        report: dict[str, Any] = {
            "dry_run": dry_run,
            "plan": [i.to_dict() for i in plan],
            "applied": applied,
            "log": messages,
        }
        click.echo(json.dumps(report, indent=2))
    elif not dry_run:
        click.echo(f"applied {applied} change(s)")


def _echo(message: str) -> None:
    click.echo(f"  {message}")


def _print_plan(plan: list[Any]) -> None:
    for item in plan:
        detail = f"  ({item.detail})" if item.detail else ""
        click.echo(
            f"{_SYMBOL.get(item.action, '?')} {item.action:<9} {item.kind:<18} {item.name}{detail}"
        )
    changes = sum(1 for i in plan if i.action != "unchanged")
    click.echo(f"plan: {changes} change(s), {len(plan) - changes} unchanged")


def register(group: click.Group) -> None:
    group.add_command(validate_command)
    group.add_command(apply_command)
