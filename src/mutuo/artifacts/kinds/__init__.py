"""Artifact kinds in apply order: what an artifact refers to is installed before it.

A new kind is one module implementing :class:`mutuo.artifacts.model.ArtifactKind` and
one line in :data:`KINDS`.
"""

from __future__ import annotations

from ..model import ArtifactKind
from . import (
    component_templates,
    index_templates,
    indices,
    ltr_featuresets,
    ltr_models,
    search_pipelines,
    search_templates,
    sync_mappings,
)

KINDS: list[ArtifactKind] = [
    component_templates.KIND,
    search_pipelines.KIND,  # before the index templates whose settings may name them
    index_templates.KIND,
    ltr_featuresets.KIND,
    ltr_models.KIND,  # created from the feature sets
    search_templates.KIND,  # after the feature sets and models their sltr queries name
    sync_mappings.KIND,
    indices.KIND,
]
