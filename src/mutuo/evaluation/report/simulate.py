"""The simulator report: Lorenz curves of exposure, time to first match of new members
(Kaplan-Meier), and the marketplace metrics per arm."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..marketplace import lorenz_of_impressions, times_to_first
from ..survival import kaplan_meier
from .figures import COLOURS, new_figure, save
from .page import Section, Table, write_page

if TYPE_CHECKING:
    from ...simulation import SimulationLog

# A Kaplan-Meier step with one member at risk jumps to 100%: the curves stop before that.
MIN_AT_RISK = 5
METRICS = [
    ("gini_impressions", "Gini of impressions"),
    ("gini_likes_received", "Gini of likes received"),
    ("members_with_match", "members with a match"),
    ("matches_per_1000_impressions", "matches / 1,000 impressions"),
    ("new_member_median_days_to_first_impression", "new: median days to 1st impression"),
    ("new_member_median_days_to_first_match", "new: median days to 1st match"),
    ("served_violation_share", "already-seen or filtered share"),
]


def _lorenz(logs: dict[str, SimulationLog], out_dir: Path) -> str:
    fig, (ax,) = new_figure(6.5, 5.5)
    ax.plot([0, 1], [0, 1], color="#999", linestyle=":", label="equal exposure")
    for colour, (name, log) in zip(COLOURS, logs.items(), strict=False):
        x, y = lorenz_of_impressions(log.marketplace)
        gini = log.metrics()["gini_impressions"]
        ax.plot(x, y, color=colour, label=f"{name} (Gini {gini:.2f})")
    ax.set_xlabel("share of members, least shown first")
    ax.set_ylabel("share of impressions")
    ax.set_title("Lorenz curves of exposure (impressions received)")
    ax.legend(loc="upper left")
    return save(fig, out_dir, "lorenz_impressions.png")


def _time_to_match(logs: dict[str, SimulationLog], out_dir: Path) -> str:
    fig, (ax,) = new_figure(7.5, 4.8)
    for colour, (name, log) in zip(COLOURS, logs.items(), strict=False):
        durations, observed = times_to_first(log.marketplace, {"match"}, both_sides=True)
        if not len(durations):
            continue
        times, survival = kaplan_meier(durations, observed)
        at_risk = np.array([np.sum(durations >= t) for t in times])
        kept = at_risk >= MIN_AT_RISK
        share = 1.0 - np.concatenate([[1.0], survival[kept]])
        steps = np.concatenate([[0.0], times[kept]])
        ax.step(steps, share, where="post", color=colour, label=name)
    ax.set_xlabel("days since joining")
    ax.set_ylabel("share of new members matched (Kaplan-Meier)")
    ax.set_ylim(0, 1)
    ax.set_title(f"New members: time to first match (until < {MIN_AT_RISK} remain at risk)")
    ax.legend(loc="upper left")
    return save(fig, out_dir, "time_to_first_match.png")


def _metric_bars(arms: dict[str, dict[str, Any]], out_dir: Path) -> str:
    keys = ["gini_impressions", "gini_likes_received", "members_with_match"]
    fig, axes = new_figure(11, 4.2, ncols=len(keys) + 1)
    names = list(arms)
    for ax, key in zip(axes, [*keys, "matches_per_1000_impressions"], strict=True):
        values = [arms[n][key] or 0.0 for n in names]
        ax.bar(names, values, color=COLOURS[: len(names)])
        ax.set_title(dict(METRICS)[key], fontsize=10)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle("Marketplace health per arm")
    return save(fig, out_dir, "arms.png")


def _table(arms: dict[str, dict[str, Any]]) -> Table:
    rows = [
        [title, *("—" if arms[n].get(key) is None else f"{arms[n][key]:g}" for n in arms)]
        for key, title in METRICS
    ]
    return Table(["metric", *arms], rows)


def _targets(targets: dict[str, Any]) -> Table:
    return Table(["target (both vs none)", "value"], [[k, str(v)] for k, v in targets.items()])


def write_simulate_report(
    report: dict[str, Any], logs: dict[str, SimulationLog], out_dir: Path, command: str
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = [
        Section(
            "Marketplace health per arm",
            "Same seeded world and days in every arm; only the rescore strengths differ.",
            [_table(report["arms"]), _targets(report["targets"])],
            [_metric_bars(report["arms"], out_dir)],
        ),
        Section(
            "Exposure",
            "Who gets seen: closer to the diagonal is fairer.",
            [],
            [_lorenz(logs, out_dir)],
        ),
        Section(
            "New members",
            "Members who joined during the run; those not matched by the end are censored.",
            [],
            [_time_to_match(logs, out_dir)],
        ),
    ]
    intro = (
        f"Synthetic marketplace: {report['members']} members, {report['days']} days, "
        f"seed {report['seed']}, policy {report['policy']}, rescore strengths {report['strengths']}."
    )
    return write_page(out_dir, "mutuo: marketplace simulation", command, intro, sections)
