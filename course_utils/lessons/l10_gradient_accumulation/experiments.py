"""Lesson 10: gradient accumulation -- a big batch's gradient from several small ones.

* :func:`accumulate_gradients` is the mechanism in a few lines: micro-batches, each loss divided by
  the number of micro-batches, ``backward()`` on each, gradients adding up in ``.grad``.
* :func:`gradient_check` compares that with one backward pass on the whole batch.
* :func:`accumulation_runs` trains with ``course_utils.train(accumulation_steps=k)`` next to a plain
  run with a k times larger batch: the same steps, the same weights (up to float rounding).
* :func:`division_runs` trains with a hand-written accumulation loop that forgets the division.
* :func:`memory_comparison` measures the memory one step keeps for the backward pass, with and
  without accumulation; :func:`peak_saved_bytes` is the probe that measures it.
* :func:`zero_grad_runs` is accidental accumulation: the same batches with and without ``zero_grad()``.

Every function takes its settings as arguments, is seeded, and returns plain results.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ...checks import check_choice, check_float, check_int
from ...data import make_loader
from ...measure import StepMemory, parameter_bytes, time_per_call
from ...models import OPTIMIZERS, make_mlp, make_optimizer
from ...runs import MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET, Run, make_data, run_training

__all__ = [
    "N_SAMPLES",
    "effective_batch_size",
    "lesson_data",
    "lesson_model",
    "accumulate_gradients",
    "big_batch_gradients",
    "max_abs_difference",
    "GradientCheck",
    "gradient_check",
    "AccumulationRuns",
    "accumulation_runs",
    "accumulation_demo",
    "accumulation_loop",
    "DivisionRuns",
    "division_runs",
    "peak_saved_bytes",
    "MemoryRow",
    "memory_comparison",
    "step_seconds",
    "ZeroGradRuns",
    "zero_grad_runs",
]

N_SAMPLES = 512
"""The lesson's data: 512 points of the two-moons problem (2 features, 2 classes), all for training."""


def effective_batch_size(micro_batch_size: int, accumulation_steps: int = 1, processes: int = 1) -> int:
    """Examples behind one optimizer step: micro-batch x accumulation steps x processes."""
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, minimum=1)
    accumulation_steps = check_int("accumulation_steps", accumulation_steps, minimum=1)
    processes = check_int("processes", processes, minimum=1)
    return micro_batch_size * accumulation_steps * processes


def lesson_data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's 512 two-moons examples as ``(X, y)`` (the same ones :func:`accumulation_runs` trains on)."""
    train_set, _ = make_data("moons", N_SAMPLES, val_fraction=None, seed=seed)
    return train_set.tensors


def lesson_model(hidden: Sequence[int] = (32,), seed: int = 0) -> nn.Sequential:
    """The lesson's network, 2 -> hidden -> 2, with the starting weights :func:`accumulation_runs` uses."""
    return make_mlp(2, tuple(hidden), 2, seed=seed + MODEL_SEED_OFFSET)


# ----------------------------------------------------------------------------- the mechanism


def accumulate_gradients(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    micro_batch_size: int,
    *,
    divide: bool = True,
) -> list[float]:
    """Fill ``model``'s ``.grad`` from the batch ``(x, y)`` processed in micro-batches; return their losses.

    The batch is cut into pieces of ``micro_batch_size`` rows. Each piece gets its own forward pass,
    its loss is divided by the number of pieces (unless ``divide=False``), and ``backward()`` *adds*
    its gradient to what ``.grad`` already holds. No optimizer step is taken here.
    """
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, minimum=1, maximum=len(x))
    if len(x) % micro_batch_size:
        raise ValueError(
            f"micro_batch_size={micro_batch_size} does not divide the batch of {len(x)} examples evenly. Allowed: "
            "a divisor of the batch size (with unequal pieces, each loss must be weighted by its share instead)."
        )
    k = len(x) // micro_batch_size
    model.zero_grad()
    losses = []
    for xm, ym in zip(x.split(micro_batch_size), y.split(micro_batch_size)):
        loss = loss_fn(model(xm), ym)  # the mean over this micro-batch only
        losses.append(loss.item())
        (loss / k if divide else loss).backward()  # adds to .grad; this micro-batch's graph is freed
    return losses


def big_batch_gradients(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
) -> float:
    """Fill ``model``'s ``.grad`` from one forward and backward pass over the whole batch; return the loss."""
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


def _grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def max_abs_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between matching tensors of two ``{name: tensor}`` dictionaries."""
    if a.keys() != b.keys():
        raise ValueError(f"the two dictionaries name different tensors: {sorted(a)} and {sorted(b)}.")
    return max((a[n] - b[n]).abs().max().item() for n in a)


@dataclass
class GradientCheck:
    """One big batch's gradient next to the gradient accumulated from its micro-batches."""

    micro_batch_size: int
    accumulation_steps: int
    divide: bool
    big: dict[str, torch.Tensor] = field(repr=False)
    accumulated: dict[str, torch.Tensor] = field(repr=False)
    big_loss: float = 0.0
    micro_losses: list[float] = field(default_factory=list)

    @property
    def batch_size(self) -> int:
        return self.micro_batch_size * self.accumulation_steps

    @property
    def max_abs_diff(self) -> float:
        """Largest |accumulated - big-batch| over every gradient entry."""
        return max_abs_difference(self.accumulated, self.big)

    @property
    def norm_ratio(self) -> float:
        """Length of the accumulated gradient over the big batch's (1 with the division, k without)."""
        norm = lambda g: math.sqrt(sum(float(t.pow(2).sum()) for t in g.values()))  # noqa: E731
        return norm(self.accumulated) / norm(self.big)


def gradient_check(micro_batch_size: int = 16, accumulation_steps: int = 4, *, divide: bool = True,
                   seed: int = 0) -> GradientCheck:  # fmt: skip
    """The first ``micro_batch_size * accumulation_steps`` examples of the lesson's data: their gradient
    in one pass, and accumulated over ``accumulation_steps`` micro-batches (each loss divided by k,
    or not when ``divide=False``), from the same starting weights."""
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, minimum=1, maximum=N_SAMPLES)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1, maximum=N_SAMPLES)
    if micro_batch_size * k > N_SAMPLES:
        raise ValueError(
            f"micro_batch_size={micro_batch_size} x accumulation_steps={k} = {micro_batch_size * k} examples, more "
            f"than the {N_SAMPLES} the data set holds. Allowed: a product of at most {N_SAMPLES}."
        )
    X, y = lesson_data(seed)
    x, y = X[: micro_batch_size * k], y[: micro_batch_size * k]
    model, loss_fn = lesson_model(seed=seed), nn.CrossEntropyLoss()
    big_loss = big_batch_gradients(model, x, y, loss_fn)
    big = _grads(model)
    micro_losses = accumulate_gradients(model, x, y, loss_fn, micro_batch_size, divide=bool(divide))
    return GradientCheck(micro_batch_size, k, bool(divide), big, _grads(model), big_loss, micro_losses)


# ----------------------------------------------------------------------------- training with accumulation


@dataclass
class AccumulationRuns:
    """Training with micro-batches and accumulation next to training with the big batch itself."""

    accumulated: Run
    big_batch: Run

    @property
    def micro_batch_size(self) -> int:
        return self.accumulated.settings["batch_size"]

    @property
    def accumulation_steps(self) -> int:
        return self.accumulated.settings["accumulation_steps"]

    @property
    def effective_batch_size(self) -> int:
        return self.micro_batch_size * self.accumulation_steps

    @property
    def weight_diff(self) -> float:
        """Largest |difference| between the two runs' final weights."""
        pairs = zip(self.accumulated.model.parameters(), self.big_batch.model.parameters())
        return max((a - b).abs().max().item() for a, b in pairs)

    @property
    def loss_diffs(self) -> list[float]:
        """|difference| of the two runs' loss at every optimizer step."""
        return [abs(a - b) for a, b in zip(self.accumulated.history.step_loss, self.big_batch.history.step_loss)]

    def describe(self) -> str:
        """One line: the effective batch, the work done, and how far apart the runs ended."""
        acc, big = self.accumulated.history, self.big_batch.history
        if acc.diverged or big.diverged:
            return (f"effective batch {self.micro_batch_size} x {self.accumulation_steps} = "
                    f"{self.effective_batch_size}; accumulated run: {acc.stop_reason}; big batch: {big.stop_reason}")
        return (
            f"effective batch {self.micro_batch_size} x {self.accumulation_steps} = {self.effective_batch_size}: "
            f"{acc.steps} steps from {acc.batches} micro-batches vs {big.steps} steps from {big.batches} big batches; "
            f"final loss {acc.final_train_loss:.4f} vs {big.final_train_loss:.4f}; "
            f"max |weight difference| {self.weight_diff:.1e}"
        )  # fmt: skip


def accumulation_runs(
    micro_batch_size: int = 16,
    accumulation_steps: int = 4,
    *,
    lr: float = 0.5,
    epochs: int = 4,
    optimizer: str = "sgd",
    seed: int = 0,
) -> AccumulationRuns:
    """Train the lesson's network twice from the same start, on the same shuffled order of examples:

    * ``accumulated``: batches of ``micro_batch_size``, one optimizer step every ``accumulation_steps``;
    * ``big_batch``: batches of ``micro_batch_size * accumulation_steps``, one step per batch.

    Both go through :func:`course_utils.train`. A learning rate so large that the loss blows up is a
    result, not an error: the histories then say ``"diverged at step N"``.
    """
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, minimum=1, maximum=N_SAMPLES)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1, maximum=N_SAMPLES)
    if micro_batch_size * k > N_SAMPLES:
        raise ValueError(
            f"micro_batch_size={micro_batch_size} x accumulation_steps={k} = {micro_batch_size * k}, larger than "
            f"the data set ({N_SAMPLES} examples). Allowed: an effective batch of at most {N_SAMPLES}."
        )
    common = dict(data="moons", n_samples=N_SAMPLES, val_fraction=None, hidden=(32,), optimizer=optimizer, lr=lr,
                  epochs=epochs, seed=seed)  # fmt: skip
    accumulated = run_training(batch_size=micro_batch_size, accumulation_steps=k, **common)
    big = run_training(batch_size=micro_batch_size * k, accumulation_steps=1, **common)
    return AccumulationRuns(accumulated, big)


def accumulation_loop(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    micro_batch_size: int,
    accumulation_steps: int,
    epochs: int,
    divide: bool = True,
    seed: int = 0,
) -> list[float]:
    """Gradient accumulation written out by hand; returns the mean loss of every optimizer step.

    The data are shuffled as :func:`course_utils.train` would with the same ``seed``. The number of
    micro-batches per epoch must be a multiple of ``accumulation_steps`` (every step sees k of them).
    Stops early, returning what it has, when the loss becomes NaN or infinite.
    """
    X, y = data
    k = check_int("accumulation_steps", accumulation_steps, minimum=1)
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, minimum=1, maximum=len(X))
    epochs = check_int("epochs", epochs, minimum=0)
    if len(X) % (micro_batch_size * k):
        raise ValueError(
            f"{len(X)} examples do not split into whole steps of micro_batch_size={micro_batch_size} x "
            f"accumulation_steps={k} = {micro_batch_size * k}. Allowed: an effective batch that divides {len(X)}."
        )
    loss_fn = nn.CrossEntropyLoss()
    loader = make_loader(torch.utils.data.TensorDataset(X, y), micro_batch_size, shuffle=True, seed=seed)
    step_losses: list[float] = []
    total = 0.0
    for _ in range(epochs):
        for i, (xb, yb) in enumerate(loader):
            if i % k == 0:
                optimizer.zero_grad()
                total = 0.0
            loss = loss_fn(model(xb), yb)
            if not math.isfinite(loss.item()):
                return step_losses
            total += loss.item() / k
            (loss / k if divide else loss).backward()  # gradients add up in .grad
            if (i + 1) % k == 0:
                optimizer.step()  # one update per k micro-batches
                step_losses.append(total)
    return step_losses


@dataclass
class DivisionRuns:
    """Accumulation with and without dividing each loss by k, and a big batch trained with k times the lr."""

    micro_batch_size: int
    accumulation_steps: int
    lr: float
    optimizer: str
    divided: list[float]
    not_divided: list[float]
    big_batch_k_lr: list[float]
    weights_not_divided: dict[str, torch.Tensor] = field(repr=False)
    weights_big_batch_k_lr: dict[str, torch.Tensor] = field(repr=False)
    weights_divided: dict[str, torch.Tensor] = field(repr=False)

    @property
    def not_divided_vs_k_lr(self) -> float:
        """Largest |weight difference|: no division at lr vs a big batch at k x lr (tiny for SGD)."""
        return max_abs_difference(self.weights_not_divided, self.weights_big_batch_k_lr)

    @property
    def not_divided_vs_divided(self) -> float:
        """Largest |weight difference|: no division vs with division, both at lr."""
        return max_abs_difference(self.weights_not_divided, self.weights_divided)


def division_runs(
    micro_batch_size: int = 16,
    accumulation_steps: int = 4,
    *,
    lr: float = 0.1,
    epochs: int = 4,
    optimizer: str = "sgd",
    seed: int = 0,
) -> DivisionRuns:
    """Three runs from the same start on the same shuffled examples:

    * ``divided``: accumulation as it should be (each loss / k), learning rate ``lr``;
    * ``not_divided``: the same, forgetting the division, learning rate ``lr``;
    * ``big_batch_k_lr``: no accumulation, batches of micro x k, learning rate ``k * lr``.

    With plain SGD the last two are the same training (up to rounding); with Adam, which divides each
    step by the size of recent gradients, forgetting the division changes almost nothing.
    """
    check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1, maximum=N_SAMPLES)
    X, y = lesson_data(seed)
    shuffle_seed = seed + SHUFFLE_SEED_OFFSET
    results = []
    for divide, micro, kk, rate in ((True, micro_batch_size, k, lr), (False, micro_batch_size, k, lr),
                                    (True, micro_batch_size * k, 1, lr * k)):  # fmt: skip
        model = lesson_model(seed=seed)
        opt = make_optimizer(optimizer, model, rate)
        losses = accumulation_loop(model, (X, y), opt, micro_batch_size=micro, accumulation_steps=kk,
                                   epochs=epochs, divide=divide, seed=shuffle_seed)  # fmt: skip
        results.append((losses, {n: p.detach().clone() for n, p in model.named_parameters()}))
    (div, w_div), (nodiv, w_nodiv), (big, w_big) = results
    return DivisionRuns(micro_batch_size, k, lr, optimizer, div, nodiv, big, w_nodiv, w_big, w_div)


# ----------------------------------------------------------------------------- memory


class _Saved:
    """A tensor autograd keeps for the backward pass; when autograd lets go of it, so do we."""

    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor


def peak_saved_bytes(fn: Callable[[], object]) -> int:
    """The most bytes autograd held *at the same time* for backward passes while ``fn()`` ran.

    Like :func:`course_utils.measure.activation_bytes` it counts the tensors saved for backward
    (parameters and views of them apart, shared memory once), but it also sees them released: a graph's tensors are
    freed when its ``backward()`` has run. So for a loop of micro-batches it reports the largest
    single micro-batch's share, not the sum.
    """
    live: dict[tuple[int, int], list[int]] = {}  # storage -> [tensors holding it, bytes]
    state = {"now": 0, "peak": 0}

    def release(key: tuple[int, int]) -> None:
        entry = live[key]
        entry[0] -= 1
        if entry[0] == 0:
            state["now"] -= entry[1]
            del live[key]

    def pack(t: torch.Tensor) -> object:
        base = t if t._base is None else t._base  # a Linear layer saves its weight as a transposed view
        if base.requires_grad and base.is_leaf:
            return t  # a parameter (or a view of one): it exists anyway, it is not an activation
        storage = t.untyped_storage()
        key = (storage.data_ptr(), storage.nbytes())
        if key in live:
            live[key][0] += 1
        else:
            live[key] = [1, key[1]]
            state["now"] += key[1]
            state["peak"] = max(state["peak"], state["now"])
        box = _Saved(t)
        weakref.finalize(box, release, key)
        return box

    def unpack(box: object) -> torch.Tensor:
        return box.tensor if isinstance(box, _Saved) else box

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        fn()
    return state["peak"]


@dataclass(frozen=True)
class MemoryRow:
    """Memory of one optimizer step over ``batch_size`` examples, done in ``accumulation_steps`` pieces.

    ``step`` holds the parts at the peak (bytes): the activations saved for backward, measured over
    the whole loop of micro-batches by :func:`peak_saved_bytes`; the parameters and their gradients
    (:func:`course_utils.measure.parameter_bytes`, fixed); one micro-batch's inputs and targets.
    ``one_micro_batch`` is the activations of a single micro-batch's forward pass, measured alone.
    """

    batch_size: int
    accumulation_steps: int
    step: StepMemory
    one_micro_batch: int

    @property
    def micro_batch_size(self) -> int:
        return self.step.batch_size

    @property
    def peak_activations(self) -> int:
        return self.step.activations

    @property
    def peak_total(self) -> int:
        return self.step.total


def memory_comparison(
    batch_size: int = 1024, accumulation_steps: Sequence[int] = (1, 2, 4, 8, 16), hidden: Sequence[int] = (256, 256),
    seed: int = 0,
) -> list[MemoryRow]:  # fmt: skip
    """For each k in ``accumulation_steps``: the memory of one step over ``batch_size`` examples done as
    k micro-batches of ``batch_size // k`` (k = 1: the whole batch at once).

    The network is wider than the lesson's (2 -> 256 -> 256 -> 2), so that the activations are
    clearly visible next to the weights; the inputs are random 2-D points with random classes.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=65536)
    ks = [check_int("accumulation_steps", k, minimum=1, maximum=batch_size) for k in accumulation_steps]
    for k in ks:
        if batch_size % k:
            raise ValueError(
                f"accumulation_steps={k} does not divide batch_size={batch_size} into equal micro-batches. "
                f"Allowed: a divisor of {batch_size}."
            )
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, 2, generator=g)
    y = torch.randint(0, 2, (batch_size,), generator=g)
    model, loss_fn = lesson_model(hidden, seed=seed), nn.CrossEntropyLoss()
    params = parameter_bytes(model)
    rows = []
    for k in ks:
        micro = batch_size // k

        def accumulation_step(micro: int = micro, k: int = k) -> None:
            model.zero_grad()
            for i in range(k):  # a data loader hands out each micro-batch as a tensor of its own
                xm, ym = x[i * micro : (i + 1) * micro].clone(), y[i * micro : (i + 1) * micro].clone()
                (loss_fn(model(xm), ym) / k).backward()  # frees this micro-batch's saved tensors

        xm, ym = x[:micro].clone(), y[:micro].clone()
        peak = peak_saved_bytes(accumulation_step)
        one = peak_saved_bytes(lambda xm=xm, ym=ym: loss_fn(model(xm), ym))
        batch_bytes = xm.numel() * xm.element_size() + ym.numel() * ym.element_size()
        rows.append(MemoryRow(batch_size, k, StepMemory(micro, peak, params, params, batch_bytes), one))
    model.zero_grad()
    return rows


def step_seconds(
    batch_size: int = 1024, accumulation_steps: Sequence[int] = (1, 4, 16), hidden: Sequence[int] = (256, 256),
    repeats: int = 3, seed: int = 0,
) -> dict[int, float]:  # fmt: skip
    """Median wall-clock seconds of one optimizer step's gradient over ``batch_size`` examples, done in
    k micro-batches, for each k (the network of :func:`memory_comparison`). Timings vary between runs."""
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=65536)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, 2, generator=g)
    y = torch.randint(0, 2, (batch_size,), generator=g)
    model, loss_fn = lesson_model(hidden, seed=seed), nn.CrossEntropyLoss()
    out = {}
    for k in accumulation_steps:
        k = check_int("accumulation_steps", k, minimum=1, maximum=batch_size)
        if batch_size % k:
            raise ValueError(f"accumulation_steps={k} does not divide batch_size={batch_size}. Allowed: a divisor.")
        out[k] = time_per_call(lambda k=k: accumulate_gradients(model, x, y, loss_fn, batch_size // k), repeats=repeats)
    model.zero_grad()
    return out


# ----------------------------------------------------------------------------- forgetting zero_grad


@dataclass
class ZeroGradRuns:
    """The same batches, trained with and without ``optimizer.zero_grad()`` each step."""

    lr: float
    batch_size: int
    loss_with: list[float]
    loss_without: list[float]
    grad_norm_with: list[float]  # length of the whole gradient, right after backward()
    grad_norm_without: list[float]
    stop_with: str
    stop_without: str


def _norm(model: nn.Module) -> float:
    return math.sqrt(sum(float(p.grad.pow(2).sum()) for p in model.parameters() if p.grad is not None))


def zero_grad_runs(steps: int = 32, *, lr: float = 0.1, batch_size: int = 32, seed: int = 0) -> ZeroGradRuns:
    """Train the lesson's network ``steps`` steps twice on the same batches; the second run never
    calls ``zero_grad()``, so each ``backward()`` adds to every gradient before it.

    Records the loss and the gradient's length (its norm) at every step. A loss that becomes NaN or
    infinite ends that run with ``"diverged at step N"``.
    """
    steps = check_int("steps", steps, minimum=1, maximum=1000)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=N_SAMPLES)
    X, y = lesson_data(seed)
    dataset = torch.utils.data.TensorDataset(X, y)
    loader = make_loader(dataset, batch_size, shuffle=True, seed=seed + SHUFFLE_SEED_OFFSET)
    batches: list[tuple[torch.Tensor, torch.Tensor]] = []
    while len(batches) < steps:  # drawn once, so that both runs see exactly the same batches
        batches.extend(loader)
    out = []
    for zero in (True, False):
        model = lesson_model(seed=seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        losses, norms, stop = [], [], "finished"
        for step, (xb, yb) in enumerate(batches[:steps], start=1):
            loss = loss_fn(model(xb), yb)
            if not math.isfinite(loss.item()):
                stop = f"diverged at step {step}"
                break
            if zero:
                optimizer.zero_grad()
            loss.backward()
            norm = _norm(model)
            if not math.isfinite(norm):
                stop = f"diverged at step {step}"
                break
            optimizer.step()
            losses.append(loss.item())
            norms.append(norm)
        out.append((losses, norms, stop))
    (lw, nw, sw), (lo, no, so) = out
    return ZeroGradRuns(lr, batch_size, lw, lo, nw, no, sw, so)


def accumulation_demo(micro_batch: int = 16, accum_steps: int = 4, seed: int = 0) -> AccumulationRuns:
    """The slider demo: :func:`accumulation_runs` with short setting names (SGD, lr 0.5, 4 epochs)."""
    return accumulation_runs(micro_batch, accum_steps, seed=seed)
