"""What a training run records: the :class:`History` that :func:`course_utils.train` returns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

__all__ = ["History", "ema"]


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
        validation accuracy so the two compare (classification with validation data only);
        ``epoch_steps``: steps done by the end of the epoch; ``epoch_seconds``: its wall time.
    Counters: ``steps`` (updates), ``batches`` (forward/backward passes; more than ``steps`` with
    gradient accumulation), ``epochs`` (finished), ``samples_seen``; ``stop_reason`` says why it
    ended: ``"finished"``, ``"diverged at step N"``, ``"early stopping at epoch N"`` or ``"interrupted"``.
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
    diverged_at_step: int | None = None
    best_epoch: int | None = None
    best_val_loss: float | None = None
    restored_best: bool = False

    @property
    def diverged(self) -> bool:
        """True when the loss became NaN or infinite and training stopped."""
        return self.diverged_at_step is not None

    @property
    def final_train_loss(self) -> float:
        """The last finished epoch's mean training loss (or the last step's, if no epoch finished)."""
        if self.epoch_train_loss:
            return self.epoch_train_loss[-1]
        return self.step_loss[-1] if self.step_loss else math.nan

    def summary(self) -> str:
        """One line in words: why it stopped, how much work was done, where the losses ended."""
        parts = [
            f"{self.stop_reason}: {self.epochs} epochs, {self.steps} steps, {self.samples_seen} samples "
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


def ema(values: Sequence[float], beta: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction (as Adam and fastai's loss display use).

    Each point is ``beta`` parts the previous average and ``1 - beta`` parts the new value, so the
    line follows the trend and ignores the bounce of single batches. Non-finite values are skipped.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta={beta!r} is out of range. Allowed: at least 0 and less than 1.")
    out, avg, weight = [], 0.0, 0.0
    for v in values:
        if math.isfinite(v):
            avg = beta * avg + (1 - beta) * v
            weight = beta * weight + (1 - beta)
        out.append(avg / weight if weight > 0 else math.nan)
    return out
