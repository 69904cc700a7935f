"""Data sets and batching.

Everything here is seeded: the same ``seed`` gives the same numbers on every run. Data sets are
plain :class:`torch.utils.data.TensorDataset` objects (``ds.tensors`` gives ``X`` and ``y``), so
what you learn here carries over to any PyTorch project.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import math
from dataclasses import dataclass

import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from .checks import check_bool, check_float, check_fraction, check_int
from .repro import make_generator

__all__ = [
    "as_dataset",
    "make_line",
    "make_wave",
    "make_regression",
    "make_moons",
    "label_noise_floor",
    "make_blobs",
    "make_random_labels",
    "sort_by_class",
    "split_train_val",
    "load_digits_split",
    "make_loader",
    "batch_loader",
    "check_batch_size",
    "POWERS_OF_TWO",
    "EpochPlan",
    "epoch_plan",
    "zen_of_python",
    "CharVocab",
    "make_next_char_data",
]


# ----------------------------------------------------------------------------- checking data


def as_dataset(data: TensorDataset | tuple[torch.Tensor, torch.Tensor], name: str = "data") -> TensorDataset:
    """Accept a ``TensorDataset`` or an ``(X, y)`` pair and check it can be trained on.

    Checks: exactly two tensors, the same number of rows, at least one row, and finite features.
    """
    if isinstance(data, TensorDataset):
        tensors = data.tensors
    elif isinstance(data, (tuple, list)):
        tensors = tuple(data)
    else:
        raise TypeError(
            f"{name} must be a TensorDataset or a pair (X, y) of tensors, but got {type(data).__name__}."
        )
    if len(tensors) != 2 or not all(isinstance(t, torch.Tensor) for t in tensors):
        kinds = ", ".join(type(t).__name__ for t in tensors)
        hint = ""
        if any(type(t).__module__ == "numpy" for t in tensors):
            hint = (" Turn NumPy arrays into tensors first: X = torch.tensor(X, dtype=torch.float32) and, for class "
                    "numbers, y = torch.tensor(y, dtype=torch.long).")  # fmt: skip
        elif any(isinstance(t, (list, tuple)) for t in tensors) and len(tensors) == 2:
            hint = " Turn lists into tensors first: torch.tensor(X, dtype=torch.float32)."
        raise TypeError(f"{name} must hold exactly two tensors, inputs X and targets y, but holds ({kinds}).{hint}")
    X, y = tensors
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{name}: X and y need one row per example, but got a 0-dimensional tensor.")
    if len(X) != len(y):
        raise ValueError(
            f"{name}: X has {len(X)} rows but y has {len(y)}; every example needs exactly one target."
        )
    if len(X) == 0:
        raise ValueError(f"{name} is empty (0 examples): there is nothing to train on.")
    if X.is_floating_point() and not torch.isfinite(X).all():
        raise ValueError(f"{name}: X contains NaN or infinite values; clean or drop those rows first.")
    if y.is_floating_point() and not torch.isfinite(y).all():
        raise ValueError(f"{name}: y contains NaN or infinite targets ({int((~torch.isfinite(y)).sum())} of them); "
                         "every loss would be NaN. Clean or drop those rows first.")  # fmt: skip
    return data if isinstance(data, TensorDataset) else TensorDataset(X, y)


# ----------------------------------------------------------------------------- synthetic data


def make_line(
    n_samples: int = 100, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.5, seed: int = 0
) -> TensorDataset:
    """Points near the line ``y = slope * x + intercept`` (x between -2 and 2).

    The smallest regression problem there is: a model with two parameters, a weight and a bias,
    can fit it. ``X`` has shape ``(n, 1)`` and ``y`` has shape ``(n, 1)``.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    slope, intercept = check_float("slope", slope), check_float("intercept", intercept)
    noise = check_float("noise", noise, minimum=0.0)
    g = make_generator(seed)
    x = torch.rand(n_samples, 1, generator=g) * 4 - 2
    y = slope * x + intercept + noise * torch.randn(n_samples, 1, generator=g)
    return TensorDataset(x, y)


def make_wave(n_samples: int = 200, noise: float = 0.3, seed: int = 0) -> TensorDataset:
    """A 1-D curve, ``y = sin(2x) + 0.5x`` plus noise, for x between -3 and 3.

    Curved enough that a straight line underfits it and a wide network can overfit its noise.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    noise = check_float("noise", noise, minimum=0.0)
    g = make_generator(seed)
    x = torch.rand(n_samples, 1, generator=g) * 6 - 3
    y = torch.sin(2 * x) + 0.5 * x + noise * torch.randn(n_samples, 1, generator=g)
    return TensorDataset(x, y)


def make_regression(n_samples: int = 1000, n_features: int = 8, noise: float = 0.1, seed: int = 0) -> TensorDataset:
    """A nonlinear regression problem: the target is a fixed random smooth function of the features.

    ``X`` is standard normal with shape ``(n, n_features)``; ``y`` has shape ``(n, 1)``.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    noise = check_float("noise", noise, minimum=0.0)
    g = make_generator(seed)
    X = torch.randn(n_samples, n_features, generator=g)
    w1 = torch.randn(n_features, 1, generator=g) / math.sqrt(n_features)
    w2 = torch.randn(n_features, 1, generator=g) / math.sqrt(n_features)
    y = torch.sin(2 * X @ w1) + 0.5 * (X @ w2) + noise * torch.randn(n_samples, 1, generator=g)
    return TensorDataset(X, y)


def make_moons(n_samples: int = 1000, noise: float = 0.2, label_noise: float = 0.0, seed: int = 0) -> TensorDataset:
    """Two interleaved half circles in 2-D: a two-class problem a straight line cannot separate.

    ``label_noise`` is the fraction of examples whose class is flipped at random -- wrong labels
    that a big enough network will memorise (overfitting). ``y`` holds class indices 0 and 1.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    label_noise = check_float("label_noise", label_noise, minimum=0.0, maximum=1.0)
    g = make_generator(seed)
    y = torch.arange(n_samples) % 2
    t = torch.rand(n_samples, generator=g) * math.pi
    outer = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    inner = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
    X = torch.where(y[:, None] == 0, outer, inner) + noise * torch.randn(n_samples, 2, generator=g)
    X = (X - torch.tensor([0.5, 0.25])) / torch.tensor([0.85, 0.5])  # roughly zero mean, unit spread
    flip = torch.rand(n_samples, generator=g) < label_noise
    y = torch.where(flip, 1 - y, y)
    order = torch.randperm(n_samples, generator=g)
    return TensorDataset(X[order], y[order].long())


def label_noise_floor(label_noise: float) -> float:
    """The lowest cross-entropy any model can reach on average when this share of labels is flipped at random.

    Wherever the clean label is certain, a flipped label still appears with probability ``p``, so
    the best prediction is ``p`` vs ``1 - p`` and its loss is the entropy ``-p ln p - (1-p) ln(1-p)``.
    (Where the classes overlap, the floor is higher still.)
    """
    p = check_float("label_noise", label_noise, minimum=0.0, maximum=0.5)
    if p == 0.0:
        return 0.0
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def make_blobs(
    n_samples: int = 1000, n_classes: int = 4, n_features: int = 2, spread: float = 1.0, seed: int = 0
) -> TensorDataset:
    """A multi-class problem: one cloud of points per class, centres on a circle of radius 2.5.

    ``spread`` is each cloud's standard deviation; at the default the clouds overlap a little, so
    no model reaches 100% accuracy. ``y`` holds class indices ``0 .. n_classes-1``.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    n_features = check_int("n_features", n_features, minimum=2)
    spread = check_float("spread", spread, minimum=0.0, strict_minimum=True)
    g = make_generator(seed)
    angles = 2 * math.pi * torch.arange(n_classes) / n_classes
    centres = torch.zeros(n_classes, n_features)
    centres[:, 0], centres[:, 1] = 2.5 * torch.cos(angles), 2.5 * torch.sin(angles)
    y = torch.randint(0, n_classes, (n_samples,), generator=g)
    X = centres[y] + spread * torch.randn(n_samples, n_features, generator=g)
    return TensorDataset(X, y)


def make_random_labels(n_samples: int = 1000, n_features: int = 10, n_classes: int = 2, seed: int = 0) -> TensorDataset:
    """The course's minimal example: random features and random labels.

    There is no pattern to find, so the best a model can do on new data is guess (50% for two
    classes); whatever it learns about the training set is memorisation.
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    g = make_generator(seed)
    X = torch.randn(n_samples, n_features, generator=g)
    y = torch.randint(0, n_classes, (n_samples,), generator=g)
    return TensorDataset(X, y)


def sort_by_class(dataset: TensorDataset) -> TensorDataset:
    """The same examples, stored with all of class 0 first, then class 1, and so on.

    Data often arrives like this (one file per class, or sorted by date); without shuffling, every
    batch then holds a single class.
    """
    X, y = as_dataset(dataset, "dataset").tensors
    order = torch.argsort(y, stable=True)
    return TensorDataset(X[order], y[order])


def split_train_val(
    dataset: TensorDataset, val_fraction: float = 0.2, seed: int = 0
) -> tuple[TensorDataset, TensorDataset]:
    """Split into a training set and a validation set, drawn at random (seeded).

    The validation set is never trained on: it tells you how the model does on data it has not seen.
    """
    X, y = as_dataset(dataset, "dataset").tensors
    val_fraction = check_fraction("val_fraction", val_fraction)
    n_val = round(len(X) * val_fraction)
    if n_val < 1 or n_val >= len(X):
        raise ValueError(
            f"val_fraction={val_fraction} of {len(X)} examples leaves {n_val} for validation and "
            f"{len(X) - n_val} for training; both need at least one. Use more data or another fraction."
        )
    order = torch.randperm(len(X), generator=make_generator(seed))
    val, train = order[:n_val], order[n_val:]
    return TensorDataset(X[train], y[train]), TensorDataset(X[val], y[val])


def load_digits_split(
    val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0
) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """scikit-learn's bundled handwritten digits (1,797 images of 8x8 pixels, classes 0-9).

    The data ship inside scikit-learn, so nothing is downloaded. Pixels are scaled to 0..1 and
    flattened to 64 features. Returns ``(train, val, test)``.
    """
    from sklearn.datasets import load_digits  # imported here: only the capstone needs scikit-learn

    val_fraction = check_fraction("val_fraction", val_fraction)
    test_fraction = check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction = {val_fraction + test_fraction} leaves nothing to train on; "
            "allowed: a sum below 1."
        )
    digits = load_digits()
    X = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(X), generator=make_generator(seed))
    n_test, n_val = round(len(X) * test_fraction), round(len(X) * val_fraction)
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return TensorDataset(X[train], y[train]), TensorDataset(X[val], y[val]), TensorDataset(X[test], y[test])


# ----------------------------------------------------------------------------- batching

POWERS_OF_TWO = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
"""The batch sizes the course compares: each doubles the one before."""



def make_loader(
    dataset: TensorDataset, batch_size: int, *, shuffle: bool = True, drop_last: bool = False, seed: int = 0
) -> DataLoader:
    """A PyTorch ``DataLoader`` that hands out batches of ``batch_size`` examples.

    With ``shuffle=True`` the order is redrawn every epoch from a generator seeded with ``seed``,
    so runs are reproducible. The batches are *exactly* those of
    ``DataLoader(dataset, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))``,
    only faster: a ``BatchSampler`` picks a whole batch of row numbers at once and the tensors are
    indexed in one go, instead of fetching rows one by one and stacking them.
    """
    dataset = as_dataset(dataset, "dataset")
    return batch_loader(dataset, check_batch_size(batch_size, len(dataset)), shuffle=check_bool("shuffle", shuffle),
                        drop_last=check_bool("drop_last", drop_last), seed=seed)  # fmt: skip


def check_batch_size(batch_size: object, n_samples: int) -> int:
    """``batch_size`` as an int from 1 to ``n_samples``, or an error saying what is allowed."""
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if batch_size > n_samples:
        raise ValueError(
            f"batch_size={batch_size} is larger than the data set ({n_samples} examples). "
            f"Allowed: 1 to {n_samples}; batch_size={n_samples} is full-batch training."
        )
    return batch_size


def batch_loader(dataset: TensorDataset, batch_size: int, *, shuffle: bool, drop_last: bool, seed: int) -> DataLoader:
    """:func:`make_loader` for arguments already checked (``train()`` checks them once, at its edge)."""
    generator = make_generator(seed)
    order = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    sampler = BatchSampler(order, batch_size=batch_size, drop_last=bool(drop_last))
    # batch_size=None: the sampler already yields whole batches, so the loader must not batch again.
    return DataLoader(dataset, sampler=sampler, batch_size=None, generator=generator)


@dataclass(frozen=True)
class EpochPlan:
    """The arithmetic of a training schedule: how data set size and batch size become steps.

    ``batches_per_epoch`` counts forward/backward passes; ``steps_per_epoch`` and ``total_steps``
    count weight updates (optimizer steps): one per batch, or, with gradient accumulation, one per
    ``accumulation_steps`` batches -- and one for the shorter group at the end of an epoch when
    the batches do not divide evenly (that is what :func:`course_utils.train` does).
    """

    n_samples: int
    batch_size: int
    epochs: int
    drop_last: bool
    batches_per_epoch: int
    last_batch_size: int
    samples_per_epoch: int
    total_steps: int
    total_samples: int
    accumulation_steps: int = 1

    @property
    def steps_per_epoch(self) -> int:
        """Weight updates per epoch: ``ceil(batches_per_epoch / accumulation_steps)``."""
        return -(-self.batches_per_epoch // self.accumulation_steps)

    def __str__(self) -> str:
        last = "" if self.last_batch_size == self.batch_size else f" (the last one holds {self.last_batch_size})"
        k, rest = self.accumulation_steps, self.batches_per_epoch % self.accumulation_steps
        short = "" if rest == 0 else f" (the last one from {rest} batch{'es' if rest > 1 else ''})"
        updates = "" if k == 1 else (f", {k} batches per weight update (accumulation_steps={k}) -> "
                                     f"{self.steps_per_epoch} steps per epoch{short}")  # fmt: skip
        return (
            f"{self.n_samples} samples / batch {self.batch_size}"
            f"{' with drop_last' if self.drop_last else ''}: {self.batches_per_epoch} batches per epoch{last}"
            f"{updates}; {self.epochs} epochs -> {self.total_steps} steps (= weight updates), "
            f"{self.total_samples} samples processed"
        )


def epoch_plan(
    n_samples: int, batch_size: int, epochs: int = 1, drop_last: bool = False, accumulation_steps: int = 1
) -> EpochPlan:
    """Work out batches per epoch, the size of the last batch and the total number of weight updates.

    With ``accumulation_steps=k`` the gradients of ``k`` batches make one update, so an epoch has
    ``ceil(batches_per_epoch / k)`` steps: the last group is shorter when the batches do not divide
    evenly, and still makes its own update (as :func:`course_utils.train` does).

    >>> epoch_plan(1000, 32, 1).batches_per_epoch   # 31 full batches and one of 8
    32
    >>> epoch_plan(1000, 32, 1, accumulation_steps=3).total_steps   # 10 groups of 3 batches and one of 2
    11
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_samples)
    epochs = check_int("epochs", epochs, minimum=0)
    drop_last = check_bool("drop_last", drop_last)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1)
    full, rest = divmod(n_samples, batch_size)
    if drop_last or rest == 0:
        batches, last = full, batch_size
    else:
        batches, last = full + 1, rest
    per_epoch = full * batch_size if drop_last else n_samples
    steps = epochs * -(-batches // k)
    return EpochPlan(n_samples, batch_size, epochs, drop_last, batches, last, per_epoch, steps, per_epoch * epochs, k)


# ----------------------------------------------------------------------------- text


def zen_of_python() -> str:
    """The Zen of Python (``import this``), a short English text that ships with every Python."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the poem the first time
        import this
    return codecs.decode(this.s, "rot13")


class CharVocab:
    """Maps each distinct character of a text to a number (its token id) and back."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string to build a vocabulary from.")
        self.chars: list[str] = sorted(set(text))
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Characters -> a tensor of token ids."""
        unknown = sorted(set(text) - set(self._index))
        if unknown:
            raise ValueError(f"text contains characters not in the vocabulary: {''.join(unknown)!r}.")
        return torch.tensor([self._index[c] for c in text], dtype=torch.long)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """Token ids -> characters."""
        return "".join(self.chars[int(i)] for i in ids)


def make_next_char_data(text: str, context: int = 8) -> tuple[TensorDataset, CharVocab]:
    """Next-character prediction: each example is ``context`` characters, its target the next one.

    This is how a language model's training data look: the text itself provides the labels.
    """
    context = check_int("context", context, minimum=1)
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    if len(ids) <= context:
        raise ValueError(f"text has {len(ids)} characters; it needs more than context={context}.")
    X = ids.unfold(0, context, 1)[:-1]  # every window of `context` characters ...
    y = ids[context:]  # ... and the character that follows it
    return TensorDataset(X.clone(), y.clone()), vocab
