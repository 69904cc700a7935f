"""Exercises for notebook 07, the learning rate."""

from __future__ import annotations

import math
from collections.abc import Callable

from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise

__all__ = ["q1", "q2", "q3", "q4", "reference_range_test_lr"]

q1 = NumberExercise(
    name="07.q1 the critical learning rate",
    answer=0.25,
    rel_tol=1e-3,
    mistakes={
        0.125: "with lr = 0.125 = 1/8 the first step lands exactly on the minimum (w - 3 is multiplied by "
        "1 - 8 x 0.125 = 0): that is the *fastest* rate, not the largest safe one. Go higher until the factor "
        "reaches -1.",
        0.5: "check the derivative: d/dw of 4(w - 3)^2 is 8(w - 3), not 4(w - 3). The curvature is 8.",
        2.0: "2 / curvature is right, but the curvature (second derivative) of 4(w - 3)^2 is 8, not 1.",
        1.0: "at lr = 1, w - 3 is multiplied by 1 - 8 = -7 every step: it flies off fast. Smaller.",
        0.0625: "at lr = 1/16 the factor 1 - 8 lr is 0.5: safe, but it is not the largest safe rate.",
    },
    hints=[
        "Write one step: w_new - 3 = (w - 3) - lr x 8(w - 3) = (1 - 8 lr)(w - 3). The distance to the minimum "
        "is multiplied by the same factor every step.",
        "The distance shrinks only while |1 - 8 lr| < 1. Solve 1 - 8 lr = -1.",
    ],
    solution_text=(
        "One step: w - 3  ->  (1 - 8 lr)(w - 3). The distance to the minimum shrinks only while |1 - 8 lr| < 1,\n"
        "i.e. 0 < lr < 2/8 = 0.25. At 0.125 the first step lands on the minimum; between 0.125 and 0.25 the\n"
        "factor is negative, so w jumps to the other side every step (a zig-zag) but still gets closer; above\n"
        "0.25 every jump is longer than the last (it flies off). In general: critical lr = 2 / curvature."
    ),
    explanation="lr < 2 / curvature = 2/8 = 0.25. Between 1/8 and 1/4 the weight zig-zags across the minimum "
    "but converges; above 1/4 each jump is bigger than the last.",
)

q2 = ChoiceExercise(
    name="07.q2 centre the inputs",
    options={
        "a": "It zig-zags just as before.",
        "b": "It flies off.",
        "c": "It heads almost straight for the best (w, b) and ends closer to it than the zig-zagging run did.",
        "d": "It creeps: the steps become tiny.",
    },
    correct="c",
    explanations={
        "a": "the zig-zag came from the steep direction of the valley; centring changes the valley's shape. "
        "Run the next cell and look at the curvatures it prints.",
        "b": "centring makes the steepest curvature *smaller* (from about 4.3 to 2), so the critical rate goes "
        "*up* (from about 0.47 to 1.0): the same lr is now further from the cliff, not closer.",
        "c": "centred x no longer mixes w and b: the valley becomes nearly round, its steepest curvature drops "
        "from about 4.3 to 2, and lr = 0.42 is now less than half the critical rate -- no zig-zag, and the flat "
        "direction is no longer a long crawl.",
        "d": "the step is lr x gradient, and neither changed size by much. The next cell shows it.",
    },
    hints=["Centring changes the curvature of the loss. What does that do to the critical rate 2 / curvature?"],
    solution_text=(
        "c) With x between -1 and 1, raising w no longer raises every prediction (half the x are negative), so w "
        "and b stop doing the same job. The valley becomes nearly round: curvatures about 2 and 0.7 instead of "
        "4.3 and 0.32. The critical rate rises from 0.47 to 1.0, so lr = 0.42 is below half of it: direct descent. "
        "This is why inputs are standardised (zero mean, unit spread) before training."
    ),
)


def reference_range_test_lr(step: int, start_lr: float, end_lr: float, num_steps: int) -> float:
    """The learning rate of step ``step`` (counting from 0) in a range test: the same factor every step."""
    return start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))


def _test_schedule(f: Callable[..., float]) -> Feedback:
    cases = [(0, 1e-6, 10.0, 100), (99, 1e-6, 10.0, 100), (50, 1e-6, 10.0, 101), (3, 1e-4, 1.0, 5), (7, 0.01, 5.0, 30)]
    for step, start, end, n in cases:
        got = float(f(step, start, end, n))
        want = reference_range_test_lr(step, start, end, n)
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        if step == 0:
            return Feedback(False, f"step 0 should use start_lr={start:g} itself, but your function gave {got:g}.")
        if math.isclose(got, start + (end - start) * step / (n - 1), rel_tol=1e-6):
            return Feedback(False, "that spaces the rates *evenly* (linear): almost all of them then lie near "
                            "end_lr. A range test multiplies by the same factor every step, so they are even on a "
                            "log axis.")  # fmt: skip
        if math.isclose(got, reference_range_test_lr(step, start, end, n + 1), rel_tol=1e-6):
            return Feedback(False, f"off by one: with num_steps={n} the last step is number {n - 1}, and it must "
                            "use end_lr exactly. Divide by num_steps - 1.")  # fmt: skip
        if math.isclose(got, reference_range_test_lr(step + 1, start, end, n), rel_tol=1e-6):
            return Feedback(False, "steps count from 0 here: step 0 uses start_lr.")
        return Feedback(False, f"for step={step}, start_lr={start:g}, end_lr={end:g}, num_steps={n} the rate should "
                        f"be {want:.6g}, but your function gave {got:.6g}.")  # fmt: skip
    return Feedback(True, "the rates go from start_lr to end_lr, multiplied by the same factor "
                    "(end_lr / start_lr) ** (1 / (num_steps - 1)) every step.")  # fmt: skip


q3 = CodeExercise(
    name="07.q3 the range test's schedule",
    test=_test_schedule,
    hints=[
        "Step 0 uses start_lr and step num_steps - 1 uses end_lr; every step multiplies the rate by the same factor.",
        "The factor is (end_lr / start_lr) ** (1 / (num_steps - 1)); after `step` steps it has been applied `step` "
        "times.",
    ],
    solution_text=(
        "def range_test_lr(step, start_lr, end_lr, num_steps):\n"
        "    return start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))\n\n"
        "Check: step 0 gives start_lr, step num_steps - 1 gives end_lr, and each step multiplies by the same\n"
        "factor, so 100 steps from 1e-6 to 10 spend about 14 steps on every factor of 10."
    ),
)


q4 = NumberExercise(
    name="07.q4 the cliff with momentum",
    answer=0.475,
    rel_tol=1e-3,
    mistakes={
        0.25: "that is the cliff of plain gradient descent (2 / 8). Momentum moves it: across a valley the "
        "velocity damps the jumps, as if the rate were lr / (1 + beta).",
        2.5: "lr / (1 - beta) is the effective rate along a *steady* slope. At the cliff the gradient flips sign "
        "every step, and then the effective rate is lr / (1 + beta).",
        0.0125: "the cliff moves *up* with momentum, not down: flipping gradients cancel in the velocity.",
        0.95: "the factor is 2 (1 + beta) / curvature; the curvature of 4(w - 3)^2 is 8, not 4.",
    },
    hints=[
        "At the cliff the weight jumps from one side of the minimum to the other, so the gradient flips sign "
        "every step. What does the velocity do with flipping gradients?",
        "With momentum beta the largest stable rate is 2 (1 + beta) / curvature. The curvature is 8.",
    ],
    solution_text=(
        "With momentum beta, gradient descent on a bowl of curvature h converges for lr < 2 (1 + beta) / h.\n"
        "Here h = 8 (the second derivative of 4(w - 3)^2) and beta = 0.9: lr < 2 x 1.9 / 8 = 0.475, almost\n"
        "twice plain SGD's 0.25. The reason: near the cliff the gradient flips sign every step and the velocity\n"
        "v <- 0.9 v + grad cancels most of it, so the steps are as if the rate were lr / 1.9."
    ),
    explanation="the cliff is 2 (1 + beta) / curvature = 2 x 1.9 / 8 = 0.475: flipping gradients cancel in the "
    "velocity, so momentum tolerates a larger rate than plain SGD (0.25).",
)
