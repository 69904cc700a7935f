"""Notebook 11's checkers: a right answer, wrong answers with their targeted hints, and no answer."""

import torch

from course_utils.lessons.l11_putting_it_together import ch11


def test_q1_checkpoint_epoch(capsys):
    assert ch11.q1.feedback(...).correct is None
    ch11.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch11.q1.feedback(14).correct is True
    assert ch11.q1.feedback(14.0).correct is True
    assert "where training *stopped*" in ch11.q1.feedback(19).message
    assert "patience" in ch11.q1.feedback(5).message
    assert "15, 16, 17, 18 and 19" in ch11.q1.feedback(13).message
    assert "first bad one" in ch11.q1.feedback(15).message
    assert "cannot know the future" in ch11.q1.feedback(24).message
    assert ch11.q1.feedback(2).message.startswith("2 is too small")
    assert ch11.q1.feedback("fourteen").correct is False


def test_q2_temperature_code():
    assert ch11.q2.feedback(ch11.reference_temperature).correct is True

    def sharpen_then_normalise(logits, t):  # mathematically the same thing, written differently
        p = torch.softmax(logits, dim=-1) ** (1 / t)
        return p / p.sum()

    assert ch11.q2.feedback(sharpen_then_normalise).correct is True
    assert "*multiplied*" in ch11.q2.feedback(lambda lg, t: torch.softmax(lg * t, dim=-1)).message
    assert "Finish with a softmax" in ch11.q2.feedback(lambda lg, t: lg / t).message
    assert "no effect" in ch11.q2.feedback(lambda lg, t: torch.softmax(lg, dim=-1)).message
    assert "after the softmax" in ch11.q2.feedback(lambda lg, t: torch.softmax(lg, dim=-1) / t).message
    assert "add up to" in ch11.q2.feedback(lambda lg, t: torch.sigmoid(lg / t)).message
    assert "differ from the expected" in ch11.q2.feedback(lambda lg, t: torch.softmax(lg / (t + 0.1), -1)).message
    assert "shape" in ch11.q2.feedback(lambda lg, t: torch.softmax(lg / t, -1)[:5]).message
    assert "return a tensor" in ch11.q2.feedback(lambda lg, t: [0.5, 0.5]).message
    assert "pass your function" in ch11.q2.feedback(0.5).message

    def template(logits, temperature):
        raise NotImplementedError

    assert ch11.q2.feedback(template).correct is None
    assert ch11.q2.feedback(...).correct is None


def test_q3_power_cut():
    assert ch11.q3.feedback("a").correct is True
    fb = ch11.q3.feedback("b")
    assert fb.correct is False and "temporary file" in fb.message
    assert "never deletes first" in ch11.q3.feedback("c").message
    assert ch11.q3.feedback("d").correct is False
    assert ch11.q3.feedback(...).correct is None


def test_q4_temperature_zero():
    assert ch11.q4.feedback("a").correct is True
    assert "seed only matters" in ch11.q4.feedback("b").message
    assert "*high* temperatures" in ch11.q4.feedback("c").message
    assert ch11.q4.feedback("d").correct is False
    assert ch11.q4.feedback(None).correct is None


def test_q4_claim_holds_for_the_trained_model():
    """What the solution says really happens: greedy text ignores the seed and repeats itself."""
    from course_utils.lessons.l11_putting_it_together.experiments import generate, train_char_model

    run = train_char_model()
    a = generate(run.model, run.vocab, "Simple is better than ", 120, temperature=0, seed=0)
    b = generate(run.model, run.vocab, "Simple is better than ", 120, temperature=0, seed=5)
    assert a == b
    new = a[len("Simple is better than ") :]
    assert any(new.count(line) >= 2 for line in new.split("\n") if len(line) > 10)  # a whole line comes again
