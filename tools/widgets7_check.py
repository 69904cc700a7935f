"""Does the course run on ipywidgets 7 (what Colab ships)? Every notebook, every control, in a second venv.

Colab cannot be reached from CI, and upgrading Colab's ipywidgets to 8 breaks its own widgets
(googlecolab/colabtools #3020, #4525), so the course has to work with ipywidgets 7.7+. This script:

1. builds a small venv (``.venv-widgets7``, kept between runs) that holds only ``ipywidgets==7.8.5``
   (the newest 7.x) and its front-end halves, over the README's ``.venv`` (which must exist): every
   other package, and the course itself, are the ones of ``.venv`` (see :func:`build_venv`);
2. in that venv, executes every notebook in ``notebooks/`` top to bottom in a real kernel (nbclient),
   two notebooks at a time, each in its own kernel;
3. then, in the same kernel, operates every interactive widget the notebook left alive:
   every control of every :class:`~course_utils.widgets.Demo` is changed from code
   (``demo.update(name=new_value)``) and must change the demo's output with ``demo.error is None``;
   every other control (the quiz's radio buttons, lesson 00's slider) is given a new value, and
   every button (the quiz's *Check*, the step-through's phases) is clicked and must change what
   some widget shows, with no error text in any output.

The widgets are found from the notebooks themselves (every live ``Demo`` and ``Widget`` object in
the kernel after the notebook ran), not from a list: a demo added to a notebook is checked
without anyone keeping a list up to date.

Usage (CI runs it from ``.ci/run``)::

    python3 tools/widgets7_check.py                 # build or reuse the venv, check every notebook
    python3 tools/widgets7_check.py 05_batch_size   # only the notebooks whose names contain this

It prints one line per notebook, the time it took, and exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-widgets7"
IPYWIDGETS = "7.8.5"  # the newest 7.x on PyPI; Colab ships 7.7.x
MAIN_VENV = ROOT / ".venv"  # the README's environment: everything but ipywidgets 7 comes from it
MARK = "WIDGETS7-REPORT "

# Runs inside the notebook's kernel after its last cell: finds the widgets, operates them, prints a report.
DRIVER = r'''
def _widgets7_drive():
    import gc, json, math
    import ipywidgets as W
    from course_utils.widgets import Demo

    def shown():  # what every widget shows: outputs of Output widgets, values of HTML/Label widgets
        ws = [o for o in gc.get_objects() if isinstance(o, W.Widget) and getattr(o, "comm", None) is not None]
        return repr(sorted((type(w).__name__, w.model_id, repr(w.outputs if isinstance(w, W.Output) else w.value))
                           for w in ws if isinstance(w, (W.Output, W.HTML, W.Label))))

    def errors_shown():
        bad = []
        for w in gc.get_objects():
            if isinstance(w, W.Output):
                for out in w.outputs:
                    text = str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
                    if out.get("output_type") == "error" or "Traceback" in text or "That did not work" in text:
                        bad.append(text[:200] or out.get("ename", "error"))
        return bad

    def new_value(w):
        if isinstance(w, W.Checkbox) or isinstance(w, W.ToggleButton):
            return not w.value
        if hasattr(w, "_options_values"):
            values = list(w._options_values)
            if not values:
                return None
            i = values.index(w.value) if w.value in values else -1
            return values[(i + 1) % len(values)] if i + 1 < len(values) else values[i - 1 if i > 0 else 0]
        if isinstance(w, W.FloatLogSlider):
            exp = math.log(w.value, w.base)
            exp = exp + w.step if exp + w.step <= w.max + 1e-9 else exp - w.step
            return w.base ** exp
        if hasattr(w, "step") and hasattr(w, "max") and hasattr(w, "min"):
            return w.value + w.step if w.value + w.step <= w.max else w.value - w.step
        return None

    report = {"demos": 0, "controls": 0, "buttons": 0, "loose": 0, "failures": []}
    demos = [o for o in gc.get_objects() if isinstance(o, Demo)]
    owned = set()
    for d, demo in enumerate(demos):
        report["demos"] += 1
        if demo.error is not None:
            report["failures"].append(f"demo {d} shows an error before any change: {demo.error}")
        for name, control in demo.controls.items():
            owned.add(id(control))
            value = new_value(control)
            if value is None:
                report["failures"].append(f"demo {d}: no other value for control {name} ({type(control).__name__})")
                continue
            before = repr(demo.output.outputs)
            try:
                demo.update(**{name: value})
            except Exception as exc:
                report["failures"].append(f"demo {d}: update({name}={value!r}) raised {type(exc).__name__}: {exc}")
                continue
            report["controls"] += 1
            if demo.error is not None:
                report["failures"].append(f"demo {d}: {name}={value!r} shows an error: {demo.error}")
            elif repr(demo.output.outputs) == before:
                report["failures"].append(f"demo {d}: {name}={value!r} did not change the output")
    widgets = [o for o in gc.get_objects() if isinstance(o, W.Widget) and getattr(o, "comm", None) is not None]
    for w in widgets:  # other controls first (a quiz's answer), then the buttons that read them
        if id(w) in owned or not isinstance(w, W.ValueWidget) or isinstance(w, (W.Output, W.HTML, W.Label)):
            continue
        value = new_value(w)
        if value is not None:
            try:
                w.value = value
                report["loose"] += 1
            except Exception as exc:
                report["failures"].append(f"{type(w).__name__}.value = {value!r} raised {type(exc).__name__}: {exc}")
    for w in widgets:
        if isinstance(w, W.Button) and w._click_handlers.callbacks:
            before = shown()
            try:
                w.click()
            except Exception as exc:
                report["failures"].append(f"button {w.description!r} raised {type(exc).__name__}: {exc}")
                continue
            report["buttons"] += 1
            if shown() == before and not w.description.startswith("Run"):
                report["failures"].append(f"button {w.description!r} changed nothing that is shown")
    report["failures"] += [f"error shown: {text}" for text in errors_shown()]
    report["ipywidgets"] = W.__version__
    print("MARK" + json.dumps(report))

_widgets7_drive()
'''.replace("MARK", MARK)


def _site_packages(python: Path) -> str:
    """The ``site-packages`` folder of the environment whose interpreter is ``python``."""
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    return subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def build_venv(venv: Path = VENV, main: Path = MAIN_VENV) -> float:
    """Create (or reuse) the ipywidgets-7 venv; returns the seconds it took.

    It is a layer over the course's own ``.venv``: a ``.pth`` file adds that environment's packages
    (torch, matplotlib, ipykernel, the editable ``course_utils``: the very pins the course is tested with)
    behind the venv's own, and only ``ipywidgets==7.8.5`` and its front-end halves (widgetsnbextension 3,
    jupyterlab_widgets 1) are installed into the venv, where they come first on ``sys.path``. pip leaves
    the packages of ``.venv`` alone ("outside environment"). Installing everything afresh took ~115 s."""
    start = time.perf_counter()
    if not (main / "bin" / "python").exists():
        raise SystemExit(f"{main} is missing: run the README's test command first (it sets up .venv), then this")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    layer = Path(_site_packages(python)) / "_course_venv.pth"
    layer.write_text(f"import site; site.addsitedir({_site_packages(main / 'bin' / 'python')!r})\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"ipywidgets=={IPYWIDGETS}"], check=True)
    return time.perf_counter() - start


def check_notebook(path: Path, timeout: int = 600) -> dict:
    """Inside the venv: run ``path`` in a fresh kernel, then the widget driver; returns the driver's report."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DRIVER))
    quiet = ["--IPKernelApp.log_level=ERROR"]  # not the "running over TCP" warning for every notebook
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=quiet,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for out in nb.cells[-1].outputs:
        for line in str(out.get("text", "")).splitlines():
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
    raise RuntimeError(f"{path.name}: the widget driver printed no report: {nb.cells[-1].outputs}")


def _timed_check(path: Path) -> tuple[dict, float]:
    """:func:`check_notebook`, with a failing cell turned into the report's failure, and its seconds."""
    start = time.perf_counter()
    try:
        report = check_notebook(path)
    except Exception as exc:  # a cell failed: that is the finding
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the kernel's traceback comes in colour
        report = {"failures": [f"{type(exc).__name__}: {text[-1500:]}"]}
    return report, time.perf_counter() - start


def inside(patterns: list[str]) -> int:
    """The part that runs in the venv: every (matching) notebook, one line each; 1 when anything failed."""
    everything = sorted((ROOT / "notebooks").glob("*.ipynb"))
    notebooks = [p for p in everything if not patterns or any(s in p.name for s in patterns)]
    if not notebooks:
        print(f"no notebook matches {patterns}")
        return 1
    failed = 0
    # Two kernels at a time (each notebook has its own; the machines here have 2 cores), reported in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for path, (report, took) in zip(notebooks, pool.map(_timed_check, notebooks)):
            counts = ", ".join(f"{report.get(k, 0)} {k}" for k in ("demos", "controls", "buttons", "loose"))
            if not str(report.get("ipywidgets", "7.")).startswith("7."):
                report["failures"].append(f"the kernel ran ipywidgets {report['ipywidgets']}, not 7.x")
            verdict = "FAIL" if report["failures"] else "ok"
            print(f"{verdict:4} {path.name:40} {counts}  ({took:.1f} s, ipywidgets {report.get('ipywidgets', '?')})")
            for failure in report["failures"]:
                print(f"       - {failure}")
            failed += bool(report["failures"])
    print(f"ipywidgets 7: {len(notebooks) - failed} of {len(notebooks)} notebooks ok")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="check only notebooks whose file names contain one of these")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        return inside(args.notebooks)
    start = time.perf_counter()
    built = build_venv()
    print(f"ipywidgets {IPYWIDGETS} venv ready in {built:.0f} s ({VENV.relative_to(ROOT)})")
    code = subprocess.run([str(VENV / "bin" / "python"), __file__, "--inside", *args.notebooks]).returncode
    print(f"ipywidgets 7 check finished in {time.perf_counter() - start:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
