"""``merge_patch`` merges like ``deep_merge`` and names exactly the members whose merged
value differs from the stored one as JSON (types and the sign of zero included)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine.partial_update import deep_merge, merge_patch, same_json

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, 0.0, -0.0, 1.0, 2.5, "", "a", "1", "true"]),
    st.integers(-3, 3),
    st.text("ab", max_size=2),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)
    ),
    max_leaves=6,
)
documents = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), json_values, max_size=5)


@settings(max_examples=500, deadline=None)
@given(documents, documents)
def test_merge_patch_agrees_with_deep_merge_and_same_json(
    current: dict[str, Any], patch: dict[str, Any]
) -> None:
    merged, changed = merge_patch(current, patch)
    assert merged == deep_merge(current, patch)
    assert list(merged) == list(deep_merge(current, patch))
    expected = {
        key for key in patch if key not in current or not same_json(merged[key], current[key])
    }
    assert changed == expected


def test_a_patch_repeating_stored_values_changes_nothing() -> None:
    current = {"n": 1, "f": 0.0, "tags": ["a", "b"], "place": {"lat": 1.5, "lon": 2}, "x": None}
    patch = {"n": 1, "f": 0.0, "tags": ["a", "b"], "place": {"lon": 2}, "x": None}
    assert merge_patch(current, patch)[1] == frozenset()
    assert merge_patch(current, {"n": 1.0, "f": -0.0, "x": False})[1] == {"n", "f", "x"}
