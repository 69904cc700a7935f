"""Exercises for notebook 05, batch size."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...repro import make_generator
from .experiments import BASE_LR, scaled_lr

__all__ = ["q1", "q2", "q3", "q4", "reference_noise_scale"]

q1 = NumberExercise(
    name="05.q1 the linear scaling rule",
    answer=lambda: scaled_lr(BASE_LR, 256),
    mistakes={
        BASE_LR: "that keeps the rate fixed. The rule says: a batch k times larger gets a learning rate k times "
        "larger.",
        BASE_LR * 32 / 256: "that scales the wrong way: the bigger batch should get the *bigger* rate, since it "
        "makes fewer, better-averaged steps.",
        BASE_LR * 256: "close, but the 0.1 belongs to batch 32, not batch 1: the batch grows by 256 / 32, not by 256.",
        BASE_LR * math.sqrt(256 / 32): "that is the square-root scaling rule (lr x sqrt(k)), another rule some "
        "people use with Adam. The linear rule multiplies by k itself.",
    },
    hints=[
        "How many times larger than 32 is 256? The rule multiplies the learning rate by that same factor.",
        "256 / 32 = 8, so the rate becomes 8 x 0.1.",
    ],
    solution_text=(
        "Batch 256 is 256 / 32 = 8 times batch 32, so the learning rate is 8 x 0.1 = 0.8.\n"
        "In code: scaled_lr(0.1, 256)  ->  0.8.\n"
        "(The sweep in section 3 used 0.025, 0.1, 0.4 and 1.6 for batches 8, 32, 128 and 512.)"
    ),
    explanation=(
        "8 times the batch, 8 times the rate: 0.8. The averaged gradient is as large as before, but the step "
        "must cover the ground of 8 small steps."
    ),
)

q2 = NumberExercise(
    name="05.q2 halving the noise",
    answer=4,
    mistakes={
        2: "doubling the batch halves the *squared* distance (the variance). Its square root, the typical distance, "
        "shrinks only by sqrt(2) = 1.41.",
        math.sqrt(2): "that is how much the typical distance shrinks when you double the batch; the question asks "
        "for the batch factor that halves it.",
        0.25: "the question asks how many times *bigger* the batch must be (a factor above 1).",
        0.5: "the question asks how many times *bigger* the batch must be (a factor above 1).",
        16: "16 times the batch divides the squared distance by 16, so the typical distance by 4: more than needed.",
    },
    hints=[
        "The plot shows the squared distance falling like 1/B. The typical distance is its square root: how does "
        "sqrt(1/B) fall?",
        "Halving sqrt(1/B) means dividing 1/B by 4.",
    ],
    solution_text=(
        "The mean squared distance goes as tr(Sigma) / B, so the typical distance goes as 1 / sqrt(B).\n"
        "To halve 1 / sqrt(B), B must grow 4 times: 4x the compute per step for half the noise.\n"
        "(With batches drawn from a finite set without replacement, slightly less than 4 is enough.)"
    ),
    explanation=(
        "the noise falls as 1/sqrt(B): four times the batch (and the compute per step) for half the noise. "
        "Diminishing returns are built in."
    ),
)

q3 = ChoiceExercise(
    name="05.q3 double the batch, keep the lr",
    options={
        "a": "Lower: bigger batches give more accurate gradients.",
        "b": "Higher: the run makes half as many updates.",
        "c": "About the same: the same examples are seen the same number of times.",
    },
    correct="b",
    explanations={
        "a": "the gradients are more accurate, but at lr 0.1 their noise was not what limited progress here: each "
        "update moves about as far as before, and there are half as many of them.",
        "b": "at a fixed learning rate, progress here is made per *update*: 10 epochs at batch 64 are 80 "
        "updates, at batch 32 they are 160. The plots against steps in section 3 show why.",
        "c": "the examples are the same, but the model learns once per batch, not once per example: half as many "
        "batches means half as many updates.",
    },
    hints=["Count the weight updates in 10 epochs of 512 examples, for batch 32 and for batch 64."],
    solution_text=(
        "b) Higher. 512 examples / 64 = 8 updates per epoch instead of 16, so 80 updates instead of 160. With the "
        "learning rate fixed, each update does about as much as before (the curves against steps overlap), so half "
        "the updates get half as far. Scaling the rate to 0.2 (linear rule) would close most of the gap."
    ),
)


def reference_noise_scale(per_example_grads: torch.Tensor) -> float:
    """B_simple = tr(Sigma) / |G|^2 from a matrix with one example's gradient per row (the reference for q4)."""
    G = per_example_grads.double()
    mean = G.mean(dim=0)
    trace = ((G - mean) ** 2).sum(dim=1).mean()
    return float(trace / (mean**2).sum())


def _test_matrix() -> torch.Tensor:
    """200 examples, 50 parameters: a shared mean gradient plus per-example scatter of unequal sizes."""
    g = make_generator(5)
    mean = torch.randn(50, generator=g) * 0.3
    scale = torch.rand(50, generator=g) + 0.5
    return mean + scale * torch.randn(200, 50, generator=g)


def _test_noise_scale(fn: Callable[[torch.Tensor], float]) -> Feedback:
    G = _test_matrix()
    expected = reference_noise_scale(G)
    got = fn(G.clone())
    try:
        value = float(got)
    except (TypeError, ValueError):
        return Feedback(False, f"return one number (a float or a 0-d tensor), not {type(got).__name__}.")
    n, p = G.shape
    diagnoses = [
        (1 / expected, "that is |G|^2 / tr(Sigma), the ratio upside down."),
        (expected + 1, "the variance needs the gradients' spread around their mean: subtract the mean gradient "
                       "from every row before squaring."),
        (expected / p, "tr(Sigma) is the *sum* of the variances of all parameters, not their average."),
        (expected * n, "average the squared deviations over the examples (divide by N) instead of adding them up."),
        (expected / n, "that divides by N once too often: tr(Sigma) is the spread of *single* examples' gradients, "
                       "not of the full-batch gradient."),
    ]  # fmt: skip
    if math.isclose(value, expected, rel_tol=0.01):
        return Feedback(True, f"B_simple = {value:.3f} for the test matrix (the reference gives {expected:.3f}).")
    trace_only = float(((G.double() - G.double().mean(0)) ** 2).sum(1).mean())
    norm = float(G.double().mean(0).norm())
    diagnoses.append((trace_only / norm, "divide by the *squared* length of the mean gradient, |G|^2, not |G|."))
    for wrong, why in diagnoses:
        if math.isclose(value, wrong, rel_tol=0.01):
            return Feedback(False, why)
    return Feedback(False, f"your function gives {value:.4g}, the reference {expected:.4g}. Call ch05.q4.hint().")


q4 = CodeExercise(
    name="05.q4 compute the noise scale",
    test=_test_noise_scale,
    hints=[
        "Three lines: the mean gradient G (mean of the rows); tr(Sigma), the mean over examples of the squared "
        "distance of each row from G; then their ratio tr(Sigma) / |G|^2.",
        "mean = g.mean(dim=0); trace = ((g - mean) ** 2).sum(dim=1).mean(); return trace / (mean ** 2).sum()",
    ],
    solution_text=(
        "def noise_scale(g):\n"
        "    mean = g.mean(dim=0)                          # the full-batch gradient G\n"
        "    trace = ((g - mean) ** 2).sum(dim=1).mean()   # tr(Sigma): mean squared distance of a row from G\n"
        "    return float(trace / (mean ** 2).sum())       # divided by |G|^2\n"
        "(Dividing by N - 1 instead of N for the variance is fine too.)"
    ),
)
