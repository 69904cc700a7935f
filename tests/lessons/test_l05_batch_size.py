"""Lesson 05 (batch size): the experiments are seeded, validate their input, survive lr=10, and the
numbers behind the notebook's claims hold."""

import math

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.lessons.l05_batch_size import ch05
from course_utils.lessons.l05_batch_size import experiments as bs
from course_utils.lessons.l05_batch_size import figures as fig


def _val(run):
    return run.history.epoch_val_loss[-1]


# ----------------------------------------------------------------------------- settings and training


def test_scaled_lr_is_linear_in_the_batch():
    assert bs.scaled_lr(0.1, 32) == pytest.approx(0.1)
    assert bs.scaled_lr(0.1, 128) == pytest.approx(0.4)
    assert bs.scaled_lr(0.1, 8) == pytest.approx(0.025)
    assert bs.scaled_lr(0.2, 64, base_batch=16) == pytest.approx(0.8)


def test_lesson_data_and_model():
    train_set, val_set = bs.lesson_data()
    assert len(train_set) == bs.N_TRAIN == 512 and len(val_set) == 256
    model = bs.lesson_model()
    assert sum(p.numel() for p in model.parameters()) == 2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2


def test_training_is_deterministic_and_scales_the_lr():
    a = bs.train_batch_size(64, 0.1, epochs=2, scale_lr=True)
    b = bs.train_batch_size(64, 0.1, epochs=2, scale_lr=True)
    assert a.history.numbers() == b.history.numbers()
    assert a.settings["lr"] == pytest.approx(0.2) and a.history.step_lr[0] == pytest.approx(0.2)
    assert a.history.steps == 2 * 8 and a.history.batches_per_epoch == 8


def test_fixed_lr_progress_is_made_per_step():
    """Notebook claim: with the lr fixed, the curves against *steps* nearly coincide; against epochs the
    small batch is far ahead."""
    small = bs.train_batch_size(8, 0.1, epochs=1)  # 64 steps
    large = bs.train_batch_size(32, 0.1, epochs=4)  # 64 steps
    same_epochs = bs.train_batch_size(32, 0.1, epochs=1)  # 16 steps
    assert abs(_val(small) - _val(large)) < 0.1 * _val(large)
    assert _val(same_epochs) > 1.1 * _val(small)


def test_scaled_lr_progress_is_made_per_epoch():
    """Notebook claim: with the linear scaling rule, batches 8 and 32 end the same epochs at almost the same loss."""
    small = bs.train_batch_size(8, 0.1, epochs=3, scale_lr=True)
    base = bs.train_batch_size(32, 0.1, epochs=3, scale_lr=True)
    assert abs(_val(small) - _val(base)) < 0.05 * _val(base)
    assert small.history.steps == 4 * base.history.steps


def test_q3_claim_double_batch_fixed_lr_ends_higher():
    assert _val(bs.train_batch_size(64, 0.1, epochs=10)) > _val(bs.train_batch_size(32, 0.1, epochs=10))


def test_sweep_and_final_losses():
    sweep = bs.batch_size_sweep((64, 256), lr=0.1, epochs=2, scale_lr=True)
    assert sweep.lrs == pytest.approx([0.2, 0.8])
    rows = sweep.final_losses()
    assert [r["batch_size"] for r in rows] == [64, 256] and [r["steps"] for r in rows] == [16, 4]
    for row in rows:
        assert 0 < row["train_loss"] < 1 and 0 < row["val_loss"] < 1 and row["best_val_loss"] <= row["val_loss"]
    assert "linear scaling" in sweep.title


def test_lr_10_diverges_and_everything_still_draws():
    run = bs.train_batch_size(32, 10.0, epochs=3)
    assert run.history.diverged and run.history.stop_reason.startswith("diverged at step")
    sweep = bs.batch_size_sweep((32, 512), lr=10.0, epochs=2, scale_lr=True)
    assert sweep.runs[0].history.diverged  # batch 512 at lr 160 may instead end with dead ReLUs and a flat loss
    rows = sweep.final_losses()
    assert math.isnan(rows[0]["val_loss"])
    assert all(math.isnan(r["val_loss"]) == r_.history.diverged for r, r_ in zip(rows, sweep.runs))
    assert isinstance(fig.plot_sweeps(sweep, sweep), Figure)
    assert isinstance(fig.plot_generalization(rows), Figure)
    demo = bs.batch_size_demo(batch_size=8, lr=10.0, epochs=2, scale_lr=True)
    assert "diverged at step" in demo.describe()
    assert isinstance(fig.plot_batch_demo(demo), Figure)
    st = bs.steps_to_target(batch_sizes=(256,), lrs=(10.0,), max_steps=20)
    assert st.steps[256][10.0] is None and (256, 10.0) in st.diverged and st.best_steps == [None]
    assert math.isnan(st.fit()[1])


def test_demo_reuses_the_run_at_batch_32_and_describes_it():
    d = bs.batch_size_demo(batch_size=32, lr=0.1, epochs=2)
    assert d.reference is d.run
    d = bs.batch_size_demo(batch_size=128, lr=0.1, epochs=2, scale_lr=True)
    assert d.reference is not d.run and d.reference.settings["batch_size"] == 32 and d.lr_used == pytest.approx(0.4)
    text = d.describe()
    assert "batch 128: 4 updates per epoch, 8 in all" in text and "(= 0.1 x 128/32)" in text
    assert isinstance(fig.plot_batch_demo(d), Figure)


def test_the_demo_picture_keeps_its_axes_and_shows_extremes_inside_them():
    import io

    import numpy as np
    from PIL import Image

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)

    picture = fig.batch_demo_picture()  # the epochs slider goes up to 30
    axes = picture.left, picture.right

    def limits():
        return [(ax.get_xlim(), ax.get_ylim()) for ax in axes]

    fixed = limits()
    start = bs.batch_size_demo(batch_size=32, lr=0.1, epochs=8)  # the sliders' defaults
    frames = [pixels(picture(start).png)]
    assert not any(t.get_visible() for t in picture.clip_texts + picture.stop_texts)
    assert picture.lines["ref_by_epoch"].get_xydata().size == 0  # batch 32 is its own reference
    assert np.abs(frames[0] - pixels(picture.full_redraw(start))).mean() < 1.0  # blitted = fully drawn
    frames.append(pixels(picture(bs.batch_size_demo(batch_size=128, lr=0.1, epochs=8)).png))
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # another batch size, another picture
    assert len(picture.lines["ref_by_step"].get_xdata()) == 8  # the dashed batch-32 curve
    longest = bs.batch_size_demo(batch_size=512, lr=0.1, epochs=30, scale_lr=True)  # the last epoch, right edge
    long_frame = pixels(picture(longest).png)
    (x0, x1), (s0, s1) = picture.left.get_xlim(), picture.right.get_xlim()
    assert x0 <= 0 and max(picture.lines["val_by_epoch"].get_xdata()) == 30 <= x1  # the epoch axis follows
    assert s0 <= 1 and 512 * 30 <= s1  # batch 1 for 30 epochs would fit too
    assert np.abs(long_frame - pixels(picture.full_redraw(longest))).mean() < 1.0  # the new axes, drawn anew
    blown = bs.batch_size_demo(batch_size=32, lr=10.0, epochs=8)  # diverges at step 4
    picture(blown)
    low, high = fig.DEMO_LOSS_LIMITS
    assert all(t.get_visible() and t.get_text().strip() == "diverged at step 4" for t in picture.stop_texts)
    assert picture.clip_texts[1].get_visible()  # the exploding loss: drawn at the top edge, and said so
    y = picture.lines["step_by_step"].get_ydata()
    assert len(y) == 3 and all(low <= v <= high for v in y) and y[-1] == high
    assert [tuple(m.get_xydata()[0]) for m in picture.stop_marks] == [(4 / 16, high), (4, high)]
    assert limits() == fixed  # back at 8 epochs: the same axes for every other setting
    with pytest.raises(TypeError, match="BatchDemo"):
        picture(blown.run)


# ----------------------------------------------------------------------------- cost


def test_throughput_numbers_are_consistent():
    tp = bs.measure_throughput(batch_sizes=(1, 64, 512), repeats=1, max_steps=3)
    assert tp.steps_per_epoch == [512, 8, 1] and tp.steps_timed == [3, 3, 1]
    for b, t, s, e, n in zip(tp.batch_sizes, tp.step_seconds, tp.samples_per_second, tp.epoch_seconds,
                             tp.steps_per_epoch):  # fmt: skip
        assert t > 0 and s == pytest.approx(b / t) and e == pytest.approx(n * t)
    assert len(tp.affine_fit()) == 2 and tp.at(64)["steps_per_epoch"] == 8
    assert isinstance(fig.plot_throughput(tp), Figure)


def test_step_memory_activations_grow_linearly_weights_do_not():
    mem = bs.measure_step_memory()
    per = mem.activation_bytes_per_example
    assert per == 536  # x (8) + two hidden layers of 64 floats (2 x 256) + logits (8) + label (8) bytes
    for b, a in zip(mem.batch_sizes, mem.activations):
        assert a == per * b + 4  # plus the loss itself, one float
    params = (2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2) * 4
    assert mem.weights_and_gradients == [2 * params] * len(mem.batch_sizes)
    assert mem.weight_view_bytes == (64 * 64 + 64 * 2) * 4  # layers 2 and 3 keep weight.t(), a view
    assert 60 < mem.crossover_batch() < 70
    assert isinstance(fig.plot_step_memory(mem), Figure)


def test_updates_per_epoch():
    assert bs.updates_per_epoch((1, 32, 100, 512)) == [512, 16, 6, 1]


# ----------------------------------------------------------------------------- noise


def test_batch_gradient_is_the_mean_of_per_example_gradients():
    X, y = bs.lesson_data()[0].tensors
    model = bs.lesson_model()
    G = bs.per_example_gradients(model, X, y)
    assert G.shape == (512, sum(p.numel() for p in model.parameters()))
    assert all(p.grad is None for p in model.parameters())  # nothing was written into .grad
    idx = torch.tensor([3, 17, 40, 41, 100, 511])
    model.zero_grad()
    nn.CrossEntropyLoss()(model(X[idx]), y[idx]).backward()
    batch_grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    assert torch.allclose(G[idx].mean(dim=0), batch_grad, atol=1e-6)


def test_gradient_noise_gram_shortcut_equals_direct_batches():
    result = bs.gradient_noise(batch_sizes=(4, 64), n_batches=30, trained_epochs=0)
    X, y = bs.lesson_data()[0].tensors
    G = bs.per_example_gradients(bs.lesson_model(), X, y).double()
    full = G.mean(dim=0)
    generator = torch.Generator().manual_seed(3000)
    for size, measured in zip((4, 64), result.measured):
        picks = torch.rand(30, 512, generator=generator).argsort(dim=1)[:, :size]
        direct = torch.stack([((G[p].mean(dim=0) - full) ** 2).sum() for p in picks]).mean()
        assert measured == pytest.approx(float(direct), rel=1e-9)


def test_gradient_noise_follows_1_over_b_with_the_finite_population_correction():
    gn = bs.gradient_noise()
    again = bs.gradient_noise()
    assert gn.measured == again.measured and gn.trace == again.trace
    for b, m in zip(gn.batch_sizes, gn.measured):
        assert m == pytest.approx(gn.predicted(b), rel=0.1)
    assert gn.measured[-1] < 0.6 * gn.predicted(256, corrected=False)  # the plain 1/B law overshoots at B = N/2
    assert gn.variance_ratio(1, 256) == pytest.approx(511, rel=0.1)  # 256 x (N - 1)/(N - 256)
    assert gn.predicted(1) / gn.predicted(256) == pytest.approx(511)
    assert 20 < gn.noise_scale < 45
    assert isinstance(fig.plot_gradient_noise(gn), Figure)


def test_noise_probe_does_not_change_training_and_noise_scale_grows():
    trace = bs.noise_scale_during_training(checkpoints=(0, 16, 64))
    plain = bs.train_batch_size(32, 0.1, epochs=4)
    assert trace.history.step_loss == plain.history.step_loss[:64]
    assert trace.steps == [0, 16, 64]
    assert trace.noise_scale[0] == pytest.approx(8.16, abs=0.05)
    assert trace.noise_scale[0] < trace.noise_scale[1] < trace.noise_scale[2]
    assert trace.train_loss[0] > trace.train_loss[-1]


def test_steps_to_target_small_and_fit():
    st = bs.steps_to_target(batch_sizes=(64, 256), lrs=(0.8, 1.6), target=0.3, max_steps=60)
    again = bs.steps_to_target(batch_sizes=(64, 256), lrs=(0.8, 1.6), target=0.3, max_steps=60)
    assert st.steps == again.steps
    assert all(s is not None and s < 60 for s in st.best_steps)
    assert st.best_lrs[0] in (0.8, 1.6)
    s_min, b_crit = st.fit()
    assert math.isfinite(s_min)
    trace = bs.noise_scale_during_training(checkpoints=(0, 8))
    assert isinstance(fig.plot_noise_scale(trace, st), Figure) and isinstance(fig.plot_noise_scale(trace), Figure)


def test_fit_recovers_a_known_curve():
    st = bs.StepsToTarget((4, 16, 64, 256), (1.0,), 0.1, 100,
                          {b: {1.0: round(10 * (1 + 20 / b))} for b in (4, 16, 64, 256)}, set())  # fmt: skip
    s_min, b_crit = st.fit()
    assert s_min == pytest.approx(10, rel=0.05) and b_crit == pytest.approx(20, rel=0.1)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: bs.train_batch_size(batch_size=1000), ValueError, "batch_size=1000 is out of range"),
        (lambda: bs.train_batch_size(batch_size=32.0), TypeError, "batch_size must be a whole number"),
        (lambda: bs.train_batch_size(lr=-0.1), ValueError, "lr=-0.1 is out of range"),
        (lambda: bs.train_batch_size(epochs=2.5), TypeError, "epochs must be a whole number"),
        (lambda: bs.scaled_lr(0.1, 0), ValueError, "batch_size=0 is out of range"),
        (lambda: bs.batch_size_sweep(()), TypeError, "batch_sizes must be a non-empty list"),
        (lambda: bs.batch_size_sweep(32), TypeError, "batch_sizes must be a non-empty list"),
        (lambda: bs.batch_size_sweep((8, 8)), ValueError, "lists a batch size twice"),
        (lambda: bs.batch_size_sweep((8, 513)), ValueError, "batch_sizes entry=513 is out of range"),
        (lambda: bs.measure_throughput(repeats=0), ValueError, "repeats=0 is out of range"),
        (lambda: bs.gradient_noise(batch_sizes=(512,)), ValueError, "batch_sizes entry=512 is out of range"),
        (lambda: bs.gradient_noise(n_batches=1), ValueError, "n_batches=1 is out of range"),
        (lambda: bs.noise_scale_during_training(checkpoints=()), TypeError, "checkpoints must be"),
        (lambda: bs.noise_scale_during_training(checkpoints=(0, -1)), ValueError, "checkpoints entry=-1"),
        (lambda: bs.steps_to_target(lrs=()), TypeError, "lrs must be a non-empty list"),
        (lambda: bs.steps_to_target(lrs=(0.1, 0.0)), ValueError, "lrs entry=0.0 is out of range"),
        (lambda: bs.steps_to_target(target=0), ValueError, "target=0.0 is out of range"),
        (lambda: bs.per_example_gradients(bs.lesson_model(), torch.zeros(3, 2), torch.zeros(2)), ValueError, "same"),
        (lambda: fig.plot_gradient_noise([1, 2]), TypeError, "result must be a GradientNoise"),
        (lambda: fig.plot_generalization([]), ValueError, "final_losses"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


# ----------------------------------------------------------------------------- exercises (ch05): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q4_reference_works_on_real_gradients():
    X, y = bs.lesson_data()[0].tensors
    G = bs.per_example_gradients(bs.lesson_model(), X, y)
    assert ch05.reference_noise_scale(G) == ch05.reference_noise_scale(G.clone())
    assert torch.isfinite(torch.tensor(ch05.reference_noise_scale(G)))


# ----------------------------------------------------------------------------- the notebook's claims, one by one


@pytest.fixture(scope="module")
def sweeps():
    sizes = (8, 32, 128, 512)
    return (bs.batch_size_sweep(sizes, lr=0.1, epochs=20, scale_lr=False),
            bs.batch_size_sweep(sizes, lr=0.1, epochs=20, scale_lr=True))  # fmt: skip


def test_notebook_claims_section_3_two_experiments(sweeps):
    fixed, scaled = sweeps
    val = [[r.history.epoch_val_loss for r in s.runs] for s in (fixed, scaled)]
    assert [v[-1] for v in val[0]] == sorted(v[-1] for v in val[0])  # A: per epoch, the small batches are ahead
    # A against steps: batch 128 after 20 epochs and batch 32 after 5 epochs have both made 80 steps
    assert abs(val[0][2][19] - val[0][1][4]) < 0.05  # "the curves lie almost on top of each other"
    # B: batches 8, 32 and 128 trace the same curve per epoch; 512 stumbles early and ends behind
    assert max(abs(a - b) for a, b in zip(val[1][0], val[1][1])) < 0.005  # 8 and 32: the same curve
    assert max(abs(a - b) for a, b in zip(val[1][2], val[1][1])) < 0.05  # 128: nearly, with small bumps
    assert val[1][2][19] < val[1][1][4] - 0.1  # against steps (80 each) the bigger batch is ahead
    big = val[1][3]
    assert max(big[:6]) > big[0] + 0.4 and big[5] < big[3]  # shoots up in the first epochs, then recovers
    assert big[-1] > max(v[-1] for v in val[1][:3]) + 0.05  # ... and ends behind


def test_notebook_claims_section_6_no_generalization_penalty(sweeps):
    fixed, scaled = (s.final_losses() for s in sweeps)
    for rows in (fixed, scaled):
        assert all(0.01 <= r["val_loss"] - r["train_loss"] <= 0.035 for r in rows)  # "the gap stays small"
    assert [r["train_loss"] for r in fixed] == sorted(r["train_loss"] for r in fixed)  # less trained, not worse
    spread = [r["val_loss"] for r in scaled[:3]], [r["train_loss"] for r in scaled[:3]]
    assert all(max(v) - min(v) < 0.01 for v in spread)  # "batches 8, 32 and 128 end within 0.01"
    assert scaled[3]["val_loss"] > scaled[0]["val_loss"] and scaled[3]["train_loss"] > scaled[0]["train_loss"]


def test_notebook_claims_section_4_the_try_this_prompts():
    ref = bs.batch_size_demo(batch_size=32, lr=0.1, epochs=8)
    assert _val(bs.batch_size_demo(batch_size=128, lr=0.1, epochs=8).run) > _val(ref.run)  # ends above the dashed
    small = bs.batch_size_demo(batch_size=8, lr=0.1, epochs=8, scale_lr=True)
    large = bs.batch_size_demo(batch_size=512, lr=0.1, epochs=8, scale_lr=True)
    gap = [max(abs(a - b) for a, b in zip(d.run.history.epoch_val_loss, ref.run.history.epoch_val_loss))
           for d in (small, large)]  # fmt: skip
    assert gap[0] < 0.005 < 0.1 < gap[1]  # batch 8 follows the dashed curve against epochs, 512 does not
    assert _val(bs.batch_size_demo(batch_size=1, lr=0.1, epochs=8).run) < _val(
        bs.batch_size_demo(batch_size=1, lr=0.1, epochs=8, scale_lr=True).run)  # fmt: skip
    troubled = bs.batch_size_demo(batch_size=8, lr=3.0, epochs=8).run.history  # "which one gets into trouble?"
    calm = bs.batch_size_demo(batch_size=32, lr=3.0, epochs=8).run.history
    # At lr 3 both runs are on the edge (their last bits decide how bumpy): the noisier batch 8 blows up
    # (or at least ends far above), batch 32 finishes.
    assert calm.stop_reason == "finished"
    assert troubled.stop_reason.startswith("diverged") or max(troubled.epoch_val_loss) > 1.5 * max(calm.epoch_val_loss)
    assert bs.batch_size_demo(batch_size=32, lr=10.0, epochs=8).run.history.stop_reason == "diverged at step 4"


def test_notebook_claims_section_5_batch_gradients_are_longer():
    gn = bs.gradient_noise()
    assert gn.length_ratio(8) == pytest.approx(2.16, abs=0.01)  # "about twice as long as G"
    assert gn.length_ratio(256) == pytest.approx(1.03, abs=0.01)  # "only 3% longer"
    ratios = [gn.length_ratio(b) for b in gn.batch_sizes]
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] > 1


def test_notebook_claims_section_7_b_simple_at_the_target():
    target = bs.steps_to_target()
    s_min, b_crit = target.fit()
    assert target.best_steps == [79, 39, 30, 24, 17, 16, 16, 14] and b_crit == pytest.approx(18.2, abs=0.1)
    at = target.noise_scale_at_target
    assert all(v is not None for v in at)
    assert min(at) == pytest.approx(46.5, abs=0.5) and max(at) == pytest.approx(653, abs=1)  # "46 to 653"
    assert min(at) / b_crit > 2.5 and max(at) / b_crit < 36.5  # "2.5 to 36 times B_crit"
    trace = bs.noise_scale_during_training()
    assert trace.noise_scale[-1] / trace.noise_scale[0] > 100  # "a hundredfold" (8 -> 840)
    one_epoch = trace.steps.index(16)
    assert abs(trace.noise_scale[one_epoch] - b_crit) < b_crit  # "after one epoch close to B_crit" ...
    assert trace.train_loss[one_epoch] > target.target + 0.09  # ... at a loss far from the target
