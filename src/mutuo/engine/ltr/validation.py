"""Checks an element passes before it is stored: the plugin's pre-check and ``validation``.

The pre-check compiles what can be compiled without an index (a model with its ranker and
normalizers, a set's templates and derived expressions, a feature's template); a
``validation`` block additionally runs the element as a query on a real index with the
given params, and nothing is stored if that search fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import IllegalArgumentError, OpenSearchError
from ..search import execute_search
from .elements import Element, StoredFeature, StoredFeatureSet, Validation
from .features import compile_feature, compile_featureset
from .model import check_model

if TYPE_CHECKING:
    from ..engine import Engine

VALIDATION_SIZE = 20


def precheck(element: Element) -> None:
    if isinstance(element, StoredFeature):
        compile_feature(element)
    elif isinstance(element, StoredFeatureSet):
        compile_featureset(element).validate()
    else:
        check_model(element)


def validate(engine: Engine, element: Element, validation: Validation) -> None:
    """Search ``validation.index`` with the element as a ``validating_ltr_query``."""
    body = {
        "query": {
            "validating_ltr_query": {
                element.type: element.to_source(),
                "validation": {"index": validation.index, "params": validation.params},
            }
        },
        "size": VALIDATION_SIZE,
    }
    try:
        execute_search(engine, engine.resolve(validation.index), body, {})
    except OpenSearchError as exc:
        raise IllegalArgumentError(
            "Cannot store element, validation failed.", caused_by=exc
        ) from None
