"""Data parallelism with torch.distributed: every process ends up with the whole batch's gradient,
and the launcher never leaves a worker process behind -- also when one crashes or hangs.

The tests marked ``slow`` start real worker processes (each imports PyTorch: a few seconds)."""

import os
import subprocess
import sys
import time

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils import distributed
from course_utils.distributed import (
    DistributedRunError,
    build_model,
    find_free_port,
    make_batches,
    run_data_parallel,
    single_process_reference,
)
from course_utils.figures.accumulation import plot_data_parallel


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
    """What the notebook says: `torchrun --nproc-per-node=2 -m course_utils.distributed --out DIR` works."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun is not installed next to this Python")
    port = find_free_port()
    cmd = [torchrun, "--nproc-per-node=2", "--master-addr=127.0.0.1", f"--master-port={port}",
           "-m", "course_utils.distributed", "--out", str(tmp_path), "--steps", "1"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    ref_grads, _, _ = single_process_reference(64, 1, 0.1, 0)
    for name, g in ref_grads.items():
        assert torch.equal(records[0]["synced_grads"][name], records[1]["synced_grads"][name])
        assert torch.allclose(records[0]["synced_grads"][name], g, atol=1e-6)
