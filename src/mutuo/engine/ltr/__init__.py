"""The Learning-to-Rank plugin (opensearch-learning-to-rank-base) in the embedded engine.

::

    REST /_ltr...            api_stores.py, api_elements.py
      └─ LtrPlugin           plugin.py   stores = hidden indices .ltrstore[_name]
           ├─ elements.py    feature / featureset / model documents (parse, serialise)
           ├─ validation.py  pre-check + "validation" search (validating_ltr_query)
           └─ cache.py       compiled elements per (store, name), evicted on change
    query sltr               queries/sltr.py
      ├─ features.py         mustache templates -> queries, derived_expression (expressions.py)
      ├─ vectors.py          each feature query once over the window -> float32 matrix
      └─ model.py            normalizers, then rankers/ (linear, ranklib, xgboost json/raw)
    ext ltr_log              features/ltr_log.py   fields._ltrlog of the returned hits

``register(router, engine)`` adds the REST routes and the plugin state
(``engine.extensions["ltr"]``); the query types and the ``ltr_log`` extension register
themselves in their packages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import analysis
from ..router import Router
from .api_elements import register_elements
from .api_stores import register_caches, register_stats, register_stores
from .plugin import LtrPlugin

if TYPE_CHECKING:
    from ..engine import Engine

# The store index's ``name.prefix`` sub-field: the plugin's pre-configured ``ltr_keyword``
# tokenizer with ``ltr_edge_ngram`` (1..512) at index time and ``ltr_length`` at search time.
_MAX_NAME = 512


def _name_prefix(text: str) -> list[str]:
    return [text[:n] for n in range(1, min(len(text), _MAX_NAME) + 1)]


def _name_prefix_search(text: str) -> list[str]:
    return [text] if len(text) <= _MAX_NAME else []


analysis.ANALYZERS.setdefault("name_prefix", _name_prefix)
analysis.ANALYZERS.setdefault("name_prefix_search", _name_prefix_search)


def register(router: Router, engine: Engine) -> None:
    plugin = LtrPlugin(engine)
    engine.extensions["ltr"] = plugin
    register_stores(router, engine, plugin)
    register_caches(router, engine, plugin)
    register_stats(router, engine, plugin)
    register_elements(router, engine, plugin)
