"""Notebook 05's exercises: a right answer, a wrong one with its targeted hint, and no answer."""

import math

import torch

from course_utils.lessons.l05_batch_size import ch05


def test_q1_linear_scaling(capsys):
    ch05.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch05.q1.feedback(0.8).correct is True
    assert ch05.q1.feedback(0.1).correct is False and "keeps the rate fixed" in ch05.q1.feedback(0.1).message
    assert "wrong way" in ch05.q1.feedback(0.0125).message
    assert "not batch 1" in ch05.q1.feedback(25.6).message
    assert "square-root" in ch05.q1.feedback(0.1 * math.sqrt(8)).message
    assert ch05.q1.feedback(0.5).message.startswith("0.5 is too small")


def test_q2_halving_the_noise():
    assert ch05.q2.feedback(...).correct is None
    assert ch05.q2.feedback(4).correct is True
    fb = ch05.q2.feedback(2)
    assert fb.correct is False and "sqrt(2)" in fb.message
    assert "bigger" in ch05.q2.feedback(0.25).message
    assert ch05.q2.feedback(16).correct is False


def test_q3_prediction():
    assert ch05.q3.feedback(...).correct is None
    assert ch05.q3.feedback("b").correct is True
    fb = ch05.q3.feedback("a")
    assert fb.correct is False and "half as many" in fb.message
    assert ch05.q3.feedback("c").correct is False
    assert "letters" in ch05.q3.feedback("e").message


def test_q4_reference_and_unbiased_variance_are_right():
    assert ch05.q4.feedback(ch05.reference_noise_scale).correct is True

    def unbiased(g):
        mean = g.mean(0)
        return ((g - mean) ** 2).sum(1).sum() / (len(g) - 1) / (mean**2).sum()

    assert ch05.q4.feedback(unbiased).correct is True  # a 0-d tensor is accepted as a number


def test_q4_diagnoses_typical_mistakes():
    def inverted(g):
        mean = g.mean(0)
        return (mean**2).sum() / ((g - mean) ** 2).sum(1).mean()

    def not_centred(g):
        mean = g.mean(0)
        return (g**2).sum(1).mean() / (mean**2).sum()

    def per_coordinate(g):
        mean = g.mean(0)
        return ((g - mean) ** 2).mean() / (mean**2).sum()

    def not_squared(g):
        mean = g.mean(0)
        return ((g - mean) ** 2).sum(1).mean() / mean.norm()

    def summed(g):
        mean = g.mean(0)
        return ((g - mean) ** 2).sum() / (mean**2).sum()

    assert "upside down" in ch05.q4.feedback(inverted).message
    assert "subtract the mean" in ch05.q4.feedback(not_centred).message
    assert "*sum* of the variances" in ch05.q4.feedback(per_coordinate).message
    assert "*squared* length" in ch05.q4.feedback(not_squared).message
    assert "divide by N" in ch05.q4.feedback(summed).message
    assert "one number" in ch05.q4.feedback(lambda g: [1.0, 2.0]).message
    assert "reference" in ch05.q4.feedback(lambda g: 123.0).message
    assert "pass your function" in ch05.q4.feedback(3.0).message


def test_q4_untouched_template_is_not_attempted():
    def noise_scale(g):
        raise NotImplementedError

    assert ch05.q4.feedback(noise_scale).correct is None
    assert ch05.q4.feedback(...).correct is None


def test_q4_works_on_real_gradients():
    from course_utils.lessons.l05_batch_size.experiments import lesson_data, lesson_model, per_example_gradients

    X, y = lesson_data()[0].tensors
    G = per_example_gradients(lesson_model(), X, y)
    assert ch05.reference_noise_scale(G) == ch05.reference_noise_scale(G.clone())
    assert torch.isfinite(torch.tensor(ch05.reference_noise_scale(G)))
