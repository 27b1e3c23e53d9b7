"""Signals that change with time alone: new members and ageing counters.

Events update the members they touch; two kinds of members are touched by none:

* **new members** (synced, never seen by the worker: no ``signals_updated_at``) get their
  first signals at once, above all ``explore_bonus``, which is what gets them shown;
* **quiet members**, whose stored counters, bonus and exposure were computed a while ago
  (``signals_updated_at`` older than ``max_age_ms``): decayed counters keep falling and the
  bonus keeps halving while nothing happens, so they are recomputed as of now.

Both are written like event updates: partial, conditional on ``_seq_no`` (a conflict is
left for the next sweep, the member is still selected then).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opensearchpy import OpenSearch

from .apply import PROFILE_FIELDS, PROFILES, profile_signals
from .model import SignalsConfig


class Sweeper:
    def __init__(
        self,
        client: OpenSearch,
        config: SignalsConfig,
        clock: Callable[[], float],
        exposure_target: Callable[[], float],
        max_age_ms: float,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.exposure_target = exposure_target
        self.max_age_ms = max_age_ms

    def sweep(self, limit: int) -> int:
        """Recompute up to ``limit`` new or stale members; how many were written."""
        now = self.clock()
        query = {
            "bool": {
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": "signals_updated_at"}}]}},
                    {"range": {"signals_updated_at": {"lt": int(now - self.max_age_ms)}}},
                ],
                "minimum_should_match": 1,
            }
        }
        body = {
            "query": query,
            "sort": [{"signals_updated_at": {"order": "asc", "missing": "_first"}}],
            "_source": PROFILE_FIELDS,
            "seq_no_primary_term": True,
            "size": limit,
        }
        hits = self.client.search(index=PROFILES, body=body)["hits"]["hits"]
        if not hits:
            return 0
        target = self.exposure_target()
        actions: list[dict[str, Any]] = []
        for hit in hits:
            fields = profile_signals(hit["_source"], self.config).fields(now, target)
            fields["signals_updated_at"] = int(max(now, fields["signals_updated_at"]))
            meta = {
                "_index": PROFILES,
                "_id": hit["_id"],
                "if_seq_no": hit["_seq_no"],
                "if_primary_term": hit["_primary_term"],
            }
            actions += [{"update": meta}, {"doc": fields}]
        response = self.client.bulk(body=actions)
        return sum("error" not in next(iter(item.values())) for item in response["items"])
