"""Plots label their axes and survive diverged runs; the live view throttles and leaves one picture."""

import time

import pytest
from matplotlib.figure import Figure

from course_utils import History, ema, live
from course_utils.lessons.l01_training_loop.figures import plot_step_through, plot_training_loop_diagram
from course_utils.live import LiveView
from course_utils.plots import compare_runs, figure_to_png, plot_epoch_curves, plot_history, plot_step_loss
from course_utils.runs import run_training


@pytest.fixture(scope="module")
def runs():
    return [run_training(epochs=3, batch_size=b, seed=0) for b in (16, 64)]


def _labels(fig):
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.axison]


def test_plot_functions_return_labelled_figures(runs):
    for fig in (plot_step_loss(runs[0]), plot_epoch_curves(runs[0]), plot_history(runs[0]),
                compare_runs(runs, x="samples"), compare_runs(runs, metric="val")):  # fmt: skip
        assert isinstance(fig, Figure)
        assert all(x and y for x, y in _labels(fig))
        assert figure_to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "batch 16" in plot_history(runs[0])._suptitle.get_text()


@pytest.mark.parametrize("x", ["step", "epoch", "samples", "seconds"])
def test_step_loss_on_every_x_axis(runs, x):
    fig = plot_step_loss(runs[0], x=x)
    line = fig.axes[0].lines[0]
    assert len(line.get_xdata()) == runs[0].history.steps
    assert list(line.get_xdata()) == sorted(line.get_xdata())


def test_diverged_run_is_drawn_with_its_stop_reason():
    run = run_training(data="regression", lr=10.0, optimizer="sgd")
    assert run.history.diverged
    fig = plot_history(run)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("diverged at step" in t for t in texts)


def test_diagram_and_step_through_draw():
    from course_utils.lessons.l01_training_loop.experiments import StepThrough

    st = StepThrough()
    for phase in ("forward", "loss", "backward", "step"):
        st.run(phase)
    assert len(plot_step_through(st).axes[0].lines) >= 2
    assert any("backward" in t.get_text() for t in plot_training_loop_diagram().axes[0].texts)


def test_ema_follows_a_constant_and_skips_nan():
    assert ema([2.0] * 5) == pytest.approx([2.0] * 5)
    assert ema([1.0, float("nan"), 1.0])[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="beta"):
        ema([1.0], beta=1.0)


def test_live_view_draws_one_final_frame_for_a_short_run():
    view = LiveView(show=False, every=60)
    run = run_training(epochs=2, callbacks=[view])
    assert view.frames == 1  # nothing in between, one final picture
    assert f"step {run.history.steps}/{run.history.steps}" in view.ax.get_title()


class _Slow:
    def on_step_end(self, state):
        time.sleep(0.002)


def test_live_view_is_throttled(monkeypatch):
    monkeypatch.setattr(live, "figure_to_png", lambda fig, dpi=72: b"")  # drawing costs (almost) nothing
    view = LiveView(show=False, every=0.05, budget=1.0)  # only the time between frames limits it here
    run = run_training(epochs=4, callbacks=[_Slow(), view])
    assert 2 <= view.frames < run.history.steps / 4


@pytest.mark.parametrize("budget", [0.05, 0.25])
def test_live_view_keeps_drawing_within_its_budget(monkeypatch, budget):
    cost = 0.02

    def slow_png(fig, dpi=72):
        time.sleep(cost)
        return b""

    monkeypatch.setattr(live, "figure_to_png", slow_png)
    view = LiveView(show=False, every=0.001, budget=budget)
    run = run_training(epochs=8, callbacks=[_Slow(), view])  # 200 steps of at least 2 ms
    # pictures during the run (all but the final one) take at most `budget` of the time, give or take one
    assert (view.frames - 1) * cost <= budget * run.history.wall_time + cost
    assert view.frames < run.history.steps / 4
    if budget >= 0.25:  # ... and with room in the budget the run is shown while it happens
        assert view.frames >= 3


def test_live_view_shows_divergence():
    view = LiveView(show=False)
    run = run_training(data="regression", lr=10.0, optimizer="sgd", callbacks=[view])
    assert "diverged at step" in view.ax.get_title() and run.history.diverged


def test_history_summary_mentions_the_numbers():
    h = History(steps=3, epochs=1, samples_seen=96, stop_reason="finished", epoch_train_loss=[0.5])
    assert h.summary().startswith("finished: 1 epochs, 3 steps, 96 samples")


class _StopAt30:
    def on_step_end(self, state):
        if state.history.steps == 30:
            state.stop("stopped by a callback")


def test_live_view_ends_at_the_last_step_when_a_run_stops_early():
    view = LiveView(show=False, every=60)
    run = run_training(epochs=4, callbacks=[view, _StopAt30()])
    assert run.history.steps == 30 < view.total_steps
    assert view.ax.get_xlim() == (0, 30)
    full = LiveView(show=False, every=60)
    run_training(epochs=2, callbacks=[full])
    assert full.ax.get_xlim()[1] == full.total_steps


def test_live_view_log_axis_auto_and_forced():
    auto = LiveView(show=False, every=60)  # the loss of this run falls by far more than 10x
    run = run_training(data="blobs", epochs=6, optimizer="adam", lr=0.05, callbacks=[auto])
    assert max(run.history.step_loss) > 10 * min(run.history.step_loss)
    assert auto.ax.get_yscale() == "log"
    linear = LiveView(show=False, every=60, log_y=False)
    run_training(data="blobs", epochs=6, optimizer="adam", lr=0.05, callbacks=[linear])
    assert linear.ax.get_yscale() == "linear"
    flat = LiveView(show=False, every=60)  # a loss that barely moves stays on a linear axis
    run_training(epochs=1, lr=1e-5, callbacks=[flat])
    assert flat.ax.get_yscale() == "linear"
    forced = LiveView(show=False, every=60, log_y=True)
    run_training(epochs=1, lr=1e-5, callbacks=[forced])
    assert forced.ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="log_y='yes'"):
        LiveView(log_y="yes")


def test_live_view_bar_ends_full_at_the_steps_made(monkeypatch):
    """In a notebook the bar's saved text must show the end ("100% ... 30/30"), not tqdm's first "0%"."""
    from tqdm.std import tqdm as std_tqdm

    bar = std_tqdm(total=100, disable=True)
    bar.n = 30
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    bar.container = "the widget"
    live._finish_bar(bar, Handle())
    assert bar.total == 30 and shown == ["the widget"]
    text = std_tqdm.format_meter(n=30, total=30, elapsed=1.0)
    assert text.startswith("100%") and "30/30" in text


def _pixels(png):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_history_picture_blits_what_plot_history_draws_on_fixed_axes(runs):
    import numpy as np

    from course_utils.plots import HistoryPicture

    picture = HistoryPicture(max_steps=1000, max_epochs=10, loss_limits=(0.0, 1.0))
    frames = [_pixels(picture(run).png) for run in runs]
    assert picture.left.get_xlim() == pytest.approx((1, 1000)) and picture.right.get_ylim() == (0.0, 1.0)
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # another batch size, another picture
    assert np.abs(frames[1] - _pixels(picture.full_redraw(runs[1]))).mean() < 1.0  # blitted = fully drawn
    assert picture(runs[0]).titles[0] == plot_history(runs[0])._suptitle.get_text()
    assert not any(text.get_visible() for text in (*picture.clip_texts, *picture.stop_texts))


def test_history_picture_keeps_a_diverged_run_inside_its_axes_and_says_so():
    import numpy as np

    from course_utils.plots import HistoryPicture

    run = run_training(data="moons", optimizer="sgd", lr=10.0, batch_size=512, epochs=20)
    assert run.history.diverged
    picture = HistoryPicture(max_steps=100, max_epochs=20, loss_limits=(0.0, 1.0))
    picture(run)
    assert all(text.get_visible() for text in (*picture.clip_texts, *picture.stop_texts))
    assert picture.stop_texts[0].get_text().strip().startswith(run.history.stop_reason)
    for line in (picture.raw, picture.smoothed, picture.train, picture.val):
        assert np.all((line.get_ydata() >= 0.0) & (line.get_ydata() <= 1.0))
    with pytest.raises(ValueError, match="loss_limits"):
        HistoryPicture(max_steps=100, max_epochs=20, loss_limits=(1.0, 0.0))
