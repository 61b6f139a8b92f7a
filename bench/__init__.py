"""Benchmarks: national-scale data and timed scenarios (see bench/README.md)."""
