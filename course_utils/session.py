"""The first cell of every notebook: ``from course_utils import setup; setup()``."""

from __future__ import annotations

import torch

from .a11y import register_alt_text
from .plots import use_course_style
from .repro import seed_everything

__all__ = ["setup"]


def setup(seed: int = 0, threads: int = 1) -> None:
    """Seed every random generator, use ``threads`` CPU threads, set the course's plot style, and give
    every figure the notebook shows an alt text (:func:`course_utils.a11y.alt_for`) in its saved output.

    One thread is the default: the course's models are small enough that a second thread does not
    make them faster (measured), and a workshop server shared by many learners stays responsive.
    """
    seed_everything(seed)
    torch.set_num_threads(threads)
    use_course_style()
    register_alt_text()
