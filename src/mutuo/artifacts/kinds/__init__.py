"""Artifact kinds in apply order: templates before the indices created from them.

Issue 7 adds stored scripts, search pipelines and LTR feature sets here: one module each
implementing :class:`mutuo.artifacts.model.ArtifactKind`, one line in :data:`KINDS`.
"""

from __future__ import annotations

from ..model import ArtifactKind
from . import component_templates, index_templates, indices, sync_mappings

KINDS: list[ArtifactKind] = [
    component_templates.KIND,
    index_templates.KIND,
    sync_mappings.KIND,
    indices.KIND,
]
