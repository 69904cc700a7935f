"""Notebook 06's checkers: a right answer, a wrong one (with its targeted hint), and no answer."""

from course_utils.lessons.l06_noisy_loss_and_convergence import ch06


def test_q1_spread_of_the_batch_loss(capsys):
    assert ch06.q1.feedback(...).correct is None
    ch06.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch06.q1.feedback(0.055).correct is True
    assert ch06.q1.feedback(0.05).correct is True  # the measured value with the finite-population correction
    fb = ch06.q1.feedback(0.0275)
    assert fb.correct is False and "square root of 4" in fb.message
    assert "does shrink" in ch06.q1.feedback(0.11).message
    assert ch06.q1.feedback(0.3).correct is False


def stop_epoch(val_losses, patience, min_delta=0.0):
    best, bad = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if best is None or loss < best - min_delta:
            best, bad = loss, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch
    return None


def test_q2_accepts_a_correct_rule_and_diagnoses_mistakes():
    assert ch06.q2.feedback(stop_epoch).correct is True
    assert ch06.q2.feedback(ch06.reference_stop_epoch).correct is True

    def zero_based(val_losses, patience, min_delta=0.0):
        e = stop_epoch(val_losses, patience, min_delta)
        return None if e is None else e - 1

    def ties_improve(val_losses, patience, min_delta=0.0):
        best, bad = None, 0
        for epoch, loss in enumerate(val_losses, start=1):
            if best is None or loss <= best - min_delta:
                best, bad = loss, 0
            else:
                bad += 1
                if bad >= patience:
                    return epoch
        return None

    def no_reset(val_losses, patience, min_delta=0.0):
        best, bad = None, 0
        for epoch, loss in enumerate(val_losses, start=1):
            if best is None or loss < best - min_delta:
                best = loss
            else:
                bad += 1
                if bad >= patience:
                    return epoch
        return None

    def no_min_delta(val_losses, patience, min_delta=0.0):
        return stop_epoch(val_losses, patience, 0.0)

    def never_none(val_losses, patience, min_delta=0.0):
        e = stop_epoch(val_losses, patience, min_delta)
        return len(val_losses) if e is None else e

    def always_last(val_losses, patience, min_delta=0.0):
        return len(val_losses)

    assert "count epochs from 1" in ch06.q2.feedback(zero_based).message
    assert "not <=" in ch06.q2.feedback(ties_improve).message
    assert "in a row" in ch06.q2.feedback(no_reset).message
    assert "more than min_delta" in ch06.q2.feedback(no_min_delta).message
    assert "return None" in ch06.q2.feedback(never_none).message
    assert "the rule says 6" in ch06.q2.feedback(always_last).message

    def template(val_losses, patience, min_delta=0.0):
        raise NotImplementedError

    assert ch06.q2.feedback(template).correct is None
    assert ch06.q2.feedback(...).correct is None


def test_q3_and_q4_choices():
    for q, right, wrong, words in [(ch06.q3, "b", "c", "25 full batches"), (ch06.q4, "b", "a", "cannot reach 0")]:
        assert q.feedback(...).correct is None
        assert q.feedback(right).correct is True
        fb = q.feedback(wrong)
        assert fb.correct is False and words in fb.message
