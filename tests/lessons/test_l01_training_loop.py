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
    minimal_example,
    plain_loop,
    plot_step_through,
    plot_training_loop_diagram,
    step_through_demo,
)


def test_minimal_example_counts():
    run = minimal_example()
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


# ----------------------------------------------------------------------------- the notebook's claims


def _notebook_plain_run():
    """Section 4 of the notebook: the random-label data, the plain loop, its printed last-batch losses."""
    torch.manual_seed(0)
    X = torch.randn(1000, 10)
    y = torch.randint(0, 2, (1000,))
    dataset = torch.utils.data.TensorDataset(X, y)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
    start = copy.deepcopy(model.state_dict())
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    printed = []
    for _ in range(5):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        printed.append(loss.item())
        last_batch = len(yb)
    return dataset, model, start, printed, last_batch


def test_notebook_claims_the_line_fit():
    """Section 3: five epochs find w near 2 and b near -1; the loss is not 0; the printed batch loss jumps."""
    from course_utils import make_line

    data = make_line(n_samples=64, slope=2.0, intercept=-1.0, seed=0)
    torch.manual_seed(0)
    loader = DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    printed, ws = [], []
    for _ in range(5):
        for x, y in loader:
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        printed.append(loss.item())
        ws.append(model.weight.item())
    assert abs(model.weight.item() - 2) < 0.1 and abs(model.bias.item() + 1) < 0.1
    assert min(printed) > 0.05  # "the loss does not reach zero"
    assert printed[3] > printed[2] and printed[4] < printed[3]  # "up in epoch 4, down in epoch 5"
    assert abs(ws[4] - ws[3]) < 0.1 and abs(ws[3] - ws[2]) < 0.1  # "w and b hardly move any more"


def test_notebook_claims_the_plain_loop_and_train():
    """Section 4: train() gives the plain loop's weights bit for bit; the printed last-batch losses bounce while
    the epoch means fall in every epoch; the loss stays near ln 2 = 0.69 (random labels)."""
    dataset, model, start, printed, last_batch = _notebook_plain_run()
    model_b = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
    model_b.load_state_dict(start)
    h = train(model_b, dataset, optimizer=torch.optim.Adam(model_b.parameters(), lr=1e-3),
              loss_fn=nn.CrossEntropyLoss(), epochs=5, batch_size=32, shuffle=True, seed=0)  # fmt: skip
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), model_b.parameters()))
    assert h.step_loss[-1] == printed[-1] and last_batch == 8 == h.step_samples[31]
    means = h.epoch_train_loss
    assert all(b < a for a, b in zip(means, means[1:]))  # the epoch means fall in every epoch
    assert any(b > a for a, b in zip(printed, printed[1:]))  # ... while the printed last-batch losses go up at times
    assert all(0.67 < m < 0.71 for m in means)  # "about 0.69"


def test_notebook_claims_the_try_this_prompts():
    """Section 5: at lr 1e-2 the training loss falls below 0.69, to about 0.6 after 30 epochs and further after
    50 (memorising random labels)."""
    h = minimal_example(lr=1e-2, epochs=50).history
    assert 0.55 < h.epoch_train_loss[29] < 0.65
    assert h.epoch_train_loss[-1] < h.epoch_train_loss[29] - 0.05


def test_live_view_shows_a_validation_entry_only_with_validation_data():
    from course_utils.live import LiveView

    data = make_random_labels(64, 10, 2, seed=0)
    for val_data, expected in ((None, False), (data, True)):
        view = LiveView(show=False, progress=False)
        model = make_mlp(10, (4,), 2, seed=0)
        train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, val_data=val_data,
              callbacks=[view])  # fmt: skip
        labels = [t.get_text() for t in view.ax.get_legend().get_texts()]
        assert ("validation (after epoch)" in labels) is expected
        assert "loss per step" in labels


def test_notebook_claims_q3_zero_grad_between_backward_and_step_changes_nothing():
    """Q3's run: zero_grad() after backward() wipes the gradients, step() does nothing, and nothing complains."""
    dataset, _, start, _, _ = _notebook_plain_run()
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
    model.load_state_dict(start)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    for xb, yb in loader:
        nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.zero_grad()  # in the wrong place
        optimizer.step()
    assert all(torch.equal(p, start[k]) for k, p in model.state_dict().items())


def test_the_demo_picture_covers_every_setting_of_its_sliders():
    from course_utils.lessons.l01_training_loop import DEMO_LOSS_LIMITS, history_picture
    from course_utils.widgets import batch_size_slider, epochs_slider

    picture = history_picture()
    smallest, most_epochs = min(batch_size_slider().options), epochs_slider().max
    assert picture.max_steps == minimal_example(batch_size=smallest, epochs=1).history.steps * most_epochs
    assert picture.max_epochs == most_epochs and picture.right.get_ylim() == DEMO_LOSS_LIMITS
    picture(minimal_example())  # the default run: inside the axes
    assert not any(text.get_visible() for text in picture.clip_texts)
    picture(minimal_example(lr=10.0))  # far too large: drawn at the top edge, and said so
    assert all(text.get_visible() for text in picture.clip_texts)
