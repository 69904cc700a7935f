"""Lesson 02 (forward pass and loss): the experiments, the claims the notebook makes, the figures, the demo."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.lessons.l02_forward_and_loss import ch02
from course_utils.lessons.l02_forward_and_loss.experiments import (
    CHAR_CONTEXT,
    LineExplorer,
    char_example,
    classifier_example,
    cross_entropy_by_hand,
    describe_line_point,
    line_surface,
    metric_during_training,
    metric_slice,
    mse_by_hand,
    regression_example,
    top_next_chars,
)
from course_utils.lessons.l02_forward_and_loss.figures import (
    plot_class_probabilities,
    plot_line_explorer,
    plot_loss_breakdowns,
    plot_metric_vs_loss,
    plot_next_chars,
)

CONTEXT = "Beautiful is better th"


def _forward(example):
    with torch.no_grad():
        return example.model(example.X)


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_models_batches_and_predictions():
    a, b = regression_example(seed=0), regression_example(seed=0)
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y) and torch.equal(_forward(a), _forward(b))
    c, d = classifier_example(seed=0), classifier_example(seed=0)
    assert torch.equal(_forward(c), _forward(d)) and torch.equal(c.y, d.y)
    e, f = char_example(), char_example()
    assert top_next_chars(e.model, e.vocab, CONTEXT) == top_next_chars(f.model, f.vocab, CONTEXT)
    assert not torch.equal(_forward(regression_example(seed=1)), _forward(a))


def test_trained_char_model_is_deterministic():
    a, b = char_example(train_steps=5), char_example(train_steps=5)
    assert a.history.step_loss == b.history.step_loss
    assert top_next_chars(a.model, a.vocab, CONTEXT) == top_next_chars(b.model, b.vocab, CONTEXT)


def test_line_surface_is_cached_and_read_only():
    s1, s2 = line_surface(), line_surface()
    assert s1 is s2  # computed once
    with pytest.raises(ValueError):
        s1.loss[0, 0] = 0.0
    assert line_surface(seed=1) is not s1


# ----------------------------------------------------------------------------- forward pass claims


def test_regression_forward_gives_one_number_per_example():
    ex = regression_example(n_examples=5)
    pred = _forward(ex)
    assert pred.shape == (5, 1) == ex.y.shape


def test_classifier_softmax_rows_sum_to_one_and_argmax_is_unchanged():
    ex = classifier_example(n_examples=5, n_classes=4)
    logits = _forward(ex)
    probs = torch.softmax(logits, dim=1)
    assert logits.shape == (5, 4)
    assert torch.allclose(probs.sum(dim=1), torch.ones(5), atol=1e-6)
    assert (probs >= 0).all()
    assert torch.equal(probs.argmax(dim=1), logits.argmax(dim=1))


def test_untrained_char_model_spreads_its_bets_and_training_changes_them():
    ex = char_example()
    assert len(ex.vocab) == 45 and CHAR_CONTEXT == 8
    top = top_next_chars(ex.model, ex.vocab, CONTEXT, k=5)
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert top[0][1] < 0.1  # nearly a blind guess (1/45 = 0.022 each)
    everything = top_next_chars(ex.model, ex.vocab, CONTEXT, k=len(ex.vocab))
    assert math.isclose(sum(p for _, p in everything), 1.0, abs_tol=1e-5)
    with torch.no_grad():
        start_loss = nn.CrossEntropyLoss()(ex.model(ex.data.tensors[0]), ex.data.tensors[1]).item()
    assert abs(start_loss - math.log(45)) < 0.2  # untrained: about ln(45) = 3.81
    trained = char_example(train_steps=30)
    assert trained.history.steps == 30 and trained.history.stop_reason == "finished"
    after = top_next_chars(trained.model, trained.vocab, CONTEXT)
    assert after[0][0] == "a" and after[0][1] > 0.5  # "...better th" -> "a" (than)
    # only the last CHAR_CONTEXT characters count
    assert top_next_chars(ex.model, ex.vocab, "xx" + CONTEXT) == top


# ----------------------------------------------------------------------------- losses by hand


def test_mse_by_hand_equals_torch():
    ex = regression_example()
    bd = mse_by_hand(_forward(ex), ex.y)
    assert len(bd.per_example) == 5
    assert abs(bd.mean - bd.torch_mean) < 1e-6 and bd.max_difference < 1e-6
    assert math.isclose(bd.mean, sum(bd.per_example) / 5, rel_tol=1e-6)
    assert bd.torch_mean == pytest.approx(nn.MSELoss()(_forward(ex), ex.y).item(), abs=1e-7)


def test_cross_entropy_by_hand_is_minus_log_p_correct_and_equals_torch():
    ex = classifier_example()
    logits = _forward(ex)
    bd = cross_entropy_by_hand(logits, ex.y)
    assert bd.max_difference < 1e-6
    for p, loss in zip(bd.p_correct, bd.per_example):
        assert loss == pytest.approx(-math.log(p), abs=1e-6)
    probs = torch.softmax(logits, dim=1)
    assert list(bd.p_correct) == pytest.approx(probs[torch.arange(5), ex.y].tolist(), abs=1e-7)
    assert abs(bd.mean - math.log(4)) < 0.1  # untrained, 4 classes: close to ln 4


def test_cross_entropy_of_a_perfect_logit_is_tiny_and_of_probabilities_is_not():
    logits = torch.tensor([[10.0, 0.0, 0.0, 0.0]])
    target = torch.tensor([0])
    assert cross_entropy_by_hand(logits, target).mean < 1e-3
    wrong = nn.CrossEntropyLoss()(torch.tensor([[1.0, 0.0, 0.0, 0.0]]), target).item()  # probabilities passed
    assert wrong == pytest.approx(-math.log(math.e / (math.e + 3)), abs=1e-6)  # 0.744, what ch02.q4 says


# ----------------------------------------------------------------------------- the line model


def test_least_squares_minimum_is_the_true_minimum():
    s = line_surface()
    X = torch.tensor(np.stack([s.x, np.ones_like(s.x)], 1))
    solution = torch.linalg.lstsq(X, torch.tensor(s.y)[:, None]).solution[:, 0]
    assert s.best_w == pytest.approx(solution[0].item(), abs=1e-9)
    assert s.best_b == pytest.approx(solution[1].item(), abs=1e-9)
    gw, gb = s.gradient_at(s.best_w, s.best_b)
    assert abs(gw) < 1e-9 and abs(gb) < 1e-9
    assert s.loss.min() >= s.best_loss - 1e-12
    assert abs(s.best_w - 2.0) < 0.1 and abs(s.best_b + 1.0) < 0.1  # the data lie near y = 2x - 1


def test_surface_grid_loss_and_gradient_agree_with_torch():
    s = line_surface(resolution=21)
    j, i = 7, 13
    w, b = float(s.w_values[j]), float(s.b_values[i])
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    x, y = torch.tensor(s.x, dtype=torch.float32), torch.tensor(s.y, dtype=torch.float32)
    loss = nn.MSELoss()(wt * x + bt, y)
    loss.backward()
    assert s.loss[i, j] == pytest.approx(loss.item(), rel=1e-5)
    assert s.loss_at(w, b) == pytest.approx(loss.item(), rel=1e-5)
    gw, gb = s.gradient_at(w, b)
    assert gw == pytest.approx(wt.grad.item(), rel=1e-4) and gb == pytest.approx(bt.grad.item(), rel=1e-4)


def test_explorer_remembers_its_own_path_and_the_loss_falls_towards_the_minimum():
    e1, e2 = LineExplorer(), LineExplorer()
    losses = [e1(w, b).loss for w, b in [(-1.0, 2.0), (0.0, 1.0), (1.0, 0.0), (2.0, -1.0)]]
    assert losses == sorted(losses, reverse=True)
    point = e1(2.0, -1.0)  # the same setting again is not a new step on the path
    assert len(point.path) == 4 and point.previous_loss == losses[2]
    assert e2.path == ()  # no shared state between explorers
    assert "you are at the bottom" in describe_line_point(point)
    text = describe_line_point(e2(-1.0, 2.0))
    assert "your starting point" in text and "increase w, decrease b" in text
    assert "down " in describe_line_point(e2(0.0, 1.0))
    assert "UP " in describe_line_point(e2(-2.0, 3.0))
    e1.reset()
    assert e1.path == ()


def test_explorer_keeps_at_most_max_path_settings():
    e = LineExplorer(max_path=3)
    for k in range(6):
        point = e(float(k), 0.0)
    assert [p[0] for p in point.path] == [3.0, 4.0, 5.0]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: regression_example(n_examples=0), ValueError, "n_examples=0"),
        (lambda: regression_example(n_examples=2.5), TypeError, "n_examples"),
        (lambda: classifier_example(n_classes=1), ValueError, "n_classes=1"),
        (lambda: char_example(train_steps=-1), ValueError, "train_steps=-1"),
        (lambda: line_surface(resolution=2), ValueError, "resolution=2"),
        (lambda: line_surface(w_range=(3, 1)), ValueError, "w_range"),
        (lambda: line_surface(b_range=5), TypeError, "b_range"),
        (lambda: LineExplorer()(float("nan"), 0.0), ValueError, "w must be a finite number"),
        (lambda: LineExplorer()(0.0, "one"), TypeError, "b must be a number"),
        (lambda: mse_by_hand(torch.zeros(3, 1), torch.zeros(3)), ValueError, "shape"),
        (lambda: mse_by_hand([1.0], torch.zeros(1)), TypeError, "predictions must be a torch.Tensor"),
        (lambda: cross_entropy_by_hand(torch.zeros(2, 3), torch.tensor([0, 3])), ValueError, "from 0 to 2"),
        (lambda: cross_entropy_by_hand(torch.zeros(2, 3), torch.tensor([0.0, 1.0])), ValueError, "int64"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_top_next_chars_refuses_short_or_unknown_text():
    ex = char_example()
    with pytest.raises(ValueError, match="at least 8"):
        top_next_chars(ex.model, ex.vocab, "short")
    with pytest.raises(ValueError, match="never seen"):
        top_next_chars(ex.model, ex.vocab, "better th#")
    with pytest.raises(ValueError, match="k=0"):
        top_next_chars(ex.model, ex.vocab, CONTEXT, k=0)
    with pytest.raises(TypeError, match="text must be a string"):
        top_next_chars(ex.model, ex.vocab, 42)


# ----------------------------------------------------------------------------- figures and the demo


def _labelled(fig: Figure) -> bool:
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes if ax.has_data())


def test_figures_draw_with_labelled_axes():
    cls = classifier_example()
    logits = _forward(cls)
    fig = plot_class_probabilities(torch.softmax(logits, dim=1), cls.y)
    assert len(fig.axes) == 5 and fig.axes[0].get_ylabel() == "probability"
    ch = char_example()
    top = top_next_chars(ch.model, ch.vocab, CONTEXT)
    assert _labelled(plot_next_chars(top, top, text="etter th", vocab_size=45))
    reg = regression_example()
    fig = plot_loss_breakdowns(mse_by_hand(_forward(reg), reg.y), cross_entropy_by_hand(logits, cls.y), n_classes=4)
    assert len(fig.axes) == 3 and _labelled(fig)
    with pytest.raises(TypeError, match="mse must be"):
        plot_loss_breakdowns(cross_entropy_by_hand(logits, cls.y), cross_entropy_by_hand(logits, cls.y))


@pytest.mark.parametrize(("w", "b"), [(-1.0, 2.0), (2.0, -1.0), (40.0, -30.0)])
def test_line_explorer_figure_draws_anywhere_even_off_the_grid(w, b):
    e = LineExplorer()
    e(0.0, 0.0)
    fig = plot_line_explorer(e(w, b))
    left, right = fig.axes[:2]
    assert _labelled(fig) and "MSE" in left.get_title()
    assert right.get_xlabel().startswith("w") and right.get_ylabel().startswith("b")


def test_demo_wiring_keeps_the_path_in_the_explorer():
    from course_utils.widgets import Demo, float_slider

    explorer = LineExplorer()
    demo = Demo(explorer, plot_line_explorer, describe=describe_line_point,
                w=float_slider("w", -1.0, -2.0, 6.0, 0.1), b=float_slider("b", 2.0, -5.0, 3.0, 0.1))  # fmt: skip
    demo.update(w=0.0)
    demo.update(b=1.0)
    text = "".join(o["text"] for o in demo.output.outputs if o["output_type"] == "stream")
    assert text.startswith("w=0 b=1 \nMSE = ") and "settings tried: 3" in text and demo.error is None
    assert len(explorer.path) == 3 and sum("image/png" in o.get("data", {}) for o in demo.output.outputs) == 1


# ----------------------------------------------------------------------------- exercises (ch02): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q1_solution_shows_the_number_the_hint_keeps_back(capsys):
    q1 = dataclasses.replace(ch02.q1)  # a fresh copy: no hints given yet
    q1.hint()
    out = capsys.readouterr().out
    assert "Hint 1/2" in out and "0.4170" not in out
    q1.solution()
    assert "0.4170" in capsys.readouterr().out


# ----------------------------------------------------------------------------- the notebook's claims, one by one


def test_notebook_claims_section_1_the_forward_pass():
    reg = regression_example()
    pred = _forward(reg)[:, 0]
    assert all(-0.5 < p < -0.25 for p in pred.tolist())  # "all sit near -0.4"
    assert reg.y.min().item() == pytest.approx(-1.0, abs=0.05) and reg.y.max().item() == pytest.approx(1.6, abs=0.05)
    cls = classifier_example()
    probs = torch.softmax(_forward(cls), dim=1)
    right = (probs.argmax(dim=1) == cls.y).tolist()
    assert right == [False, False, True, False, False]  # "example 2 right by luck and the other four wrong"
    assert ((probs - 0.25).abs() < 0.27).all()  # "all hover around 1/4"
    ex = char_example()
    top = top_next_chars(ex.model, ex.vocab, CONTEXT, k=5)
    assert top[0][0] == "*" and 0.035 < top[0][1] < 0.045  # "favourite is '*', at 4%"
    assert all(p < 0.05 for _, p in top)  # "hardly above the blind guess"
    trained = char_example(train_steps=30)
    assert top_next_chars(trained.model, trained.vocab, CONTEXT)[0] == ("a", pytest.approx(0.9965, abs=0.002))


def test_notebook_claims_section_2_the_losses():
    reg = regression_example()
    per = mse_by_hand(_forward(reg), reg.y).per_example
    assert per[0] > sum(per[1:])  # "example 0's squared error alone is more than the other four together"
    cls = classifier_example()
    ce = cross_entropy_by_hand(_forward(cls), cls.y).mean
    assert abs(ce - math.log(4)) < 0.01  # "close to ln 4"
    sure_and_wrong = torch.tensor([[0.0, -120.0]])
    p = torch.softmax(sure_and_wrong, dim=1)[0, 1]
    assert p.item() == 0.0 and math.isinf(-torch.log(p).item())  # e^-120 rounds to 0 in float32
    assert nn.CrossEntropyLoss()(sure_and_wrong, torch.tensor([1])).item() == pytest.approx(120.0)
    logits = _forward(cls)
    on_probs = nn.CrossEntropyLoss()(torch.softmax(logits, dim=1), cls.y).item()
    assert abs(on_probs - nn.CrossEntropyLoss()(logits, cls.y).item()) > 0.005  # "just a different number"


def test_notebook_claims_section_2c_accuracy_is_not_a_loss():
    ex = classifier_example(n_examples=200, n_classes=4, seed=0)
    logits = ex.model(ex.X)
    accuracy = (logits.argmax(dim=1) == ex.y).float().mean()
    assert nn.CrossEntropyLoss()(logits, ex.y).requires_grad and not accuracy.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        accuracy.backward()
    before = [p.detach().clone() for p in ex.model.parameters()]
    s = metric_slice(ex)
    assert all(torch.equal(a, b) for a, b in zip(before, ex.model.parameters()))  # "the model is left unchanged"
    assert s.moves == 800 and s.loss_changes == 800
    assert s.accuracy_changes < 0.05 * s.moves  # "flat almost everywhere"
    here = s.values.index(min(s.values, key=lambda v: abs(v - s.start)))
    assert s.accuracy[here] == pytest.approx(0.21)
    right = next(a for a in s.accuracy[here:] if a != s.accuracy[here])
    assert right > s.accuracy[here]  # try this: "the accuracy jumps up just to the right of the dotted line"
    assert s.values.index(s.values[s.loss.index(min(s.loss))]) > here  # ... and the loss slopes down that way
    run = metric_during_training(steps=60, lr=0.5)
    assert run.accuracy[0] == pytest.approx(accuracy.item()) and run.loss[0] == pytest.approx(1.4141, abs=1e-4)
    first, last = run.longest_flat_stretch()
    assert (first, last) == (22, 59)  # "from step 22 to the end of the run"
    assert len(set(run.accuracy[first : last + 1])) == 1 and run.accuracy[last] == pytest.approx(0.915)
    assert run.loss[last] < run.loss[first] - 0.04  # "while the loss keeps falling (0.1993 to 0.1574)"
    fig = plot_metric_vs_loss(s, run)
    assert len(fig.axes) == 4  # three panels and the accuracy axis of the third


def test_metric_helpers_refuse_bad_input():
    with pytest.raises(TypeError, match="classifier_example"):
        metric_slice(regression_example().model)
    with pytest.raises(ValueError, match="points=2"):
        metric_slice(classifier_example(), points=2)
    with pytest.raises(ValueError, match="lr=0"):
        metric_during_training(lr=0)
    with pytest.raises(TypeError, match="metric_slice"):
        plot_metric_vs_loss(None, None)


def test_notebook_claims_section_3_the_walk():
    walk = LineExplorer(n_samples=40, seed=0)
    losses = [walk(w, b).loss for w, b in [(-1.0, 2.0), (0.0, 1.0), (1.0, 0.0), (2.0, -1.0)]]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    best = line_surface(n_samples=40, seed=0).best_loss
    assert losses[0] == pytest.approx(24.09, abs=0.01) and 0 < losses[-1] - best < 0.005  # "a hair above"
    assert walk(4.0, -2.0).loss > losses[-1]  # jumping far past the star: the loss goes up again


def test_the_line_explorer_picture_blits_the_full_picture_and_follows_the_sliders():
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l02_forward_and_loss.figures import LineExplorerPicture

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)

    explorer = LineExplorer(n_samples=40, seed=0)
    picture = LineExplorerPicture(explorer.surface)
    start, corner = explorer(-1.0, 2.0), explorer(6.0, 3.0)  # the demo's start, the sliders' far corner
    frames = [pixels(picture(p).png) for p in (corner, start)]
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # another (w, b), another picture
    assert np.abs(frames[1] - pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    assert picture.arrow.get_visible() and "MSE" in picture.title.get_text()
    (w, b), (w0, w1), (b0, b1) = picture.here.get_xydata()[0], picture.right.get_xlim(), picture.right.get_ylim()
    assert w0 <= w <= w1 and b0 <= b <= b1 and not picture.here.get_clip_on()  # the marker stays whole at a corner
    with pytest.raises(ValueError, match="another LineExplorer"):
        picture(LineExplorer(n_samples=40, seed=1)(0.0, 0.0))  # other data
