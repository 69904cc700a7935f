"""Lesson 09: shuffling.

The training set is stored sorted by class (``make_data("blobs_sorted")``: all of class 0, then
class 1, ...). :func:`run_shuffling` trains on it with or without reshuffling every epoch and
records which classes each batch held -- taken from the very batches the loop used, through the
loss function, not recomputed. :func:`compare_shuffling` does both runs with everything else equal.
:func:`first_batches` shows what a seeded generator does for reproducibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...checks import check_choice, check_float, check_int
from ...data import make_loader
from ...history import History
from ...loop import train
from ...models import OPTIMIZERS, make_mlp, make_optimizer
from ...runs import MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET, make_data

__all__ = ["ShuffleRun", "ShuffleComparison", "run_shuffling", "compare_shuffling", "first_batches",
           "prediction_shares"]  # fmt: skip

N_CLASSES = 4


class _ClassCounter(nn.Module):
    """Cross-entropy that also counts the classes of every training batch it sees.

    ``train()`` calls the loss function once per batch, with exactly that batch's targets, so the
    counts are the batches the loop really used. Calls without gradients (the evaluation after each
    epoch) are not training batches and are not counted.
    """

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.counts: list[torch.Tensor] = []
        self.loss = nn.CrossEntropyLoss()

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            self.counts.append(torch.bincount(target, minlength=self.n_classes))
        return self.loss(pred, target)


@dataclass
class ShuffleRun:
    """One run on the sorted data: its History, the model, and the class counts of every batch."""

    settings: dict[str, Any]
    history: History
    model: nn.Module = field(repr=False)
    class_counts: torch.Tensor = field(repr=False)  # (batches, classes): examples of each class per batch
    val_data: TensorDataset = field(repr=False)

    @property
    def shuffle(self) -> bool:
        return bool(self.settings["shuffle"])

    @property
    def label(self) -> str:
        return "reshuffled every epoch" if self.shuffle else "no shuffling (stored order)"

    @property
    def class_mix(self) -> torch.Tensor:
        """Share of each class in each batch (rows sum to 1)."""
        counts = self.class_counts.float()
        return counts / counts.sum(dim=1, keepdim=True).clamp(min=1)

    @property
    def single_class_batches(self) -> int:
        """Batches in which every example has the same class."""
        return int((self.class_counts.gt(0).sum(dim=1) == 1).sum())

    @property
    def train_accuracy(self) -> float:
        """Accuracy on the training set after the last finished epoch (NaN if none finished)."""
        return self.history.epoch_train_acc[-1] if self.history.epoch_train_acc else float("nan")

    @property
    def val_accuracy(self) -> float:
        """Accuracy on the validation set after the last finished epoch (NaN if none finished)."""
        return self.history.epoch_val_acc[-1] if self.history.epoch_val_acc else float("nan")

    @property
    def title(self) -> str:
        s = self.settings
        return (f"{self.label}: MLP (16) on 4 sorted blobs ({s['n_samples']} examples), {s['optimizer']} "
                f"lr={s['lr']:g}, batch {s['batch_size']}, {s['epochs']} epochs")  # fmt: skip


def run_shuffling(
    shuffle: bool = True,
    *,
    n_samples: int = 1000,
    batch_size: int = 32,
    epochs: int = 5,
    optimizer: str = "adam",
    lr: float = 0.003,
    seed: int = 0,
    shuffle_seed: int | None = None,
) -> ShuffleRun:
    """Train a 2 -> 16 -> 4 MLP on 4 blobs whose training part is stored sorted by class.

    ``shuffle=False`` hands out the batches in the stored order (class 0 first, ..., class 3 last);
    ``shuffle=True`` draws a new random order every epoch from a generator seeded with
    ``shuffle_seed`` (default: derived from ``seed``). 20% of the examples are kept for validation.
    The data and the starting weights depend on ``seed`` only, never on the shuffling.
    """
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, but got {shuffle!r} of type {type(shuffle).__name__}.")
    n_samples = check_int("n_samples", n_samples, minimum=20, maximum=20000)
    n_train = n_samples - round(n_samples * 0.2)  # what split_train_val keeps for training
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_train)
    epochs = check_int("epochs", epochs, minimum=1, maximum=200)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    shuffle_seed = seed + SHUFFLE_SEED_OFFSET if shuffle_seed is None else check_int("shuffle_seed", shuffle_seed,
                                                                                    minimum=0)  # fmt: skip
    train_set, val_set = make_data("blobs_sorted", n_samples, val_fraction=0.2, seed=seed)
    model = make_mlp(2, (16,), N_CLASSES, seed=seed + MODEL_SEED_OFFSET)
    loss_fn = _ClassCounter(N_CLASSES)
    history = train(model, train_set, optimizer=make_optimizer(optimizer, model, lr), epochs=epochs,
                    batch_size=batch_size, loss_fn=loss_fn, shuffle=shuffle, seed=shuffle_seed,
                    val_data=val_set)  # fmt: skip
    counts = torch.stack(loss_fn.counts) if loss_fn.counts else torch.zeros(0, N_CLASSES, dtype=torch.long)
    settings = dict(shuffle=shuffle, n_samples=n_samples, batch_size=batch_size, epochs=epochs, optimizer=optimizer,
                    lr=lr, seed=seed, shuffle_seed=shuffle_seed)  # fmt: skip
    return ShuffleRun(settings, history, model, counts, val_set)


@dataclass
class ShuffleComparison:
    """The same training twice, once in the stored (sorted) order, once reshuffled every epoch."""

    no_shuffle: ShuffleRun
    shuffled: ShuffleRun

    @property
    def runs(self) -> tuple[ShuffleRun, ShuffleRun]:
        return self.no_shuffle, self.shuffled

    def table(self) -> str:
        """Final accuracies and how many batches held a single class, as aligned text."""
        lines = [f"{'':30}{'train acc':>10}{'val acc':>10}{'one-class batches':>19}"]
        for r in self.runs:
            n = len(r.class_counts)
            lines.append(f"{r.label:30}{r.train_accuracy:>10.3f}{r.val_accuracy:>10.3f}"
                         f"{r.single_class_batches:>11} of {n}")  # fmt: skip
        return "\n".join(lines)


def compare_shuffling(
    *,
    n_samples: int = 1000,
    batch_size: int = 32,
    epochs: int = 5,
    optimizer: str = "adam",
    lr: float = 0.003,
    seed: int = 0,
) -> ShuffleComparison:
    """:func:`run_shuffling` with ``shuffle=False`` and with ``shuffle=True``, all else equal."""
    kwargs = dict(n_samples=n_samples, batch_size=batch_size, epochs=epochs, optimizer=optimizer, lr=lr, seed=seed)
    return ShuffleComparison(run_shuffling(False, **kwargs), run_shuffling(True, **kwargs))


def prediction_shares(run: ShuffleRun) -> list[float]:
    """Share of the validation examples the trained model assigns to each class (sums to 1)."""
    X, _ = run.val_data.tensors
    with torch.no_grad():
        predicted = run.model(X).argmax(dim=1)
    counts = torch.bincount(predicted, minlength=N_CLASSES).float()
    return (counts / counts.sum()).tolist()


def first_batches(
    seed: int | None, n_samples: int = 20, batch_size: int = 5, epochs: int = 2
) -> list[list[int]]:
    """The row numbers in the first batch of each epoch, from ``make_loader(..., shuffle=True, seed=seed)``.

    ``seed=None`` instead uses a plain ``DataLoader(shuffle=True)`` without a generator of its own: it
    then draws from PyTorch's global random numbers, which anything else (building a model, dropout)
    also draws from.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_samples)
    epochs = check_int("epochs", epochs, minimum=1)
    rows = TensorDataset(torch.arange(n_samples), torch.zeros(n_samples))
    if seed is None:
        loader: Sequence = torch.utils.data.DataLoader(rows, batch_size=batch_size, shuffle=True)
    else:
        loader = make_loader(rows, batch_size, shuffle=True, seed=seed)
    return [next(iter(loader))[0].tolist() for _ in range(epochs)]
