"""The promoted-model slot of a stored search template.

A template names its LTR model as ``"model": "{{model}}{{^model}}NAME{{/model}}"``: a caller
may pick a model (an experiment), and NAME is the promoted one. The file in ``scripts/``
carries the model to use before anything was promoted; in a cluster the slot belongs to
``mutuo ltr promote`` / ``rollback``, and ``mutuo apply`` keeps whatever model the installed
template names when it updates the rest of the template.
"""

from __future__ import annotations

import re

_SLOT = re.compile(r"\{\{\^model\}\}([^{}]*)\{\{/model\}\}")

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
