"""Exercises for notebook 04, batches, epochs and iterations."""

from __future__ import annotations

from collections.abc import Callable

from ...data import epoch_plan
from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise

__all__ = ["q1", "q2", "q3", "CASES"]

_mnist = epoch_plan(60000, 128, 10)

q1 = NumberExercise(
    name="04.q1 updates in an MNIST-sized run",
    answer=lambda: _mnist.total_steps,
    mistakes={
        4680: "that is 468 batches per epoch: 60,000 // 128 rounds down and forgets the last, smaller batch "
        "of 96 examples. Without drop_last it is still a batch, and still an update.",
        4687.5: "60,000 / 128 = 468.75 is not a whole number of batches: round the batches per epoch *up*.",
        469: "that is one epoch's updates; the run has 10 epochs.",
        468: "that is one epoch, rounded down; the run has 10 epochs, and the 96 leftover examples make a batch.",
        10: "one update per epoch would need one batch of 60,000. Here every batch of 128 gets its own update.",
        600000: "that counts examples processed (60,000 x 10); an update processes a whole batch at once.",
        7680000: "batch size times examples? The examples are *divided* into batches of 128.",
    },
    hints=[
        "First the batches in one epoch: how many batches of 128 does it take to cover 60,000 examples?",
        "468 full batches hold 59,904 examples; the 96 left over form one more, smaller batch. Then x 10 epochs.",
    ],
    solution_text=(
        "batches per epoch = ceil(60000 / 128) = 469 (468 full batches and a last one of 96);\n"
        "updates = 469 x 10 epochs = 4,690.\n"
        f"epoch_plan(60000, 128, 10) says: {_mnist}"
    ),
    explanation="469 batches per epoch (the last holds 96 examples) x 10 epochs = 4,690 weight updates.",
)


CASES = [(1000, 100, False), (1000, 32, False), (1000, 32, True), (12000, 100, False), (60000, 128, False),
         (60000, 128, True), (7, 3, False), (7, 3, True), (5, 5, True), (5, 1, False), (10, 7, True)]  # fmt: skip
"""(n_samples, batch_size, drop_last) cases that q2's checker tries."""


def _test_batches(fn: Callable) -> Feedback:
    """Compare the learner's batches_per_epoch with epoch_plan on cases with and without a remainder."""
    for n, b, drop in CASES:
        expected = epoch_plan(n, b, 1, drop).batches_per_epoch
        got = fn(n, b, drop)
        if isinstance(got, float) and not got.is_integer():
            return Feedback(False, f"batches_per_epoch({n}, {b}, {drop}) returned {got}: a number of batches is "
                                   "whole. Use // (floor division) and add one for a leftover batch.")  # fmt: skip
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return Feedback(False, f"batches_per_epoch({n}, {b}, {drop}) returned {got!r}; it should return a number.")
        if got != expected:
            full, rest = divmod(n, b)
            if rest and not drop and got == full:
                why = (f"{n} examples in batches of {b}: {full} full batches and {rest} left over. Without "
                       "drop_last those leftovers still form a (smaller) batch: round up.")
            elif rest and drop and got == full + 1:
                why = (f"with drop_last=True the {rest} leftover examples are thrown away, so there are only {full} "
                       "batches: round down.")
            elif rest == 0 and got == full + 1:
                why = (f"{n} splits into exactly {full} batches of {b}: there is no leftover batch when nothing is "
                       "left over.")
            else:
                why = "compare with epoch_plan(n_samples, batch_size, 1, drop_last).batches_per_epoch."
            return Feedback(False, f"batches_per_epoch({n}, {b}, drop_last={drop}) returned {got}, expected "
                                   f"{expected}: {why}")  # fmt: skip
    return Feedback(True, f"right on all {len(CASES)} cases, with and without leftovers and drop_last.")


q2 = CodeExercise(
    name="04.q2 batches per epoch",
    test=_test_batches,
    hints=[
        "divmod(n_samples, batch_size) gives the full batches and the leftover examples in one go.",
        "full, rest = divmod(n_samples, batch_size); the leftovers make one more batch unless drop_last or rest == 0.",
    ],
    solution_text=(
        "def batches_per_epoch(n_samples, batch_size, drop_last):\n"
        "    full, rest = divmod(n_samples, batch_size)   # full batches, examples left over\n"
        "    if rest and not drop_last:\n"
        "        return full + 1                          # the leftovers form a last, smaller batch\n"
        "    return full\n"
        "\n"
        "(Equivalently: math.floor(n / b) if drop_last else math.ceil(n / b).)"
    ),
)

q3 = ChoiceExercise(
    name="04.q3 what each axis flatters",
    options={
        "a": "the full-batch run",
        "b": "the mini-batch run",
        "c": "the one-at-a-time run",
        "d": "all three look the same",
    },
    correct="c",
    explanations={
        "a": "per epoch the full-batch run makes a single update, so it moves least. Against *updates* it looks "
        "fine; against epochs it is the slowest.",
        "b": "the mini-batch run makes 8 updates per epoch here -- but the one-at-a-time run makes 256.",
        "c": "an epoch gives it 256 updates, the full batch 1: per pass over the data it moves farthest. The "
        "epoch axis hides that each of those updates costs almost as much time as a full-batch update.",
        "d": "the number of updates per epoch differs 256-fold between them; the curves cannot coincide.",
    },
    hints=["On the epoch axis, every run gets the same amount of data. Which one turns it into the most updates?"],
    solution_text=(
        "c) Plotted against epochs, the one-at-a-time run drops fastest: it makes n_samples updates per epoch, "
        "the full batch only one. The epoch axis counts data seen, not work done, so it flatters small batches. "
        "The updates axis does the opposite (it hides that one full-batch update processes every example), and "
        "only wall-clock time counts what you actually wait for -- on this machine."
    ),
)
