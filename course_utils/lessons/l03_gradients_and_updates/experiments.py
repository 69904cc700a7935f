"""Lesson 03: gradients and updates.

* :func:`gradient_table` lists every parameter of a model with its shape and the size of its ``.grad``.
* :func:`gradient_check` compares the gradients of ``loss.backward()`` with a finite-difference
  estimate: nudge one weight up and down a tiny bit and measure how the loss changes.
* :func:`relu_activity` finds the ReLU units that are off for every example (dead units) and explains
  every gradient that is exactly zero: a dead unit's weights, or a weight between two units that are
  never on for the same example.
* :func:`loss_slice` and :func:`first_order_check` show what a gradient says: which way the loss
  rises, and by how much a small step changes it.
* :func:`descend_1d` is gradient descent on a one-parameter model, for the learning-rate demo.
* :func:`adam_vs_sgd` runs Adam for a few steps and records its state next to the step SGD would take.
* :func:`zero_grad_comparison` trains the same model with and without ``optimizer.zero_grad()``.

Every number comes from PyTorch's autograd and optimizers; nothing is computed from a formula
that could disagree with what PyTorch really does.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ...checks import check_choice, check_float, check_int
from ...data import make_line, make_loader, make_moons
from ...history import History
from ...models import make_linear, make_mlp

__all__ = [
    "GradRow",
    "gradient_table",
    "format_gradient_table",
    "moons_example",
    "GradCheck",
    "gradient_check",
    "ReluActivity",
    "relu_activity",
    "LossSlice",
    "loss_slice",
    "first_order_check",
    "Descent1D",
    "descend_1d",
    "AdamTrace",
    "adam_vs_sgd",
    "adam_by_hand",
    "ZeroGradRun",
    "ZeroGradResult",
    "train_line",
    "zero_grad_comparison",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _trainable(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (all have requires_grad=False): there is nothing to check.")
    return params


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, such as make_mlp(2, (16, 16), 2), but got "
                        f"{type(model).__name__}.")  # fmt: skip
    return model


def _default_loss(y: torch.Tensor) -> LossFn:
    return nn.functional.mse_loss if y.is_floating_point() else nn.functional.cross_entropy


# ----------------------------------------------------------------------------- the gradient table


@dataclass(frozen=True)
class GradRow:
    """One parameter after ``backward()``: its name and shape, whether it trains, and the size of its gradient.

    ``grad_norm`` is the Euclidean length of ``.grad`` (square root of the sum of squares), or
    ``None`` when ``.grad`` is ``None`` -- a frozen parameter, or one backward() has not reached.
    """

    name: str
    shape: tuple[int, ...]
    numel: int
    requires_grad: bool
    grad_norm: float | None


def gradient_table(model: nn.Module) -> list[GradRow]:
    """One :class:`GradRow` per parameter of ``model``, in the order ``named_parameters()`` gives them."""
    model = _check_model(model)
    rows = []
    for name, p in model.named_parameters():
        norm = None if p.grad is None else float(p.grad.norm())
        rows.append(GradRow(name, tuple(p.shape), p.numel(), p.requires_grad, norm))
    return rows


def format_gradient_table(rows: Sequence[GradRow]) -> str:
    """The rows as a text table (fixed decimals, so notebooks can compare it)."""
    lines = [f"{'parameter':<10} {'shape':<9} {'numbers':>7}  {'requires_grad':<13}  {'grad norm':>9}"]
    for r in rows:
        shape = "x".join(str(s) for s in r.shape)
        norm = "None" if r.grad_norm is None else f"{r.grad_norm:.4f}"
        lines.append(f"{r.name:<10} {shape:<9} {r.numel:>7}  {r.requires_grad!s:<13}  {norm:>9}")
    return "\n".join(lines)


def moons_example(
    n_samples: int = 200, hidden: Sequence[int] = (16, 16), freeze_first: bool = True, seed: int = 0
) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    """The lesson's running example: a 2 -> 16 -> 16 -> 2 MLP and one batch of two-moons data.

    With ``freeze_first=True`` the first Linear layer is frozen (``requires_grad=False``): its weights
    take part in the forward pass, but training will not change them. Returns ``(model, X, y)``.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    X, y = make_moons(n_samples, seed=seed).tensors
    model = make_mlp(2, tuple(hidden), 2, seed=seed)
    if freeze_first:
        model[0].requires_grad_(False)
    return model, X, y


# ----------------------------------------------------------------------------- finite differences


@dataclass
class GradCheck:
    """Autograd's gradient and a finite-difference estimate of it, for every trainable number.

    ``autograd`` and ``numeric`` are flat float64 tensors, in the order of ``names`` (one name per
    number, e.g. ``"2.weight[3, 5]"``). The relative error of one number is
    ``|a - n| / (|a| + |n|)``; numbers whose gradient is exactly 0 both ways count as 0 (for every
    example, a ReLU on their way to the loss outputs 0).
    """

    dtype: str
    h: float
    names: list[str]
    autograd: torch.Tensor
    numeric: torch.Tensor
    loss: float

    @property
    def n_checked(self) -> int:
        return len(self.names)

    @property
    def n_zero(self) -> int:
        """Numbers whose gradient is exactly zero by both methods."""
        return int(((self.autograd == 0) & (self.numeric == 0)).sum())

    @property
    def relative_errors(self) -> torch.Tensor:
        a, n = self.autograd, self.numeric
        denominator = a.abs() + n.abs()
        rel = (a - n).abs() / torch.where(denominator > 0, denominator, torch.ones_like(denominator))
        return torch.where(denominator > 0, rel, torch.zeros_like(rel))

    @property
    def max_rel_error(self) -> float:
        return float(self.relative_errors.max())

    @property
    def max_abs_error(self) -> float:
        return float((self.autograd - self.numeric).abs().max())

    @property
    def worst(self) -> str:
        """The name of the number with the largest relative error."""
        return self.names[int(self.relative_errors.argmax())]

    def summary(self) -> str:
        return (
            f"{self.dtype}, h={self.h:g}: {self.n_checked} numbers checked ({self.n_zero} exactly 0 both ways); "
            f"max relative error {self.max_rel_error:.1e}, max absolute error {self.max_abs_error:.1e}"
        )


def gradient_check(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    loss_fn: LossFn | None = None,
    h: float = 1e-6,
    dtype: str = "float64",
) -> GradCheck:
    """Check ``loss.backward()`` against central finite differences, number by number.

    For each trainable number ``w``: ``(loss(w + h) - loss(w - h)) / (2h)`` estimates the
    derivative. The model is copied (and converted to ``dtype``), so ``model`` itself is untouched.
    Use ``"float64"``: in float32 the rounding of the loss (about 1e-7 of its size) divided by a
    small ``h`` swamps the small gradients.
    """
    model = _check_model(model)
    check_choice("dtype", dtype, tuple(DTYPES))
    h = check_float("h", h, minimum=0.0, maximum=0.1, strict_minimum=True)
    loss_fn = loss_fn or _default_loss(y)
    m = copy.deepcopy(model).to(DTYPES[dtype])
    params = _trainable(m)
    Xd = X.to(DTYPES[dtype])
    yd = y.to(DTYPES[dtype]) if y.is_floating_point() else y
    for _, p in params:
        p.grad = None
    loss = loss_fn(m(Xd), yd)
    loss.backward()
    names, numeric, auto = [], [], []
    with torch.no_grad():
        for name, p in params:
            flat = p.view(-1)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + h
                up = loss_fn(m(Xd), yd).item()
                flat[i] = old - h
                down = loss_fn(m(Xd), yd).item()
                flat[i] = old
                numeric.append((up - down) / (2 * h))
                index = ", ".join(str(int(j)) for j in np.unravel_index(i, tuple(p.shape)))
                names.append(f"{name}[{index}]")
            auto.append(p.grad.reshape(-1).to(torch.float64))
    return GradCheck(dtype, h, names, torch.cat(auto), torch.tensor(numeric, dtype=torch.float64), loss.item())


# ----------------------------------------------------------------------------- dead units


@dataclass
class ReluActivity:
    """Which ReLU units of an MLP are on (output > 0) for which examples, and what that does to the gradients.

    ``on_share[k][u]``: the share of the examples for which unit ``u`` of hidden layer ``k`` (counted from
    0) is on; ``dead[k]``: the units of layer ``k`` that are off for *every* example. ``zero_grads``:
    for every trainable weight matrix and bias, how many of its numbers *must* have a gradient of exactly
    0 on these examples, split into ``"dead"`` (the number belongs to a dead unit: the weights into it, its
    bias, the weights out of it) and ``"never together"`` (a weight between two live units that are never
    on for the same example).
    """

    n_examples: int
    on_share: list[list[float]]
    dead: list[list[int]]
    zero_grads: dict[str, dict[str, int]]
    expected_zero: dict[str, torch.Tensor] = field(repr=False)

    @property
    def n_dead(self) -> int:
        return sum(len(d) for d in self.dead)

    def total(self, kind: str | None = None) -> int:
        """Zero gradients of one kind (``"dead"`` or ``"never together"``), or of both."""
        return sum(v for counts in self.zero_grads.values() for k, v in counts.items() if kind in (None, k))

    def summary(self) -> str:
        names = ["first", "second", "third", "fourth"]
        lines = [f"units that are off for all {self.n_examples} examples (dead units):"]
        for k, units in enumerate(self.dead):
            layer = f"{names[k] if k < len(names) else str(k + 1) + 'th'} hidden layer"
            lines.append(f"  {layer:<20} {', '.join(f'unit {u}' for u in units) or 'none'}")
        lines.append(f"gradients that must be exactly 0: {self.total()} = {self.total('dead')} on the weights of "
                     f"the {self.n_dead} dead units + {self.total('never together')} on weights between two "
                     "units that are never on for the same example")
        return "\n".join(lines)


def relu_activity(model: nn.Module, X: torch.Tensor) -> ReluActivity:
    """Run ``X`` through an MLP of ``Linear`` and ``ReLU`` layers (as :func:`course_utils.make_mlp` builds)
    and record which hidden units are on for which example.

    For a Linear layer, ``weight.grad[o, i]`` is a sum over the examples of (the gradient arriving at
    output ``o``) x (input ``i``). A ReLU that is off passes no gradient back, so the sum is exactly 0
    when output unit ``o`` and input ``i`` are never on for the same example; the bias of ``o`` gets 0
    when ``o`` is off for every example. Frozen parameters are left out.
    """
    model = _check_model(model)
    layers = list(model)
    if not layers or not all(isinstance(m, (nn.Linear, nn.ReLU)) for m in layers) or not isinstance(layers[-1],
                                                                                                     nn.Linear):
        raise TypeError("relu_activity needs an MLP of Linear and ReLU layers that ends with a Linear layer, "
                        "such as make_mlp(2, (16, 16), 2).")  # fmt: skip
    names = {id(p): name for name, p in model.named_parameters()}
    h = X.detach()
    on_in = torch.ones(len(X), X.shape[1], dtype=torch.bool)  # the inputs count as always on
    on_share, dead, zero_grads, expected = [], [], {}, {}
    with torch.no_grad():
        for k, layer in enumerate(layers):
            if not isinstance(layer, nn.Linear):
                continue
            out = layer(h)
            relu = k + 1 < len(layers) and isinstance(layers[k + 1], nn.ReLU)
            on_out = out > 0 if relu else torch.ones_like(out, dtype=torch.bool)
            together = on_out.T.double() @ on_in.double()  # [o, i]: examples on which both are on
            out_dead, in_dead = ~on_out.any(dim=0), ~on_in.any(dim=0)
            dead_w = out_dead[:, None] | in_dead[None, :]
            if layer.weight.requires_grad:
                zero = together == 0
                expected[names[id(layer.weight)]] = zero
                zero_grads[names[id(layer.weight)]] = {"dead": int((zero & dead_w).sum()),
                                                       "never together": int((zero & ~dead_w).sum())}  # fmt: skip
            if layer.bias is not None and layer.bias.requires_grad:
                expected[names[id(layer.bias)]] = out_dead.clone()
                zero_grads[names[id(layer.bias)]] = {"dead": int(out_dead.sum()), "never together": 0}
            if relu:
                h = torch.relu(out)
                on_in = on_out
                on_share.append(on_out.float().mean(dim=0).tolist())
                dead.append(out_dead.nonzero().flatten().tolist())
            else:
                h = out
    return ReluActivity(len(X), on_share, dead, zero_grads, expected)


@dataclass
class LossSlice:
    """The loss as one number of the model moves and every other number stays put."""

    name: str
    values: torch.Tensor  # the number's values along the slice
    losses: torch.Tensor  # the loss at each
    w0: float  # where the number is now
    loss0: float
    grad0: float  # autograd's derivative there (the slope of the tangent)


def loss_slice(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    param: str,
    index: Sequence[int],
    *,
    width: float = 1.0,
    points: int = 41,
    loss_fn: LossFn | None = None,
) -> LossSlice:
    """Move ``param[index]`` from ``w0 - width`` to ``w0 + width`` and record the loss at each point."""
    model = _check_model(model)
    named = dict(model.named_parameters())
    if param not in named:
        raise ValueError(f"param={param!r} is not a parameter of this model. Allowed: {', '.join(map(repr, named))}.")
    width = check_float("width", width, minimum=0.0, strict_minimum=True)
    points = check_int("points", points, minimum=3, maximum=1001)
    loss_fn = loss_fn or _default_loss(y)
    m = copy.deepcopy(model)
    p = dict(m.named_parameters())[param]
    index = tuple(int(i) for i in index)
    if len(index) != p.ndim or any(not 0 <= i < s for i, s in zip(index, p.shape)):
        raise ValueError(f"index={index!r} does not point into {param} of shape {tuple(p.shape)}.")
    p.requires_grad_(True)
    p.grad = None
    loss = loss_fn(m(X), y)
    loss.backward()
    w0, grad0 = p[index].item(), p.grad[index].item()
    values = torch.linspace(w0 - width, w0 + width, points)
    losses = []
    with torch.no_grad():
        for v in values:
            p[index] = v
            losses.append(loss_fn(m(X), y).item())
    return LossSlice(f"{param}[{', '.join(map(str, index))}]", values, torch.tensor(losses), w0, loss.item(), grad0)


def first_order_check(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, lrs: Sequence[float], *, loss_fn: LossFn | None = None
) -> list[dict[str, float]]:
    """How much does one SGD step change the loss? Prediction from the gradient vs measurement.

    A step ``w <- w - lr * grad`` changes the loss by about ``-lr * |grad|^2`` (the sum of the
    squared gradients of every trainable number) -- as long as the step is small. For each ``lr``,
    one step is taken on a copy of ``model``; returns rows of ``lr``, ``predicted`` and ``actual``.
    """
    model = _check_model(model)
    loss_fn = loss_fn or _default_loss(y)
    rows = []
    for lr in lrs:
        lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
        m = copy.deepcopy(model)
        params = [p for _, p in _trainable(m)]
        loss = loss_fn(m(X), y)
        loss.backward()
        squared = sum(float((p.grad**2).sum()) for p in params)
        torch.optim.SGD(params, lr=lr).step()
        with torch.no_grad():
            after = loss_fn(m(X), y).item()
        rows.append({"lr": lr, "predicted": -lr * squared, "actual": after - loss.item()})
    return rows


# ----------------------------------------------------------------------------- 1-D gradient descent


@dataclass
class Descent1D:
    """Gradient descent on ``loss(w) = mean((w*x - y)^2)``, a model with one weight.

    ``ws[k]``, ``losses[k]`` and ``grads[k]`` are the weight, the loss and ``dloss/dw`` before step
    ``k + 1`` (``ws[0]`` is the start); ``ws`` and ``losses`` hold one entry more than ``grads`` (where
    the last step landed).
    ``curvature`` is the second derivative of the loss (the same everywhere: the loss is a parabola).
    """

    lr: float
    w_start: float
    steps: int
    ws: list[float]
    losses: list[float]
    grads: list[float]
    w_best: float
    loss_best: float
    curvature: float
    stop_reason: str
    grid: torch.Tensor = field(repr=False)
    grid_loss: torch.Tensor = field(repr=False)

    @property
    def diverged(self) -> bool:
        return self.stop_reason.startswith("diverged")

    @property
    def steps_done(self) -> int:
        return len(self.ws) - 1

    @property
    def contraction(self) -> float:
        """``1 - lr * curvature``: each step multiplies the distance to the minimum by this number."""
        return 1.0 - self.lr * self.curvature

    def describe(self) -> str:
        """Three lines for the demo's readout: the first step worked out, where the run ended, the verdict."""
        lines = []
        if self.grads:
            g0 = self.grads[0]
            lines.append(
                f"at the start w = {self.ws[0]:+.3f}: loss {self.losses[0]:.4f}, gradient dloss/dw = {g0:+.4f}; "
                f"step 1 = -lr x grad = {-self.lr * g0:+.4f}, so w becomes {self.ws[1]:+.4f}"
            )
        end = f"after {self.steps_done} steps: w = {self.ws[-1]:+.4g}, loss {self.losses[-1]:.4g}"
        if self.diverged:
            end += f" -- {self.stop_reason}"
        lines.append(f"{end}   (the minimum: w* = {self.w_best:.3f}, loss {self.loss_best:.4f})")
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        """In words: does this learning rate creep, converge, overshoot or diverge here?"""
        r = self.lr * self.curvature
        c = self.contraction
        if abs(c) >= 1:
            return (f"lr x curvature = {r:.2f}, 2 or more: each step lands {abs(c):.2f} times as far from the minimum "
                    "as the one before -- it diverges.")  # fmt: skip
        left = abs(c) ** self.steps_done
        left_text = "less than 0.1%" if left < 1e-3 else f"{left:.1%}"
        if c < 0:
            return (
                f"lr x curvature = {r:.2f}, between 1 and 2: each step jumps past the minimum to the other "
                f"side, {abs(c):.2f} times as far from it as before; {left_text} of the distance is left."
            )
        if left > 0.5:
            return (f"lr x curvature = {r:.2f}, far below 1: the steps creep; after {self.steps_done} steps "
                    f"{left_text} of the distance to the minimum is still left.")  # fmt: skip
        return (f"lr x curvature = {r:.2f}, below 1: steps shrink as the slope flattens and converge "
                f"without overshooting; {left_text} of the distance is left.")  # fmt: skip


def descend_1d(
    lr: float = 0.1, w_start: float = -1.0, steps: int = 8, n_samples: int = 32, seed: int = 0
) -> Descent1D:
    """Run ``steps`` steps of ``torch.optim.SGD`` on ``prediction = w * x`` fitted to points near ``y = 2x``.

    Every loss and gradient comes from autograd; the curvature is autograd's second derivative. A
    learning rate so large that the loss grows past a million times its start (or becomes
    infinite) stops the run with ``stop_reason = "diverged at step N"``.
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    w_start = check_float("w_start", w_start, minimum=-10.0, maximum=10.0)
    steps = check_int("steps", steps, minimum=1, maximum=100)
    n_samples = check_int("n_samples", n_samples, minimum=2)
    x, y = (t[:, 0] for t in make_line(n_samples, slope=2.0, intercept=0.0, noise=0.5, seed=seed).tensors)

    w = torch.tensor(w_start, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    ws, losses, grads = [w_start], [], []
    stop_reason = "finished"
    for k in range(steps + 1):
        loss = ((w * x - y) ** 2).mean()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] > 1e6 * max(losses[0], 1e-12):
            stop_reason = f"diverged at step {k}"
            break
        if k == steps:
            break
        optimizer.zero_grad()
        loss.backward()
        grads.append(w.grad.item())
        optimizer.step()
        ws.append(w.item())

    # The exact minimum and the curvature, both from autograd on a fresh weight.
    w_best = float((x * y).sum() / (x * x).sum())
    probe = torch.tensor(w_best, requires_grad=True)
    (first,) = torch.autograd.grad(((probe * x - y) ** 2).mean(), probe, create_graph=True)
    (second,) = torch.autograd.grad(first, probe)
    with torch.no_grad():
        loss_best = float(((w_best * x - y) ** 2).mean())
        reach = max(1.6 * abs(w_start - w_best), 1.5)
        grid = torch.linspace(w_best - reach, w_best + reach, 121)
        grid_loss = ((grid[:, None] * x[None, :] - y[None, :]) ** 2).mean(dim=1)
    return Descent1D(lr, w_start, steps, ws, losses, grads, w_best, loss_best, float(second), stop_reason,
                     grid, grid_loss)  # fmt: skip


# ----------------------------------------------------------------------------- Adam vs SGD


@dataclass
class AdamTrace:
    """What Adam did for ``steps`` steps, and what plain SGD would have done with the same gradients.

    For the watched parameter ``watch`` (per step ``t = 1..steps``): ``grads[t-1]`` the gradient,
    ``exp_avg`` / ``exp_avg_sq`` / ``state_step`` copied from ``optimizer.state[p]`` after the step,
    ``adam_updates`` the change Adam made to the parameter, ``sgd_updates`` = ``-lr * grad``.
    For all trainable numbers at once: ``all_grads[t-1]`` and ``all_adam_updates[t-1]`` (flat).
    """

    lr: float
    betas: tuple[float, float]
    eps: float
    watch: str
    losses: list[float]
    grads: list[torch.Tensor]
    exp_avg: list[torch.Tensor]
    exp_avg_sq: list[torch.Tensor]
    state_step: list[float]
    adam_updates: list[torch.Tensor]
    all_grads: list[torch.Tensor] = field(repr=False)
    all_adam_updates: list[torch.Tensor] = field(repr=False)
    stop_reason: str = "finished"

    @property
    def sgd_updates(self) -> list[torch.Tensor]:
        return [-self.lr * g for g in self.grads]

    @property
    def steps(self) -> int:
        return len(self.grads)


def adam_vs_sgd(
    lr: float = 0.01, steps: int = 10, batch_size: int = 32, watch: str = "4.bias", seed: int = 0
) -> AdamTrace:
    """Train the moons MLP (2 -> 16 -> 16 -> 2) with ``torch.optim.Adam`` for ``steps`` mini-batch steps.

    Records Adam's state for the parameter ``watch`` after every step and, for comparison, the step
    ``-lr * grad`` that SGD with the same learning rate would have taken from the same gradient.
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    steps = check_int("steps", steps, minimum=1, maximum=200)
    model, X, y = moons_example(n_samples=256, freeze_first=False, seed=seed)
    named = dict(model.named_parameters())
    check_choice("watch", watch, tuple(named))
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=len(X))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    group = optimizer.param_groups[0]
    p_watch = named[watch]
    params = list(model.parameters())
    i_watch = next(i for i, p in enumerate(params) if p is p_watch)
    trace = AdamTrace(lr, tuple(group["betas"]), group["eps"], watch, [], [], [], [], [], [], [], [])
    loader = make_loader(torch.utils.data.TensorDataset(X, y), batch_size, shuffle=True, seed=seed)
    batches = iter(loader)
    for _ in range(steps):
        try:
            xb, yb = next(batches)
        except StopIteration:
            batches = iter(loader)
            xb, yb = next(batches)
        loss = nn.functional.cross_entropy(model(xb), yb)
        if not math.isfinite(loss.item()):
            trace.stop_reason = f"diverged at step {len(trace.grads) + 1}"
            break
        optimizer.zero_grad()
        loss.backward()
        before = [p.detach().clone() for p in params]
        optimizer.step()
        state = optimizer.state[p_watch]
        trace.losses.append(loss.item())
        trace.grads.append(p_watch.grad.detach().clone())
        trace.exp_avg.append(state["exp_avg"].clone())
        trace.exp_avg_sq.append(state["exp_avg_sq"].clone())
        trace.state_step.append(float(state["step"]))
        trace.adam_updates.append((p_watch.detach() - before[i_watch]).clone())
        trace.all_grads.append(torch.cat([p.grad.reshape(-1) for p in params]).clone())
        trace.all_adam_updates.append(torch.cat([(p.detach() - b).reshape(-1) for p, b in zip(params, before)]))
    return trace


def adam_by_hand(
    grads: Sequence[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
) -> list[dict[str, torch.Tensor]]:
    """Adam's formula, written out, in float64: for each gradient in turn return ``m``, ``v`` and the step.

    ``m = b1*m + (1-b1)*g``; ``v = b2*v + (1-b2)*g^2``; ``step = -lr * m_hat / (sqrt(v_hat) + eps)``
    with the bias corrections ``m_hat = m / (1 - b1^t)`` and ``v_hat = v / (1 - b2^t)``.
    """
    b1, b2 = betas
    m = v = None
    out = []
    for t, g in enumerate(grads, start=1):
        g = g.to(torch.float64)
        m = (1 - b1) * g if m is None else b1 * m + (1 - b1) * g
        v = (1 - b2) * g**2 if v is None else b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        out.append({"m": m, "v": v, "step": -lr * m_hat / (v_hat.sqrt() + eps)})
    return out


# ----------------------------------------------------------------------------- zero_grad


@dataclass
class ZeroGradRun:
    """One run of :func:`train_line`: its History, the slope ``w`` after every step, and the length
    of what was in ``.grad`` when ``optimizer.step()`` used it."""

    zero_grad: bool
    history: History
    slopes: list[float]
    grad_norms: list[float]

    @property
    def label(self) -> str:
        return "with zero_grad()" if self.zero_grad else "without zero_grad()"


def train_line(
    zero_grad: bool = True, lr: float = 0.05, epochs: int = 25, batch_size: int = 16, seed: int = 0
) -> ZeroGradRun:
    """Fit ``y = w*x + b`` to 64 points near ``y = 2x - 1`` with plain SGD, with or without zero_grad().

    The loop is the usual one; only the ``zero_grad()`` line can be switched off.
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    epochs = check_int("epochs", epochs, minimum=1, maximum=500)
    data = make_line(64, slope=2.0, intercept=-1.0, noise=0.5, seed=seed)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=len(data))
    model = make_linear(1, 1, seed=seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = make_loader(data, batch_size, shuffle=True, seed=seed)
    history = History(batch_size=batch_size, batches_per_epoch=len(loader))
    run = ZeroGradRun(bool(zero_grad), history, [], [])
    start = time.perf_counter()
    for _ in range(epochs):
        epoch_sum, epoch_start = 0.0, time.perf_counter()
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            if not math.isfinite(loss.item()):
                history.finish(history.record_divergence(loss.item()), time.perf_counter() - start)
                return run
            if zero_grad:
                optimizer.zero_grad()  # the line this experiment is about
            loss.backward()
            optimizer.step()
            history.record_step(loss.item(), len(xb), lr)
            run.slopes.append(model.weight.item())
            run.grad_norms.append(math.sqrt(sum(float((p.grad**2).sum()) for p in model.parameters())))
            epoch_sum += loss.item() * len(xb)
        history.record_epoch(epoch_sum / len(data), time.perf_counter() - epoch_start)
    history.finish("finished", time.perf_counter() - start)
    return run


@dataclass
class ZeroGradResult:
    """The same data, model, batches and learning rate, trained with and without ``zero_grad()``."""

    with_zero: ZeroGradRun
    without: ZeroGradRun
    lr: float
    true_slope: float = 2.0

    def describe(self) -> str:
        """One line per run: how it ended and how far w still swings over the last 20 steps."""
        lines = []
        for run in (self.with_zero, self.without):
            h = run.history
            if h.diverged:
                lines.append(f"{run.label:<20}: {h.stop_reason} (the loss became inf/NaN)")
                continue
            tail = run.slopes[-20:]
            lines.append(f"{run.label:<20}: mean loss of the last epoch {h.epoch_train_loss[-1]:.4f}; "
                         f"over the last 20 steps w stays between {min(tail):+.3f} and {max(tail):+.3f}")  # fmt: skip
        return "\n".join(lines)


def zero_grad_comparison(lr: float = 0.05, epochs: int = 25, batch_size: int = 16, seed: int = 0) -> ZeroGradResult:
    """Run :func:`train_line` twice -- identical except for the ``zero_grad()`` line."""
    return ZeroGradResult(
        train_line(True, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed),
        train_line(False, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed),
        lr=float(lr),
    )
