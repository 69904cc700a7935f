"""The test data of every exercise checker: answers that must pass, typical mistakes with the words their
feedback must contain, and answers that must count as "not attempted".

``tests/test_exercises.py`` runs every entry, and fails when a lesson has an exercise without one. An entry::

    Case(
        "ch07.q1",                                   # the lesson's chNN module . the exercise's name in it
        right=[0.25, says(1 / 4, "2 / curvature")],  # correct; says(answer, words): and its feedback says these
        wrong=[(0.125, "fastest"),                   # (answer, the words its feedback must contain) ...
               (0.5, ("derivative", "8(w - 3)"))],   # ... several words: a tuple
        not_attempted=[..., None],                   # the default; a CodeExercise adds its untouched template
    ),                                               # (a function whose body raises NotImplementedError)

Write the answers out here. For a CodeExercise the right function and each typical mistake are written in
this file -- never only the checker's own ``reference_*`` (it may be a second right answer) and never its
private variants (``_variant_ties``...): a checker tested with its own code cannot fail.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, Subset

from course_utils import Callback
from course_utils.history import EMA
from course_utils.lessons.l01_training_loop import ch01
from course_utils.lessons.l02_forward_and_loss import ch02
from course_utils.lessons.l03_gradients_and_updates import ch03
from course_utils.lessons.l05_batch_size import ch05
from course_utils.lessons.l06_noisy_loss_and_convergence import ch06
from course_utils.lessons.l07_learning_rate import ch07
from course_utils.lessons.l08_training_vs_validation import ch08
from course_utils.lessons.l09_shuffling import ch09
from course_utils.lessons.l10_gradient_accumulation import ch10
from course_utils.lessons.l11_putting_it_together import ch11

Words = str | tuple[str, ...]


@dataclass(frozen=True)
class Says:
    """A right answer whose feedback must also contain ``words``."""

    answer: Any
    words: Words


def says(answer: Any, words: Words) -> Says:
    return Says(answer, words)


@dataclass(frozen=True)
class Case:
    """One exercise: ``key`` is ``"chNN.name"`` (lesson NN's exercises module, the exercise's attribute)."""

    key: str
    right: Sequence[Any]
    wrong: Sequence[tuple[Any, Words]]
    not_attempted: Sequence[Any] = field(default_factory=lambda: [..., None])


# ============================================================================= 00 welcome

CH00 = [
    Case(
        "ch00.practice",
        right=[10],
        wrong=[
            (1, "one giant batch"),
            (100, "batch size"),
            (1000, "number of examples"),
            (100000, "divide the examples"),
            (12, "12 is too large"),
        ],
    ),
]

# ============================================================================= 01 the training loop


def training_step(model, x, y, loss_fn, optimizer):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_without_zero_grad(model, x, y, loss_fn, opt):
    loss_fn(model(x), y).backward()
    opt.step()


def step_wiping_the_gradients(model, x, y, loss_fn, opt):
    loss_fn(model(x), y).backward()
    opt.zero_grad()
    opt.step()


def step_with_the_wrong_target(model, x, y, loss_fn, opt):
    opt.zero_grad()
    loss_fn(model(x), torch.zeros_like(y)).backward()
    opt.step()


def step_that_crashes(model, x, y, loss_fn, opt):
    raise RuntimeError("oops")


def step_template(model, x, y, loss_fn, optimizer):
    raise NotImplementedError


CH01 = [
    Case(
        "ch01.q1",
        right=[160, 160.0],
        wrong=[
            (5, "once per *batch*"),
            (155, "32nd, smaller batch"),
            (156.25, "round the batches per epoch *up*"),
            (31.25, "as a fraction"),
            (32, "one epoch's worth"),
            (5000, "examples processed"),
            (1000, "examples in one epoch"),
            (7, "7 is too small"),
            ("many", "should be a number"),
        ],
    ),
    Case(
        "ch01.q2",
        right=[training_step, ch01.reference_step],
        wrong=[
            (step_without_zero_grad, "zero_grad() in every step"),
            (step_wiping_the_gradients, "did not change"),
            (step_with_the_wrong_target, "compares model(x) with y"),
            (step_that_crashes, "RuntimeError: oops"),
            (42, "pass your function"),
        ],
        not_attempted=[..., None, step_template],
    ),
    Case(
        "ch01.q3",
        right=["b", "B "],
        wrong=[
            ("a", "wipes the gradients"),
            ("c", "no error at all"),
            ("d", "nothing blows up"),
            ("z", "letters"),
        ],
    ),
]

# ============================================================================= 02 forward pass and loss

CROSS_ENTROPY = nn.CrossEntropyLoss()(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0])).item()  # 0.4170
LINE_MSE = nn.MSELoss()(torch.tensor([1.0, 3.0, 5.0]), torch.tensor([1.0, 2.0, 7.0])).item()  # 5/3


def mse(pred, y):
    return ((pred - y) ** 2).mean()


def mse_template(pred, y):
    raise NotImplementedError


CH02 = [
    Case(
        "ch02.q1",
        right=[CROSS_ENTROPY, 0.417],  # three decimals are enough
        wrong=[
            (0.659, "-log(p)"),
            (-0.417, "wrong sign"),
            (1.417, "numbered from 0"),
            (2.317, "loss for class 2"),
            (0.1811, "natural log"),
            (-math.log(2 / 3.1), "softmax exponentiates"),
            (0.341, "1 - p"),
            (2.417, "subtract the correct class's logit"),
            (0.9, "0.9 is too large"),
        ],
    ),
    Case(
        "ch02.q2",
        right=[LINE_MSE, 1.667],
        wrong=[
            (5, "sum of the squared errors"),
            (1.0, "absolute"),
            (math.sqrt(5 / 3), "RMSE"),
            (1 / 9, "averages the errors first"),
            (5 / 6, "half the MSE"),
            (10 / 3, "need the bias"),
            (7, "added, not subtracted"),
        ],
    ),
    Case(
        "ch02.q3",
        right=[mse, lambda p, y: nn.functional.mse_loss(p, y).item(), ch02.reference_mse],  # a float is fine
        wrong=[
            (lambda p, y: ((p - y) ** 2).sum(), "sum of the squared errors"),
            (lambda p, y: (p - y).abs().mean(), "mean absolute error"),
            (lambda p, y: (p - y).mean(), "cancel"),
            (lambda p, y: (p - y).mean() ** 2, "squares the mean difference"),
            (lambda p, y: ((p - y) ** 2).mean().sqrt(), "RMSE"),
            (lambda p, y: ((p - y) ** 2).mean() / 2, "half the MSE"),
            (lambda p, y: (p - y) ** 2, "per-example losses"),
            (lambda p, y: (p.sub_(y) ** 2).mean(), "changed its inputs"),
            (lambda p, y: ((p - y) ** 4).mean(), "but the MSE is"),
            (lambda p, y: "small", "should return one number"),
            (3.0, "pass your function"),
        ],
        not_attempted=[..., None, mse_template],
    ),
    Case(
        "ch02.q4",
        right=["c", " C"],
        wrong=[("a", "no error"), ("b", "second time"), ("d", "perfectly finite")],
    ),
]

# ============================================================================= 03 gradients and updates


def manual_step(model, x, y, lr):
    for p in model.parameters():
        p.grad = None
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
    return loss.item()


def manual_step_minus_equals(model, x, y, lr):
    model.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
    return loss.item()


def manual_step_with(*, zero=True, no_grad=True, skip_none=True, in_place=True, sign=-1.0, scale=1.0):
    """The manual step with one typical mistake switched on."""

    def step(model, x, y, lr):
        if zero:
            for p in model.parameters():
                p.grad = None
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        context = torch.no_grad() if no_grad else torch.enable_grad()
        with context:
            for p in model.parameters():
                if skip_none and p.grad is None:
                    continue
                if in_place:
                    p.add_(p.grad, alpha=sign * scale * lr)
                else:
                    p = p - lr * p.grad  # the mistake: rebinds p, changes nothing
        return loss.item()

    return step


def manual_step_shrinking_every_weight(model, x, y, lr):
    manual_step(model, x, y, lr)
    with torch.no_grad():
        for p in model.parameters():  # weight decay on every parameter, the frozen ones too
            p.mul_(0.999)


def manual_step_that_crashes(model, x, y, lr):
    raise KeyError("oops")


def manual_step_template(model, x, y, lr):
    raise NotImplementedError


CH03 = [
    Case(
        "ch03.q1",
        right=[0.7, 0.5 - 0.1 * -2.0],
        wrong=[
            (0.3, "against it"),
            (-0.2, "gets subtracted"),
            (0.2, "change of the weight"),
            (2.5, "learning rate"),
            (-1.5, "two slips"),
            (0.9, "0.9 is too large"),
            ("0.7 I think", "should be a number"),
        ],
    ),
    Case(
        "ch03.q2",
        right=["b"],
        wrong=[("a", "adds"), ("c", "twice the mean"), ("d", "same* loss")],
    ),
    Case(
        "ch03.q3",
        right=[
            says(manual_step, "bit for bit"),
            manual_step_minus_equals,  # bit-exact or within rounding: both are right
            says(ch03.reference_manual_step, "bit for bit"),
        ],
        wrong=[
            (manual_step_with(no_grad=False), "torch.no_grad()"),
            (manual_step_with(skip_none=False), ("frozen first layer", "p.grad is not None")),
            (manual_step_shrinking_every_weight, ("frozen first layer changed", "nothing should move it")),
            (manual_step_with(in_place=False), "did not change"),
            (manual_step_with(sign=+1.0), "wrong way"),
            (manual_step_with(zero=False), "step 2 did not"),
            (manual_step_with(scale=10.0), "10 times the right size"),
            (manual_step_that_crashes, "KeyError"),
            (0.1, "pass your function"),
        ],
        not_attempted=[..., None, manual_step_template],
    ),
    Case(
        "ch03.q4",
        right=[0.01, 0.0099999750],
        wrong=[
            (0.00004, "SGD's step"),
            (0.004, "gradient itself"),
            (0.001, "default"),
            (-0.01, "positive"),
            (0.01 * 0.004**2, "grad^2"),
        ],
    ),
]

# ============================================================================= 04 batches, epochs, iterations


def batches_per_epoch(n_samples, batch_size, drop_last):
    full, rest = divmod(n_samples, batch_size)
    return full + 1 if rest and not drop_last else full


def batches_per_epoch_template(n_samples, batch_size, drop_last):
    raise NotImplementedError


CH04 = [
    Case(
        "ch04.q1",
        right=[4690],
        wrong=[
            (4680, "forgets the last, smaller batch"),
            (4687.5, "round the batches per epoch *up*"),
            (469, "one epoch's updates"),
            (468, "rounded down"),
            (10, "one batch of 60,000"),
            (600000, "examples processed"),
            (7680000, "*divided*"),
            (5000, "5000 is too large"),
        ],
    ),
    Case(
        "ch04.q2",
        right=[batches_per_epoch, lambda n, b, drop_last: math.floor(n / b) if drop_last else math.ceil(n / b)],
        wrong=[
            (lambda n, b, drop_last: n // b, "still form a (smaller) batch"),
            (lambda n, b, drop_last: math.ceil(n / b), "thrown away"),
            (lambda n, b, drop_last: n // b + (0 if drop_last else 1), "no leftover batch when nothing is left over"),
            (lambda n, b, drop_last: n / b, "a number of batches is whole"),
            (lambda n, b, drop_last: "ten", "should return a number"),
            (lambda n, b, drop_last: n // b + 2, "compare with epoch_plan"),
            (32, "pass your function"),
        ],
        not_attempted=[..., None, batches_per_epoch_template],
    ),
    Case(
        "ch04.q3",
        right=["c"],
        wrong=[("a", "single update"), ("b", "makes 8 updates"), ("d", "256-fold")],
    ),
]

# ============================================================================= 05 batch size


def noise_scale(g):
    mean = g.mean(dim=0)
    trace = ((g - mean) ** 2).sum(dim=1).mean()
    return float(trace / (mean**2).sum())


def noise_scale_unbiased(g):
    mean = g.mean(0)
    return ((g - mean) ** 2).sum(1).sum() / (len(g) - 1) / (mean**2).sum()  # a 0-d tensor counts as a number


def noise_scale_inverted(g):
    mean = g.mean(0)
    return (mean**2).sum() / ((g - mean) ** 2).sum(1).mean()


def noise_scale_not_centred(g):
    mean = g.mean(0)
    return (g**2).sum(1).mean() / (mean**2).sum()


def noise_scale_per_coordinate(g):
    mean = g.mean(0)
    return ((g - mean) ** 2).mean() / (mean**2).sum()


def noise_scale_not_squared(g):
    mean = g.mean(0)
    return ((g - mean) ** 2).sum(1).mean() / mean.norm()


def noise_scale_summed(g):
    mean = g.mean(0)
    return ((g - mean) ** 2).sum() / (mean**2).sum()


def noise_scale_of_the_mean(g):
    mean = g.mean(0)
    return ((g - mean) ** 2).sum(1).mean() / len(g) / (mean**2).sum()


def noise_scale_template(g):
    raise NotImplementedError


CH05 = [
    Case(
        "ch05.q1",
        right=[0.8],
        wrong=[
            (0.1, "keeps the rate fixed"),
            (0.0125, "wrong way"),
            (25.6, "not batch 1"),
            (0.1 * math.sqrt(8), "square-root"),
            (0.5, "0.5 is too small"),
        ],
    ),
    Case(
        "ch05.q2",
        right=[4],
        wrong=[
            (2, "sqrt(2)"),
            (math.sqrt(2), "typical distance shrinks"),
            (0.25, "bigger"),
            (0.5, "bigger"),
            (16, "more than needed"),
        ],
    ),
    Case(
        "ch05.q3",
        right=["b"],
        wrong=[("a", "half as many"), ("c", "once per batch"), ("e", "letters")],
    ),
    Case(
        "ch05.q4",
        right=[noise_scale, noise_scale_unbiased, ch05.reference_noise_scale],
        wrong=[
            (noise_scale_inverted, "upside down"),
            (noise_scale_not_centred, "subtract the mean"),
            (noise_scale_per_coordinate, "*sum* of the variances"),
            (noise_scale_not_squared, "*squared* length"),
            (noise_scale_summed, "divide by N"),
            (noise_scale_of_the_mean, "once too often"),
            (lambda g: [1.0, 2.0], "one number"),
            (lambda g: 123.0, "reference"),
            (3.0, "pass your function"),
        ],
        not_attempted=[..., None, noise_scale_template],
    ),
]

# ============================================================================= 06 noisy loss and convergence


def stop_epoch(val_losses, patience, min_delta=0.0):
    best, bad = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if best is None or loss < best - min_delta:
            best, bad = loss, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def stop_epoch_counted_from_0(val_losses, patience, min_delta=0.0):
    e = stop_epoch(val_losses, patience, min_delta)
    return None if e is None else e - 1


def stop_epoch_where_ties_improve(val_losses, patience, min_delta=0.0):
    best, bad = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if best is None or loss <= best - min_delta:
            best, bad = loss, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def stop_epoch_without_reset(val_losses, patience, min_delta=0.0):
    best, bad = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if best is None or loss < best - min_delta:
            best = loss
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def stop_epoch_ignoring_min_delta(val_losses, patience, min_delta=0.0):
    return stop_epoch(val_losses, patience, 0.0)


def stop_epoch_never_none(val_losses, patience, min_delta=0.0):
    e = stop_epoch(val_losses, patience, min_delta)
    return len(val_losses) if e is None else e


def stop_epoch_always_last(val_losses, patience, min_delta=0.0):
    return len(val_losses)


def stop_epoch_template(val_losses, patience, min_delta=0.0):
    raise NotImplementedError


# -- ch06.q5: write your own callback (StopWhenSmooth) -----------------------------------------------------


class StopWhenSmooth(Callback):
    """Right: stop once the bias-corrected moving average of the step losses is below the target."""

    def __init__(self, target):
        self.target, self.average = target, EMA(0.9)

    def on_step_end(self, state):
        if self.average.update(state.history.step_loss[-1]) < self.target:
            state.stop(f"smoothed loss below {self.target} at step {state.history.steps}")


class StopWhenSmoothUncorrected(Callback):
    """Also right: an average that starts at the first loss (no bias correction)."""

    def __init__(self, target):
        self.target, self.avg = target, None

    def on_step_end(self, state):
        loss = state.history.step_loss[-1]
        self.avg = loss if self.avg is None else 0.9 * self.avg + 0.1 * loss
        if self.avg < self.target:
            state.stop(f"average below {self.target}")


class _Mine(Callback):
    def __init__(self, target):
        self.target, self.average, self.avg, self.prev = target, EMA(0.9), 0.0, math.inf


class StopOnRawLoss(_Mine):
    def on_step_end(self, state):
        if state.history.step_loss[-1] < self.target:
            state.stop("below")


class StopAverageFromZero(_Mine):
    def on_step_end(self, state):
        self.avg = 0.9 * self.avg + 0.1 * state.history.step_loss[-1]
        if self.avg < self.target:
            state.stop("below")


class NeverStops(_Mine):
    def on_step_end(self, state):
        self.average.update(state.history.step_loss[-1])


class StopsOneStepLate(_Mine):
    def on_step_end(self, state):
        if self.prev < self.target:
            state.stop("below")
        self.prev = self.average.update(state.history.step_loss[-1])


class StopsAtEpochEnd(_Mine):
    def on_step_end(self, state):
        self.smooth = self.average.update(state.history.step_loss[-1])

    def on_epoch_end(self, state):
        if self.smooth < self.target:
            state.stop("below")


class StopsWithoutAReason(_Mine):
    def on_step_end(self, state):
        if self.average.update(state.history.step_loss[-1]) < self.target:
            state.stop("finished")


class AverageWeightsSwapped(_Mine):
    def on_step_end(self, state):
        loss = state.history.step_loss[-1]
        self.prev = loss if self.prev == math.inf else 0.1 * self.prev + 0.9 * loss
        if self.prev < self.target:
            state.stop("below")


class FixedTarget(_Mine):
    def on_step_end(self, state):
        if self.average.update(state.history.step_loss[-1]) < 0.44:
            state.stop("below")


class WrongAttribute(_Mine):
    def on_step_end(self, state):
        if state.loss < self.target:
            state.stop("below")


class AlwaysStops(_Mine):
    def on_step_end(self, state):
        state.stop("always")


class TakesNoTarget(Callback):
    def on_step_end(self, state):
        pass


class MisspeltEvent(Callback):
    def __init__(self, target):
        self.target = target

    def on_step_ends(self, state):
        pass


class StopWhenSmoothTemplate(Callback):
    def __init__(self, target):
        self.target = target

    def on_step_end(self, state):
        raise NotImplementedError


CH06 = [
    Case(
        "ch06.q1",
        right=[0.055, 0.05],  # 0.05: the measured value, with the finite-population correction
        wrong=[
            (0.0275, "square root of 4"),
            (0.11, "does shrink"),
            (0.22, "*less* spread"),
            (0.44, "*less* spread"),
            (0.3, "0.3 is too large"),
        ],
    ),
    Case(
        "ch06.q2",
        right=[stop_epoch, ch06.reference_stop_epoch],
        wrong=[
            (stop_epoch_counted_from_0, "count epochs from 1"),
            (stop_epoch_where_ties_improve, "not <="),
            (stop_epoch_without_reset, "in a row"),
            (stop_epoch_ignoring_min_delta, "more than min_delta"),
            (stop_epoch_never_none, "return None"),
            (stop_epoch_always_last, "the rule says 6"),
        ],
        not_attempted=[..., None, stop_epoch_template],
    ),
    Case(
        "ch06.q3",
        right=["b"],
        wrong=[("a", "no dropout"), ("c", "25 full batches"), ("d", "*training* examples")],
    ),
    Case(
        "ch06.q4",
        right=["b"],
        wrong=[("a", "cannot reach 0"), ("c", "overshoot"), ("d", "0.325")],
    ),
    Case(
        "ch06.q5",
        right=[StopWhenSmooth, StopWhenSmoothUncorrected, ch06.ReferenceStopWhenSmooth],
        wrong=[
            (StopOnRawLoss, "one batch's loss first dipped below 0.44"),
            (StopAverageFromZero, "started at 0"),
            (NeverStops, "never stopped"),
            (StopsOneStepLate, "one step late"),
            (StopsAtEpochEnd, "on_epoch_end"),
            (StopsWithoutAReason, "a reason that says why"),
            (AverageWeightsSwapped, "0.9 parts the old average"),
            (FixedTarget, "compare with self.target"),
            (WrongAttribute, "state.history.step_loss[-1]"),
            (AlwaysStops, "stopped the run at step 1"),
            (TakesNoTarget, "must take the target"),
            (MisspeltEvent, "train() refused the callback"),
            (ch06.ReferenceStopWhenSmooth(0.44), "not an object of it"),
            (42, "callback class"),
        ],
        not_attempted=[..., None, StopWhenSmoothTemplate],
    ),
]

# ============================================================================= 07 the learning rate


def range_test_lr(step, start_lr, end_lr, num_steps):
    return start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))


def range_test_lr_template(step, start_lr, end_lr, num_steps):
    raise NotImplementedError


CH07 = [
    Case(
        "ch07.q1",
        right=[0.25, says(1 / 4, "2 / curvature")],
        wrong=[
            (0.125, "fastest"),
            (0.5, ("derivative", "8(w - 3)")),
            (2.0, "curvature"),
            (1.0, "flies off"),
            (0.0625, "not the largest safe rate"),
            (0.3, "too large"),
        ],
    ),
    Case(
        "ch07.q2",
        right=["c", "C"],
        wrong=[
            ("a", "valley's shape"),
            ("b", "critical rate goes *up*"),
            ("d", "neither changed size"),
            ("z", "letters"),
        ],
    ),
    Case(
        "ch07.q3",
        right=[range_test_lr, ch07.reference_range_test_lr],
        wrong=[
            (lambda step, start, end, n: start + (end - start) * step / (n - 1), "evenly"),
            (lambda step, start, end, n: start * (end / start) ** (step / n), "off by one"),
            (lambda step, start, end, n: range_test_lr(step + 1, start, end, n), "step 0 should use start_lr"),
            (lambda step, start, end, n: start * (end / start) ** ((step / (n - 1)) ** 2), "the rate should be"),
            (0.1, "pass your function"),
        ],
        not_attempted=[..., None, range_test_lr_template],
    ),
    Case(
        "ch07.q4",
        right=[0.475, says(2 * 1.9 / 8, "2 (1 + beta) / curvature")],
        wrong=[
            (0.25, "plain gradient descent"),
            (2.5, "steady"),
            (0.0125, "moves *up*"),
            (0.95, "curvature of 4(w - 3)^2 is 8"),
            (1.0, "1 is too large"),
        ],
    ),
]

# ============================================================================= 08 training vs validation


def _keep_best_loop(model, optimizer, X, y, Xv, yv, epochs, keep, always=False):
    """Full-batch training; ``keep(model)`` is stored at each new best (or, with ``always``, only the first)."""
    loss_fn = torch.nn.CrossEntropyLoss()
    best_loss, best_state = float("inf"), None
    for _ in range(epochs):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = loss_fn(model(Xv), yv).item()
        if val_loss < best_loss:
            best_loss = val_loss
            if not always or best_state is None:
                best_state = keep(model)
    return best_loss, best_state


def train_keep_best(model, optimizer, X, y, Xv, yv, epochs):
    best, state = _keep_best_loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()))
    model.load_state_dict(state)
    return best


def train_keep_best_without_copy(model, optimizer, X, y, Xv, yv, epochs):
    best, state = _keep_best_loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: m.state_dict())
    model.load_state_dict(state)
    return best


def train_keep_best_never_restoring(model, optimizer, X, y, Xv, yv, epochs):
    return _keep_best_loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()))[0]


def train_keep_best_returning_another_loss(model, optimizer, X, y, Xv, yv, epochs):
    return train_keep_best(model, optimizer, X, y, Xv, yv, epochs) + 0.5


def train_keep_best_returning_nothing(model, optimizer, X, y, Xv, yv, epochs):
    train_keep_best(model, optimizer, X, y, Xv, yv, epochs)


def train_keep_best_saving_only_the_first_best(model, optimizer, X, y, Xv, yv, epochs):
    best, state = _keep_best_loop(
        model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()), always=True
    )
    model.load_state_dict(state)
    return best


def train_keep_best_template(model, optimizer, X, y, Xv, yv, epochs):
    raise NotImplementedError


CH08 = [
    Case(
        "ch08.q1",
        right=["b"],
        wrong=[("a", "overfitting"), ("c", "good fit")],
    ),
    Case(
        "ch08.q2",
        right=[79],  # best epoch 29 + patience 50
        wrong=[
            (50, "patience alone"),
            (29, "where the best weights come from"),
            (78, "one short"),
            (80, "one too many"),
            (300, "does stop early"),
            (120, "120 is too large"),
        ],
    ),
    Case(
        "ch08.q3",
        right=[train_keep_best, ch08.reference_train_keep_best],
        wrong=[
            (train_keep_best_without_copy, "copy.deepcopy"),
            (train_keep_best_never_restoring, "last* epoch"),
            (train_keep_best_returning_another_loss, "Update best_loss only when"),
            (train_keep_best_returning_nothing, "returns None"),
            (train_keep_best_saving_only_the_first_best, "weights of another epoch"),
        ],
        not_attempted=[..., None, train_keep_best_template],
    ),
    Case(
        "ch08.q4",
        right=["b"],
        wrong=[("a", "run the next cell"), ("c", "far below 0.1")],
    ),
]

# ============================================================================= 09 shuffling


def make_shuffled_loader(dataset, batch_size, seed):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def loader_without_shuffle(ds, batch_size, seed):
    return DataLoader(ds, batch_size=batch_size)


def loader_without_generator(ds, batch_size, seed):
    return DataLoader(ds, batch_size=batch_size, shuffle=True)


def loader_shuffled_once(ds, batch_size, seed):
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed))
    return DataLoader(Subset(ds, order.tolist()), batch_size=batch_size)


def loader_ignoring_the_seed(ds, batch_size, seed):
    return DataLoader(ds, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(7))


def loader_with_twice_the_batch(ds, batch_size, seed):
    return DataLoader(ds, batch_size=batch_size * 2, shuffle=True, generator=torch.Generator().manual_seed(seed))


def loader_drawing_with_replacement(ds, batch_size, seed):
    sampler = RandomSampler(ds, replacement=True, generator=torch.Generator().manual_seed(seed))
    return DataLoader(ds, batch_size=batch_size, sampler=sampler)


def loader_template(dataset, batch_size, seed):
    raise NotImplementedError


CH09 = [
    Case(
        "ch09.q1",
        right=["b"],
        wrong=[("a", "spent its last steps"), ("c", "pushed it away"), ("d", "did learn")],
    ),
    Case(
        "ch09.q2",
        right=["a"],
        wrong=[("b", "does not change which examples"), ("c", "same examples"), ("d", "shuffles fine")],
    ),
    Case(
        "ch09.q3",
        right=[make_shuffled_loader, ch09.reference_loader],
        wrong=[
            (loader_without_shuffle, "shuffle=True"),
            (loader_without_generator, "generator=torch.Generator().manual_seed(seed)"),
            (loader_shuffled_once, "same order"),
            (loader_ignoring_the_seed, "use the seed argument"),
            (loader_with_twice_the_batch, "5 batches of 8"),
            (loader_drawing_with_replacement, "every example exactly once"),
            (lambda ds, b, s: list(ds), "should return a DataLoader"),
        ],
        not_attempted=[..., None, loader_template],
    ),
]

# ============================================================================= 10 gradient accumulation


def accumulation_step(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    optimizer.zero_grad()
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def accumulation_without_division(model, micro_batches, loss_fn, optimizer):
    optimizer.zero_grad()
    for x, y in micro_batches:
        loss_fn(model(x), y).backward()
    optimizer.step()


def accumulation_zero_grad_inside(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        optimizer.zero_grad()
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def accumulation_step_inside(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    optimizer.zero_grad()
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
        optimizer.step()


def accumulation_without_zero_grad(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def accumulation_zero_grad_after_backward(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.zero_grad()
    optimizer.step()


def accumulation_template(model, micro_batches, loss_fn, optimizer):
    raise NotImplementedError


CH10 = [
    Case(
        "ch10.q1",
        right=[512],
        wrong=[
            (128, "one process's share"),
            (64, "leaves out the accumulation"),
            (32, "do not divide"),
            (16, "one micro-batch"),
            (28, "multiply"),
            (8, "micro-batches per process"),
            (1000, "1000 is too large"),
            ("lots", "should be a number"),
        ],
    ),
    Case(
        "ch10.q2",
        right=[accumulation_step, ch10.reference_accumulation_step],
        wrong=[
            (accumulation_without_division, "4 times too large"),
            (accumulation_zero_grad_inside, "only the last micro-batch counted"),
            (accumulation_step_inside, "step inside the loop"),
            (accumulation_without_zero_grad, "still in .grad"),
            (accumulation_zero_grad_after_backward, "did not change"),
            (42, "pass your function"),
        ],
        not_attempted=[..., None, accumulation_template],
    ),
    Case(
        "ch10.q3",
        right=["b", "Training hardly changes at all."],
        wrong=[("a", "plain SGD"), ("c", "nothing checks this"), ("d", "larger, not smaller"), ("z", "letters")],
    ),
]

# ============================================================================= 11 putting it together


def apply_temperature(logits, temperature):
    return torch.softmax(logits / temperature, dim=-1)


def sharpen_then_normalise(logits, t):  # mathematically the same thing, written differently
    p = torch.softmax(logits, dim=-1) ** (1 / t)
    return p / p.sum()


def temperature_template(logits, temperature):
    raise NotImplementedError


CH11 = [
    Case(
        "ch11.q1",
        right=[14, 14.0],
        wrong=[
            (19, "where training *stopped*"),
            (24, "cannot know the future"),
            (5, "patience"),
            (13, "15, 16, 17, 18 and 19"),
            (15, "first bad one"),
            (2, "2 is too small"),
            ("fourteen", "should be a number"),
        ],
    ),
    Case(
        "ch11.q2",
        right=[apply_temperature, sharpen_then_normalise, ch11.reference_temperature],
        wrong=[
            (lambda lg, t: torch.softmax(lg * t, dim=-1), "*multiplied*"),
            (lambda lg, t: lg / t, "Finish with a softmax"),
            (lambda lg, t: torch.softmax(lg, dim=-1), "no effect"),
            (lambda lg, t: torch.softmax(lg, dim=-1) / t, "after the softmax"),
            (lambda lg, t: torch.sigmoid(lg / t), "add up to"),
            (lambda lg, t: torch.softmax(lg / (t + 0.1), -1), "differ from the expected"),
            (lambda lg, t: torch.softmax(lg / t, -1)[:5], "shape"),
            (lambda lg, t: [0.5, 0.5], "return a tensor"),
            (0.5, "pass your function"),
        ],
        not_attempted=[..., None, temperature_template],
    ),
    Case(
        "ch11.q3",
        right=["a"],
        wrong=[("b", "temporary file"), ("c", "never deletes first"), ("d", "never completed")],
    ),
    Case(
        "ch11.q4",
        right=["a"],
        wrong=[("b", "seed only matters"), ("c", "*high* temperatures"), ("d", "instead of dividing by zero")],
    ),
]

# ============================================================================= 12 common misunderstandings (QUESTIONS)

CH12 = [
    Case(
        "ch12.q1",
        right=["c"],
        wrong=[("a", "steps after every batch"), ("b", "examples in each update"), ("d", "batch size 1")],
    ),
    Case(
        "ch12.q2",
        right=["b"],
        wrong=[("a", "single backward pass"), ("c", "counts equally"), ("d", "only its own batch")],
    ),
    Case(
        "ch12.q3",
        right=["b"],
        wrong=[("a", "zero loss would mean"), ("c", "fall slowly"), ("d", "35 flat epochs")],
    ),
    Case(
        "ch12.q4",
        right=["b"],
        wrong=[("a", "overfitting"), ("c", "do worse on examples"), ("d", "overfitting worse")],
    ),
    Case(
        "ch12.q5",
        right=["b"],
        wrong=[("a", "16 times fewer steps"), ("c", "from 32 to 2"), ("d", "memory does grow")],
    ),
]

CASES: list[Case] = [*CH00, *CH01, *CH02, *CH03, *CH04, *CH05, *CH06, *CH07, *CH08, *CH09, *CH10, *CH11, *CH12]
