"""Exercises for notebook 01, the training loop."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ...data import epoch_plan, make_random_labels
from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...models import make_mlp

__all__ = ["q1", "q2", "q3", "reference_step"]

_plan = epoch_plan(1000, 32, 5)

q1 = NumberExercise(
    name="01.q1 steps in the minimal example",
    answer=lambda: _plan.total_steps,
    mistakes={
        5: "that is one update per epoch; but the optimizer steps once per *batch*, and an epoch has many batches.",
        155: "close: 1000 // 32 = 31 full batches, but the 8 examples left over form a 32nd, smaller batch "
        "(DataLoader keeps it unless drop_last=True).",
        156.25: "1000 / 32 = 31.25 is not a whole number of batches: round the batches per epoch *up*.",
        31.25: "that is batches per epoch as a fraction, and only for one epoch.",
        32: "that is one epoch's worth of steps; the run has 5 epochs.",
        5000: "that counts examples processed (1000 x 5); a step processes a whole batch at once.",
        1000: "that counts examples in one epoch; a step processes a whole batch of them.",
    },
    hints=[
        "Work out the batches in one epoch first: how many batches of 32 does it take to cover 1,000 examples?",
        "31 batches hold 992 examples; the remaining 8 form one more batch. Then multiply by the epochs.",
    ],
    solution_text=(
        "batches per epoch = ceil(1000 / 32) = 32 (31 full batches and a last one of 8);\n"
        "steps = 32 batches x 5 epochs = 160. Check it: run.history.steps == 160.\n"
        f"course_utils.epoch_plan(1000, 32, 5) says: {_plan}"
    ),
    explanation="32 batches per epoch (the last holds 8 examples) x 5 epochs = 160 optimizer steps.",
)


def reference_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module,
                   optimizer: torch.optim.Optimizer) -> float:  # fmt: skip
    """One training step, the reference for q2."""
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


_UNCHANGED = (
    "the weights did not change. Is optimizer.step() called -- and is optimizer.zero_grad() called *before* "
    "loss.backward(), not between backward and step?"
)
_WRONG_FIRST = (
    "after one step the weights differ from the reference: check that the loss compares model(x) with y, "
    "and that backward() is called on that loss."
)
_STALE = (
    "the first step matched, but step {} did not: the gradients of the earlier step were still there. "
    "Call optimizer.zero_grad() in every step."
)


def _test_step(step: Callable) -> Feedback:
    """Run the learner's step and the reference on identical copies for three batches; compare weights."""
    X, y = make_random_labels(96, seed=7).tensors
    base = make_mlp(10, (8,), 2, seed=3)
    theirs, ours = copy.deepcopy(base), copy.deepcopy(base)
    opt_t, opt_o = torch.optim.SGD(theirs.parameters(), lr=0.1), torch.optim.SGD(ours.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for i in range(3):
        xb, yb = X[32 * i : 32 * (i + 1)], y[32 * i : 32 * (i + 1)]
        before = [p.detach().clone() for p in theirs.parameters()]
        step(theirs, xb, yb, loss_fn, opt_t)
        reference_step(ours, xb, yb, loss_fn, opt_o)
        unchanged = all(torch.equal(b, p) for b, p in zip(before, theirs.parameters()))
        if unchanged:
            return Feedback(False, _UNCHANGED)
        if not all(torch.equal(a, b) for a, b in zip(theirs.parameters(), ours.parameters())):
            return Feedback(False, _WRONG_FIRST if i == 0 else _STALE.format(i + 1))
    return Feedback(True, "three steps, weights identical to the reference loop bit for bit.")


q2 = CodeExercise(
    name="01.q2 write one training step",
    test=_test_step,
    hints=[
        "Four things happen, in this order: predictions, loss, gradients, update. zero_grad goes before backward.",
        "loss = loss_fn(model(x), y); then optimizer.zero_grad(); loss.backward(); optimizer.step().",
    ],
    solution_text=(
        "def training_step(model, x, y, loss_fn, optimizer):\n"
        "    loss = loss_fn(model(x), y)   # forward pass + loss\n"
        "    optimizer.zero_grad()         # forget the previous gradients\n"
        "    loss.backward()               # backward pass: fill every parameter's .grad\n"
        "    optimizer.step()              # update the weights\n"
        "    return loss.item()"
    ),
)

q3 = ChoiceExercise(
    name="01.q3 zero_grad in the wrong place",
    options={
        "a": "Training works exactly as before.",
        "b": "The weights never change, and the loss stays where it started (up to batch-to-batch noise).",
        "c": "PyTorch raises an error.",
        "d": "The loss goes to NaN.",
    },
    correct="b",
    explanations={
        "a": "zero_grad() between backward() and step() wipes the gradients that backward() just computed.",
        "b": "zero_grad() sets every .grad to None, and the optimizer skips parameters without a gradient: "
        "step() does nothing, silently. Order matters: zero_grad, backward, step.",
        "c": "no error at all -- which is what makes this bug dangerous. Run the cell below and look at the loss.",
        "d": "nothing blows up: with the gradients wiped, nothing moves at all.",
    },
    hints=["What does .grad hold right after zero_grad()? What can step() do with that?"],
    solution_text=(
        "b) The weights never change. optimizer.zero_grad() resets every parameter's .grad to None; "
        "optimizer.step() skips parameters whose .grad is None, so the update does nothing -- no error, "
        "no warning, just a flat loss curve."
    ),
)
