"""Lesson 06: the full-set probe, the spread of batch losses, the plateau rule, diminishing returns."""

import math

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
    plot_spread_vs_batch_size(spread_table(run, epoch=1, batch_sizes=(8, 64), n_batches=100))
    h = run.history
    fig = plot_plateau(plateau_on_run(patience=1, val_loss=h.epoch_val_loss, train_loss=h.epoch_train_loss), floor=0.3)
    assert fig.axes[0].get_title().startswith("early stopping rule: patience=1")
    plot_plateau(detect_plateau([1.0, 0.9], patience=5))
