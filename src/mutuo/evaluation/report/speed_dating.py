"""The Speed Dating report: metric bars with intervals per ranker, NDCG by history length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..speed_dating.protocol import LABELS, METRICS
from ..speed_dating.run import SpeedDatingResult
from .figures import COLOURS, new_figure, save
from .page import Section, Table, write_page

METRIC_TITLES = {
    "ndcg@5": "NDCG@5",
    "ndcg@10": "NDCG@10",
    "precision@3": "Precision@3",
    "auc": "AUC",
}
LABEL_TITLES = {
    "mutual": "mutual matches (both said yes)",
    "like": "one-sided likes (viewer said yes)",
}
HISTORY_BINS = [(0, 0), (1, 4), (5, 7), (8, 10), (11, 13), (14, 99)]


def _metric_bars(summary: dict[str, Any], label: str, split: str, out_dir: Path) -> str:
    rankers = list(summary)
    fig, (ax,) = new_figure(9, 4.8)
    width = 0.8 / len(rankers)
    x = np.arange(len(METRICS))
    for i, name in enumerate(rankers):
        stats = [summary[name][label][m] for m in METRICS]
        means = np.array([s["estimate"] for s in stats])
        errors = np.array([[s["estimate"] - s["low"], s["high"] - s["estimate"]] for s in stats]).T
        ax.bar(
            x + (i - (len(rankers) - 1) / 2) * width,
            means,
            width,
            yerr=errors,
            capsize=3,
            label=name.replace("_", "-"),
            color=COLOURS[i % len(COLOURS)],
        )
    ax.set_xticks(x, [METRIC_TITLES[m] for m in METRICS])
    ax.set_ylim(0, 1.15)  # headroom: the legend sits above the bars, never on them
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("mean over test participants")
    ax.set_title(
        f"Speed Dating, {split} split: ranking {LABEL_TITLES[label]}\n"
        "bars: mean; whiskers: 95% bootstrap interval over participants"
    )
    ax.legend(title="ranker", loc="upper left", ncols=len(rankers), fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return save(fig, out_dir, f"metrics_{label}.png")


def _history_bin(history: int) -> int:
    return next(i for i, (lo, hi) in enumerate(HISTORY_BINS) if lo <= history <= hi)


def _by_history(result: SpeedDatingResult, out_dir: Path) -> str:
    fig, (ax,) = new_figure(8, 4.5)
    bins = np.array([_history_bin(c.history) for c in result.cases])
    used = sorted(set(bins.tolist()))
    labels = [
        f"{HISTORY_BINS[b][0]}"
        if HISTORY_BINS[b][0] == HISTORY_BINS[b][1]
        else f"{HISTORY_BINS[b][0]}-{HISTORY_BINS[b][1]}".replace("-99", "+")
        for b in used
    ]
    for i, (name, values) in enumerate(result.values.items()):
        ndcg = values["mutual"]["ndcg@10"]
        means = [
            np.nanmean(ndcg[bins == b]) if (~np.isnan(ndcg[bins == b])).any() else np.nan
            for b in used
        ]
        ax.plot(
            range(len(used)),
            means,
            marker="o",
            label=name.replace("_", "-"),
            color=COLOURS[i % len(COLOURS)],
        )
    counts = [
        int((~np.isnan(next(iter(result.values.values()))["mutual"]["ndcg@10"][bins == b])).sum())
        for b in used
    ]
    ax.set_xticks(
        range(len(used)), [f"{lab}\n(n={n})" for lab, n in zip(labels, counts, strict=True)]
    )
    ax.set_xlabel("viewer's dates in the training data (n = participants with a held-out match)")
    ax.set_ylabel("NDCG@10 of mutual matches")
    ax.set_ylim(0, 1)
    ax.set_title(f"Speed Dating, {result.split.name} split: quality by history length")
    ax.legend(title="ranker", fontsize="small")
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "ndcg_by_history.png")


def _tables(report: dict[str, Any]) -> list[Table]:
    tables = []
    for label in LABELS:
        rows = [
            [name]
            + [
                f"{r[label][m]['estimate']:.3f} [{r[label][m]['low']:.3f}, {r[label][m]['high']:.3f}]"
                for m in METRICS
            ]
            for name, r in report["rankers"].items()
        ]
        tables.append(Table([f"ranker ({label})", *[METRIC_TITLES[m] for m in METRICS]], rows))
    for name, by_label in report.get("gain", {}).items():
        rows = [
            [
                f"{label} {METRIC_TITLES[m]}",
                f"{g['estimate']:+.1%}",
                f"[{g['low']:+.1%}, {g['high']:+.1%}]",
                "yes" if g["excludes_zero"] else "no",
                str(g["participants"]),
            ]
            for label in LABELS
            for m, g in by_label[label].items()
        ]
        tables.append(
            Table(
                [
                    name.replace("_", " "),
                    "relative gain",
                    "95% interval",
                    "excludes 0",
                    "participants",
                ],
                rows,
            )
        )
    return tables


def write_speed_dating_report(result: SpeedDatingResult, out_dir: Path, command: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = result.to_json()
    images = [
        _metric_bars(report["rankers"], label, result.split.name, out_dir) for label in LABELS
    ]
    sections = [
        Section(
            "Ranking quality per ranker",
            "Each test participant ranks the partners "
            "held out from them; intervals are 95% bootstrap intervals over participants.",
            _tables(report),
            images,
        )
    ]
    if any(c.history for c in result.cases):
        sections.append(
            Section(
                "Quality by history length",
                "How many of the viewer's own decisions the rankers could learn from.",
                [],
                [_by_history(result, out_dir)],
            )
        )
    intro = (
        f"Columbia Speed Dating Experiment, split '{result.split.name}' (seed {result.seed}): "
        f"{report['meetings']['train']} training meetings, {report['meetings']['test']} held out, "
        f"{report['test_participants']} test participants."
    )
    return write_page(out_dir, "mutuo: Speed Dating evaluation", command, intro, sections)
