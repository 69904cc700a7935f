"""Notebook 02's exercises: every checker with a right answer, a wrong one (and its hint) and no answer."""

import math

import torch
from torch import nn

from course_utils.lessons.l02_forward_and_loss import ch02


def test_q1_cross_entropy_by_hand(capsys):
    expected = nn.CrossEntropyLoss()(torch.tensor([list(ch02.Q1_LOGITS)]), torch.tensor([ch02.Q1_TARGET])).item()
    assert ch02.q1.feedback(expected).correct is True
    assert ch02.q1.feedback(0.417).correct is True  # three decimals are enough
    assert "-log(p)" in ch02.q1.feedback(0.659).message
    assert "wrong sign" in ch02.q1.feedback(-0.417).message
    assert "numbered from 0" in ch02.q1.feedback(1.417).message
    assert "natural log" in ch02.q1.feedback(0.1811).message
    assert "softmax exponentiates" in ch02.q1.feedback(-math.log(2 / 3.1)).message
    assert ch02.q1.feedback(0.9).message.startswith("0.9 is too large")
    assert ch02.q1.feedback(...).correct is None
    ch02.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()


def test_q2_mse_of_a_line():
    pred = torch.tensor([ch02.Q2_W * x + ch02.Q2_B for x in ch02.Q2_X])
    expected = nn.MSELoss()(pred, torch.tensor(ch02.Q2_Y)).item()
    assert ch02.q2.feedback(expected).correct is True
    assert ch02.q2.feedback(1.667).correct is True
    assert "sum of the squared errors" in ch02.q2.feedback(5).message
    assert "absolute" in ch02.q2.feedback(1.0).message
    assert "RMSE" in ch02.q2.feedback(math.sqrt(5 / 3)).message
    assert "need the bias" in ch02.q2.feedback(10 / 3).message
    assert ch02.q2.feedback(None).correct is None


def test_q3_code_mse_right_and_each_typical_mistake():
    assert ch02.q3.feedback(ch02.reference_mse).correct is True
    assert ch02.q3.feedback(lambda p, y: nn.functional.mse_loss(p, y).item()).correct is True  # a float is fine
    mistakes = {
        "sum of the squared errors": lambda p, y: ((p - y) ** 2).sum(),
        "mean absolute error": lambda p, y: (p - y).abs().mean(),
        "cancel": lambda p, y: (p - y).mean(),
        "squares the mean difference": lambda p, y: (p - y).mean() ** 2,
        "RMSE": lambda p, y: ((p - y) ** 2).mean().sqrt(),
        "half the MSE": lambda p, y: ((p - y) ** 2).mean() / 2,
        "per-example losses": lambda p, y: (p - y) ** 2,
        "changed its inputs": lambda p, y: (p.sub_(y) ** 2).mean(),
        "but the MSE is": lambda p, y: ((p - y) ** 4).mean(),
        "should return one number": lambda p, y: "small",
    }
    for words, wrong in mistakes.items():
        fb = ch02.q3.feedback(wrong)
        assert fb.correct is False and words in fb.message, (words, fb.message)

    def template(pred, y):
        raise NotImplementedError

    assert ch02.q3.feedback(template).correct is None
    assert ch02.q3.feedback(...).correct is None
    assert "pass your function" in ch02.q3.feedback(3.0).message


def test_q4_probabilities_into_cross_entropy():
    assert ch02.q4.feedback("c").correct is True
    assert ch02.q4.feedback(" C").correct is True
    fb = ch02.q4.feedback("a")
    assert fb.correct is False and "no error" in fb.message
    assert ch02.q4.feedback("b").correct is False
    assert ch02.q4.feedback(...).correct is None


def test_solutions_and_hints_print_only_on_request(capsys):
    ch02.q1.hint()
    out = capsys.readouterr().out
    assert "Hint 1/2" in out and "0.4170" not in out
    ch02.q1.solution()
    assert "0.4170" in capsys.readouterr().out
