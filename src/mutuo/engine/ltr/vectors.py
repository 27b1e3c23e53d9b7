"""Feature vectors for a set of documents: every feature query executed once over the set.

For the documents of a window (a rescore window, the hits being logged, or every live
document when ``sltr`` is the main query) the result is a float32 matrix, one row per
document and one column per feature in ordinal order, plus which cells matched. A feature
query runs once, through :meth:`Query.run_window`, so it reads only those documents, or,
when its shape allows, together with the other features of its kind
(:mod:`.grouped`, the same values); derived features are evaluated column-wise
from the columns before them, as the plugin scores features in ordinal order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..queries import Matches, Query
from ..search_context import SearchContext
from .features import DerivedInputs, Prepared
from .grouped import Block, grouped_windows


@dataclass
class FeatureMatrix:
    values: np.ndarray  # float32 (docs, features): the score, or the default where unmatched
    matched: np.ndarray  # bool (docs, features)


def compute_features(
    ctx: SearchContext,
    ordinals: np.ndarray,
    prepared: list[Prepared],
    missing_value: float,
    boost: float = 1.0,
) -> FeatureMatrix:
    """Feature values of ``ordinals``; unmatched cells hold ``missing_value``.

    ``boost`` (the ``sltr`` boost) scales every feature query's score, as the plugin passes
    it to each feature's weight. Derived features see earlier columns as the model would
    (unmatched = ``missing_value``) and always match.
    """
    count = len(ordinals)
    values = np.full((count, len(prepared)), missing_value, dtype=np.float32)
    matched = np.zeros((count, len(prepared)), dtype=bool)
    done = set()
    for block in grouped_windows(ctx, ordinals, prepared):
        _fill_block(block, boost, values, matched)
        done.update(block.columns)
    for column, feature in enumerate(prepared):
        if feature is None or column in done:
            continue
        if isinstance(feature, Query):
            matches = feature.run_window(ctx, ordinals, scoring=True)
            _fill(matches, boost, values[:, column], matched[:, column])
        else:
            values[:, column] = _derived_column(feature, values, count)
            matched[:, column] = True
    return FeatureMatrix(values, matched)


def _fill_block(block: Block, boost: float, values: np.ndarray, matched: np.ndarray) -> None:
    """:func:`_fill` of each column of a block at once (the same float32 arithmetic)."""
    scores = block.scores if boost == 1.0 else block.scores * np.float32(boost)
    mask = np.broadcast_to(block.mask, scores.shape)
    columns = block.columns
    values[:, columns] = np.where(mask, scores, values[:, columns].T).T
    matched[:, columns] = mask.T


def _fill(matches: Matches, boost: float, out_values: np.ndarray, out_matched: np.ndarray) -> None:
    hit = matches.mask
    if matches.scores is None:
        scores = np.full(len(hit), matches.constant, dtype=np.float32)
    else:
        scores = matches.scores.astype(np.float32, copy=False)
    if boost != 1.0:
        scores = scores * np.float32(boost)
    np.copyto(out_values, scores, where=hit)
    out_matched[:] = hit


def _derived_column(inputs: DerivedInputs, values: np.ndarray, count: int) -> np.ndarray:
    bindings = {name: np.asarray(value, dtype=np.float64) for name, value in inputs.params.items()}
    for name, ordinal in inputs.ordinals.items():
        bindings[name] = values[:, ordinal].astype(np.float64)
    result = inputs.expression.evaluate(bindings)
    return np.broadcast_to(result, (count,)).astype(np.float32)
