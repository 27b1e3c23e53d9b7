"""REST API groups of the embedded engine; each module's ``register`` adds its routes."""
