"""Benchmarks: ``make bench`` (``python -m bench``) runs them against a stack of their own."""
