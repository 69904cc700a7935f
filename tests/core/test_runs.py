"""The general experiment (course_utils.runs): pure and seeded, divergence a result."""

import math

import pytest
import torch

from course_utils.runs import DATASETS, run_training


@pytest.mark.parametrize("data", DATASETS)
def test_every_data_set_trains_and_is_deterministic(data):
    a = run_training(data=data, n_samples=300, epochs=2)
    b = run_training(data=data, n_samples=300, epochs=2)
    assert a.history.numbers() == b.history.numbers()
    assert a.history.stop_reason == "finished" and a.history.steps == 2 * math.ceil(240 / 32)
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("data", DATASETS)
def test_learning_rate_10_is_a_result_not_a_crash(data):
    run = run_training(data=data, n_samples=300, epochs=20, lr=10.0, optimizer="sgd")
    h = run.history
    assert h.stop_reason == "finished" or h.stop_reason == f"diverged at step {h.steps + 1}"
    assert all(math.isfinite(v) for v in h.step_loss)


def test_regression_at_lr_10_diverges():
    h = run_training(data="regression", lr=10.0, optimizer="sgd").history
    assert h.diverged and h.stop_reason.startswith("diverged at step")


def test_training_really_learns_moons():
    h = run_training(data="moons", epochs=20, lr=1e-2).history
    assert h.epoch_val_acc[-1] > 0.9 > h.epoch_val_acc[0] - 0.2
    assert h.epoch_train_loss[-1] < h.epoch_train_loss[0] / 2
