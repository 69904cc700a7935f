"""The first cell of every notebook: ``from course_utils import setup; setup()``."""

from __future__ import annotations

import platform

import torch

from .plots import use_course_style
from .repro import seed_everything

__all__ = ["setup", "environment_report"]


def setup(seed: int = 0, threads: int = 1) -> None:
    """Seed every random generator, use ``threads`` CPU threads, and set the course's plot style.

    One thread is the default: the course's models are small enough that a second thread does not
    make them faster (measured), and a workshop server shared by many learners stays responsive.
    """
    seed_everything(seed)
    torch.set_num_threads(threads)
    use_course_style()


def environment_report() -> dict[str, str]:
    """Versions and hardware, as plain strings (for the welcome notebook's environment check)."""
    import ipywidgets
    import matplotlib

    if torch.cuda.is_available():
        accelerator = f"CUDA GPU: {torch.cuda.get_device_name(0)}"
    elif torch.backends.mps.is_available():
        accelerator = "Apple MPS GPU"
    else:
        accelerator = "none (CPU only -- the course is built for this)"
    return {
        "Python": platform.python_version(),
        "PyTorch": torch.__version__,
        "ipywidgets": ipywidgets.__version__,
        "matplotlib": matplotlib.__version__,
        "CPU threads used by PyTorch": str(torch.get_num_threads()),
        "GPU": accelerator,
    }
