"""Data parallelism with PyTorch's real engine: ``torch.distributed`` + ``DistributedDataParallel``.

Several processes each hold a full copy of the model. Every step, each process takes its own share
of the batch, runs forward and backward on it, and ``DistributedDataParallel`` (DDP) averages the
gradients of all processes *during* ``backward()`` (an "all-reduce"). After that every process
holds the same gradient -- the one a single process would get on the whole batch -- so every
optimizer step is the same everywhere and the copies never drift apart.

This file has two halves:

* **the worker** (:func:`worker`, run by :func:`main`): what each process executes. It reads its
  place in the group from the environment variables ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
  ``MASTER_PORT`` -- exactly the ones ``torchrun`` sets -- so the same file runs unchanged under
  ``torchrun`` on one machine or on several::

      torchrun --nproc-per-node=2 -m course_utils.lessons.l10_gradient_accumulation.workers --out /tmp/ddp

* **the launcher** (:func:`run_data_parallel`): what the notebook calls. It starts the worker
  processes on this machine (gloo backend, CPU, one thread each), waits for them with a timeout,
  always stops them -- also when one fails or hangs -- and compares their gradients with one
  process trained on the whole batch.

The worker half imports nothing but PyTorch and the standard library, so a worker process starts
as fast as Python can import ``torch``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "FAULTS",
    "DataParallelResult",
    "DistributedRunError",
    "build_model",
    "make_batches",
    "find_free_port",
    "worker",
    "single_process_reference",
    "run_data_parallel",
    "main",
]

FAULTS = ("crash", "hang")
"""Deliberate failures of the last worker, for testing that the launcher cleans up:
``"crash"`` raises an exception, ``"hang"`` never finishes (the launcher's timeout ends it)."""

N_FEATURES, HIDDEN, N_CLASSES = 10, 32, 2


# ----------------------------------------------------------------------------- shared by both halves


def build_model(seed: int = 0) -> nn.Sequential:
    """The network every process holds a copy of: 10 -> 32 -> 2 with ReLU, from a seeded start."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(N_FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, N_CLASSES))


def make_batches(batch_size: int, steps: int, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` batches of ``batch_size`` examples: 10 random features, a random class 0 or 1."""
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(steps * batch_size, N_FEATURES, generator=g)
    y = torch.randint(0, N_CLASSES, (steps * batch_size,), generator=g)
    return [(X[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size]) for i in range(steps)]


def _grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def _weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# ----------------------------------------------------------------------------- the worker


def worker(rank: int, world_size: int, *, batch_size: int, steps: int, lr: float, seed: int, out: Path,
           timeout: float = 30.0, fault: str | None = None) -> None:  # fmt: skip
    """What one process does: join the group, train ``steps`` steps on its share, save what it saw.

    Every process runs this same function; only ``rank`` (0, 1, ...) differs. It writes
    ``out/rank<rank>.pt`` holding its shard size, its local gradient (of its share alone, before
    averaging), the gradient after DDP's averaging, its losses and its final weights.
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.set_num_threads(1)  # two processes on a small CPU: one thread each, no oversubscription
    # MASTER_ADDR and MASTER_PORT (from the environment) say where process 0 waits for the others.
    dist.init_process_group("gloo", rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=timeout))  # fmt: skip
    try:
        if fault == "crash" and rank == world_size - 1:
            raise RuntimeError(f"deliberate crash of worker {rank} (fault='crash'), to test the clean-up")
        if fault == "hang" and rank == world_size - 1:
            time.sleep(10 * timeout)  # never reaches the all-reduce; the launcher's timeout must end it
        model = DDP(build_model(seed))  # DDP copies process 0's weights to every process
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        shard = batch_size // world_size
        record: dict = {"rank": rank, "world_size": world_size, "shard_size": shard, "losses": []}
        for step, (xb, yb) in enumerate(make_batches(batch_size, steps, seed)):
            x, y = xb[rank * shard : (rank + 1) * shard], yb[rank * shard : (rank + 1) * shard]  # my share
            if step == 0:  # for show: the gradient of my share alone, without talking to the others
                optimizer.zero_grad()
                with model.no_sync():
                    loss_fn(model(x), y).backward()
                record["local_grads"] = {n.removeprefix("module."): g for n, g in _grads(model).items()}
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)  # forward on my share only
            loss.backward()  # backward; DDP averages the gradients of all processes meanwhile
            if step == 0:
                record["synced_grads"] = {n.removeprefix("module."): g for n, g in _grads(model).items()}
            optimizer.step()  # the same averaged gradient everywhere -> the same update everywhere
            record["losses"].append(loss.item())
        record["weights"] = {n.removeprefix("module."): w for n, w in _weights(model).items()}
        torch.save(record, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry of one worker:
    ``torchrun --nproc-per-node=2 -m course_utils.lessons.l10_gradient_accumulation.workers --out DIR``
    (or started by :func:`run_data_parallel`). Its rank and the group size come from ``$RANK``/``$WORLD_SIZE``."""
    parser = argparse.ArgumentParser(description="One worker of the data-parallel demo (rank from $RANK).")
    parser.add_argument("--out", required=True, help="folder for rank<N>.pt result files")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--fault", choices=FAULTS, default=None)
    args = parser.parse_args(argv)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    Path(args.out).mkdir(parents=True, exist_ok=True)
    # Stopped by the launcher (SIGTERM): leave through the `finally` that destroys the process group.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"worker {rank} was stopped (SIGTERM)"))
    worker(rank, world_size, batch_size=args.batch_size, steps=args.steps, lr=args.lr, seed=args.seed,
           out=Path(args.out), timeout=args.timeout, fault=args.fault)  # fmt: skip


# ----------------------------------------------------------------------------- the launcher


class DistributedRunError(RuntimeError):
    """A worker failed or the run timed out. ``pids`` lists the worker processes (all stopped by then)."""

    def __init__(self, message: str, pids: list[int]) -> None:
        super().__init__(message)
        self.pids = pids


@dataclass
class DataParallelResult:
    """What the processes computed, next to one process on the whole batch.

    ``local_grads[r]``: process r's gradient of its own share (before averaging);
    ``synced_grads[r]``: process r's gradient after ``backward()`` with DDP (averaged over processes);
    ``reference_grads``: one process, the whole batch; ``weights``/``reference_weights``: after all steps.
    """

    world_size: int
    batch_size: int
    steps: int
    lr: float
    seed: int
    shard_sizes: list[int]
    local_grads: list[dict[str, torch.Tensor]] = field(repr=False)
    synced_grads: list[dict[str, torch.Tensor]] = field(repr=False)
    reference_grads: dict[str, torch.Tensor] = field(repr=False)
    losses: list[list[float]]
    reference_losses: list[float]
    weights: list[dict[str, torch.Tensor]] = field(repr=False)
    reference_weights: dict[str, torch.Tensor] = field(repr=False)
    seconds: float = 0.0

    @staticmethod
    def _max_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
        return max((a[n] - b[n]).abs().max().item() for n in a)

    @property
    def grad_diff_between_processes(self) -> float:
        """Largest |difference| between any process's averaged gradient and process 0's (0.0: identical)."""
        return max(self._max_diff(g, self.synced_grads[0]) for g in self.synced_grads)

    @property
    def grad_diff_vs_single(self) -> float:
        """Largest |difference| between the processes' averaged gradient and one process on the whole batch."""
        return max(self._max_diff(g, self.reference_grads) for g in self.synced_grads)

    @property
    def local_grad_spread(self) -> float:
        """Largest |difference| between the processes' *local* gradients (their shares differ, so these do)."""
        return max(self._max_diff(g, self.local_grads[0]) for g in self.local_grads)

    @property
    def mean_of_local_vs_single(self) -> float:
        """Largest |difference| between the plain mean of the local gradients and the whole-batch gradient."""
        mean = {n: sum(g[n] for g in self.local_grads) / self.world_size for n in self.reference_grads}
        return self._max_diff(mean, self.reference_grads)

    @property
    def weight_diff_vs_single(self) -> float:
        """Largest |difference| between any process's weights after all steps and the single process's."""
        return max(self._max_diff(w, self.reference_weights) for w in self.weights)

    def summary(self) -> str:
        """The key numbers in words (fixed decimals; no wall-clock time)."""
        return (
            f"{self.world_size} processes x {self.shard_sizes[0]} examples = batch of {self.batch_size}, "
            f"{self.steps} steps\n"
            f"local gradients differ between processes by up to   {self.local_grad_spread:.2e}\n"
            f"averaged gradients differ between processes by      {self.grad_diff_between_processes:.2e}\n"
            f"averaged gradient vs one process on the whole batch: {self.grad_diff_vs_single:.2e}\n"
            f"weights after {self.steps} steps vs one process:           {self.weight_diff_vs_single:.2e}"
        )


# Run this file as a script without putting its folder on sys.path (where course_utils' own module names, such
# as data.py, could shadow others) and without importing the whole course_utils package (matplotlib, widgets):
# a worker needs only torch.
_BOOTSTRAP = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def single_process_reference(
    batch_size: int, steps: int, lr: float, seed: int
) -> tuple[dict[str, torch.Tensor], list[float], dict[str, torch.Tensor]]:
    """One process, the whole batch, plain SGD: the first step's gradient, the losses, the final weights."""
    model = build_model(seed)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    first_grads, losses = None, []
    for xb, yb in make_batches(batch_size, steps, seed):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        first_grads = first_grads or _grads(model)
        optimizer.step()
        losses.append(loss.item())
    return first_grads, losses, _weights(model)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate every worker still running, then make sure each has exited (kill if it must)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_data_parallel(
    world_size: int = 2,
    batch_size: int = 64,
    steps: int = 3,
    lr: float = 0.1,
    seed: int = 0,
    timeout: float = 120.0,
    fault: str | None = None,
) -> DataParallelResult:
    """Train with ``world_size`` processes on this machine (DDP, gloo, CPU) and compare with one process.

    Each of ``steps`` batches of ``batch_size`` examples is split evenly: process r takes rows
    ``r*shard`` to ``(r+1)*shard``. The workers are separate Python processes (started like
    ``torchrun`` would, with ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR=127.0.0.1`` and a free
    ``MASTER_PORT`` in their environment) with one CPU thread each.

    Whatever happens -- a worker crashing, a worker hanging past ``timeout`` seconds, Ctrl-C in the
    notebook -- every worker process is stopped before this function returns or raises
    (:class:`DistributedRunError` names what went wrong and shows the failing worker's last words).
    """
    from ...checks import check_choice, check_float, check_int

    world_size = check_int("world_size", world_size, minimum=1, maximum=4)
    batch_size = check_int("batch_size", batch_size, minimum=world_size, maximum=4096)
    if batch_size % world_size:
        raise ValueError(
            f"batch_size={batch_size} does not split evenly over world_size={world_size} processes. Allowed: a "
            f"multiple of {world_size}, e.g. {batch_size - batch_size % world_size}. (With unequal shares, the "
            "average of the processes' gradients is no longer the whole batch's gradient.)"
        )
    steps = check_int("steps", steps, minimum=1, maximum=100)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    timeout = check_float("timeout", timeout, minimum=1.0, maximum=600.0)
    if fault is not None:
        check_choice("fault", fault, FAULTS)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tll-ddp-") as tmp:
        out = Path(tmp)
        port = find_free_port()
        base_env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                    "WORLD_SIZE": str(world_size), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fmt: skip
        command = [sys.executable, "-c", _BOOTSTRAP, str(Path(__file__).resolve()), "--out", str(out),
                   "--batch-size", str(batch_size), "--steps", str(steps), "--lr", repr(lr), "--seed", str(seed),
                   "--timeout", repr(timeout)]  # fmt: skip
        if fault is not None:
            command += ["--fault", fault]
        procs: list[subprocess.Popen] = []
        logs = []
        try:
            for rank in range(world_size):
                log = open(out / f"rank{rank}.log", "wb")  # closed in the finally below
                logs.append(log)
                env = {**base_env, "RANK": str(rank), "LOCAL_RANK": str(rank)}
                procs.append(subprocess.Popen(command, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT))
            _wait(procs, out, timeout, start)
            records = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(world_size)]
        finally:
            _stop(procs)
            for log in logs:
                log.close()
    seconds = time.perf_counter() - start
    ref_grads, ref_losses, ref_weights = single_process_reference(batch_size, steps, lr, seed)
    return DataParallelResult(
        world_size=world_size, batch_size=batch_size, steps=steps, lr=lr, seed=seed,
        shard_sizes=[r["shard_size"] for r in records],
        local_grads=[r["local_grads"] for r in records], synced_grads=[r["synced_grads"] for r in records],
        reference_grads=ref_grads, losses=[r["losses"] for r in records], reference_losses=ref_losses,
        weights=[r["weights"] for r in records], reference_weights=ref_weights, seconds=seconds,
    )  # fmt: skip


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def _wait(procs: list[subprocess.Popen], out: Path, timeout: float, start: float) -> None:
    """Wait until every worker exits; raise at the first failure or when ``timeout`` seconds have passed."""
    pids = [p.pid for p in procs]
    while True:
        codes = [p.poll() for p in procs]
        failed = [(rank, code) for rank, code in enumerate(codes) if code is not None and code != 0]
        if failed:
            _stop(procs)
            reports = [f"worker {rank} failed (exit code {code}). Its last output:\n{_tail(out / f'rank{rank}.log')}"
                       for rank, code in failed]  # fmt: skip
            raise DistributedRunError("\n".join(reports) + f"\nAll {len(procs)} workers were stopped.", pids)
        if all(code == 0 for code in codes):
            return
        if time.perf_counter() - start > timeout:
            _stop(procs)
            waiting = [rank for rank, code in enumerate(codes) if code is None]
            raise DistributedRunError(
                f"timed out after {timeout:g} s: worker(s) {waiting} had not finished (a process that never "
                f"joins the all-reduce leaves the others waiting). All {len(procs)} workers were stopped.",
                pids,
            )
        time.sleep(0.02)


if __name__ == "__main__":
    main()
