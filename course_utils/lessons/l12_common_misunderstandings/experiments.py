"""Lesson 12: five common misunderstandings about the training loop, each checked by a tiny real run.

Every function returns plain numbers (a small dataclass), so the notebook prints them and the tests
check the claim each one is meant to refute.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ...callbacks import Callback, LoopState
from ...checks import check_int
from ...data import make_line, make_loader, make_moons, make_random_labels, split_train_val
from ...history import History
from ...loop import train
from ...models import make_linear, make_mlp
from ...runs import run_training

__all__ = [
    "EpochCount",
    "updates_in_one_epoch",
    "BatchAnatomy",
    "batch_anatomy",
    "NoiseFloor",
    "noise_floor",
    "TooManyEpochs",
    "too_many_epochs",
    "BatchSizeEffect",
    "batch_size_effect",
    "Nudges",
    "nudges",
]


@dataclass(frozen=True)
class EpochCount:
    """One epoch of training, counted."""

    n_samples: int
    batch_size: int
    updates: int  # optimizer steps the run really took
    weights_changed: int  # how many times the first weight actually changed value


def updates_in_one_epoch(n_samples: int = 1000, batch_size: int = 32, seed: int = 0) -> EpochCount:
    """Train for exactly one epoch and count the updates -- and how often the weights really moved."""
    n_samples = check_int("n_samples", n_samples, minimum=2)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_samples)
    data = make_random_labels(n_samples, seed=seed)
    model = make_mlp(10, (32,), 2, seed=seed + 1)
    watcher = _WeightWatcher(model)
    history = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), epochs=1,
                    batch_size=batch_size, seed=seed, callbacks=[watcher])  # fmt: skip
    return EpochCount(n_samples, batch_size, history.steps, watcher.changes)


class _WeightWatcher(Callback):
    """A callback that counts the steps after which the model's weights had new values."""

    def __init__(self, model: nn.Module) -> None:
        self.model, self.changes = model, 0
        self.previous = [p.detach().clone() for p in model.parameters()]

    def on_step_end(self, state: LoopState) -> None:
        now = [p.detach().clone() for p in self.model.parameters()]
        self.changes += any(not torch.equal(a, b) for a, b in zip(self.previous, now))
        self.previous = now


def batch_anatomy(batch_size: int = 32, seed: int = 0) -> BatchAnatomy:
    """One batch of the minimal example (notebook 01) taken apart: its shape, per-example losses and gradients.

    Shows that the batch loss is the *mean* of ``batch_size`` per-example losses and the batch
    gradient the mean of ``batch_size`` per-example gradients.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1000)
    run = run_training(data="random", n_samples=1000, val_fraction=None, batch_size=batch_size, epochs=0, seed=seed)
    model = run.model
    data = make_random_labels(1000, seed=seed)
    xb, yb = next(iter(make_loader(data, batch_size, shuffle=True, seed=seed)))
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    per_example = loss_fn(model(xb), yb)
    weight = model[0].weight
    grads = []
    for i in range(batch_size):
        (g,) = torch.autograd.grad(per_example[i], weight, retain_graph=True)
        grads.append(g)
    mean_loss = per_example.mean()
    (batch_grad,) = torch.autograd.grad(mean_loss, weight)
    diff = (torch.stack(grads).mean(0) - batch_grad).abs().max().item()
    return BatchAnatomy(tuple(xb.shape), tuple(yb.shape), per_example.detach().tolist(), mean_loss.item(), diff)


@dataclass(frozen=True)
class BatchAnatomy:
    """What is inside one batch."""

    x_shape: tuple[int, ...]
    y_shape: tuple[int, ...]
    per_example_loss: list[float]
    batch_loss: float  # the mean of per_example_loss: the one number backward() starts from
    grad_difference: float  # max |mean of per-example gradients - batch gradient|


def _least_squares_line(X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """The exact best line through the points, from the closed form in float64 (bit-for-bit
    reproducible, unlike a multi-threaded LAPACK solver): w = cov(x, y) / var(x), b = mean(y) - w mean(x)."""
    x, t = X.double().flatten(), y.double().flatten()
    dx = x - x.mean()
    w = (dx * (t - t.mean())).sum() / (dx * dx).sum()
    return w.item(), (t.mean() - w * x.mean()).item()


@dataclass(frozen=True)
class NoiseFloor:
    """A line fitted to noisy points for longer and longer: where the loss stops."""

    noise_variance: float  # the variance of the noise added to the targets
    best_possible: float  # the loss of the exact least-squares line (no model of this kind does better)
    epochs: list[int]
    loss_after: list[float]  # training loss (full data, after each checkpoint epoch)


def noise_floor(noise: float = 0.5, n_samples: int = 500, seed: int = 0) -> NoiseFloor:
    """Fit ``y = w*x + b`` to points with noise of standard deviation ``noise``; the loss levels off
    at about ``noise**2``, not at zero, because no line passes through noisy points."""
    n_samples = check_int("n_samples", n_samples, minimum=10)
    data = make_line(n_samples, noise=noise, seed=seed)
    X, y = data.tensors
    w, b = _least_squares_line(X, y)
    best = nn.functional.mse_loss(w * X.double() + b, y.double()).item()
    model = make_linear(1, 1, seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    checkpoints, losses, done = [1, 2, 5, 10, 20, 40], [], 0
    for target in checkpoints:
        train(model, data, optimizer=opt, epochs=target - done, batch_size=50, seed=seed + done)
        done = target
        with torch.no_grad():
            losses.append(nn.functional.mse_loss(model(X), y).item())
    return NoiseFloor(noise**2, best, checkpoints, losses)


@dataclass(frozen=True)
class TooManyEpochs:
    """A flexible network trained far past its best epoch."""

    history: History
    best_epoch: int
    best_val_loss: float
    final_val_loss: float
    final_train_loss: float
    best_train_loss: float


def too_many_epochs(epochs: int = 150, n_train: int = 100, seed: int = 0) -> TooManyEpochs:
    """A flexible MLP on a few noisy two-moons examples (10% of labels flipped): validation loss
    falls, bottoms out, then rises while the training loss keeps falling."""
    epochs = check_int("epochs", epochs, minimum=2)
    n_train = check_int("n_train", n_train, minimum=10, maximum=1000)
    full = make_moons(n_train + 300, noise=0.25, label_noise=0.1, seed=seed)
    train_set, val_set = split_train_val(full, val_fraction=300 / (n_train + 300), seed=seed)
    model = make_mlp(2, (64, 64), 2, seed=seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    h = train(model, train_set, optimizer=opt, epochs=epochs, batch_size=n_train, val_data=val_set, seed=seed)
    best = min(range(len(h.epoch_val_loss)), key=h.epoch_val_loss.__getitem__)
    return TooManyEpochs(h, best + 1, h.epoch_val_loss[best], h.epoch_val_loss[-1], h.epoch_train_loss[-1],
                         h.epoch_train_loss[best])  # fmt: skip


@dataclass(frozen=True)
class BatchSizeEffect:
    """The same data, epochs and learning rate; only the batch size differs."""

    batch_sizes: list[int]
    steps: list[int]
    final_train_loss: list[float]
    final_val_loss: list[float]
    histories: list[History]


def batch_size_effect(batch_sizes: tuple[int, ...] = (8, 64, 512), epochs: int = 5, lr: float = 0.05,
                      seed: int = 0) -> BatchSizeEffect:  # fmt: skip
    """Train the same network on the two-moons data with several batch sizes and plain SGD."""
    runs = [run_training(data="moons", n_samples=1000, batch_size=b, epochs=epochs, optimizer="sgd", lr=lr,
                         hidden=(32,), seed=seed) for b in batch_sizes]  # fmt: skip
    return BatchSizeEffect(
        list(batch_sizes),
        [r.history.steps for r in runs],
        [r.history.final_train_loss for r in runs],
        [r.history.epoch_val_loss[-1] if r.history.epoch_val_loss else float("nan") for r in runs],
        [r.history for r in runs],
    )


@dataclass(frozen=True)
class Nudges:
    """The weights of ``y = w*x + b`` after every step of a run: many small, noisy corrections."""

    w: list[float]  # after step 0 (start), 1, 2, ...
    b: list[float]
    step_loss: list[float]
    target_w: float  # the least-squares line: where the nudges are heading
    target_b: float


class _Recorder(Callback):
    """A callback that writes down the line's two weights after every step."""

    def __init__(self, model: nn.Linear) -> None:
        self.model = model
        self.w, self.b = [model.weight.item()], [model.bias.item()]

    def on_step_end(self, state: LoopState) -> None:
        self.w.append(self.model.weight.item())
        self.b.append(self.model.bias.item())


def nudges(batch_size: int = 8, lr: float = 0.05, epochs: int = 5, seed: int = 0) -> Nudges:
    """Train a line on 200 noisy points and record where every step moved its two weights."""
    data = make_line(200, slope=2.0, intercept=-1.0, noise=0.5, seed=seed)
    w_best, b_best = _least_squares_line(*data.tensors)
    model = make_linear(1, 1, seed=seed)
    with torch.no_grad():  # start far from the answer so the journey is visible
        model.weight.fill_(-1.0)
        model.bias.fill_(2.0)
    recorder = _Recorder(model)
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=lr), epochs=epochs,
              batch_size=batch_size, seed=seed, callbacks=[recorder])  # fmt: skip
    return Nudges(recorder.w, recorder.b, h.step_loss, w_best, b_best)
