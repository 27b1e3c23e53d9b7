"""Shared measurement helpers for benchmarks."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable
from typing import Any

import click
import numpy as np


def latency_stats(samples_ms: list[float] | np.ndarray) -> dict[str, float]:
    """p50/p90/p99/mean/min/max of latencies in milliseconds (rounded to 0.001 ms)."""
    arr = np.asarray(samples_ms, dtype=np.float64)
    if not len(arr):
        return {"n": 0}
    return {
        "n": len(arr),
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p90_ms": round(float(np.percentile(arr, 90)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
        "mean_ms": round(float(arr.mean()), 3),
        "min_ms": round(float(arr.min()), 3),
        "max_ms": round(float(arr.max()), 3),
    }


def time_calls(fn: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    """Run ``fn`` ``warmup + repeat`` times; the latencies (ms) of the measured runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def emit(report: dict[str, Any], as_json: bool) -> None:
    """Print a report: JSON for machines, an indented summary for people."""
    report = {**report, "machine": machine()}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    _print_tree(report, 0)


def _print_tree(node: Any, depth: int) -> None:
    pad = "  " * depth
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                click.echo(f"{pad}{key}:")
                _print_tree(value, depth + 1)
            else:
                click.echo(f"{pad}{key}: {value}")
    elif isinstance(node, list):
        for item in node:
            _print_tree(item, depth + 1)
            click.echo(f"{pad}-")
    else:
        click.echo(f"{pad}{node}")
