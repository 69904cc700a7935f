"""What a training run records: the :class:`History` that :func:`course_utils.train` returns."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

__all__ = ["History", "EMA", "ema", "DIVERGE_FACTOR"]

DIVERGE_FACTOR = 1e4
"""train() stops a run as diverged when a batch loss is more than this many times the loss before
the first step. Healthy runs of the course stay below 20x, runs that recover from a spike below
1,200x; a learning rate far too large passes it within a few steps (see :func:`course_utils.train`)."""


@dataclass
class History:
    """Everything one run of :func:`course_utils.train` measured.

    Per step (one optimizer update each; ``len(step_loss) == steps``):
        ``step_loss``: the mean loss over the examples of that update;
        ``step_lr``: the learning rate the update used;
        ``step_samples``: how many examples went into it.
    Per epoch (one pass over the training data; only epochs that finished):
        ``epoch_train_loss``: mean loss over every example of the epoch, weighted by example;
        ``epoch_val_loss`` / ``epoch_val_acc``: on the validation data, after the epoch;
        ``epoch_train_acc``: accuracy on the training data after the epoch, measured like the
        validation accuracy so the two compare (classification, in-memory data and validation data);
        ``epoch_steps``: steps done by the end of the epoch; ``epoch_seconds``: its wall time
        (training only, without the validation measurements).
    Counters: ``steps`` (updates), ``batches`` (forward/backward passes; more than ``steps`` with
    gradient accumulation: ``ceil(batches_per_epoch / accumulation_steps)`` updates per epoch, the
    last group of an epoch being shorter when the batches do not divide evenly), ``epochs``
    (finished), ``samples_seen``; ``stop_reason`` says why it ended: ``"finished"``,
    ``"diverged at step N"``, ``"early stopping at epoch N"``, ``"interrupted"``, or the reason a
    callback gave.
    Divergence: ``start_loss`` is the loss before the first step (measured by train()'s check on
    up to 4096 training examples); a batch loss that is NaN, infinite, or more than
    ``diverge_factor`` times ``start_loss`` (default :data:`DIVERGE_FACTOR`, 10,000; ``None``: only
    NaN/infinite) stops the run before that step changes the weights: ``diverged_at_step`` is that
    step and ``diverged_loss`` the loss it reached; :meth:`summary` says both.
    Best epoch: ``best_epoch``/``best_val_loss`` (written by early stopping and checkpoint callbacks),
    ``restored_best`` (the weights of ``best_epoch`` were put back at the end).

    Only the ``record_*`` methods and :meth:`finish` write these fields.
    """

    batch_size: int = 0
    batches_per_epoch: int = 0
    accumulation_steps: int = 1
    step_loss: list[float] = field(default_factory=list)
    step_lr: list[float] = field(default_factory=list)
    step_samples: list[int] = field(default_factory=list)
    epoch_train_loss: list[float] = field(default_factory=list)
    epoch_train_acc: list[float] = field(default_factory=list)
    epoch_val_loss: list[float] = field(default_factory=list)
    epoch_val_acc: list[float] = field(default_factory=list)
    epoch_steps: list[int] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    steps: int = 0
    batches: int = 0
    epochs: int = 0
    samples_seen: int = 0
    wall_time: float = 0.0
    stop_reason: str = "not started"
    start_loss: float | None = None
    diverge_factor: float | None = None
    diverged_at_step: int | None = None
    diverged_loss: float | None = None
    best_epoch: int | None = None
    best_val_loss: float | None = None
    restored_best: bool = False

    # -- recording: the only code that writes the fields above (train() and teaching loops call these) --

    def record_step(self, loss: float, samples: int, lr: float, batches: int = 1) -> None:
        """One optimizer update: its mean loss over ``samples`` examples, the rate it used, its micro-batches."""
        self.steps += 1
        self.batches += batches
        self.samples_seen += samples
        self.step_loss.append(loss)
        self.step_samples.append(samples)
        self.step_lr.append(lr)

    def record_divergence(self, loss: float, batches: int = 0) -> str:
        """The loss of the next step was ``loss`` (NaN, infinite or far too large): returns the stop reason."""
        self.batches += batches
        self.diverged_at_step, self.diverged_loss = self.steps + 1, loss
        return f"diverged at step {self.diverged_at_step}"

    @property
    def loss_limit(self) -> float:
        """The largest batch loss that does not count as divergence: ``diverge_factor * start_loss``.

        The largest float when there is nothing to compare with (no factor, or no positive, finite
        ``start_loss``): then only NaN and infinity count.
        """
        start, factor = self.start_loss, self.diverge_factor
        if factor is None or start is None or not 0 < start < math.inf:
            return sys.float_info.max
        return min(factor * start, sys.float_info.max)

    def record_epoch(
        self, train_loss: float, seconds: float, val_loss: float | None = None, val_acc: float | None = None,
        train_acc: float | None = None,
    ) -> None:  # fmt: skip
        """A finished pass over the training data and, when measured, the validation numbers after it."""
        self.epochs += 1
        self.epoch_steps.append(self.steps)
        self.epoch_train_loss.append(train_loss)
        self.epoch_seconds.append(seconds)
        for values, value in ((self.epoch_val_loss, val_loss), (self.epoch_val_acc, val_acc),
                              (self.epoch_train_acc, train_acc)):  # fmt: skip
            if value is not None:
                values.append(value)

    def record_best(self, epoch: int, val_loss: float) -> None:
        """Epoch ``epoch`` has the lowest validation loss so far (early stopping and checkpoints call this)."""
        self.best_epoch, self.best_val_loss = epoch, val_loss

    def finish(self, stop_reason: str, wall_time: float) -> None:
        """The run is over: why, and how long it took."""
        self.stop_reason, self.wall_time = stop_reason, wall_time

    # -- reading ---------------------------------------------------------------------------------

    @property
    def diverged(self) -> bool:
        """True when the loss blew up (NaN, infinite, or far above where it started) and training stopped."""
        return self.diverged_at_step is not None

    def divergence(self) -> str:
        """In words, how far the loss had blown up: ``"loss 6.2e+06, 8.4e+06x its start (0.738)"``."""
        if not self.diverged:
            return ""
        loss, start = self.diverged_loss, self.start_loss
        text = f"loss {loss:.3g}"
        if loss is not None and math.isfinite(loss) and start is not None and 0 < start < math.inf:
            text += f", {loss / start:.2g}x its start ({start:.3g})"
        return text

    @property
    def final_train_loss(self) -> float:
        """The last finished epoch's mean training loss (or the last step's, if no epoch finished)."""
        if self.epoch_train_loss:
            return self.epoch_train_loss[-1]
        return self.step_loss[-1] if self.step_loss else math.nan

    def summary(self) -> str:
        """One line in words: why it stopped, how much work was done, where the losses ended."""
        reason = f"{self.stop_reason} ({self.divergence()})" if self.diverged else self.stop_reason
        parts = [
            f"{reason}: {self.epochs} epochs, {self.steps} steps, {self.samples_seen} samples "
            f"in {self.wall_time:.2f} s"
        ]
        if self.epoch_train_loss:
            parts.append(f"train loss {self.epoch_train_loss[-1]:.4f}")
        if self.epoch_val_loss:
            parts.append(f"val loss {self.epoch_val_loss[-1]:.4f}")
        if self.epoch_val_acc:
            parts.append(f"val accuracy {self.epoch_val_acc[-1]:.1%}")
        if self.restored_best:
            parts.append(f"weights restored from epoch {self.best_epoch}")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        """A plain dictionary (for JSON, or for comparing two runs)."""
        return asdict(self)

    def numbers(self) -> dict:
        """Everything measured except wall-clock times: equal for two runs with the same seed."""
        d = self.to_dict()
        d.pop("wall_time")
        d.pop("epoch_seconds")
        return d


class EMA:
    """A running exponential moving average with bias correction (as Adam and fastai's loss display use).

    Each :meth:`update` mixes ``beta`` parts the previous average with ``1 - beta`` parts the new
    value and returns the corrected average, so the first values are not pulled towards 0.
    Non-finite values are skipped (the average stays where it was).
    """

    def __init__(self, beta: float = 0.9) -> None:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta={beta!r} is out of range. Allowed: at least 0 and less than 1.")
        self.beta, self.avg, self.weight = beta, 0.0, 0.0

    def update(self, value: float) -> float:
        """Take the next value; return the smoothed value so far (NaN until a finite value arrived)."""
        if math.isfinite(value):
            self.avg = self.beta * self.avg + (1 - self.beta) * value
            self.weight = self.beta * self.weight + (1 - self.beta)
        return self.avg / self.weight if self.weight > 0 else math.nan


def ema(values: Sequence[float], beta: float = 0.9) -> list[float]:
    """The bias-corrected exponential moving average of ``values`` (see :class:`EMA`), one point per value.

    Each point is ``beta`` parts the previous average and ``1 - beta`` parts the new value, so the
    line follows the trend and ignores the bounce of single batches. Non-finite values are skipped.
    """
    average = EMA(beta)
    return [average.update(v) for v in values]
