"""Declarative OpenSearch artifacts: load, validate, plan and apply them idempotently.

``apply`` (load/validate/plan/apply), ``model`` (artifacts, problems, plan items, the
kind protocol), ``kinds/`` (one module per artifact kind), ``compose`` and ``reindex``.
The package imports nothing eagerly: the sync mapping kind and the sync config import
each other's modules.
"""
