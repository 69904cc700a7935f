"""Wiring: controls (sliders, dropdowns, toggles) -> an experiment -> a plot.

A :class:`Demo` holds its controls, the experiment to run and the function that draws the
result. Every change of a control re-runs the experiment and replaces the output below the
controls with: a readout of the settings used (``batch_size=32 lr=0.001 ...``), a one-line
result, and the new plot. A failing setting shows its error message instead of a plot, and the
demo keeps working.

Made to answer at once: quick changes from the browser cost one refresh, for the newest settings
(never a queue of stale ones); settings seen before show their stored picture; a picture drawn by
a :class:`~course_utils.blit.BlitFigure` redraws only its data on fixed axes.

Where there is no widget manager (GitHub, nbconvert, the course's website), a widget shows
nothing. So every demo is displayed as a :class:`StaticView`: next to the live widget, its output
holds a ``text/html`` copy of the current readout and picture (with alt text). JupyterLab, Colab
and VS Code draw the widget and ignore the copy; static renderers show the copy.

Typical use in a notebook (one line per demo)::

    Demo(minimal_example, plot_history, batch_size=batch_size_slider(), lr=lr_slider(), epochs=epochs_slider())
"""

from __future__ import annotations

import base64
import html
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .blit import Frame, figure_titles
from .checks import check_int
from .data import POWERS_OF_TWO
from .plots import figure_to_png

__all__ = [
    "Demo",
    "batch_size_slider",
    "lr_slider",
    "epochs_slider",
    "int_slider",
    "float_slider",
    "dropdown",
    "toggle",
    "BATCH_SIZES",
    "render",
    "stream_output",
    "image_output",
    "StaticView",
    "static_html",
    "alt_text",
    "NOTE",
]

BATCH_SIZES = POWERS_OF_TWO
"""The batch sizes a batch-size slider offers by default: powers of two (each notch doubles the batch)."""
_STYLE = {"description_width": "initial"}
_LAYOUT = W.Layout(width="420px")


def batch_size_slider(value: int = 32, options: tuple[int, ...] = BATCH_SIZES, name: str = "batch_size") -> W.Widget:
    """Batch sizes in powers of two (each notch doubles the batch)."""
    options = tuple(o for o in options if isinstance(o, int))
    if value not in options:
        options = tuple(sorted({*options, value}))
    return W.SelectionSlider(options=options, value=value, description=name, continuous_update=False,
                             style=_STYLE, layout=_LAYOUT)  # fmt: skip


def lr_slider(value: float = 1e-3, min_exp: float = -5, max_exp: float = 1, name: str = "lr") -> W.FloatLogSlider:
    """Learning rate on a log scale: from 10**min_exp to 10**max_exp (each notch is x10**0.25)."""
    return W.FloatLogSlider(value=value, base=10, min=min_exp, max=max_exp, step=0.25, description=name,
                            readout_format=".1e", continuous_update=False, style=_STYLE, layout=_LAYOUT)  # fmt: skip


def epochs_slider(value: int = 5, max: int = 50, name: str = "epochs") -> W.IntSlider:
    """Number of passes over the training data."""
    return int_slider(name, value, 1, max)


def int_slider(name: str, value: int, min: int, max: int, step: int = 1) -> W.IntSlider:
    """A whole-number slider that reports its value only when released."""
    return W.IntSlider(value=value, min=min, max=max, step=step, description=name, continuous_update=False,
                       style=_STYLE, layout=_LAYOUT)  # fmt: skip


def float_slider(name: str, value: float, min: float, max: float, step: float = 0.01) -> W.FloatSlider:
    """A slider for a number such as a noise level or a fraction; its readout shows every decimal the step has."""
    decimals = 2 if step >= 0.01 else 3 if step >= 0.001 else 4  # (`max` here is the slider's maximum)
    return W.FloatSlider(value=value, min=min, max=max, step=step, description=name, continuous_update=False,
                         readout_format=f".{decimals}f", style=_STYLE, layout=_LAYOUT)  # fmt: skip


def dropdown(name: str, options: Any, value: Any = None) -> W.Dropdown:
    """A choice between named options, e.g. optimizers."""
    options = list(options)
    return W.Dropdown(options=options, value=options[0] if value is None else value, description=name,
                      style=_STYLE)  # fmt: skip


def toggle(name: str, value: bool = True) -> W.Checkbox:
    """An on/off switch, e.g. shuffling."""
    return W.Checkbox(value=value, description=name, style=_STYLE, indent=False)


class StaticView(W.VBox):
    """A VBox whose display also carries ``text/html`` from ``fallback()``, for renderers without widgets.

    Front ends with a widget manager (JupyterLab, Colab, VS Code) prefer the widget view and ignore
    the html; GitHub, nbconvert and the course's website show it instead of an empty box.
    """

    def __init__(self, children: Any = (), *, fallback: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(children, **kwargs)
        self._static_fallback = fallback

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/html"] = self._static_fallback()
        return bundle


def static_html(text: str, png: bytes | None = None, alt: str = "", note: str = "") -> str:
    """The static copy of a demo: its text (readout and result), its picture with ``alt`` text, a note."""
    parts = ['<div class="tll-static-fallback">']
    if text:
        parts.append(f'<pre class="tll-static-text">{html.escape(text.rstrip())}</pre>')
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(" ".join(alt.split()))}">')
    if note:
        parts.append(f'<p class="tll-static-note"><em>{html.escape(note)}</em></p>')
    return "\n".join([*parts, "</div>"])


NOTE = "A still picture of this demo at the settings above. Open the notebook to move the controls."


def alt_text(titles: list[str], text: str) -> str:
    """Alt text: what the plot is (its titles), then the settings and the result it shows."""
    shown = "; ".join(t for t in titles if t) or "plot"
    return f"{shown}. {text}"


def _format(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Demo:
    """An interactive demo: controls that re-run ``run(**settings)`` and redraw ``draw(result)``.

    Args:
        run: the experiment; called with the controls' values (by their names) and ``fixed``.
        draw: turns the result into a matplotlib Figure, or is a :class:`~course_utils.blit.BlitFigure`
            (fixed axes, only the data redrawn: much faster) that turns it into a Frame.
        describe: turns the result into one line of text (default: ``result.history.summary()``
            when the result has a history).
        fixed: settings passed on every run that have no control.
        manual: add a "Run" button and only run when it is pressed (for slow experiments).
        cache_size: how many settings' pictures to keep, so that going back to one is instant (0: none).
        **controls: the widgets, each named after the setting it controls.

    A change made in the browser is answered a moment later (a few milliseconds), once every change
    that arrived while the kernel was busy has landed: quick key presses cost one refresh, for the
    newest settings, never a queue of stale ones. Changes made from code answer at once.

    ``demo.update(lr=0.01)`` changes controls from code (as a learner dragging would);
    ``demo.timings`` holds how long each refresh took in the kernel, and ``demo.draw_timings`` the
    part of it spent drawing (the rest is the experiment).
    """

    def __init__(
        self,
        run: Callable[..., Any],
        draw: Callable[[Any], Figure | Frame],
        *,
        describe: Callable[[Any], str] | None = None,
        fixed: dict[str, Any] | None = None,
        manual: bool = False,
        cache_size: int = 16,
        **controls: W.ValueWidget,
    ) -> None:
        self.run, self.draw, self.describe = run, draw, describe or _default_describe
        self.fixed = dict(fixed or {})  # captured now: later notebook cells cannot change it
        self.controls = controls
        self.output = W.Output(layout=W.Layout(min_height="120px"))
        self.cache_size = check_int("cache_size", cache_size, minimum=0)
        self._cache: OrderedDict[tuple, tuple] = OrderedDict()  # settings -> (result, outputs, static copy)
        self.timings: list[float] = []
        self.draw_timings: list[float] = []
        self.result: Any = None
        self.error: str | None = None
        self._holding = False
        self._scheduled = False  # a deferred refresh is waiting (see _on_change)
        self._changes = 0  # front-end changes received so far
        self._static = ""  # the text/html copy of the current output (see StaticView)
        children: list[W.Widget] = list(controls.values())
        if manual:
            button = W.Button(description="Run", button_style="primary", icon="play")
            button.on_click(lambda _: self.refresh())
            children.append(button)
        else:
            for widget in controls.values():
                widget.observe(self._on_change, names="value")
        self.widget = StaticView([W.HBox(children, layout=W.Layout(flex_flow="row wrap")), self.output],
                                 fallback=lambda: self._static)  # fmt: skip
        self.widget.add_class("tll-demo")  # CSS hooks for the browser tests
        self.output.add_class("tll-demo-output")
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def settings(self) -> dict[str, Any]:
        """The controls' current values."""
        return {name: widget.value for name, widget in self.controls.items()}

    def update(self, **values: Any) -> Any:
        """Set controls from code and refresh once; returns the new result."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"no control named {', '.join(unknown)}; the controls are {', '.join(self.controls)}.")
        self._holding = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._holding = False
        self.refresh()
        return self.result

    def _on_change(self, change: dict) -> None:
        if self._holding:
            return
        loop = _running_loop()
        if loop is None or not getattr(change.get("owner"), "_property_lock", None):
            self.refresh()  # a change made from code (or outside a kernel): answer at once
            return
        # A change from the front end (ipywidgets applies it under the property lock). The kernel
        # handles one message per turn of its event loop, so changes that arrived while a refresh
        # was running are still waiting in its queue: refresh a moment later, and only once every
        # queued change has landed. The newest settings win; no stale run is ever started.
        self._changes += 1
        if not self._scheduled:
            self._scheduled = True
            loop.call_later(_SETTLE, self._refresh_when_settled, loop, self._changes, time.perf_counter())

    def _refresh_when_settled(self, loop: Any, seen: int, since: float) -> None:
        if self._changes != seen and time.perf_counter() - since < _MAX_WAIT:  # more changes landed: wait for them
            loop.call_later(_SETTLE, self._refresh_when_settled, loop, self._changes, since)
            return
        self._scheduled = False
        self.refresh()

    def refresh(self, *, use_cache: bool = True) -> None:
        """Run the experiment with the current settings and replace the output in one go.

        Settings seen before (among the last ``cache_size``) show their stored picture at once: the
        runs are seeded, so they would draw the same pixels. ``use_cache=False`` always runs and draws
        (the bench measures that).
        """
        start = time.perf_counter()
        settings = self.settings
        readout = " ".join(f"{name}={_format(value)}" for name, value in settings.items()) + " "
        key = _cache_key(settings)
        if use_cache and key is not None and key in self._cache:
            self._cache.move_to_end(key)
            self.result, outputs, self._static = self._cache[key]
            self.error = None
            self.output.outputs = outputs
            self.timings.append(time.perf_counter() - start)
            return
        outputs: list[dict] = []
        try:
            self.result = self.run(**settings, **self.fixed)
            text = self.describe(self.result)
            drawing = time.perf_counter()
            picture = self.draw(self.result)  # a Figure, or a Frame from a BlitFigure (already PNG)
            png, titles = (picture.png, picture.titles) if isinstance(picture, Frame) else render(picture)
            self.draw_timings.append(time.perf_counter() - drawing)
            self.error = None
            shown = f"{readout}\n{text}\n" if text else f"{readout}\n"
            alt = alt_text(titles, shown)
            outputs = [stream_output(shown), image_output(png, alt)]
            self._static = static_html(shown, png, alt, NOTE)
            if self.cache_size and key is not None:
                self._cache[key] = (self.result, tuple(outputs), self._static)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)  # forget the least recently shown setting
        except Exception as exc:  # a learner's setting must never break the demo
            plt.close("all")
            self.result, self.error = None, f"{type(exc).__name__}: {exc}"
            outputs = [stream_output(f"{readout}\nThis setting could not run -- {self.error}\n")]
            self._static = static_html(outputs[0]["text"])
        self.output.outputs = tuple(outputs)  # one assignment: the old plot is replaced, never stacked
        self.timings.append(time.perf_counter() - start)


_SETTLE = 0.003
"""Seconds a deferred refresh waits for queued changes (each takes well under a millisecond to land)."""
_MAX_WAIT = 0.05
"""However fast changes keep coming, a deferred refresh runs at most this long after the first one."""


def _cache_key(settings: dict[str, Any]) -> tuple | None:
    """Settings as a dictionary key; floats to 12 digits (keyboard steps carry rounding noise: 0.9000000000000001)."""
    key = tuple((name, float(f"{v:.12g}") if isinstance(v, float) else v) for name, v in settings.items())
    try:
        hash(key)
    except TypeError:  # a control whose value cannot be a key (a list, say): never cached
        return None
    return key


def _running_loop() -> Any:
    """The kernel's asyncio event loop while it handles a message, else None (plain Python, tests)."""
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def render(fig: Figure) -> tuple[bytes, list[str]]:
    """PNG bytes of ``fig`` (at the demos' resolution) and its titles (for alt text); the figure is closed."""
    try:
        return figure_to_png(fig, dpi=80), figure_titles(fig)
    finally:
        plt.close(fig)


def _default_describe(result: Any) -> str:
    history = getattr(result, "history", None)
    return history.summary() if history is not None else ""


def stream_output(text: str) -> dict:
    """An output of printed text, for an ``Output`` widget's ``outputs``."""
    return {"output_type": "stream", "name": "stdout", "text": text}


def image_output(png: bytes, alt: str = "") -> dict:
    """An output showing a PNG picture with ``alt`` text, for an ``Output`` widget's ``outputs``.

    JupyterLab (4.6) draws ``image/png`` without alt text whatever the metadata says, so the picture
    also comes as ``text/html`` (an ``<img alt=...>``, which front ends prefer to the PNG); nbconvert
    reads the PNG's ``alt`` metadata.
    """
    data = base64.b64encode(png).decode("ascii")
    alt = " ".join(alt.split())
    return {
        "output_type": "display_data",
        "data": {"text/html": f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">',
                 "image/png": data, "text/plain": "<plot>"},
        "metadata": {"image/png": {"alt": alt}} if alt else {},
    }  # fmt: skip
