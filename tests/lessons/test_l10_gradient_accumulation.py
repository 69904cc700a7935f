"""Lesson 10: accumulation gives the big batch's gradient; the claims the notebook makes about it."""

import math
import os
import subprocess
import sys
import time

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.lessons.l10_gradient_accumulation import ch10
from course_utils.lessons.l10_gradient_accumulation import workers as distributed
from course_utils.lessons.l10_gradient_accumulation.experiments import (
    N_SAMPLES,
    accumulate_gradients,
    accumulation_demo,
    accumulation_loop,
    accumulation_runs,
    big_batch_gradients,
    division_runs,
    effective_batch_size,
    gradient_check,
    lesson_data,
    lesson_model,
    max_abs_difference,
    memory_comparison,
    peak_saved_bytes,
    step_seconds,
    zero_grad_runs,
)
from course_utils.lessons.l10_gradient_accumulation.figures import (
    plot_accumulation_runs,
    plot_data_parallel,
    plot_division,
    plot_gradient_agreement,
    plot_memory,
    plot_zero_grad,
)
from course_utils.lessons.l10_gradient_accumulation.workers import (
    DistributedRunError,
    build_model,
    find_free_port,
    make_batches,
    run_data_parallel,
    single_process_reference,
)
from course_utils.measure import parameter_bytes

# ----------------------------------------------------------------------------- the equality itself


@pytest.mark.parametrize("micro, k", [(16, 4), (8, 8), (1, 32), (64, 8), (32, 1), (5, 7)])
def test_accumulated_gradient_equals_big_batch_gradient(micro, k):
    check = gradient_check(micro, k)
    assert check.max_abs_diff < 1e-6  # float32 rounding, on entries of size ~0.1
    assert check.norm_ratio == pytest.approx(1.0, abs=1e-6)
    assert sum(check.micro_losses) / k == pytest.approx(check.big_loss, abs=1e-6)  # mean of means = mean
    if k == 1:
        assert check.max_abs_diff == 0.0  # one micro-batch *is* the big batch


def test_accumulation_by_hand_on_a_regression_model():
    """The same equality for another model and loss (MSE), independent of the lesson's helpers."""
    torch.manual_seed(3)
    model, loss_fn = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1)), nn.MSELoss()
    x, y = torch.randn(96, 5), torch.randn(96, 1)
    big_batch_gradients(model, x, y, loss_fn)
    big = {n: p.grad.clone() for n, p in model.named_parameters()}
    accumulate_gradients(model, x, y, loss_fn, 24)
    acc = {n: p.grad.clone() for n, p in model.named_parameters()}
    assert max_abs_difference(acc, big) < 1e-6


def test_without_the_division_the_gradient_is_k_times_too_large():
    check = gradient_check(16, 4, divide=False)
    assert check.norm_ratio == pytest.approx(4.0, rel=1e-5)
    assert check.max_abs_diff > 0.1
    for name in check.big:
        assert torch.allclose(check.accumulated[name], 4 * check.big[name], atol=1e-6)


def test_accumulate_gradients_adds_to_grad_and_frees_nothing_else():
    model, loss_fn = lesson_model(), nn.CrossEntropyLoss()
    X, y = lesson_data()
    losses = accumulate_gradients(model, X[:32], y[:32], loss_fn, 8)
    assert len(losses) == 4 and all(math.isfinite(v) for v in losses)
    assert all(p.grad is not None for p in model.parameters())


def test_effective_batch_size():
    assert effective_batch_size(16, 8, 4) == 512
    assert effective_batch_size(32) == 32
    with pytest.raises(ValueError, match="processes=0"):
        effective_batch_size(16, 2, 0)
    with pytest.raises(TypeError, match="accumulation_steps must be a whole number"):
        effective_batch_size(16, 2.5)


# ----------------------------------------------------------------------------- training


def test_train_with_accumulation_equals_big_batch_training():
    runs = accumulation_runs(16, 4)
    acc, big = runs.accumulated.history, runs.big_batch.history
    assert acc.steps == big.steps == 4 * 512 // 64
    assert acc.batches == 4 * big.batches
    assert runs.effective_batch_size == 64
    assert runs.weight_diff < 1e-5
    assert max(runs.loss_diffs) < 1e-5
    assert acc.step_samples == big.step_samples
    assert "effective batch 16 x 4 = 64" in runs.describe()


def test_uneven_last_group_is_still_exact():
    """72 does not divide 512: the last step holds 8 examples, in one micro-batch of 8."""
    runs = accumulation_runs(24, 3, epochs=2)
    assert runs.accumulated.history.step_samples[:8] == runs.big_batch.history.step_samples[:8]
    assert runs.big_batch.history.step_samples[7] == 512 - 7 * 72
    assert runs.weight_diff < 1e-5


def test_accumulation_runs_are_deterministic():
    a, b = accumulation_runs(8, 4, epochs=2, seed=3), accumulation_runs(8, 4, epochs=2, seed=3)
    assert a.accumulated.history.numbers() == b.accumulated.history.numbers()
    assert a.big_batch.history.numbers() == b.big_batch.history.numbers()
    c = accumulation_runs(8, 4, epochs=2, seed=4)
    assert c.accumulated.history.step_loss != a.accumulated.history.step_loss


def test_the_demo_function_uses_the_default_settings():
    runs = accumulation_demo(micro_batch=16, accum_steps=4)
    assert runs.accumulated.settings["lr"] == 0.5 and runs.accumulated.settings["optimizer"] == "sgd"
    assert runs.describe() == accumulation_runs(16, 4).describe()


@pytest.mark.parametrize("lr", [10.0, 1e4])
def test_huge_learning_rate_is_a_result_not_a_crash(lr):
    runs = accumulation_runs(16, 4, lr=lr, epochs=2)
    for h in (runs.accumulated.history, runs.big_batch.history):
        assert h.stop_reason == "finished" or h.stop_reason.startswith("diverged at step")
    assert isinstance(runs.describe(), str)
    assert isinstance(plot_accumulation_runs(runs), Figure)
    if lr == 1e4:
        assert runs.big_batch.history.diverged


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="micro_batch_size=0"):
        accumulation_runs(0, 4)
    with pytest.raises(ValueError, match=f"at most {N_SAMPLES}"):
        accumulation_runs(128, 8)
    with pytest.raises(TypeError, match="accumulation_steps must be a whole number"):
        accumulation_runs(16, 2.0)
    with pytest.raises(ValueError, match="micro_batch_size=5 does not divide"):
        model = lesson_model()
        accumulate_gradients(model, torch.randn(16, 2), torch.zeros(16, dtype=torch.long), nn.CrossEntropyLoss(), 5)
    with pytest.raises(ValueError, match=f"more than the {N_SAMPLES}"):
        gradient_check(64, 16)
    with pytest.raises(ValueError, match="optimizer='rmsprop' is not known"):
        division_runs(optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr=0.0 is out of range"):
        division_runs(lr=0.0)
    with pytest.raises(ValueError, match="do not split into whole steps"):
        model = lesson_model()
        accumulation_loop(model, lesson_data(), torch.optim.SGD(model.parameters(), lr=0.1), micro_batch_size=24,
                          accumulation_steps=3, epochs=1)  # fmt: skip


# ----------------------------------------------------------------------------- the missing division


def test_no_division_with_sgd_is_a_k_times_larger_learning_rate():
    d = division_runs(16, 4, lr=0.1, optimizer="sgd")
    assert d.not_divided_vs_k_lr < 1e-5
    assert d.not_divided_vs_divided > 1e-2
    assert len(d.divided) == len(d.not_divided) == len(d.big_batch_k_lr) == 4 * 512 // 64
    assert max(abs(a - b) for a, b in zip(d.not_divided, d.big_batch_k_lr)) < 1e-5


def test_no_division_with_adam_changes_almost_nothing():
    d = division_runs(16, 4, lr=0.01, optimizer="adam")
    assert d.not_divided_vs_divided < 1e-4
    assert d.not_divided_vs_k_lr > 1e-2  # ... and it is *not* the big batch at 4 x lr


def test_division_runs_survive_lr_10_and_are_deterministic():
    d = division_runs(16, 4, lr=10.0)
    assert all(len(v) <= 32 for v in (d.divided, d.not_divided, d.big_batch_k_lr))
    assert isinstance(plot_division(d), Figure)
    e = division_runs(16, 4, lr=0.1, seed=2)
    assert e.divided == division_runs(16, 4, lr=0.1, seed=2).divided


# ----------------------------------------------------------------------------- memory


def test_memory_peak_is_one_micro_batch_and_shrinks_with_k():
    rows = memory_comparison(1024, (1, 2, 4, 8, 16))
    params = parameter_bytes(lesson_model((256, 256)))
    for row in rows:
        # each backward() frees its micro-batch's saved tensors: the peak is one micro-batch's, not k of them
        assert row.peak_activations == row.one_micro_batch
        assert row.step.parameters == row.step.gradients == params
        assert row.peak_total == row.peak_activations + 2 * params + row.step.batch
    acts = [row.peak_activations for row in rows]
    assert acts == sorted(acts, reverse=True)
    assert acts[0] / acts[-1] == pytest.approx(16, rel=0.01)
    # per example: 2 inputs + 256 + 256 ReLU outputs + 2 probabilities (float32) + the int64 target
    assert acts[0] // 1024 == (2 + 256 + 256 + 2) * 4 + 8


def test_peak_saved_bytes_sees_graphs_released():
    model, loss_fn = lesson_model((64,)), nn.CrossEntropyLoss()
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    one = peak_saved_bytes(lambda: loss_fn(model(x), y))
    assert one > 32 * 64 * 4  # at least the hidden layer's output

    def two_at_once():
        a, b = loss_fn(model(x.clone()), y.clone()), loss_fn(model(x.clone()), y.clone())
        (a + b).backward()

    def one_after_another():
        loss_fn(model(x.clone()), y.clone()).backward()
        loss_fn(model(x.clone()), y.clone()).backward()

    assert peak_saved_bytes(two_at_once) == 2 * one
    assert peak_saved_bytes(one_after_another) == one
    with torch.no_grad():
        assert peak_saved_bytes(lambda: model(x)) == 0


def test_parameters_are_not_counted_as_activations():
    """A Linear layer saves a transposed *view* of its weight: that is the weight, not an activation."""
    model = nn.Linear(512, 512)
    x = torch.randn(1, 512, requires_grad=True)
    assert peak_saved_bytes(lambda: model(x).sum()) < 512 * 512 * 4 / 10


def test_memory_bad_input():
    with pytest.raises(ValueError, match="accumulation_steps=3 does not divide batch_size=1024"):
        memory_comparison(1024, (1, 3))
    with pytest.raises(ValueError, match="accumulation_steps=3 does not divide batch_size=64"):
        step_seconds(64, (1, 3))


def test_step_seconds_times_each_k():
    seconds = step_seconds(64, (1, 4), hidden=(16,), repeats=1)
    assert set(seconds) == {1, 4} and all(t > 0 for t in seconds.values())


# ----------------------------------------------------------------------------- forgetting zero_grad


def test_forgotten_zero_grad_makes_the_gradient_grow():
    z = zero_grad_runs(48, lr=0.02)
    assert z.grad_norm_with[0] == z.grad_norm_without[0]  # the same first batch, nothing accumulated yet
    assert z.loss_with[0] == z.loss_without[0]
    first = z.grad_norm_without[:10]
    assert all(b > a for a, b in zip(first, first[1:]))  # it grows every step at first
    assert z.grad_norm_without[11] > 6 * max(z.grad_norm_with)
    assert z.stop_with == z.stop_without == "finished"
    assert len(z.loss_with) == len(z.loss_without) == 48


def test_forgotten_zero_grad_holds_the_sum_of_the_gradients():
    """With lr tiny the weights hardly move, so .grad after t steps is t single gradients added up."""
    z = zero_grad_runs(5, lr=1e-9, batch_size=512)  # the same full batch every step
    for t, norm in enumerate(z.grad_norm_without, start=1):
        assert norm == pytest.approx(t * z.grad_norm_with[0], rel=1e-5)


def test_zero_grad_runs_survive_lr_10_and_are_deterministic():
    z = zero_grad_runs(32, lr=10.0)
    assert z.stop_without == "finished" or z.stop_without.startswith("diverged at step")
    assert isinstance(plot_zero_grad(z), Figure)
    assert zero_grad_runs(8, seed=1) == zero_grad_runs(8, seed=1)
    with pytest.raises(ValueError, match="steps=0"):
        zero_grad_runs(0)


def test_figures_draw():
    figs = [plot_gradient_agreement([gradient_check(16, 4), gradient_check(16, 4, divide=False)]),
            plot_memory(memory_comparison(256, (1, 4))), plot_division(division_runs(epochs=1)),
            plot_zero_grad(zero_grad_runs(8))]  # fmt: skip
    for fig in figs:
        assert isinstance(fig, Figure) and fig.axes[0].get_xlabel()
    plt.close("all")


# ----------------------------------------------------------------------------- data parallelism (workers)
# Data parallelism with torch.distributed: every process ends up with the whole batch's gradient,
# and the launcher never leaves a worker process behind -- also when one crashes or hangs.
#
# The tests marked ``slow`` start real worker processes (each imports PyTorch: a few seconds).

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ----------------------------------------------------------------------------- fast: no processes


def test_the_arithmetic_behind_it_mean_of_half_batch_gradients_is_the_whole_batch_gradient():
    (xb, yb), = make_batches(64, 1, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    whole, halves = build_model(0), [build_model(0), build_model(0)]
    loss_fn(whole(xb), yb).backward()
    for r, model in enumerate(halves):
        loss_fn(model(xb[32 * r : 32 * (r + 1)]), yb[32 * r : 32 * (r + 1)]).backward()
    for p, a, b in zip(whole.parameters(), *(m.parameters() for m in halves)):
        assert torch.allclose((a.grad + b.grad) / 2, p.grad, atol=1e-6)
        assert not torch.allclose(a.grad, b.grad, atol=1e-3)  # each half alone is a different gradient


def test_reference_and_data_are_seeded():
    a, b = single_process_reference(64, 3, 0.1, 0), single_process_reference(64, 3, 0.1, 0)
    assert a[1] == b[1]
    assert all(torch.equal(a[2][n], b[2][n]) for n in a[2])
    assert not torch.equal(make_batches(8, 1, seed=0)[0][0], make_batches(8, 1, seed=1)[0][0])
    assert [len(x) for x, _ in make_batches(10, 3)] == [10, 10, 10]


def test_find_free_port():
    port = find_free_port()
    assert isinstance(port, int) and 1024 <= port <= 65535


def test_bad_settings_are_named_before_any_process_starts():
    with pytest.raises(ValueError, match="batch_size=63 does not split evenly over world_size=2"):
        run_data_parallel(batch_size=63)
    with pytest.raises(ValueError, match="world_size=5 is out of range"):
        run_data_parallel(world_size=5)
    with pytest.raises(ValueError, match="fault='boom' is not known"):
        run_data_parallel(fault="boom")
    with pytest.raises(ValueError, match="timeout=0.5 is out of range"):
        run_data_parallel(timeout=0.5)
    with pytest.raises(TypeError, match="steps must be a whole number"):
        run_data_parallel(steps=1.5)


def test_interrupting_the_launcher_stops_the_workers(monkeypatch):
    """Ctrl-C in the notebook while the workers run: they are stopped, and the interrupt goes through."""
    seen = {}

    def interrupted_wait(procs, out, timeout, start):
        seen["pids"] = [p.pid for p in procs]
        assert all(p.poll() is None for p in procs)  # they really were started
        raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "_wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        run_data_parallel()
    assert len(seen["pids"]) == 2
    assert not any(_alive(pid) for pid in seen["pids"])


# ----------------------------------------------------------------------------- slow: real processes


@pytest.fixture(scope="module")
def ddp_result():
    return run_data_parallel(world_size=2, batch_size=64, steps=3, lr=0.1, seed=0, timeout=240)


@pytest.mark.slow
def test_every_process_holds_the_whole_batch_gradient(ddp_result):
    r = ddp_result
    assert r.shard_sizes == [32, 32]
    assert r.grad_diff_between_processes == 0.0  # the all-reduce gives every process the very same numbers
    assert r.grad_diff_vs_single < 1e-6  # ... which are the whole batch's gradient, up to float rounding
    assert r.mean_of_local_vs_single < 1e-6
    assert r.local_grad_spread > 1e-2  # before averaging, the processes' gradients differ
    assert r.weight_diff_vs_single < 1e-6  # and after 3 steps every copy is still the single-process model
    for step in range(3):
        mean = sum(losses[step] for losses in r.losses) / 2
        assert mean == pytest.approx(r.reference_losses[step], abs=1e-6)
    assert "averaged gradients differ between processes by      0.00e+00" in r.summary()
    assert isinstance(plot_data_parallel(r), Figure)


@pytest.mark.slow
def test_a_crashing_worker_is_reported_and_every_worker_stopped():
    start = time.perf_counter()
    with pytest.raises(DistributedRunError, match="worker 1 failed") as info:
        run_data_parallel(fault="crash", timeout=240)
    assert time.perf_counter() - start < 200  # it did not sit out the timeout
    assert "deliberate crash of worker 1" in str(info.value)
    assert len(info.value.pids) == 2
    assert not any(_alive(pid) for pid in info.value.pids)


@pytest.mark.slow
def test_a_hanging_worker_is_stopped_at_the_timeout():
    start = time.perf_counter()
    with pytest.raises(DistributedRunError, match="timed out after 6 s") as info:
        run_data_parallel(fault="hang", timeout=6)
    assert time.perf_counter() - start < 6 + 10  # the timeout, plus at most the terminate/kill grace
    assert not any(_alive(pid) for pid in info.value.pids)


@pytest.mark.slow
def test_the_same_worker_runs_under_torchrun(tmp_path):
    """What the notebook says works: `torchrun --nproc-per-node=2 -m <the workers module> --out DIR`."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun is not installed next to this Python")
    port = find_free_port()
    cmd = [torchrun, "--nproc-per-node=2", "--master-addr=127.0.0.1", f"--master-port={port}",
           "-m", "course_utils.lessons.l10_gradient_accumulation.workers", "--out", str(tmp_path),
           "--steps", "1"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    ref_grads, _, _ = single_process_reference(64, 1, 0.1, 0)
    for name, g in ref_grads.items():
        assert torch.equal(records[0]["synced_grads"][name], records[1]["synced_grads"][name])
        assert torch.allclose(records[0]["synced_grads"][name], g, atol=1e-6)


# ----------------------------------------------------------------------------- exercises (ch10): beyond right and wrong
# (right / wrong / no answer for every exercise: tests/exercise_cases.py)


def test_q3_hint_and_solution_name_adams_denominator(capsys):
    ch10.q3.hint()
    ch10.q3.solution()
    out = capsys.readouterr().out
    assert "Hint 1/1" in out and "sqrt(v)" in out


# ----------------------------------------------------------------------------- the prose's claims, number by number


def test_claims_of_section_1_in_numbers():
    check = gradient_check(16, 4)
    assert check.max_abs_diff < 1e-7  # "agree to about 10^-8"
    d = division_runs(micro_batch_size=16, accumulation_steps=4, lr=0.1, epochs=4, optimizer="sgd")
    assert d.not_divided[-1] < d.divided[-1]  # "here that happens to learn faster" (lr 0.1 was cautious)


def test_claims_of_section_3_memory_in_numbers():
    rows = memory_comparison(batch_size=1024, accumulation_steps=(1, 16), hidden=(256, 256))
    assert round(rows[0].peak_total / rows[1].peak_total) == 4  # "cut the total by 4 ..., not by 16"
    assert (round(rows[0].peak_total / 1e6, 2), round(rows[1].peak_total / 1e6, 2)) == (2.67, 0.67)
    assert (round(rows[0].peak_activations / 1e6, 2), round(rows[1].peak_activations / 1e6, 2)) == (2.12, 0.13)


def test_claims_of_section_4_the_forgotten_zero_grad():
    z = zero_grad_runs(steps=48, lr=0.02, batch_size=32)
    assert z.grad_norm_without[11] > 6 * max(z.grad_norm_with)  # "by step 12 more than 6 times longer"
    assert z.loss_without[8] < z.loss_without[0] - 0.3  # "the loss even falls for a while"


def test_the_demo_picture_covers_every_setting_and_blits_the_full_picture():
    import io

    import numpy as np
    from PIL import Image

    from course_utils.lessons.l10_gradient_accumulation.figures import (
        DEMO_LOSS_LIMITS,
        DEMO_MAX_STEPS,
        AccumulationPicture,
    )

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)

    picture = AccumulationPicture()
    default, other = accumulation_demo(micro_batch=16, accum_steps=4), accumulation_demo(micro_batch=64, accum_steps=8)
    frames = [pixels(picture(r).png) for r in (other, default)]
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # another setting, another picture
    assert np.abs(frames[1] - pixels(picture.full_redraw(default))).mean() < 1.0  # blitted = fully drawn
    assert not picture.clip_text.get_visible()
    assert picture.left.get_ylim() == DEMO_LOSS_LIMITS and picture.left.get_xlim() == pytest.approx((1, DEMO_MAX_STEPS))
    smallest = accumulation_demo(micro_batch=2, accum_steps=1)  # the sliders' extreme: most steps, largest losses
    picture(smallest)
    assert len(smallest.big_batch.history.step_loss) == DEMO_MAX_STEPS and picture.clip_text.get_visible()
    assert np.all(picture.big.get_ydata() <= DEMO_LOSS_LIMITS[1])
