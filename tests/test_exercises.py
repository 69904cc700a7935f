"""Every checker, with a right answer, a wrong one, and no answer."""

import torch

from course_utils.exercises import ChoiceExercise, Feedback, NumberExercise
from course_utils.lessons.l01_training_loop import ch01


def test_number_exercise_right_wrong_targeted_and_untouched(capsys):
    assert ch01.q1.feedback(...).correct is None
    ch01.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch01.q1.feedback(160).correct is True
    fb = ch01.q1.feedback(155)
    assert fb.correct is False and "32nd, smaller batch" in fb.message
    assert ch01.q1.feedback(7).message.startswith("7 is too small")
    assert ch01.q1.feedback("many").correct is False


def test_code_exercise_accepts_the_reference_and_diagnoses_mistakes():
    assert ch01.q2.feedback(ch01.reference_step).correct is True

    def no_zero_grad(model, x, y, loss_fn, opt):
        loss_fn(model(x), y).backward()
        opt.step()

    def wiped(model, x, y, loss_fn, opt):
        loss_fn(model(x), y).backward()
        opt.zero_grad()
        opt.step()

    def wrong_target(model, x, y, loss_fn, opt):
        opt.zero_grad()
        loss_fn(model(x), torch.zeros_like(y)).backward()
        opt.step()

    def crashes(model, x, y, loss_fn, opt):
        raise RuntimeError("oops")

    assert "zero_grad() in every step" in ch01.q2.feedback(no_zero_grad).message
    assert "did not change" in ch01.q2.feedback(wiped).message
    assert "compares model(x) with y" in ch01.q2.feedback(wrong_target).message
    assert "RuntimeError: oops" in ch01.q2.feedback(crashes).message
    assert "pass your function" in ch01.q2.feedback(42).message

    def template(model, x, y, loss_fn, opt):
        raise NotImplementedError

    assert ch01.q2.feedback(template).correct is None


def test_choice_exercise():
    assert ch01.q3.feedback("b").correct is True
    assert ch01.q3.feedback("B ").correct is True
    assert ch01.q3.feedback("c").correct is False
    assert "letters" in ch01.q3.feedback("z").message


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
    ex = ChoiceExercise(name="c", hints=[], solution_text="", options={"a": "Yes", "b": "No"}, correct="b")
    assert ex.feedback("no").correct is True and ex.feedback("yes").correct is False


def test_practice_exercise_of_notebook_00():
    from course_utils.lessons.l00_welcome import ch00

    assert ch00.practice.feedback(10).correct is True
    assert "batch size" in ch00.practice.feedback(100).message
    assert ch00.practice.feedback(...).correct is None
