"""Lesson 08: under-, good and overfitting from real runs; the best checkpoint; early stopping."""

import pytest
import torch
from torch.utils.data import TensorDataset

from course_utils import EarlyStopping, evaluate, make_mlp, train
from course_utils.data import label_noise_floor
from course_utils.lessons.l08_training_vs_validation import ch08
from course_utils.lessons.l08_training_vs_validation.experiments import (
    MAX_TRAIN,
    N_VAL,
    FitRun,
    fit_many,
    fit_moons,
    fit_report,
    mode_check,
    moons_pool,
)
from course_utils.lessons.l08_training_vs_validation.figures import (
    plot_boundary,
    plot_curves,
    plot_fit,
    plot_fit_gallery,
)

OVER = dict(width=64, depth=2, n_train=100, epochs=300, label_noise=0.1)


@pytest.fixture(scope="module")
def over():
    return fit_moons(**OVER)


def test_same_seed_same_numbers():
    a, b = fit_moons(epochs=20), fit_moons(epochs=20)
    assert a.history.numbers() == b.history.numbers()
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    assert fit_moons(epochs=20, seed=1).history.epoch_val_loss != a.history.epoch_val_loss


def test_pool_is_nested_and_flips_are_nested():
    train10, val10, flipped10 = moons_pool(0.1)
    train30, val30, flipped30 = moons_pool(0.3)
    assert len(train10) == MAX_TRAIN and len(val10) == N_VAL
    assert torch.equal(train10.tensors[0], train30.tensors[0])  # the same points, whatever the noise
    assert bool((flipped30 | ~flipped10).all())  # more noise flips a superset of the labels
    assert 0.07 < flipped10.float().mean().item() < 0.13
    clean, _, none = moons_pool(0.0)
    assert not none.any()
    assert torch.equal(clean.tensors[1][~flipped10], train10.tensors[1][~flipped10])
    small, big = fit_moons(n_train=50, epochs=1), fit_moons(n_train=200, epochs=1)
    assert torch.equal(small.train_set.tensors[0], big.train_set.tensors[0][:50])


def test_the_loop_is_train_bit_for_bit():
    run = fit_moons(width=32, depth=2, n_train=100, epochs=40, label_noise=0.1)
    pool, val_set, _ = moons_pool(0.1)
    data = TensorDataset(pool.tensors[0][:100], pool.tensors[1][:100])
    model = make_mlp(2, (32, 32), 2, seed=1000)
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=40, batch_size=100,
              shuffle=False, val_data=val_set)  # fmt: skip
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), run.model.parameters()))
    assert h.epoch_train_loss == run.history.epoch_train_loss
    assert h.epoch_val_loss == run.history.epoch_val_loss
    assert h.epoch_val_acc == run.history.epoch_val_acc
    assert h.epoch_train_acc == run.history.epoch_train_acc


def test_overfitting_is_unmistakable(over):
    r = fit_report(over)
    assert r["best_epoch"] < 60
    assert r["last_val_loss"] > 3 * r["best_val_loss"]  # the notebook: "more than four times"
    assert r["last_train_loss"] < label_noise_floor(0.1) / 3  # far below what new data allow: memorised
    assert r["last_train_acc"] > 0.95 and r["last_val_acc"] < r["best_val_acc"]
    assert r["lowest_train_loss"] == r["last_train_loss"]  # the lowest training loss is the worst validation
    assert r["flipped_in_train"] == int(over.flipped.sum()) > 5


def test_underfit_and_good_fit():
    under = fit_report(fit_moons(depth=0, n_train=1000, epochs=150, label_noise=0.1))
    good = fit_report(fit_moons(width=64, depth=2, n_train=1000, epochs=150, label_noise=0.1))
    assert abs(under["last_train_loss"] - under["last_val_loss"]) < 0.05  # close together ...
    assert under["last_val_loss"] > good["last_val_loss"] + 0.08  # ... and both high
    assert abs(good["last_train_loss"] - good["last_val_loss"]) < 0.05
    assert good["last_val_loss"] < good["best_val_loss"] * 1.1  # no real rise: a good fit
    assert label_noise_floor(0.1) < good["last_val_loss"] < 0.4


def test_best_model_and_early_stopping_agree(over):
    pool, val_set, _ = moons_pool(0.1)
    assert evaluate(over.best_model, val_set)[0] == over.history.best_val_loss
    data = TensorDataset(pool.tensors[0][:100], pool.tensors[1][:100])
    model = make_mlp(2, (64, 64), 2, seed=1000)
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=300, batch_size=100,
              shuffle=False, val_data=val_set, callbacks=[EarlyStopping(patience=20)])  # fmt: skip
    assert h.stop_reason == f"early stopping at epoch {over.history.best_epoch + 20}"
    assert h.best_epoch == over.history.best_epoch and h.restored_best
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), over.best_model.parameters()))


def test_more_data_shrinks_the_gap():
    gaps = []
    for n in (100, 400):
        r = fit_report(fit_moons(width=64, depth=2, n_train=n, epochs=150, label_noise=0.1))
        gaps.append(r["last_val_loss"] - r["last_train_loss"])
    assert gaps[0] > 2 * gaps[1]


def test_bad_input_names_the_argument(over):
    with pytest.raises(ValueError, match="width=0"):
        fit_moons(width=0)
    with pytest.raises(ValueError, match="depth=5"):
        fit_moons(depth=5)
    with pytest.raises(ValueError, match=f"n_train={MAX_TRAIN + 1}"):
        fit_moons(n_train=MAX_TRAIN + 1)
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        fit_moons(epochs=10.5)
    with pytest.raises(ValueError, match="label_noise=0.6"):
        fit_moons(label_noise=0.6)
    with pytest.raises(ValueError, match="lr=0.0"):
        fit_moons(lr=0.0)
    with pytest.raises(ValueError, match="optimizer='lbfgs'"):
        fit_moons(optimizer="lbfgs")
    with pytest.raises(TypeError, match="fit_moons"):
        fit_report("run")
    with pytest.raises(TypeError, match="fit_moons"):
        plot_fit(over.history)
    with pytest.raises(ValueError, match="one title per run"):
        plot_fit_gallery([over], ["a", "b"])


def test_lr_10_survives_and_a_blow_up_still_draws():
    for optimizer in ("adam", "sgd"):
        run = fit_moons(lr=10, optimizer=optimizer, epochs=30)
        assert run.history.stop_reason == "finished" or run.history.stop_reason.startswith("diverged at step")
        plot_fit(run)
    blown = fit_moons(lr=1e4, optimizer="momentum", epochs=30)
    assert blown.history.stop_reason.startswith("diverged at step")
    assert blown.history.diverged
    assert blown.summary().startswith("diverged at step")
    plot_fit(blown)


def test_figures_draw(over):
    fig = plot_fit(over)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    plot_curves(over, log=False, stop_epoch=49)
    plot_boundary(fit_moons(depth=0, epochs=5))
    runs = fit_many([dict(depth=0, epochs=5), dict(epochs=5)])
    assert all(isinstance(r, FitRun) for r in runs)
    assert len(plot_fit_gallery(runs, ["under", "over"]).axes) == 4
    assert "last epoch: train loss" in over.summary()


# ----------------------------------------------------------------------------- exercises (ch08): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q2_answer_is_the_best_epoch_plus_the_patience():
    assert ch08.q2.expected == 79  # best epoch 29 + patience 50


# ----------------------------------------------------------------------------- train mode and eval mode


@pytest.fixture(scope="module")
def modes():
    return mode_check(dropout=0.5, epochs=20)


def test_dropout_answers_differ_in_train_mode_and_repeat_in_eval_mode(modes):
    a, b = modes.outputs_train
    assert max(abs(x - y) for x, y in zip(a, b)) > 0.05
    assert modes.outputs_eval[0] == modes.outputs_eval[1]


def test_the_validation_loss_in_train_mode_is_noisy_and_higher(modes):
    """The notebook: five train-mode measurements spread over 0.026, every one above the eval-mode 0.3896."""
    assert modes.val_loss_eval == pytest.approx(0.3896, abs=1e-4)
    assert round(modes.train_mode_spread, 3) == 0.026
    assert min(modes.val_losses_train) > modes.val_loss_eval
    assert evaluate(modes.model, moons_pool()[1])[0] == pytest.approx(modes.val_loss_eval, abs=1e-6)


def test_measuring_in_train_mode_changes_batch_norm(modes):
    assert modes.running_mean_moved > 0.01 and modes.running_mean_moved_eval == 0.0


def test_without_dropout_batch_norm_alone_still_differs_between_modes():
    m = mode_check(dropout=0.0, epochs=20)
    assert m.outputs_train[0] == m.outputs_train[1]  # no dropout: the same batch gives the same answer
    assert m.outputs_train[0] != m.outputs_eval[0]  # but batch statistics are not the running averages
    assert len(set(m.val_losses_train)) == 1 and m.val_losses_train[0] != m.val_loss_eval
    assert m.running_mean_moved > 0


def test_mode_check_is_seeded_and_leaves_the_global_random_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    a = mode_check(epochs=2)
    assert torch.equal(torch.rand(3), expected)
    assert mode_check(epochs=2).val_losses_train == a.val_losses_train
    with pytest.raises(ValueError, match="dropout=1.5"):
        mode_check(dropout=1.5)


# ----------------------------------------------------------------------------- the prose's claims, number by number


def test_claims_of_section_2_the_three_cases(over):
    under, good = (fit_report(r) for r in fit_many([dict(depth=0, n_train=1000, epochs=300),
                                                      dict(width=64, depth=2, n_train=1000, epochs=300)]))  # fmt: skip
    r = fit_report(over)
    assert (round(under["last_train_loss"], 2), round(under["last_val_loss"], 2)) == (0.50, 0.48)  # "0.50 and 0.48"
    floor = label_noise_floor(0.1)
    assert (round(good["last_train_loss"], 2), round(good["last_val_loss"], 2)) == (0.35, 0.39)  # "0.35 and 0.39"
    assert floor < good["last_train_loss"] < good["last_val_loss"] < floor + 0.1  # "a little above the floor"
    assert round(r["last_train_loss"], 3) == 0.056 and r["best_epoch"] == 29  # "to 0.056", "best at epoch 29"
    assert r["last_val_loss"] > 4 * r["best_val_loss"]  # "climbed to more than four times that value"


def test_claims_of_section_4_the_lowest_training_loss_is_not_the_best_model(over):
    r = fit_report(over)
    assert r["last_epoch"] - r["best_epoch"] == 271
    assert round(r["best_train_loss"] / r["last_train_loss"], 1) == 6.5  # "six and a half times smaller"
    assert round(r["val_ratio"], 1) == 4.5  # "a validation loss 4.5 times higher"
    assert 7 < 100 * (r["best_val_acc"] - r["last_val_acc"]) < 8  # "more than 7 points less accuracy"
    assert 300 - (r["best_epoch"] + 20) == 251  # early stopping with patience 20 "saved 251 epochs"


def test_claim_of_section_3_each_doubling_shrinks_the_gap(over):
    runs = [over, *fit_many([dict(n_train=200, epochs=300), dict(n_train=400, epochs=300)])]
    gaps = [fit_report(r)["last_val_loss"] - fit_report(r)["last_train_loss"] for r in runs]
    assert gaps == sorted(gaps, reverse=True)


def test_claim_of_q4_clean_labels_still_overfit():
    clean = fit_report(fit_moons(width=64, depth=2, n_train=100, epochs=300, label_noise=0.0))
    assert clean["last_val_loss"] > 3 * clean["best_val_loss"]  # b) the validation loss rises well above its best
    assert clean["last_train_loss"] < 0.1


def test_the_demo_picture_keeps_its_axes_and_shows_extremes_inside_them():
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l08_training_vs_validation.figures import LOSS_LIMITS, fit_picture

    picture = fit_picture()
    extreme = fit_moons(width=256, depth=3, n_train=25, epochs=400, label_noise=0.0)  # training loss reaches 0
    frame = picture(extreme)
    assert picture.right.get_ylim() == pytest.approx(LOSS_LIMITS) and picture.right.get_xlim() == (0, 401)
    assert picture.clip_text.get_visible()  # losses beyond the axis: drawn at its edge, and said so
    assert frame.titles[0] == extreme.title and "what the model learned" in frame.titles
    diverged = fit_moons(lr=50.0, epochs=50)
    picture(diverged)
    assert diverged.history.diverged and picture.stop_line.get_visible()
    assert picture.stop_text.get_text().strip() == diverged.history.stop_reason
    start = fit_moons()
    pixels = [np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
              for png in (picture(start).png, picture.full_redraw(start))]  # fmt: skip
    assert not picture.clip_text.get_visible() and not picture.stop_line.get_visible()
    assert np.abs(pixels[0] - pixels[1]).mean() < 1.0  # the blitted frame is the fully drawn picture


def test_the_demo_start_shows_the_validation_loss_turning_upwards():
    """The notebook: the demo starts at 60 epochs, "enough to see the validation loss turn upwards"."""
    r = fit_report(fit_moons(width=64, depth=2, n_train=100, epochs=60, label_noise=0.1))
    assert r["best_epoch"] < 40 and r["last_val_loss"] > 1.2 * r["best_val_loss"]
    assert r["last_train_loss"] < r["best_train_loss"]  # the training loss kept falling all the while
