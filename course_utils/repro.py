"""Reproducibility: one call seeds every random number generator the course uses."""

from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

from .checks import check_int

__all__ = ["seed_everything", "make_generator", "pin_cpu_numerics", "PINNED_CPU_NUMERICS"]

#: The environment variables :func:`pin_cpu_numerics` sets (where they are not set already).
PINNED_CPU_NUMERICS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}


def pin_cpu_numerics() -> bool:
    """Make every x86-64 CPU with AVX2 compute the same floating-point results, bit for bit.

    A seed fixes the random numbers, not the arithmetic: PyTorch picks its vectorised kernels (and
    MKL its matrix-multiply code) by the CPU it finds, and an AVX-512 machine adds up in a different
    order from an AVX2 one. The last bits differ, a few hundred training steps grow them into a
    different third digit, and a notebook saved on one laptop no longer prints what it prints on
    another. Asking both libraries for their AVX2 code paths (``ATEN_CPU_CAPABILITY=avx2``,
    ``MKL_CBWR=AVX2``) makes an AVX-512 machine print what an AVX2 one prints (the saved notebooks'
    numbers), for a cost the bench (``python -m bench``) puts within its noise for these models.

    Both variables are read when PyTorch runs its first operation, so this must run before any
    tensor is computed: ``import course_utils`` calls it. A value already set is left alone (set
    ``ATEN_CPU_CAPABILITY=default`` to see what your own CPU computes). Other CPUs (ARM, a Mac
    with Apple silicon) and x86 CPUs without AVX2 are left as they are: their last bits differ,
    so a few printed digits may too. Returns whether the AVX2 paths were asked for.
    """
    if platform.machine().lower() not in {"x86_64", "amd64"} or not torch.cpu._is_avx2_supported():
        return False
    for name, value in PINNED_CPU_NUMERICS.items():
        os.environ.setdefault(name, value)
    return True


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


pin_cpu_numerics()  # on import (course_utils imports this module first), before any tensor is computed
