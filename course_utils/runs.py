"""The general experiment every lesson can use: build data, model and optimizer from settings, train, return a Run.

Experiments are pure, seeded functions ``settings -> result``: notebooks, widgets and tests call
the same functions, so what a slider shows is what the tests check. Each lesson's own experiments
live in its folder under :mod:`course_utils.lessons`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.utils.data import TensorDataset

from .callbacks import Callback, EarlyStopping, MaxSteps, check_callbacks
from .checks import check_choice, check_float, check_int
from .data import (
    make_blobs,
    make_moons,
    make_random_labels,
    make_regression,
    make_wave,
    sort_by_class,
    split_train_val,
)
from .history import DIVERGE_FACTOR, History
from .loop import train
from .models import check_hidden, make_mlp, make_optimizer

__all__ = ["DATASETS", "Run", "make_data", "run_training", "MODEL_SEED_OFFSET", "SHUFFLE_SEED_OFFSET"]

DATASETS = ("random", "moons", "blobs", "blobs_sorted", "regression", "wave")
"""Names :func:`make_data` knows: ``random`` (random features and random labels, 10 features,
2 classes), ``moons`` (2 classes, 2-D), ``blobs`` (4 classes, 2-D), ``blobs_sorted`` (blobs with the
training set stored sorted by class), ``regression`` (8 features), ``wave`` (1-D regression)."""

# Different purposes draw from differently seeded generators, so changing, say, the shuffling
# does not change the data or the starting weights.
MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET = 1000, 2000


@dataclass
class Run:
    """One training run: the settings it used, its History, and the trained model."""

    settings: dict[str, Any]
    history: History
    model: nn.Module = field(repr=False)

    @property
    def label(self) -> str:
        """A short legend entry for the settings that usually vary, e.g. ``"batch 32, lr 0.001"``."""
        s = self.settings
        return f"batch {s.get('batch_size')}, lr {s.get('lr'):g}"

    @property
    def title(self) -> str:
        """A plot title that says what was run."""
        s = self.settings
        hidden = s.get("hidden")
        net = "linear model" if hidden == () else f"MLP {tuple(hidden)}" if hidden is not None else "model"
        return (
            f"{net} on '{s.get('data')}' ({s.get('n_samples')} examples), {s.get('optimizer')} "
            f"lr={s.get('lr'):g}, batch {s.get('batch_size')}, {s.get('epochs')} epochs"
        )


def make_data(
    name: str = "moons",
    n_samples: int = 1000,
    val_fraction: float | None = 0.2,
    label_noise: float = 0.0,
    seed: int = 0,
) -> tuple[TensorDataset, TensorDataset | None]:
    """A named data set (see :data:`DATASETS`), split into training and validation parts.

    ``val_fraction=None`` keeps every example for training and returns ``(train, None)``.
    ``label_noise`` (moons only) flips that share of the labels.
    """
    check_choice("data", name, DATASETS)
    n_samples = check_int("n_samples", n_samples, minimum=2)
    label_noise = check_float("label_noise", label_noise, minimum=0.0, maximum=1.0)
    if label_noise and name != "moons":
        raise ValueError(f"label_noise={label_noise!r} only works with data='moons' (it flips the labels of the two "
                         f"moons), not with data={name!r}. Use data='moons', or leave label_noise at 0.")  # fmt: skip
    if name == "random":
        full = make_random_labels(n_samples, seed=seed)
    elif name == "moons":
        full = make_moons(n_samples, label_noise=label_noise, seed=seed)
    elif name in ("blobs", "blobs_sorted"):
        full = make_blobs(n_samples, seed=seed)
    elif name == "regression":
        full = make_regression(n_samples, seed=seed)
    else:
        full = make_wave(n_samples, seed=seed)
    train_set, val_set = (full, None) if val_fraction is None else split_train_val(full, val_fraction, seed=seed)
    if name == "blobs_sorted":
        train_set = sort_by_class(train_set)
    return train_set, val_set


def run_training(
    *,
    data: str = "moons",
    n_samples: int = 1000,
    val_fraction: float | None = 0.2,
    label_noise: float = 0.0,
    hidden: Sequence[int] = (32,),
    optimizer: str = "adam",
    lr: float = 1e-3,
    batch_size: int = 32,
    epochs: int = 5,
    shuffle: bool = True,
    accumulation_steps: int = 1,
    early_stopping_patience: int | None = None,
    max_steps: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Callback] = (),
    diverge_factor: float | None = DIVERGE_FACTOR,
) -> Run:
    """Train a fresh MLP on a named data set with these settings and return the Run.

    The same settings always give the same numbers. Bad settings raise an error that names the
    setting; a learning rate so large that the loss blows up is *not* an error: the Run's
    ``history.stop_reason`` then says ``"diverged at step N"``. ``diverge_factor`` is train()'s: a
    batch loss this many times the loss before the first step counts as diverged (``None``: only
    NaN or infinity does).
    """
    hidden = check_hidden(hidden)
    seed = check_int("seed", seed, minimum=0)
    callbacks = check_callbacks(callbacks)
    train_set, val_set = make_data(data, n_samples, val_fraction, label_noise, seed)
    X, y = train_set.tensors
    n_out = y.shape[1] if y.is_floating_point() else int(y.max()) + 1
    model = make_mlp(X.shape[1], hidden, n_out, seed=seed + MODEL_SEED_OFFSET)
    opt = make_optimizer(optimizer, model, lr)
    extra: list[Callback] = []
    if early_stopping_patience is not None:
        extra.append(EarlyStopping(check_int("early_stopping_patience", early_stopping_patience, minimum=1)))
    if max_steps is not None:
        extra.append(MaxSteps(check_int("max_steps", max_steps, minimum=1)))
    history = train(
        model,
        train_set,
        optimizer=opt,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed + SHUFFLE_SEED_OFFSET,
        val_data=val_set,
        accumulation_steps=accumulation_steps,
        callbacks=[*callbacks, *extra],
        diverge_factor=diverge_factor,
    )
    settings = dict(
        data=data, n_samples=n_samples, val_fraction=val_fraction, label_noise=label_noise, hidden=hidden,
        optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
        accumulation_steps=accumulation_steps, early_stopping_patience=early_stopping_patience,
        max_steps=max_steps, seed=seed,
    )  # fmt: skip
    return Run(settings, history, model)
