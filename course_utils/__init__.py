"""Training Loop Lab: the code shared by the course's notebooks.

The core, each module importing only from the ones before it::

    checks, repro -> data -> models -> history -> callbacks, contract -> loop -> lr_finder, checkpoint,
    measure, runs -> plots -> live, widgets, exercises, session

and one folder per notebook under :mod:`course_utils.lessons`, importing only the core.
The names most notebooks need are importable from here directly.
"""

from . import repro as repro  # first: pins the CPU numerics (repro.pin_cpu_numerics) before any tensor
from .callbacks import BestWeights, Callback, EarlyStopping, LoopState, MaxSteps
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
    "BestWeights",
    "Callback",
    "EarlyStopping",
    "History",
    "LoopState",
    "MaxSteps",
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
