"""Benchmarks run by ``gee bench``: each prints its figures and ends with one JSON line."""
