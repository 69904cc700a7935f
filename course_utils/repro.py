"""Reproducibility: one call seeds every random number generator the course uses."""

from __future__ import annotations

import random

import numpy as np
import torch

from .checks import check_int

__all__ = ["seed_everything", "make_generator"]


def seed_everything(seed: int = 0) -> int:
    """Seed Python's, NumPy's and PyTorch's random number generators with ``seed``.

    Run it at the top of a notebook: every random draw after it (weight initialisation, shuffling,
    dropout) then comes out the same each time the notebook runs.
    """
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (seeds the global generator that other libraries use)
    torch.manual_seed(seed)
    return seed


def make_generator(seed: int) -> torch.Generator:
    """A private PyTorch random number generator, so one part of a run (say, shuffling) does
    not disturb the random numbers of another (say, weight initialisation)."""
    seed = check_int("seed", seed, minimum=0, maximum=2**63 - 1)
    return torch.Generator().manual_seed(seed)
