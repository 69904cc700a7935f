"""Notebook 03's exercises: every checker with a right answer, typical wrong ones, and no answer."""

import pytest
import torch
from torch import nn

from course_utils.lessons.l03_gradients_and_updates import ch03


def test_q1_one_sgd_step(capsys):
    assert ch03.q1.feedback(...).correct is None
    ch03.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch03.q1.feedback(0.7).correct is True
    assert ch03.q1.feedback(0.5 - 0.1 * -2.0).correct is True
    assert "against it" in ch03.q1.feedback(0.3).message
    assert "learning rate" in ch03.q1.feedback(2.5).message
    assert "change of the weight" in ch03.q1.feedback(0.2).message
    assert ch03.q1.feedback(0.9).message.startswith("0.9 is too large")
    assert ch03.q1.feedback("0.7 I think").correct is False


def test_q2_two_backward_calls():
    assert ch03.q2.feedback(...).correct is None
    assert ch03.q2.feedback("b").correct is True
    fb = ch03.q2.feedback("a")
    assert fb.correct is False and "adds" in fb.message
    assert "twice the mean" in ch03.q2.feedback("c").message
    assert "same* loss" in ch03.q2.feedback("d").message


def test_q2_claim_holds():
    """What the run cell after Q2 shows: two backward() calls on two halves = 2 x one batch of all 32."""
    model, X, y = ch03._q3_setup()
    nn.functional.mse_loss(model(X[:16]), y[:16]).backward()
    nn.functional.mse_loss(model(X[16:32]), y[16:32]).backward()
    two = model[2].weight.grad.clone()
    model.zero_grad()
    nn.functional.mse_loss(model(X[:32]), y[:32]).backward()
    assert torch.allclose(two, 2 * model[2].weight.grad, rtol=1e-5, atol=1e-7)


def test_q3_accepts_the_reference_and_the_two_rounding_version():
    fb = ch03.q3.feedback(ch03.reference_manual_step)
    assert fb.correct is True and "bit for bit" in fb.message

    def minus_equals(model, x, y, lr):
        model.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p -= lr * p.grad
        return loss.item()

    fb = ch03.q3.feedback(minus_equals)
    assert fb.correct is True  # bit-exact or within rounding: both are right


def _step(*, zero=True, no_grad=True, skip_none=True, in_place=True, sign=-1.0, scale=1.0):
    def step(model, x, y, lr):
        if zero:
            for p in model.parameters():
                p.grad = None
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        context = torch.no_grad() if no_grad else torch.enable_grad()
        with context:
            for p in model.parameters():
                if skip_none and p.grad is None:
                    continue
                if in_place:
                    p.add_(p.grad, alpha=sign * scale * lr)
                else:
                    p = p - lr * p.grad  # the mistake being tested: rebinds p, changes nothing
        return loss.item()

    return step


def test_q3_diagnoses_typical_mistakes():
    assert "torch.no_grad()" in ch03.q3.feedback(_step(no_grad=False)).message
    assert "frozen first layer" in ch03.q3.feedback(_step(skip_none=False)).message
    assert "did not change" in ch03.q3.feedback(_step(in_place=False)).message
    assert "wrong way" in ch03.q3.feedback(_step(sign=+1.0)).message
    assert "step 2 did not" in ch03.q3.feedback(_step(zero=False)).message
    assert "10 times the right size" in ch03.q3.feedback(_step(scale=10.0)).message


def test_q3_untouched_template_broken_code_and_non_functions():
    def template(model, x, y, lr):
        raise NotImplementedError

    def crashes(model, x, y, lr):
        raise KeyError("oops")

    assert ch03.q3.feedback(template).correct is None
    assert ch03.q3.feedback(...).correct is None
    assert "KeyError" in ch03.q3.feedback(crashes).message
    assert "pass your function" in ch03.q3.feedback(0.1).message


def test_q4_adams_first_step():
    assert ch03.q4.feedback(...).correct is None
    assert ch03.q4.feedback(0.01).correct is True
    assert ch03.q4.feedback(0.0099999750).correct is True
    assert "SGD's step" in ch03.q4.feedback(0.00004).message
    assert "default" in ch03.q4.feedback(0.001).message
    assert "positive" in ch03.q4.feedback(-0.01).message


def test_q4_answer_is_what_adam_really_does():
    p = nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    optimizer = torch.optim.Adam([p], lr=0.01)
    p.grad = torch.tensor([0.004], dtype=torch.float64)
    optimizer.step()
    assert abs(1.0 - p.item()) == pytest.approx(ch03.q4.expected, rel=1e-9)


def test_solutions_and_hints_print_only_on_request(capsys):
    for q in (ch03.q1, ch03.q2, ch03.q3, ch03.q4):
        q.hint()
        out = capsys.readouterr().out
        assert out.startswith("Hint 1/") and "Solution" not in out
        q.solution()
        assert "Solution (03." in capsys.readouterr().out
