"""Marketplace health figures of a hand-written event log."""

from __future__ import annotations

import pytest

from mutuo.evaluation.marketplace import Happening, MarketplaceLog, marketplace_metrics


def _log() -> MarketplaceLog:
    # a, b, c were there from the start; n1 joined on day 1, n2 on day 2; the run ends day 4
    log = MarketplaceLog(joined={"a": -5, "b": -5, "c": -5, "n1": 1.0, "n2": 2.0}, start=0, end=4)
    log.add(
        [
            Happening(0.1, "impression", "a", "b"),
            Happening(0.2, "impression", "c", "b"),
            Happening(0.3, "like", "a", "b"),
            Happening(0.4, "impression", "b", "a"),
            Happening(0.5, "like", "b", "a"),
            Happening(0.5, "match", "b", "a"),
            Happening(1.5, "impression", "a", "n1"),  # n1 shown half a day after joining
            Happening(1.6, "like", "a", "n1"),
            Happening(2.0, "impression", "n1", "a"),
            Happening(2.0, "like", "n1", "a"),
            Happening(2.0, "match", "n1", "a"),  # n1 matched 1 day after joining
        ]
    )
    log.served, log.violations = 5, 0
    return log


def test_attention_liquidity_and_new_member_times() -> None:
    m = marketplace_metrics(_log())
    counts = (m["members"], m["new_members"], m["impressions"], m["likes"], m["matches"])
    assert counts == (5, 2, 5, 4, 2)
    # impressions per member (a, b, c, n1, n2) = 2, 2, 0, 1, 0 -> Gini over all five:
    # sorted 0, 0, 1, 2, 2: sum (2i - n - 1) x_i = 0*1 + 2*2 + 4*2 = 12 over n * total = 25
    assert m["gini_impressions"] == pytest.approx(12 / 25)
    assert m["members_with_match"] == pytest.approx(3 / 5)  # a, b, n1
    assert m["matches_per_1000_impressions"] == pytest.approx(400.0)
    # n1: shown after 0.5 days; n2 never shown in its 2 days: censored, so only n1 is an
    # event: survival 1/2 after 0.5 days -> median 0.5
    assert m["new_member_median_days_to_first_impression"] == pytest.approx(0.5)
    assert m["new_member_median_days_to_first_match"] == pytest.approx(1.0)
    assert m["new_members_matched"] == pytest.approx(0.5)
    assert m["served_violation_share"] == 0.0


def test_median_is_none_when_most_new_members_never_got_there() -> None:
    log = MarketplaceLog(joined={"a": -1, "n1": 0.5, "n2": 0.5, "n3": 0.5}, start=0, end=3)
    log.add([Happening(1.0, "impression", "a", "n1")])
    m = marketplace_metrics(log)
    assert m["new_member_median_days_to_first_impression"] is None
    assert m["new_member_median_days_to_first_match"] is None
