"""Report pages render: the HTML names every plot, and every plot is a non-empty PNG."""

from __future__ import annotations

from pathlib import Path

from mutuo.evaluation.report.speed_dating import write_speed_dating_report
from mutuo.evaluation.speed_dating.run import BASELINES, evaluate_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_page_with_images(page: Path, expected: set[str]) -> None:
    html = page.read_text(encoding="utf-8")
    for name in expected:
        image = page.parent / name
        assert f'src="{name}"' in html
        data = image.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000, name


def test_speed_dating_report_has_metric_bars_and_history_plot(tmp_path: Path, experiment) -> None:  # type: ignore[no-untyped-def]
    result = evaluate_data(experiment(), "dates", 0, BASELINES)
    page = write_speed_dating_report(result, tmp_path / "sd", "mutuo eval speed-dating X")
    assert page.name == "index.html"
    _assert_page_with_images(
        page, {"metrics_mutual.png", "metrics_like.png", "ndcg_by_history.png"}
    )
    html = page.read_text(encoding="utf-8")
    assert "<code>mutuo eval speed-dating X</code>" in html
    assert "popularity" in html and "NDCG@10" in html


def test_cold_start_report_leaves_out_the_history_plot(tmp_path: Path, experiment) -> None:  # type: ignore[no-untyped-def]
    result = evaluate_data(experiment(waves=4), "waves", 0, BASELINES)
    page = write_speed_dating_report(result, tmp_path / "sd", "cmd")
    _assert_page_with_images(page, {"metrics_mutual.png", "metrics_like.png"})
    assert not (page.parent / "ndcg_by_history.png").exists()
