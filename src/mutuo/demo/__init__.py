"""The demo: a synthetic marketplace run through the real path."""
