"""A render remembers long sections and variables per context, never across contexts.

The oracle is the same render with nothing remembered (every section rendered where it
stands): equal output for templates that repeat a long section at the top level, inside
list iterations (a new context per item) and inside sections that push a value, with
variables whose name resolves differently per context.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine import mustache

LONG = '{"geo": {"lat": {{location.lat}}, "lon": {{location.lon}}, "name": "{{name}}"}}' * 8
TEMPLATE = (
    "[{{#location}}" + LONG + "{{/location}}, "
    "{{#people}}{{name}}: {{#location}}" + LONG + "{{/location}};{{/people}} "
    "{{^missing}}{{#location}}" + LONG + "{{/location}}{{/missing}} "
    "{{#flag}}{{name}} {{#location}}" + LONG + "{{/location}}{{/flag}}]"
)

names = st.text(alphabet='ab"\\é', max_size=3)
points = st.fixed_dictionaries(
    {"lat": st.floats(-90, 90, allow_nan=False), "lon": st.floats(-180, 180, allow_nan=False)}
)
people = st.lists(st.fixed_dictionaries({"name": names}, optional={"location": points}), max_size=3)


def _params(name: str, location: Any, crowd: list[dict[str, Any]], flag: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "people": crowd, "flag": flag}
    if location is not None:
        params["location"] = location
    return params


@settings(max_examples=60, deadline=None)
@given(
    name=names,
    location=st.one_of(st.none(), points),
    crowd=people,
    flag=st.one_of(st.booleans(), st.just({"name": "inner"}), st.just([{"name": "x"}, {}])),
)
def test_remembered_render_equals_plain_render(
    name: str, location: Any, crowd: list[dict[str, Any]], flag: Any
) -> None:
    params = _params(name, location, crowd, flag)
    remembered = mustache.render(TEMPLATE, params)
    plain = _plain_render(TEMPLATE, params)
    assert remembered == plain


def _plain_render(template: str, params: dict[str, Any]) -> str:
    """The render without any memo: a fresh dict for every node, so nothing is reused."""

    class Forgetful(dict[Any, Any]):
        def __setitem__(self, key: Any, value: Any) -> None:
            pass

    out: list[str] = []
    mustache._render_nodes(mustache.compiled(template), [params], True, out, Forgetful())
    return "".join(out)


def test_a_variable_resolves_per_list_item() -> None:
    template = "{{#people}}{{name}}{{/people}}{{name}}"
    params = {"name": "top", "people": [{"name": "a"}, {"name": "b"}, {}]}
    assert mustache.render(template, params) == "abtoptop"
