"""Training Loop Lab: the code shared by the course's notebooks.

Layers, each importing only from the ones before it::

    checks, repro -> data -> models -> history, loop -> experiments -> plots, live -> widgets -> notebooks

The names most notebooks need are importable from here directly.
"""

from .data import (
    as_dataset,
    epoch_plan,
    make_blobs,
    make_line,
    make_loader,
    make_moons,
    make_random_labels,
    make_regression,
    make_wave,
    sort_by_class,
    split_train_val,
)
from .history import History, ema
from .loop import evaluate, train
from .models import count_parameters, make_linear, make_mlp, make_optimizer
from .repro import seed_everything
from .session import setup

__all__ = [
    "History",
    "as_dataset",
    "count_parameters",
    "ema",
    "epoch_plan",
    "evaluate",
    "make_blobs",
    "make_line",
    "make_linear",
    "make_loader",
    "make_mlp",
    "make_moons",
    "make_optimizer",
    "make_random_labels",
    "make_regression",
    "make_wave",
    "seed_everything",
    "setup",
    "sort_by_class",
    "split_train_val",
    "train",
]

__version__ = "0.1.0"
