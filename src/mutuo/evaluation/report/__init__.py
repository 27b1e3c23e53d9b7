"""Evaluation reports people can look at: an HTML page with PNG plots per run."""
