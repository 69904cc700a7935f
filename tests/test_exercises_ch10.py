"""Notebook 10's checkers: a right answer, typical wrong ones with their hints, and no answer."""

from course_utils.lessons.l10_gradient_accumulation import ch10


def test_q1_effective_batch(capsys):
    assert ch10.q1.feedback(...).correct is None
    ch10.q1.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch10.q1.feedback(512).correct is True
    fb = ch10.q1.feedback(128)
    assert fb.correct is False and "one process's share" in fb.message
    assert "leaves out the accumulation" in ch10.q1.feedback(64).message
    assert ch10.q1.feedback(1000).message.startswith("1000 is too large")
    assert ch10.q1.feedback("lots").correct is False


def _right(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    optimizer.zero_grad()
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def _no_division(model, micro_batches, loss_fn, optimizer):
    optimizer.zero_grad()
    for x, y in micro_batches:
        loss_fn(model(x), y).backward()
    optimizer.step()


def _zero_grad_inside(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        optimizer.zero_grad()
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def _step_inside(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    optimizer.zero_grad()
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
        optimizer.step()


def _no_zero_grad(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.step()


def _zero_grad_after_backward(model, micro_batches, loss_fn, optimizer):
    k = len(micro_batches)
    for x, y in micro_batches:
        (loss_fn(model(x), y) / k).backward()
    optimizer.zero_grad()
    optimizer.step()


def _untouched(model, micro_batches, loss_fn, optimizer):
    raise NotImplementedError


def test_q2_accepts_the_reference_and_a_rewrite():
    assert ch10.q2.feedback(ch10.reference_accumulation_step).correct is True
    assert ch10.q2.feedback(_right).correct is True


def test_q2_diagnoses_each_mistake():
    assert "4 times too large" in ch10.q2.feedback(_no_division).message
    assert "only the last micro-batch counted" in ch10.q2.feedback(_zero_grad_inside).message
    assert "step inside the loop" in ch10.q2.feedback(_step_inside).message
    assert "still in .grad" in ch10.q2.feedback(_no_zero_grad).message
    assert "did not change" in ch10.q2.feedback(_zero_grad_after_backward).message
    for wrong in (_no_division, _zero_grad_inside, _step_inside, _no_zero_grad, _zero_grad_after_backward):
        assert ch10.q2.feedback(wrong).correct is False


def test_q2_untouched_and_not_a_function():
    assert ch10.q2.feedback(_untouched).correct is None
    assert ch10.q2.feedback(...).correct is None
    assert ch10.q2.feedback(42).correct is False


def test_q3_predict_adam(capsys):
    assert ch10.q3.feedback(...).correct is None
    assert ch10.q3.feedback("b").correct is True
    fb = ch10.q3.feedback("a")
    assert fb.correct is False and "plain SGD" in fb.message
    assert ch10.q3.feedback("Training hardly changes at all.").correct is True
    assert ch10.q3.feedback("z").correct is False
    ch10.q3.hint()
    ch10.q3.solution()
    out = capsys.readouterr().out
    assert "Hint 1/1" in out and "sqrt(v)" in out
