"""Structural checks of a template's ``template`` block (settings, mappings, aliases).

These catch what a reader of the file would call a typo, with a pointer to it; whether
OpenSearch accepts the block as a whole is checked by installing every template into an
in-memory embedded engine (:mod:`.index_templates`).
"""

from __future__ import annotations

from typing import Any

from ..model import Problem, pointer

_BLOCK_KEYS = {"settings", "mappings", "aliases"}
_SPACES = {"l2", "cosinesimil", "innerproduct", "l1", "linf", "hamming"}


def check_template_block(path: str, block: dict[str, Any], where: tuple[str, ...]) -> list[Problem]:
    problems = []
    for key in block:
        if key not in _BLOCK_KEYS:
            problems.append(
                Problem(path, pointer(*where, key), f"unknown key; expected {sorted(_BLOCK_KEYS)}")
            )
    if "settings" in block and not isinstance(block["settings"], dict):
        problems.append(Problem(path, pointer(*where, "settings"), "must be an object"))
    mappings = block.get("mappings")
    if mappings is not None:
        if not isinstance(mappings, dict):
            problems.append(Problem(path, pointer(*where, "mappings"), "must be an object"))
        else:
            problems += check_properties(
                path, mappings.get("properties", {}), (*where, "mappings", "properties")
            )
    return problems


def check_properties(path: str, properties: Any, where: tuple[str, ...]) -> list[Problem]:
    if not isinstance(properties, dict):
        return [Problem(path, pointer(*where), "must be an object of field definitions")]
    problems = []
    for name, spec in properties.items():
        at = (*where, name)
        if not isinstance(spec, dict):
            problems.append(Problem(path, pointer(*at), "a field definition must be an object"))
            continue
        if "properties" in spec:
            problems += check_properties(path, spec["properties"], (*at, "properties"))
        elif not isinstance(spec.get("type"), str):
            problems.append(
                Problem(
                    path, pointer(*at), "a field needs a [type] (or [properties] for an object)"
                )
            )
        elif spec["type"] == "knn_vector":
            problems += _check_vector(path, spec, at)
    return problems


def _check_vector(path: str, spec: dict[str, Any], at: tuple[str, ...]) -> list[Problem]:
    problems = []
    dimension = spec.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension <= 0:
        problems.append(
            Problem(
                path, pointer(*at, "dimension"), "a knn_vector needs a positive integer [dimension]"
            )
        )
    method = spec.get("method", {})
    space = (
        method.get("space_type", spec.get("space_type", "l2")) if isinstance(method, dict) else None
    )
    if space not in _SPACES:
        problems.append(
            Problem(
                path,
                pointer(*at, "method", "space_type"),
                f"unknown space_type {space!r}; known: {sorted(_SPACES)}",
            )
        )
    return problems
