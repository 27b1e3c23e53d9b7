"""The model card in words: what a person reads beside ``card.json``."""

from __future__ import annotations

from typing import Any


def card_markdown(card: dict[str, Any]) -> str:
    data = card["data"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"* feature set `{card['featureset']}` ({len(card['feature_names'])} features), "
        f"objective `{card['objective']}`, {card['trees']} trees",
        f"* position bias: {card['position_bias']}",
        f"* data: {data['judgments']} judgments shown from {data['since']} to {data['until']}; "
        f"lists train/validation/test = {data['lists']['train']}/{data['lists']['validation']}/"
        f"{data['lists']['test']} (split by time, newest held out)",
        f"* labels (3 match, 2 like with reply, 1 like, 0 nothing): {data['labels']}",
        f"* features logged at serving / re-logged now: {data['feature_sources']}",
        f"* score spread (median within-list std of training scores; the marketplace "
        f"stage's unit): {card.get('score_spread')}",
        "",
        "## Held-out metrics (lists with a positive label)",
        "",
        "| part | ranking | " + " | ".join(_metric_names(card)) + " |",
        "| --- | --- | " + " | ".join("---" for _ in _metric_names(card)) + " |",
    ]
    for part, rankings in card["metrics"].items():
        for ranking, values in rankings.items():
            cells = " | ".join(f"{values[m]:.4f}" for m in _metric_names(card))
            lines.append(f"| {part} | {ranking} | {cells} |")
    lines += ["", "## Feature importance (share of total gain)", ""]
    lines += [f"* `{name}`: {share:.3f}" for name, share in card["importances"].items()]
    return "\n".join(lines) + "\n"


def _metric_names(card: dict[str, Any]) -> list[str]:
    for rankings in card["metrics"].values():
        for values in rankings.values():
            return list(values)
    return []
