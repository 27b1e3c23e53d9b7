"""Ranking quality: metrics, datasets (LETOR) and evaluations with reproducible commands."""
