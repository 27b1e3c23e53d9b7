"""The promoted-model slot of a stored search template.

A template names its LTR model as ``"model": "{{model}}{{^model}}NAME{{/model}}"``: a caller
may pick a model (an experiment), and NAME is the promoted one. The file in ``scripts/``
carries the model to use before anything was promoted; in a cluster the slot belongs to
``mutuo ltr promote`` / ``rollback``, and ``mutuo apply`` keeps whatever model the installed
template names when it updates the rest of the template.

The marketplace stage is sized in the model's score units the same way: the template's
``"rescore_query_weight": {{score_spread}}{{^score_spread}}SPREAD{{/score_spread}}`` holds
the promoted model's score spread (recorded on its model card by ``mutuo ltr train``), so
``exposure_strength`` and ``explore_weight`` mean "this many typical score differences
between candidates" for whichever model ranks. Promotion moves both slots together.
"""

from __future__ import annotations

import re

_SLOT = re.compile(r"\{\{\^model\}\}([^{}]*)\{\{/model\}\}")
_SPREAD = re.compile(r"\{\{\^score_spread\}\}([^{}]*)\{\{/score_spread\}\}")

# The score spread of a model whose card records none: the hand-set linear baseline's,
# measured as the median within-window standard deviation of its scores over the
# simulator's recommend requests (README, "Marketplace simulator").
DEFAULT_SCORE_SPREAD = 0.15

# The templates whose slot promotion moves (the ones ranking with the mutuo-people set).
PROMOTED_TEMPLATES = ("mutuo-recommend", "mutuo-search")


def slot_model(source: str) -> str | None:
    """The model a template source ranks with by default (None: it has no slot)."""
    names = set(_SLOT.findall(source))
    if len(names) > 1:
        raise ValueError(f"the template names several default models: {sorted(names)}")
    return next(iter(names), None)


def with_slot_model(source: str, model: str) -> str:
    """``source`` with every default-model slot naming ``model``."""
    if not re.fullmatch(r"[^{}\s\"\\]+", model):
        raise ValueError(f"invalid model name {model!r}")
    return _SLOT.sub(lambda _m: "{{^model}}" + model + "{{/model}}", source)


def slot_spread(source: str) -> float | None:
    """The score spread a template source sizes its marketplace stage with by default."""
    values = {float(v) for v in _SPREAD.findall(source)}
    if len(values) > 1:
        raise ValueError(f"the template names several default score spreads: {sorted(values)}")
    return next(iter(values), None)


def with_slot_spread(source: str, spread: float) -> str:
    """``source`` with every default score-spread slot set to ``spread``."""
    if not (spread > 0 and spread < float("inf")):
        raise ValueError(f"a score spread must be a positive number, got {spread!r}")
    value = f"{spread:.6g}"
    return _SPREAD.sub(lambda _m: "{{^score_spread}}" + value + "{{/score_spread}}", source)
