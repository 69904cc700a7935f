"""Exercises for notebook 02, the forward pass and the loss."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise

__all__ = ["q1", "q2", "q3", "q4", "Q1_LOGITS", "Q1_TARGET", "Q2_X", "Q2_Y", "Q2_W", "Q2_B", "reference_mse"]

# ----------------------------------------------------------------------------- q1: cross-entropy by hand

Q1_LOGITS = (2.0, 1.0, 0.1)
Q1_TARGET = 0


def _q1_numbers() -> dict[str, float]:
    exps = [math.exp(z) for z in Q1_LOGITS]
    probs = [e / sum(exps) for e in exps]
    return {
        "answer": -math.log(probs[Q1_TARGET]),
        "p": probs[Q1_TARGET],
        "class1": -math.log(probs[1]),
        "class2": -math.log(probs[2]),
        "log10": -math.log10(probs[Q1_TARGET]),
        "by_sum": -math.log(Q1_LOGITS[Q1_TARGET] / sum(Q1_LOGITS)),
        "one_minus_p": 1 - probs[Q1_TARGET],
        "logsumexp": math.log(sum(exps)),
    }


_q1 = _q1_numbers()

q1 = NumberExercise(
    name="02.q1 cross-entropy by hand",
    answer=_q1["answer"],
    rel_tol=5e-3,
    abs_tol=1e-4,
    mistakes={
        _q1["p"]: "that is p, the probability of the correct class. The loss is -log(p): take the natural log "
        "and flip the sign.",
        -_q1["answer"]: "right size, wrong sign: log(p) is negative for p < 1, and the loss is -log(p), so it is "
        "positive.",
        _q1["class1"]: "that is the loss for class 1. Classes are numbered from 0, so the correct class here is "
        "the first logit, 2.0.",
        _q1["class2"]: "that is the loss for class 2 (the last logit). The correct class is class 0, the first.",
        _q1["log10"]: "that uses log base 10. Cross-entropy uses the natural log (math.log, torch.log).",
        _q1["by_sum"]: "that divides the logits by their sum. Logits are not probabilities: softmax exponentiates "
        "them first, p = exp(2.0) / (exp(2.0) + exp(1.0) + exp(0.1)).",
        _q1["one_minus_p"]: "that is 1 - p. Cross-entropy is -log(p), which punishes a small p much harder.",
        _q1["logsumexp"]: "that is log(exp(2.0) + exp(1.0) + exp(0.1)); you still need to subtract the correct "
        "class's logit, 2.0.",
    },
    hints=[
        "First softmax: exponentiate each logit and divide by the sum of the exponentials. Then take -log of "
        "the correct class's probability.",
        "exp(2.0) = 7.389, exp(1.0) = 2.718, exp(0.1) = 1.105. The correct class is class 0 (the first).",
    ],
    solution_text=(
        "p = exp(2.0) / (exp(2.0) + exp(1.0) + exp(0.1)) = 7.389 / 11.212 = 0.6590\n"
        "loss = -log(0.6590) = 0.4170\n"
        "In PyTorch: nn.CrossEntropyLoss()(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0])) -> 0.4170"
    ),
    explanation="softmax gives the correct class p = 0.659, and -log(0.659) = 0.417.",
)

# ----------------------------------------------------------------------------- q2: MSE of a given line

Q2_X = (0.0, 1.0, 2.0)
Q2_Y = (1.0, 2.0, 7.0)
Q2_W, Q2_B = 2.0, 1.0


def _q2_numbers() -> dict[str, float]:
    pred = [Q2_W * x + Q2_B for x in Q2_X]
    err = [p - y for p, y in zip(pred, Q2_Y)]
    n = len(err)
    no_bias = [Q2_W * x - y for x, y in zip(Q2_X, Q2_Y)]
    minus_bias = [Q2_W * x - Q2_B - y for x, y in zip(Q2_X, Q2_Y)]
    return {
        "answer": sum(e * e for e in err) / n,
        "sum": sum(e * e for e in err),
        "mae": sum(abs(e) for e in err) / n,
        "rmse": math.sqrt(sum(e * e for e in err) / n),
        "mean_err_sq": (sum(err) / n) ** 2,
        "half": sum(e * e for e in err) / (2 * n),
        "no_bias": sum(e * e for e in no_bias) / n,
        "minus_bias": sum(e * e for e in minus_bias) / n,
    }


_q2 = _q2_numbers()

q2 = NumberExercise(
    name="02.q2 the MSE of a line",
    answer=_q2["answer"],
    rel_tol=5e-3,
    abs_tol=1e-4,
    mistakes={
        _q2["sum"]: "that is the sum of the squared errors. MSE is their mean: divide by the number of points.",
        _q2["mae"]: "that is the mean of the absolute errors. MSE squares each error before averaging.",
        _q2["rmse"]: "that is the square root of the MSE (the RMSE). The MSE itself has no square root.",
        _q2["mean_err_sq"]: "that averages the errors first and squares afterwards, so errors of opposite sign "
        "cancel. Square each error first, then take the mean.",
        _q2["half"]: "that is half the MSE. Some textbooks add a factor 1/2; nn.MSELoss does not.",
        _q2["no_bias"]: "the predictions need the bias too: prediction = w*x + b = 2x + 1.",
        _q2["minus_bias"]: "the bias is added, not subtracted: prediction = 2x + 1.",
    },
    hints=[
        "Predictions first: 2*0 + 1, 2*1 + 1, 2*2 + 1. Then each prediction minus its target, squared.",
        "Predictions 1, 3, 5; targets 1, 2, 7; errors 0, 1, -2. Square them and take the mean.",
    ],
    solution_text=(
        "predictions w*x + b = 1, 3, 5\n"
        "errors (prediction - target) = 0, 1, -2; squared: 0, 1, 4\n"
        "MSE = (0 + 1 + 4) / 3 = 1.6667\n"
        "In PyTorch: nn.MSELoss()(torch.tensor([1., 3., 5.]), torch.tensor([1., 2., 7.])) -> 1.6667"
    ),
    explanation="errors 0, 1 and -2 square to 0, 1 and 4, whose mean is 5/3 = 1.6667.",
)

# ----------------------------------------------------------------------------- q3: write mse(pred, y)


def reference_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The reference for q3: the mean of the squared differences, one number."""
    return ((pred - y) ** 2).mean()


def _q3_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(2)
    return [
        (torch.tensor([[0.5], [2.0], [-1.0], [3.0]]), torch.tensor([[1.0], [1.0], [1.0], [1.0]])),
        (torch.randn(7, 1, generator=g), torch.randn(7, 1, generator=g)),
        (torch.randn(5, generator=g), torch.randn(5, generator=g)),
    ]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)


def _test_mse(mse: Callable) -> Feedback:
    for pred, y in _q3_cases():
        pred_copy, y_copy = pred.clone(), y.clone()
        out = mse(pred_copy, y_copy)
        if not torch.equal(pred_copy, pred) or not torch.equal(y_copy, y):
            return Feedback(False, "your function changed its inputs (an in-place operation such as -= or "
                                   "pow_). Compute a new tensor instead: (pred - y) ** 2.")  # fmt: skip
        try:
            value = torch.as_tensor(out, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return Feedback(False, f"your function returned {out!r}; it should return one number (a tensor or float).")
        if value.numel() != 1:
            return Feedback(False, f"your function returned {value.numel()} numbers (shape {tuple(value.shape)}): "
                                   "per-example losses, like reduction='none'. Take their .mean().")  # fmt: skip
        got = float(value)
        diff = (pred - y).double()
        expected = float(nn.functional.mse_loss(pred.double(), y.double()))
        if _close(got, expected):
            continue
        n = diff.numel()
        if _close(got, float((diff**2).sum())):
            return Feedback(False, f"that is the sum of the squared errors ({n} times too large here). "
                                   "Divide by the number of examples: use .mean() instead of .sum().")  # fmt: skip
        if _close(got, float(diff.abs().mean())):
            return Feedback(False, "that is the mean absolute error. Square the differences instead of taking abs.")
        if _close(got, float(diff.mean())) or _close(got, -float(diff.mean())):
            return Feedback(False, "that averages the raw differences, so positive and negative errors cancel. "
                                   "Square each difference before the mean.")  # fmt: skip
        if _close(got, float(diff.mean() ** 2)):
            return Feedback(False, "that squares the mean difference. Square each difference first, then average.")
        if _close(got, math.sqrt(expected)):
            return Feedback(False, "that is the root of the MSE (RMSE). Leave out the square root.")
        if _close(got, expected / 2):
            return Feedback(False, "that is half the MSE. nn.MSELoss has no factor 1/2.")
        return Feedback(False, f"for predictions {pred.flatten().tolist()} and targets {y.flatten().tolist()} your "
                               f"function gave {got:.6f}, but the MSE is {expected:.6f}.")  # fmt: skip
    return Feedback(True, f"your mse agrees with nn.MSELoss on {len(_q3_cases())} batches, including a 1-D one.")


q3 = CodeExercise(
    name="02.q3 write mse(pred, y)",
    test=_test_mse,
    hints=[
        "Three operations: subtract, square, average. Tensors do each of them element by element.",
        "((pred - y) ** 2).mean()",
    ],
    solution_text=(
        "def mse(pred, y):\n"
        "    return ((pred - y) ** 2).mean()   # square every error, then one mean over the batch\n"
        "\n"
        "Without .mean() you get the per-example losses, what nn.MSELoss(reduction='none') returns."
    ),
)

# ----------------------------------------------------------------------------- q4: probabilities into CrossEntropyLoss

q4 = ChoiceExercise(
    name="02.q4 probabilities into CrossEntropyLoss",
    options={
        "a": "PyTorch raises an error.",
        "b": "The same loss as with the logits.",
        "c": "A different loss, with no error or warning.",
        "d": "The loss is NaN.",
    },
    correct="c",
    explanations={
        "a": "no error at all: probabilities are numbers of the right shape, so PyTorch cannot tell. "
        "That is what makes this bug dangerous. Run the cell below.",
        "b": "nn.CrossEntropyLoss applies softmax itself. Given probabilities, it applies softmax a second "
        "time, which squashes them towards 1/K: a different number.",
        "c": "nn.CrossEntropyLoss runs log_softmax on whatever you pass. Probabilities lie between 0 and 1, so "
        "a second softmax squashes them towards uniform: the loss is simply a different number, a perfect "
        "prediction still scores 0.744 instead of 0, and training gets weak gradients.",
        "d": "nothing blows up: softmax of numbers between 0 and 1 is perfectly finite.",
    },
    hints=["nn.CrossEntropyLoss expects logits and applies softmax itself. What happens if softmax runs twice?"],
    solution_text=(
        "c) A wrong loss, silently. nn.CrossEntropyLoss computes log_softmax(input) and picks the correct class. "
        "Given probabilities p (all between 0 and 1), it computes softmax(p), which is close to uniform: for "
        "4 classes and a perfect prediction p = (1, 0, 0, 0) the 'loss' is -log(e / (e + 3)) = 0.744, not 0. "
        "Pass logits (the model's raw output), or use nn.NLLLoss on log-probabilities."
    ),
)
