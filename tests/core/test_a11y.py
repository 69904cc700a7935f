"""Accessibility: curves differ by more than colour, alt text says what a figure shows with its numbers,
and every colour the course writes into html has 4.5:1 contrast on JupyterLab's light and dark themes."""

import matplotlib.pyplot as plt
import pytest

from course_utils.a11y import colour_only_curves
from course_utils.live import LiveView
from course_utils.plots import TRAIN_STYLE, VAL_STYLE, compare_runs, plot_epoch_curves, plot_history, run_style
from course_utils.runs import run_training


@pytest.fixture(scope="module")
def runs():
    return [run_training(epochs=3, batch_size=b, seed=0) for b in (16, 64, 256)]


def _line(fig, label_start):
    return next(line for ax in fig.axes for line in ax.get_lines() if line.get_label().startswith(label_start))


def _look(line):
    return line.get_linestyle(), line.get_marker()


def test_train_and_validation_styles_differ_by_more_than_colour():
    assert (TRAIN_STYLE["linestyle"], TRAIN_STYLE["marker"]) != (VAL_STYLE["linestyle"], VAL_STYLE["marker"])
    looks = {(str(run_style(i)["linestyle"]), run_style(i)["marker"]) for i in range(8)}
    assert len(looks) == 8  # eight runs in one comparison: eight different line/marker pairs
    assert len({str(run_style(i, markers=False)["linestyle"]) for i in range(6)}) == 6  # and six without markers


@pytest.mark.parametrize("draw", [plot_epoch_curves, plot_history])
def test_train_and_validation_lines_in_a_figure_differ_in_linestyle_or_marker(runs, draw):
    fig = draw(runs[0])
    train, val = _line(fig, "training loss"), _line(fig, "validation loss")
    assert train.get_color() != val.get_color()
    assert _look(train) != _look(val)
    assert train.get_linestyle() != val.get_linestyle()  # also on long runs, where the markers go
    assert colour_only_curves(fig) == []


def test_long_runs_drop_markers_but_keep_line_styles():
    long_run = run_training(epochs=35, batch_size=128, seed=0, n_samples=256)
    fig = plot_epoch_curves(long_run)
    train, val = _line(fig, "training loss"), _line(fig, "validation loss")
    assert train.get_marker() == val.get_marker() == "None"
    assert train.get_linestyle() == "-" and val.get_linestyle() == "--"


@pytest.mark.parametrize("metric", ["train", "val"])
def test_compared_runs_differ_by_more_than_colour(runs, metric):
    assert colour_only_curves(compare_runs(runs, metric=metric)) == []


def test_the_live_view_draws_validation_dashed():
    view = LiveView(show=False, progress=False)
    run_training(epochs=2, batch_size=64, seed=0, callbacks=[view])
    (val,) = [line for line in view.ax.get_lines() if line.get_label().startswith("validation")]
    assert val.get_linestyle() == "--" and val.get_marker() == "s"


def test_colour_only_curves_finds_lines_told_apart_by_colour_alone():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], color="C0", label="training")
    ax.plot([1, 2], [2, 1], color="C1", label="validation")
    ax.plot([1, 2], [3, 3], color="C2", linestyle="--", label="target")  # differs by style: fine
    ax.plot([1, 2], [0, 1], color="C3")  # no label, no legend entry: not compared
    (problem,) = colour_only_curves(fig)
    assert "'training' and 'validation'" in problem
    ax.lines[1].set_linestyle((0, (8, 2, 1, 2)))  # a custom dash pattern counts as a different style
    assert colour_only_curves(fig) == []
