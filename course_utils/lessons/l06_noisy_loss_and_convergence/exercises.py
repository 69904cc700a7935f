"""Exercises for notebook 06, noisy loss and convergence."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ...callbacks import EVENTS, Callback, LoopState
from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...history import EMA, History, ema
from .experiments import detect_plateau, noisy_loss_run

__all__ = ["q1", "q2", "q3", "q4", "q5", "reference_stop_epoch", "ReferenceStopWhenSmooth"]

q1 = NumberExercise(
    name="06.q1 spread of the batch loss",
    answer=0.055,
    rel_tol=0.12,
    mistakes={
        0.0275: "that divides by 4, the factor the batch grew by. The *variance* shrinks by 4; the standard "
        "deviation shrinks by the square root of 4.",
        0.11: "the spread does shrink with the batch size: a mean of more examples lands closer to the full-data loss.",
        0.22: "bigger batches give *less* spread, not more: averaging more examples cancels more of their differences.",
        0.44: "bigger batches give *less* spread, not more: averaging more examples cancels more of their differences.",
    },
    hints=[
        "A batch loss is the mean of B example losses. How does the spread of a mean shrink with the number of "
        "values averaged?",
        "The standard deviation of a mean of B values is s / sqrt(B). Going from 32 to 128 multiplies B by 4.",
    ],
    solution_text=(
        "The batch loss is a mean of B example losses, so its standard deviation is about s / sqrt(B).\n"
        "128 = 4 x 32, so the spread shrinks by sqrt(4) = 2: 0.11 / 2 = 0.055.\n"
        "(Drawing without replacement from 800 examples shrinks it a little more, by sqrt((800-128)/799) = 0.92: "
        "the measured value above is close to 0.05.)"
    ),
    explanation="4 times the batch, half the spread: the standard deviation of a mean falls like 1 / sqrt(B).",
)


def reference_stop_epoch(val_losses: Sequence[float], patience: int, min_delta: float = 0.0) -> int | None:
    """The reference answer for q2: the epoch (counted from 1) after which training stops, or None."""
    return detect_plateau(val_losses, patience, min_delta).stop_epoch


_CASES: list[tuple[list[float], int, float]] = [
    ([0.9, 0.7, 0.6, 0.61, 0.62, 0.63, 0.5], 3, 0.0),  # stops after epoch 6, before the late improvement
    ([0.9, 0.8, 0.7, 0.6, 0.5], 2, 0.0),  # always improving: never stops
    ([0.9, 0.8, 0.8, 0.8, 0.8], 2, 0.0),  # a tie is not an improvement
    ([0.9, 0.8, 0.798, 0.796, 0.794, 0.792], 2, 0.005),  # tiny gains below min_delta do not count
    ([0.9, 0.95, 0.85, 0.9, 0.84, 0.9, 0.91, 0.92], 3, 0.0),  # bad epochs must be consecutive
    ([0.5, 0.6], 1, 0.0),  # patience 1: the first bad epoch stops
]


def _variant_ties(losses: Sequence[float], patience: int, min_delta: float) -> int | None:
    best, bad = None, 0
    for epoch, loss in enumerate(losses, start=1):
        if best is None or loss <= best - min_delta:
            best, bad = loss, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def _variant_total(losses: Sequence[float], patience: int, min_delta: float) -> int | None:
    best, bad = None, 0
    for epoch, loss in enumerate(losses, start=1):
        if best is None or loss < best - min_delta:
            best = loss
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def _test_stop_epoch(fn: Callable) -> Feedback:
    for losses, patience, min_delta in _CASES:
        expected = reference_stop_epoch(losses, patience, min_delta)
        got = fn(list(losses), patience, min_delta)
        if got == expected:
            continue
        case = f"for val_losses={losses}, patience={patience}, min_delta={min_delta} you returned {got!r}"
        if expected is not None and got == expected - 1:
            return Feedback(False, f"{case}, one too early: count epochs from 1 (the first epoch is epoch 1), "
                                   "e.g. with enumerate(val_losses, start=1).")  # fmt: skip
        if expected is None:
            return Feedback(False, f"{case}, but the loss never stalls for {patience} epochs in a row there: "
                                   "return None when the curve runs out first.")  # fmt: skip
        if got == _variant_ties(losses, patience, min_delta):
            return Feedback(False, f"{case}: an epoch that only *equals* the best is not an improvement. "
                                   "Use loss < best - min_delta, not <=.")  # fmt: skip
        if got == _variant_total(losses, patience, min_delta):
            return Feedback(False, f"{case}: reset the count of bad epochs to 0 whenever a new best arrives; "
                                   "patience counts epochs *in a row* without improvement.")  # fmt: skip
        if min_delta > 0 and got == reference_stop_epoch(losses, patience, 0.0):
            return Feedback(False, f"{case}: a new best only counts if it beats the old one by more than "
                                   "min_delta.")  # fmt: skip
        return Feedback(False, f"{case}; the rule says {expected!r}. Call .hint() for a nudge.")
    return Feedback(True, f"all {len(_CASES)} curves stop where the EarlyStopping callback would stop.")


q2 = CodeExercise(
    name="06.q2 write the stopping rule",
    test=_test_stop_epoch,
    hints=[
        "Keep two things while walking through the epochs: the best loss so far, and how many epochs in a row "
        "have failed to beat it by more than min_delta.",
        "for epoch, loss in enumerate(val_losses, start=1): if best is None or loss < best - min_delta: "
        "best, bad = loss, 0; else: bad += 1 and return epoch once bad == patience. After the loop: return None.",
    ],
    solution_text=(
        "def stop_epoch(val_losses, patience, min_delta=0.0):\n"
        "    best, bad = None, 0\n"
        "    for epoch, loss in enumerate(val_losses, start=1):\n"
        "        if best is None or loss < best - min_delta:   # a real improvement\n"
        "            best, bad = loss, 0\n"
        "        else:\n"
        "            bad += 1                                  # one more epoch without progress\n"
        "            if bad >= patience:\n"
        "                return epoch\n"
        "    return None                                       # patience never ran out"
    ),
)

q3 = ChoiceExercise(
    name="06.q3 the epoch mean sits above",
    options={
        "a": "The per-epoch mean is computed with dropout switched on.",
        "b": "It averages the batch losses of the whole epoch, and most of them were measured with older, worse "
        "weights than the ones the epoch ends with.",
        "c": "The last batch of each epoch is smaller, which makes the mean larger.",
        "d": "The full-set loss is measured on the validation data.",
    },
    correct="b",
    explanations={
        "a": "this model has no dropout at all; the gap is there anyway.",
        "b": "the mean mixes the model of the epoch's start with the model of its end. While the loss is still "
        "falling, that average lags behind the model you actually have; once the curve is flat the two agree.",
        "c": "800 / 32 = 25 full batches: here every batch has 32 examples, and the gap is still there.",
        "d": "the probe measures all 800 *training* examples, the very data the epoch mean is taken over.",
    },
    hints=["When during the epoch was each of the 25 batch losses measured, and with which weights?"],
    solution_text=(
        "b) An epoch's mean loss averages 25 batch losses measured one after the other while the weights kept "
        "improving. It describes the model of roughly mid-epoch. The full-set loss at the epoch's end describes "
        "the weights you have now, so during the fast early descent the mean sits clearly above it."
    ),
)

q4 = ChoiceExercise(
    name="06.q4 converged or not",
    options={
        "a": "Keep training until the loss reaches 0: only then has it converged.",
        "b": "Stop and keep the best checkpoint: the curve has flattened, more epochs buy almost nothing, and "
        "zero is out of reach with flipped labels.",
        "c": "Raise the learning rate a hundredfold to push the loss down faster.",
        "d": "The model is broken: a working network drives the loss to 0.",
    },
    correct="b",
    explanations={
        "a": "on this data the loss cannot reach 0: 10% of the labels are random, and no model can predict "
        "a coin flip. Training on would only waste time (or start memorising the flipped labels).",
        "b": "that is convergence in practice: the validation loss has stopped improving by more than your "
        "threshold, and the remaining gap to the floor is small.",
        "c": "a much larger learning rate makes the steps overshoot; it does not lower the floor set by the data.",
        "d": "a loss above 0 is expected whenever the data contain noise; the floor here is 0.325.",
    },
    hints=["What is the lowest loss any model can reach on data with 10% of the labels flipped?"],
    solution_text=(
        "b) Converged does not mean zero loss. With 10% random labels the best any model can expect on new data is "
        "a loss of about 0.325; the "
        "validation loss has flattened a little above that and the last epochs bought about 0.001 each. "
        "Stop, and keep the weights of the best epoch."
    ),
)


# ----------------------------------------------------------------------------- q5: write your own callback


class ReferenceStopWhenSmooth(Callback):
    """The reference answer for q5: stop after the first step at which the moving average (beta 0.9) of
    the step losses is below ``target``."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_train_begin(self, state: LoopState) -> None:
        self.average = EMA(0.9)

    def on_step_end(self, state: LoopState) -> None:
        smooth = self.average.update(state.history.step_loss[-1])
        if smooth < self.target:
            state.stop(f"moving average {smooth:.4f} below {self.target} at step {state.history.steps}")


_Q5_RUN = dict(batch_size=32, lr=0.3, epochs=10, eval_every=None)  # 250 steps of notebook 06's run
_Q5_TARGETS = (0.44, 0.42, 0.2)  # reached at steps 66 and 127; 0.2 is out of reach in 250 steps


@functools.lru_cache(maxsize=1)
def _q5_losses() -> tuple[float, ...]:
    """The step losses of the run without any stop: a run stopped at step N took the same N steps."""
    return tuple(noisy_loss_run(**_Q5_RUN).history.step_loss)


def _first_below(values: Sequence[float], target: float) -> int | None:
    return next((i + 1 for i, v in enumerate(values) if v < target), None)


def _running(values: Sequence[float], beta: float, start: float | None) -> list[float]:
    """A moving average without the bias correction, started at ``start`` (``None``: at the first value)."""
    out, avg = [], start
    for v in values:
        avg = v if avg is None else beta * avg + (1 - beta) * v
        out.append(avg)
    return out


def _q5_stops(target: float) -> dict[str, int | None]:
    """Where the right answer and the typical mistakes stop, for one target."""
    losses = _q5_losses()
    return {
        "right": _first_below(ema(losses, 0.9), target),
        "also right": _first_below(_running(losses, 0.9, None), target),  # an average started at the first loss
        "raw": _first_below(losses, target),
        "zero start": _first_below(_running(losses, 0.9, 0.0), target),
    }


def _train_with(callback: Any) -> History:
    return noisy_loss_run(**_Q5_RUN, callbacks=[callback]).history


def _test_callback(cls: Any) -> Feedback:
    if not isinstance(cls, type):
        if any(callable(getattr(cls, e, None)) for e in EVENTS):
            return Feedback(False, f"pass the class itself ({type(cls).__name__}, no brackets), not an object of it: "
                                   "the checker makes one for each target.")  # fmt: skip
        return Feedback(False, f"pass your callback class (its name, no brackets), not {cls!r}.")
    total = len(_q5_losses())
    for k, target in enumerate(_Q5_TARGETS):
        try:
            callback = cls(target)
        except TypeError as exc:
            return Feedback(False, f"{cls.__name__}({target}) failed ({exc}): the class must take the target, "
                                   "def __init__(self, target): self.target = target.")  # fmt: skip
        try:
            h = _train_with(callback)
        except AttributeError as exc:
            return Feedback(False, f"your callback raised AttributeError: {exc}. The step's loss is "
                                   "state.history.step_loss[-1], the number of steps so far state.history.steps.")
        except TypeError as exc:
            if "callbacks[" in str(exc):
                return Feedback(False, f"train() refused the callback: {exc}")
            raise
        stops = _q5_stops(target)
        right = {stops["right"], stops["also right"]}
        stopped = h.steps if h.stop_reason != "finished" or h.steps < total else None
        if stops["right"] is None:  # out of reach: the run must go on to the end
            if stopped is not None:
                return Feedback(False, f"with target={target} the moving average never gets that low, yet your "
                                       f"callback stopped the run at step {h.steps}. Stop only when the average is "
                                       "below self.target.")  # fmt: skip
            continue
        where = f"with target={target} your callback stopped the run at step {stopped}"
        if stopped in right:
            if h.stop_reason in ("finished", "", "running"):
                return Feedback(False, f"{where}, the right step, but give state.stop() a reason that says why, e.g. "
                                       "f\"moving average below {self.target} at step {state.history.steps}\".")
            continue
        if k > 0:
            return Feedback(False, f"the first run (target={_Q5_TARGETS[0]}) stopped at the right step, but {where}, "
                                   f"not at step {stops['right']}. Does your callback compare with self.target (not a "
                                   "fixed number), and start a fresh average for every run (in __init__ or "
                                   "on_train_begin, not in the class body)?")  # fmt: skip
        if stopped is None:
            return Feedback(False, f"the run never stopped (all {total} steps ran), but the moving average fell below "
                                   f"{target} at step {stops['right']}. Call state.stop(reason), with a reason that is "
                                   "not empty, in on_step_end when the average is below self.target.")  # fmt: skip
        if stopped == stops["zero start"]:
            return Feedback(False, f"{where}: your average started at 0, which is below any target. Start it at the "
                                   "first loss, or use EMA(0.9), which corrects for the start.")  # fmt: skip
        if stopped == stops["raw"]:  # (an average with beta 0.1 instead of 0.9 stops here too)
            smooth = ema(_q5_losses(), 0.9)[stopped - 1]
            return Feedback(False, f"{where}, where one batch's loss first dipped below {target}; the moving "
                                   f"average was still {smooth:.3f}. Compare the moving average (0.9 parts the old "
                                   "average plus 0.1 parts the new loss), not the loss of the step.")  # fmt: skip
        if stopped % 25 == 0 and stopped > stops["right"]:
            return Feedback(False, f"{where}, the end of epoch {stopped // 25}: a stop asked for in on_epoch_end "
                                   "(or a check of the epoch's mean loss) waits for the epoch to end. Check after "
                                   "every step, in on_step_end, with the step's loss.")  # fmt: skip
        if stopped == stops["right"] + 1:
            return Feedback(False, f"{where}, one step late: the average fell below {target} at step "
                                   f"{stops['right']}. Add this step's loss to the average first, then compare.")
        return Feedback(False, f"{where}; the moving average (beta 0.9) of the step losses first fell below {target} "
                               f"at step {stops['right']}. Call .hint() for a nudge.")  # fmt: skip
    first, second = (_q5_stops(t)["right"] for t in _Q5_TARGETS[:2])
    return Feedback(True, f"your callback stopped at step {first} (target {_Q5_TARGETS[0]}) and at step {second} "
                          f"(target {_Q5_TARGETS[1]}), where the moving average got there, although single batches "
                          f"had dipped below {_Q5_TARGETS[0]} already at step {_q5_stops(_Q5_TARGETS[0])['raw']}; and "
                          f"it let the run finish when {_Q5_TARGETS[2]} was out of reach.")  # fmt: skip


class CallbackExercise(CodeExercise):
    """A :class:`CodeExercise` whose answer is a callback *class*: the test says what to do when it gets
    something else (an object of the class, a number)."""

    def evaluate(self, answer: Any) -> Feedback:
        return self.test(answer)


q5 = CallbackExercise(
    name="06.q5 write your own callback",
    test=_test_callback,
    hints=[
        "train() calls on_step_end(state) after every step. Keep a moving average of state.history.step_loss[-1] "
        "(an EMA(0.9) made in on_train_begin does the arithmetic: self.average.update(loss) returns the new average).",
        "def on_train_begin(self, state): self.average = EMA(0.9)  -- then in on_step_end: smooth = "
        "self.average.update(state.history.step_loss[-1]); if smooth < self.target: state.stop(f'...').",
    ],
    solution_text=(
        "from course_utils import Callback\n"
        "from course_utils.history import EMA\n\n"
        "class StopWhenSmooth(Callback):\n"
        "    def __init__(self, target):\n"
        "        self.target = target\n\n"
        "    def on_train_begin(self, state):\n"
        "        self.average = EMA(0.9)          # a fresh moving average for every run\n\n"
        "    def on_step_end(self, state):\n"
        "        smooth = self.average.update(state.history.step_loss[-1])   # this step's loss goes in first\n"
        "        if smooth < self.target:\n"
        "            state.stop(f\"moving average below {self.target} at step {state.history.steps}\")"
    ),
)
