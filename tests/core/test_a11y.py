"""Accessibility: curves differ by more than colour, alt text says what a figure shows with its numbers,
and every colour the course writes into html has 4.5:1 contrast on JupyterLab's light and dark themes."""

import json
import re
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from course_utils.a11y import (
    MIN_CONTRAST,
    THEME_BACKGROUNDS,
    alt_for,
    colour_only_curves,
    contrast_ratio,
    html_colours,
    register_alt_text,
)
from course_utils.exercises import Feedback
from course_utils.lessons.l12_common_misunderstandings import exercises as ch12
from course_utils.lessons.l12_common_misunderstandings.quiz_widget import quiz
from course_utils.live import LiveView
from course_utils.plots import (
    HATCHES,
    TRAIN_STYLE,
    VAL_STYLE,
    bar_style,
    compare_runs,
    plot_epoch_curves,
    plot_history,
    run_style,
)
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


# -- contrast -----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
THEMES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "themes" / "@jupyterlab"


def test_contrast_ratio_is_the_wcag_formula():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#009E73", "#ffffff") == pytest.approx(3.42, abs=0.01)  # the quiz's old green
    assert contrast_ratio("#D55E00", "#ffffff") == pytest.approx(3.87, abs=0.01)  # and its old orange


@pytest.mark.parametrize(("theme", "folder"), [("JupyterLab Light", "theme-light-extension"),
                                               ("JupyterLab Dark", "theme-dark-extension")])  # fmt: skip
def test_theme_backgrounds_are_the_installed_jupyterlabs(theme, folder):
    css = THEMES / folder / "index.css"
    if not css.exists():
        pytest.skip(f"JupyterLab's {theme} theme is not installed in {THEMES}")
    value = re.search(r"--jp-layout-color0:\s*([^;]+);", css.read_text()).group(1)
    assert to_hex(value) == THEME_BACKGROUNDS[theme]


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _quiz_feedback_html():
    box = quiz(ch12.QUESTIONS[:1])
    _, choices, button, feedback = box.children[1].children
    shown = []
    button.click()  # nothing chosen yet
    shown.append(feedback.value)
    for key in ch12.QUESTIONS[0].options:  # every option: right and wrong verdicts
        choices.value = key
        button.click()
        shown.append(feedback.value)
    return shown


def _course_html():
    """Every piece of html the course writes: verdicts, the quiz, literal styles in its code, the notebooks."""
    yield from (Feedback(v, "why").to_html() for v in (True, False, None))
    yield from _quiz_feedback_html()
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        yield path.read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        yield from _strings(json.loads(path.read_text()))  # markdown, html outputs, saved widget state


def test_every_coloured_text_reads_on_light_and_dark_themes():
    pairs = {pair for html in _course_html() for pair in html_colours(html)}
    assert pairs, "no coloured text found: the scan is broken"
    failures = []
    for fg, bg in sorted(pairs, key=str):
        backgrounds = {"its own background": bg} if bg else THEME_BACKGROUNDS
        for where, background in backgrounds.items():
            ratio = contrast_ratio(fg, background)
            if ratio < MIN_CONTRAST:
                failures.append(f"{fg} on {background} ({where}): {ratio:.2f}:1")
    assert not failures, "below WCAG AA 4.5:1: " + "; ".join(failures)


def test_verdicts_are_not_told_by_colour_alone():
    right, wrong = Feedback(True, "because").to_html(), Feedback(False, "because").to_html()
    assert "\u2713 Correct!" in right and "\u2717 Not quite." in wrong
    assert html_colours(right) == [("#ffffff", "#00704a")] and html_colours(wrong) == [("#ffffff", "#a84007")]


def test_html_colours_reads_inline_styles_and_css_variable_fallbacks():
    html = ('<span style="color: #777">a</span><b style="background:#000; color:white">b</b>'
            '<i style="color:var(--jp-content-font-color1, #222)">c</i><p style="margin:0">d</p>')  # fmt: skip
    assert html_colours(html) == [("#777777", None), ("#ffffff", "#000000"), ("#222222", None)]


# -- alt text -----------------------------------------------------------------------------------


def test_alt_for_says_what_the_figure_shows_with_its_numbers(runs):
    h = runs[0].history
    alt = alt_for(plot_history(runs[0]))
    assert alt.startswith("Figure: MLP") and "Panel 2 of 2: every epoch" in alt
    assert "x axis: epoch; y axis: loss" in alt
    assert f"training loss (mean over epoch): 3 points, from {h.epoch_train_loss[0]:.3g} to " \
           f"{h.epoch_train_loss[-1]:.3g}" in alt  # fmt: skip
    assert f"validation loss (after epoch): 3 points, from {h.epoch_val_loss[0]:.3g}" in alt
    assert len(alt) <= 1200


def test_alt_for_names_levels_text_bars_and_empty_panels():
    fig, (a, b) = plt.subplots(1, 2)
    a.axhline(0.25, label="floor")
    a.text(0.5, 0.5, "diverged at step 7")
    a.set_yscale("log")
    a.set_ylabel("loss")
    b.bar([1, 2], [3, 4], label="training loss")
    b.set_xlabel("batch size")
    alt = alt_for(fig, extra="Two panels.")
    assert alt.startswith("Figure: Two panels. Panel 1 of 2")
    assert "floor at 0.25" in alt and "text: diverged at step 7" in alt and "(log scale)" in alt
    assert "y axis: loss (log scale)" in alt and "x axis" not in alt.split("Panel 2")[0]  # unlabelled: left out
    assert "bars: training loss: 2 bars of height 3, 4" in alt and "x axis: batch size." in alt
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        alt_for("plot")


def test_register_alt_text_adds_alt_to_every_displayed_figure():
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter
    from matplotlib.figure import Figure

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    assert register_alt_text(shell) is False  # no inline backend: nothing to wrap
    shell.display_formatter.formatters["image/png"].for_type(Figure, lambda fig: b"\x89PNG")
    assert register_alt_text(shell) and register_alt_text(shell)  # twice: wrapped once
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], label="loss")
    fig.alt_text = "The loss dips at step 2."
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"] == b"\x89PNG"
    alt = metadata["image/png"]["alt"]
    assert alt.startswith("Figure: The loss dips at step 2.") and "loss: 3 points, from 3 to 2, lowest 1 at x=2" in alt


def _image_outputs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    yield f"{path.name} cell {i}", output.get("metadata", {}).get("image/png", {}).get("alt", "")


def test_every_saved_figure_has_alt_text_that_says_what_it_shows():
    outputs = list(_image_outputs())
    assert len(outputs) > 20
    bad = [where for where, alt in outputs if len(alt) < 40 or alt.strip().lower() in ("plot", "figure", "<plot>")]
    assert not bad, f"{len(bad)} of {len(outputs)} saved figures without a real alt text: {', '.join(bad[:10])}"


def test_colour_only_curves_also_finds_bar_series_told_apart_by_colour_alone():
    fig, ax = plt.subplots()
    ax.bar([0, 1], [1, 2], color="C0", label="training loss")
    ax.bar([0.4, 1.4], [2, 3], color="C1", label="validation loss")
    (problem,) = colour_only_curves(fig)
    assert "bars 'training loss' and 'validation loss' differ by colour only" in problem
    ax.containers[1].patches[0].set_hatch("///")  # the first bar of each series is compared
    assert colour_only_curves(fig) == []


def test_bar_style_gives_each_series_its_own_hatch():
    hatches = [bar_style(i)["hatch"] for i in range(len(HATCHES))]
    assert len(set(hatches)) == len(HATCHES) and bar_style(1, "0.6")["color"] == "0.6"


def test_alt_for_joins_bars_drawn_one_call_at_a_time_into_their_series():
    fig, ax = plt.subplots()
    for row, (a, b) in enumerate([(1, 2), (3, 4)]):  # a stacked chart, one barh call per part and row
        ax.barh(row, a, label="weights" if row == 0 else None, **bar_style(0))
        ax.barh(row, b, left=a, label="gradients" if row == 0 else None, **bar_style(1))
    alt = alt_for(fig)
    assert "bars: weights: 2 bars of height 1, 3; gradients: 2 bars of height 2, 4." in alt, alt
