"""Lesson 03's experiments and figures: the claims notebook 03 makes, determinism, bad input, divergence."""

import copy

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.lessons.l03_gradients_and_updates import ch03
from course_utils.lessons.l03_gradients_and_updates.experiments import (
    adam_by_hand,
    adam_vs_sgd,
    descend_1d,
    first_order_check,
    format_gradient_table,
    gradient_check,
    gradient_table,
    loss_slice,
    moons_example,
    relu_activity,
    train_line,
    zero_grad_comparison,
)
from course_utils.lessons.l03_gradients_and_updates.figures import (
    plot_adam_vs_sgd,
    plot_descent_1d,
    plot_gradient_check,
    plot_relu_activity,
    plot_zero_grad,
)


@pytest.fixture
def after_backward():
    model, X, y = moons_example()
    nn.functional.cross_entropy(model(X), y).backward()
    return model, X, y


# ----------------------------------------------------------------------------- section 1: the table


def test_every_trainable_parameter_has_a_grad_of_its_shape_and_frozen_ones_have_none(after_backward):
    model, _, _ = after_backward
    rows = gradient_table(model)
    assert [r.name for r in rows] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for r, p in zip(rows, model.parameters()):
        if r.name.startswith("0."):
            assert not r.requires_grad and r.grad_norm is None and p.grad is None
        else:
            assert r.requires_grad and r.grad_norm > 0 and p.grad.shape == p.shape
    text = format_gradient_table(rows)
    assert text.count("None") == 2 and "16x16" in text


def test_before_backward_there_are_no_gradients():
    model, _, _ = moons_example()
    assert all(r.grad_norm is None for r in gradient_table(model))


def test_moons_example_is_deterministic_and_can_leave_every_layer_trainable():
    a, Xa, _ = moons_example(seed=0)
    b, Xb, _ = moons_example(seed=0, freeze_first=False)
    assert torch.equal(Xa, Xb) and all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert all(p.requires_grad for p in b.parameters())


# ----------------------------------------------------------------------------- section 2: finite differences


def test_backward_agrees_with_finite_differences_in_float64(after_backward):
    model, X, y = after_backward
    check = gradient_check(model, X, y, h=1e-6, dtype="float64")
    assert check.n_checked == 256 + 16 + 32 + 2  # the frozen first layer is not checked
    assert check.max_rel_error < 1e-5  # the notebook says "about 4e-6"
    assert check.max_abs_error < 1e-9
    assert 0 < check.n_zero < check.n_checked
    # the check works on a copy: the model and its gradients are untouched
    assert model[2].weight.dtype == torch.float32 and model[0].weight.grad is None


def test_float32_finite_differences_are_far_worse(after_backward):
    model, X, y = after_backward
    c64 = gradient_check(model, X, y, h=1e-6, dtype="float64")
    c32 = gradient_check(model, X, y, h=1e-3, dtype="float32")
    assert c32.max_abs_error > 1000 * c64.max_abs_error
    assert c32.max_rel_error > 0.1


def test_gradient_check_is_deterministic(after_backward):
    model, X, y = after_backward
    a, b = gradient_check(model, X, y), gradient_check(model, X, y)
    assert torch.equal(a.numeric, b.numeric) and torch.equal(a.autograd, b.autograd) and a.names == b.names


def test_gradient_check_catches_a_wrong_gradient():
    """The check must be able to fail: a loss whose backward is wrong on purpose is caught."""

    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x  # should be 2x

    model = nn.Linear(3, 1)
    X, y = torch.randn(20, 3), torch.randn(20, 1)
    check = gradient_check(model, X, y, loss_fn=lambda p, t: Wrong.apply(p - t).mean())
    assert check.max_rel_error > 0.1


def test_gradient_check_bad_input(after_backward):
    model, X, y = after_backward
    with pytest.raises(ValueError, match="dtype='float16'"):
        gradient_check(model, X, y, dtype="float16")
    with pytest.raises(ValueError, match="h=0.0 is out of range"):
        gradient_check(model, X, y, h=0.0)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        gradient_check("model", X, y)
    frozen = copy.deepcopy(model).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        gradient_check(frozen, X, y)


def test_loss_slice_tangent_is_the_gradient(after_backward):
    model, X, y = after_backward
    s = loss_slice(model, X, y, "4.weight", (0, 11), width=1e-3, points=3)
    secant = (s.losses[2] - s.losses[0]).item() / (s.values[2] - s.values[0]).item()
    assert s.grad0 == pytest.approx(model[4].weight.grad[0, 11].item(), rel=1e-6)
    assert secant == pytest.approx(s.grad0, rel=1e-2)
    with pytest.raises(ValueError, match="param='5.weight' is not a parameter"):
        loss_slice(model, X, y, "5.weight", (0, 0))
    with pytest.raises(ValueError, match="index=.* does not point into 4.weight"):
        loss_slice(model, X, y, "4.weight", (2, 0))


def test_small_steps_change_the_loss_as_the_gradient_predicts(after_backward):
    model, X, y = after_backward
    rows = first_order_check(model, X, y, [0.001, 0.01, 3.0])
    assert all(r["actual"] < 0 for r in rows)  # every step went downhill
    assert rows[0]["actual"] == pytest.approx(rows[0]["predicted"], rel=0.01)
    assert rows[1]["actual"] == pytest.approx(rows[1]["predicted"], rel=0.01)
    assert abs(rows[2]["actual"] - rows[2]["predicted"]) > 0.2 * abs(rows[2]["predicted"])  # big step: off


# ----------------------------------------------------------------------------- section 3: the update by hand


def _two_copies_after_backward():
    model, X, y = moons_example()
    a, b = copy.deepcopy(model), copy.deepcopy(model)
    for m in (a, b):
        nn.functional.cross_entropy(m(X), y).backward()
    return a, b


def test_add_with_alpha_is_bit_identical_to_sgd_step():
    by_hand, by_sgd = _two_copies_after_backward()
    frozen = by_hand[0].weight.detach().clone()
    with torch.no_grad():
        for p in by_hand.parameters():
            if p.grad is not None:
                p.add_(p.grad, alpha=-0.1)
    torch.optim.SGD(by_sgd.parameters(), lr=0.1).step()
    assert all(torch.equal(p, q) for p, q in zip(by_hand.parameters(), by_sgd.parameters()))
    assert torch.equal(by_hand[0].weight, frozen)


def _ulp(t: torch.Tensor) -> torch.Tensor:
    """One unit in the last place of each float32 number: the gap to the next larger magnitude."""
    t = t.detach().abs()
    return torch.nextafter(t, torch.full_like(t, float("inf"))) - t


def test_minus_equals_differs_from_sgd_only_by_the_rounding_of_the_step():
    by_hand, by_sgd = _two_copies_after_backward()
    steps = [0.1 * p.grad if p.grad is not None else None for p in by_hand.parameters()]
    with torch.no_grad():
        for p, step in zip(by_hand.parameters(), steps):
            if step is not None:
                p -= step
    torch.optim.SGD(by_sgd.parameters(), lr=0.1).step()
    differ = sum(int((p != q).sum()) for p, q in zip(by_hand.parameters(), by_sgd.parameters()))
    assert 0 < differ < 20  # the notebook prints how many; a handful out of 306
    for p, q, step in zip(by_hand.parameters(), by_sgd.parameters(), steps):
        if step is None:
            assert torch.equal(p, q)
            continue
        # `p -= lr * g` rounds the step lr*g to float32 first (off by half a unit in ITS last place),
        # then the difference (half a unit in the result's last place); SGD's fused call at most the
        # latter. Where the result is much smaller than the step, the step's last place is several of
        # the result's: the notebook says so.
        assert ((p - q).abs() <= _ulp(q) + _ulp(step)).all()


# ----------------------------------------------------------------------------- section 4: the 1-D playground


def test_descend_1d_uses_real_autograd_numbers():
    d = descend_1d(lr=0.1, w_start=-1.0, steps=8)
    from course_utils.data import make_line

    x, y = (t[:, 0] for t in make_line(32, slope=2.0, intercept=0.0, noise=0.5, seed=0).tensors)
    for w, g, loss in zip(d.ws, d.grads, d.losses):
        assert g == pytest.approx(float(2 * (x * (w * x - y)).mean()), rel=1e-5)
        assert loss == pytest.approx(float(((w * x - y) ** 2).mean()), rel=1e-5)
    for k, g in enumerate(d.grads):
        assert d.ws[k + 1] == pytest.approx(d.ws[k] - 0.1 * g, abs=1e-6)
    assert d.curvature == pytest.approx(float(2 * (x * x).mean()), rel=1e-5)
    assert len(d.ws) == len(d.losses) == len(d.grads) + 1 == 9


def test_descend_1d_regimes():
    creep = descend_1d(lr=0.01)
    good = descend_1d(lr=0.1)
    overshoot = descend_1d(lr=0.562)
    diverge = descend_1d(lr=1.0)
    assert "creep" in creep.verdict() and abs(creep.ws[-1] - creep.w_best) > 0.7 * abs(creep.ws[0] - creep.w_best)
    assert all(a > b for a, b in zip(good.losses, good.losses[1:])) and all(w < good.w_best for w in good.ws)
    signs = [w > overshoot.w_best for w in overshoot.ws[:4]]
    assert signs == [False, True, False, True] and overshoot.losses[-1] < 1.01 * overshoot.loss_best
    assert diverge.losses[-1] > 100 * diverge.losses[0] and "diverges" in diverge.verdict()
    assert not diverge.diverged  # grew, but not yet a million-fold in 8 steps
    assert 2 / good.curvature == pytest.approx(0.82, abs=0.01)  # the edge the notebook names


def test_descend_1d_survives_lr_10_and_draws():
    d = descend_1d(lr=10.0)
    assert d.stop_reason == "diverged at step 3" and d.diverged
    assert "diverged at step 3" in d.describe()
    assert isinstance(plot_descent_1d(d), Figure)


def test_descend_1d_is_deterministic_and_checks_input():
    assert descend_1d(lr=0.3, w_start=4.0).ws == descend_1d(lr=0.3, w_start=4.0).ws
    with pytest.raises(ValueError, match="lr=0.0 is out of range"):
        descend_1d(lr=0.0)
    with pytest.raises(ValueError, match="w_start=50.0 is out of range"):
        descend_1d(w_start=50.0)
    with pytest.raises(TypeError, match="steps must be a whole number"):
        descend_1d(steps=2.5)


# ----------------------------------------------------------------------------- section 5: Adam


def test_adam_state_matches_the_formula_by_hand():
    trace = adam_vs_sgd(lr=0.01, steps=10)
    assert trace.state_step == [float(t) for t in range(1, 11)]
    hand = adam_by_hand(trace.grads, trace.lr, trace.betas, trace.eps)
    for h, m, v, u in zip(hand, trace.exp_avg, trace.exp_avg_sq, trace.adam_updates):
        assert torch.allclose(h["m"], m.double(), rtol=1e-5, atol=1e-10)
        assert torch.allclose(h["v"], v.double(), rtol=1e-5, atol=1e-12)
        assert torch.allclose(h["step"], u.double(), rtol=1e-4, atol=1e-8)


def test_adams_first_step_is_lr_for_every_number_sgds_is_lr_times_grad():
    trace = adam_vs_sgd(lr=0.01, steps=2)
    g, u = trace.all_grads[0], trace.all_adam_updates[0]
    big = g.abs() > 1e-6
    assert torch.allclose(u[big].abs(), torch.full_like(u[big], 0.01), rtol=1e-3)
    assert (torch.sign(u[big]) == -torch.sign(g[big])).all()
    assert torch.equal(trace.sgd_updates[0], -0.01 * trace.grads[0])
    assert u[big].abs().min() > 10 * (0.01 * g[big].abs()).min()  # Adam's steps are far from SGD's


def test_adam_vs_sgd_is_deterministic_survives_lr_10_and_checks_input():
    a, b = adam_vs_sgd(steps=3), adam_vs_sgd(steps=3)
    assert all(torch.equal(x, y) for x, y in zip(a.all_adam_updates, b.all_adam_updates))
    big = adam_vs_sgd(lr=10.0, steps=20)
    assert big.steps + (big.stop_reason != "finished") >= 1
    assert isinstance(plot_adam_vs_sgd(big), Figure)
    with pytest.raises(ValueError, match="watch='9.bias' is not known"):
        adam_vs_sgd(watch="9.bias")
    with pytest.raises(ValueError, match="batch_size=0 is out of range"):
        adam_vs_sgd(batch_size=0)


# ----------------------------------------------------------------------------- section 6: zero_grad


def test_backward_twice_doubles_the_gradient_exactly():
    model, X, y = moons_example()
    nn.functional.cross_entropy(model(X), y).backward()
    first = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    nn.functional.cross_entropy(model(X), y).backward()
    second = [p.grad for p in model.parameters() if p.grad is not None]
    assert all(torch.equal(s, 2 * f) for s, f in zip(second, first))


def test_zero_grad_comparison_claims():
    result = zero_grad_comparison(lr=0.05, epochs=25)
    w, wo = result.with_zero, result.without
    assert w.history.steps == wo.history.steps == 100
    assert w.history.step_loss[0] == wo.history.step_loss[0]  # the same start, the same first batch
    assert w.history.epoch_train_loss[-1] < 0.3
    assert wo.history.epoch_train_loss[-1] > 3 * w.history.epoch_train_loss[-1]
    assert max(abs(s - 2.0) for s in w.slopes[-20:]) < 0.1  # settled near the slope of the data
    assert max(wo.slopes[-40:]) > 3.5 and min(wo.slopes[-40:]) < 0.5  # still swinging after 60 steps
    assert min(wo.grad_norms[-40:]) > max(w.grad_norms[-40:])  # step() is handed the growing sum
    assert "between" in result.describe()


def test_without_zero_grad_step_is_handed_the_running_sum():
    """What the notebook explains: without zero_grad(), .grad at step t is g_1 + ... + g_t."""
    from course_utils.data import make_line
    from course_utils.models import make_linear

    X, y = make_line(64, seed=0).tensors
    model = make_linear(1, 1, seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    total = torch.zeros_like(model.weight)
    for i in range(4):
        xb, yb = X[16 * i : 16 * (i + 1)], y[16 * i : 16 * (i + 1)]
        probe = copy.deepcopy(model)  # this batch's own gradient, at the current weights
        nn.functional.mse_loss(probe(xb), yb).backward()
        total += probe.weight.grad
        nn.functional.mse_loss(model(xb), yb).backward()  # no zero_grad()
        assert torch.allclose(model.weight.grad, total, rtol=1e-6)
        optimizer.step()
    run, again = train_line(zero_grad=False, lr=0.05, epochs=1), train_line(zero_grad=False, lr=0.05, epochs=1)
    assert run.slopes == again.slopes and run.history.numbers() == again.history.numbers()


def test_zero_grad_comparison_survives_lr_10_and_checks_input():
    result = zero_grad_comparison(lr=10.0)
    assert result.with_zero.history.stop_reason.startswith("diverged at step")
    assert result.without.history.stop_reason.startswith("diverged at step")
    assert "diverged" in result.describe()
    assert isinstance(plot_zero_grad(result), Figure)
    with pytest.raises(ValueError, match="lr=-1.0 is out of range"):
        zero_grad_comparison(lr=-1.0)
    with pytest.raises(ValueError, match="batch_size=65 is out of range"):
        zero_grad_comparison(batch_size=65)


def test_gradient_check_figure_draws(after_backward):
    model, X, y = after_backward
    check = gradient_check(model, X, y)
    assert isinstance(plot_gradient_check(check, loss_slice(model, X, y, "4.weight", (0, 11), width=3.0)), Figure)


# ----------------------------------------------------------------------------- exercises (ch03): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q2_claim_holds():
    """What the run cell after Q2 shows: two backward() calls on two halves = 2 x one batch of all 32."""
    model, X, y = ch03._q3_setup()
    nn.functional.mse_loss(model(X[:16]), y[:16]).backward()
    nn.functional.mse_loss(model(X[16:32]), y[16:32]).backward()
    two = model[2].weight.grad.clone()
    model.zero_grad()
    nn.functional.mse_loss(model(X[:32]), y[:32]).backward()
    assert torch.allclose(two, 2 * model[2].weight.grad, rtol=1e-5, atol=1e-7)


def test_q4_answer_is_what_adam_really_does():
    p = nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    optimizer = torch.optim.Adam([p], lr=0.01)
    p.grad = torch.tensor([0.004], dtype=torch.float64)
    optimizer.step()
    assert abs(1.0 - p.item()) == pytest.approx(ch03.q4.expected, rel=1e-9)


# ----------------------------------------------------------------------------- the notebook's claims, one by one


def test_notebook_claims_section_1_and_2_the_gradients(after_backward):
    model, X, y = after_backward
    g = model[4].bias.grad
    assert g[0].item() == pytest.approx(-g[1].item(), rel=1e-6)  # "opposites, up to the last digit"
    w = model[4].weight
    i, j = divmod(int(w.grad.abs().argmax()), w.shape[1])
    with torch.no_grad():
        original = w[i, j].item()
        w[i, j] = original + 1e-3
        up = nn.functional.cross_entropy(model(X), y).item()
        w[i, j] = original - 1e-3
        down = nn.functional.cross_entropy(model(X), y).item()
        w[i, j] = original
    assert (up - down) / 2e-3 == pytest.approx(w.grad[i, j].item(), rel=1e-3)  # "agree to about four digits"
    check = gradient_check(model, X, y, h=1e-6, dtype="float64")
    assert check.n_checked == 306 and check.max_rel_error < 1e-5  # "a few millionths"
    rows = first_order_check(model, X, y, [0.001, 0.01, 0.1, 1.0, 3.0])
    assert all(r["actual"] < 0 for r in rows)  # "every step lowers the loss"
    assert rows[3]["actual"] > rows[3]["predicted"]  # lr = 1: the real drop is smaller than predicted
    assert rows[4]["actual"] / rows[4]["predicted"] == pytest.approx(0.60, abs=0.02)  # "only 60%"


def test_notebook_claims_dead_units(after_backward):
    model, X, y = after_backward
    activity = relu_activity(model, X)
    assert activity.dead == [[12], [6, 12]]
    assert (activity.total(), activity.total("dead"), activity.total("never together")) == (75, 52, 23)
    assert round(activity.on_share[0][4] * 200) == 5  # "unit 4 of the first layer is on for only 5 points"
    for name, p in model.named_parameters():  # the explanation accounts for every zero, and only those
        if p.grad is not None:
            assert torch.equal(p.grad == 0, activity.expected_zero[name])
    assert gradient_check(model, X, y, h=1e-6, dtype="float64").summary().count("75 exactly 0") == 1
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(50):  # "a dead unit stays dead"
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.6  # the rest of the network did learn
    after = relu_activity(model, X).dead
    assert 12 in after[0] and {6, 12} <= set(after[1])
    assert "unit 6, unit 12" in activity.summary()
    assert isinstance(plot_relu_activity(activity), Figure)
    with pytest.raises(TypeError, match="Linear and ReLU"):
        relu_activity(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2)), X)
    with pytest.raises(TypeError, match="relu_activity"):
        plot_relu_activity(None)


def test_notebook_claims_section_5_adam_keeps_state():
    """The cells of section 5: Adam's first step is lr, SGD's would be tiny; in step 2 the gradient changes
    sign but Adam keeps going the same way, less far; small Adam steps only where the gradient flips."""
    from torch.utils.data import TensorDataset

    from course_utils import make_loader

    model, X, y = moons_example()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    p = model[4].bias
    loader = make_loader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    grads, moves = [], []
    for _, (xb, yb) in zip(range(3), loader):
        loss = nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        before = p.detach().clone()
        optimizer.step()
        grads.append(p.grad[0].item())
        moves.append((p.detach() - before)[0].item())
    assert moves[0] == pytest.approx(0.01, rel=1e-3) and abs(0.01 * grads[0]) < 0.001
    assert grads[1] * grads[0] < 0  # the gradient changes sign ...
    assert moves[1] * moves[0] > 0 and abs(moves[1]) < abs(moves[0])  # ... Adam keeps going, less far
    trace = adam_vs_sgd(lr=0.01, steps=10, batch_size=32, seed=0)
    G = torch.stack(trace.all_grads)
    step10 = trace.all_adam_updates[9].abs()
    flips = ((torch.sign(G[1:]) * torch.sign(G[:-1])) < 0).sum(dim=0)
    small = (step10 < trace.lr / 3) & (G[9] != 0)
    assert small.any() and (flips[small] > 0).all()  # "only numbers whose gradient keeps changing sign"
    assert ((step10 > trace.lr / 3) | ~small).float().mean() > 0.8  # most steps stay close to lr
    assert [int((g == 0).sum()) for g in (G[0], G[9])] == [107, 125]  # the legend's "not drawn"


def test_notebook_claims_section_4_and_6_the_try_this_prompts():
    assert abs(descend_1d(lr=0.1, w_start=8.0).grads[0]) > abs(descend_1d(lr=0.1, w_start=-1.0).grads[0])
    slow = zero_grad_comparison(lr=0.01, epochs=25)  # "in the first 15 steps, without zero_grad() is faster"
    assert max(slow.without.slopes[:16]) > 1.95 and max(slow.with_zero.slopes[:16]) < 1.0
    assert slow.without.slopes[15] > 3  # ... and then it overshoots

    def swing(lr):
        s = zero_grad_comparison(lr=lr, epochs=25).without.slopes
        peaks = [i for i in range(1, len(s) - 1) if s[i] > s[i - 1] and s[i] >= s[i + 1]]
        return (peaks[-1] - peaks[0]) / (len(peaks) - 1), max(s) - min(s)

    (period_a, size_a), (period_b, size_b) = swing(0.05), swing(0.18)
    assert period_b < period_a / 1.5 and size_b >= size_a  # "faster, but not smaller"
    base = zero_grad_comparison(lr=0.05, epochs=25).without.slopes
    assert max(base) - 2 == pytest.approx(2 - base[0], rel=0.3)  # "overshoots by about as far as it started away"


def test_notebook_claims_in_place_updates_backward_twice_and_q2():
    model, X, y = moons_example()
    p = copy.deepcopy(model)[4].bias
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p -= 0.1 * torch.ones_like(p)  # an update outside torch.no_grad() is refused
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()  # the same loss twice: its saved values are gone
    model.zero_grad()
    assert all(q.grad is None for q in model.parameters())  # zero_grad() sets .grad back to None
    q2 = copy.deepcopy(model)
    nn.functional.cross_entropy(q2(X[:16]), y[:16]).backward()
    nn.functional.cross_entropy(q2(X[16:32]), y[16:32]).backward()
    two = q2[4].weight.grad.clone()
    q2.zero_grad()
    nn.functional.cross_entropy(q2(X[:32]), y[:32]).backward()
    assert torch.allclose(two, 2 * q2[4].weight.grad)  # Q2 (b): twice the gradient of the mean over all 32


def test_the_zero_grad_demo_picture_keeps_its_axes_and_marks_runs_off_them():
    from course_utils.lessons.l03_gradients_and_updates.figures import ZERO_GRAD_LIMITS, zero_grad_picture

    picture = zero_grad_picture()
    frame = picture(zero_grad_comparison(lr=10.0, epochs=50))  # both runs blow up
    assert [ax.get_ylim() for ax in picture.axes] == [pytest.approx(v) for v in ZERO_GRAD_LIMITS.values()]
    assert all(note.get_visible() for note in picture.notes.values()) and picture.stop_text.get_visible()
    assert "diverged at step" in picture.stop_text.get_text() and frame.titles[0].startswith("y = w x + b")
    picture(zero_grad_comparison(lr=0.05, epochs=25))  # the notebook's start: everything inside the axes
    assert not any(note.get_visible() for note in picture.notes.values()) and not picture.stop_text.get_visible()
    assert all(ax.get_xlim() == (0, 201) for ax in picture.axes)
    with pytest.raises(TypeError, match="zero_grad_comparison"):
        picture(None)


def test_the_descent_demo_picture_keeps_its_axes_and_shows_extremes_inside_them():
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l03_gradients_and_updates.figures import DESCENT_LIMITS, descent_picture

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)

    picture = descent_picture()
    limits = lambda: (picture.left.get_xlim(), picture.left.get_ylim(), picture.right.get_xlim(),  # noqa: E731
                      picture.right.get_ylim())  # fmt: skip
    fixed = tuple(pytest.approx(DESCENT_LIMITS[k]) for k in ("w", "loss", "steps", "loss_log"))
    wild = descend_1d(lr=10.0, w_start=8.0, steps=20)  # the sliders' extreme: step 1 leaves the plot, diverges
    frame = picture(wild)
    assert limits() == fixed and wild.diverged
    assert picture.off_note.get_visible() and "step 1 jumps out of view" in picture.off_note.get_text()
    assert picture.off_scale.get_visible() and len(picture.off_scale.get_xdata()) > 0  # marked on the top edge
    assert max(picture.per_step.get_ydata()) <= DESCENT_LIMITS["loss_log"][1]
    assert "diverged at step" in frame.titles[-1] and frame.titles[0].startswith("lr = 10")
    start = descend_1d(lr=0.1, w_start=-1.0, steps=8)  # the notebook's start: everything inside the axes
    blitted = pixels(picture(start).png)
    assert limits() == fixed and not picture.off_note.get_visible() and not picture.off_scale.get_visible()
    drawn = ~np.broadcast_to(picture.arrows.Umask, picture.arrows.U.shape)  # the arrows not masked out
    assert drawn.sum() == len(picture.landings.get_xdata()) == 8 and "after step 8" in picture.right_title.get_text()
    assert np.abs(blitted - pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    far = descend_1d(lr=0.1, w_start=-4.0, steps=20)  # the slider's other start: still inside the left panel
    assert np.abs(pixels(picture(far).png) - blitted).mean() > 0.1 and limits() == fixed
    (w0, l0), (x0, x1), (_, y1) = picture.start.get_xydata()[0], DESCENT_LIMITS["w"], DESCENT_LIMITS["loss"]
    assert x0 <= w0 <= x1 and l0 <= y1 and not picture.off_note.get_visible()
    with pytest.raises(TypeError, match="descend_1d"):
        picture(None)
