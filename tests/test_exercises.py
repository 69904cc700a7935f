"""The exercise classes, and every lesson's checkers run against the test data in ``exercise_cases.py``:
right answers pass, each typical mistake gets its targeted feedback, no answer is "not attempted yet"."""

import dataclasses
import importlib
from pathlib import Path

import pytest
from exercise_cases import CASES, Case, Says

import course_utils.lessons
from course_utils.exercises import ChoiceExercise, CodeExercise, Exercise, Feedback, NumberExercise

LESSON_DIR = Path(course_utils.lessons.__file__).parent
LESSONS = {p.name[1:3]: p.name for p in sorted(LESSON_DIR.iterdir()) if (p / "exercises.py").exists()}


def _module(number: str):
    """Lesson ``number``'s exercises module, the one notebooks call ``chNN``."""
    return importlib.import_module(f"course_utils.lessons.{LESSONS[number]}.exercises")


def _exercise(case: Case) -> Exercise:
    chapter, name = case.key.split(".")
    exercise = getattr(_module(chapter.removeprefix("ch")), name)
    assert isinstance(exercise, Exercise), f"{case.key} is a {type(exercise).__name__}, not an exercise"
    return exercise


def _words(words) -> tuple[str, ...]:
    return (words,) if isinstance(words, str) else tuple(words)


def _lesson_exercises() -> dict[str, Exercise]:
    """Every Exercise object in every lesson's exercises module (also those only inside a list, like QUESTIONS)."""
    found: dict[int, tuple[str, Exercise]] = {}
    for number in LESSONS:
        for name, value in vars(_module(number)).items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for i, item in enumerate(values):
                if isinstance(item, Exercise):
                    key = f"ch{number}.{name}" if item is value else f"ch{number}.{name}[{i}]"
                    if id(item) not in found or item is value:  # prefer the exercise's own name
                        found[id(item)] = (key, item)
    return dict(found.values())


# ----------------------------------------------------------------------------- the table covers every exercise


def test_every_exercise_has_test_data():
    covered = {id(_exercise(case)) for case in CASES}
    missing = sorted(key for key, ex in _lesson_exercises().items() if id(ex) not in covered)
    assert not missing, f"no entry in tests/exercise_cases.py for {missing}: add a Case (see the top of that file)"


def _borrowed(answer) -> bool:
    """Is ``answer`` one of the course's own functions (a checker's reference or private variant)?"""
    return callable(answer) and getattr(answer, "__module__", "").startswith("course_utils.")


def test_the_test_data_is_well_formed():
    keys = [case.key for case in CASES]
    assert len(keys) == len(set(keys)), "an exercise has two entries"
    for case in CASES:
        assert case.right and case.wrong and case.not_attempted, case.key
        assert all(all(_words(words)) and _words(words) for _, words in case.wrong), f"{case.key}: wrong, no words"
        if isinstance(_exercise(case), CodeExercise):
            rights = [a.answer if isinstance(a, Says) else a for a in case.right]
            assert not all(_borrowed(a) for a in rights), f"{case.key}: write a right function out in the test data"
            assert not any(_borrowed(a) for a, _ in case.wrong), f"{case.key}: write the wrong functions out too"
            assert any(callable(a) for a in case.not_attempted), f"{case.key}: add the untouched template function"


# ----------------------------------------------------------------------------- right, wrong and no answer


@pytest.mark.parametrize("case", CASES, ids=[case.key for case in CASES])
def test_checker(case, capsys):
    exercise = _exercise(case)
    failures = []
    for answer in case.not_attempted:
        fb = exercise.feedback(answer)
        if fb.correct is not None:
            failures.append(f"not attempted {answer!r}: got correct={fb.correct} ({fb.message})")
        exercise.check(answer)
        out = capsys.readouterr().out
        if "not attempted yet" not in out.lower():
            failures.append(f"not attempted {answer!r}: check() printed {out!r}")
    for right in case.right:
        answer, words = (right.answer, _words(right.words)) if isinstance(right, Says) else (right, ())
        fb = exercise.feedback(answer)
        if fb.correct is not True or not all(w in fb.message for w in words):
            failures.append(f"right {answer!r}: got correct={fb.correct}, {fb.message!r} (wanted words {words})")
    for answer, words in case.wrong:
        fb = exercise.feedback(answer)
        missing = [w for w in _words(words) if w not in fb.message]
        if fb.correct is not False or missing:
            failures.append(f"wrong {answer!r}: got correct={fb.correct}, {fb.message!r} (missing {missing})")
    assert not failures, f"{case.key}:\n" + "\n".join(failures)


@pytest.mark.parametrize("key", sorted(_lesson_exercises()))
def test_hints_escalate_and_the_solution_waits_to_be_asked(key, capsys):
    exercise = dataclasses.replace(_lesson_exercises()[key])  # a fresh copy: no hints given yet
    exercise.hint()
    out = capsys.readouterr().out
    first = f"Hint 1/{len(exercise.hints)}: {exercise.hints[0]}" if exercise.hints else "No hint"
    assert out.startswith(first)
    assert "Solution" not in out and exercise.solution_text not in out
    exercise.solution()
    assert capsys.readouterr().out == f"Solution ({exercise.name}):\n{exercise.solution_text}\n"


# ----------------------------------------------------------------------------- the exercise classes themselves


def test_hints_escalate_and_solution_is_printed_only_on_request(capsys):
    ex = NumberExercise(name="t", answer=4, hints=["first", "second"], solution_text="2 + 2")
    ex.hint()
    ex.hint()
    ex.hint()
    out = capsys.readouterr().out
    assert out.count("Hint 1/2: first") == 1 and out.count("Hint 2/2: second") == 2 and "2 + 2" not in out
    ex.solution()
    assert "2 + 2" in capsys.readouterr().out


def test_feedback_text_and_choice_by_text():
    assert str(Feedback(True, "well done")) == "Correct! Well done"
    assert str(Feedback(None, "replace the ...")) == "Not attempted yet: Replace the ..."
    ex = ChoiceExercise(name="c", hints=[], solution_text="", options={"a": "Yes", "b": "No"}, correct="b")
    assert ex.feedback("no").correct is True and ex.feedback("yes").correct is False


def test_a_number_without_a_targeted_hint_is_told_its_direction():
    ex = NumberExercise(name="n", answer=160, hints=[], solution_text="", mistakes={155: "the leftover batch"})
    assert ex.feedback(155).message == "the leftover batch"
    assert ex.feedback(7).message.startswith("7 is too small")
    assert ex.feedback(200).message.startswith("200 is too large")
    assert ex.feedback("many").correct is False and ex.feedback(True).correct is False


def test_a_crashing_answer_is_feedback_not_a_crash_and_the_template_is_not_attempted():
    def test(f):
        return Feedback(f(2) == 4, "")

    ex = CodeExercise(name="code", hints=[], solution_text="", test=test)

    def crashes(x):
        raise RuntimeError("oops")

    def template(x):
        raise NotImplementedError

    fb = ex.feedback(crashes)
    assert fb.correct is False and "raised RuntimeError: oops" in fb.message
    assert ex.attempts == 1
    assert ex.feedback(template).correct is None and ex.attempts == 1  # an untouched template is no attempt
    assert ex.feedback(lambda x: 2 * x).correct is True and ex.solved
    assert "pass your function" in ex.feedback(42).message
