"""Lesson 07: the experiments are seeded, survive lr=10, and back the claims the notebook makes."""

import math

import pytest
import torch

from course_utils.data import make_moons
from course_utils.lessons.l07_learning_rate import ch07
from course_utils.lessons.l07_learning_rate.experiments import (
    DescentPath,
    compare_learning_rates,
    compare_momentum,
    compare_schedules,
    descent_path,
    descent_paths,
    frictionless,
    lr_sweep,
    make_offset_line,
    momentum_steps,
    range_test_then_train,
    train_at_lr,
)
from course_utils.lessons.l07_learning_rate.figures import (
    plot_descent_path,
    plot_descent_paths,
    plot_lr_comparison,
    plot_lr_run,
    plot_lr_sweep,
    plot_momentum,
    plot_range_test_then_train,
    plot_schedules,
)
from course_utils.lr_finder import lr_range_test
from course_utils.models import make_mlp

SMALL = dict(n_samples=300, epochs=2)


# ----------------------------------------------------------------------------- training at several rates


def test_compare_is_deterministic_and_only_the_rate_differs():
    a = compare_learning_rates((0.01, 0.3), **SMALL)
    b = compare_learning_rates((0.01, 0.3), **SMALL)
    assert [r.history.numbers() for r in a] == [r.history.numbers() for r in b]
    assert a[0].history.step_loss[0] == a[1].history.step_loss[0]  # same start, same first batch
    assert [r.settings["lr"] for r in a] == [0.01, 0.3]


def test_the_three_regimes_of_section_1():
    small, good, large = compare_learning_rates((0.003, 0.3, 1.0))
    assert small.history.stop_reason == good.history.stop_reason == "finished"
    assert good.history.epoch_val_loss[-1] < small.history.epoch_val_loss[-1] / 3
    h = large.history
    assert h.stop_reason == "diverged at step 5" and h.steps == 4  # "the four good steps"
    losses = h.step_loss
    factors = [b / a for a, b in zip(losses[1:], losses[2:])]
    assert losses[1] < losses[0] and all(f > 10 for f in factors)  # grows after two steps...
    assert factors == sorted(factors)  # ... by a larger factor every step
    assert h.diverged_loss > 1e4 * h.start_loss  # "far past" 10,000 x its start at step 5
    assert all(v < 1e4 * h.start_loss for v in losses)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_lr_10_is_a_result_and_its_figure_draws(optimizer):
    run = train_at_lr(10.0, optimizer=optimizer, **SMALL)
    h = run.history
    assert h.stop_reason in ("finished", f"diverged at step {h.steps + 1}")
    assert all(math.isfinite(v) for v in h.step_loss)
    plot_lr_run(run)
    plot_lr_comparison([run, train_at_lr(0.1, optimizer=optimizer, **SMALL)])
    if optimizer == "sgd":
        assert h.diverged


def test_bad_learning_rates_are_named():
    with pytest.raises(ValueError, match="lr=0.0"):
        train_at_lr(0.0)
    with pytest.raises(ValueError, match=r"lrs\[1\]=-1.0"):
        compare_learning_rates((0.1, -1.0))
    with pytest.raises(TypeError, match="lrs must be a non-empty list"):
        compare_learning_rates(0.1)
    with pytest.raises(TypeError, match="lrs must be a non-empty list"):
        compare_learning_rates(())
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        train_at_lr(0.1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="runs is empty"):
        plot_lr_comparison([])


# ----------------------------------------------------------------------------- the path on the loss map


def test_descent_path_is_real_sgd_and_deterministic():
    p = descent_path(0.42, steps=3)
    X, y = make_offset_line(100, 1.0, seed=0).tensors
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(-1.0)
        model.bias.fill_(0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.42)
    for k in range(1, 4):
        loss = torch.nn.functional.mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert p.path[k] == (model.weight.item(), model.bias.item())
        assert p.losses[k - 1] == pytest.approx(loss.item())
    assert descent_path(0.42, steps=3) == p


def test_descent_path_does_not_touch_the_global_random_state():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    descent_path(0.1, steps=5)
    assert torch.equal(torch.rand(2), expected)


def test_closed_forms_match_torch_linalg():
    p = descent_path(0.1, steps=1, offset=0.7)
    X, y = make_offset_line(100, 0.7, seed=0).tensors
    design = torch.stack([X[:, 0].double(), torch.ones(100, dtype=torch.float64)], dim=1)
    w, b = torch.linalg.lstsq(design, y.double()).solution[:, 0].tolist()
    assert (p.w_best, p.b_best) == pytest.approx((w, b), rel=1e-9)
    hessian = 2 * design.T @ design / 100
    eig = sorted(torch.linalg.eigvalsh(hessian).tolist(), reverse=True)
    assert p.curvatures == pytest.approx(eig, rel=1e-9)
    vec = torch.linalg.eigh(hessian)[1][:, 1]
    assert abs(float(vec @ torch.tensor(p._steep_direction(), dtype=torch.float64))) == pytest.approx(1.0)


def test_loss_map_matches_the_data_and_the_optimum():
    p = descent_path(0.1, steps=1)
    X, y = make_offset_line(100, 1.0, seed=0).tensors
    for w, b in [(0.0, 0.0), (2.0, -1.0), (-1.0, 3.0)]:
        direct = ((w * X + b - y) ** 2).mean().item()
        assert p.loss_at(w, b) == pytest.approx(direct, rel=1e-5)
    eps = 1e-3
    for dw, db in [(eps, 0), (-eps, 0), (0, eps), (0, -eps)]:
        assert p.loss_at(p.w_best + dw, p.b_best + db) > p.best_loss


def test_the_four_regimes_and_the_numbers_the_notebook_quotes():
    paths = descent_paths((0.04, 0.5, 0.9, 1.1))
    assert [p.kind for p in paths] == ["slow creep", "direct descent", "zig-zag", "flies off"]
    p = paths[0]
    assert p.curvatures[0] == pytest.approx(4.27, abs=0.01) and p.curvatures[1] == pytest.approx(0.32, abs=0.01)
    assert p.condition_number == pytest.approx(13.3, abs=0.1) and p.critical_lr == pytest.approx(0.468, abs=1e-3)
    creep, direct, zigzag, off = paths
    assert zigzag.losses[-1] < direct.losses[-1] < creep.losses[-1]  # the zig-zag ends closest
    assert off.losses[-1] > 1e4 * off.losses[0]  # flew off
    growth = [b / a for a, b in zip(off.losses[-6:], off.losses[-5:])]
    assert all(g == pytest.approx(1.44, rel=0.05) for g in growth)  # (1 - 1.1 * 2) ** 2
    # direct descent: lr = 1/curvature removes the steep part in one step
    assert not direct.zigzags and zigzag.zigzags


def test_the_critical_rate_is_a_sharp_boundary():
    below, above = descent_paths((0.98, 1.02), steps=400)
    assert below.stop_reason == "finished" and below.losses[-1] == pytest.approx(below.best_loss, rel=1e-3)
    assert above.stop_reason.startswith("diverged at step") and above.kind == "flies off"


def test_centred_inputs_round_the_valley_q2():
    a, b = descent_path(0.42), descent_path(0.42, offset=0.0)
    assert a.kind == "zig-zag" and b.kind == "direct descent"
    assert b.curvatures[0] == pytest.approx(2.0, abs=0.05) and b.curvatures[1] == pytest.approx(0.69, abs=0.05)
    assert b.critical_lr == pytest.approx(1.0, abs=0.01)
    assert b.distance_left < a.distance_left / 100


def test_huge_rate_stops_cleanly_and_draws():
    p = descent_path(10.0, steps=50)
    assert p.stop_reason.startswith("diverged at step") and p.kind == "flies off"
    assert int(p.stop_reason.split()[-1]) < 5 and len(p.losses) == len(p.path) <= 5
    assert all(math.isfinite(w) and math.isfinite(b) for w, b in p.path)
    plot_descent_path(p)
    plot_descent_paths([p, descent_path(0.1)])


def test_mini_batch_paths_are_noisy_but_seeded():
    a = descent_path(0.1, batch_size=10, steps=20)
    assert a == descent_path(0.1, batch_size=10, steps=20)
    assert a.path != descent_path(0.1, steps=20).path


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(lr=-0.1), ValueError, "lr=-0.1"),
        (dict(steps=0), ValueError, "steps=0"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(batch_size=0), ValueError, "batch_size=0"),
        (dict(offset=float("nan")), ValueError, "offset"),
        (dict(start=(float("inf"), 0.0)), ValueError, "start"),
    ],
)
def test_descent_path_bad_input(kwargs, error, words):
    settings = dict(lr=0.1) | kwargs
    with pytest.raises(error, match=words):
        descent_path(**settings)


def test_descent_paths_bad_fraction():
    with pytest.raises(ValueError, match="fraction=0.0"):
        descent_paths((0.5, 0.0))
    with pytest.raises(ValueError, match="paths is empty"):
        plot_descent_paths([])


def test_descent_path_is_a_dataclass_with_the_documented_fields():
    assert {"lr", "path", "losses", "stop_reason", "curvatures"} <= set(DescentPath.__dataclass_fields__)


# ----------------------------------------------------------------------------- range test, then train


def test_range_test_then_train_backs_section_5():
    rt = range_test_then_train()
    assert rt.weights_unchanged and rt.optimizer_unchanged
    assert rt.test.stop_reason == "loss blew up at step 84"
    assert rt.test.min_loss_lr == pytest.approx(0.45, abs=0.01)
    assert rt.test.suggested_lr == pytest.approx(rt.test.min_loss_lr / 10)
    low, mid, high = (r.history for r in rt.runs)
    assert high.diverged and not mid.diverged and not low.diverged
    assert mid.epoch_val_loss[-1] < low.epoch_val_loss[-1] / 3
    assert rt.labels == ["0.01 x suggested", "suggested", "30 x suggested"]
    plot_range_test_then_train(rt)


def test_range_test_then_train_with_adam_and_is_deterministic():
    a = range_test_then_train(optimizer="adam", n_samples=300, epochs=1, num_steps=40)
    b = range_test_then_train(optimizer="adam", n_samples=300, epochs=1, num_steps=40)
    assert a.test == b.test and [r.history.numbers() for r in a.runs] == [r.history.numbers() for r in b.runs]
    assert a.weights_unchanged and a.optimizer_unchanged
    with pytest.raises(ValueError, match="low_factor=0.0"):
        range_test_then_train(low_factor=0.0)
    with pytest.raises(ValueError, match="optimizer='lbfgs'"):
        range_test_then_train(optimizer="lbfgs")


# ----------------------------------------------------------------------------- the sweep


def test_sweep_marks_divergence_and_summarises():
    sweep = lr_sweep([0.01, 0.3, 10.0], **SMALL)
    for name in ("sgd", "adam"):
        assert sweep.diverged_at[name][:2] == [None, None] and math.isfinite(sweep.final_loss[name][1])
        assert sweep.diverged_at[name][2] is not None and math.isnan(sweep.final_loss[name][2])
        assert sweep.first_divergence(name) == 10.0
    assert lr_sweep([0.01, 0.3], **SMALL).first_divergence("sgd") is None
    lr, loss = sweep.best("sgd")
    assert loss == min(v for v in sweep.final_loss["sgd"] if math.isfinite(v))
    low, high = sweep.good_range("sgd")
    assert low <= lr <= high and sweep.good_decades("sgd") >= 0
    assert lr_sweep([0.01, 0.3, 10.0], **SMALL) == sweep
    plot_lr_sweep(sweep)


def test_sweep_bad_input():
    with pytest.raises(TypeError, match="optimizers must be a list"):
        lr_sweep([0.1], optimizers="sgd")
    with pytest.raises(ValueError, match="optimizers='nag'"):
        lr_sweep([0.1], optimizers=("sgd", "nag"))
    with pytest.raises(ValueError, match=r"lrs\[0\]"):
        lr_sweep([-0.1])


def test_the_sweep_claims_the_notebook_makes():
    """The notebook compares all 22 numbers under nbval; here the claims, on the rates that decide them."""
    sweep = lr_sweep([10**-1.5, 10**-0.5, 1.0, 10**0.5, 10.0])
    assert sweep.best("sgd")[0] == pytest.approx(10**-0.5) and sweep.best("adam")[0] == pytest.approx(10**-1.5)
    assert sweep.best("adam")[1] < sweep.best("sgd")[1]
    # "both diverge, Adam later": SGD from 1, Adam from 3.2, which passes 10,000 x its start by step 3
    assert sweep.first_divergence("sgd") == pytest.approx(1.0)
    assert sweep.first_divergence("adam") == pytest.approx(10**0.5)
    assert sweep.diverged_at["adam"][sweep.lrs.index(sweep.first_divergence("adam"))] == 3
    assert math.isfinite(sweep.final_loss["adam"][sweep.lrs.index(1.0)])  # Adam still finished at lr 1


# ----------------------------------------------------------------------------- exercises (ch07): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


# (q2's experiment, centred inputs descend directly: test_centred_inputs_round_the_valley_q2 above)


def test_q1_answer_is_what_gradient_descent_does():
    def run(lr, steps=200):
        w = 0.0
        for _ in range(steps):
            w -= lr * 8 * (w - 3)
        return abs(w - 3)

    assert run(0.24) < 1e-3 and run(0.26) > 3


def test_q3_reference_is_the_schedule_lr_range_test_uses():
    data = make_moons(100, seed=0)
    model = make_mlp(2, (8,), 2, seed=0)
    r = lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), start_lr=1e-5,
                      end_lr=1e-3, num_steps=20)  # fmt: skip
    assert r.steps == 20
    assert r.lrs == pytest.approx([ch07.reference_range_test_lr(i, 1e-5, 1e-3, 20) for i in range(20)], rel=1e-12)


# ----------------------------------------------------------------------------- momentum (section 5)


def test_momentum_zero_is_the_plain_path_bit_for_bit():
    assert descent_path(0.42, momentum=0.0).path == descent_path(0.42).path
    assert descent_path(0.42, momentum=0.5).path != descent_path(0.42).path


def test_momentum_steps_add_up_on_a_slope_and_cancel_when_the_gradient_flips():
    steady = momentum_steps(lr=0.1, beta=0.9, steps=40)
    flipping = momentum_steps(lr=0.1, beta=0.9, steps=40, alternating=True)
    assert steady[0] == pytest.approx(0.1) and steady[1] == pytest.approx(0.19)
    assert all(b > a for a, b in zip(steady, steady[1:]))  # the velocity piles up
    assert steady[-1] == pytest.approx(0.1 / (1 - 0.9), rel=0.02)  # towards lr / (1 - beta)
    assert flipping[-1] == pytest.approx(-0.1 / (1 + 0.9), rel=0.02)  # alternating, towards lr / (1 + beta)
    assert flipping[-2] == pytest.approx(0.1 / (1 + 0.9), rel=0.02)
    assert momentum_steps(lr=0.1, beta=0.0, steps=5) == pytest.approx([0.1] * 5)  # plain SGD: lr every step


def test_step_size_theory_numbers_the_notebook_quotes():
    theory = descent_path(0.1, steps=1).theory
    assert theory.kappa == pytest.approx(13.29, abs=0.01)
    assert theory.critical_lr() == pytest.approx(0.468, abs=1e-3)
    assert theory.critical_lr(0.9) == pytest.approx(0.889, abs=1e-3)
    assert theory.best_lr == pytest.approx(0.4352, abs=1e-4) and theory.best_rate == pytest.approx(0.8601, abs=1e-4)
    lr, beta = theory.best_momentum
    assert lr == pytest.approx(0.5764, abs=1e-4) and beta == pytest.approx(0.3244, abs=1e-4)
    assert theory.best_momentum_rate == pytest.approx(0.5695, abs=1e-4)
    assert theory.rate(lr, beta) == pytest.approx(theory.best_momentum_rate, rel=1e-6)
    assert theory.rate(theory.best_lr) == pytest.approx(theory.best_rate, rel=1e-9)
    # the best pair really is the best: nearby settings are slower in theory
    assert all(theory.rate(lr * f, beta + db) >= theory.best_momentum_rate - 1e-9
               for f in (0.9, 1.0, 1.1) for db in (-0.05, 0.0, 0.05))
    # kappa = 100, the example in the prose: 98% against 82%
    wide = type(theory)(100.0, 1.0)
    assert round(wide.best_rate, 2) == 0.98 and round(wide.best_momentum_rate, 2) == 0.82


@pytest.mark.parametrize(
    "lr, beta, tolerance",
    [(None, 0.0, 1e-3), ("0.9crit", 0.0, 1e-3), ("best", 0.35, 0.006), (0.3, 0.5, 0.005), (0.1, 0.9, 0.002)],
)
def test_measured_convergence_matches_the_prediction(lr, beta, tolerance):
    theory = descent_path(0.1, steps=1).theory
    lr = {None: theory.best_lr, "0.9crit": 0.9 * theory.critical_lr(), "best": theory.best_momentum[0]}.get(lr, lr)
    p = descent_path(lr, momentum=beta, steps=150, precision="float64")
    assert p.predicted_rate < 1 and p.stop_reason == "finished"
    assert p.measured_rate() == pytest.approx(p.predicted_rate, abs=tolerance)


def test_at_exactly_the_best_pair_the_double_root_shows():
    """The notebook says: measured 0.590 against 0.570 at exactly the best pair (a factor t in front)."""
    theory = descent_path(0.1, steps=1).theory
    lr, beta = theory.best_momentum
    p = descent_path(lr, momentum=beta, steps=150, precision="float64")
    assert round(p.measured_rate(), 3) == 0.590 and p.predicted_rate == pytest.approx(0.5695, abs=1e-4)
    assert p.measured_rate() < descent_path(theory.best_lr, steps=150, precision="float64").measured_rate() - 0.25


def test_momentum_beats_plain_gd_each_at_its_best():
    theory = descent_path(0.1, steps=1).theory
    lr, beta = theory.best_momentum
    best = compare_momentum(lr, beta, plain_lr=theory.best_lr, steps=60)
    plain, heavy = best.plain.distances(), best.heavy.distances()
    assert heavy[30] < 1e-5 * heavy[0] and 1e-3 * plain[0] < plain[30] < 1e-1 * plain[0]  # 1e-6 against 1e-2
    assert heavy[30] < plain[30] / 1000
    assert "momentum 0.324371" in best.describe() and "plain SGD" in best.describe()
    plot_momentum(best)
    plot_momentum(compare_momentum(0.6, 0.99))  # plain flies off; momentum swings: both draw


@pytest.mark.parametrize("beta", [0.0, 0.9])
def test_the_cliff_with_momentum_is_2_1_plus_beta_over_lambda(beta):
    below, above = descent_paths((0.98, 1.02), steps=400, momentum=beta)
    assert below.stop_reason == "finished" and above.stop_reason.startswith("diverged at step")
    assert below.lr == pytest.approx(0.98 * 2 * (1 + beta) / below.curvatures[0])


def test_forgetting_zero_grad_is_momentum_one():
    fr = frictionless(lr=0.1, steps=200)
    assert fr.identical
    d = fr.momentum_one.distances()
    assert min(d[100:]) > 0.1 and max(d[100:]) > 0.9 * d[0]  # it never settles
    assert descent_path(0.1, steps=200, momentum=0.9).distances()[-1] < 0.05 * d[0]  # with friction it does


def test_momentum_bad_input():
    with pytest.raises(ValueError, match="momentum=1.5"):
        descent_path(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="precision='float16'"):
        descent_path(0.1, precision="float16")
    with pytest.raises(ValueError, match="beta=-0.1"):
        momentum_steps(0.1, -0.1)
    with pytest.raises(ValueError, match="measured_rate needs"):
        descent_path(0.1, steps=5).measured_rate(first=10)


    # the answer is what real SGD does on L(w) = 4 (w - 3)^2
    for lr, converges in ((0.98 * 0.475, True), (1.02 * 0.475, False)):
        w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([w], lr=lr, momentum=0.9)
        for _ in range(400):
            loss = (4 * (w - 3) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert (abs(w.item() - 3) < 1e-3) is converges


# ----------------------------------------------------------------------------- schedules (section 8)


def test_schedules_compared_fairly_back_the_notebook():
    runs = compare_schedules()
    h = {name: run.history for name, run in runs.items()}
    const, cosine, one = h["constant 0.3"], h["cosine from 0.3 to 0"], h["one-cycle, peak 0.3"]
    default, control = h["one-cycle, PyTorch's default"], h["constant 0.3, momentum 0.9"]
    final = {name: x.epoch_val_loss[-1] for name, x in h.items() if not x.diverged}
    # plain SGD throughout: neither schedule beat the constant rate (1.26x and 1.34x)
    assert final["cosine from 0.3 to 0"] / final["constant 0.3"] == pytest.approx(1.26, abs=0.01)
    assert final["one-cycle, peak 0.3"] / final["constant 0.3"] == pytest.approx(1.34, abs=0.01)
    # the default one-cycle switches momentum on, and wins by 3.8x; momentum alone diverges
    assert final["constant 0.3"] / final["one-cycle, PyTorch's default"] == pytest.approx(3.8, abs=0.05)
    assert control.stop_reason == "diverged at step 73"
    # the same batches and the same start in every run
    assert len({x.step_loss[0] for x in h.values()}) == 1  # the loss of the first batch, before any update
    # why cosine did not help: half the mean rate, about what a constant rate at that mean gives
    mean = lambda x: sum(x.step_lr) / len(x.step_lr)  # noqa: E731
    assert mean(cosine) == pytest.approx(0.151, abs=0.001) and mean(one) == pytest.approx(0.151, abs=0.001)
    assert cosine.step_lr[-1] < 1e-4 and default.step_lr[-1] < 1e-5
    assert abs(final["constant 0.15"] - final["cosine from 0.3 to 0"]) < 0.01
    assert final["cosine from 0.3 to 0"] < final["constant 0.15"]
    # the constant run was still improving in its last epoch
    assert const.epoch_val_loss[-2] == pytest.approx(0.1274, abs=1e-4)
    assert final["constant 0.3"] < 0.75 * const.epoch_val_loss[-2]
    plot_schedules(runs)


def test_one_cycle_default_really_cycles_momentum():
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=125)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=125, cycle_momentum=False)
    assert opt.param_groups[0]["momentum"] == 0


# ----------------------------------------------------------------------------- the rest of the prose's claims


def test_claims_of_sections_1_and_2():
    small, good, large = compare_learning_rates((0.003, 0.3, 1.0))
    ratio = small.history.epoch_val_loss[-1] / good.history.epoch_val_loss[-1]
    assert round(ratio) == 4  # "the validation loss is four times that of lr = 0.3"
    first = good.history.step_loss[:6]
    assert max(first[2:]) > first[0]  # "the first few steps overshoot a little (the bump at the start)"
    losses = large.history.step_loss
    factors = [b / a for a, b in zip(losses[1:], losses[2:])]
    assert factors == sorted(factors)  # "after step 2, every step multiplies the loss by a larger factor"
    assert losses[1] < losses[0]  # ... step 2 itself still went down


def test_claims_of_section_4_the_four_regimes():
    creep, direct, zigzag, _ = descent_paths((0.04, 0.5, 0.9, 1.1))
    lam_max, lam_min = creep.curvatures
    assert round(creep.lr * lam_max, 2) == 0.08 and round(creep.lr * lam_min, 3) == 0.006  # 8% and 0.6% per step
    assert round(creep.distance_left, 2) == 0.71  # "71% of the distance to the star is still left"
    assert direct.lr * lam_max == pytest.approx(1.0)  # lr = 1 / h across the valley: the factor is 0
    assert round(1 - zigzag.lr * lam_max, 1) == -0.8
    assert zigzag.distance_left < direct.distance_left < creep.distance_left


def test_claims_of_section_6_range_test_against_the_sweep():
    rt = range_test_then_train()
    best_of_section_1 = compare_learning_rates((0.3,))[0].history.epoch_val_loss[-1]
    assert best_of_section_1 < rt.runs[1].history.epoch_val_loss[-1]  # lr 0.3 beat the suggestion ...
    assert round(0.3 / rt.test.suggested_lr) == 7  # ... at about 7 x the suggestion
    assert rt.test.steps < rt.runs[1].history.steps  # the test cost less than one run


@pytest.mark.slow
def test_claims_of_section_7_the_full_sweep():
    sweep = lr_sweep()
    assert sweep.good_decades("sgd") == pytest.approx(1.0) and sweep.good_decades("adam") == pytest.approx(0.5)
    adam_default = sweep.final_loss["adam"][sweep.lrs.index(min(sweep.lrs, key=lambda lr: abs(lr - 1e-3)))]
    assert round(adam_default, 2) == 0.18 and round(adam_default / sweep.best("adam")[1]) == 6
    assert all(d is not None for lr, d in zip(sweep.lrs, sweep.diverged_at["sgd"]) if lr >= 1.0)


def test_the_slider_notches_the_instructor_guide_quotes():
    """docs/instructor_guide.md, lesson 07: where each optimizer first goes over the cliff on the slider."""
    reason = lambda lr, opt: train_at_lr(lr, optimizer=opt).history.stop_reason  # noqa: E731
    assert reason(10**-0.5, "sgd") == "finished" and reason(10**-0.25, "sgd").startswith("diverged")
    assert reason(10**0.25, "adam") == "finished" and reason(10**0.5, "adam").startswith("diverged")


# ----------------------------------------------------------------------------- the demos' pictures


def _pixels(png):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_the_lr_demo_picture_keeps_its_axes_and_marks_divergence_inside_them():
    import numpy as np

    from course_utils.lessons.l07_learning_rate.figures import LR_LOSS_LIMITS, LrRunPicture

    picture = LrRunPicture()
    start = train_at_lr(0.1)  # the demo's start
    frame = picture(start)
    assert not picture.stop_mark.get_visible() and not picture.clip_note.get_visible()
    assert frame.titles == ["sgd at lr = 0.1: final val loss " + f"{start.history.epoch_val_loss[-1]:.4f}"]
    assert np.abs(_pixels(frame.png) - _pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    blown = train_at_lr(0.55)  # the loss passes 1000 before the run stops at step 9
    other = picture(blown)
    assert picture.ax.get_ylim() == pytest.approx(LR_LOSS_LIMITS) and picture.ax.get_xlim() == (0, 125)
    assert blown.history.diverged and picture.stop_mark.get_visible() and picture.clip_note.get_visible()
    assert picture.stop_text.get_text().startswith(blown.history.stop_reason)
    low, high = LR_LOSS_LIMITS
    assert all(low <= v <= high for line in (picture.step_line, picture.smooth_line) for v in line.get_ydata())
    assert picture.stop_mark.get_ydata()[0] == high and not picture.stop_mark.get_clip_on()  # whole on the edge
    assert np.abs(_pixels(frame.png) - _pixels(other.png)).mean() > 0.5  # another rate, another picture
    picture(train_at_lr(10.0, optimizer="adam"))  # the slider's top: one step, then diverged
    assert picture.stop_mark.get_visible() and picture.ax.get_ylim() == pytest.approx(LR_LOSS_LIMITS)
    with pytest.raises(TypeError, match="train_at_lr"):
        picture(None)


def test_the_descent_demo_picture_keeps_its_axes_over_offsets_and_steps():
    import numpy as np

    from course_utils.lessons.l07_learning_rate.figures import GAP_LIMITS, DescentPathPicture

    picture = DescentPathPicture()
    start = descent_path(0.1)  # the demo's start
    frame = picture(start)
    axes = (picture.left.get_xlim(), picture.left.get_ylim(), picture.right.get_xlim(), picture.right.get_ylim())
    assert axes[2] == (0, 100) and axes[3] == pytest.approx(GAP_LIMITS)
    assert np.abs(_pixels(frame.png) - _pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    assert not picture.left_note.get_visible() and not picture.stop.get_visible()
    assert frame.titles == ["lr = 0.1 = 0.21 x critical: slow creep", "finished; final loss 0.2208"]
    for offset in (0.0, 2.0):  # every offset's start and best (w, b) lie on the one map
        p = descent_path(0.9 * descent_path(0.1, offset=offset, steps=1).critical_lr, offset=offset, steps=100)
        picture(p)
        (w0, w1), (b0, b1) = axes[:2]
        assert all(w0 <= w <= w1 and b0 <= b <= b1 for w, b in (p.path[0], (p.w_best, p.b_best)))
        assert [a.get_visible() for a in picture.surfaces[offset]] == [True] * 3
        assert not any(a.get_visible() for o, arts in picture.surfaces.items() if o != offset for a in arts)
    wild = descent_path(10**0.5, offset=2.0, steps=100)  # the sliders' far corner: flies off at once
    other = picture(wild)
    assert (picture.left.get_xlim(), picture.left.get_ylim(), picture.right.get_xlim(),
            picture.right.get_ylim()) == axes  # fmt: skip
    assert picture.left_note.get_visible() and "left the map" in picture.left_note.get_text()
    assert picture.stop.get_visible() and picture.clip_note.get_visible()
    assert max(picture.gaps.get_ydata()) == GAP_LIMITS[1] and not picture.stop.get_clip_on()
    assert np.abs(_pixels(frame.png) - _pixels(other.png)).mean() > 0.5
    with pytest.raises(ValueError, match="offsets"):
        picture(descent_path(0.1, offset=0.5))


def test_the_momentum_demo_picture_keeps_its_axes_and_marks_runs_that_fly_off():
    import numpy as np

    from course_utils.lessons.l07_learning_rate.figures import DISTANCE_LIMITS, MomentumPicture

    picture = MomentumPicture()
    start = compare_momentum(0.1, 0.9)  # the demo's start
    frame = picture(start)
    axes = (picture.left.get_xlim(), picture.left.get_ylim(), picture.right.get_xlim(), picture.right.get_ylim())
    assert axes[2] == (0, 40) and axes[3] == pytest.approx(DISTANCE_LIMITS)
    assert np.abs(_pixels(frame.png) - _pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    assert not picture.left_note.get_visible() and not any(s.get_visible() for s in picture.stops)
    assert all(p.get_visible() for p in picture.predicted)
    assert "x0.968" in frame.titles[-1] and "x0.949" in frame.titles[-1]  # the predicted factors, in the title
    other = picture(compare_momentum(0.6, 0.99))  # plain SGD flies off, momentum swings
    assert (picture.left.get_xlim(), picture.left.get_ylim(), picture.right.get_xlim(),
            picture.right.get_ylim()) == axes  # fmt: skip
    assert picture.stops[0].get_visible() and not picture.stops[1].get_visible() and picture.clip_note.get_visible()
    assert not picture.predicted[0].get_visible() and "(> 1)" in other.titles[-1]
    assert max(picture.measured[0].get_ydata()) == DISTANCE_LIMITS[1] and "plain SGD: left the map" in \
        picture.left_note.get_text()  # fmt: skip
    assert np.abs(_pixels(frame.png) - _pixels(other.png)).mean() > 0.5
    picture(compare_momentum(10**0.5, 0.99))  # the sliders' far corner: both fly off
    assert all(s.get_visible() for s in picture.stops) and picture.right.get_ylim() == pytest.approx(DISTANCE_LIMITS)
    with pytest.raises(ValueError, match="MomentumPicture"):
        picture(compare_momentum(0.1, 0.9, steps=60))
