"""The Columbia Speed Dating Experiment as a reciprocal recommendation benchmark."""
