"""Lesson 01's step-through widget: one button per phase of a training step."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from ...widgets import StaticView, alt_text, image_output, render, static_html, stream_output
from .experiments import PHASES, StepThrough
from .figures import plot_step_through

__all__ = ["step_through_demo"]

_NOTE = "A still picture of this output. Open the notebook to press the buttons and step through."


def step_through_demo(lr: float = 0.1, batch_size: int = 8, seed: int = 0) -> W.VBox:
    """Buttons that run one phase of a training step at a time on a tiny model ``y = w*x + b``.

    Below the buttons: what the phase did, the batch with its predictions, the loss, both
    gradients, the weights before and after the step, and a plot of the line and the batch.
    """
    state: dict[str, Any] = {"st": StepThrough(lr=lr, batch_size=batch_size, seed=seed), "static": ""}
    output = W.Output(layout=W.Layout(min_height="300px"))
    labels = {"forward": "1. forward", "loss": "2. loss", "backward": "3. backward", "step": "4. step"}

    def show() -> None:
        st = state["st"]
        png, titles = render(plot_step_through(st))
        text = f"{st.message}\n\n{st.describe()}\n"
        alt = alt_text(titles, st.message)
        output.outputs = (stream_output(text), image_output(png, alt))
        state["static"] = static_html(text, png, alt, _NOTE)

    def press(phase: str) -> None:
        try:
            state["st"].run(phase)
        except Exception as exc:  # never leave the widget broken
            state["st"].message = f"That did not work: {exc}"
        show()

    def reset(_: Any = None) -> None:
        state["st"] = StepThrough(lr=lr, batch_size=batch_size, seed=seed)
        show()

    buttons = []
    for phase in PHASES:
        button = W.Button(description=labels[phase], layout=W.Layout(width="110px"))
        button.on_click(lambda _, phase=phase: press(phase))
        buttons.append(button)
    restart = W.Button(description="start over", icon="refresh", layout=W.Layout(width="110px"))
    restart.on_click(reset)
    show()
    box = StaticView([W.HBox([*buttons, restart]), output], fallback=lambda: state["static"])
    box.add_class("tll-step-through")
    output.add_class("tll-demo-output")
    box.state = state  # for tests: the StepThrough behind the buttons
    return box
