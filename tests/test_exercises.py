"""Every checker, with a right answer, a wrong one, and no answer."""

import torch

from course_utils.exercises import ChoiceExercise, Feedback, NumberExercise, ch01


def test_number_exercise_right_wrong_targeted_and_untouched(capsys):
    assert ch01.q1.check(...).correct is None
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch01.q1.check(160).correct is True
    fb = ch01.q1.check(155)
    assert fb.correct is False and "32nd, smaller batch" in fb.message
    assert ch01.q1.check(7).message.startswith("7 is too small")
    assert ch01.q1.check("many").correct is False


def test_code_exercise_accepts_the_reference_and_diagnoses_mistakes():
    assert ch01.q2.check(ch01.reference_step).correct is True

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

    assert "zero_grad() in every step" in ch01.q2.check(no_zero_grad).message
    assert "did not change" in ch01.q2.check(wiped).message
    assert "compares model(x) with y" in ch01.q2.check(wrong_target).message
    assert "RuntimeError: oops" in ch01.q2.check(crashes).message
    assert "pass your function" in ch01.q2.check(42).message


def test_choice_exercise():
    assert ch01.q3.check("b").correct is True
    assert ch01.q3.check("B ").correct is True
    assert ch01.q3.check("c").correct is False
    assert "letters" in ch01.q3.check("z").message


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
    assert ex.check("no").correct is True and ex.check("yes").correct is False
