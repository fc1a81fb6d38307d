"""Benchmarks (`make bench`): medians of repeated runs on the embedded stack."""
