"""Notebook 07's exercises: right answers pass, typical wrong ones get their hint, ... is 'not attempted'."""

import pytest
import torch

from course_utils.data import make_moons
from course_utils.lessons.l07_learning_rate import ch07
from course_utils.lessons.l07_learning_rate.experiments import descent_path
from course_utils.lr_finder import lr_range_test
from course_utils.models import make_mlp


def test_q1_critical_rate():
    assert ch07.q1.feedback(0.25).correct
    assert ch07.q1.feedback(1 / 4).correct
    f = ch07.q1.feedback(0.125)
    assert f.correct is False and "fastest" in f.message
    assert "derivative" in ch07.q1.feedback(0.5).message
    assert "too large" in ch07.q1.feedback(0.3).message
    assert ch07.q1.feedback(...).correct is None and "not attempted" in str(ch07.q1.feedback(...)).lower()


def test_q1_answer_is_what_gradient_descent_does():
    def run(lr, steps=200):
        w = 0.0
        for _ in range(steps):
            w -= lr * 8 * (w - 3)
        return abs(w - 3)

    assert run(0.24) < 1e-3 and run(0.26) > 3


def test_q2_prediction_and_the_experiment_behind_it():
    assert ch07.q2.feedback("c").correct
    assert ch07.q2.feedback("C").correct
    f = ch07.q2.feedback("b")
    assert f.correct is False and "critical rate goes *up*" in f.message
    assert ch07.q2.feedback(...).correct is None
    assert "letters" in ch07.q2.feedback("z").message
    centred, zigzag = descent_path(0.42, offset=0.0), descent_path(0.42)
    assert centred.kind == "direct descent" and zigzag.kind == "zig-zag"
    assert centred.distance_left < zigzag.distance_left


def test_q3_schedule():
    def right(step, start_lr, end_lr, num_steps):
        return start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))

    def linear(step, start_lr, end_lr, num_steps):
        return start_lr + (end_lr - start_lr) * step / (num_steps - 1)

    def off_by_one(step, start_lr, end_lr, num_steps):
        return start_lr * (end_lr / start_lr) ** (step / num_steps)

    def untouched(step, start_lr, end_lr, num_steps):
        raise NotImplementedError

    assert ch07.q3.feedback(right).correct
    assert "evenly" in ch07.q3.feedback(linear).message
    assert "off by one" in ch07.q3.feedback(off_by_one).message
    assert ch07.q3.feedback(untouched).correct is None
    assert ch07.q3.feedback(...).correct is None
    assert ch07.q3.feedback(0.1).correct is False


def test_q3_reference_is_the_schedule_lr_range_test_uses():
    data = make_moons(100, seed=0)
    model = make_mlp(2, (8,), 2, seed=0)
    r = lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), start_lr=1e-5,
                      end_lr=1e-3, num_steps=20)  # fmt: skip
    assert r.steps == 20
    assert r.lrs == pytest.approx([ch07.reference_range_test_lr(i, 1e-5, 1e-3, 20) for i in range(20)], rel=1e-12)


def test_hints_and_solutions_print(capsys):
    for q in (ch07.q1, ch07.q2, ch07.q3):
        q.hint()
        q.solution()
    out = capsys.readouterr().out
    assert "Hint 1/" in out and "Solution (07.q3" in out
