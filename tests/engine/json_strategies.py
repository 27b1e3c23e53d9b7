"""Hypothesis strategies for arbitrary JSON documents over a few chosen member names,
shared by the tests that cut or split ``_source`` bytes (names that collide with the cut
ones, escaped names, and text full of JSON punctuation are what those tests need)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(names: list[str], alphabet: str) -> st.SearchStrategy[Any]:
    """Scalars, lists and objects (members named from ``names``), nested a few levels."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(alphabet=alphabet, max_size=8),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(names), inner, max_size=4),
        ),
        max_leaves=12,
    )
