"""Experiments are pure and seeded; the step-through enforces the order of the phases."""

import math

import pytest
import torch

from course_utils.experiments import DATASETS, run_training
from course_utils.experiments.training_loop import PHASES, StepThrough, syllabus_example


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


def test_syllabus_example_counts():
    run = syllabus_example()
    assert run.history.steps == 160 and run.history.samples_seen == 5000 and run.history.epoch_val_loss == []
    assert "batch 32" in run.title and "lr=0.001" in run.title


def test_step_through_runs_phases_in_order_and_learns():
    st = StepThrough(lr=0.1, batch_size=8)
    assert st.run("backward").startswith("Not yet")
    assert st.predictions is None
    first_loss = None
    for _ in range(30):
        for phase in PHASES:
            st.run(phase)
        first_loss = first_loss or st.loss.item()
        assert st.weights_after != st.weights_before
    assert st.step == 30
    assert st.loss.item() < first_loss / 4  # the line moved onto the data
    assert "already ran" in st.run("step")


def test_step_update_is_minus_lr_times_grad():
    st = StepThrough(lr=0.05)
    for phase in PHASES:
        st.run(phase)
    for name in ("w", "b"):
        expected = st.weights_before[name] - 0.05 * st.grads[name]
        assert st.weights_after[name] == pytest.approx(expected, abs=1e-6)
