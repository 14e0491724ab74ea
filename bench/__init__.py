"""Benchmarks and the large-data generator. Not part of the test run: `make bench`, `python -m bench.generate`."""
