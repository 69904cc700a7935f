"""The learning-rate range test: try every learning rate once, on a copy of the run, and put everything back.

Leslie Smith's range test (2015), made popular by fast.ai's ``lr_find``: start with a tiny learning
rate and multiply it by the same factor after every mini-batch, until it is huge or the loss blows
up. Somewhat below the rate where the loss was lowest is a good rate to train with.

:func:`lr_range_test` differs from most implementations in two ways a course needs:

* it is **deterministic**: it trains with :func:`course_utils.train` on batches shuffled with
  ``seed``, and the global random state is forked, so two calls give identical numbers (and the
  notebook's own random numbers are not disturbed);
* it **puts everything back**: the model's weights and buffers, its ``.grad`` tensors, its
  train/eval mode, and the optimizer's state (momentum, Adam's averages, every param group's
  ``lr``) are exactly as before the call -- compared bit for bit in the tests.

The figure is :func:`course_utils.plots.plot_range_test`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import TensorDataset

from .callbacks import Callback, LoopState
from .checks import check_float, check_int
from .contract import check_model, check_optimizer
from .data import as_dataset
from .history import EMA
from .loop import train

__all__ = ["RangeTestResult", "lr_range_test", "suggest_lr"]


@dataclass
class RangeTestResult:
    """What :func:`lr_range_test` measured, one entry per mini-batch tried.

    ``suggested_lr`` is a tenth of the learning rate at the lowest smoothed loss (see
    :func:`suggest_lr` for why); ``stop_reason`` is ``"reached end_lr"`` or ``"loss blew up at step N"``.
    ``min_loss_lr`` (extra) is the learning rate at the lowest smoothed loss itself: the edge of the
    cliff, *not* a rate to train with.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggested_lr: float
    stop_reason: str
    min_loss_lr: float = math.nan

    @property
    def steps(self) -> int:
        """How many mini-batches were tried."""
        return len(self.lrs)

    @property
    def blew_up(self) -> bool:
        """True when the test stopped because the loss exploded (rather than reaching ``end_lr``)."""
        return self.stop_reason.startswith("loss blew up")

    def summary(self) -> str:
        """One line: how far it went, why it stopped, and the suggestion."""
        return (
            f"{self.steps} steps, lr {self.lrs[0]:.1e} -> {self.lrs[-1]:.1e}, {self.stop_reason}; "
            f"lowest smoothed loss at lr={self.min_loss_lr:.1e}; suggested lr={self.suggested_lr:.1e}"
        )


def lr_range_test(
    model: nn.Module,
    data: TensorDataset | tuple[torch.Tensor, torch.Tensor],
    *,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 32,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_steps: int = 100,
    smooth: float = 0.9,
    diverge_factor: float = 4.0,
    seed: int = 0,
) -> RangeTestResult:
    """Train for up to ``num_steps`` mini-batches with an exponentially growing learning rate.

    Step ``i`` (counting from 0) uses ``lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``:
    the same factor every step, so the rates are evenly spread on a log axis. The batches are
    shuffled (seeded by ``seed``) and the data are cycled through again if one epoch has fewer
    than ``num_steps`` batches. The test stops early when the smoothed loss rises above
    ``diverge_factor`` times its lowest value so far, or becomes NaN/infinite -- that step is kept,
    so a plot shows the blow-up.

    It is :func:`course_utils.train` with a callback that sets each step's rate and watches the
    loss; afterwards the model and the optimizer are restored exactly: the test only *looks*.

    Args:
        model: the network to probe (left unchanged).
        data: the training examples, a ``TensorDataset`` or ``(X, y)``.
        optimizer: built for this model's parameters; its kind (SGD, Adam, ...) matters, its ``lr`` does not
            (during the test every param group gets the test's rate; afterwards each gets its own back).
        loss_fn: defaults to cross-entropy for class numbers, mean squared error otherwise.
        batch_size: examples per mini-batch (use the batch size you will train with).
        start_lr, end_lr: the range to sweep, ``0 < start_lr < end_lr``.
        num_steps: mini-batches to try (at least 2).
        smooth: ``beta`` of the bias-corrected exponential moving average of the loss (0 = no smoothing).
        diverge_factor: stop when the smoothed loss exceeds this many times its minimum (more than 1).
        seed: seeds the batch order and any randomness inside the model (dropout).
    """
    data = as_dataset(data, "data")
    check_model(model)
    check_optimizer(model, optimizer)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=len(data))
    start_lr = check_float("start_lr", start_lr, minimum=0.0, strict_minimum=True)
    end_lr = check_float("end_lr", end_lr, minimum=0.0, strict_minimum=True)
    if end_lr <= start_lr:
        raise ValueError(
            f"end_lr={end_lr!r} must be larger than start_lr={start_lr!r}: the test sweeps the learning rate "
            "upwards, e.g. start_lr=1e-6, end_lr=10."
        )
    num_steps = check_int("num_steps", num_steps, minimum=2)
    sweep = _Sweep(start_lr, end_lr, num_steps, check_float("smooth", smooth, minimum=0.0, maximum=0.999),
                   check_float("diverge_factor", diverge_factor, minimum=1.0, strict_minimum=True))  # fmt: skip
    seed = check_int("seed", seed, minimum=0)

    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    saved_grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    was_training = model.training
    try:
        with torch.random.fork_rng(devices=[]):  # dropout etc. draw from a seeded, private stream
            torch.manual_seed(seed)
            epochs = math.ceil(num_steps / math.ceil(len(data) / batch_size))  # cycle through the data if needed
            train(model, data, optimizer=optimizer, epochs=epochs, batch_size=batch_size, loss_fn=loss_fn, seed=seed,
                  callbacks=[sweep], diverge_factor=None)  # the test has its own rule (see _Sweep)  # fmt: skip
    finally:  # even on Ctrl-C or an error inside the model: put everything back
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        for p, g in zip(model.parameters(), saved_grads):
            p.grad = g
        model.train(was_training)

    suggested, min_lr = suggest_lr(sweep.lrs, sweep.smoothed)
    return RangeTestResult(sweep.lrs, sweep.losses, sweep.smoothed, suggested, sweep.stop_reason, min_lr)


class _Sweep(Callback):
    """The range test as a callback: sets every step's learning rate, smooths the loss, stops at the blow-up."""

    def __init__(self, start_lr: float, end_lr: float, num_steps: int, smooth: float, factor: float) -> None:
        self.start_lr, self.ratio, self.num_steps = start_lr, end_lr / start_lr, num_steps
        self.average, self.factor = EMA(smooth), factor
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.stop_reason = "reached end_lr"

    def on_step_begin(self, state: LoopState) -> None:
        lr = self.start_lr * self.ratio ** (len(self.lrs) / (self.num_steps - 1))
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        self.lrs.append(lr)

    def on_step_end(self, state: LoopState) -> None:
        self.losses.append(state.history.step_loss[-1])
        self.smoothed.append(self.average.update(self.losses[-1]))
        best = min(self.smoothed[:-1], default=math.inf)
        if not math.isfinite(self.smoothed[-1]) or self.smoothed[-1] > self.factor * best:
            self.stop_reason = f"loss blew up at step {len(self.lrs)}"
            state.stop(self.stop_reason)
        elif len(self.lrs) == self.num_steps:
            state.stop("reached end_lr")

    def on_train_end(self, state: LoopState) -> None:
        if state.history.diverged:  # the loss itself became NaN or infinite: keep that step for the plot
            self.losses.append(state.history.diverged_loss)
            self.smoothed.append(math.nan)
            self.stop_reason = f"loss blew up at step {len(self.lrs)}"


def suggest_lr(lrs: list[float], smoothed: list[float]) -> tuple[float, float]:
    """Return ``(suggested_lr, min_loss_lr)`` for a range test's learning rates and smoothed losses.

    ``min_loss_lr`` is the learning rate at the lowest smoothed loss. The suggestion is a tenth of
    it: fast.ai's heuristic (its ``lr_min``), not Smith's rule -- Smith's test (2015) reads two bounds
    off the curve, where the loss starts to fall and where it stops falling. Why a tenth: at the
    lowest point the rate is already at the edge of the cliff -- the loss is about to blow up
    there -- and a run at that rate for many epochs (not one batch) usually bounces or diverges;
    one decade lower is still fast and safe.
    Why not "the steepest descent of the curve", the other common rule: it depends on the slope of
    a noisy curve. Measured on the course's five data sets (moons, blobs, regression, wave,
    digits) with SGD, momentum and Adam (an MLP with 32 hidden units, batch 32, 5 epochs), a run at
    min/10 ended with a training loss a median 1.06x (worst 2.4x) that of the best of 11 rates from
    1e-4 to 10; the steepest-slope rule (slope over +-0.25 decade, first 10% of steps skipped) a
    median 1.41x (worst 4.7x), and its plain version (slope between neighbouring steps) picked the
    very first rate, 1e-6, on three of the fifteen.
    """
    finite = [i for i, s in enumerate(smoothed) if math.isfinite(s)]
    if not finite:
        return math.nan, math.nan
    min_lr = lrs[min(finite, key=smoothed.__getitem__)]
    return min_lr / 10, min_lr
