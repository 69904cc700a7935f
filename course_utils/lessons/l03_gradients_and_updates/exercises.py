"""Exercises for notebook 03, gradients and updates."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ...data import make_regression
from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...models import make_mlp

__all__ = ["q1", "q2", "q3", "q4", "reference_manual_step"]

# ----------------------------------------------------------------------------- q1: one SGD step

Q1_W, Q1_GRAD, Q1_LR = 0.5, -2.0, 0.1

q1 = NumberExercise(
    name="03.q1 one SGD step",
    answer=Q1_W - Q1_LR * Q1_GRAD,
    mistakes={
        Q1_W + Q1_LR * Q1_GRAD: "you moved *with* the gradient. SGD steps against it: w - lr * grad, and "
        "subtracting a negative number adds.",
        Q1_LR * Q1_GRAD: "that is lr * grad, the part that gets subtracted; the question asks for the new weight.",
        -Q1_LR * Q1_GRAD: "that is the change of the weight (-lr * grad); add it to the old weight.",
        Q1_W - Q1_GRAD: "you left out the learning rate: the step is lr * grad, not the whole gradient.",
        Q1_W + Q1_GRAD: "two slips: the step is lr * grad (not the whole gradient), and it goes against the gradient.",
    },
    hints=[
        "The update is w <- w - lr * grad. Work out lr * grad first.",
        "lr * grad = 0.1 * (-2.0) = -0.2. Now subtract that from w = 0.5.",
    ],
    solution_text=(
        "w_new = w - lr * grad = 0.5 - 0.1 * (-2.0) = 0.5 + 0.2 = 0.7.\n"
        "The gradient is negative: the loss falls as w grows, so the step increases w."
    ),
    explanation="0.5 - 0.1 x (-2.0) = 0.7. A negative gradient means the loss falls as w grows, so w grows.",
)

# ----------------------------------------------------------------------------- q2: two backward() calls

q2 = ChoiceExercise(
    name="03.q2 two batches, two backward() calls",
    options={
        "a": "The gradient of the second batch only: backward() overwrites .grad.",
        "b": "The sum of the two batches' gradients: twice the gradient of the mean loss over all 32 examples.",
        "c": "The gradient of the mean loss over all 32 examples, exactly as one batch of 32 would give.",
        "d": "An error: backward() has already been called once.",
    },
    correct="b",
    explanations={
        "a": "backward() never overwrites: it *adds* into .grad. That is why the loop calls zero_grad() first.",
        "b": "backward() adds into .grad, so .grad = grad(mean over batch 1) + grad(mean over batch 2). With two "
        "batches of the same size that is 2 x the gradient of the mean over all 32. (This is why gradient "
        "accumulation divides each loss by the number of batches.)",
        "c": "close: .grad does hold both batches' information, but as a *sum of two means*, which is twice "
        "the mean over 32. To get exactly the mean, divide each loss by 2 before backward().",
        "d": "the error comes only when you call backward() twice on the *same* loss (its graph is freed after "
        "the first call). Here each batch has a loss of its own, with a graph of its own.",
    },
    hints=["Section 6: what did the second backward() do to .grad? Then: a sum of two means vs one mean."],
    solution_text=(
        "b) .grad holds grad(loss1) + grad(loss2). Each loss is a mean over 16 examples; the mean over all 32 is\n"
        "(loss1 + loss2) / 2, so .grad is twice its gradient. Run the next cell to see it, to float32 rounding."
    ),
)

# ----------------------------------------------------------------------------- q3: a step without an optimizer

Q3_LR = 0.1


def reference_manual_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
    """The reference for q3: one SGD step written out, without an optimizer object."""
    for p in model.parameters():
        p.grad = None  # forget the previous step's gradients (what optimizer.zero_grad() does)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:  # frozen parameters have no gradient
                p.add_(p.grad, alpha=-lr)  # w <- w - lr * grad, in place
    return loss.item()


def _q3_setup() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    X, y = make_regression(96, n_features=4, seed=3).tensors
    model = make_mlp(4, (8,), 1, seed=5)
    model[0].requires_grad_(False)  # a frozen first layer, as in section 1
    return model, X, y


_NO_GRAD = (
    "PyTorch refused to change a weight in place because autograd was recording. Put the update inside "
    "`with torch.no_grad():` -- an update is not part of the model's computation."
)
_NONE_GRAD = (
    "one of the parameters has .grad = None: the frozen first layer. Skip it: `if p.grad is not None:`."
)
_UNCHANGED = (
    "the weights did not change. Did you write `p = p - lr * p.grad`? That builds a new tensor and only "
    "rebinds the name p; the model keeps its old weights. Change the weight in place: `p -= lr * p.grad` "
    "or `p.add_(p.grad, alpha=-lr)`. (Or: were the gradients wiped between backward() and the update?)"
)
_UPHILL = "the weights moved the wrong way: up the slope. The update subtracts: w <- w - lr * grad."
_STALE = (
    "the first step matched, but step {} did not: the previous step's gradients were still in .grad and "
    "backward() added to them. Clear them at the start of every step: `p.grad = None` for each parameter, "
    "or `model.zero_grad()`."
)
_FROZEN = "the frozen first layer changed: it has requires_grad=False, and nothing should move it."


def _test_manual_step(step: Callable) -> Feedback:
    """Run the learner's step and the reference on identical models for three batches; compare the weights."""
    base, X, y = _q3_setup()
    theirs, ours = copy.deepcopy(base), copy.deepcopy(base)
    frozen_before = base[0].weight.detach().clone()
    exact = True
    for i in range(3):
        xb, yb = X[32 * i : 32 * (i + 1)], y[32 * i : 32 * (i + 1)]
        before = [p.detach().clone() for p in theirs.parameters()]
        try:
            step(theirs, xb, yb, Q3_LR)
        except RuntimeError as exc:
            if "in-place" in str(exc) or "leaf Variable" in str(exc):
                return Feedback(False, _NO_GRAD)
            raise
        except TypeError as exc:
            if "NoneType" in str(exc):
                return Feedback(False, _NONE_GRAD)
            raise
        reference_manual_step(ours, xb, yb, Q3_LR)
        if not torch.equal(theirs[0].weight.detach(), frozen_before):
            return Feedback(False, _FROZEN)
        if all(torch.equal(b, p) for b, p in zip(before, theirs.parameters())):
            return Feedback(False, _UNCHANGED)
        moved = torch.cat([(p.detach() - b).reshape(-1) for p, b in zip(theirs.parameters(), before)])
        wanted = torch.cat([(q.detach() - b).reshape(-1) for q, b in zip(ours.parameters(), before)])
        if torch.dot(moved, wanted) < 0:
            return Feedback(False, _UPHILL)
        close = all(torch.allclose(p, q, rtol=1e-5, atol=1e-7) for p, q in zip(theirs.parameters(), ours.parameters()))
        if not close:
            if i > 0:
                return Feedback(False, _STALE.format(i + 1))
            ratio = float(moved.norm() / wanted.norm())
            return Feedback(False, f"the step has the right direction but {ratio:.3g} times the right size: "
                                   "the change of each weight is exactly lr * grad.")  # fmt: skip
        exact = exact and all(torch.equal(p, q) for p, q in zip(theirs.parameters(), ours.parameters()))
        theirs.load_state_dict(ours.state_dict())  # continue from identical weights
    how = ("bit for bit" if exact else
           "to float32 rounding (p.add_(p.grad, alpha=-lr) would make it bit for bit, as in section 3)")  # fmt: skip
    return Feedback(True, f"three steps, the same weights as torch.optim.SGD {how}. You have written an optimizer.")


q3 = CodeExercise(
    name="03.q3 a training step without an optimizer",
    test=_test_manual_step,
    hints=[
        "Four parts: clear the old gradients; loss = mse_loss(model(x), y); loss.backward(); then update every "
        "parameter that has a gradient, inside `with torch.no_grad():`.",
        "for p in model.parameters(): p.grad = None  ...  with torch.no_grad(): for p in model.parameters(): "
        "if p.grad is not None: p -= lr * p.grad",
    ],
    solution_text=(
        "def manual_step(model, x, y, lr):\n"
        "    for p in model.parameters():\n"
        "        p.grad = None                          # forget the previous step's gradients\n"
        "    loss = nn.functional.mse_loss(model(x), y) # forward pass + loss\n"
        "    loss.backward()                            # gradients into .grad\n"
        "    with torch.no_grad():                      # the update itself is not recorded by autograd\n"
        "        for p in model.parameters():\n"
        "            if p.grad is not None:             # the frozen layer has no gradient\n"
        "                p.add_(p.grad, alpha=-lr)      # w <- w - lr * grad, in place\n"
        "    return loss.item()"
    ),
)

# ----------------------------------------------------------------------------- q4: Adam's first step

Q4_GRAD, Q4_LR, Q4_EPS = 0.004, 0.01, 1e-8

q4 = NumberExercise(
    name="03.q4 the size of Adam's first step",
    answer=Q4_LR * Q4_GRAD / (abs(Q4_GRAD) + Q4_EPS),  # m_hat = g, v_hat = g^2 after one step
    rel_tol=1e-3,
    abs_tol=1e-12,
    mistakes={
        Q4_LR * Q4_GRAD: "that is SGD's step, lr x grad. Adam divides by sqrt(v_hat), the typical size of the "
        "gradient, which after one step is |grad| itself.",
        Q4_GRAD: "that is the gradient itself; the step is scaled by the learning rate.",
        0.001: "0.001 is Adam's *default* learning rate; this optimizer was built with lr=0.01.",
        -Q4_LR: "right size, wrong sign for this question: it asks for the size of the step (a positive number). "
        "(The weight does go down by that much, against the positive gradient.)",
        Q4_LR * Q4_GRAD**2: "that is lr x grad^2; Adam divides the (averaged) gradient by the square root of the "
        "(averaged) squared gradient.",
    },
    hints=[
        "After the first step, m_hat = grad and v_hat = grad^2 (the bias corrections undo the (1 - beta) factors).",
        "step = lr * m_hat / (sqrt(v_hat) + eps) = lr * grad / (|grad| + eps). How big is grad / |grad|?",
    ],
    solution_text=(
        "After one step m = 0.1 g and v = 0.001 g^2; the bias corrections divide by 1 - 0.9 and 1 - 0.999, so\n"
        "m_hat = g and v_hat = g^2. The step is lr * g / (|g| + eps) = 0.01 * 0.004 / (0.004 + 1e-8) = 0.0099999750,\n"
        "which is 0.01 = lr to 7 digits. Adam's first step moves every number by about lr, whatever its gradient's\n"
        "size; SGD would have moved this one by lr * g = 0.00004."
    ),
    explanation="the first step is lr x g / |g| = lr (up to eps): whatever the gradient's size, Adam moves the "
    "weight by about lr -- here 250 times more than SGD's lr x g = 0.00004.",
)
