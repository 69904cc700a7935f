"""Lesson 09: sorted data with and without shuffling; seeded generators make shuffled runs repeatable."""

import math

import pytest
import torch
from matplotlib.figure import Figure
from torch.utils.data import DataLoader

from course_utils.data import make_loader
from course_utils.lessons.l09_shuffling import ch09
from course_utils.lessons.l09_shuffling.experiments import (
    ShuffleComparison,
    compare_shuffling,
    first_batches,
    prediction_shares,
    run_shuffling,
)
from course_utils.lessons.l09_shuffling.figures import describe_shuffle_run, plot_shuffle_comparison, plot_shuffle_run
from course_utils.runs import SHUFFLE_SEED_OFFSET, make_data


@pytest.fixture(scope="module")
def comparison():
    return compare_shuffling()  # the notebook's settings: 1,000 examples, Adam lr 0.003, batch 32, 5 epochs


def test_class_counts_are_the_batches_the_loop_used(comparison):
    train_set, _ = make_data("blobs_sorted", 1000, val_fraction=0.2, seed=0)
    for run in comparison.runs:
        assert run.class_counts.shape == (run.history.steps, 4)
        assert run.class_counts.sum(dim=1).tolist() == run.history.step_samples
        loader = make_loader(train_set, 32, shuffle=run.shuffle, seed=SHUFFLE_SEED_OFFSET)
        expected = [torch.bincount(yb, minlength=4) for _ in range(5) for _, yb in loader]
        assert torch.equal(run.class_counts, torch.stack(expected))
        assert torch.allclose(run.class_mix.sum(dim=1), torch.ones(run.history.steps))


def test_claims_of_the_notebook(comparison):
    plain, shuffled = comparison.no_shuffle, comparison.shuffled
    assert plain.single_class_batches >= 100 and shuffled.single_class_batches == 0
    assert shuffled.val_accuracy > 0.9 and shuffled.train_accuracy > 0.9
    assert plain.val_accuracy < shuffled.val_accuracy - 0.1
    # the sawtooth: without shuffling the loss jumps up at the class changes inside every epoch
    jumps = [b - a for a, b in zip(plain.history.step_loss, plain.history.step_loss[1:])]
    assert sum(j > 0.5 for j in jumps) >= 5 and max(plain.history.step_loss) > 2 * max(shuffled.history.step_loss[5:])
    # the unshuffled model leans towards the classes it saw last
    shares = prediction_shares(plain)
    assert shares[3] == max(shares) and shares[3] > 0.3
    assert max(prediction_shares(shuffled)) < 0.35
    assert math.isclose(sum(shares), 1.0, rel_tol=1e-6)
    table = comparison.table()
    assert "no shuffling" in table and "val acc" in table


def test_same_seed_same_run_other_shuffle_seed_other_order():
    a, b = run_shuffling(True, n_samples=300, epochs=2), run_shuffling(True, n_samples=300, epochs=2)
    assert a.history.numbers() == b.history.numbers() and torch.equal(a.class_counts, b.class_counts)
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    c = run_shuffling(True, n_samples=300, epochs=2, shuffle_seed=1)
    assert c.history.step_loss != a.history.step_loss
    assert not torch.equal(c.class_counts, a.class_counts)
    # the stored order does not depend on any seed of the shuffler
    d = run_shuffling(False, n_samples=300, epochs=2, shuffle_seed=1)
    assert d.history.numbers() == run_shuffling(False, n_samples=300, epochs=2).history.numbers()


def test_full_batch_training_does_not_care_about_order():
    a = run_shuffling(False, batch_size=800, epochs=100)  # the notebook's Q2
    b = run_shuffling(True, batch_size=800, epochs=100)
    assert a.history.steps == 100 and a.val_accuracy > 0.85  # it did learn
    assert max(abs(x - y) for x, y in zip(a.history.step_loss, b.history.step_loss)) < 1e-5
    assert a.val_accuracy == b.val_accuracy


def test_first_batches_with_and_without_a_generator_of_their_own():
    assert first_batches(0) == first_batches(0)
    assert first_batches(0) != first_batches(1)
    epoch1, epoch2 = first_batches(0, epochs=2)
    assert epoch1 != epoch2 and len(epoch1) == 5
    torch.manual_seed(0)
    plain = first_batches(None)
    torch.manual_seed(0)
    torch.nn.Linear(2, 16)  # building a layer draws from the global generator ...
    assert first_batches(None) != plain  # ... and so changes a generator-less DataLoader's order
    torch.manual_seed(0)
    torch.nn.Linear(2, 16)
    assert first_batches(0) == first_batches(0)  # the seeded loader does not notice


def test_figures_and_readout(comparison):
    fig = plot_shuffle_comparison(comparison)
    assert isinstance(fig, Figure)
    assert all(ax.get_xlabel() for ax in fig.axes[2:4])
    assert "val accuracy" in fig.axes[0].get_title()
    fig = plot_shuffle_run(comparison.no_shuffle)
    assert fig.axes[0].get_ylabel() == "loss of the batch" and fig.axes[1].get_xlabel()
    text = describe_shuffle_run(comparison.no_shuffle)
    assert "validation accuracy" in text and "held a single class" in text


def test_learning_rate_10_is_a_result_not_a_crash():
    for optimizer in ("sgd", "adam"):
        run = run_shuffling(False, lr=10.0, optimizer=optimizer, n_samples=300, epochs=3)
        h = run.history
        assert h.stop_reason == "finished" or h.stop_reason == f"diverged at step {h.steps + 1}"
        assert all(math.isfinite(v) for v in h.step_loss)
        plot_shuffle_run(run)
        describe_shuffle_run(run)
    assert run.history.step_loss and plot_shuffle_run(run).axes[0].get_yscale() == "log"  # Adam at lr=10 blows up
    diverged = run_shuffling(True, lr=1000.0, optimizer="sgd", n_samples=300, epochs=3)
    assert diverged.history.diverged
    fig = plot_shuffle_run(diverged)
    assert any("diverged at step" in t.get_text() for t in fig.axes[0].texts)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
        (dict(batch_size=801), ValueError, "batch_size=801 is out of range"),
        (dict(optimizer="rmsprop"), ValueError, "optimizer='rmsprop' is not known"),
        (dict(lr=0), ValueError, "lr=0.0 is out of range"),
        (dict(epochs=0), ValueError, "epochs=0 is out of range"),
        (dict(n_samples=5), ValueError, "n_samples=5 is out of range"),
        (dict(shuffle_seed=-1), ValueError, "shuffle_seed=-1 is out of range"),
    ],
)
def test_bad_settings_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        run_shuffling(**kwargs)


def test_bad_input_to_figures_and_first_batches():
    with pytest.raises(TypeError, match="run_shuffling"):
        plot_shuffle_run("run")
    with pytest.raises(TypeError, match="compare_shuffling"):
        plot_shuffle_comparison(ShuffleComparison)
    with pytest.raises(ValueError, match="batch_size=50 is out of range"):
        first_batches(0, n_samples=20, batch_size=50)


# ----------------------------------------------------------------------------- exercises (ch09): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q3_checker_leaves_the_global_random_numbers_alone():
    def no_generator(ds, batch_size, seed):  # draws its order from the global generator
        return DataLoader(ds, batch_size=batch_size, shuffle=True)

    state = torch.get_rng_state()
    assert "generator=torch.Generator().manual_seed(seed)" in ch09.q3.feedback(no_generator).message
    assert torch.equal(state, torch.get_rng_state())


def test_claims_of_the_notebook_in_numbers(comparison):
    plain = comparison.no_shuffle
    assert plain.single_class_batches == 110  # "here most batches held a single class": 110 of 125
    assert plain.history.steps == 125
    # other shuffling seeds: "a model about as good: the validation accuracies differ by a few of the 200 points"
    a, c = run_shuffling(True, seed=0, shuffle_seed=0), run_shuffling(True, seed=0, shuffle_seed=1)
    assert 0 < abs(a.val_accuracy - c.val_accuracy) * 200 <= 5


def test_the_demo_picture_keeps_its_axes_and_shows_extremes_inside_them(comparison):
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l09_shuffling.figures import DEMO_LOSS_LIMITS, shuffle_run_picture

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)

    picture = shuffle_run_picture()  # the epochs slider starts at 5

    def limits():
        return [(ax.get_xlim(), ax.get_ylim()) for ax in (picture.top, picture.bottom)]

    fixed = limits()
    plain, shuffled = comparison.no_shuffle, comparison.shuffled  # the demo's start, and shuffle switched on
    frames = [pixels(picture(run).png) for run in (shuffled, plain)]
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # the order switched, another picture
    assert np.abs(frames[1] - pixels(picture.full_redraw(plain))).mean() < 1.0  # blitted = fully drawn
    assert not picture.clip_text.get_visible() and not picture.stop_line.get_visible()
    assert list(picture.image.get_extent()[:2]) == [0, 5] and max(picture.loss.get_xdata()) < 5  # 125 batches, 5 epochs
    assert "no shuffling" in picture.title.get_text() and "val accuracy 0.775" in picture.title.get_text()
    low, high = DEMO_LOSS_LIMITS
    blown = run_shuffling(False, optimizer="sgd", lr=10.0)  # the loss explodes, then the run diverges
    frame = picture(blown)
    assert blown.history.diverged and picture.stop_line.get_visible()
    assert picture.stop_text.get_text().strip() == blown.history.stop_reason
    assert picture.clip_text.get_visible() and "highest" in picture.clip_text.get_text()
    y = picture.loss.get_ydata()
    assert all(low <= v <= high for v in y) and len(picture.off_scale.get_xdata()) > 0
    assert "sgd lr=10" in frame.titles[0]
    assert limits() == fixed  # the same axes for every setting but the epochs
    longest = run_shuffling(False, epochs=30, batch_size=256, n_samples=1000)  # the slider's last epoch
    long_frame = pixels(picture(longest).png)
    assert picture.image.get_extent()[1] == 30 and picture.top.get_xlim() == (0, 30) == picture.bottom.get_xlim()
    assert np.abs(long_frame - pixels(picture.full_redraw(longest))).mean() < 1.0  # the new axes, drawn anew
    assert np.abs(pixels(picture(plain).png) - frames[1]).mean() < 1.0  # back at 5 epochs: the first picture
    with pytest.raises(TypeError, match="run_shuffling"):
        picture(comparison)
