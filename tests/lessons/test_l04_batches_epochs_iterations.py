"""Lesson 04: the calculator's picture, real counters against the calculator, full vs mini vs one."""

import math
import time

import pytest
from matplotlib.figure import Figure

from course_utils import epoch_plan
from course_utils.lessons.l04_batches_epochs_iterations import ch04
from course_utils.lessons.l04_batches_epochs_iterations.experiments import (
    BatchComparison,
    compare_batch_sizes,
    count_check,
    runs_by_kind,
)
from course_utils.lessons.l04_batches_epochs_iterations.figures import (
    describe_comparison,
    describe_plan,
    plot_batch_comparison,
    plot_epoch_plan,
    plot_worked_examples,
)
from course_utils.plots import figure_to_png


def _labelled(fig):
    return all(ax.get_xlabel() for ax in fig.axes)


# ----------------------------------------------------------------------------- calculator


@pytest.mark.parametrize(
    "n, b, e, drop, per_epoch, last, steps",
    [
        (1000, 100, 5, False, 10, 100, 50),  # the worked example: 1,000 samples, batch 100, 5 epochs
        (12000, 100, 5, False, 120, 100, 600),
        (1000, 32, 5, False, 32, 8, 160),  # what the tidy numbers hide
        (1000, 32, 5, True, 31, 32, 155),
    ],
)
def test_calculator_worked_examples_and_their_readout(n, b, e, drop, per_epoch, last, steps):
    plan = epoch_plan(n, b, e, drop)
    assert (plan.batches_per_epoch, plan.last_batch_size, plan.total_steps) == (per_epoch, last, steps)
    text = describe_plan(plan)
    assert f"batches/epoch: {per_epoch:,} |" in text and f"total steps: {steps:,} |" in text
    assert f"weight updates: {steps:,}" in text and f"last batch {last}" in text
    fig = plot_epoch_plan(plan)
    assert isinstance(fig, Figure) and _labelled(fig)
    assert f"{steps:,} steps" in fig.axes[1].get_title("left")
    assert ("dropped" in fig.axes[0].get_title("left")) == (drop and n % b != 0)


def test_picture_of_a_huge_epoch_is_fast_and_says_why_blocks_are_merged():
    start = time.perf_counter()
    fig = plot_epoch_plan(epoch_plan(60000, 1, 3))
    figure_to_png(fig)
    assert time.perf_counter() - start < 2.0
    assert any("too thin" in t.get_text() for t in fig.axes[0].texts)


def test_worked_examples_figure_and_bad_input():
    fig = plot_worked_examples([epoch_plan(1000, 100, 5), epoch_plan(1000, 32, 5, True)])
    assert len(fig.axes) == 2 and "155 updates" in fig.axes[1].get_title("left")
    with pytest.raises(TypeError, match="plan must be an EpochPlan"):
        plot_epoch_plan((1000, 32))
    with pytest.raises(ValueError, match="plans is empty"):
        plot_worked_examples([])


def test_calculator_demo_wiring():
    from course_utils.widgets import Demo, int_slider, toggle

    demo = Demo(epoch_plan, plot_epoch_plan, describe=describe_plan, n_samples=int_slider("n_samples", 1000, 1, 60000),
                batch_size=int_slider("batch_size", 100, 1, 1024), epochs=int_slider("epochs", 5, 0, 20),
                drop_last=toggle("drop_last", False))  # fmt: skip
    assert demo.error is None and "total steps: 50" in demo.output.outputs[0]["text"]
    demo.update(n_samples=1000, batch_size=32, drop_last=True)
    assert demo.result.batches_per_epoch == 31 and "n_samples=1000 batch_size=32" in demo.output.outputs[0]["text"]
    demo.update(n_samples=10, batch_size=32)  # a batch larger than the data: a message, not a broken demo
    assert "batch_size=32 is out of range" in demo.error


# ----------------------------------------------------------------------------- counters


@pytest.mark.parametrize("n, b, drop", [(1000, 32, False), (1000, 32, True), (1000, 100, False), (250, 64, True)])
def test_history_counters_agree_with_the_calculator(n, b, drop):
    check = count_check(n, b, 2, drop)
    assert check.agree, check.table()
    rows = {what: (calc, seen) for what, calc, seen in check.rows()}
    plan = epoch_plan(n, b, 2, drop)
    assert rows["weight updates (optimizer hook)"] == (plan.total_steps, plan.total_steps)
    assert rows["size of the last batch"][1] == plan.last_batch_size
    assert "calculator" in check.table()


def test_count_check_rejects_bad_settings():
    with pytest.raises(ValueError, match="batch_size=2000 is out of range"):
        count_check(1000, 2000)
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        count_check(1000, 32, 2.5)


# ----------------------------------------------------------------------------- full vs mini vs one


@pytest.fixture(scope="module")
def default_comparison():
    return compare_batch_sizes()  # the notebook's settings: 256 examples, batch 32, 5 epochs, lr 0.1


def test_comparison_counts_updates_and_measures_every_run_from_the_same_start(default_comparison):
    runs = runs_by_kind(default_comparison)
    assert [r.updates for r in default_comparison.runs] == [5, 40, 1280]
    assert len({r.loss[0] for r in runs.values()}) == 1  # same data, same starting weights
    for r in runs.values():
        assert r.steps[0] == 0 and r.steps[-1] == r.updates and r.steps == sorted(r.steps)
        assert r.seconds == sorted(r.seconds) and r.seconds[0] == 0.0
        assert all(math.isfinite(v) for v in r.loss)
        per_epoch = r.updates // 5
        assert all(s in r.steps for s in range(per_epoch, r.updates + 1, per_epoch))  # every epoch end measured


def test_comparison_claims_the_notebook_makes(default_comparison):
    runs = runs_by_kind(default_comparison)
    full, mini, one = runs["full batch"], runs["mini-batch"], runs["one at a time"]

    def at_epoch(run, epoch):
        return run.loss[run.epochs.index(epoch)]

    # against epochs: the more updates per epoch, the lower the loss after the first epoch
    assert at_epoch(one, 1.0) < at_epoch(mini, 1.0) < at_epoch(full, 1.0)
    # after 5 epochs the mini-batch run is far below the full-batch run
    assert mini.final_loss < full.final_loss - 0.4
    # against updates: after the same 5 updates, the three are close (full batch is not far ahead)
    five = [r.loss[r.steps.index(5)] for r in (full, mini, one)]
    assert max(five) - min(five) < 0.25
    # one at a time with the same learning rate: noisy -- its loss goes up again between checkpoints
    rises = sum(b > a + 0.1 for a, b in zip(one.loss, one.loss[1:]))
    assert rises >= 3


def test_comparison_is_deterministic_and_the_cache_changes_nothing_but_reuse():
    a = compare_batch_sizes(batch_size=16, epochs=2, n_samples=64)
    cache = {}
    b = compare_batch_sizes(batch_size=16, epochs=2, n_samples=64, cache=cache)
    for ra, rb in zip(a.runs, b.runs):
        assert ra.loss == rb.loss and ra.steps == rb.steps and ra.history.numbers() == rb.history.numbers()
    c = compare_batch_sizes(batch_size=8, epochs=2, n_samples=64, cache=cache)
    assert c.runs[0].history is b.runs[0].history and c.runs[2].history is b.runs[2].history  # reused
    assert c.runs[1].history is not b.runs[1].history and c.runs[1].updates == 16  # the one that changed
    assert c.runs[1].kind == "mini-batch" and b.runs[1].kind == "mini-batch"


def test_comparison_tables_and_figure(default_comparison):
    table = default_comparison.table()
    assert "full batch (256)" in table and "1280" in table and "seconds" not in table
    assert "ms per update" in default_comparison.time_table()
    assert "1280 updates" in describe_comparison(default_comparison)
    fig = plot_batch_comparison(default_comparison)
    assert len(fig.axes) == 3 and _labelled(fig) and fig.axes[0].get_ylabel()
    assert fig.axes[1].get_xscale() == "log"


def test_learning_rate_10_is_a_result_not_a_crash():
    comp = compare_batch_sizes(batch_size=8, epochs=3, n_samples=64, lr=10.0)
    assert isinstance(comp, BatchComparison)
    diverged = [r for r in comp.runs if r.history.diverged]
    assert diverged, "lr=10 should blow up at least one of the runs"
    for r in diverged:
        assert r.history.stop_reason == f"diverged at step {r.history.steps + 1}"
        assert math.isnan(r.final_accuracy)
    fig = plot_batch_comparison(comp)
    assert "diverged at step" in " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "diverged at step" in describe_comparison(comp)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(batch_size=300), ValueError, "batch_size=300 is out of range"),
        (dict(epochs=0), ValueError, "epochs=0 is out of range"),
        (dict(lr=0.0), ValueError, "lr=0.0 is out of range"),
        (dict(lr="fast"), TypeError, "lr must be a number"),
        (dict(n_samples=1), ValueError, "n_samples=1 is out of range"),
        (dict(cache=[]), TypeError, "cache must be a dict"),
    ],
)
def test_comparison_rejects_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        compare_batch_sizes(**kwargs)
    with pytest.raises(TypeError, match="compare_batch_sizes"):
        plot_batch_comparison("not a comparison")


# ----------------------------------------------------------------------------- exercises (ch04): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q1_solution_gives_the_total(capsys):
    ch04.q1.solution()
    assert "4,690" in capsys.readouterr().out


def test_q3_claim_per_epoch_one_at_a_time_falls_fastest_full_batch_slowest():
    runs = runs_by_kind(compare_batch_sizes(batch_size=16, epochs=2, n_samples=96))  # measured at a small size
    after_one_epoch = {k: r.loss[r.epochs.index(1.0)] for k, r in runs.items()}
    assert after_one_epoch["one at a time"] < after_one_epoch["mini-batch"] < after_one_epoch["full batch"]


def test_notebook_claims_the_wall_clock_panel_and_the_bouncing_run(default_comparison):
    """Section 4: the mini-batch run falls at every checkpoint; one at a time drops below its final loss early
    and often (31 of 63 checkpoints, first after 66 updates), reaches lower (0.2454) but ends higher (0.7867)."""
    runs = runs_by_kind(default_comparison)
    mini, one = runs["mini-batch"], runs["one at a time"]
    assert all(b < a for a, b in zip(mini.loss, mini.loss[1:]))
    below = [s for s, loss in zip(one.steps, one.loss) if loss < mini.final_loss]
    assert len(below) == 31 and len(one.loss) == 63 and below[0] == 66 < 256  # early: within the first epoch
    after = [loss for s, loss in zip(one.steps, one.loss) if s >= 256]
    assert min(one.loss) < min(mini.loss) and one.final_loss > mini.final_loss
    assert max(after) - min(after) > 0.7  # "jumps up and down"


def test_notebook_claims_the_try_this_prompts():
    """Batch size 1 puts the mini-batch curve on the one-at-a-time curve, 256 on the full-batch curve."""
    for size, twin in ((1, "one at a time"), (256, "full batch")):
        runs = runs_by_kind(compare_batch_sizes(batch_size=size, epochs=2))
        assert runs["mini-batch"].loss == runs[twin].loss


def test_notebook_claims_drop_last_with_and_without_shuffling():
    """Section 1: with drop_last, shuffling leaves out a different 8 each epoch (so every example is used over
    many epochs); without shuffling the same 8 are never trained on."""
    from course_utils import make_blobs, make_loader

    data = make_blobs(1000, seed=0)
    index = {tuple(x.tolist()): i for i, x in enumerate(data.tensors[0])}
    for shuffle, expected in ((True, 1000), (False, 992)):
        loader = make_loader(data, batch_size=32, shuffle=shuffle, drop_last=True, seed=0)
        seen = set()
        for _ in range(10):
            seen |= {index[tuple(x.tolist())] for xb, _ in loader for x in xb}
        assert len(seen) == expected


def _pixels(png):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_the_comparison_demo_picture_keeps_its_axes_and_shows_extremes_inside_them(default_comparison):
    import numpy as np

    from course_utils.lessons.l04_batches_epochs_iterations.figures import (
        COMPARISON_LIMITS,
        batch_comparison_picture,
    )

    picture = batch_comparison_picture()
    limits = lambda: [(ax.get_xlim(), ax.get_ylim()) for ax in picture.axes]  # noqa: E731
    blitted = _pixels(picture(default_comparison).png)  # the notebook's start
    fixed = limits()
    assert fixed[1] == (pytest.approx(COMPARISON_LIMITS["updates"]), pytest.approx(COMPARISON_LIMITS["loss"]))
    assert fixed[2][0] == pytest.approx(COMPARISON_LIMITS["seconds"]) and fixed[0][0][1] > 10
    assert np.abs(blitted - _pixels(picture.full_redraw(default_comparison))).mean() < 1.0  # blitted = fully drawn
    assert [t.get_text() for t in picture.legend.get_texts()][0] == "full batch (256)"
    assert "5 epochs each, mini-batch 32" in picture.title_end.get_text() and not picture.stop_text.get_visible()
    extreme = compare_batch_sizes(batch_size=1, epochs=10)  # the sliders' far end: 2,560 updates, the noisiest run
    frame = picture(extreme)
    assert limits() == fixed and frame.titles[0].startswith("MLP (16) on 4 blobs (256 examples)")
    assert np.abs(_pixels(frame.png) - blitted).mean() > 0.1  # another setting, another picture
    (u0, u1), (s0, s1), (l0, l1) = COMPARISON_LIMITS["updates"], COMPARISON_LIMITS["seconds"], COMPARISON_LIMITS["loss"]
    for k, (lo, hi) in ((1, (u0, u1)), (2, (s0, s1))):
        for line in picture.lines[k]:
            xs, ys = line.get_xdata(), line.get_ydata()
            assert lo <= min(xs) and max(xs) <= hi and l0 <= min(ys) and max(ys) <= l1
    assert max(picture.lines[0][2].get_xdata()) == 10  # the epochs axis holds the slider's 10 epochs
    wild = compare_batch_sizes(batch_size=8, epochs=3, n_samples=64, lr=10.0)  # beyond the sliders: runs diverge
    picture(wild)
    assert limits() == fixed and picture.stop_text.get_visible() and "diverged at step" in picture.stop_text.get_text()
    assert all(len(c.get_xdata()) > 0 and max(c.get_ydata()) <= l1 for c in picture.crosses)  # marked on the edge
    assert max(max(line.get_ydata()) for line in picture.lines[0]) <= l1
    with pytest.raises(TypeError, match="compare_batch_sizes"):
        picture(None)
    with pytest.raises(ValueError, match="max_epochs=10"):
        picture(compare_batch_sizes(batch_size=32, epochs=11, n_samples=32))


def test_the_calculator_demo_picture_keeps_its_axes_and_shows_extremes_inside_them():
    import numpy as np

    from course_utils.lessons.l04_batches_epochs_iterations.figures import epoch_plan_picture

    picture = epoch_plan_picture()
    limits = lambda: (picture.top.get_xlim(), picture.top.get_ylim(), picture.bottom.get_xlim())  # noqa: E731
    start = epoch_plan(1000, 100, 5)  # the notebook's start
    blitted = _pixels(picture(start).png)
    fixed = limits()
    assert fixed[0] == (0, 100) and fixed[2] == (0, 20)
    assert np.abs(blitted - _pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    assert sum(t.get_visible() for t in picture.numbers) == 10 and len(picture.even.get_paths()) == 5
    assert picture.split.get_text() == "10 batches of 100" and "= 50 steps" in picture.steps.get_text()
    frame = picture(epoch_plan(1000, 32, 5, True))  # drop_last: the dropped samples grey and hatched
    assert limits() == fixed and np.abs(_pixels(frame.png) - blitted).mean() > 0.1
    assert len(picture.dropped.get_paths()) == 1 and picture.dropped.get_hatch() == "///"
    assert picture.drop_note.get_visible() and not picture.last_note.get_visible() and "dropped" in frame.titles[0]
    xs = picture.dropped.get_paths()[0].vertices[:, 0]
    assert 99 < xs.min() < xs.max() == pytest.approx(100)  # the last 8 of 1,000: inside the bar's end
    picture(epoch_plan(60000, 1, 20))  # the sliders' far end: one band, 20 epochs fill the timeline
    assert limits() == fixed and picture.band.get_visible() and "too thin" in picture.band.get_text()
    assert len(picture.epochs_even.get_paths()) + len(picture.epochs_odd.get_paths()) == 20
    assert max(p.vertices[:, 0].max() for p in picture.epochs_odd.get_paths()) == 20
    picture(epoch_plan(1, 1, 0))  # the other end: 0 epochs, a single sample
    assert limits() == fixed and picture.no_epochs.get_visible() and not picture.epochs_even.get_paths()
    picture(epoch_plan(1000, 32, 5))  # a short last batch
    assert picture.last_note.get_visible() and "step 32" in picture.last_note.get_text()
    assert not picture.dropped.get_paths() and len(picture.last.get_paths()) == 1
    with pytest.raises(TypeError, match="plan must be an EpochPlan"):
        picture(None)
    with pytest.raises(ValueError, match="max_epochs=20"):
        picture(epoch_plan(1000, 100, 21))
