"""Exercises for notebook 10, gradient accumulation and data parallelism."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ...data import make_moons
from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...models import make_mlp

__all__ = ["q1", "q2", "q3", "reference_accumulation_step"]

q1 = NumberExercise(
    name="10.q1 effective batch size",
    answer=16 * 8 * 4,
    mistakes={
        128: "that is one process's share (16 x 8). The 4 processes each do the same, and DDP averages all four "
        "gradients before the single step.",
        64: "16 x 4 leaves out the accumulation: each process adds up 8 micro-batches before the step.",
        32: "the processes multiply the batch, they do not divide it: each one brings examples of its own.",
        16: "that is one micro-batch: what one forward pass sees, not what one step averages over.",
        28: "add up nothing here: every micro-batch of every process holds 16 different examples, so multiply.",
        8: "that is the number of micro-batches per process, not the number of examples.",
    },
    hints=[
        "Count the examples behind one optimizer step: how many does one micro-batch hold, how many micro-batches "
        "does one process add up, and how many processes average their gradients?",
        "Effective batch = micro-batch x accumulation steps x processes.",
    ],
    solution_text=(
        "effective batch = 16 (micro-batch) x 8 (accumulation steps) x 4 (processes) = 512 examples per step.\n"
        "Each process sees 8 x 16 = 128 examples between two steps; DDP averages the 4 processes' gradients."
    ),
    explanation="16 x 8 x 4 = 512: every step averages the gradients of 512 different examples.",
)


def reference_accumulation_step(model: nn.Module, micro_batches: list, loss_fn: nn.Module,
                                optimizer: torch.optim.Optimizer) -> None:  # fmt: skip
    """One optimizer step from several micro-batches of equal size (the reference for q2)."""
    k = len(micro_batches)
    optimizer.zero_grad()
    for x, y in micro_batches:
        loss = loss_fn(model(x), y) / k
        loss.backward()
    optimizer.step()


def _flat_weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def _test_accumulation_step(step: Callable) -> Feedback:
    """Run the learner's step next to the reference on copies of one model (SGD, 4 micro-batches of 16).

    SGD's update is lr x gradient, so the *change* of the weights tells which gradient was used.
    """
    X, y = make_moons(128, seed=5).tensors
    base = make_mlp(2, (16,), 2, seed=4)
    loss_fn = nn.CrossEntropyLoss()
    k, m = 4, 16
    theirs, ours = copy.deepcopy(base), copy.deepcopy(base)
    opt_t, opt_o = torch.optim.SGD(theirs.parameters(), lr=0.1), torch.optim.SGD(ours.parameters(), lr=0.1)
    for call in range(2):
        rows = slice(call * k * m, (call + 1) * k * m)
        micro = list(zip(X[rows].split(m), y[rows].split(m)))
        before = _flat_weights(theirs)
        step(theirs, [(a.clone(), b.clone()) for a, b in micro], loss_fn, opt_t)
        start = copy.deepcopy(ours)
        reference_accumulation_step(ours, micro, loss_fn, opt_o)
        delta, expected = _flat_weights(theirs) - before, _flat_weights(ours) - _flat_weights(start)
        if _close(delta, expected):
            continue
        if torch.count_nonzero(delta) == 0:
            return Feedback(False, "the weights did not change: is optimizer.step() called once, after the loop, "
                                   "and zero_grad() called before the backward passes, not after them?")  # fmt: skip
        if _close(delta, k * expected):
            return Feedback(False, f"the step is {k} times too large: each micro-batch's loss must be divided by "
                                   f"the number of micro-batches ({k}) before backward(), so that the {k} "
                                   "gradients add up to their mean, not their sum.")  # fmt: skip
        last = copy.deepcopy(start)
        last_opt = torch.optim.SGD(last.parameters(), lr=0.1)
        last_opt.zero_grad()
        (loss_fn(last(micro[-1][0]), micro[-1][1]) / k).backward()
        last_opt.step()
        if _close(delta, _flat_weights(last) - _flat_weights(start)):
            return Feedback(False, "only the last micro-batch counted: zero_grad() inside the loop wipes the "
                                   "gradients of the micro-batches before it. Call it once, before the "
                                   "loop.")  # fmt: skip
        if call == 1:
            return Feedback(False, "the first call matched, the second did not: the gradients of the previous "
                                   "step were still in .grad. Start with optimizer.zero_grad().")  # fmt: skip
        return Feedback(False, "the weights moved differently from one step on the whole batch. Take exactly one "
                               "optimizer.step(), after all micro-batches' backward() calls (a step inside the "
                               "loop makes several small steps instead of one).")  # fmt: skip
    return Feedback(True, "two steps, each the same as one step on the 64 examples at once (up to float rounding).")


q2 = CodeExercise(
    name="10.q2 write an accumulation step",
    test=_test_accumulation_step,
    hints=[
        "Four parts: clear the old gradients once; for every micro-batch a forward pass, a loss and backward(); "
        "then one optimizer step.",
        "k = len(micro_batches); inside the loop: (loss_fn(model(x), y) / k).backward(). "
        "The step comes after the loop.",
    ],
    solution_text=(
        "def accumulation_step(model, micro_batches, loss_fn, optimizer):\n"
        "    k = len(micro_batches)\n"
        "    optimizer.zero_grad()                 # once, before the micro-batches\n"
        "    for x, y in micro_batches:\n"
        "        loss = loss_fn(model(x), y) / k   # this micro-batch's share of the mean\n"
        "        loss.backward()                   # adds its gradient to .grad\n"
        "    optimizer.step()                      # one update for the whole batch"
    ),
)

q3 = ChoiceExercise(
    name="10.q3 forgetting the division with Adam",
    options={
        "a": "Every step becomes 4 times larger, as if the learning rate were 4 times larger.",
        "b": "Training hardly changes at all.",
        "c": "PyTorch raises an error.",
        "d": "Every step becomes 4 times smaller.",
    },
    correct="b",
    explanations={
        "a": "that is what happens with plain SGD, whose step is lr x gradient. Adam's step is lr x (average "
        "gradient) / (typical gradient size): make every gradient 4 times larger and both grow by 4.",
        "b": "Adam divides each step by a running measure of the gradient's size, so scaling every gradient by 4 "
        "cancels out (all but its tiny epsilon). The bug hides -- until something reads the gradient's size "
        "itself, such as gradient clipping or a logged gradient norm.",
        "c": "nothing checks this: the sum of k gradients is as valid a tensor as their mean.",
        "d": "without the division the accumulated gradient is the *sum* of the k gradients: larger, not smaller.",
    },
    hints=["With SGD the step is lr x gradient. Adam's step is lr x m / (sqrt(v) + eps), where m averages the "
           "gradients and v averages their squares. What happens to m / sqrt(v) if every gradient is 4 times larger?"],
    solution_text=(
        "b) Hardly any change. Adam's update is lr * m / (sqrt(v) + eps): m grows by 4, sqrt(v) grows by 4, and the "
        "ratio stays (up to eps = 1e-8). With SGD the same bug makes every step 4 times larger."
    ),
)
