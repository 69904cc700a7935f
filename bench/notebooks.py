"""Run notebooks in fresh kernels and measure wall time, the kernel's peak memory and demo updates."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

# Appended to a notebook after it ran: refresh every Demo it created 10 times at its current
# (default) settings, cold (never from the demo's cache), and report the kernel-side time of each refresh.
DEMO_PROBE = """
import gc as _gc, json as _json, time as _time
from course_utils.widgets import Demo as _Demo
_found = []
for _d in [o for o in _gc.get_objects() if type(o) is _Demo]:  # type(): dead weak proxies (tqdm) raise on isinstance
    _t = []
    for _ in range(10):
        _s = _time.perf_counter(); _d.refresh(use_cache=False); _t.append(_time.perf_counter() - _s)
    _found.append({"demo": getattr(_d.run, "__name__", "demo") + "(" + ", ".join(_d.controls) + ")", "seconds": _t,
                   "draw_seconds": _d.draw_timings[-10:], "error": _d.error})
print("BENCH_DEMOS " + _json.dumps(_found))
"""


def _peak_rss_mb(pid: int) -> float:
    """The kernel process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_notebook(path: Path, time_demos: bool = False, timeout: int = 600) -> dict:
    """Execute ``path`` top to bottom in a new kernel; return seconds, peak MB and demo timings."""
    nb = nbformat.read(path, as_version=4)
    if time_demos:
        nb.cells.append(nbformat.v4.new_code_cell(DEMO_PROBE))
    resources = {"metadata": {"path": str(path.parent)}}
    quiet = ["--IPKernelApp.log_level=ERROR"]  # not the "running over TCP" warning for every notebook
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources, extra_arguments=quiet)
    result: dict = {"notebook": path.name}
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        start = time.perf_counter()
        n_cells = len(nb.cells) - (1 if time_demos else 0)
        for index, cell in enumerate(nb.cells[:n_cells]):
            client.execute_cell(cell, index)
        result["seconds"] = time.perf_counter() - start
        result["peak_mb"] = _peak_rss_mb(pid)
        if time_demos:
            cell = nb.cells[-1]
            client.execute_cell(cell, len(nb.cells) - 1)
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            demos = json.loads(text.split("BENCH_DEMOS ", 1)[1].splitlines()[0]) if "BENCH_DEMOS " in text else []
            for demo in demos:
                demo["median"] = statistics.median(demo["seconds"])
                demo["draw_median"] = statistics.median(demo["draw_seconds"]) if demo["draw_seconds"] else 0.0
                demo["p90"] = sorted(demo["seconds"])[int(0.9 * (len(demo["seconds"]) - 1))]
            result["demos"] = demos
    return result


def _pin_to_a_cpu(cpus) -> None:
    """A worker process's initializer: take one CPU from the queue ``cpus`` and stay on it (kernels inherit it)."""
    os.sched_setaffinity(0, {cpus.get()})
    os.environ["OMP_NUM_THREADS"] = "1"


def run_on_one_cpu_each(paths: list[Path]) -> Iterator[dict]:
    """:func:`run_notebook` for every path, each notebook and its kernel on one CPU of its own (as on
    mybinder.org, which gives a server one CPU), as many notebooks at once as this process has CPUs.

    Results come in the order of ``paths``. Two at once on two CPUs halve the wall time; each kernel
    still has exactly one CPU, and its peak memory is its own."""
    cpus = sorted(os.sched_getaffinity(0))
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited from this one
    queue = spawn.Queue()
    for cpu in cpus:
        queue.put(cpu)
    with concurrent.futures.ProcessPoolExecutor(len(cpus), mp_context=spawn, initializer=_pin_to_a_cpu,
                                                initargs=(queue,)) as pool:  # fmt: skip
        yield from pool.map(run_notebook, paths)


def all_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))
