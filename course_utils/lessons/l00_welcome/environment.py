"""Lesson 00: is this machine ready for the course? Versions, widgets and speed, checked in words."""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "environment_report",
    "check_environment",
    "setup_problems",
    "advice",
    "front_end",
    "hosting",
    "server_command",
    "widget_check",
    "widget_bundle",
    "speed_verdict",
    "TESTED_TORCH",
    "MIN_IPYWIDGETS",
]

TESTED_TORCH = "2.13"


def environment_report() -> dict[str, str]:
    """Versions and hardware, as plain strings (for the welcome notebook's environment check)."""
    import ipywidgets
    import matplotlib

    if torch.cuda.is_available():
        accelerator = f"CUDA GPU: {torch.cuda.get_device_name(0)}"
    elif torch.backends.mps.is_available():
        accelerator = "Apple MPS GPU"
    else:
        accelerator = "none (CPU only -- the course is built for this)"
    return {
        "Python": platform.python_version(),
        "PyTorch": torch.__version__,
        "ipywidgets": ipywidgets.__version__,
        "matplotlib": matplotlib.__version__,
        "CPU threads used by PyTorch": str(torch.get_num_threads()),
        "GPU": accelerator,
    }


def check_environment() -> list[str]:
    """Print the environment and, in plain words, anything that will get in the way. Returns the problems."""
    for key, value in environment_report().items():
        print(f"{key:>28}: {value}")
    problems = setup_problems()
    print()
    if problems:
        for problem in problems:
            print("! " + problem)
    else:
        print("All good: your setup matches the one the course was tested with.")
    for line in advice():
        print("* " + line)
    return problems


def setup_problems() -> list[str]:
    """What will get in the way, in plain words, with the fix that is right for this front end."""
    import ipywidgets

    where = front_end()
    problems: list[str] = []
    if sys.version_info < (3, 10):  # noqa: UP036 (the learner's Python may be older than ours)
        problems.append(f"Python {platform.python_version()} is too old: the course needs Python 3.10 or newer.")
    if not torch.__version__.startswith(TESTED_TORCH):
        problems.append(
            f"PyTorch {torch.__version__} is not the tested {TESTED_TORCH}: everything should run, but the "
            "numbers you get may differ slightly from the ones saved in the notebooks."
        )
    version = _version_tuple(ipywidgets.__version__)
    if version < MIN_IPYWIDGETS:
        fix = ("restart the runtime (Runtime > Restart session) so that Colab's own ipywidgets is loaded"
               if where == "Colab" else "install the course with the README's command (it pins ipywidgets 8.1.8)")
        problems.append(f"ipywidgets {ipywidgets.__version__} is too old: the course needs 7.7 or newer; {fix}.")
    elif where == "VS Code" and version >= BROKEN_IN_VS_CODE:
        problems.append(f"ipywidgets {ipywidgets.__version__} draws nothing in VS Code (microsoft/vscode-jupyter "
                        "#17504): run  pip install ipywidgets==8.1.8  and restart the kernel.")  # fmt: skip
    if where in ("JupyterLab", "Notebook 7", "Jupyter") and importlib.util.find_spec("jupyterlab_widgets") is None:
        problems.append("The JupyterLab side of the widgets (jupyterlab_widgets) is not installed in this "
                        "environment; sliders may not render. Install the course with the README's "
                        "command.")  # fmt: skip
    return problems


def advice() -> list[str]:
    """Where this notebook runs, and what to know there (widgets, saving your work)."""
    where, host = front_end(), hosting()
    lines = [f"Front end: {where}{f' on {host}' if host else ''}. {FRONT_END_ADVICE[where]}"]
    if host:
        lines.append(HOST_ADVICE[host])
    return lines


MIN_IPYWIDGETS = (7, 7)
"""The oldest ipywidgets the course runs on: Colab ships 7.x (tools/widgets7_check.py runs every demo on 7.8)."""
BROKEN_IN_VS_CODE = (8, 1, 9)
"""From this ipywidgets release on, VS Code's notebooks draw no widgets (microsoft/vscode-jupyter #17504)."""

FRONT_END_ADVICE = {
    "Colab": "Colab's own ipywidgets (7.x) works for every slider: do not upgrade it, that breaks Colab's "
             "widgets. If a slider does not show, use Runtime > Restart session and run the cells again.",
    "VS Code": "Sliders need VS Code's Jupyter extension and ipywidgets 8.1.8 (8.1.9 draws nothing there); "
               "trust the notebook when VS Code asks.",
    "JupyterLab": "This is the front end the course is tested in most (every notebook, every control).",
    "Notebook 7": "Jupyter Notebook 7 is tested too (every notebook, every control).",
    "Jupyter": "A Jupyter server (JupyterLab or Notebook 7, e.g. on a JupyterHub): sliders work as in JupyterLab.",
    "plain kernel": "No notebook front end found (a console, nbconvert or a test run): sliders need "
                    "JupyterLab, Notebook 7, VS Code or Colab to be drawn.",
}  # fmt: skip
HOST_ADVICE = {
    "Binder": "Binder shuts your server down after about ten idle minutes, and your edits go with it: "
              "save your work with File > Download before you take a break.",
    "JupyterHub": "On a JupyterHub your notebooks stay in your home folder between sessions.",
}


def front_end(environ: Mapping[str, str] | None = None, modules: Iterable[str] | None = None,
              server: str | None = None) -> str:  # fmt: skip
    """The front end this kernel serves, from what it can see (arguments default to this process's).

    In this order: ``google.colab`` imported -> "Colab"; the Jupyter server that started the kernel
    (``server``, its command line) is ``jupyter-lab`` -> "JupyterLab", ``jupyter-notebook`` ->
    "Notebook 7"; a ``VSCODE_PID`` (or other ``VSCODE_*``) variable -> "VS Code"; another Jupyter
    server (it sets ``JPY_SESSION_NAME``, e.g. ``jupyterhub-singleuser``) -> "Jupyter"; else "plain kernel".
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    server = server_command(environ) if server is None else server
    if "google.colab" in modules:
        return "Colab"
    programs = {Path(word).name for word in server.split()}
    if "jupyter-lab" in programs or {"jupyter", "lab"} <= programs:
        return "JupyterLab"
    if "jupyter-notebook" in programs or {"jupyter", "notebook"} <= programs:
        return "Notebook 7"
    if any(key.startswith("VSCODE_") for key in environ):
        return "VS Code"
    if "JPY_SESSION_NAME" in environ:
        return "Jupyter"
    return "plain kernel"


def hosting(environ: Mapping[str, str] | None = None) -> str:
    """ "Binder" (mybinder.org sets ``BINDER_*`` variables), "JupyterHub" (``JUPYTERHUB_USER``), or ""."""
    environ = os.environ if environ is None else environ
    if any(key.startswith("BINDER_") for key in environ):
        return "Binder"
    return "JupyterHub" if "JUPYTERHUB_USER" in environ else ""


def server_command(environ: Mapping[str, str] | None = None) -> str:
    """The command line of the process that started this kernel (``JPY_PARENT_PID``, else the parent); "" if unknown."""
    environ = os.environ if environ is None else environ
    pid = environ.get("JPY_PARENT_PID") or str(os.getppid())
    try:
        return Path(f"/proc/{int(pid)}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (OSError, ValueError):  # not Linux, or the process is gone
        return ""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def widget_check() -> None:
    """Show a slider that moves a label. Where widgets cannot render, a plain-text message appears instead."""
    import ipywidgets as W
    from IPython.display import display

    slider = W.IntSlider(value=3, min=0, max=10, description="drag me")
    label = W.Label(value="The slider says 3: drag it and this number follows.")
    slider.observe(lambda change: setattr(label, "value", f"The slider says {change['new']}: widgets work."), "value")
    box = W.VBox([slider, label])
    bundle = widget_bundle(box)
    bundle["text/plain"] = (
        "Widgets are NOT rendering here, so the course's sliders will not work.\n"
        "- JupyterLab or Notebook 7: install the course with the README's command (it installs ipywidgets\n"
        "  and jupyterlab_widgets into the same environment), then reload the browser page.\n"
        "- VS Code: install the 'Jupyter' extension, trust the notebook, and use ipywidgets 8.1.8.\n"
        "- Colab: keep Colab's own ipywidgets (do not upgrade it); Runtime > Restart session, run again."
    )
    display(bundle, raw=True)


def widget_bundle(widget: Any) -> dict:
    """The display data that shows ``widget`` (a widget view), on ipywidgets 7 and 8 alike."""
    if hasattr(widget, "_repr_mimebundle_"):  # ipywidgets 8
        return dict(widget._repr_mimebundle_())
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}  # what 7's _ipython_display_ sends
    return {"text/plain": repr(widget), "application/vnd.jupyter.widget-view+json": view}


def speed_verdict(seconds: float) -> str:
    """Say in words whether a machine that took ``seconds`` for the check run is fast enough."""
    if seconds < 1.5:
        return f"The check run took {seconds:.2f} s: fast enough for every slider in the course."
    if seconds < 5:
        return (f"The check run took {seconds:.2f} s: a slow machine (or a busy shared server). Everything "
                "works; sliders will take a moment to redraw.")  # fmt: skip
    return (f"The check run took {seconds:.2f} s: very slow. Close other programs, or if you are on a shared "
            "server (Binder, JupyterHub), expect sliders to lag; use smaller epoch counts.")  # fmt: skip
