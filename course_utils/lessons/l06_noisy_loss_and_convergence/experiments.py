"""Lesson 06: noisy loss curves and convergence.

* :func:`noisy_loss_run` trains one small classifier with mini-batches and keeps everything needed
  to plot its loss four ways: the loss of every step, its moving average, the mean of every epoch,
  and the loss on the *whole* training set, measured every few steps by :class:`FullLossProbe`.
* :func:`batch_loss_spread` freezes the weights and measures the loss of many different batches:
  each batch is a random sample of the data, so its loss is a random number around the full loss.
* :func:`trap_problem` and :func:`escape_experiment` test whether mini-batch noise helps: a one-weight
  model whose loss has a shallow valley (a trap) next to the best one, trained from many starts in
  the trap with full batches and with mini-batches, at the same learning rate and epochs.
* :func:`detect_plateau` decides, from a validation curve, where training would stop (patience and
  minimum improvement, exactly as :func:`course_utils.train` does for early stopping), and
  :func:`returns_table` measures how much each further stretch of epochs still bought.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...callbacks import Callback, EarlyStopping, LoopState, Patience, check_callbacks
from ...checks import check_choice, check_float, check_int
from ...contract import default_loss_fn
from ...data import as_dataset, label_noise_floor
from ...history import History
from ...loop import train
from ...models import OPTIMIZERS, make_mlp, make_optimizer
from ...repro import make_generator
from ...runs import MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET, make_data

__all__ = [
    "FullLossProbe",
    "NoisyRun",
    "noisy_loss_run",
    "epoch_lag",
    "probe_residuals",
    "BatchLossSpread",
    "batch_loss_spread",
    "spread_at_epoch",
    "spread_table",
    "LabelNoise",
    "label_noise_report",
    "TrapProblem",
    "trap_problem",
    "EscapeRun",
    "escape_experiment",
    "Plateau",
    "detect_plateau",
    "plateau_on_run",
    "returns_table",
]


# ----------------------------------------------------------------------------- the full-set loss


def _full_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: Callable) -> float:
    """Mean loss of ``model`` on all of ``(X, y)`` at its current weights; changes nothing."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        value = loss_fn(model(X), y).item()
    model.train(was_training)
    return value


class FullLossProbe(Callback):
    """A callback for :func:`course_utils.train`: every ``every`` steps, the loss on the whole data.

    The loss of a step is measured on one batch; this probe measures the same weights on *every*
    training example, which is what the step loss is only a noisy estimate of. It runs without
    gradients and in evaluation mode, so it does not change the training at all (tested: the final
    weights are identical bit for bit with and without it).

    After training, ``probe.steps[i]`` is a step count (0 = before the first update) and
    ``probe.losses[i]`` the full-data loss of the weights after that many updates.
    """

    def __init__(
        self, model: nn.Module, data: TensorDataset | tuple[torch.Tensor, torch.Tensor], every: int = 5,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    ) -> None:  # fmt: skip
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, but got {type(model).__name__}.")
        data = as_dataset(data, "data")
        self.model = model
        self.X, self.y = data.tensors
        self.every = check_int("every", every, minimum=1)
        self.loss_fn = default_loss_fn(self.y) if loss_fn is None else loss_fn
        self.steps: list[int] = []
        self.losses: list[float] = []

    def measure(self, step: int) -> None:
        """Record the full-data loss of the current weights as the value after ``step`` updates."""
        self.steps.append(step)
        self.losses.append(_full_loss(self.model, self.X, self.y, self.loss_fn))

    def on_train_begin(self, state: LoopState) -> None:
        if state.history.steps == 0:
            self.measure(0)

    def on_step_end(self, state: LoopState) -> None:
        if state.history.steps % self.every == 0:
            self.measure(state.history.steps)


# ----------------------------------------------------------------------------- one run, four views


@dataclass
class NoisyRun:
    """One mini-batch training run with everything needed to look at its loss in four ways.

    ``probe_steps``/``probe_loss``: the full training-set loss after that many steps;
    ``snapshots[e]``: the weights after ``e`` epochs (``snapshots[0]``: the starting weights).
    """

    settings: dict[str, Any]
    history: History
    probe_steps: list[int]
    probe_loss: list[float]
    snapshots: list[dict[str, torch.Tensor]] = field(repr=False)
    model: nn.Module = field(repr=False)
    train_set: TensorDataset = field(repr=False)
    val_set: TensorDataset = field(repr=False)

    @property
    def title(self) -> str:
        s = self.settings
        return (
            f"MLP {tuple(s['hidden'])} on moons ({len(self.train_set)} training examples, "
            f"{s['label_noise']:.0%} labels flipped), {s['optimizer']} lr={s['lr']:g}, batch {s['batch_size']}"
        )

    def model_at(self, epoch: int) -> nn.Module:
        """A copy of the model with the weights it had after ``epoch`` epochs (0 = at the start)."""
        epoch = check_int("epoch", epoch, minimum=0, maximum=len(self.snapshots) - 1)
        model = copy.deepcopy(self.model)
        model.load_state_dict(self.snapshots[epoch])
        return model


class _Snapshots(Callback):
    """Callback: a copy of the weights at the start and after every epoch."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.states = [copy.deepcopy(model.state_dict())]

    def on_epoch_end(self, state: LoopState) -> None:
        self.states.append(copy.deepcopy(self.model.state_dict()))


def noisy_loss_run(
    *,
    batch_size: int = 32,
    lr: float = 0.1,
    optimizer: str = "sgd",
    epochs: int = 10,
    hidden: Sequence[int] = (32, 32),
    n_samples: int = 1000,
    label_noise: float = 0.1,
    eval_every: int | None = 5,
    early_stopping_patience: int | None = None,
    min_delta: float = 0.0,
    seed: int = 0,
    callbacks: Sequence[Callback] = (),
) -> NoisyRun:
    """Train an MLP on the two-moons data (20% kept for validation) and probe the full-set loss.

    ``eval_every``: measure the loss on the whole training set every this many steps (``None``:
    never). ``label_noise``: the share of labels flipped at random, so that no model can reach zero
    loss. ``early_stopping_patience``/``min_delta``: stop early with
    :class:`~course_utils.callbacks.EarlyStopping` (``None``: train all epochs). ``callbacks``: more
    callbacks for :func:`course_utils.train` (your own, for example), called after the lesson's own.
    A learning rate so large that the loss blows up is a result, not an error: the history's
    ``stop_reason`` then reads ``"diverged at step N"``.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    epochs = check_int("epochs", epochs, minimum=1)
    n_samples = check_int("n_samples", n_samples, minimum=10)
    label_noise = check_float("label_noise", label_noise, minimum=0.0, maximum=0.5)
    if eval_every is not None:
        eval_every = check_int("eval_every", eval_every, minimum=1)
    hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
    train_set, val_set = make_data("moons", n_samples, 0.2, label_noise, seed)
    if batch_size > len(train_set):
        raise ValueError(
            f"batch_size={batch_size} is larger than the training set ({len(train_set)} examples). "
            f"Allowed: 1 to {len(train_set)}."
        )
    model = make_mlp(2, hidden, 2, seed=seed + MODEL_SEED_OFFSET)
    opt = make_optimizer(optimizer, model, lr)
    snapshots = _Snapshots(model)
    extra = check_callbacks(callbacks)
    own: list[Callback] = [snapshots]
    probe = None
    if eval_every is not None:
        probe = FullLossProbe(model, train_set, every=eval_every)
        own.append(probe)
    if early_stopping_patience is not None:
        own.append(EarlyStopping(check_int("early_stopping_patience", early_stopping_patience, minimum=1),
                                 min_delta))  # fmt: skip
    history = train(model, train_set, optimizer=opt, epochs=epochs, batch_size=batch_size,
                    seed=seed + SHUFFLE_SEED_OFFSET, val_data=val_set,
                    callbacks=[*own, *extra])  # fmt: skip
    settings = dict(batch_size=batch_size, lr=lr, optimizer=optimizer, epochs=epochs, hidden=hidden,
                    n_samples=n_samples, label_noise=label_noise, eval_every=eval_every,
                    early_stopping_patience=early_stopping_patience, min_delta=min_delta, seed=seed)  # fmt: skip
    return NoisyRun(
        settings, history, list(probe.steps) if probe else [], list(probe.losses) if probe else [],
        snapshots.states, model, train_set, val_set,
    )  # fmt: skip


def epoch_lag(run: NoisyRun) -> list[tuple[int, float, float]]:
    """For every epoch: ``(epoch, mean training loss during the epoch, full-set loss at its end)``.

    The mean is taken over batches seen with weights that kept improving during the epoch, so it
    describes the model of *mid-epoch*; the full-set loss describes the model you actually have.
    Needs a probe that measured at every epoch's last step (``eval_every`` dividing the steps per epoch).
    """
    at = dict(zip(run.probe_steps, run.probe_loss))
    rows = []
    for e, (end, mean) in enumerate(zip(run.history.epoch_steps, run.history.epoch_train_loss), start=1):
        rows.append((e, mean, at.get(end, math.nan)))
    return rows


def probe_residuals(run: NoisyRun, first_step: int = 0) -> list[float]:
    """Step loss minus the full-set loss *of the same weights*, for every probed step from ``first_step``.

    The probe after step ``p`` measured the weights that step ``p + 1`` then evaluated on its batch,
    so the difference is pure batch-sampling noise: how far one batch's loss lands from the truth.
    """
    first_step = check_int("first_step", first_step, minimum=0)
    losses = run.history.step_loss
    return [losses[p] - full for p, full in zip(run.probe_steps, run.probe_loss) if first_step <= p < len(losses)]


# ----------------------------------------------------------------------------- many batches, fixed weights


@dataclass
class BatchLossSpread:
    """The loss of ``n_batches`` random batches, all measured with the same weights."""

    batch_size: int
    losses: list[float]
    full_loss: float
    n_examples: int
    example_std: float
    label: str = ""

    @property
    def mean(self) -> float:
        return sum(self.losses) / len(self.losses)

    @property
    def std(self) -> float:
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.losses) / max(1, len(self.losses) - 1))

    @property
    def predicted_std(self) -> float:
        """Sampling theory for a batch drawn without replacement: ``s / sqrt(B) * sqrt((N - B) / (N - 1))``,
        with ``s`` the spread of the loss over single examples and ``N`` the number of examples."""
        n, b = self.n_examples, self.batch_size
        return self.example_std / math.sqrt(b) * math.sqrt((n - b) / max(1, n - 1))

    def summary(self) -> str:
        return (
            f"{len(self.losses)} batches of {self.batch_size}: mean {self.mean:.4f} (full data {self.full_loss:.4f}), "
            f"spread (std) {self.std:.4f}, middle 90% from {self.quantile(0.05):.4f} to {self.quantile(0.95):.4f}"
        )

    def quantile(self, q: float) -> float:
        values = sorted(self.losses)
        pos = check_float("q", q, minimum=0.0, maximum=1.0) * (len(values) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def batch_loss_spread(
    model: nn.Module, data: TensorDataset | tuple[torch.Tensor, torch.Tensor], batch_size: int = 32,
    n_batches: int = 1000, seed: int = 0, label: str = "",
) -> BatchLossSpread:  # fmt: skip
    """Freeze the weights and measure the mean loss of ``n_batches`` random batches of ``batch_size``.

    Each batch is ``batch_size`` different examples drawn at random (as a shuffled loader draws
    them). A batch's loss is the mean of its examples' losses, so every example's loss is computed
    once and the batches are averages of those: the same numbers as ``loss_fn(model(xb), yb)``, only
    a thousand times faster. The weights are not changed.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, but got {type(model).__name__}.")
    data = as_dataset(data, "data")
    X, y = data.tensors
    n = len(X)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n)
    n_batches = check_int("n_batches", n_batches, minimum=2)
    per_example = _per_example_losses(model, X, y)
    g = make_generator(seed)
    rows = torch.rand(n_batches, n, generator=g).argsort(dim=1)[:, :batch_size]  # distinct examples per batch
    batch_losses = per_example[rows].mean(dim=1)
    return BatchLossSpread(
        batch_size=batch_size, losses=batch_losses.tolist(), full_loss=per_example.mean().item(), n_examples=n,
        example_std=per_example.std().item(), label=label,
    )  # fmt: skip


def _per_example_losses(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(X)
        if y.is_floating_point():
            losses = ((out - y) ** 2).reshape(len(X), -1).mean(dim=1)
        else:
            losses = nn.functional.cross_entropy(out, y, reduction="none")
    model.train(was_training)
    return losses.double()


def spread_at_epoch(run: NoisyRun, *, epoch: int = 10, batch_size: int = 32, n_batches: int = 1000,
                    seed: int = 0) -> BatchLossSpread:  # fmt: skip
    """:func:`batch_loss_spread` with the weights ``run`` had after ``epoch`` epochs, on its training set."""
    if not isinstance(run, NoisyRun):
        raise TypeError(f"run must be the result of noisy_loss_run(...), but got {type(run).__name__}.")
    epoch = check_int("epoch", epoch, minimum=0, maximum=len(run.snapshots) - 1)
    when = "starting weights" if epoch == 0 else f"weights after epoch {epoch}"
    return batch_loss_spread(run.model_at(epoch), run.train_set, batch_size, n_batches, seed, label=when)


def spread_table(run: NoisyRun, *, epoch: int, batch_sizes: Sequence[int] = (8, 32, 128, 512),
                 n_batches: int = 1000, seed: int = 0) -> list[BatchLossSpread]:  # fmt: skip
    """The spread of batch losses at one set of weights for several batch sizes."""
    return [spread_at_epoch(run, epoch=epoch, batch_size=b, n_batches=n_batches, seed=seed) for b in batch_sizes]


# ----------------------------------------------------------------------------- the floor and the samples


@dataclass(frozen=True)
class LabelNoise:
    """How many labels of a run's training and validation sets were flipped, what that means for the floor
    of each set, and how much a validation loss of this many examples varies from sample to sample."""

    flipped_train: int
    n_train: int
    flipped_val: int
    n_val: int
    val_loss_std: float  # standard deviation of the validation loss from sample to sample: s / sqrt(n_val)

    @property
    def train_share(self) -> float:
        return self.flipped_train / self.n_train

    @property
    def val_share(self) -> float:
        return self.flipped_val / self.n_val

    @property
    def train_floor(self) -> float:
        """The floor for a set with this set's share of flipped labels."""
        return label_noise_floor(self.train_share)

    @property
    def val_floor(self) -> float:
        return label_noise_floor(self.val_share)


def label_noise_report(run: NoisyRun) -> LabelNoise:
    """Count the flipped labels in ``run``'s training and validation sets (by comparing with the same data
    made without label noise) and measure the sampling spread of its final validation loss."""
    if not isinstance(run, NoisyRun):
        raise TypeError(f"run must be the result of noisy_loss_run(...), but got {type(run).__name__}.")
    s = run.settings
    clean_train, clean_val = make_data("moons", s["n_samples"], 0.2, 0.0, s["seed"])
    if not (torch.equal(clean_train.tensors[0], run.train_set.tensors[0])
            and torch.equal(clean_val.tensors[0], run.val_set.tensors[0])):  # fmt: skip
        raise ValueError("the clean data do not line up with the run's data, so flipped labels cannot be counted.")
    flipped_train = int((clean_train.tensors[1] != run.train_set.tensors[1]).sum())
    flipped_val = int((clean_val.tensors[1] != run.val_set.tensors[1]).sum())
    X, y = run.val_set.tensors
    per_example = _per_example_losses(run.model, X, y)
    return LabelNoise(flipped_train, len(clean_train), flipped_val, len(X),
                      float(per_example.std() / math.sqrt(len(X))))  # fmt: skip


# ----------------------------------------------------------------------------- can the noise help?


@dataclass(frozen=True)
class TrapProblem:
    """Points ``(x, y)`` with ``y = sin(2x)`` plus a little noise, and the model ``prediction = sin(w * x)``.

    Its only weight ``w`` is the frequency. The mean squared error as a function of ``w`` (``grid``,
    ``loss``) has its lowest valley near ``w = 2`` and a shallower one near ``w = 5.2``: the trap.
    ``best_valley`` and ``trap_valley`` are the stretches of ``w`` between the hilltops around each
    (from a start inside a valley, small enough downhill steps never leave it).
    """

    x: torch.Tensor = field(repr=False)
    y: torch.Tensor = field(repr=False)
    grid: torch.Tensor = field(repr=False)
    loss: torch.Tensor = field(repr=False)
    best: float
    trap: float
    best_valley: tuple[float, float]
    trap_valley: tuple[float, float]

    def full_loss(self, w: torch.Tensor) -> torch.Tensor:
        """The mean squared error on all points, for each value in ``w``."""
        w = torch.as_tensor(w, dtype=torch.float32).reshape(-1)
        return ((torch.sin(w[:, None] * self.x) - self.y) ** 2).mean(dim=1)

    def region(self, w: float) -> str:
        """``"best"``, ``"trap"`` or ``"elsewhere"``: which valley ``w`` lies in."""
        if self.best_valley[0] < w < self.best_valley[1]:
            return "best"
        if self.trap_valley[0] < w < self.trap_valley[1]:
            return "trap"
        return "elsewhere"


@functools.lru_cache(maxsize=4)
def trap_problem(n_samples: int = 64, noise: float = 0.1, seed: int = 0) -> TrapProblem:
    """The trap problem (computed once per setting): ``n_samples`` points with x spread evenly at random
    over [-pi, pi]."""
    n_samples = check_int("n_samples", n_samples, minimum=4, maximum=10_000)
    noise = check_float("noise", noise, minimum=0.0, maximum=1.0)
    g = make_generator(seed)
    x = torch.rand(n_samples, generator=g) * 2 * math.pi - math.pi
    y = torch.sin(2.0 * x) + noise * torch.randn(n_samples, generator=g)
    grid = torch.linspace(-1.0, 20.0, 4201)
    loss = ((torch.sin(grid[:, None] * x) - y) ** 2).mean(dim=1)
    inner = range(1, len(grid) - 1)
    minima = [i for i in inner if loss[i] < loss[i - 1] and loss[i] <= loss[i + 1]]
    maxima = [i for i in inner if loss[i] > loss[i - 1] and loss[i] >= loss[i + 1]]
    best = min(minima, key=lambda i: loss[i])
    trap = min((i for i in minima if grid[i] > grid[best] + 1), key=lambda i: grid[i])  # the next valley up

    def valley(i: int) -> tuple[float, float]:
        return (float(grid[max(m for m in maxima if m < i)]), float(grid[min(m for m in maxima if m > i)]))

    return TrapProblem(x, y, grid, loss, float(grid[best]), float(grid[trap]), valley(best), valley(trap))


@dataclass(frozen=True)
class EscapeRun:
    """``runs`` trainings of the trap problem at one batch size, each from its own start in the trap.

    ``path[e]`` holds every run's weight after ``e`` epochs (``path[0]``: the starts); ``steps`` is
    the number of weight updates each run made.
    """

    batch_size: int
    lr: float
    epochs: int
    steps: int
    path: torch.Tensor = field(repr=False)
    problem: TrapProblem = field(repr=False)

    @property
    def start(self) -> torch.Tensor:
        return self.path[0]

    @property
    def end(self) -> torch.Tensor:
        return self.path[-1]

    @property
    def runs(self) -> int:
        return self.path.shape[1]

    def count(self, region: str) -> int:
        """How many runs ended in ``region`` (``"best"``, ``"trap"`` or ``"elsewhere"``)."""
        check_choice("region", region, ("best", "trap", "elsewhere"))
        return sum(self.problem.region(float(w)) == region for w in self.end)

    @property
    def label(self) -> str:
        n = len(self.problem.x)
        name = "full batch" if self.batch_size == n else f"batch {self.batch_size}"
        return f"{name}, lr {self.lr:g}, {self.epochs} epochs ({self.steps} steps)"

    def summary(self) -> str:
        return (f"{self.label:<46} best valley {self.count('best'):>2}/{self.runs}   still in the trap "
                f"{self.count('trap'):>2}   elsewhere {self.count('elsewhere'):>2}   mean final loss "
                f"{float(self.problem.full_loss(self.end).mean()):.3f}")  # fmt: skip


class _Frequencies(nn.Module):
    """``runs`` copies of the one-weight model ``sin(w * x)``, trained side by side (one weight each)."""

    def __init__(self, start: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(start.clone())

    def forward(self, xb: torch.Tensor) -> torch.Tensor:  # xb: (runs, batch) -> predictions, the same shape
        return torch.sin(self.w[:, None] * xb)


def escape_experiment(batch_size: int, lr: float = 0.2, epochs: int = 30, runs: int = 50, seed: int = 0,
                      problem: TrapProblem | None = None) -> EscapeRun:  # fmt: skip
    """Train ``runs`` copies of the trap problem's model with plain SGD, each from its own random start in
    the trap valley and with its own shuffled batches (``batch_size`` = all points: full-batch descent).

    The runs are independent: the loss is the sum of each run's own batch loss, so each weight gets
    exactly the gradient of its own batch, as if trained alone (the tests check this against ``train()``).
    """
    problem = trap_problem() if problem is None else problem
    n = len(problem.x)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True, maximum=10.0)
    epochs = check_int("epochs", epochs, minimum=1, maximum=5000)
    runs = check_int("runs", runs, minimum=1, maximum=1000)
    g = make_generator(seed)
    low, high = problem.trap_valley
    margin = 0.15 * (high - low)
    start = low + margin + (high - low - 2 * margin) * torch.rand(runs, generator=g)
    model = _Frequencies(start)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    path = [start.clone()]
    steps = 0
    for _ in range(epochs):
        order = torch.rand(runs, n, generator=g).argsort(dim=1)  # every run shuffles on its own
        for i in range(0, n, batch_size):
            idx = order[:, i : i + batch_size]
            loss = ((model(problem.x[idx]) - problem.y[idx]) ** 2).mean(dim=1).sum()  # each run: its batch's MSE
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
        path.append(model.w.detach().clone())
    return EscapeRun(batch_size, lr, epochs, steps, torch.stack(path), problem)


# ----------------------------------------------------------------------------- when to stop


@dataclass
class Plateau:
    """Where a patience rule stops on a validation curve.

    ``improved[i]`` says whether epoch ``i + 1`` beat the best loss so far by more than ``min_delta``;
    ``stop_epoch`` is the epoch after which training stops (``None``: the curve ran out first);
    ``best_epoch``/``best_loss``: the checkpoint to keep.
    """

    patience: int
    min_delta: float
    val_loss: list[float]
    improved: list[bool]
    best_epoch: int | None
    best_loss: float | None
    stop_epoch: int | None

    @property
    def epochs_saved(self) -> int:
        """Epochs of the curve that stopping would skip."""
        return 0 if self.stop_epoch is None else len(self.val_loss) - self.stop_epoch

    def summary(self) -> str:
        if self.best_epoch is None:
            return "no epochs to look at."
        keep = f"keep the weights of epoch {self.best_epoch} (validation loss {self.best_loss:.4f})"
        if self.stop_epoch is None:
            return f"patience={self.patience}, min_delta={self.min_delta:g}: never stops within " \
                   f"{len(self.val_loss)} epochs; {keep}."
        return (
            f"patience={self.patience}, min_delta={self.min_delta:g}: stops after epoch {self.stop_epoch} "
            f"of {len(self.val_loss)} ({self.epochs_saved} epochs not run); {keep}."
        )


def detect_plateau(val_loss: Sequence[float], patience: int = 5, min_delta: float = 0.0) -> Plateau:
    """Apply the early-stopping rule to a validation curve (one loss per epoch).

    An epoch *improves* when its loss is below the best so far by more than ``min_delta``. After
    ``patience`` epochs in a row without improvement, training stops. This is the same rule
    (:class:`~course_utils.callbacks.Patience`) that the ``EarlyStopping`` callback applies while training.
    A NaN loss never improves.
    """
    patience = check_int("patience", patience, minimum=1)
    min_delta = check_float("min_delta", min_delta, minimum=0.0)
    values = []
    for i, v in enumerate(val_loss):
        if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
            raise TypeError(f"val_loss[{i}] must be a number (one loss per epoch), but got {v!r}.")
        values.append(float(v))
    rule = Patience(patience, min_delta)
    improved: list[bool] = []
    stop = None
    for epoch, loss in enumerate(values, start=1):
        improved.append(rule.update(loss))
        if rule.exhausted:
            stop = epoch
            break
    return Plateau(patience, min_delta, list(values), improved, rule.best_epoch, rule.best_loss, stop)


def plateau_on_run(*, patience: int = 5, min_delta: float = 0.0, val_loss: Sequence[float] = (),
                   train_loss: Sequence[float] = ()) -> tuple[Plateau, list[float]]:  # fmt: skip
    """For the demo: the plateau of a fixed validation curve, plus the training curve to draw with it."""
    return detect_plateau(val_loss, patience, min_delta), list(train_loss)


def returns_table(history: History, checkpoints: Sequence[int] = (1, 2, 5, 10, 20, 40)) -> list[dict[str, float]]:
    """What each stretch of training bought: for every checkpoint epoch, the losses and the gains.

    Each row: ``epoch``, ``train_loss``, ``val_loss``, ``val_gain`` (how much the validation loss fell
    since the previous checkpoint; 0 for the first row, the baseline), ``gain_per_epoch`` (that drop
    divided by the epochs it took) and ``share`` (that drop as a fraction of the whole drop from the
    first to the last checkpoint; negative when the loss rose).
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be a History, but got {type(history).__name__}.")
    n = len(history.epoch_val_loss)
    if n == 0:
        raise ValueError("history has no validation losses: train with val_data to measure what epochs buy.")
    points = sorted({check_int("checkpoint", c, minimum=1, maximum=n) for c in checkpoints})
    val, tr = history.epoch_val_loss, history.epoch_train_loss
    total = val[points[0] - 1] - val[points[-1] - 1]
    rows, previous = [], None
    for c in points:
        gain = 0.0 if previous is None else val[previous - 1] - val[c - 1]
        epochs = 0 if previous is None else c - previous
        rows.append(dict(epoch=c, train_loss=tr[c - 1], val_loss=val[c - 1], val_gain=gain,
                         gain_per_epoch=gain / epochs if epochs else math.nan,
                         share=gain / total if total else math.nan))  # fmt: skip
        previous = c
    return rows
