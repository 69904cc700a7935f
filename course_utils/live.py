"""A live training dashboard that redraws while :func:`course_utils.train` runs.

It is a callback: ``train(..., callbacks=[LiveView()])``. It shows the loss of every step, its
smoothed trend, the per-epoch training and validation losses, counters, and a progress bar. To
stay cheap it keeps *one* figure and only moves its lines, sends a new picture at most every
``every`` seconds -- and only while drawing has used less than ``budget`` (5%) of the time trained
so far, which matters on a slow machine -- and leaves one final picture behind (which is what a
saved notebook shows). The progress bar's display is updated once at the end, so that a saved
notebook's text copy of it (what GitHub or the course's website show) reads the final count, not 0%.
"""

from __future__ import annotations

import math
import time

from matplotlib.figure import Figure

from .a11y import alt_for
from .callbacks import Callback, LoopState
from .checks import check_float
from .history import History, ema
from .plots import ALERT_COLOR, PALETTE, TRAIN_COLOR, VAL_STYLE, figure_to_png

__all__ = ["LiveView", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where pictures can be displayed), False in a plain script."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LiveView(Callback):
    """Callback that draws the run as it happens.

    Args:
        title: shown above the plot.
        every: the least number of seconds between two redraws (0.5 = at most two per second).
        budget: the share of the training time that pictures drawn *during* the run may take (0.05 =
            5%). On a machine where a picture takes long to draw, pictures come less often.
        smooth: the moving-average factor for the smoothed loss line.
        progress: show a ``tqdm`` progress bar of the steps. When the run ends, the bar shows its final
            state (a run stopped early ends at 100% of the steps it made, e.g. ``880/880``), also in a
            saved notebook's text.
        show: display in the notebook; ``None`` means "only when running inside Jupyter".
        log_y: a log-scale loss axis: ``True``, ``False``, or ``"auto"`` (log once the losses span more
            than a factor of 10, where a linear axis would flatten everything after the first drop).

    When the run stops early (early stopping, a callback's stop, divergence), the final picture's
    step axis ends at the last step made.
    """

    def __init__(self, title: str = "", every: float = 0.5, smooth: float = 0.9, progress: bool = True,
                 show: bool | None = None, budget: float = 0.05, log_y: bool | str = "auto") -> None:  # fmt: skip
        if log_y not in (True, False, "auto"):
            raise ValueError(f"log_y={log_y!r} is not allowed: use True, False or 'auto'.")
        self.title, self.every, self.smooth, self.log_y = title, every, smooth, log_y
        self.budget = check_float("budget", budget, minimum=0.0, maximum=1.0)
        self.progress = progress
        self.show = in_notebook() if show is None else show
        self.frames = 0  # how many pictures were drawn (the benchmark and the tests read it)
        self._frame_cost = 0.0  # seconds the last picture took to draw
        self.drawing_seconds = 0.0  # time spent drawing so far, the figure's set-up included
        self._bar = self._handle = self._bar_handle = None

    # -- the callback events ------------------------------------------------------------------

    def on_train_begin(self, state: LoopState) -> None:
        total = state.total_steps  # None when the data's length is unknown
        self.total_steps = None if total is None else max(1, total)
        self._start = time.perf_counter()
        self._build_figure(validation=state.val_data is not None)
        self._last_draw = time.perf_counter()  # the first picture waits `every` seconds
        self.drawing_seconds = self._last_draw - self._start
        if self.progress and self.show:
            self._bar, self._bar_handle = _progress_bar(self.total_steps)

    def on_step_end(self, state: LoopState) -> None:
        history = state.history
        if self._bar is not None:
            self._bar.update(1)
        now = time.perf_counter()
        if (now - self._last_draw >= self.every
                and self.drawing_seconds + self._frame_cost <= self.budget * (now - self._start)):  # fmt: skip
            self._draw(history)

    def on_epoch_end(self, state: LoopState) -> None:
        history = state.history
        if self._bar is not None and history.epoch_val_loss:
            self._bar.set_postfix(epoch=history.epochs, val_loss=f"{history.epoch_val_loss[-1]:.4f}", refresh=False)

    def on_train_end(self, state: LoopState) -> None:
        if self._bar is not None:
            _finish_bar(self._bar, self._bar_handle)
        self._draw(state.history, final=True)

    # -- drawing ---------------------------------------------------------------------------------

    def _build_figure(self, validation: bool = True) -> None:
        self.fig = Figure(figsize=(8, 3.2))
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.84)  # fixed: no layout work per frame
        ax = self.ax = self.fig.add_subplot()
        (self._raw,) = ax.plot([], [], color=TRAIN_COLOR, alpha=0.3, linewidth=0.8, label="loss per step")
        (self._smooth,) = ax.plot([], [], color=TRAIN_COLOR, linewidth=2, label="smoothed")
        (self._train,) = ax.plot([], [], "o", color=PALETTE[2], label="epoch mean (train)")
        val_label = "validation (after epoch)" if validation else "_nolegend_"  # no legend entry without val_data
        (self._val,) = ax.plot([], [], **VAL_STYLE, label=val_label)
        ax.set_xlim(0, self.total_steps or 1)
        ax.set_xlabel("step (optimizer updates)")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8, frameon=False)

    def _draw(self, history: History, final: bool = False) -> None:
        start = time.perf_counter()
        steps = range(1, history.steps + 1)
        self._raw.set_data(steps, history.step_loss)
        self._smooth.set_data(steps, ema(history.step_loss, self.smooth))
        self._train.set_data(history.epoch_steps, history.epoch_train_loss)
        self._val.set_data(history.epoch_steps[: len(history.epoch_val_loss)], history.epoch_val_loss)
        if self.total_steps is None or (final and history.steps < self.total_steps):
            self.ax.set_xlim(0, max(1, history.steps))  # a run of unknown length, or one that stopped early
        values = [v for v in history.step_loss + history.epoch_val_loss if math.isfinite(v)]
        if values:
            low, high = min(values), max(values)
            if low > 0 and (self.log_y is True or (self.log_y == "auto" and high > 10 * low)):
                if self.ax.get_yscale() != "log":
                    self.ax.set_yscale("log")
                    self.ax.set_ylabel("loss (log scale)")
                self.ax.set_ylim(low / 1.25, high * 1.25)
            else:
                pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.1
                self.ax.set_ylim(low - pad, high + pad)
        status = history.stop_reason if final else "training..."
        if final and history.diverged:
            self.ax.axvline(history.steps + 1, color=ALERT_COLOR, linestyle="--")
        epochs = f"epoch {history.epochs}"
        if history.epoch_val_loss:
            epochs += f", val loss {history.epoch_val_loss[-1]:.4f}"
        last = f"{history.step_loss[-1]:.4f}" if history.step_loss else "-"
        of = f"/{self.total_steps}" if self.total_steps is not None else ""
        self.ax.set_title(f"{self.title}\n{status} | step {history.steps}{of} | {epochs} | "
                          f"last step loss {last}", fontsize=9)  # fmt: skip
        png = figure_to_png(self.fig, dpi=72)
        self.frames += 1
        if self.show:
            from IPython.display import Image, display

            alt = alt_for(self.fig) if final else f"Live training plot: {status}, step {history.steps}{of}."
            metadata = {"image/png": {"alt": alt}}  # what a saved notebook's static html shows as alt text
            if self._handle is None:
                self._handle = display(Image(data=png), metadata=metadata, display_id=True)
            else:
                self._handle.update(Image(data=png), metadata=metadata)
        self._last_draw = time.perf_counter()
        self._frame_cost = self._last_draw - start
        self.drawing_seconds += self._frame_cost


def _progress_bar(total: int | None):
    """A ``tqdm.auto`` bar; in a notebook it is displayed through a handle, so that its final text can be
    written into the cell (what a saved notebook, e.g. on GitHub, shows instead of the widget)."""
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm_notebook

    if not issubclass(tqdm, tqdm_notebook):
        return tqdm(total=total, unit="step", leave=True), None  # a terminal: tqdm prints its own text
    from IPython.display import display

    bar = tqdm(total=total, unit="step", leave=True, display=False)
    return bar, display(bar.container, display_id=True)


def _finish_bar(bar, handle) -> None:
    """Close the bar at its final state: a run that stopped early ends full at the steps it made."""
    if bar.total is not None and bar.n < bar.total:
        bar.total = bar.n  # not a failure: early stopping, say, decided the length
    bar.close()
    if handle is not None:
        handle.update(bar.container)  # replaces the "0%" text saved with the cell by the final one
