"""A document's k-NN measure must not depend on the batch it is computed in."""

from __future__ import annotations

import numpy as np
import pytest

from mutuo.engine.vector_spaces import raw_values


@pytest.mark.parametrize("space", ["cosinesimil", "innerproduct", "l2"])
def test_a_rows_value_is_the_same_alone_in_a_window_or_in_the_whole_index(space: str) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((600, 384)).astype(np.float32)
    query = rng.standard_normal(384).astype(np.float32)
    whole = raw_values(space, vectors, query)
    for start in range(0, 600, 7):
        for rows in ([start], [start, (start + 1) % 600, (start + 5) % 600], range(start, 600)):
            window = raw_values(space, vectors[list(rows)], query)
            assert window[0] == whole[start], (space, start, list(rows)[:3])
