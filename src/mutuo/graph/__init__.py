"""Collaborative member vectors (``graph_vector``) from the like/match graph.

``mutuo graph build`` (or :func:`build_graph`) reads the like and match events of
``ubi_events``, factorises the normalised like graph with a truncated SVD (scipy) and
writes each member's ``graph_vector`` with partial updates; later runs fold only the
members whose edges changed into the stored basis. docs/graph.md explains the vectors.
"""

from .basis import GraphBasis
from .build import GraphBuildOptions, GraphBuildReport, build_graph
from .edges import EdgeSet, read_edges
from .factorize import factorize, fold_in

__all__ = [
    "EdgeSet",
    "GraphBasis",
    "GraphBuildOptions",
    "GraphBuildReport",
    "build_graph",
    "factorize",
    "fold_in",
    "read_edges",
]
