"""The learning-rate range test: it sweeps, stops at the blow-up, suggests, and puts everything back."""

import copy
import math

import pytest
import torch
from torch import nn

from course_utils.data import make_moons, make_regression
from course_utils.history import ema
from course_utils.loop import train
from course_utils.lr_finder import RangeTestResult, lr_range_test, suggest_lr
from course_utils.models import make_mlp
from course_utils.plots import plot_range_test


def _bn_model(seed=1):
    """An MLP with BatchNorm (buffers that change in training) and dropout (randomness)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))


def _opt_state_equal(a: dict, b: dict) -> bool:
    if a["param_groups"] != b["param_groups"] or a["state"].keys() != b["state"].keys():
        return False
    for key in a["state"]:
        sa, sb = a["state"][key], b["state"][key]
        if sa.keys() != sb.keys():
            return False
        for name in sa:
            va, vb = sa[name], sb[name]
            if isinstance(va, torch.Tensor):
                if not torch.equal(va, vb):
                    return False
            elif va != vb:
                return False
    return True


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_restores_weights_buffers_grads_mode_and_optimizer_state(kind):
    data = make_moons(200, seed=0)
    model = _bn_model()
    params = model.parameters()
    opt = {"sgd": lambda: torch.optim.SGD(params, lr=0.05),
           "momentum": lambda: torch.optim.SGD(params, lr=0.05, momentum=0.9),
           "adam": lambda: torch.optim.Adam(params, lr=0.01)}[kind]()  # fmt: skip
    train(model, data, optimizer=opt, epochs=1, batch_size=50)  # the optimizer now has state (momentum, Adam)
    model.eval()  # a mode the test must give back
    weights = copy.deepcopy(model.state_dict())
    grads = [p.grad.clone() for p in model.parameters()]
    opt_state = copy.deepcopy(opt.state_dict())

    result = lr_range_test(model, data, optimizer=opt, batch_size=20, num_steps=40, end_lr=10.0)

    assert result.steps >= 2
    after = model.state_dict()
    assert after.keys() == weights.keys()
    assert all(torch.equal(after[k], weights[k]) for k in weights)  # weights and BatchNorm's running stats
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads))
    assert not model.training
    assert _opt_state_equal(opt.state_dict(), opt_state)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt_state["param_groups"]]


def test_training_after_the_test_is_identical_to_training_without_it():
    data = make_moons(300, seed=0)
    a, b = make_mlp(2, (16,), 2, seed=1), make_mlp(2, (16,), 2, seed=1)
    opt_a, opt_b = torch.optim.Adam(a.parameters(), lr=0.01), torch.optim.Adam(b.parameters(), lr=0.01)
    lr_range_test(a, data, optimizer=opt_a, num_steps=30)
    ha = train(a, data, optimizer=opt_a, epochs=2, seed=3)
    hb = train(b, data, optimizer=opt_b, epochs=2, seed=3)
    assert ha.step_loss == hb.step_loss and ha.step_lr == hb.step_lr == [0.01] * ha.steps
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_fresh_optimizer_state_stays_empty_and_grads_stay_none():
    data = make_moons(100, seed=0)
    model = make_mlp(2, (8,), 2, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lr_range_test(model, data, optimizer=opt, num_steps=20)
    assert opt.state_dict()["state"] == {}
    assert all(p.grad is None for p in model.parameters())


def test_two_calls_give_identical_results_even_with_dropout():
    data = make_moons(200, seed=0)
    model = _bn_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r1 = lr_range_test(model, data, optimizer=opt, num_steps=50)
    r2 = lr_range_test(model, data, optimizer=opt, num_steps=50)
    assert r1 == r2
    r3 = lr_range_test(model, data, optimizer=opt, num_steps=50, seed=1)
    assert r3.losses != r1.losses  # the seed really chooses the batches


def test_does_not_disturb_the_global_random_numbers():
    data = make_moons(100, seed=0)
    model = _bn_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    lr_range_test(model, data, optimizer=opt, num_steps=10)
    assert torch.equal(torch.rand(3), expected)


def test_schedule_is_geometric_and_reaches_end_lr_when_nothing_blows_up():
    data = make_moons(64, seed=0)  # 2 batches per epoch: 25 steps go round the data 13 times
    model = make_mlp(2, (8,), 2, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = lr_range_test(model, data, optimizer=opt, start_lr=1e-5, end_lr=1e-3, num_steps=25)
    assert r.stop_reason == "reached end_lr" and not r.blew_up
    assert r.steps == len(r.losses) == len(r.smoothed) == 25
    assert r.lrs[0] == pytest.approx(1e-5) and r.lrs[-1] == pytest.approx(1e-3)
    ratios = [b / a for a, b in zip(r.lrs, r.lrs[1:])]
    assert all(q == pytest.approx(100 ** (1 / 24)) for q in ratios)


def test_smoothed_is_the_bias_corrected_ema_and_the_suggestion_is_a_tenth_of_the_minimum():
    data = make_moons(300, seed=0)
    model = make_mlp(2, (16,), 2, seed=0)
    r = lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), smooth=0.8)
    assert r.smoothed == pytest.approx(ema(r.losses, 0.8))
    i = min(range(r.steps), key=r.smoothed.__getitem__)
    assert r.min_loss_lr == r.lrs[i] and r.suggested_lr == pytest.approx(r.lrs[i] / 10)
    assert suggest_lr(r.lrs, r.smoothed) == (r.suggested_lr, r.min_loss_lr)
    assert r.smoothed[i] < r.smoothed[0] * 0.8  # the loss really fell before the cliff


def test_stops_when_the_smoothed_loss_exceeds_the_factor():
    data = make_regression(300, seed=0)
    model = make_mlp(8, (32,), 1, seed=0)
    r = lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), end_lr=10.0)
    assert r.blew_up and r.stop_reason == f"loss blew up at step {r.steps}" and r.steps < 100
    assert r.smoothed[-1] > 4 * min(r.smoothed[:-1])
    assert all(s <= 4 * min(r.smoothed[: k + 1]) for k, s in enumerate(r.smoothed[:-1]))  # no earlier stop


def test_nan_or_inf_loss_stops_the_test_without_raising():
    data = make_regression(200, seed=0)
    model = make_mlp(8, (32,), 1, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = lr_range_test(model, data, optimizer=opt, start_lr=1e3, end_lr=1e8, num_steps=30, diverge_factor=1e300)
    assert r.blew_up and not math.isfinite(r.losses[-1]) and math.isnan(r.smoothed[-1])
    assert all(torch.isfinite(p).all() for p in model.parameters())  # restored
    plot_range_test(r)  # still draws


def test_plot_draws_both_outcomes():
    data = make_moons(200, seed=0)
    model = make_mlp(2, (8,), 2, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for end in (1e-2, 10.0, 1e4):
        fig = plot_range_test(lr_range_test(model, data, optimizer=opt, end_lr=end, num_steps=40))
        ax = fig.axes[0]
        assert ax.get_xscale() == "log" and "learning rate" in ax.get_xlabel()
    with pytest.raises(TypeError, match="RangeTestResult"):
        plot_range_test([1, 2])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(start_lr=1.0, end_lr=0.1), ValueError, "end_lr=0.1 must be larger than start_lr=1.0"),
        (dict(start_lr=0.1, end_lr=0.1), ValueError, "end_lr"),
        (dict(start_lr=0.0), ValueError, "start_lr=0.0"),
        (dict(start_lr=-1e-3), ValueError, "start_lr"),
        (dict(end_lr=float("inf")), ValueError, "end_lr"),
        (dict(num_steps=1), ValueError, "num_steps=1"),
        (dict(num_steps=10.0), TypeError, "num_steps"),
        (dict(smooth=1.0), ValueError, "smooth=1.0"),
        (dict(diverge_factor=1.0), ValueError, "diverge_factor=1.0"),
        (dict(batch_size=0), ValueError, "batch_size=0"),
        (dict(batch_size=1000), ValueError, "batch_size=1000"),
        (dict(seed=-1), ValueError, "seed=-1"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    data = make_moons(100, seed=0)
    model = make_mlp(2, (8,), 2, seed=0)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(".", r"\.")):
        lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_optimizer_of_another_model_or_not_an_optimizer_is_refused():
    data = make_moons(100, seed=0)
    model, other = make_mlp(2, (8,), 2, seed=0), make_mlp(2, (8,), 2, seed=0)
    with pytest.raises(ValueError, match="does not hold any of this model's parameters"):
        lr_range_test(model, data, optimizer=torch.optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        lr_range_test(model, data, optimizer="adam")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        lr_range_test("model", data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_result_is_the_documented_dataclass():
    fields = list(RangeTestResult.__dataclass_fields__)
    assert fields[:5] == ["lrs", "losses", "smoothed", "suggested_lr", "stop_reason"]
