"""Lesson 05: what the batch size changes, measured on one small problem.

The problem throughout: the two moons (512 training and 256 validation examples), a
2 -> 64 -> 64 -> 2 MLP, plain SGD (``w <- w - lr * grad``), base learning rate 0.1 at batch 32.

* Cost of a step: :func:`measure_throughput` (samples per second, time per step and per epoch)
  and :func:`measure_step_memory` (the bytes one step holds, activations counted apart).
* Optimisation: :func:`batch_size_sweep` trains several batch sizes with the learning rate held
  fixed, or scaled with the batch (the linear scaling rule, :func:`scaled_lr`);
  :func:`batch_size_demo` is the experiment behind the notebook's sliders.
* Noise: :func:`gradient_noise` measures, at fixed weights, how far mini-batch gradients land from
  the full-batch gradient; :func:`noise_scale_during_training` and :func:`steps_to_target`
  estimate the gradient noise scale of McCandlish et al. (2018) and check it against training.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...callbacks import Callback, LoopState, MaxSteps
from ...checks import check_float, check_int
from ...data import POWERS_OF_TWO, epoch_plan, make_loader
from ...history import History
from ...loop import evaluate, train
from ...measure import StepMemory, step_memory, time_per_call
from ...models import make_mlp, make_optimizer
from ...repro import make_generator
from ...runs import MODEL_SEED_OFFSET, SHUFFLE_SEED_OFFSET, Run, make_data

__all__ = [
    "N_TRAIN",
    "BASE_LR",
    "BASE_BATCH",
    "HIDDEN",
    "lesson_data",
    "lesson_model",
    "scaled_lr",
    "train_batch_size",
    "Sweep",
    "batch_size_sweep",
    "BatchDemo",
    "batch_size_demo",
    "Throughput",
    "measure_throughput",
    "MemorySweep",
    "measure_step_memory",
    "per_example_gradients",
    "GradientNoise",
    "gradient_noise",
    "NoiseScaleTrace",
    "noise_scale_during_training",
    "StepsToTarget",
    "steps_to_target",
    "updates_per_epoch",
]

N_SAMPLES, VAL_FRACTION = 768, 1 / 3
N_TRAIN = 512  # 768 examples, a third kept for validation
HIDDEN = (64, 64)
BASE_LR, BASE_BATCH = 0.1, 32


# ----------------------------------------------------------------------------- the lesson's setting


def lesson_data(seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """The lesson's data: two moons, 512 examples to train on and 256 to validate on."""
    train_set, val_set = make_data("moons", N_SAMPLES, VAL_FRACTION, seed=seed)
    return train_set, val_set


def lesson_model(seed: int = 0) -> nn.Sequential:
    """The lesson's network, 2 -> 64 -> 64 -> 2, with the same starting weights every training run uses."""
    return make_mlp(2, HIDDEN, 2, seed=seed + MODEL_SEED_OFFSET)


def scaled_lr(lr: float, batch_size: int, base_batch: int = BASE_BATCH) -> float:
    """The linear scaling rule: ``lr`` is right for ``base_batch``; a batch k times larger gets k times the lr.

    >>> scaled_lr(0.1, 128)   # four times the batch of 32
    0.4
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    base_batch = check_int("base_batch", base_batch, minimum=1)
    return lr * batch_size / base_batch


def _check_batch_sizes(name: str, values: Sequence[int], maximum: int) -> tuple[int, ...]:
    if isinstance(values, (int, str)) or not isinstance(values, Sequence) or len(values) == 0:
        raise TypeError(f"{name} must be a non-empty list of whole numbers such as (8, 32, 128), but got {values!r}.")
    sizes = tuple(check_int(f"{name} entry", v, minimum=1, maximum=maximum) for v in values)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"{name}={values!r} lists a batch size twice; give each one once.")
    return sizes


# ----------------------------------------------------------------------------- training


def train_batch_size(
    batch_size: int = BASE_BATCH, lr: float = BASE_LR, epochs: int = 20, scale_lr: bool = False, seed: int = 0
) -> Run:
    """Train the lesson's network with this batch size and return the Run.

    ``scale_lr=False``: the learning rate is ``lr`` whatever the batch size.
    ``scale_lr=True``: ``lr`` is the rate for batch 32 and is scaled linearly, ``lr * batch_size / 32``.
    A rate so large that the loss blows up ends the run with ``stop_reason == "diverged at step N"``.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=N_TRAIN)  # checked once, here
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    epochs = check_int("epochs", epochs, minimum=0)
    lr_used = lr * batch_size / BASE_BATCH if scale_lr else lr  # scaled_lr's rule, on checked numbers
    train_set, val_set = lesson_data(seed)
    model = lesson_model(seed)
    history = train(
        model, train_set, optimizer=make_optimizer("sgd", model, lr_used), epochs=epochs, batch_size=batch_size,
        seed=seed + SHUFFLE_SEED_OFFSET, val_data=val_set, loss_fn=nn.CrossEntropyLoss(),
    )  # fmt: skip
    settings = dict(data="moons", n_samples=N_SAMPLES, val_fraction=VAL_FRACTION, hidden=HIDDEN, optimizer="sgd",
                    lr=lr_used, base_lr=lr, scale_lr=bool(scale_lr), batch_size=batch_size, epochs=epochs,
                    seed=seed)  # fmt: skip
    return Run(settings, history, model)


@dataclass
class Sweep:
    """Several batch sizes trained for the same number of epochs, with the lr fixed or scaled."""

    batch_sizes: tuple[int, ...]
    runs: list[Run] = field(repr=False)
    base_lr: float
    scale_lr: bool
    epochs: int
    seed: int

    @property
    def lrs(self) -> list[float]:
        """The learning rate each batch size trained with."""
        return [run.settings["lr"] for run in self.runs]

    @property
    def title(self) -> str:
        if self.scale_lr:
            rule = f"lr = {self.base_lr:g} x batch/32 (linear scaling)"
        else:
            rule = f"lr fixed at {self.base_lr:g}"
        return f"{rule}, {self.epochs} epochs, plain SGD"

    def final_losses(self) -> list[dict[str, float]]:
        """For each batch size: training and validation loss of the final weights, and the best validation loss.

        The training loss here is measured on all 512 training examples with the final weights, so it
        compares directly with the validation loss (the epoch mean in the History mixes older weights).
        """
        train_set, _ = lesson_data(self.seed)
        out = []
        for size, run in zip(self.batch_sizes, self.runs):
            h = run.history
            train_loss = evaluate(run.model, train_set, nn.CrossEntropyLoss())[0] if not h.diverged else math.nan
            val, acc = h.epoch_val_loss, h.epoch_val_acc
            out.append(dict(batch_size=size, lr=run.settings["lr"], steps=h.steps,
                            train_loss=train_loss, val_loss=val[-1] if val and not h.diverged else math.nan,
                            best_val_loss=min(val) if val else math.nan,
                            val_acc=acc[-1] if acc and not h.diverged else math.nan))  # fmt: skip
        return out


def batch_size_sweep(
    batch_sizes: Sequence[int] = (8, 32, 128, 512),
    lr: float = BASE_LR,
    epochs: int = 20,
    scale_lr: bool = False,
    seed: int = 0,
) -> Sweep:
    """Train every batch size in ``batch_sizes`` for ``epochs`` epochs from the same starting weights.

    With ``scale_lr=False`` only the batch size changes between the runs; with ``scale_lr=True`` the
    learning rate grows with it (``lr`` is the rate for batch 32).
    """
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, N_TRAIN)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    epochs = check_int("epochs", epochs, minimum=1)
    runs = [train_batch_size(b, lr, epochs, scale_lr, seed) for b in sizes]
    return Sweep(sizes, runs, lr, bool(scale_lr), epochs, seed)


@dataclass
class BatchDemo:
    """The demo's result: the run with the chosen settings and a reference run at batch 32."""

    run: Run = field(repr=False)
    reference: Run = field(repr=False)
    scale_lr: bool

    @property
    def batch_size(self) -> int:
        return self.run.settings["batch_size"]

    @property
    def lr_used(self) -> float:
        return self.run.settings["lr"]

    def describe(self) -> str:
        """One line: updates per epoch, the lr actually used, the final validation loss of both runs."""
        h, ref = self.run.history, self.reference.history
        b, base = self.batch_size, self.run.settings["base_lr"]
        lr_text = f"lr {self.lr_used:.3g} (= {base:g} x {b}/32)" if self.scale_lr else f"lr {self.lr_used:.3g}"
        per_epoch = f"{h.batches_per_epoch} update{'s' if h.batches_per_epoch != 1 else ''} per epoch"
        parts = [f"batch {b}: {per_epoch}, {h.steps} in all; {lr_text}"]
        if h.diverged:
            parts.append(h.stop_reason)
        elif h.epoch_val_loss:
            parts.append(f"final validation loss {h.epoch_val_loss[-1]:.4f}")
        if ref.epoch_val_loss and not ref.diverged:
            parts.append(f"(batch 32 at lr {base:g}: {ref.epoch_val_loss[-1]:.4f})")
        elif ref.diverged:
            parts.append(f"(batch 32 at lr {base:g}: {ref.stop_reason})")
        return "; ".join(parts)


@functools.lru_cache(maxsize=32)
def _reference(lr: float, epochs: int, seed: int) -> Run:
    """Batch 32 at ``lr``: a pure function of its arguments, so remembering the result changes nothing."""
    return train_batch_size(BASE_BATCH, lr, epochs, False, seed)


def batch_size_demo(
    batch_size: int = BASE_BATCH, lr: float = BASE_LR, epochs: int = 10, scale_lr: bool = False, seed: int = 0
) -> BatchDemo:
    """The sliders' experiment: train with these settings, next to batch 32 at the (unscaled) ``lr``."""
    run = train_batch_size(batch_size, lr, epochs, scale_lr, seed)
    lr = run.settings["base_lr"]
    reference = run if run.settings["batch_size"] == BASE_BATCH else _reference(lr, run.settings["epochs"], seed)
    return BatchDemo(run, reference, bool(scale_lr))


# ----------------------------------------------------------------------------- cost of a step


@dataclass
class Throughput:
    """Wall-clock cost of training steps at several batch sizes (medians over repeats)."""

    batch_sizes: tuple[int, ...]
    step_seconds: list[float]  # one optimizer step: batching, forward, loss, backward, update
    steps_per_epoch: list[int]
    steps_timed: list[int]  # consecutive steps in each timed stretch
    repeats: int
    n_samples: int

    @property
    def samples_per_second(self) -> list[float]:
        """Training examples processed per second."""
        return [b / t for b, t in zip(self.batch_sizes, self.step_seconds)]

    @property
    def epoch_seconds(self) -> list[float]:
        """Time for one pass over the training set: steps per epoch x time per step."""
        return [n * t for n, t in zip(self.steps_per_epoch, self.step_seconds)]

    def affine_fit(self) -> tuple[float, float]:
        """Least-squares fit ``step time = fixed + per_example * batch_size``; returns ``(fixed, per_example)``.

        ``fixed`` is what a step costs whatever its size (Python, launching each operation, the
        optimizer); ``per_example`` is the arithmetic that grows with the batch.
        """
        b = torch.tensor(self.batch_sizes, dtype=torch.float64)
        t = torch.tensor(self.step_seconds, dtype=torch.float64)
        design = torch.stack([torch.ones_like(b), b], dim=1)
        solution = torch.linalg.lstsq(design, t[:, None]).solution[:, 0]
        return float(solution[0]), float(solution[1])

    def at(self, batch_size: int) -> dict[str, float]:
        """The measurements for one batch size."""
        i = self.batch_sizes.index(batch_size)
        return dict(batch_size=batch_size, step_seconds=self.step_seconds[i], epoch_seconds=self.epoch_seconds[i],
                    samples_per_second=self.samples_per_second[i], steps_per_epoch=self.steps_per_epoch[i])  # fmt: skip


def measure_throughput(
    batch_sizes: Sequence[int] = POWERS_OF_TWO, repeats: int = 5, max_steps: int = 16, seed: int = 0
) -> Throughput:
    """Time real training steps (the lesson's model and data, SGD) at each batch size.

    For every batch size, ``max_steps`` consecutive steps of an epoch (or the whole epoch when it has
    fewer) are timed ``repeats`` times after one warm-up, and the median is divided by the number of
    steps. Wall-clock times depend on the machine and on what else runs on it: compare the shapes
    of the curves, not the exact numbers.
    """
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, N_TRAIN)
    repeats = check_int("repeats", repeats, minimum=1)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    train_set, _ = lesson_data(seed)
    loss_fn = nn.CrossEntropyLoss()
    step_seconds, per_epoch, timed = [], [], []
    for size in sizes:
        model = lesson_model(seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR)
        loader = make_loader(train_set, size, seed=seed + SHUFFLE_SEED_OFFSET)
        n_steps = min(len(loader), max_steps)

        def stretch(loader=loader, model=model, optimizer=optimizer, n_steps=n_steps) -> None:
            for _, (xb, yb) in zip(range(n_steps), loader):
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

        step_seconds.append(time_per_call(stretch, repeats=repeats, warmup=1) / n_steps)
        per_epoch.append(len(loader))
        timed.append(n_steps)
    return Throughput(sizes, step_seconds, per_epoch, timed, repeats, len(train_set))


@dataclass
class MemorySweep:
    """Bytes one training step holds, for several batch sizes (see :func:`measure_step_memory`)."""

    batch_sizes: tuple[int, ...]
    steps: list[StepMemory]
    weight_view_bytes: int  # weights saved through a view (weight.t()); not extra memory, so not activations

    @property
    def activations(self) -> list[int]:
        return [m.activations for m in self.steps]

    @property
    def weights_and_gradients(self) -> list[int]:
        return [m.parameters + m.gradients for m in self.steps]

    @property
    def batch_bytes(self) -> list[int]:
        return [m.batch for m in self.steps]

    @property
    def totals(self) -> list[int]:
        return [m.total for m in self.steps]

    @property
    def activation_bytes_per_example(self) -> float:
        """The slope: extra activation bytes for every extra example in the batch."""
        (b0, a0), (b1, a1) = (self.batch_sizes[0], self.activations[0]), (self.batch_sizes[-1], self.activations[-1])
        return (a1 - a0) / (b1 - b0) if b1 != b0 else math.nan

    def crossover_batch(self) -> float:
        """The batch size at which the activations take as much memory as the weights and their gradients."""
        per = self.activation_bytes_per_example
        return self.weights_and_gradients[0] / per if per > 0 else math.inf


def _weight_view_bytes(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> int:
    """Bytes of the weights that the forward pass saves through a view such as ``weight.t()``.

    A linear layer keeps its weight for the backward pass as a transposed *view*: the same memory as
    the parameter, not a copy. Storages the forward pass also saves as the parameter itself are
    left out, as :func:`course_utils.measure.activation_bytes` leaves them out.
    """
    weights = {p.untyped_storage().data_ptr(): p.untyped_storage().nbytes() for p in model.parameters()}
    as_view: dict[int, int] = {}
    as_itself: set[int] = set()

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr in weights:
            (as_itself.add(ptr) if isinstance(t, nn.Parameter) or (t.requires_grad and t.is_leaf)
             else as_view.__setitem__(ptr, weights[ptr]))  # fmt: skip
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_fn(model(x), y)
    del loss
    return sum(n for ptr, n in as_view.items() if ptr not in as_itself)


def measure_step_memory(batch_sizes: Sequence[int] = POWERS_OF_TWO, seed: int = 0) -> MemorySweep:
    """What one training step of the lesson's model holds in memory, batch size by batch size.

    Uses :func:`course_utils.measure.step_memory`: the activations are the tensors the forward pass
    saves for the backward pass, counted as they are saved. Each batch is a fresh tensor, as a
    DataLoader hands it out; weights that are saved only as a view of themselves are not counted as
    activations (they take no extra memory; ``weight_view_bytes`` says how many bytes that was).
    """
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, N_TRAIN)
    X, y = lesson_data(seed)[0].tensors
    model = lesson_model(seed)
    loss_fn = nn.CrossEntropyLoss()
    steps = []
    for b in sizes:
        xb, yb = X[:b].clone(), y[:b].clone()  # a batch of its own, not a view into the whole data set
        steps.append(step_memory(model, xb, yb, loss_fn))  # leaves the weights' views out of the activations
    return MemorySweep(sizes, steps, _weight_view_bytes(model, xb, yb, loss_fn))  # the same for every batch


# ----------------------------------------------------------------------------- gradient noise


def per_example_gradients(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module | None = None
) -> torch.Tensor:
    """The gradient of every single example's loss, one row per example: shape ``(examples, parameters)``.

    Row ``i`` is what ``loss_fn(model(X[i:i+1]), y[i:i+1]).backward()`` would put into the ``.grad``
    of all parameters, flattened. The gradient of a mini-batch's mean loss is the mean of its rows.
    Computed for all examples at once with ``torch.func.vmap``; the model's ``.grad`` is not touched.
    """
    from torch.func import functional_call, grad, vmap

    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or len(X) != len(y) or len(X) == 0:
        raise ValueError("X and y must be tensors holding the same, non-zero number of examples.")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}

    def one_loss(p: dict[str, torch.Tensor], x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(model, p, (x[None],)), t[None])

    grads = vmap(grad(one_loss), in_dims=(None, 0, 0))(params, X, y)
    return torch.cat([grads[name].reshape(len(X), -1) for name in params], dim=1)


def _noise_statistics(G: torch.Tensor) -> tuple[float, float]:
    """``tr(Sigma)`` (mean squared distance of the examples' gradients from their mean) and ``|G|^2``."""
    G = G.double()
    mean = G.mean(dim=0)
    trace = ((G - mean) ** 2).sum(dim=1).mean()
    return float(trace), float((mean**2).sum())


@dataclass
class GradientNoise:
    """How far mini-batch gradients land from the full-batch gradient, at one set of weights.

    ``measured[i]`` is the mean, over ``n_batches`` random batches of ``batch_sizes[i]`` examples
    drawn without replacement, of ``|batch gradient - full gradient|^2``; ``sem[i]`` its standard error.
    """

    batch_sizes: tuple[int, ...]
    measured: list[float]
    sem: list[float]
    trace: float  # tr(Sigma): the per-example variance, summed over all parameters
    full_grad_sq: float  # |G|^2, the squared length of the full-batch gradient
    n_examples: int
    n_batches: int
    trained_epochs: int

    def predicted(self, batch_size: int | float, corrected: bool = True) -> float:
        """``tr(Sigma) / B``, times ``(N - B) / (N - 1)`` when ``corrected`` (batches drawn without replacement)."""
        n = self.n_examples
        return self.trace / batch_size * ((n - batch_size) / (n - 1) if corrected else 1.0)

    @property
    def noise_scale(self) -> float:
        """B_simple = tr(Sigma) / |G|^2 (McCandlish et al., 2018): the batch size at which the noise in
        a batch gradient is as large as the gradient itself."""
        return self.trace / self.full_grad_sq

    def length_ratio(self, batch_size: int) -> float:
        """How much longer a batch gradient is than the full-batch gradient G, as a root mean square:
        ``sqrt(E|g_B|^2 / |G|^2)``, where ``E|g_B|^2 = |G|^2 + E|g_B - G|^2`` (the noise adds length)."""
        noise = self.measured[self.batch_sizes.index(batch_size)]
        return math.sqrt((self.full_grad_sq + noise) / self.full_grad_sq)

    def variance_ratio(self, small: int, large: int) -> float:
        """Measured noise at batch ``small`` divided by the noise at batch ``large``."""
        return self.measured[self.batch_sizes.index(small)] / self.measured[self.batch_sizes.index(large)]


def gradient_noise(
    batch_sizes: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256),
    n_batches: int = 500,
    trained_epochs: int = 1,
    seed: int = 0,
) -> GradientNoise:
    """Measure the noise of mini-batch gradients at fixed weights, for several batch sizes.

    The weights are those after ``trained_epochs`` epochs of the standard run (batch 32, lr 0.1).
    Every example's gradient is computed once (:func:`per_example_gradients`); a batch's gradient is
    the mean of its examples' rows, exactly what ``loss.backward()`` on that batch gives.
    """
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, N_TRAIN - 1)
    n_batches = check_int("n_batches", n_batches, minimum=2)
    trained_epochs = check_int("trained_epochs", trained_epochs, minimum=0)
    run = train_batch_size(BASE_BATCH, BASE_LR, trained_epochs, seed=seed)
    X, y = lesson_data(seed)[0].tensors
    G = per_example_gradients(run.model, X, y)
    n = len(G)
    trace, grad_sq = _noise_statistics(G)
    # |mean of batch rows - full mean|^2 = (1/B^2) * sum over pairs i, j in the batch of c_i . c_j, where
    # c_i is example i's deviation from the full gradient. Computing the dot products c_i . c_j once
    # (K, n x n) makes each batch cheap; it gives the same number as averaging the batch's rows.
    C = G.double() - G.double().mean(dim=0)
    K = C @ C.T
    generator = make_generator(seed + 3000)
    measured, sem = [], []
    for size in sizes:
        picks = torch.rand(n_batches, n, generator=generator).argsort(dim=1)[:, :size]  # without replacement
        member = torch.zeros(n_batches, n, dtype=torch.float64).scatter_(1, picks, 1.0)
        squared = ((member @ K) * member).sum(dim=1) / size**2
        measured.append(float(squared.mean()))
        sem.append(float(squared.std() / math.sqrt(n_batches)))
    return GradientNoise(sizes, measured, sem, trace, grad_sq, n, n_batches, trained_epochs)


@dataclass
class NoiseScaleTrace:
    """The simple noise scale B_simple = tr(Sigma)/|G|^2 at checkpoints (in steps) during one training run."""

    steps: list[int]
    trace: list[float]
    full_grad_sq: list[float]
    train_loss: list[float]  # on all training examples, at the checkpoint
    batch_size: int
    lr: float
    history: History = field(repr=False)

    @property
    def noise_scale(self) -> list[float]:
        return [t / g for t, g in zip(self.trace, self.full_grad_sq)]


class _NoiseProbe(Callback):
    """A callback that measures tr(Sigma) and |G|^2 after chosen steps; it does not change training."""

    def __init__(self, model: nn.Module, data: TensorDataset, checkpoints: set[int]) -> None:
        self.model, self.data, self.checkpoints = model, data, checkpoints
        self.rows: list[tuple[int, float, float, float]] = []

    def _measure(self, step: int) -> None:
        X, y = self.data.tensors
        trace, grad_sq = _noise_statistics(per_example_gradients(self.model, X, y))
        with torch.no_grad():
            loss = nn.functional.cross_entropy(self.model(X), y).item()
        self.rows.append((step, trace, grad_sq, loss))

    def on_train_begin(self, state: LoopState) -> None:
        if 0 in self.checkpoints:
            self._measure(0)

    def on_step_end(self, state: LoopState) -> None:
        if state.history.steps in self.checkpoints:
            self._measure(state.history.steps)


def noise_scale_during_training(
    checkpoints: Sequence[int] = (0, 4, 8, 12, 16, 24, 32, 48, 64),
    batch_size: int = BASE_BATCH,
    lr: float = BASE_LR,
    seed: int = 0,
) -> NoiseScaleTrace:
    """Train as :func:`train_batch_size` does and measure B_simple after each step listed in ``checkpoints``
    (0 is the starting weights). Training stops at the last checkpoint."""
    if isinstance(checkpoints, int) or not isinstance(checkpoints, Sequence) or not checkpoints:
        raise TypeError(f"checkpoints must be a non-empty list of step numbers such as (0, 8, 16), "
                        f"not {checkpoints!r}.")  # fmt: skip
    points = sorted({check_int("checkpoints entry", c, minimum=0, maximum=100_000) for c in checkpoints})
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=N_TRAIN)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    train_set, val_set = lesson_data(seed)
    model = lesson_model(seed)
    probe = _NoiseProbe(model, train_set, set(points))
    last = points[-1]
    epochs = math.ceil(last / epoch_plan(N_TRAIN, batch_size).batches_per_epoch)
    history = train(model, train_set, optimizer=make_optimizer("sgd", model, lr), epochs=epochs,
                    batch_size=batch_size, seed=seed + SHUFFLE_SEED_OFFSET, val_data=val_set,
                    loss_fn=nn.CrossEntropyLoss(), callbacks=[probe, *([MaxSteps(last)] if last else [])])  # fmt: skip
    steps, traces, grads, losses = (list(col) for col in zip(*probe.rows)) if probe.rows else ([], [], [], [])
    return NoiseScaleTrace(steps, traces, grads, losses, batch_size, lr, history)


@dataclass
class StepsToTarget:
    """Optimizer steps each batch size needed to bring the training loss below ``target``, best lr each."""

    batch_sizes: tuple[int, ...]
    lrs: tuple[float, ...]
    target: float
    max_steps: int
    steps: dict[int, dict[float, int | None]]  # None: not reached within max_steps, or diverged
    diverged: set[tuple[int, float]]
    noise_scale_at_target: list[float | None] = field(default_factory=list)
    """B_simple measured at the weights with which the best run of each batch size first reached the
    target loss (``None`` where no run reached it)."""

    @property
    def best_steps(self) -> list[int | None]:
        """The fewest steps over the learning rates tried, per batch size."""
        out = []
        for b in self.batch_sizes:
            reached = [s for s in self.steps[b].values() if s is not None]
            out.append(min(reached) if reached else None)
        return out

    @property
    def best_lrs(self) -> list[float | None]:
        out = []
        for b, best in zip(self.batch_sizes, self.best_steps):
            out.append(None if best is None else min(lr for lr, s in self.steps[b].items() if s == best))
        return out

    def fit(self) -> tuple[float, float]:
        """Fit ``steps = S_min * (1 + B_crit / B)`` (McCandlish et al.'s model) by least squares in ``1/B``.

        Returns ``(S_min, B_crit)``: the fewest steps any batch size can manage, and the batch size at
        which training needs twice that. NaN when fewer than two batch sizes reached the target.
        """
        pairs = [(1.0 / b, s) for b, s in zip(self.batch_sizes, self.best_steps) if s is not None]
        if len(pairs) < 2:
            return math.nan, math.nan
        inv_b = torch.tensor([p[0] for p in pairs], dtype=torch.float64)
        s = torch.tensor([p[1] for p in pairs], dtype=torch.float64)
        design = torch.stack([torch.ones_like(inv_b), inv_b], dim=1)
        a, b = torch.linalg.lstsq(design, s[:, None]).solution[:, 0].tolist()
        return a, (b / a if a > 0 else math.nan)


class _FullLossTarget(Callback):
    """After every step, the loss on all training examples: stop when it is below ``target`` or has blown
    up (NaN, infinite, or ten times its starting value)."""

    order = -20  # before MaxSteps: a step that reaches the target on the last allowed step still counts

    def __init__(self, model: nn.Module, data: TensorDataset, target: float) -> None:
        self.model, (self.X, self.y), self.target = model, data.tensors, target
        self.reached_at: int | None = None
        self.weights_at_target: dict[str, torch.Tensor] | None = None
        self.diverged = False

    def _loss(self) -> float:
        with torch.no_grad():
            return nn.functional.cross_entropy(self.model(self.X), self.y).item()

    def on_train_begin(self, state: LoopState) -> None:
        self.start = self._loss()

    def on_step_end(self, state: LoopState) -> None:
        full = self._loss()
        if not math.isfinite(full) or full > 10 * self.start:
            self.diverged = True
            state.stop("diverged")
        elif full < self.target:
            self.reached_at = state.history.steps
            self.weights_at_target = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            state.stop(f"reached the target at step {state.history.steps}")


def steps_to_target(
    batch_sizes: Sequence[int] = (4, 8, 16, 32, 64, 128, 256, 512),
    lrs: Sequence[float] = (0.4, 0.8, 1.6, 3.2),
    target: float = 0.25,
    max_steps: int = 150,
    seed: int = 0,
) -> StepsToTarget:
    """For each batch size and learning rate, count SGD steps until the loss on all training examples
    drops below ``target`` (checked after every step), and measure B_simple where the fastest run of
    each batch size got there. A run whose loss becomes NaN, infinite or ten
    times its starting value counts as diverged; one still above ``target`` after ``max_steps`` as not reached.
    """
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, N_TRAIN)
    if isinstance(lrs, (int, float)) or not isinstance(lrs, Sequence) or not lrs:
        raise TypeError(f"lrs must be a non-empty list of learning rates such as (0.1, 0.4), not {lrs!r}.")
    rates = tuple(check_float("lrs entry", lr, minimum=0.0, strict_minimum=True) for lr in lrs)
    target = check_float("target", target, minimum=0.0, strict_minimum=True)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    train_set, _ = lesson_data(seed)
    X, y = train_set.tensors
    steps: dict[int, dict[float, int | None]] = {}
    diverged: set[tuple[int, float]] = set()
    at_target: list[float | None] = []
    for size in sizes:
        steps[size] = {}
        weights: dict[float, dict[str, torch.Tensor] | None] = {}
        for lr in rates:
            model = lesson_model(seed)
            watch = _FullLossTarget(model, train_set, target)
            epochs = math.ceil(max_steps / epoch_plan(N_TRAIN, size).batches_per_epoch)
            history = train(model, train_set, optimizer=torch.optim.SGD(model.parameters(), lr=lr), epochs=epochs,
                            batch_size=size, seed=seed + SHUFFLE_SEED_OFFSET, loss_fn=nn.CrossEntropyLoss(),
                            callbacks=[watch, MaxSteps(max_steps)])  # fmt: skip
            if watch.diverged or history.diverged:
                diverged.add((size, lr))
            steps[size][lr] = watch.reached_at
            weights[lr] = watch.weights_at_target
        reached = [(s, lr) for lr, s in steps[size].items() if s is not None]
        if reached:  # B_simple where the fastest run (the smallest lr among ties) reached the target
            model = lesson_model(seed)
            model.load_state_dict(weights[min(reached)[1]])
            trace, grad_sq = _noise_statistics(per_example_gradients(model, X, y))
            at_target.append(trace / grad_sq)
        else:
            at_target.append(None)
    return StepsToTarget(sizes, rates, target, max_steps, steps, diverged, at_target)


def updates_per_epoch(batch_sizes: Sequence[int] = POWERS_OF_TWO, n_samples: int = N_TRAIN) -> list[int]:
    """Optimizer steps in one epoch for each batch size (the last, smaller batch counts as a step)."""
    sizes = _check_batch_sizes("batch_sizes", batch_sizes, n_samples)
    return [epoch_plan(n_samples, b).batches_per_epoch for b in sizes]
