"""Check-yourself exercises: ``check()``, ``hint()`` and ``solution()`` for every question.

Each notebook's exercises live in a module of their own (``ch01``, ``ch02``, ...) so that their
checkers are unit-tested like any other code. In a notebook::

    from course_utils.exercises import ch01
    answer = ...            # replace ... with your answer
    ch01.q1.check(answer)   # -> "not attempted yet", a targeted hint, or "Correct"
    ch01.q1.hint()          # a nudge; call again for a bigger one
    ch01.q1.solution()      # the worked answer, only when you ask

Three kinds: :class:`NumberExercise` (a number, with hints for typical wrong numbers),
:class:`ChoiceExercise` (a prediction among options) and :class:`CodeExercise` (a function you
write, run against the reference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Exercise", "NumberExercise", "ChoiceExercise", "CodeExercise", "Feedback", "NOT_ATTEMPTED", "VERDICT_CHIPS"]

NOT_ATTEMPTED = "not attempted yet"

# The verdict of an answer shown in html (the quiz): white text on a chip of its own colour, so that it
# reads at the same contrast on JupyterLab's light and dark themes (6.2:1 and 6.2:1, tests/core/test_a11y.py);
# the explanation after it keeps the theme's own text colour. The mark and the word say it without colour.
VERDICT_CHIPS = {True: ("\u2713 Correct!", "#00704A"), False: ("\u2717 Not quite.", "#A84007")}
_CHIP = "color:#ffffff;background-color:{};padding:0 0.35em;border-radius:3px;font-weight:bold"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct`` and the sentence a learner reads."""

    correct: bool | None  # None: no answer given yet
    message: str

    def __str__(self) -> str:
        mark = {True: "Correct!", False: "Not quite.", None: "Not attempted yet:"}[self.correct]
        message = self.message[:1].upper() + self.message[1:]
        return f"{mark} {message}".rstrip()

    def to_html(self) -> str:
        """The verdict as html: a coloured chip (with a mark: not colour alone), then the message."""
        message = self.message[:1].upper() + self.message[1:]
        if self.correct is None:
            return f"<b>Not attempted yet:</b> {message}".rstrip()
        mark, background = VERDICT_CHIPS[bool(self.correct)]
        return f'<span style="{_CHIP.format(background)}">{mark}</span> {message}'.rstrip()


@dataclass
class Exercise:
    """The common part: a name, hints given one at a time, and a solution shown on request."""

    name: str
    hints: Sequence[str]
    solution_text: str
    attempts: int = field(default=0, init=False)
    solved: bool = field(default=False, init=False)
    _hints_given: int = field(default=0, init=False, repr=False)

    def evaluate(self, answer: Any) -> Feedback:  # pragma: no cover - overridden
        raise NotImplementedError

    def check(self, answer: Any = ...) -> None:
        """Check an answer and print the verdict. ``...`` or ``None`` means "not attempted yet"."""
        print(self.feedback(answer))

    def feedback(self, answer: Any = ...) -> Feedback:
        """The verdict on ``answer`` without printing it (what :meth:`check` prints)."""
        if answer is ... or answer is None:
            feedback = Feedback(None, f"replace the ... with your answer, then run this cell again ({self.name}).")
        else:
            self.attempts += 1
            try:
                feedback = self.evaluate(answer)
            except NotImplementedError:  # the template function, still untouched
                self.attempts -= 1
                feedback = Feedback(None, f"fill in the function's body, then run this cell again ({self.name}).")
            except Exception as exc:  # a learner's broken answer is feedback, not a crash
                feedback = Feedback(False, f"running your answer raised {type(exc).__name__}: {exc}")
            self.solved = self.solved or bool(feedback.correct)
        return feedback

    def hint(self) -> None:
        """Print the next hint (each call gives a more specific one)."""
        if not self.hints:
            print("No hint for this one: try the solution.")
            return
        i = min(self._hints_given, len(self.hints) - 1)
        self._hints_given += 1
        print(f"Hint {i + 1}/{len(self.hints)}: {self.hints[i]}")

    def solution(self) -> None:
        """Print the worked solution."""
        print(f"Solution ({self.name}):\n{self.solution_text}")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"<exercise {self.name}: .check(answer), .hint(), .solution()>")


@dataclass
class NumberExercise(Exercise):
    """A numeric answer, compared with the computed right one within a relative tolerance.

    ``mistakes`` maps typical wrong answers to a hint that explains that exact mistake.
    """

    answer: float | Callable[[], float] = 0.0
    rel_tol: float = 1e-6
    abs_tol: float = 1e-9
    mistakes: dict[float, str] = field(default_factory=dict)
    explanation: str = ""

    @property
    def expected(self) -> float:
        return float(self.answer() if callable(self.answer) else self.answer)

    def evaluate(self, answer: Any) -> Feedback:
        if isinstance(answer, bool) or not isinstance(answer, (int, float)) and not hasattr(answer, "__float__"):
            return Feedback(False, f"the answer should be a number, but got {answer!r}.")
        value = float(answer)
        if math.isclose(value, self.expected, rel_tol=self.rel_tol, abs_tol=self.abs_tol):
            return Feedback(True, self.explanation)
        for wrong, why in self.mistakes.items():
            if math.isclose(value, wrong, rel_tol=self.rel_tol, abs_tol=self.abs_tol):
                return Feedback(False, why)
        direction = "too small" if value < self.expected else "too large"
        return Feedback(False, f"{value:g} is {direction}. Call .hint() for a nudge.")


@dataclass
class ChoiceExercise(Exercise):
    """A prediction: pick one of ``options`` (by its letter or its text)."""

    options: dict[str, str] = field(default_factory=dict)  # letter -> text
    correct: str = "a"
    question: str = ""  # the question itself, for quizzes that show it (notebooks usually print it in markdown)
    explanations: dict[str, str] = field(default_factory=dict)  # letter -> why (right or wrong)

    def evaluate(self, answer: Any) -> Feedback:
        key = str(answer).strip().lower()
        if key not in self.options:
            by_text = [k for k, text in self.options.items() if text.lower() == key]
            if not by_text:
                return Feedback(False, f"answer with one of the letters {', '.join(self.options)}.")
            key = by_text[0]
        why = self.explanations.get(key, "")
        return Feedback(key == self.correct, why)

    def show_options(self) -> None:
        """Print the options with their letters."""
        for key, text in self.options.items():
            print(f"  {key}) {text}")


@dataclass
class CodeExercise(Exercise):
    """A small piece of code: the learner's function is run by ``test`` which returns Feedback."""

    test: Callable[[Callable[..., Any]], Feedback] = field(default=lambda f: Feedback(False, ""))

    def evaluate(self, answer: Any) -> Feedback:
        if not callable(answer):
            return Feedback(False, f"pass your function itself (its name, no brackets), not {answer!r}.")
        return self.test(answer)
