"""Lesson 01: the course's minimal example, the step-through, and the plain loop."""

import copy

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from course_utils import make_mlp, make_random_labels, train
from course_utils.lessons.l01_training_loop import (
    PHASES,
    StepThrough,
    plain_loop,
    plot_step_through,
    plot_training_loop_diagram,
    step_through_demo,
    syllabus_example,
)


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


def test_the_plain_loop_the_notebook_shows_is_the_one_train_matches():
    data = make_random_labels(200, 10, 2, seed=0)
    a, b = make_mlp(10, (8,), 2, seed=1), make_mlp(10, (8,), 2, seed=1)
    loader = DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(3))
    losses = plain_loop(a, loader, nn.CrossEntropyLoss(), torch.optim.SGD(a.parameters(), lr=0.1), 2)
    h = train(b, data, optimizer=torch.optim.SGD(b.parameters(), lr=0.1), epochs=2, seed=3)
    assert h.step_loss == losses
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_the_figures_and_the_step_through_widget_draw():
    st = StepThrough()
    for phase in PHASES:
        st.run(phase)
    assert plot_step_through(st).axes and plot_training_loop_diagram().axes
    box = step_through_demo()
    before = copy.deepcopy(box.state["st"].weights())
    for button in box.children[0].children[:4]:
        button.click()
    assert box.state["st"].step == 1 and box.state["st"].weights() != before
    assert len(box.children[1].outputs) == 2


def test_the_step_through_carries_a_static_copy_for_renderers_without_widgets():
    bundle = step_through_demo()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle, "the live widget must still be displayed"
    assert "<img" in bundle["text/html"] and "Ready: a batch of 8 points" in bundle["text/html"]
