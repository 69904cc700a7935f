"""Lesson 00: is this machine ready for the course? Versions, widgets and speed, checked in words."""

from __future__ import annotations

import importlib.util
import platform
import sys

import torch

__all__ = ["environment_report", "check_environment", "widget_check", "speed_verdict", "TESTED_TORCH"]

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
    import ipywidgets

    for key, value in environment_report().items():
        print(f"{key:>28}: {value}")
    problems: list[str] = []
    if sys.version_info < (3, 10):  # noqa: UP036 (the learner's Python may be older than ours)
        problems.append(f"Python {platform.python_version()} is too old: the course needs Python 3.10 or newer.")
    if not torch.__version__.startswith(TESTED_TORCH):
        problems.append(
            f"PyTorch {torch.__version__} is not the tested {TESTED_TORCH}: everything should run, but the "
            "numbers you get may differ slightly from the ones saved in the notebooks."
        )
    if int(ipywidgets.__version__.split(".")[0]) < 8:
        problems.append(f"ipywidgets {ipywidgets.__version__} is too old: run  pip install -U 'ipywidgets>=8'  "
                        "and restart JupyterLab.")  # fmt: skip
    if "google.colab" in sys.modules:
        problems.append("You are on Colab: if sliders do not show, run  from google.colab import output; "
                        "output.enable_custom_widget_manager()  and re-run the cell.")  # fmt: skip
    elif importlib.util.find_spec("jupyterlab_widgets") is None:
        problems.append("The JupyterLab side of the widgets (jupyterlab_widgets) is not installed in this "
                        "environment; sliders may not render. Install the course with the README's "
                        "command.")  # fmt: skip
    print()
    if problems:
        for problem in problems:
            print("! " + problem)
    else:
        print("All good: your setup matches the one the course was tested with.")
    return problems


def widget_check() -> None:
    """Show a slider that moves a label. Where widgets cannot render, a plain-text message appears instead."""
    import ipywidgets as W
    from IPython.display import display

    slider = W.IntSlider(value=3, min=0, max=10, description="drag me")
    label = W.Label(value="The slider says 3: drag it and this number follows.")
    slider.observe(lambda change: setattr(label, "value", f"The slider says {change['new']}: widgets work."), "value")
    box = W.VBox([slider, label])
    bundle = box._repr_mimebundle_()
    bundle["text/plain"] = (
        "Widgets are NOT rendering here, so the course's sliders will not work.\n"
        "- JupyterLab: install the course with the README's command (it installs ipywidgets and\n"
        "  jupyterlab_widgets into the same environment), then reload the browser page.\n"
        "- VS Code: install the 'Jupyter' extension and trust the notebook.\n"
        "- Colab: run  from google.colab import output; output.enable_custom_widget_manager()"
    )
    display(bundle, raw=True)


def speed_verdict(seconds: float) -> str:
    """Say in words whether a machine that took ``seconds`` for the check run is fast enough."""
    if seconds < 1.5:
        return f"The check run took {seconds:.2f} s: fast enough for every slider in the course."
    if seconds < 5:
        return (f"The check run took {seconds:.2f} s: a slow machine (or a busy shared server). Everything "
                "works; sliders will take a moment to redraw.")  # fmt: skip
    return (f"The check run took {seconds:.2f} s: very slow. Close other programs, or if you are on a shared "
            "server (Binder, JupyterHub), expect sliders to lag; use smaller epoch counts.")  # fmt: skip
