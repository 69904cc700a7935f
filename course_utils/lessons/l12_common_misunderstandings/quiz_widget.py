"""A multiple-choice quiz widget built on the course's :class:`~course_utils.exercises.ChoiceExercise`.

The widget only wires buttons to the exercise's own checker (which is unit-tested): each question
shows its options as radio buttons and a *Check* button; the verdict and the explanation for the
chosen option appear below it. A running score sits at the top. Where widgets cannot render (GitHub,
the course's website), the questions and their options show as plain html, without the answers.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as W

from ...exercises import ChoiceExercise
from ...widgets import StaticView

__all__ = ["quiz"]


def quiz(questions: Sequence[ChoiceExercise], title: str = "Quiz") -> W.VBox:
    """One box per question: the question, its options, a Check button and the feedback.

    Answers can be changed and checked again as often as a learner likes; the score counts the
    questions whose *latest* checked answer was right.
    """
    questions = list(questions)
    if not questions or not all(isinstance(q, ChoiceExercise) for q in questions):
        raise TypeError("questions must be a non-empty list of ChoiceExercise objects.")
    latest: dict[int, bool] = {}
    score = W.HTML()

    def show_score() -> None:
        right = sum(latest.values())
        score.value = f"<b>{title}</b>: {right} of {len(questions)} right so far ({len(latest)} answered)."

    boxes = []
    for i, q in enumerate(questions):
        choices = W.RadioButtons(options=[(f"{k}) {text}", k) for k, text in q.options.items()], value=None,
                                 layout=W.Layout(width="auto"))  # fmt: skip
        # the default style: the theme's own button colours (an "info" button's white on cyan is 3.5:1)
        button = W.Button(description="Check", layout=W.Layout(width="90px"))
        feedback = W.HTML()

        def check(_: object, i: int = i, q: ChoiceExercise = q, choices: W.RadioButtons = choices,
                  feedback: W.HTML = feedback) -> None:  # fmt: skip
            verdict = q.feedback(choices.value if choices.value is not None else ...)
            if verdict.correct is not None:
                latest[i] = bool(verdict.correct)
            feedback.value = "<b>Pick an option first.</b>" if verdict.correct is None else verdict.to_html()
            show_score()

        button.on_click(check)
        header = W.HTML(f"<b>Q{i + 1}.</b> {q.question or q.name}")
        box = W.VBox([header, choices, button, feedback], layout=W.Layout(margin="0 0 12px 0"))
        box.add_class("tll-quiz-question")
        boxes.append(box)
    show_score()
    widget = StaticView([score, *boxes], fallback=lambda: _static_html(questions, title))
    widget.add_class("tll-quiz")
    return widget


def _static_html(questions: list[ChoiceExercise], title: str) -> str:
    """The questions and their options (not the answers), for renderers that cannot show widgets."""
    items = []
    for q in questions:
        options = "".join(f"<li>{k}) {html.escape(text)}</li>" for k, text in q.options.items())
        items.append(f"<li>{q.question or q.name}<ul>{options}</ul></li>")  # the question is html, as in the widget
    return (f'<div class="tll-static-fallback"><p><b>{title}</b>: {len(questions)} questions. Open the notebook '
            f'to answer them and check your answers.</p><ol>{"".join(items)}</ol></div>')  # fmt: skip
