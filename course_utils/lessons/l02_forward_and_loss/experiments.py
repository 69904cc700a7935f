"""Lesson 02: the forward pass and the loss.

* :func:`regression_example`, :func:`classifier_example`, :func:`char_example` build a seeded,
  untrained model and a small batch for it: the notebook runs their forward pass in plain sight.
* :func:`top_next_chars` turns a next-character model's logits for a piece of text into the ``k``
  most likely next characters with their probabilities.
* :func:`mse_by_hand` and :func:`cross_entropy_by_hand` compute a loss one example at a time and
  next to it the ``torch.nn`` loss, so the two can be compared.
* :func:`metric_slice` and :func:`metric_during_training` show why accuracy cannot be the loss:
  along one weight it is a staircase (flat almost everywhere, so its slope is 0), and during
  training it can stay put for many steps while the loss keeps falling.
* :func:`line_surface` is the mean squared error of the line ``y = w*x + b`` over a grid of
  ``(w, b)``, with the least-squares minimum; it is computed once and cached.
* :class:`LineExplorer` is the "gradient descent by hand" demo's memory: call it with ``w`` and
  ``b`` and it returns the loss there plus every setting visited before.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...callbacks import Callback, LoopState
from ...checks import check_float, check_int
from ...data import CharVocab, make_blobs, make_line, make_next_char_data, make_regression, zen_of_python
from ...history import History
from ...loop import train
from ...models import make_char_model, make_mlp

__all__ = [
    "Example",
    "CharExample",
    "regression_example",
    "classifier_example",
    "char_example",
    "top_next_chars",
    "LossBreakdown",
    "mse_by_hand",
    "cross_entropy_by_hand",
    "MetricSlice",
    "metric_slice",
    "MetricRun",
    "metric_during_training",
    "LossSurface",
    "line_surface",
    "LinePoint",
    "LineExplorer",
    "describe_line_point",
    "CHAR_CONTEXT",
]

CHAR_CONTEXT = 8
"""How many characters the next-character model reads to guess the next one."""

_MAX_EXAMPLES = 1000


# ----------------------------------------------------------------------------- forward pass


@dataclass(frozen=True)
class Example:
    """A seeded, untrained model and a small batch ``(X, y)`` to run it on."""

    model: nn.Module = field(repr=False)
    X: torch.Tensor
    y: torch.Tensor


def regression_example(n_examples: int = 5, seed: int = 0) -> Example:
    """An 8 -> 16 -> 1 MLP with random weights and ``n_examples`` rows of the 8-feature regression data.

    The model's forward pass turns each row of 8 numbers into one number: its guess of the target.
    """
    n_examples = check_int("n_examples", n_examples, minimum=1, maximum=_MAX_EXAMPLES)
    seed = check_int("seed", seed, minimum=0)
    X, y = make_regression(n_samples=n_examples, n_features=8, seed=seed).tensors
    return Example(make_mlp(8, (16,), 1, seed=seed), X, y)


def classifier_example(n_examples: int = 5, n_classes: int = 4, seed: int = 0) -> Example:
    """A 2 -> 16 -> ``n_classes`` MLP with random weights and ``n_examples`` points of the blobs data.

    Its forward pass gives one score (logit) per class for every point.
    """
    n_examples = check_int("n_examples", n_examples, minimum=1, maximum=_MAX_EXAMPLES)
    n_classes = check_int("n_classes", n_classes, minimum=2, maximum=10)
    seed = check_int("seed", seed, minimum=0)
    X, y = make_blobs(n_samples=n_examples, n_classes=n_classes, seed=seed).tensors
    return Example(make_mlp(2, (16,), n_classes, seed=seed), X, y)


@dataclass(frozen=True)
class CharExample:
    """A next-character model, the text it reads, its vocabulary and its training examples."""

    model: nn.Module = field(repr=False)
    vocab: CharVocab = field(repr=False)
    data: TensorDataset = field(repr=False)
    text: str = field(repr=False)
    history: History | None = field(default=None, repr=False)


def char_example(train_steps: int = 0, seed: int = 0) -> CharExample:
    """The tiny next-character model on the Zen of Python (8 characters in, 45 possible next ones).

    ``train_steps=0`` (the default) leaves the weights as they were drawn: random. With more, the
    model is first trained for that many full-batch Adam steps (learning rate 0.01) through
    :func:`course_utils.train` -- the loop of notebook 01 -- and ``history`` says how it went.
    """
    train_steps = check_int("train_steps", train_steps, minimum=0, maximum=500)
    seed = check_int("seed", seed, minimum=0)
    text = zen_of_python()
    data, vocab = make_next_char_data(text, context=CHAR_CONTEXT)
    model = make_char_model(len(vocab), context=CHAR_CONTEXT, seed=seed)
    history = None
    if train_steps:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        history = train(model, data, optimizer=optimizer, epochs=train_steps, batch_size=len(data), shuffle=False)
    return CharExample(model, vocab, data, text, history)


def top_next_chars(
    model: nn.Module, vocab: CharVocab, text: str, k: int = 5, context: int = CHAR_CONTEXT
) -> list[tuple[str, float]]:
    """The ``k`` characters the model finds most likely to follow ``text``, with their probabilities.

    Only the last ``context`` characters of ``text`` are read (that is all the model sees). The
    probabilities come from softmax over the model's logits for all characters of the vocabulary.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, but got {text!r} of type {type(text).__name__}.")
    context = check_int("context", context, minimum=1)
    k = check_int("k", k, minimum=1, maximum=len(vocab))
    if len(text) < context:
        raise ValueError(f"text={text!r} has {len(text)} characters; the model reads the last {context}, "
                         f"so give it at least {context}.")  # fmt: skip
    unknown = sorted(set(text[-context:]) - set(vocab.chars))
    if unknown:
        raise ValueError(f"text={text!r} ends with characters the model has never seen: {''.join(unknown)!r}. "
                         "Use letters, spaces and punctuation from the Zen of Python.")  # fmt: skip
    ids = vocab.encode(text[-context:]).unsqueeze(0)  # a batch of one example
    with torch.no_grad():
        probs = torch.softmax(model(ids), dim=1)[0]
    top = torch.topk(probs, k)
    return [(vocab.chars[int(i)], float(p)) for p, i in zip(top.values, top.indices)]


# ----------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class LossBreakdown:
    """A loss worked out example by example.

    ``per_example``: each example's own loss; ``mean``: their average, computed by hand;
    ``torch_mean``: what the ``torch.nn`` loss (``reduction='mean'``, the default) returns;
    ``torch_none``: the same loss with ``reduction='none'`` (one number per example).
    For cross-entropy, ``p_correct`` is the probability the model gave the right class.
    """

    kind: str
    per_example: tuple[float, ...]
    mean: float
    torch_mean: float
    torch_none: tuple[float, ...]
    p_correct: tuple[float, ...] | None = None

    @property
    def max_difference(self) -> float:
        """The largest gap between the by-hand numbers and PyTorch's."""
        gaps = [abs(self.mean - self.torch_mean)] + [abs(a - b) for a, b in zip(self.per_example, self.torch_none)]
        return max(gaps)


def _as_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, but got {type(value).__name__}.")
    if value.numel() == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one example.")
    return value.detach()


def mse_by_hand(predictions: torch.Tensor, targets: torch.Tensor) -> LossBreakdown:
    """Mean squared error: each example's ``(prediction - target)**2``, then the mean over the batch."""
    pred = _as_tensor("predictions", predictions).float()
    y = _as_tensor("targets", targets).float()
    if pred.shape != y.shape:
        raise ValueError(f"predictions have shape {tuple(pred.shape)} but targets {tuple(y.shape)}; for MSE they "
                         "must match (one prediction per target).")  # fmt: skip
    per_example = ((pred - y) ** 2).reshape(len(pred), -1).mean(dim=1)  # one number per example (row)
    return LossBreakdown(
        kind="mse",
        per_example=tuple(per_example.tolist()),
        mean=float(per_example.mean()),
        torch_mean=float(nn.MSELoss()(pred, y)),
        torch_none=tuple(nn.MSELoss(reduction="none")(pred, y).reshape(len(pred), -1).mean(dim=1).tolist()),
    )


def cross_entropy_by_hand(logits: torch.Tensor, targets: torch.Tensor) -> LossBreakdown:
    """Cross-entropy: softmax turns each row of logits into probabilities; the example's loss is
    ``-log(probability of the correct class)``; the batch's loss is the mean of those."""
    z = _as_tensor("logits", logits).float()
    y = _as_tensor("targets", targets)
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (examples, classes), but have shape {tuple(z.shape)}.")
    if y.dtype != torch.long or y.shape != (len(z),):
        raise ValueError(f"targets must hold one class number (int64) per example, shape ({len(z)},), but got "
                         f"shape {tuple(y.shape)} and dtype {y.dtype}.")  # fmt: skip
    if int(y.min()) < 0 or int(y.max()) >= z.shape[1]:
        raise ValueError(f"targets must be class numbers from 0 to {z.shape[1] - 1}, but range from "
                         f"{int(y.min())} to {int(y.max())}.")  # fmt: skip
    probs = torch.softmax(z, dim=1)
    p_correct = probs[torch.arange(len(z)), y]
    per_example = -torch.log(p_correct)
    return LossBreakdown(
        kind="cross_entropy",
        per_example=tuple(per_example.tolist()),
        mean=float(per_example.mean()),
        torch_mean=float(nn.CrossEntropyLoss()(z, y)),
        torch_none=tuple(nn.CrossEntropyLoss(reduction="none")(z, y).tolist()),
        p_correct=tuple(p_correct.tolist()),
    )


# ----------------------------------------------------------------------------- the metric is not the loss


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(dim=1) == y).float().mean())


@dataclass(frozen=True)
class MetricSlice:
    """Accuracy and cross-entropy of a classifier while one of its weights moves and all others stay put.

    ``values[i]`` is the weight's value, ``accuracy[i]`` and ``loss[i]`` are measured on all the
    example's points with it; ``start`` is the value the weight really has.
    """

    name: str
    start: float
    values: tuple[float, ...]
    accuracy: tuple[float, ...]
    loss: tuple[float, ...]

    @property
    def accuracy_changes(self) -> int:
        """How many of the small moves from one grid value to the next change the accuracy at all."""
        return sum(a != b for a, b in zip(self.accuracy, self.accuracy[1:]))

    @property
    def loss_changes(self) -> int:
        """How many of the same moves change the loss."""
        return sum(a != b for a, b in zip(self.loss, self.loss[1:]))

    @property
    def moves(self) -> int:
        return len(self.values) - 1


def metric_slice(example: Example, width: float = 8.0, points: int = 801) -> MetricSlice:
    """Move the output layer's weight with the steepest loss gradient over ``width`` around its value.

    At every one of ``points`` values, the model's accuracy and cross-entropy on ``example.X`` are
    measured; the weight is put back afterwards (the model is unchanged).
    """
    if not isinstance(example, Example):
        raise TypeError(f"example must come from classifier_example(...), but got {type(example).__name__}.")
    width = check_float("width", width, minimum=0.0, strict_minimum=True)
    points = check_int("points", points, minimum=3, maximum=10_001)
    model, X, y = example.model, example.X, example.y
    weight = [m for m in model if isinstance(m, nn.Linear)][-1].weight
    model.zero_grad()
    nn.functional.cross_entropy(model(X), y).backward()
    i, j = divmod(int(weight.grad.abs().argmax()), weight.shape[1])
    model.zero_grad(set_to_none=True)
    start = float(weight[i, j].detach())
    values = torch.linspace(start - width / 2, start + width / 2, points)
    accuracy, loss = [], []
    with torch.no_grad():
        for v in values:
            weight[i, j] = v
            logits = model(X)
            accuracy.append(_accuracy(logits, y))
            loss.append(float(nn.functional.cross_entropy(logits, y)))
        weight[i, j] = start
    index = [n for n, p in model.named_parameters() if p is weight][0]
    return MetricSlice(f"{index}[{i}, {j}]", start, tuple(values.tolist()), tuple(accuracy), tuple(loss))


@dataclass(frozen=True)
class MetricRun:
    """Loss and accuracy (all points) before each step of a full-batch training run."""

    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    lr: float

    def longest_flat_stretch(self) -> tuple[int, int]:
        """``(first, last)`` step of the longest stretch in which the accuracy did not change at all while
        the loss fell at every step (steps counted from 0, the starting weights)."""
        best, start = (0, 0), 0
        for t in range(1, len(self.loss)):
            if self.accuracy[t] != self.accuracy[t - 1] or not self.loss[t] < self.loss[t - 1]:
                start = t
            elif t - start > best[1] - best[0]:
                best = (start, t)
        return best


class _AccuracyBeforeStep(Callback):
    """Accuracy on all points with the weights the step is about to use (the step's loss uses the same)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.X, self.y, self.accuracy = X, y, []

    def on_step_begin(self, state: LoopState) -> None:
        with torch.no_grad():
            self.accuracy.append(_accuracy(state.model(self.X), self.y))


def metric_during_training(n_examples: int = 200, steps: int = 60, lr: float = 0.5, seed: int = 0) -> MetricRun:
    """Train :func:`classifier_example`'s model on all its points at once (full-batch SGD) through
    :func:`course_utils.train`, recording loss and accuracy before every step."""
    steps = check_int("steps", steps, minimum=1, maximum=2000)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    example = classifier_example(n_examples=n_examples, n_classes=4, seed=seed)
    X, y = example.X, example.y
    watch = _AccuracyBeforeStep(X, y)
    history = train(example.model, (X, y), optimizer=torch.optim.SGD(example.model.parameters(), lr=lr),
                    epochs=steps, batch_size=len(X), shuffle=False, callbacks=[watch])  # fmt: skip
    return MetricRun(tuple(history.step_loss), tuple(watch.accuracy), lr)


# ----------------------------------------------------------------------------- the line model's loss surface


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)  # the surface is cached and shared: nobody may change it
    return a


@dataclass(frozen=True)
class LossSurface:
    """The mean squared error of ``y = w*x + b`` on one data set, over a grid of ``(w, b)``.

    ``loss[i, j]`` is the loss at ``w = w_values[j]``, ``b = b_values[i]`` (rows are ``b``, as a
    contour plot wants). ``best_w``, ``best_b``, ``best_loss``: the least-squares line, the lowest
    point of the whole surface (worked out exactly, not read off the grid).
    """

    x: np.ndarray
    y: np.ndarray
    w_values: np.ndarray
    b_values: np.ndarray
    loss: np.ndarray
    best_w: float
    best_b: float
    best_loss: float
    n_samples: int
    noise: float
    seed: int

    def loss_at(self, w: float, b: float) -> float:
        """The mean squared error of the line with weight ``w`` and bias ``b`` on these data."""
        residuals = w * self.x + b - self.y
        return float(np.mean(residuals**2))

    def gradient_at(self, w: float, b: float) -> tuple[float, float]:
        """``(dloss/dw, dloss/db)``: how fast the loss grows when ``w`` or ``b`` grows a little."""
        residuals = w * self.x + b - self.y
        return float(2 * np.mean(residuals * self.x)), float(2 * np.mean(residuals))


W_RANGE = (-2.0, 6.0)
B_RANGE = (-5.0, 3.0)


def line_surface(
    n_samples: int = 40,
    noise: float = 0.5,
    seed: int = 0,
    w_range: tuple[float, float] = W_RANGE,
    b_range: tuple[float, float] = B_RANGE,
    resolution: int = 121,
) -> LossSurface:
    """The loss surface of the line model on ``make_line`` data (points near ``y = 2x - 1``).

    Computed once per set of arguments and then served from a cache, so a slider redraw only has
    to draw it. ``resolution`` is the number of grid points along each axis.
    """
    n_samples = check_int("n_samples", n_samples, minimum=2, maximum=10_000)
    noise = check_float("noise", noise, minimum=0.0, maximum=10.0)
    seed = check_int("seed", seed, minimum=0)
    resolution = check_int("resolution", resolution, minimum=5, maximum=501)
    w_range = _check_range("w_range", w_range)
    b_range = _check_range("b_range", b_range)
    return _line_surface(n_samples, noise, seed, w_range, b_range, resolution)


def _check_range(name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high), but got {value!r}.")
    low, high = (check_float(f"{name}[{i}]", v) for i, v in enumerate(value))
    if not low < high:
        raise ValueError(f"{name}={value!r} is empty: the first number must be smaller than the second.")
    return (low, high)


@functools.lru_cache(maxsize=8)
def _line_surface(
    n_samples: int, noise: float, seed: int, w_range: tuple[float, float], b_range: tuple[float, float],
    resolution: int,
) -> LossSurface:  # fmt: skip
    X, Y = make_line(n_samples=n_samples, noise=noise, seed=seed).tensors
    x, y = X[:, 0].double().numpy(), Y[:, 0].double().numpy()
    w_values = np.linspace(*w_range, resolution)
    b_values = np.linspace(*b_range, resolution)
    # mean((w x + b - y)^2) expanded, so the grid needs only five sums instead of a pass per point
    sxx, sx, sxy, sy, syy = np.mean(x * x), np.mean(x), np.mean(x * y), np.mean(y), np.mean(y * y)
    W, B = np.meshgrid(w_values, b_values)
    loss = W * W * sxx + 2 * W * B * sx + B * B - 2 * W * sxy - 2 * B * sy + syy
    # least squares: the slope is cov(x, y) / var(x), and the line passes through the means
    var_x = sxx - sx * sx
    if var_x <= 0:
        raise ValueError("all x values are equal: no single best line exists.")
    best_w = (sxy - sx * sy) / var_x
    best_b = sy - best_w * sx
    best_loss = float(np.mean((best_w * x + best_b - y) ** 2))
    return LossSurface(
        _frozen(x), _frozen(y), _frozen(w_values), _frozen(b_values), _frozen(np.maximum(loss, 0.0)),
        float(best_w), float(best_b), best_loss, n_samples, noise, seed,
    )  # fmt: skip


@dataclass(frozen=True)
class LinePoint:
    """One setting of the line model, as the demo shows it.

    ``loss``: the MSE at ``(w, b)``; ``predictions`` and ``residuals`` (prediction - target) per
    point; ``grad_w``, ``grad_b``: the gradient there; ``path``: every ``(w, b, loss)`` visited so
    far, the current one last; ``previous_loss``: the loss at the setting before (None at first).
    """

    w: float
    b: float
    loss: float
    predictions: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)
    grad_w: float
    grad_b: float
    path: tuple[tuple[float, float, float], ...]
    previous_loss: float | None
    surface: LossSurface = field(repr=False)


class LineExplorer:
    """Remembers where a learner has been on the line model's loss surface.

    ``explorer(w, b)`` returns a :class:`LinePoint` for that setting, with the path of every
    setting visited before it. The memory lives in this object (not in the notebook), so two
    explorers never mix up their paths; :meth:`reset` forgets the path. Visiting the same setting
    twice in a row adds it once. At most ``max_path`` settings are kept (the oldest are dropped).
    """

    def __init__(self, n_samples: int = 40, noise: float = 0.5, seed: int = 0, max_path: int = 200) -> None:
        self.surface = line_surface(n_samples=n_samples, noise=noise, seed=seed)
        self.max_path = check_int("max_path", max_path, minimum=1, maximum=10_000)
        self._path: list[tuple[float, float, float]] = []

    @property
    def path(self) -> tuple[tuple[float, float, float], ...]:
        """Every ``(w, b, loss)`` visited, oldest first."""
        return tuple(self._path)

    def reset(self) -> None:
        """Forget every setting visited so far."""
        self._path.clear()

    def __call__(self, w: float, b: float) -> LinePoint:
        w = check_float("w", w, minimum=-1e3, maximum=1e3)
        b = check_float("b", b, minimum=-1e3, maximum=1e3)
        s = self.surface
        loss = s.loss_at(w, b)
        previous = None
        if self._path and (self._path[-1][0], self._path[-1][1]) == (w, b):
            previous = self._path[-2][2] if len(self._path) > 1 else None
        else:
            previous = self._path[-1][2] if self._path else None
            self._path.append((w, b, loss))
            del self._path[: -self.max_path]
        predictions = w * s.x + b
        grad_w, grad_b = s.gradient_at(w, b)
        return LinePoint(w, b, loss, _frozen(predictions), _frozen(predictions - s.y), grad_w, grad_b,
                         tuple(self._path), previous, s)  # fmt: skip


def _downhill(grad: float, name: str) -> str:
    if abs(grad) < 0.05:
        return f"{name} is about right"
    return f"{'increase' if grad < 0 else 'decrease'} {name}"


def describe_line_point(point: LinePoint) -> str:
    """The demo's readout: the loss now, how it changed, which way is downhill, and the minimum."""
    if point.previous_loss is None:
        change = "your starting point"
    else:
        delta = point.loss - point.previous_loss
        if abs(delta) < 5e-5:
            change = f"no change from {point.previous_loss:.4f}"
        else:
            change = f"{'down' if delta < 0 else 'UP'} {abs(delta):.4f} from {point.previous_loss:.4f}"
    s = point.surface
    if abs(point.w - s.best_w) <= 0.0501 and abs(point.b - s.best_b) <= 0.0501:
        hint = "you are at the bottom (the closest a slider notch of 0.1 gets)"
    else:
        hint = f"downhill from here: {_downhill(point.grad_w, 'w')}, {_downhill(point.grad_b, 'b')}"
    return (
        f"MSE = {point.loss:.4f}  ({change}; settings tried: {len(point.path)})\n"
        f"{hint}   |   minimum: MSE = {s.best_loss:.4f} at w = {s.best_w:.3f}, b = {s.best_b:.3f}"
    )
