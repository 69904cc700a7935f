"""Lesson 07: the learning rate.

* :func:`compare_learning_rates` trains the same model on the same data at several rates.
* :func:`train_at_lr` is one such run (the slider demo).
* :func:`descent_path` records every step of ``torch.optim.SGD`` on a two-parameter model
  ``y = w*x + b``, whose loss surface can be drawn as a contour map (with or without momentum).
* :class:`StepSizeTheory` holds the formulas for the critical and the best step sizes on that map;
  :func:`momentum_steps`, :func:`compare_momentum` and :func:`frictionless` show what momentum does.
* :func:`compare_schedules` trains at a constant rate and with learning-rate schedules, fairly.
* :func:`range_test_then_train` runs the learning-rate range test and then trains at its
  suggestion, at a rate far below it and at one far above it.
* :func:`lr_sweep` measures the final loss over a grid of learning rates for several optimizers.

Every function is seeded and pure: the same settings give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...checks import check_choice, check_float, check_int
from ...loop import train
from ...lr_finder import RangeTestResult, lr_range_test
from ...models import OPTIMIZERS, make_mlp, make_optimizer
from ...repro import make_generator
from ...runs import DATASETS, MODEL_SEED_OFFSET, Run, make_data, run_training

__all__ = [
    "Problem",
    "compare_learning_rates",
    "train_at_lr",
    "make_offset_line",
    "DescentPath",
    "descent_path",
    "descent_paths",
    "StepSizeTheory",
    "momentum_steps",
    "MomentumComparison",
    "compare_momentum",
    "Frictionless",
    "frictionless",
    "compare_schedules",
    "RangeTestThenTrain",
    "range_test_then_train",
    "LrSweep",
    "lr_sweep",
]

@dataclass(frozen=True)
class Problem:
    """The lesson's standard problem, shared by every experiment that trains at some learning rate.

    1,000 examples of the 8-feature regression data (800 to train, 200 to validate), an
    8 -> 32 -> 1 MLP, batches of 32, 5 epochs (125 optimizer steps). Every experiment below takes
    these as keyword arguments (``lr_sweep(batch_size=128)``) and passes them on unchanged.
    """

    data: str = "regression"
    n_samples: int = 1000
    hidden: tuple[int, ...] = (32,)
    batch_size: int = 32
    epochs: int = 5
    seed: int = 0

    @classmethod
    def of(cls, settings: dict) -> Problem:
        """The problem with these settings changed; an unknown setting is named in the error."""
        unknown = sorted(set(settings) - {f.name for f in fields(cls)})
        if unknown:
            allowed = ", ".join(f.name for f in fields(cls))
            raise TypeError(f"unknown setting {unknown[0]!r}. The lesson's problem has: {allowed}.")
        problem = cls(**settings)
        check_choice("data", problem.data, DATASETS)
        return replace(problem, hidden=tuple(problem.hidden))

    def train(self, lr: float, optimizer: str = "sgd") -> Run:
        """A fresh MLP trained at ``lr``: the same start and the same batches for every rate."""
        return run_training(data=self.data, n_samples=self.n_samples, hidden=self.hidden, optimizer=optimizer,
                            lr=_lr("lr", lr), batch_size=self.batch_size, epochs=self.epochs, seed=self.seed)


def _lr(name: str, value: float) -> float:
    return check_float(name, value, minimum=0.0, strict_minimum=True)


def train_at_lr(lr: float = 0.1, *, optimizer: str = "sgd", **problem: object) -> Run:
    """Train a fresh MLP at learning rate ``lr`` on the lesson's :class:`Problem` (change it by keyword).

    A rate so large that the loss becomes NaN or infinite, or grows 10,000 times past its start, is a
    result, not an error: the run stops and ``run.history.stop_reason`` says ``"diverged at step N"``.
    """
    return Problem.of(problem).train(lr, optimizer)


def compare_learning_rates(lrs: Sequence[float] = (0.003, 0.3, 1.0), *, optimizer: str = "sgd",
                           **problem: object) -> list[Run]:  # fmt: skip
    """Train the *same* starting model on the *same* batches once per learning rate.

    Only the learning rate differs between the runs: data, starting weights and batch order are
    seeded identically (the lesson's :class:`Problem`, changed by keyword).
    """
    setting = Problem.of(problem)
    return [setting.train(lr, optimizer) for lr in _lr_list(lrs)]


def _lr_list(lrs: Sequence[float], name: str = "lrs") -> list[float]:
    if isinstance(lrs, (int, float)) or not isinstance(lrs, Sequence) or len(lrs) == 0:
        raise TypeError(f"{name} must be a non-empty list of learning rates such as (0.01, 0.1, 1.0), but got {lrs!r}.")
    return [_lr(f"{name}[{i}]", v) for i, v in enumerate(lrs)]


# ----------------------------------------------------------------------------- the loss surface of y = w*x + b


def make_offset_line(
    n_samples: int = 100, offset: float = 1.0, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.3,
    seed: int = 0,
) -> TensorDataset:  # fmt: skip
    """Points near ``y = slope*x + intercept`` with x spread evenly between ``offset - 1`` and ``offset + 1``.

    With ``offset=1`` every x is positive (0 to 2): raising the slope ``w`` raises every prediction,
    just like raising the bias ``b`` does, so the loss cannot tell the two apart well -- its valley is
    long, narrow and diagonal. ``offset=0`` (centred inputs) makes the valley nearly round.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    offset = check_float("offset", offset)
    noise = check_float("noise", noise, minimum=0.0)
    g = make_generator(seed)
    x = offset + (torch.rand(n_samples, 1, generator=g) * 2 - 1)
    y = slope * x + intercept + noise * torch.randn(n_samples, 1, generator=g)
    return TensorDataset(x, y)


@dataclass
class DescentPath:
    """The weights ``(w, b)`` after every step of gradient descent on ``y = w*x + b``.

    ``path[0]`` is the start, ``path[k]`` the weights after step ``k``; ``losses[k]`` the loss there.
    ``critical_lr`` = 2 / (the largest curvature of the loss): above it the path flies off.
    ``kind`` says, from the measured path, which of four behaviours it shows.
    """

    lr: float
    steps: int
    offset: float
    batch_size: int
    path: list[tuple[float, float]]
    losses: list[float]
    stop_reason: str
    w_best: float
    b_best: float
    curvatures: tuple[float, float]  # eigenvalues of the loss's Hessian, largest first
    moments: dict[str, float] = field(repr=False)  # mean of x, x^2, y, y^2, x*y: the loss anywhere in closed form
    momentum: float = 0.0  # SGD's momentum (beta); 0 = plain gradient descent
    precision: str = "float32"

    @property
    def theory(self) -> StepSizeTheory:
        """The step-size formulas for this valley (its two curvatures)."""
        return StepSizeTheory(*self.curvatures)

    @property
    def critical_lr(self) -> float:
        """The largest learning rate at which full-batch gradient descent still converges: 2 / curvature
        (with momentum beta: 2 * (1 + beta) / curvature)."""
        return self.theory.critical_lr(self.momentum)

    @property
    def predicted_rate(self) -> float:
        """The factor by which theory says the distance to the best weights shrinks per step (in the long run)."""
        return self.theory.rate(self.lr, self.momentum)

    def distances(self) -> list[float]:
        """Distance from the weights to the best ``(w, b)`` after every step (``[0]`` is the start)."""
        return [math.hypot(w - self.w_best, b - self.b_best) for w, b in self.path]

    def measured_rate(self, first: int = 10, last: int | None = None) -> float:
        """The measured factor per step: ``(distance[last] / distance[first]) ** (1 / (last - first))``.

        ``last`` defaults to the last step before the distance falls under 1e-6 of the start (float32
        rounding starts to show there; 1e-12 in float64) or the run ends.
        """
        d = self.distances()
        if last is None:
            floor = (1e-12 if self.precision == "float64" else 1e-6) * d[0]
            last = next((k - 1 for k, v in enumerate(d) if v < floor), len(d) - 1)
        if not 0 <= first < last < len(d):
            raise ValueError(f"measured_rate needs 0 <= first < last <= {len(d) - 1}, but got first={first}, "
                             f"last={last}: run more steps or start earlier.")  # fmt: skip
        return (d[last] / d[first]) ** (1 / (last - first))

    @property
    def condition_number(self) -> float:
        """How much steeper the steepest direction is than the flattest (1 = a round bowl)."""
        return self.curvatures[0] / self.curvatures[1]

    @property
    def best_loss(self) -> float:
        """The lowest loss any ``(w, b)`` reaches on these data (least squares)."""
        return self.loss_at(self.w_best, self.b_best)

    def loss_at(self, w, b):
        """Mean squared error at weights ``(w, b)``; works on NumPy arrays of weights too (a grid)."""
        m = self.moments
        return w * w * m["xx"] + 2 * w * b * m["x"] + b * b - 2 * w * m["xy"] - 2 * b * m["y"] + m["yy"]

    @property
    def distance_left(self) -> float:
        """How far the last point is from the best weights, as a fraction of where it started."""
        (w0, b0), (w1, b1) = self.path[0], self.path[-1]
        start = math.hypot(w0 - self.w_best, b0 - self.b_best)
        return math.hypot(w1 - self.w_best, b1 - self.b_best) / start

    @property
    def kind(self) -> str:
        """``"flies off"``, ``"zig-zag"``, ``"direct descent"`` or ``"slow creep"``, read from the path."""
        if self.stop_reason.startswith("diverged") or self.losses[-1] > self.losses[0]:
            return "flies off"
        if self.zigzags:
            return "zig-zag"
        return "direct descent" if self.distance_left < 0.2 else "slow creep"

    @property
    def zigzags(self) -> bool:
        """True when the weights jump across the valley: their offset from the best weights, measured along
        the steepest direction, changes sign at most steps (which happens when ``lr > 1 / curvature``)."""
        ew, eb = self._steep_direction()
        along = [(w - self.w_best) * ew + (b - self.b_best) * eb for w, b in self.path]
        scale = max(abs(a) for a in along)
        big = [a for a in along[1:] if abs(a) > 1e-3 * scale]  # ignore what is already gone (rounding noise)
        flips = sum(1 for a, c in zip(big, big[1:]) if a * c < 0)
        return len(big) > 2 and flips >= 0.5 * (len(big) - 1)

    def _steep_direction(self) -> tuple[float, float]:
        m = self.moments
        # Hessian / 2 = [[E x^2, E x], [E x, 1]]; an eigenvector of its larger eigenvalue h is (E x, h/2 - E x^2).
        ew, eb = m["x"], self.curvatures[0] / 2 - m["xx"]
        norm = math.hypot(ew, eb) or 1.0
        return (ew / norm, eb / norm) if m["x"] != 0 else (1.0, 0.0) if m["xx"] >= 1 else (0.0, 1.0)

    def summary(self) -> str:
        """One line: the rate, the behaviour, the loss before and after, and how far is left to go."""
        beta = f", momentum {self.momentum:g}" if self.momentum else ""
        return (
            f"lr={self.lr:.3g}{beta} ({self.lr / self.critical_lr:.2f} x critical): {self.kind}; {self.stop_reason}; "
            f"loss {self.losses[0]:.4f} -> {self.losses[-1]:.4g} (best possible {self.best_loss:.4f}); "
            f"distance to the best (w, b) left: {self.distance_left:.1%}"
        )


def descent_path(
    lr: float = 0.1,
    *,
    steps: int = 30,
    offset: float = 1.0,
    start: tuple[float, float] = (-1.0, 0.0),
    batch_size: int | None = None,
    n_samples: int = 100,
    seed: int = 0,
    momentum: float = 0.0,
    precision: str = "float32",
) -> DescentPath:
    """Run ``torch.optim.SGD`` on ``y = w*x + b`` and record the weights after every step.

    ``batch_size=None`` uses all examples in every step (full-batch gradient descent), so the path
    shows the learning rate alone, without batch noise. ``momentum`` is SGD's ``momentum=`` (beta,
    from 0 to 1). ``precision="float64"`` computes in double precision, so that the distance to the
    best weights can shrink to 1e-12 before rounding hides it (for measuring convergence rates).
    The run stops early, as a result and not an error, when the loss becomes NaN/infinite or grows
    a million-fold (``"diverged at step N"``).
    """
    lr = _lr("lr", lr)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    check_choice("precision", precision, ("float32", "float64"))
    dtype = torch.float64 if precision == "float64" else torch.float32
    steps = check_int("steps", steps, minimum=1, maximum=10_000)
    start = (check_float("start[0] (w)", start[0]), check_float("start[1] (b)", start[1]))
    data = make_offset_line(n_samples, offset, seed=seed)
    batch_size = n_samples if batch_size is None else check_int("batch_size", batch_size, minimum=1, maximum=n_samples)
    X, y = (t.to(dtype) for t in data.tensors)
    x64, y64 = X[:, 0].double(), y[:, 0].double()
    moments = {"x": x64.mean().item(), "xx": (x64 * x64).mean().item(), "y": y64.mean().item(),
               "yy": (y64 * y64).mean().item(), "xy": (x64 * y64).mean().item()}  # fmt: skip
    w_best, b_best = _least_squares(moments)
    curv = _curvatures(moments)

    with torch.random.fork_rng(devices=[]):  # the layer's own random start is overwritten: leave the global RNG be
        model = nn.Linear(1, 1, dtype=dtype)
    with torch.no_grad():
        model.weight.fill_(start[0])
        model.bias.fill_(start[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.MSELoss()
    g = make_generator(seed + 1)
    path = [start]
    losses = [loss_fn(model(X), y).item()]
    stop_reason = "finished"
    order = torch.randperm(n_samples, generator=g)
    position = 0
    for step in range(1, steps + 1):
        if batch_size == n_samples:
            xb, yb = X, y
        else:  # a shuffled mini-batch, a new order every pass
            if position + batch_size > n_samples:
                order, position = torch.randperm(n_samples, generator=g), 0
            idx = order[position : position + batch_size]
            xb, yb, position = X[idx], y[idx], position + batch_size
        loss = loss_fn(model(xb), yb)  # forward pass and loss
        optimizer.zero_grad()
        loss.backward()  # gradients of w and b
        optimizer.step()  # w <- w - lr * dL/dw,  b <- b - lr * dL/db
        w, b = model.weight.item(), model.bias.item()
        full_loss = loss_fn(model(X), y).item()
        if not (math.isfinite(full_loss) and full_loss < 1e6 * max(losses[0], 1e-12)):
            stop_reason = f"diverged at step {step}"
            if math.isfinite(w) and math.isfinite(b):
                path.append((w, b))
                losses.append(full_loss)
            break
        path.append((w, b))
        losses.append(full_loss)
    return DescentPath(lr, steps, float(offset), batch_size, path, losses, stop_reason, w_best, b_best,
                       (curv[0], curv[1]), moments, momentum, precision)  # fmt: skip


def _least_squares(m: dict[str, float]) -> tuple[float, float]:
    """The best (w, b) for y = w*x + b, from the data's means (closed form: exact and deterministic)."""
    var_x = m["xx"] - m["x"] ** 2
    w = (m["xy"] - m["x"] * m["y"]) / var_x
    return w, m["y"] - w * m["x"]


def _curvatures(m: dict[str, float]) -> tuple[float, float]:
    """Eigenvalues of the loss's Hessian 2 * [[E x^2, E x], [E x, 1]], largest first (closed form for 2x2)."""
    a, b, c = 2 * m["xx"], 2 * m["x"], 2.0
    mid, half = (a + c) / 2, math.hypot((a - c) / 2, b)
    return mid + half, mid - half


def descent_paths(
    fractions: Sequence[float] = (0.04, 0.5, 0.9, 1.1), *, steps: int = 30, offset: float = 1.0, seed: int = 0,
    momentum: float = 0.0,
) -> list[DescentPath]:  # fmt: skip
    """One path per learning rate, each given as a fraction of the critical rate ``2 / curvature``
    (``2 * (1 + momentum) / curvature`` with momentum).

    The defaults show the four behaviours: slow creep, direct descent, zig-zag, flying off.
    """
    probe = descent_path(1e-3, steps=1, offset=offset, seed=seed, momentum=momentum)
    return [descent_path(check_float("fraction", f, minimum=0.0, strict_minimum=True) * probe.critical_lr,
                         steps=steps, offset=offset, seed=seed, momentum=momentum) for f in fractions]  # fmt: skip


# ----------------------------------------------------------------------------- momentum on the same valley


@dataclass(frozen=True)
class StepSizeTheory:
    """What theory says about gradient descent on a quadratic bowl with curvatures ``lam_max >= lam_min``.

    Along a direction of curvature ``h`` one step of plain gradient descent multiplies the distance to the
    bottom by ``1 - lr*h``. Heavy-ball momentum (``torch.optim.SGD(momentum=beta)``) follows
    ``x[t+1] = (1 + beta - lr*h) * x[t] - beta * x[t-1]``: its factor per step is the larger root ``|z|`` of
    ``z**2 - (1 + beta - lr*h) * z + beta = 0``. The formulas (Polyak 1964; Goh, Distill 2017):

    * plain: converges for ``lr < 2 / lam_max``; the best ``lr = 2 / (lam_min + lam_max)`` gives
      ``(kappa - 1) / (kappa + 1)`` per step, with ``kappa = lam_max / lam_min``;
    * momentum: converges for ``lr < 2 * (1 + beta) / lam_max``; the best pair is
      ``beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2`` and ``lr = 4 / (sqrt(lam_max) + sqrt(lam_min))**2``,
      which gives ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)`` per step.
    """

    lam_max: float
    lam_min: float

    @property
    def kappa(self) -> float:
        """The condition number: how much steeper the steepest direction is than the flattest."""
        return self.lam_max / self.lam_min

    def critical_lr(self, beta: float = 0.0) -> float:
        """The largest learning rate that still converges: ``2 * (1 + beta) / lam_max``."""
        return 2.0 * (1.0 + beta) / self.lam_max

    @property
    def best_lr(self) -> float:
        """Plain gradient descent's best learning rate, ``2 / (lam_min + lam_max)``."""
        return 2.0 / (self.lam_min + self.lam_max)

    @property
    def best_rate(self) -> float:
        """Plain gradient descent's factor per step at its best learning rate, ``(kappa - 1) / (kappa + 1)``."""
        return (self.kappa - 1) / (self.kappa + 1)

    @property
    def best_momentum(self) -> tuple[float, float]:
        """Momentum's best ``(lr, beta)``."""
        root = math.sqrt(self.kappa)
        return 4.0 / (math.sqrt(self.lam_max) + math.sqrt(self.lam_min)) ** 2, ((root - 1) / (root + 1)) ** 2

    @property
    def best_momentum_rate(self) -> float:
        """Momentum's factor per step at its best pair, ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)``."""
        root = math.sqrt(self.kappa)
        return (root - 1) / (root + 1)

    def rate(self, lr: float, beta: float = 0.0) -> float:
        """The factor per step in the long run (the slower of the two directions); above 1: it flies off."""
        worst = 0.0
        for h in (self.lam_max, self.lam_min):
            a = 1.0 + beta - lr * h
            disc = a * a - 4.0 * beta
            if disc < 0:  # complex roots: the path spirals, shrinking by sqrt(beta) per step
                worst = max(worst, math.sqrt(beta))
            else:
                worst = max(worst, (abs(a) + math.sqrt(disc)) / 2)
        return worst


def momentum_steps(lr: float = 0.1, beta: float = 0.9, *, steps: int = 40, alternating: bool = False) -> list[float]:
    """The length of every step ``torch.optim.SGD(momentum=beta)`` takes on a one-weight loss whose gradient
    is always 1 (a steady slope) or, with ``alternating=True``, +1, -1, +1, ... (jumping across a valley).

    On the steady slope the steps grow towards ``lr / (1 - beta)``; with alternating gradients they
    settle at ``lr / (1 + beta)``, alternating in sign. Plain SGD's step is ``lr`` either way.
    """
    lr = _lr("lr", lr)
    beta = check_float("beta", beta, minimum=0.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=1, maximum=10_000)
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr, momentum=beta)
    lengths = []
    for t in range(steps):
        sign = -1.0 if alternating and t % 2 else 1.0
        loss = sign * w.sum()  # its gradient is `sign`, wherever w is
        optimizer.zero_grad()
        loss.backward()
        before = w.item()
        optimizer.step()
        lengths.append(before - w.item())
    return lengths


@dataclass
class MomentumComparison:
    """Plain gradient descent and heavy-ball momentum from the same start, at the same learning rate."""

    plain: DescentPath
    heavy: DescentPath

    def describe(self) -> str:
        """Two lines: each run's behaviour, and its factor per step, measured and predicted."""
        lines = []
        for name, p in (("plain SGD", self.plain), (f"momentum {self.heavy.momentum:g}", self.heavy)):
            rate = f"{p.predicted_rate:.3f}" if p.predicted_rate < 1 else f"{p.predicted_rate:.3f} (> 1: flies off)"
            lines.append(f"{name}: {p.kind}, loss {p.losses[-1]:.4g} after {len(p.losses) - 1} steps, distance left "
                         f"{p.distance_left:.1e}; critical lr {p.critical_lr:.3f}; predicted factor per step {rate}")
        return "\n".join(lines)


def compare_momentum(lr: float = 0.1, beta: float = 0.9, *, steps: int = 40, offset: float = 1.0,
                     plain_lr: float | None = None, precision: str = "float32") -> MomentumComparison:  # fmt: skip
    """Full-batch ``torch.optim.SGD`` on ``y = w*x + b``: once plain, once with ``momentum=beta``, same start.

    Both use ``lr`` unless ``plain_lr`` gives plain SGD a rate of its own (to compare each at its best).
    """
    plain = descent_path(lr if plain_lr is None else plain_lr, steps=steps, offset=offset, precision=precision)
    heavy = descent_path(lr, steps=steps, offset=offset, precision=precision, momentum=beta)
    return MomentumComparison(plain, heavy)


@dataclass
class Frictionless:
    """Momentum with ``beta = 1`` next to a loop that never calls ``zero_grad()``."""

    momentum_one: DescentPath
    no_zero_grad: list[tuple[float, float]]
    identical: bool


def frictionless(lr: float = 0.1, *, steps: int = 200, offset: float = 1.0) -> Frictionless:
    """``SGD(momentum=1)`` against plain SGD without ``zero_grad()``: ``.grad`` then holds the sum of every
    gradient so far, which is exactly momentum's velocity with ``beta = 1`` (nothing ever decays)."""
    heavy = descent_path(lr, steps=steps, offset=offset, momentum=1.0)
    X, y = make_offset_line(100, offset, seed=0).tensors
    with torch.random.fork_rng(devices=[]):
        model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(heavy.path[0][0])
        model.bias.fill_(heavy.path[0][1])
    optimizer = torch.optim.SGD(model.parameters(), lr=heavy.lr)
    path = [heavy.path[0]]
    for _ in range(len(heavy.path) - 1):
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()  # no zero_grad(): .grad keeps adding up
        optimizer.step()
        path.append((model.weight.item(), model.bias.item()))
    return Frictionless(heavy, path, path == heavy.path)


# ----------------------------------------------------------------------------- learning-rate schedules


def compare_schedules(peak_lr: float = 0.3, *, seed: int = 2000, **problem: object) -> dict[str, Run]:
    """Train the lesson's network from the same start on the same batches with several schedules.

    Returns, by name: a constant rate; cosine annealing to 0; one-cycle with ``cycle_momentum=False``
    (plain SGD, like the first two); one-cycle as PyTorch sets it up by default, which also switches
    SGD's momentum on and cycles it between 0.95 and 0.85; the constant rate with momentum 0.9 (the
    control for that); and a constant rate of ``peak_lr / 2``, the mean rate of the cosine schedule.
    """
    peak_lr = _lr("peak_lr", peak_lr)
    setting = Problem.of(problem)
    train_set, val_set = make_data(setting.data, setting.n_samples, 0.2, 0.0, setting.seed)
    X, y = train_set.tensors
    total = setting.epochs * math.ceil(len(X) / setting.batch_size)
    lrs = torch.optim.lr_scheduler
    plans = {  # name: (starting lr, SGD's momentum, the scheduler)
        f"constant {peak_lr:g}": (peak_lr, 0.0, None),
        f"cosine from {peak_lr:g} to 0": (peak_lr, 0.0, lambda opt: lrs.CosineAnnealingLR(opt, T_max=total)),
        f"one-cycle, peak {peak_lr:g}": (peak_lr, 0.0, lambda opt: lrs.OneCycleLR(
            opt, max_lr=peak_lr, total_steps=total, cycle_momentum=False)),
        "one-cycle, PyTorch's default": (peak_lr, 0.0, lambda opt: lrs.OneCycleLR(
            opt, max_lr=peak_lr, total_steps=total)),  # cycle_momentum=True sets momentum 0.95 -> 0.85 -> 0.95
        f"constant {peak_lr:g}, momentum 0.9": (peak_lr, 0.9, None),
        f"constant {peak_lr / 2:g}": (peak_lr / 2, 0.0, None),
    }
    runs = {}
    for name, (lr, momentum, make_scheduler) in plans.items():
        model = make_mlp(X.shape[1], setting.hidden, y.shape[1], seed=setting.seed + MODEL_SEED_OFFSET)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        scheduler = make_scheduler(optimizer) if make_scheduler else None
        history = train(model, train_set, optimizer=optimizer, epochs=setting.epochs, batch_size=setting.batch_size,
                        seed=seed, val_data=val_set, scheduler=scheduler)  # fmt: skip
        runs[name] = Run(history=history, model=model, settings={"lr": lr, "momentum": momentum, "schedule": name,
                                                                 **asdict(setting)})  # fmt: skip
    return runs


# ----------------------------------------------------------------------------- range test, then train


@dataclass
class RangeTestThenTrain:
    """A range test on a fresh model, then three trainings from the same start: too small, suggested, too large."""

    test: RangeTestResult
    runs: list[Run]
    labels: list[str]
    weights_unchanged: bool
    optimizer_unchanged: bool


def range_test_then_train(
    *, optimizer: str = "sgd", low_factor: float = 0.01, high_factor: float = 30.0, num_steps: int = 100,
    **problem: object,
) -> RangeTestThenTrain:  # fmt: skip
    """Run :func:`course_utils.lr_finder.lr_range_test` on the lesson's model, then train at its
    suggestion, at ``low_factor`` times it and at ``high_factor`` times it (the lesson's
    :class:`Problem`, changed by keyword).

    Also checks, bit for bit, that the test left the model and the optimizer as it found them.
    """
    check_choice("optimizer", optimizer, OPTIMIZERS)
    setting = Problem.of(problem)
    low_factor = check_float("low_factor", low_factor, minimum=0.0, strict_minimum=True)
    high_factor = check_float("high_factor", high_factor, minimum=0.0, strict_minimum=True)
    train_set, _ = make_data(setting.data, setting.n_samples, 0.2, 0.0, setting.seed)
    X, y = train_set.tensors
    n_out = y.shape[1] if y.is_floating_point() else int(y.max()) + 1
    model = make_mlp(X.shape[1], setting.hidden, n_out, seed=setting.seed + MODEL_SEED_OFFSET)  # as run_training
    opt = make_optimizer(optimizer, model, 1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    lr_before = opt.param_groups[0]["lr"]
    test = lr_range_test(model, train_set, optimizer=opt, batch_size=setting.batch_size, num_steps=num_steps,
                         seed=setting.seed)  # fmt: skip
    weights_unchanged = all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    optimizer_unchanged = opt.param_groups[0]["lr"] == lr_before and not opt.state
    chosen = [test.suggested_lr * low_factor, test.suggested_lr, test.suggested_lr * high_factor]
    labels = [f"{low_factor:g} x suggested", "suggested", f"{high_factor:g} x suggested"]
    runs = [setting.train(lr, optimizer) for lr in chosen]
    return RangeTestThenTrain(test, runs, labels, weights_unchanged, optimizer_unchanged)


# ----------------------------------------------------------------------------- sweep: SGD against Adam


@dataclass
class LrSweep:
    """Final validation loss for every (optimizer, learning rate); NaN where the run diverged."""

    lrs: list[float]
    final_loss: dict[str, list[float]]
    diverged_at: dict[str, list[int | None]]
    settings: dict

    def best(self, optimizer: str) -> tuple[float, float]:
        """``(learning rate, loss)`` of the best run of ``optimizer``."""
        losses = self.final_loss[optimizer]
        i = min((i for i, v in enumerate(losses) if math.isfinite(v)), key=losses.__getitem__)
        return self.lrs[i], losses[i]

    def good_range(self, optimizer: str, within: float = 2.0) -> tuple[float, float]:
        """The smallest and largest learning rate whose loss is within ``within`` times the best."""
        _, best = self.best(optimizer)
        good = [lr for lr, v in zip(self.lrs, self.final_loss[optimizer]) if math.isfinite(v) and v <= within * best]
        return min(good), max(good)

    def good_decades(self, optimizer: str, within: float = 2.0) -> float:
        """How wide (in factors of 10) the range of good learning rates is: the optimizer's tolerance."""
        low, high = self.good_range(optimizer, within)
        return math.log10(high / low)

    def first_divergence(self, optimizer: str) -> float | None:
        """The smallest learning rate of the grid whose run diverged (None if none did)."""
        bad = [lr for lr, d in zip(self.lrs, self.diverged_at[optimizer]) if d is not None]
        return min(bad) if bad else None


def lr_sweep(lrs: Sequence[float] | None = None, *, optimizers: Sequence[str] = ("sgd", "adam"),
             **problem: object) -> LrSweep:  # fmt: skip
    """Train once per optimizer and learning rate (1e-4, 3e-4, 1e-3, ... 10 by default: 2 per factor of 10).

    Every run starts from the same weights and sees the same batches (the lesson's :class:`Problem`,
    changed by keyword); the result is the validation loss after training, or NaN (with the step)
    when the run diverged.
    """
    setting = Problem.of(problem)
    if lrs is None:
        lrs = [10 ** (k / 2) for k in range(-8, 3)]
    lrs = sorted(_lr_list(lrs))
    if isinstance(optimizers, str) or not optimizers:
        raise TypeError(f"optimizers must be a list of names such as ('sgd', 'adam'), but got {optimizers!r}.")
    for name in optimizers:
        check_choice("optimizers", name, OPTIMIZERS)
    final: dict[str, list[float]] = {}
    diverged: dict[str, list[int | None]] = {}
    for name in optimizers:
        final[name], diverged[name] = [], []
        for lr in lrs:
            h = setting.train(lr, name).history
            final[name].append(h.epoch_val_loss[-1] if not h.diverged and h.epoch_val_loss else math.nan)
            diverged[name].append(h.diverged_at_step)
    return LrSweep(list(lrs), final, diverged, asdict(setting))
