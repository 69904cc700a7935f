"""Experiments: pure, seeded functions ``settings -> result`` behind every demo.

Notebooks, widgets and tests call the same functions, so what a slider shows is what the tests
check. ``core`` holds the general :func:`run_training`; each lesson's own experiments live in a
module of their own.
"""

from .core import DATASETS, Run, make_data, run_training

__all__ = ["DATASETS", "Run", "make_data", "run_training"]
