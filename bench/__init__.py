"""Benchmarks: measure the course's speed and memory on this machine (``python -m bench``)."""
