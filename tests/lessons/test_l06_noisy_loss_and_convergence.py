"""Lesson 06: the full-set probe, the spread of batch losses, the plateau rule, diminishing returns."""

import math

import numpy as np
import pytest
import torch

from course_utils import evaluate
from course_utils.data import label_noise_floor
from course_utils.history import History
from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import (
    BatchLossSpread,
    FullLossProbe,
    batch_loss_spread,
    detect_plateau,
    epoch_lag,
    noisy_loss_run,
    plateau_on_run,
    probe_residuals,
    returns_table,
    spread_at_epoch,
    spread_table,
)
from course_utils.lessons.l06_noisy_loss_and_convergence.figures import (
    plot_batch_loss_spread,
    plot_four_views,
    plot_plateau,
    plot_spread_vs_batch_size,
)

SHORT = dict(epochs=4, lr=0.3)


@pytest.fixture(scope="module")
def run():
    return noisy_loss_run(**SHORT)


def test_same_seed_same_numbers(run):
    again = noisy_loss_run(**SHORT)
    assert again.history.numbers() == run.history.numbers()
    assert again.probe_loss == run.probe_loss
    other = noisy_loss_run(**SHORT, seed=1)
    assert other.history.step_loss != run.history.step_loss


def test_probe_does_not_change_training(run):
    plain = noisy_loss_run(**SHORT, eval_every=None)
    assert plain.probe_steps == []
    assert all(torch.equal(a, b) for a, b in zip(plain.model.parameters(), run.model.parameters()))
    assert plain.history.numbers() == run.history.numbers()


def test_probe_measures_the_full_training_loss(run):
    assert run.probe_steps[0] == 0 and run.probe_steps[1] == 5
    assert run.probe_steps[-1] == run.history.steps  # 100 steps, every 5
    start_loss, _ = evaluate(run.model_at(0), run.train_set)
    end_loss, _ = evaluate(run.model, run.train_set)
    assert run.probe_loss[0] == pytest.approx(start_loss, abs=1e-6)
    assert run.probe_loss[-1] == pytest.approx(end_loss, abs=1e-6)


def test_snapshots_hold_the_weights_after_each_epoch(run):
    assert len(run.snapshots) == 5
    final = run.model_at(4)
    assert all(torch.equal(a, b) for a, b in zip(final.parameters(), run.model.parameters()))
    assert not torch.equal(run.snapshots[0]["0.weight"], run.snapshots[1]["0.weight"])


def test_epoch_mean_lags_behind_the_loss_at_the_end_of_the_epoch(run):
    rows = epoch_lag(run)
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    epoch, mean, at_end = rows[0]
    assert mean > at_end + 0.02  # the notebook's claim: during the descent the mean sits clearly above


def test_step_bounce_matches_the_spread_at_fixed_weights():
    r = noisy_loss_run(epochs=8, lr=0.3)
    res = probe_residuals(r, first_step=50)
    m = sum(res) / len(res)
    bounce = math.sqrt(sum((v - m) ** 2 for v in res) / (len(res) - 1))
    spread = spread_at_epoch(r, epoch=8, batch_size=32)
    assert abs(m) < 3 * bounce / math.sqrt(len(res))  # no bias: the step loss is centred on the full loss
    assert 0.7 < bounce / spread.std < 1.3


def test_a_batch_loss_is_the_loss_of_that_batch(run):
    model, data = run.model_at(2), run.train_set
    spread = batch_loss_spread(model, data, batch_size=16, n_batches=5, seed=3)
    from course_utils.repro import make_generator

    rows = torch.rand(5, len(data), generator=make_generator(3)).argsort(dim=1)[:, :16]
    X, y = data.tensors
    for i in range(5):
        direct = torch.nn.functional.cross_entropy(model(X[rows[i]]), y[rows[i]]).item()
        assert spread.losses[i] == pytest.approx(direct, abs=1e-6)
    assert len(set(rows[0].tolist())) == 16  # distinct examples in a batch


def test_spread_is_centred_and_shrinks_like_one_over_root_b(run):
    table = spread_table(run, epoch=4, batch_sizes=(8, 32, 128))
    for s in table:
        assert abs(s.mean - s.full_loss) < 4 * s.std / math.sqrt(len(s.losses))
        assert s.std == pytest.approx(s.predicted_std, rel=0.1)
    assert table[0].std / table[2].std == pytest.approx(4.0, rel=0.2)
    assert table[0].quantile(0.05) < table[0].full_loss < table[0].quantile(0.95)
    assert "1000 batches of 8" in table[0].summary()


def test_plateau_rule_is_the_rule_train_uses():
    full = noisy_loss_run(epochs=30, lr=0.3, eval_every=None)
    for patience, min_delta in [(5, 0.0), (3, 0.005)]:
        plateau = detect_plateau(full.history.epoch_val_loss, patience, min_delta)
        stopped = noisy_loss_run(epochs=30, lr=0.3, eval_every=None, early_stopping_patience=patience,
                                 min_delta=min_delta)  # fmt: skip
        assert plateau.stop_epoch is not None
        assert stopped.history.stop_reason == f"early stopping at epoch {plateau.stop_epoch}"
        assert stopped.history.best_epoch == plateau.best_epoch
        assert stopped.history.best_val_loss == plateau.best_loss
    assert detect_plateau(full.history.epoch_val_loss, 30).stop_epoch is None


def test_detect_plateau_by_hand():
    p = detect_plateau([1.0, 0.8, 0.8, 0.79, 0.9, 0.95], patience=2, min_delta=0.05)
    assert p.improved == [True, True, False, False]
    assert (p.stop_epoch, p.best_epoch, p.best_loss, p.epochs_saved) == (4, 2, 0.8, 2)
    assert "stops after epoch 4 of 6" in p.summary()
    never = detect_plateau([3.0, 2.0, 1.0], patience=1)
    assert never.stop_epoch is None and never.best_epoch == 3 and "never stops" in never.summary()
    assert detect_plateau([float("nan"), 1.0], patience=3).best_epoch == 2
    assert detect_plateau([], 2).summary() == "no epochs to look at."


def test_returns_table_shows_diminishing_returns():
    h = History(epoch_train_loss=[1.0, 0.6, 0.5, 0.45, 0.44], epoch_val_loss=[1.0, 0.7, 0.55, 0.5, 0.49])
    rows = returns_table(h, (1, 2, 5))
    assert [r["epoch"] for r in rows] == [1, 2, 5]
    assert rows[1]["val_gain"] == pytest.approx(0.3)
    assert rows[2]["gain_per_epoch"] == pytest.approx(0.07)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert rows[1]["gain_per_epoch"] > rows[2]["gain_per_epoch"]


def test_label_noise_floor():
    assert label_noise_floor(0.1) == pytest.approx(0.3251, abs=1e-4)
    assert label_noise_floor(0.0) == 0.0
    assert label_noise_floor(0.5) == pytest.approx(math.log(2))


def test_bad_input_names_the_argument(run):
    with pytest.raises(ValueError, match="batch_size=0"):
        noisy_loss_run(batch_size=0)
    with pytest.raises(ValueError, match="batch_size=900 is larger than the training set"):
        noisy_loss_run(batch_size=900)
    with pytest.raises(ValueError, match="lr=-1"):
        noisy_loss_run(lr=-1)
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        noisy_loss_run(optimizer="rmsprop")
    with pytest.raises(ValueError, match="label_noise=0.7"):
        noisy_loss_run(label_noise=0.7)
    with pytest.raises(ValueError, match="eval_every=0"):
        noisy_loss_run(eval_every=0)
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        noisy_loss_run(epochs=2.5)
    with pytest.raises(ValueError, match="patience=0"):
        detect_plateau([1.0], patience=0)
    with pytest.raises(ValueError, match="min_delta=-0.1"):
        detect_plateau([1.0], patience=1, min_delta=-0.1)
    with pytest.raises(TypeError, match=r"val_loss\[1\]"):
        detect_plateau([1.0, "low"], patience=1)
    with pytest.raises(ValueError, match="epoch=9"):
        spread_at_epoch(run, epoch=9)
    with pytest.raises(ValueError, match="batch_size=801"):
        batch_loss_spread(run.model, run.train_set, batch_size=801)
    with pytest.raises(TypeError, match="run must be the result"):
        spread_at_epoch("run")
    with pytest.raises(ValueError, match="every=0"):
        FullLossProbe(run.model, run.train_set, every=0)
    with pytest.raises(ValueError, match="no validation losses"):
        returns_table(History(epoch_train_loss=[1.0]))
    with pytest.raises(ValueError, match="checkpoint=9"):
        returns_table(run.history, (1, 9))
    with pytest.raises(TypeError, match="noisy_loss_run"):
        plot_four_views(run.history)


def test_lr_10_survives_and_lr_100_diverges_and_still_draws():
    big = noisy_loss_run(lr=10, epochs=2)
    assert big.history.stop_reason in ("finished",) or big.history.stop_reason.startswith("diverged at step")
    plot_four_views(big)
    blown = noisy_loss_run(lr=100, epochs=2)
    assert blown.history.stop_reason == "diverged at step 3"  # loss 3.4e8, 5e8x its start
    fig = plot_four_views(blown)
    assert fig.axes[0].get_yscale() == "log"


def test_figures_draw(run):
    fig = plot_four_views(run, floor=label_noise_floor(0.1), zoom_epochs=2)
    assert len(fig.axes) == 2
    assert len(plot_four_views(run, zoom_epochs=None).axes) == 1
    spread = spread_at_epoch(run, epoch=0, batch_size=32, n_batches=200)
    assert isinstance(spread, BatchLossSpread)
    plot_batch_loss_spread(spread, xlim=(0, 1.2))
    texts = lambda fig: [t.get_text() for t in fig.axes[0].texts]  # noqa: E731
    high = float(np.quantile(spread.losses, 0.5))  # half the batches lie beyond this
    beyond = int((np.asarray(spread.losses) > high).sum())
    assert texts(plot_batch_loss_spread(spread, xlim=(0, high))) == [f"{beyond} batches beyond 0-{high:g}, not shown"]
    assert texts(plot_batch_loss_spread(spread, xlim=(0, max(spread.losses) + 1))) == []
    plot_spread_vs_batch_size(spread_table(run, epoch=1, batch_sizes=(8, 64), n_batches=100))
    h = run.history
    fig = plot_plateau(plateau_on_run(patience=1, val_loss=h.epoch_val_loss, train_loss=h.epoch_train_loss), floor=0.3)
    assert fig.axes[0].get_title().startswith("early stopping rule: patience=1")
    plot_plateau(detect_plateau([1.0, 0.9], patience=5))


# ----------------------------------------------------------------------------- section 3: can the noise help?


def test_trap_problem_has_a_best_valley_and_a_trap():
    from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import trap_problem

    trap = trap_problem()
    assert trap is trap_problem()  # computed once
    assert trap.best == pytest.approx(2.0, abs=0.05) and trap.trap == pytest.approx(5.17, abs=0.02)
    assert trap.best_valley[1] == trap.trap_valley[0]  # one hill between the two valleys
    assert trap.full_loss(trap.best) < 0.05 < 0.8 < trap.full_loss(trap.trap)
    assert [trap.region(w) for w in (2.0, 5.0, 9.0)] == ["best", "trap", "elsewhere"]


def test_escape_runs_are_independent_and_each_is_what_train_would_do():
    """A run trained side by side with others gets exactly its own batches' gradients: the same path as
    train() on that run alone, with the same batches."""
    from torch import nn

    from course_utils import train
    from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import escape_experiment, trap_problem
    from course_utils.repro import make_generator

    trap = trap_problem()
    both = escape_experiment(4, lr=0.2, epochs=3, runs=2, seed=5)
    g = make_generator(5)
    low, high = trap.trap_valley
    margin = 0.15 * (high - low)
    start = low + margin + (high - low - 2 * margin) * torch.rand(2, generator=g)
    assert torch.equal(start, both.start)
    orders = [torch.rand(2, len(trap.x), generator=g).argsort(dim=1) for _ in range(3)]
    batches = [(trap.x[o[0, i : i + 4]], trap.y[o[0, i : i + 4]]) for o in orders for i in range(0, len(trap.x), 4)]

    class Sine(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(start[:1].clone())

        def forward(self, x):
            return torch.sin(self.w * x)

    alone = Sine()
    train(alone, batches, optimizer=torch.optim.SGD(alone.parameters(), lr=0.2), epochs=1, loss_fn=nn.MSELoss())
    assert alone.w.item() == pytest.approx(both.end[0].item(), abs=1e-5)
    assert both.steps == 3 * 16 and both.path.shape == (4, 2)


def test_notebook_claims_noise_gets_runs_out_of_the_trap():
    from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import escape_experiment
    from course_utils.lessons.l06_noisy_loss_and_convergence.figures import plot_escape

    runs = {b: escape_experiment(b, lr=0.2, epochs=30) for b in (64, 16, 4, 1)}
    long_full = escape_experiment(64, lr=0.2, epochs=1920)
    assert long_full.steps == runs[1].steps == 1920 and runs[64].steps == 30
    assert runs[64].count("trap") == long_full.count("trap") == 50  # full batch never leaves, even with 1,920 steps
    assert runs[16].count("best") == 0 and runs[4].count("best") == 1 and runs[1].count("best") == 46
    big = {b: escape_experiment(b, lr=0.4, epochs=30) for b in (4, 1)}
    assert big[4].count("best") == 37 and big[1].count("best") == 9 and big[1].count("elsewhere") == 41
    assert float(big[1].problem.full_loss(big[1].end).mean()) > 0.8  # "where the loss is high"
    # try this: lr 0.1 with batch 1 and lr 0.4 with batch 4 (the same lr / batch) do about equally well
    assert abs(escape_experiment(1, lr=0.1).count("best") - big[4].count("best")) <= 5
    assert escape_experiment(64, lr=2.0).count("trap") == 50  # try this: bigger exact steps do not get out ...
    huge = escape_experiment(64, lr=5.0)
    assert huge.count("best") == 0 and huge.count("elsewhere") > 0  # ... and the few that leave miss the best valley
    assert "full batch, lr 0.2, 30 epochs (30 steps)" in runs[64].summary()
    fig = plot_escape([runs[64], long_full, runs[16], runs[4], runs[1]])
    assert len(fig.axes) == 3
    with pytest.raises(TypeError, match="escape_experiment"):
        plot_escape([])
    with pytest.raises(ValueError, match="batch_size=65"):
        escape_experiment(65)
    with pytest.raises(ValueError, match="region='nowhere'"):
        runs[1].count("nowhere")


# ----------------------------------------------------------------------------- the notebook's claims, one by one


@pytest.fixture(scope="module")
def full_run():
    return noisy_loss_run(batch_size=32, lr=0.3, optimizer="sgd", epochs=30, eval_every=5)


def test_notebook_claims_section_1_four_views(full_run):
    from course_utils import ema

    h = full_run.history
    smooth = ema(h.step_loss, 0.9)
    assert abs(h.step_loss[-1] - full_run.probe_loss[-1]) < 0.01  # "here it happens to land close to the truth"
    assert max(abs(r) for r in probe_residuals(full_run)) > 0.1  # "at other steps it is off by 0.1 or more"
    assert smooth[9] > full_run.probe_loss[2] + 0.05  # the moving average trails the true loss at the start
    gaps = [mean - at_end for _, mean, at_end in epoch_lag(full_run)]
    assert gaps[0] == max(gaps) and all(g > 0 for g in gaps[:5])  # above, most clearly in epoch 1
    measured = len(full_run.probe_steps) * len(full_run.train_set)
    assert measured > h.samples_seen  # "the probe costs more forward passes than the training itself"


def test_notebook_claims_section_2_why_steps_bounce(full_run):
    spread = spread_at_epoch(full_run, epoch=30, batch_size=32, n_batches=1000)
    assert 0.15 < spread.quantile(0.05) < 0.25 and 0.55 < spread.quantile(0.95) < 0.65  # "about 0.2 to 0.6"
    table = spread_table(full_run, epoch=30, batch_sizes=(8, 32, 128, 512))
    assert table[0].std / table[1].std == pytest.approx(2, rel=0.1)  # four times the batch, half the spread
    assert table[1].std / table[2].std == pytest.approx(2, rel=0.15)
    assert table[3].std * math.sqrt(512) < 0.7 * table[2].std * math.sqrt(128)  # "drops even faster" at 512
    res = probe_residuals(full_run, first_step=250)
    m = sum(res) / len(res)
    bounce = math.sqrt(sum((r - m) ** 2 for r in res) / (len(res) - 1))
    assert bounce == pytest.approx(spread.std, rel=0.1)  # "about the same size"
    start, end = spread_at_epoch(full_run, epoch=0), spread
    assert start.std < 0.05 and start.mean == pytest.approx(math.log(2), abs=0.05)  # try this: narrow at epoch 0
    assert end.mean < start.mean and end.std > start.std  # centre moves left, spread grows


def test_notebook_claims_section_1_try_this_band_widths():
    from course_utils import ema

    short = noisy_loss_run(batch_size=8, lr=0.3, epochs=5, eval_every=5)
    assert 0.15 < spread_at_epoch(short, epoch=5, batch_size=8).std < 0.3  # "roughly +-0.2"
    assert 0.02 < spread_at_epoch(short, epoch=5, batch_size=256).std < 0.045  # "against +-0.03"
    assert ema(short.history.step_loss, 0.0) == pytest.approx(short.history.step_loss)  # smooth = 0: the thin line
    assert noisy_loss_run(batch_size=512, lr=0.3, epochs=1, eval_every=None).history.steps == 2


def test_notebook_claims_section_4_floor_and_convergence(full_run):
    from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import label_noise_report

    h, floor = full_run.history, label_noise_floor(0.1)
    below = [v for v in h.step_loss if v < floor]
    assert len(below) == 194 and min(below) == pytest.approx(0.1400, abs=1e-4)  # batches land below the floor
    assert min(full_run.probe_loss) == pytest.approx(0.3668, abs=1e-4) and min(full_run.probe_loss) > floor
    assert floor < h.epoch_val_loss[-1] < floor + 0.1  # "a little above the floor"
    rows = {r["epoch"]: r for r in returns_table(h, checkpoints=(1, 2, 5, 10, 15, 20, 30))}
    assert rows[2]["val_gain"] == pytest.approx(0.0167, abs=1e-4) and rows[15]["gain_per_epoch"] < 0.004
    wobble = [abs(b - a) for a, b in zip(h.epoch_val_loss[19:], h.epoch_val_loss[20:])]
    assert rows[30]["val_gain"] < 0 and abs(rows[30]["val_gain"]) < max(wobble)  # "smaller than the wobble"
    plateau = detect_plateau(h.epoch_val_loss, patience=5)
    assert detect_plateau(h.epoch_val_loss, patience=5, min_delta=0.01).stop_epoch < plateau.stop_epoch
    train_at_end = [at_end for _, _, at_end in epoch_lag(full_run)]
    below_train = sum(v < t for v, t in zip(h.epoch_val_loss, train_at_end))
    report = label_noise_report(full_run)
    assert below_train == 25  # the validation loss below the training loss in most epochs
    assert (report.flipped_train, report.flipped_val) == (88, 20)
    assert report.train_floor == pytest.approx(0.3465, abs=1e-4) and report.val_floor == pytest.approx(floor)
    assert round(report.val_loss_std, 3) == 0.047  # "about 0.047"
    assert max(abs(v - t) for v, t in zip(h.epoch_val_loss, train_at_end)) < report.val_loss_std  # "more than
    # the two curves ever differ"
    with pytest.raises(TypeError, match="noisy_loss_run"):
        label_noise_report(h)


# ----------------------------------------------------------------------------- Q5: write your own callback
# (its right and wrong answers are in tests/exercise_cases.py)


def test_q5_hints_lead_to_state_stop():
    from course_utils.lessons.l06_noisy_loss_and_convergence import ch06

    assert len(ch06.q5.hints) == 2 and "state.stop" in ch06.q5.solution_text


def test_the_patience_demo_picture_redraws_only_the_rule_on_the_shared_curves():
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l06_noisy_loss_and_convergence.experiments import plateau_on_run
    from course_utils.lessons.l06_noisy_loss_and_convergence.figures import plateau_picture

    val = [1.0, 0.8, 0.7, 0.65, 0.66, 0.64, 0.645, 0.65, 0.66, 0.64, 0.67, 0.68]
    train = [0.9 - 0.05 * e for e in range(len(val))]
    picture = plateau_picture(floor=0.5)
    stopped = plateau_on_run(patience=2, min_delta=0.01, val_loss=val, train_loss=train)
    frame = picture(stopped)
    assert stopped[0].stop_epoch is not None and picture.stop_line.get_visible() and picture.span.get_visible()
    assert frame.titles == ["early stopping rule: patience=2, min_delta=0.01"]
    limits = picture.ax.get_xlim(), picture.ax.get_ylim()
    never = plateau_on_run(patience=12, val_loss=val, train_loss=train)
    picture(never)
    assert not picture.stop_line.get_visible() and "never runs out" in picture.note.get_text()
    assert (picture.ax.get_xlim(), picture.ax.get_ylim()) == limits  # the same axes for every setting
    pixels = [np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
              for png in (picture(stopped).png, picture.full_redraw(stopped))]  # fmt: skip
    assert np.abs(pixels[0] - pixels[1]).mean() < 1.0
    with pytest.raises(TypeError, match="detect_plateau"):
        picture(None)


def _pixels(png):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_the_four_views_demo_picture_keeps_its_axes_and_marks_runs_off_them(run):
    import numpy as np

    from course_utils.lessons.l06_noisy_loss_and_convergence.figures import FOUR_VIEWS_LIMITS, four_views_picture

    picture = four_views_picture(floor=0.325)
    assert picture.ax.get_xlim() == (0, 5) and picture.ax.get_ylim() == pytest.approx(FOUR_VIEWS_LIMITS)
    blown = noisy_loss_run(lr=100, epochs=2)  # diverges at step 3: drawn at the top edge, and said so
    frame = picture((blown, 0.9))
    assert picture.ax.get_xlim() == (0, 2)  # the epoch axis follows the epochs slider
    assert picture.clip_text.get_visible() and picture.stop_line.get_visible()
    assert picture.stop_text.get_text().strip() == blown.history.stop_reason
    assert frame.titles == [f"{blown.title}; moving average beta=0.9"]
    low, high = FOUR_VIEWS_LIMITS
    for view in ("step", "ema", "full"):
        y = np.asarray(picture.views[view].get_ydata(), dtype=float)
        assert len(y) and np.isfinite(y).all() and (low <= y).all() and (y <= high).all()
    smooth, rough = (_pixels(picture((run, beta)).png) for beta in (0.99, 0.0))  # the notebook's run, 4 epochs
    axes = picture.ax.get_xlim(), picture.ax.get_ylim()
    assert axes == ((0, 4), pytest.approx(FOUR_VIEWS_LIMITS))
    assert not picture.clip_text.get_visible() and not picture.stop_line.get_visible()
    assert np.abs(smooth - rough).mean() > 0.1  # another smoothing, another picture
    assert picture.title.get_text().endswith("beta=0")
    assert "800 training examples" in picture.legend.get_texts()[3].get_text()
    epoch_line, full_line = picture.views["epoch"], picture.views["full"]
    assert epoch_line.get_xdata()[-2] == 4 and full_line.get_xdata()[-1] == 4  # x in epochs: 4 of them
    assert (picture.ax.get_xlim(), picture.ax.get_ylim()) == axes  # fixed while only beta changed
    assert np.abs(rough - _pixels(picture.full_redraw((run, 0.0)))).mean() < 1.0  # blitted = fully drawn
    with pytest.raises(TypeError, match="noisy_loss_run"):
        picture(None)


def test_the_spread_demo_picture_keeps_its_axes_and_cuts_tall_bars(run):
    import numpy as np

    from course_utils.lessons.l06_noisy_loss_and_convergence.figures import (
        SPREAD_COUNT_LIMIT,
        SPREAD_LOSS_LIMITS,
        spread_picture,
    )

    picture = spread_picture()
    limits = picture.ax.get_xlim(), picture.ax.get_ylim()
    assert limits == (pytest.approx(SPREAD_LOSS_LIMITS), (0, SPREAD_COUNT_LIMIT))
    # a huge batch at the starting weights: every batch lands in one bin, far above the axis
    narrow = BatchLossSpread(512, [0.7] * 1000, full_loss=0.7, n_examples=800, example_std=0.01)
    wide = BatchLossSpread(1, [0.05, 0.2, 0.4, 2.5, 4.0] * 40, full_loss=1.4, n_examples=800, example_std=1.5)
    frame = picture(narrow)
    assert picture.cut_marks.get_xydata().tolist() == [[pytest.approx(0.705), SPREAD_COUNT_LIMIT]]
    assert "tallest: 1000 batches" in picture.notes.get_text()
    assert frame.titles[0].startswith("1000 different batches of 512,")
    assert max(picture.hist.get_data().values) == SPREAD_COUNT_LIMIT  # cut at the top, not rescaled
    picture(wide)  # single examples: some losses beyond the axis, counted in the note
    assert "80 batches beyond 0-1.2" in picture.notes.get_text() and len(picture.cut_marks.get_xdata()) == 0
    assert picture.full_line.get_xdata()[0] == picture.mean_line.get_xdata()[0] == pytest.approx(1.2)  # at the edge
    assert (picture.ax.get_xlim(), picture.ax.get_ylim()) == limits  # the same axes for every setting
    start, later = (spread_at_epoch(run, epoch=e, batch_size=32, n_batches=200) for e in (0, 4))
    frames = [_pixels(picture(s).png) for s in (start, later)]
    assert not picture.notes.get_visible() and "std" in picture.title.get_text()
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # other weights, another picture
    assert np.abs(frames[1] - _pixels(picture.full_redraw(later))).mean() < 1.0  # blitted = fully drawn
    with pytest.raises(TypeError, match="batch_loss_spread"):
        picture(None)
