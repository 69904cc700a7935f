"""Lesson 04: batches, epochs, iterations.

* :func:`course_utils.data.epoch_plan` is the arithmetic (the calculator); nothing here redoes it.
* :func:`count_check` trains a real model through :func:`course_utils.train` and puts what its
  History (and a hook on the optimizer) counted next to what the calculator predicts.
* :func:`compare_batch_sizes` trains the same network on the same data for the same number of
  epochs with plain SGD at one fixed learning rate, three times: full batch, mini-batch and one
  example at a time. At regular checkpoints it measures the loss on the *whole* training set, so
  the three runs are judged by the same yardstick, against epochs, updates and wall-clock seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ...callbacks import Callback, LoopState
from ...checks import check_float, check_int
from ...data import EpochPlan, epoch_plan
from ...history import History
from ...loop import train
from ...models import make_mlp
from ...runs import MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET, make_data

__all__ = ["CountCheck", "count_check", "BatchRun", "BatchComparison", "compare_batch_sizes", "runs_by_kind"]


# ----------------------------------------------------------------------------- counters vs calculator


@dataclass
class CountCheck:
    """A real run's counters next to the calculator's prediction for the same settings."""

    plan: EpochPlan
    history: History
    optimizer_updates: int  # counted by a hook that the optimizer calls after every real update

    def rows(self) -> list[tuple[str, int, int]]:
        """``(what, calculator, measured)`` for every counter."""
        h, p = self.history, self.plan
        per_epoch = h.epoch_steps[0] if h.epoch_steps else 0
        last = h.step_samples[per_epoch - 1] if per_epoch else 0
        return [
            ("batches per epoch", p.batches_per_epoch, per_epoch),
            ("size of the last batch", p.last_batch_size, last),
            ("steps (iterations)", p.total_steps, h.steps),
            ("weight updates (optimizer hook)", p.total_steps, self.optimizer_updates),
            ("samples processed", p.total_samples, h.samples_seen),
            ("epochs", p.epochs, h.epochs),
        ]

    @property
    def agree(self) -> bool:
        """True when every measured counter equals the calculator's number."""
        return all(calc == seen for _, calc, seen in self.rows())

    def table(self) -> str:
        """The rows as aligned text."""
        lines = [f"{'':33}{'calculator':>12}{'real run':>10}"]
        lines += [f"{what:33}{calc:>12}{seen:>10}" for what, calc, seen in self.rows()]
        return "\n".join(lines)


def count_check(
    n_samples: int = 1000, batch_size: int = 32, epochs: int = 5, drop_last: bool = False, seed: int = 0
) -> CountCheck:
    """Train a small classifier on ``n_samples`` examples (4 blobs) and count what happened.

    The counts come from the run itself: the History that :func:`course_utils.train` records, and
    a hook registered on the optimizer that fires once per real ``optimizer.step()``.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    plan = epoch_plan(n_samples, batch_size, epochs, drop_last)  # checks batch_size, epochs
    data, _ = make_data("blobs", n_samples, val_fraction=None, seed=seed)
    model = make_mlp(2, (16,), 4, seed=seed + MODEL_SEED_OFFSET)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    updates: list[int] = []
    optimizer.register_step_post_hook(lambda opt, args, kwargs: updates.append(1))
    history = train(model, data, optimizer=optimizer, epochs=plan.epochs, batch_size=plan.batch_size,
                    drop_last=plan.drop_last, seed=seed + SHUFFLE_SEED_OFFSET)  # fmt: skip
    return CountCheck(plan, history, len(updates))


# ----------------------------------------------------------------------------- full vs mini vs one


@dataclass
class BatchRun:
    """One run of the comparison, measured on the whole training set at checkpoints.

    ``steps[i]``, ``epochs[i]``, ``seconds[i]`` and ``loss[i]`` describe checkpoint ``i``: after that
    many updates (and that many passes over the data, and that much training time, not counting the
    measuring itself) the mean loss over all training examples was ``loss[i]``. Checkpoint 0 is the
    untrained network.
    """

    kind: str  # "full batch", "mini-batch" or "one at a time"
    batch_size: int
    history: History
    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    final_accuracy: float = math.nan

    @property
    def label(self) -> str:
        """A legend entry, e.g. ``"mini-batch (32)"``."""
        return f"{self.kind} ({self.batch_size})"

    @property
    def updates(self) -> int:
        """Weight updates performed."""
        return self.history.steps

    @property
    def final_loss(self) -> float:
        """Whole-training-set loss at the last checkpoint (NaN when the run diverged)."""
        return self.loss[-1] if self.loss else math.nan

    @property
    def train_seconds(self) -> float:
        """Training time in seconds, without the time spent measuring the checkpoints."""
        return self.seconds[-1] if self.seconds else 0.0


@dataclass
class BatchComparison:
    """Full batch, a mini-batch size and one example at a time, under identical settings."""

    settings: dict[str, Any]
    runs: list[BatchRun]

    @property
    def title(self) -> str:
        s = self.settings
        return (f"MLP (16) on 4 blobs ({s['n_samples']} examples), plain SGD lr={s['lr']:g}, "
                f"{s['epochs']} epochs each")  # fmt: skip

    def table(self) -> str:
        """Updates and final loss/accuracy of each run, as aligned text (no times: they vary)."""
        lines = [f"{'run':22}{'batch':>7}{'updates':>9}{'final loss':>12}{'accuracy':>10}"]
        for r in self.runs:
            status = "" if not r.history.diverged else f"   ({r.history.stop_reason})"
            lines.append(f"{r.label:22}{r.batch_size:>7}{r.updates:>9}{r.final_loss:>12.4f}"
                         f"{r.final_accuracy:>10.3f}{status}")  # fmt: skip
        return "\n".join(lines)

    def time_table(self) -> str:
        """Training seconds per run and per update (measured: different on every machine and run)."""
        lines = [f"{'run':22}{'seconds':>9}{'ms per update':>15}{'examples per second':>21}"]
        for r in self.runs:
            secs = r.train_seconds
            per_update = 1000 * secs / max(r.updates, 1)
            rate = r.history.samples_seen / secs if secs > 0 else math.nan
            lines.append(f"{r.label:22}{secs:>9.3f}{per_update:>15.3f}{rate:>21,.0f}")
        return "\n".join(lines)


class _Probe(Callback):
    """A train() callback: at chosen steps, the loss on the whole training set, with the clock paused."""

    def __init__(self, model: nn.Module, X: torch.Tensor, y: torch.Tensor, checkpoints: set[int], per_epoch: int):
        self.model, self.X, self.y = model, X, y
        self.checkpoints, self.per_epoch = checkpoints, per_epoch
        self.steps: list[int] = []
        self.seconds: list[float] = []
        self.loss: list[float] = []
        self.start = self.paused = 0.0

    def on_train_begin(self, state: LoopState) -> None:
        self.start, self.paused = time.perf_counter(), 0.0
        self._measure(0, 0.0)

    def on_step_end(self, state: LoopState) -> None:
        if state.history.steps in self.checkpoints:
            elapsed = time.perf_counter() - self.start - self.paused
            self._measure(state.history.steps, elapsed)

    def _measure(self, step: int, elapsed: float) -> None:
        t0 = time.perf_counter()
        with torch.no_grad():
            value = nn.functional.cross_entropy(self.model(self.X), self.y).item()
        self.steps.append(step)
        self.seconds.append(elapsed)
        self.loss.append(value if math.isfinite(value) else math.nan)
        self.paused += time.perf_counter() - t0


def _checkpoints(total: int, per_epoch: int, points: int) -> set[int]:
    """About ``points`` steps: half spread evenly, half geometrically (dense at the start, for log
    axes), plus the first ten steps and the end of every epoch."""
    half = max(points // 2, 2)
    even = {round(1 + i * (total - 1) / (half - 1)) for i in range(half)}
    geometric = {round(total ** (i / (half - 1))) for i in range(half)}
    ends = set(range(per_epoch, total + 1, per_epoch))
    return {s for s in even | geometric | ends | set(range(1, 11)) if 1 <= s <= total}


def _one_run(kind: str, batch_size: int, epochs: int, n_samples: int, lr: float, seed: int, points: int) -> BatchRun:
    data, _ = make_data("blobs", n_samples, val_fraction=None, seed=seed)
    X, y = data.tensors
    model = make_mlp(2, (16,), 4, seed=seed + MODEL_SEED_OFFSET)  # the same start for every run
    plan = epoch_plan(n_samples, batch_size, epochs)
    probe = _Probe(model, X, y, _checkpoints(plan.total_steps, plan.batches_per_epoch, points),
                   plan.batches_per_epoch)  # fmt: skip
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = train(model, data, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                    seed=seed + SHUFFLE_SEED_OFFSET, callbacks=[probe])  # fmt: skip
    with torch.no_grad():
        accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
    run = BatchRun(kind, batch_size, history, probe.steps, [s / plan.batches_per_epoch for s in probe.steps],
                   probe.seconds, probe.loss, accuracy if not history.diverged else math.nan)  # fmt: skip
    return run


def _warm_up() -> None:
    """A few throwaway steps, so that PyTorch's first-call costs are not billed to the first run."""
    model = make_mlp(2, (16,), 4, seed=0)
    X, y = torch.zeros(8, 2), torch.zeros(8, dtype=torch.long)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-9)
    for n in (1, 8, 1, 8):
        loss = nn.functional.cross_entropy(model(X[:n]), y[:n])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def compare_batch_sizes(
    batch_size: int = 32,
    epochs: int = 5,
    *,
    n_samples: int = 256,
    lr: float = 0.1,
    seed: int = 0,
    points: int = 60,
    cache: dict | None = None,
) -> BatchComparison:
    """Train the same MLP three ways for ``epochs`` epochs: full batch, ``batch_size``, one example.

    Everything else is identical: the data (``n_samples`` examples of 4 blobs), the starting
    weights, plain SGD with learning rate ``lr``, the shuffling seed. Each run is measured at about
    ``points`` checkpoints (and at the end of every epoch) on the whole training set.

    ``cache``: pass the same dictionary on every call (a slider demo does) to reuse runs whose
    settings did not change -- moving the batch-size slider then re-trains only the mini-batch run.
    The numbers are the same with or without it; only the timings are those of the first time.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2, maximum=5000)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n_samples)
    epochs = check_int("epochs", epochs, minimum=1, maximum=100)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    points = check_int("points", points, minimum=2, maximum=1000)
    if cache is not None and not isinstance(cache, dict):
        raise TypeError(f"cache must be a dict (or None), but got {type(cache).__name__}.")
    seed = check_int("seed", seed, minimum=0)
    warmed = False
    runs = []
    for kind, size in (("full batch", n_samples), ("mini-batch", batch_size), ("one at a time", 1)):
        key = (size, epochs, n_samples, lr, seed, points)
        if cache is not None and key in cache:
            run = cache[key]
            run = BatchRun(kind, size, run.history, run.steps, run.epochs, run.seconds, run.loss, run.final_accuracy)
        else:
            if not warmed:
                _warm_up()
                warmed = True
            run = _one_run(kind, size, epochs, n_samples, lr, seed, points)
            if cache is not None:
                cache[key] = run
        runs.append(run)
    settings = dict(batch_size=batch_size, epochs=epochs, n_samples=n_samples, lr=lr, seed=seed, points=points)
    return BatchComparison(settings, runs)


def runs_by_kind(comparison: BatchComparison) -> dict[str, BatchRun]:
    """The runs of a comparison by their kind ("full batch", "mini-batch", "one at a time")."""
    return {r.kind: r for r in comparison.runs}
