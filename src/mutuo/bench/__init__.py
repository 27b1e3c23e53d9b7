"""Benchmarks behind ``mutuo bench``: JSON reports with a raw baseline from the same run.

Speed is never asserted in unit tests (our machines are shared and noisy); it is
measured here, always next to a baseline measured in the same process so that the ratio
is meaningful even when the absolute numbers move.
"""
