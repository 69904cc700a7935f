"""Notebook 04's checkers: a right answer, a wrong one (with its targeted hint), and no answer."""

import math

from course_utils.lessons.l04_batches_epochs_iterations import ch04
from course_utils.lessons.l04_batches_epochs_iterations.experiments import compare_batch_sizes, runs_by_kind


def test_q1_updates_in_an_mnist_sized_run(capsys):
    assert ch04.q1.feedback(...).correct is None
    ch04.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch04.q1.feedback(4690).correct is True
    fb = ch04.q1.feedback(4680)
    assert fb.correct is False and "forgets the last, smaller batch" in fb.message
    assert "one epoch's updates" in ch04.q1.feedback(469).message
    assert ch04.q1.feedback(5000).message.startswith("5000 is too large")
    ch04.q1.solution()
    assert "4,690" in capsys.readouterr().out


def test_q2_batches_per_epoch_code():
    def right(n, b, drop_last):
        full, rest = divmod(n, b)
        return full + 1 if rest and not drop_last else full

    def floor_only(n, b, drop_last):
        return n // b

    def ceil_only(n, b, drop_last):
        return math.ceil(n / b)

    def always_plus_one(n, b, drop_last):
        return n // b + (0 if drop_last else 1)

    def fraction(n, b, drop_last):
        return n / b

    def template(n, b, drop_last):
        raise NotImplementedError

    assert ch04.q2.feedback(right).correct is True
    assert "still form a (smaller) batch" in ch04.q2.feedback(floor_only).message
    assert "thrown away" in ch04.q2.feedback(ceil_only).message
    assert "no leftover batch when nothing is left over" in ch04.q2.feedback(always_plus_one).message
    assert "a number of batches is whole" in ch04.q2.feedback(fraction).message
    assert ch04.q2.feedback(template).correct is None
    assert ch04.q2.feedback(...).correct is None
    assert "pass your function" in ch04.q2.feedback(32).message


def test_q3_choice_and_the_claim_behind_it():
    assert ch04.q3.feedback(...).correct is None
    assert ch04.q3.feedback("c").correct is True
    fb = ch04.q3.feedback("a")
    assert fb.correct is False and "single update" in fb.message
    # the claim, measured at a small size: per epoch, one-at-a-time falls fastest, full batch slowest
    runs = runs_by_kind(compare_batch_sizes(batch_size=16, epochs=2, n_samples=96))
    after_one_epoch = {k: r.loss[r.epochs.index(1.0)] for k, r in runs.items()}
    assert after_one_epoch["one at a time"] < after_one_epoch["mini-batch"] < after_one_epoch["full batch"]
