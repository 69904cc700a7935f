"""Notebook 08's checkers: a right answer, a wrong one (with its targeted hint), and no answer."""

import copy

import torch

from course_utils.lessons.l08_training_vs_validation import ch08


def test_q1_which_run_underfits():
    assert ch08.q1.feedback(...).correct is None
    assert ch08.q1.feedback("b").correct is True
    fb = ch08.q1.feedback("a")
    assert fb.correct is False and "overfitting" in fb.message
    assert "good fit" in ch08.q1.feedback("c").message


def test_q2_how_long_early_stopping_runs(capsys):
    ch08.q2.check(...)
    assert "not attempted yet" in capsys.readouterr().out.lower()
    assert ch08.q2.expected == 79  # best epoch 29 + patience 50
    assert ch08.q2.feedback(79).correct is True
    fb = ch08.q2.feedback(50)
    assert fb.correct is False and "patience alone" in fb.message
    assert "one short" in ch08.q2.feedback(78).message
    assert ch08.q2.feedback(120).message.startswith("120 is too large")


def _loop(model, optimizer, X, y, Xv, yv, epochs, keep):
    loss_fn = torch.nn.CrossEntropyLoss()
    best_loss, best_state = float("inf"), None
    for _ in range(epochs):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = loss_fn(model(Xv), yv).item()
        if val_loss < best_loss:
            best_loss, best_state = val_loss, keep(model)
    return best_loss, best_state


def test_q3_keep_the_best_checkpoint():
    assert ch08.q3.feedback(ch08.reference_train_keep_best).correct is True

    def right(model, optimizer, X, y, Xv, yv, epochs):
        best, state = _loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()))
        model.load_state_dict(state)
        return best

    def reference_not_copy(model, optimizer, X, y, Xv, yv, epochs):
        best, state = _loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: m.state_dict())
        model.load_state_dict(state)
        return best

    def never_restores(model, optimizer, X, y, Xv, yv, epochs):
        return _loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()))[0]

    def returns_last(model, optimizer, X, y, Xv, yv, epochs):
        best, state = _loop(model, optimizer, X, y, Xv, yv, epochs, lambda m: copy.deepcopy(m.state_dict()))
        model.load_state_dict(state)
        return best + 0.5

    def returns_nothing(model, optimizer, X, y, Xv, yv, epochs):
        right(model, optimizer, X, y, Xv, yv, epochs)

    def template(model, optimizer, X, y, Xv, yv, epochs):
        raise NotImplementedError

    assert ch08.q3.feedback(right).correct is True
    fb = ch08.q3.feedback(reference_not_copy)
    assert fb.correct is False and "copy.deepcopy" in fb.message
    assert "last* epoch" in ch08.q3.feedback(never_restores).message
    assert "Update best_loss only when" in ch08.q3.feedback(returns_last).message
    assert "returns None" in ch08.q3.feedback(returns_nothing).message
    assert ch08.q3.feedback(template).correct is None
    assert ch08.q3.feedback(...).correct is None


def test_q4_overfitting_without_wrong_labels():
    assert ch08.q4.feedback(...).correct is None
    assert ch08.q4.feedback("b").correct is True
    fb = ch08.q4.feedback("a")
    assert fb.correct is False and "run the next cell" in fb.message
