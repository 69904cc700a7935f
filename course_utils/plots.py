"""Plots of training runs: loss per step, per-epoch train/validation curves, comparisons.

Every function takes a :class:`~course_utils.experiments.Run` or a :class:`~course_utils.history.History`,
draws on ``ax`` when one is given (or on a new figure), and returns the figure. Colours come from
the Okabe-Ito palette, which stays distinguishable for colour-blind readers and in greyscale print.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from .blit import BlitFigure, clip
from .checks import check_choice, check_int
from .history import History, ema
from .lr_finder import RangeTestResult

__all__ = [
    "PALETTE",
    "TRAIN_STYLE",
    "VAL_STYLE",
    "curve_style",
    "run_style",
    "bar_style",
    "use_course_style",
    "plot_step_loss",
    "plot_epoch_curves",
    "plot_history",
    "HistoryPicture",
    "compare_runs",
    "plot_range_test",
    "log_axis",
    "subplots",
    "new_axes",
    "figure_to_png",
]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
# purple, sky blue, yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TRAIN_COLOR, VAL_COLOR, ALERT_COLOR = PALETTE[0], PALETTE[1], PALETTE[3]

# Curves never differ by colour alone (a reader who cannot tell blue from orange, or a greyscale
# print, still tells them apart): training is a solid line with dots, validation a dashed line with
# squares, and each run of a comparison has its own colour, line style and marker.
TRAIN_STYLE = {"color": TRAIN_COLOR, "linestyle": "-", "marker": "o"}
VAL_STYLE = {"color": VAL_COLOR, "linestyle": "--", "marker": "s"}
LINESTYLES = ("-", "--", "-.", ":", (0, (8, 2, 1, 2, 1, 2)), (0, (12, 3)))  # the last two: dash-dot-dot, long dash
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def curve_style(style: dict[str, Any], *, markers: bool = True, **overrides: Any) -> dict[str, Any]:
    """``style`` (e.g. :data:`TRAIN_STYLE`) as keyword arguments for ``ax.plot``, with ``overrides``.

    ``markers=False`` drops the marker (long runs, where dots would hide the line); the line style
    still tells the curves apart.
    """
    out = {**style, **overrides}
    if not markers:
        out["marker"] = "None"
    return out


def run_style(i: int, *, markers: bool = True, **overrides: Any) -> dict[str, Any]:
    """The style of the ``i``-th run in a comparison: its own colour, line style and marker."""
    style = {"color": PALETTE[i % len(PALETTE)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
             "marker": MARKERS[i % len(MARKERS)]}  # fmt: skip
    return curve_style(style, markers=markers, **overrides)

# Bars of different series differ by hatch as well as colour (white hatching reads on every colour of
# the palette): the first series is plain, the next ones hatched.
HATCHES = ("", "///", "...", "\\\\\\", "xxx")


def bar_style(i: int, color: Any = None, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``ax.bar``/``ax.barh`` for the ``i``-th series of a bar chart: its colour
    (``color``, or the palette's ``i``-th) and its own hatch, so that series never differ by colour alone."""
    style = {"color": PALETTE[i % len(PALETTE)] if color is None else color, "hatch": HATCHES[i % len(HATCHES)],
             "edgecolor": "white", "linewidth": 0}  # fmt: skip
    return {**style, **overrides}


X_AXES = {"step": "step (optimizer updates)", "epoch": "epoch", "samples": "samples seen", "seconds": "seconds"}


BEST_COLOR = PALETTE[2]
MAX_DOTS = 30
"""Per-epoch curves carry markers up to this many epochs; on longer runs they would hide the line."""


def _smooth_label(smooth: float) -> str:
    return f"loss per step (smoothed, beta={smooth})"


def _divergence_note(history: History) -> str:
    return f" {history.stop_reason}\n (loss became NaN/inf)"


def use_course_style() -> None:
    """Readable defaults for every figure: grid, no top/right frame, the palette, sensible sizes."""
    from cycler import cycler

    plt.rcParams.update(
        {
            "figure.figsize": (8, 3.6),
            "figure.dpi": 90,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.titlesize": 11,
            "legend.frameon": False,
            "font.size": 10,
        }
    )


def _history(run: Any) -> History:
    history = getattr(run, "history", run)
    if not isinstance(history, History):
        raise TypeError(f"expected a Run or a History, but got {type(run).__name__}.")
    return history


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], adjust: dict[str, float] | None = None,
    **kwargs: Any,
) -> tuple[Figure, Any]:  # fmt: skip
    """Where every course figure is made: ``plt.subplots(...)`` with fixed margins (``adjust``).

    Fixed margins instead of a layout engine keep redraws fast (a slider's redraw budget).
    """
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    fig.subplots_adjust(**(adjust or {}))
    return fig, axes


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (8, 3.6)) -> tuple[Figure, Axes]:
    """``ax`` and its figure when given, else one new axes with the course's standard margins."""
    if ax is not None:
        return ax.figure, ax
    return subplots(figsize=figsize, adjust=dict(left=0.1, right=0.97, bottom=0.15, top=0.88))


def log_axis(ax: Axes, which: str = "y") -> None:
    """A log scale with plain tick labels (1e-06, 0.01, 1, 100) and no minor ticks.

    Matplotlib's default labels (10 to the power k) go through its math-text parser, which takes
    most of the time of a redraw; plain labels keep slider redraws fast.
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(_plain_tick))


def _plain_tick(value: float, _: Any = None) -> str:
    """0.001 ... 10000 written out; smaller and larger powers of ten as 1e-06, 1e+07."""
    if value <= 0:
        return ""
    return f"{value:g}" if 1e-3 <= value <= 1e4 else f"{value:.0e}"


def _mark_divergence(ax: Axes, history: History, x: float) -> None:
    if history.diverged:
        ax.axvline(x, color=ALERT_COLOR, linestyle="--", linewidth=1.2)
        ax.annotate(
            _divergence_note(history), xy=(x, 1), xycoords=("data", "axes fraction"),
            va="top", ha="left" if x < (ax.get_xlim()[1] * 0.7) else "right", color=ALERT_COLOR, fontsize=9,
        )  # fmt: skip


def _step_x(history: History, x: str) -> list[float]:
    """The position of every step on the chosen x axis."""
    if x == "step":
        return list(range(1, history.steps + 1))
    if x == "samples":
        total, out = 0, []
        for n in history.step_samples:
            total += n
            out.append(total)
        return out
    if x == "epoch":
        per_epoch = max(1, math.ceil(history.batches_per_epoch / history.accumulation_steps))
        return [(i + 1) / per_epoch for i in range(history.steps)]
    # seconds: spread each finished epoch's time evenly over its steps
    out, t, done = [], 0.0, 0
    for end, secs in zip(history.epoch_steps, history.epoch_seconds):
        n = end - done
        out += [t + secs * (j + 1) / n for j in range(n)]
        t, done = t + secs, end
    return out + [t] * (history.steps - len(out))


def plot_step_loss(
    run: Any, ax: Axes | None = None, *, smooth: float = 0.9, x: str = "step", color: str | None = None,
    label: str | None = None, log_y: bool = False, raw: bool = True, linestyle: str = "-",
) -> Figure:  # fmt: skip
    """The loss of every step (thin line) and its exponential moving average (thick line).

    Single steps bounce because each batch is a different sample of the data; the smoothed line
    shows the trend. ``x`` is ``"step"``, ``"epoch"``, ``"samples"`` or ``"seconds"``; ``linestyle``
    is the smoothed line's (comparisons give each run its own).
    """
    check_choice("x", x, tuple(X_AXES))
    history = _history(run)
    fig, ax = new_axes(ax)
    color = color or TRAIN_COLOR
    xs = _step_x(history, x)
    if raw:
        ax.plot(xs, history.step_loss, color=color, alpha=0.3, linewidth=0.8)
    if smooth and history.step_loss:
        ax.plot(xs, ema(history.step_loss, smooth), color=color, linewidth=2, linestyle=linestyle,
                label=label or _smooth_label(smooth))  # fmt: skip
    ax.set_xlabel(X_AXES[x])
    ax.set_ylabel("training loss")
    if log_y:
        ax.set_yscale("log")
    if history.diverged and xs:
        _mark_divergence(ax, history, xs[-1])
    if label or smooth:
        ax.legend(loc="upper right")
    return fig


def plot_epoch_curves(run: Any, ax: Axes | None = None, *, mark_best: bool = True) -> Figure:
    """Mean training loss and validation loss after every epoch, the best epoch marked.

    The gap between the two lines is what the model learned about *its* training examples that does
    not carry over to new ones.
    """
    history = _history(run)
    fig, ax = new_axes(ax)
    epochs = list(range(1, len(history.epoch_train_loss) + 1))
    dots = len(epochs) <= MAX_DOTS  # markers on short runs; on long ones they would hide the line
    ax.plot(epochs, history.epoch_train_loss, **curve_style(TRAIN_STYLE, markers=dots),
            label="training loss (mean over epoch)")  # fmt: skip
    if history.epoch_val_loss:
        val_epochs = list(range(1, len(history.epoch_val_loss) + 1))
        ax.plot(val_epochs, history.epoch_val_loss, **curve_style(VAL_STYLE, markers=dots),
                label="validation loss (after epoch)")  # fmt: skip
        if mark_best:
            best = min(range(len(history.epoch_val_loss)), key=history.epoch_val_loss.__getitem__)
            ax.plot(best + 1, history.epoch_val_loss[best], marker="*", markersize=16, color=BEST_COLOR,
                    linestyle="none", label=f"best validation loss (epoch {best + 1})")  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if epochs and len(epochs) <= 20:
        ax.set_xticks(epochs)
    if history.diverged:
        _mark_divergence(ax, history, len(epochs) + 0.5)
    if epochs:
        ax.legend(loc="upper right")
    return fig


_HISTORY_SIZE = (10, 3.6)
_HISTORY_MARGINS = dict(left=0.07, right=0.98, bottom=0.14, top=0.82, wspace=0.25)


def plot_history(run: Any, *, title: str | None = None, smooth: float = 0.9) -> Figure:
    """The two standard views of one run side by side: loss per step, and per-epoch curves.

    Its axes fit the run; for a demo whose axes stay put over every setting see :class:`HistoryPicture`.
    """
    history = _history(run)
    fig, (left, right) = subplots(1, 2, figsize=_HISTORY_SIZE, adjust=_HISTORY_MARGINS)
    plot_step_loss(history, left, smooth=smooth)
    left.set_title("every step")
    if history.epoch_train_loss:
        plot_epoch_curves(history, right)
    else:
        right.text(0.5, 0.5, "no epoch finished", ha="center", va="center", transform=right.transAxes)
    right.set_title("every epoch")
    fig.suptitle(_history_title(run, title))
    return fig


def _history_title(run: Any, title: str | None = None) -> str:
    return title or getattr(run, "title", None) or _history(run).stop_reason


class HistoryPicture(BlitFigure):
    """:func:`plot_history` as a demo picture: the same two panels, with axes fixed over every setting
    of the demo's sliders (so two runs compare by eye) and only the data redrawn on a change.

    Steps run on a log axis from 1 to ``max_steps`` (a demo's runs differ in steps by orders of
    magnitude), epochs from 1 to ``max_epochs``, the loss (linear) over ``loss_limits``. Losses
    beyond the axis are drawn at its edge, with a note; a diverged run is marked as in plot_history.

    Args:
        max_steps: the most optimizer steps any setting makes (smallest batch, most epochs).
        max_epochs: the epochs slider's maximum.
        loss_limits: the loss axis, ``(low, high)``.
        smooth: the moving average's beta for the thick line.
        validation: whether the runs have a validation loss (its legend entries are shown only then).
    """

    def __init__(self, max_steps: int, max_epochs: int, loss_limits: tuple[float, float] = (0.0, 1.5),
                 smooth: float = 0.9, validation: bool = True) -> None:  # fmt: skip
        self.validation = bool(validation)
        self.max_steps = check_int("max_steps", max_steps, minimum=2)
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        low, high = (float(v) for v in loss_limits)
        if not low < high:
            raise ValueError(f"loss_limits must be (low, high) with low < high, but got {loss_limits}.")
        self.loss_limits, self.smooth = (low, high), smooth
        super().__init__(figsize=(_HISTORY_SIZE[0], _HISTORY_SIZE[1] + 0.3))  # room for the legend on top

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**{**_HISTORY_MARGINS, "top": 0.76})
        self.left, self.right = left, right = fig.subplots(1, 2)
        for ax in (left, right):
            ax.set_ylim(*self.loss_limits)
        log_axis(left, "x")
        left.set(xlim=(1, self.max_steps), xlabel=f"{X_AXES['step']}, log scale", ylabel="training loss",
                 title="every step")  # fmt: skip
        self.raw = self.animated(left.plot([], [], color=TRAIN_COLOR, alpha=0.3, linewidth=0.8)[0])
        self.smoothed = self.animated(left.plot([], [], color=TRAIN_COLOR, linewidth=2)[0])
        right.set(xlim=(0.5, self.max_epochs + 0.5), xlabel="epoch", ylabel="loss", title="every epoch")
        right.xaxis.get_major_locator().set_params(integer=True)
        self.train = self.animated(right.plot([], [], **curve_style(TRAIN_STYLE))[0])
        self.val = self.animated(right.plot([], [], **curve_style(VAL_STYLE))[0])
        self.best = self.animated(right.plot([], [], marker="*", markersize=16, color=BEST_COLOR, linestyle="none")[0])
        self.best_text = self.animated(right.text(1, 1, "", color=BEST_COLOR, fontsize=8, va="bottom"))
        # One static legend above both panels (a legend inside them would hide the data drawn over it).
        entries = [(self.smoothed, _smooth_label(self.smooth)), (self.train, "training loss (mean over epoch)")]
        if self.validation:
            entries += [(self.val, "validation loss (after epoch)"), (self.best, "best validation loss")]
        fig.legend(*zip(*entries), loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=len(entries), fontsize=9)
        self.no_epoch = self.animated(right.text(0.5, 0.5, "no epoch finished", ha="center", va="center",
                                                 transform=right.transAxes))  # fmt: skip
        self.stops, self.stop_texts, self.clip_texts = [], [], []
        for ax in (left, right):
            self.stops.append(self.animated(ax.axvline(1, color=ALERT_COLOR, linestyle="--", linewidth=1.2)))
            self.stop_texts.append(self.animated(ax.text(1, 1, "", transform=ax.get_xaxis_transform(), va="top",
                                                         color=ALERT_COLOR, fontsize=9)))  # fmt: skip
            self.clip_texts.append(self.animated(ax.text(
                0.99, 0.02, f"losses beyond {self.loss_limits[0]:g}-{self.loss_limits[1]:g} drawn at the edge",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color=ALERT_COLOR,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5))))  # fmt: skip
        self.title = self.animated(fig.suptitle(" ", y=0.99))

    def update(self, run: Any) -> None:
        history = _history(run)
        low, high = self.loss_limits
        steps = np.arange(1, history.steps + 1)
        raw, clipped_raw = clip(history.step_loss, low, high)
        smoothed, clipped_smooth = clip(ema(history.step_loss, self.smooth) if history.step_loss else [], low, high)
        self.raw.set_data(steps, raw)
        self.smoothed.set_data(steps, smoothed)
        self.clip_texts[0].set_visible(clipped_raw or clipped_smooth)
        epochs = np.arange(1, len(history.epoch_train_loss) + 1)
        dots = len(epochs) <= MAX_DOTS
        train, clipped_train = clip(history.epoch_train_loss, low, high)
        val, clipped_val = clip(history.epoch_val_loss, low, high)
        self.train.set_data(epochs, train)
        self.val.set_data(np.arange(1, len(val) + 1), val)
        self.train.set_marker(TRAIN_STYLE["marker"] if dots else "")
        self.val.set_marker(VAL_STYLE["marker"] if dots else "")
        self.no_epoch.set_visible(not len(epochs))
        self.clip_texts[1].set_visible(clipped_train or clipped_val)
        best = int(np.argmin(history.epoch_val_loss)) if history.epoch_val_loss else None
        for artist in (self.best, self.best_text):
            artist.set_visible(best is not None)
        if best is not None:
            self.best.set_data([best + 1], [val[best]])
            self.best_text.set_position((best + 1, val[best]))
            self.best_text.set_text(f"  epoch {best + 1}")
        for stop, text, x, fraction in zip(
            self.stops, self.stop_texts, (max(1, history.steps), len(epochs) + 0.5),
            (math.log(max(1, history.steps)) / math.log(self.max_steps), (len(epochs) + 1) / (self.max_epochs + 1)),
        ):  # fmt: skip
            stop.set_visible(history.diverged)
            text.set_visible(history.diverged)
            stop.set_xdata([x, x])
            text.set_position((x, 1))
            text.set_text(_divergence_note(history))
            text.set_ha("left" if fraction < 0.7 else "right")
        self.title.set_text(_history_title(run))


def compare_runs(
    runs: Sequence[Any], *, x: str = "step", metric: str = "train", labels: Sequence[str] | None = None,
    smooth: float = 0.9, ax: Axes | None = None, log_y: bool = False, title: str | None = None,
) -> Figure:  # fmt: skip
    """Several runs on shared axes.

    ``metric="train"`` draws the smoothed loss per step against ``x`` (``"step"``, ``"epoch"``,
    ``"samples"`` or ``"seconds"``); ``metric="val"`` draws the validation loss per epoch.
    """
    check_choice("metric", metric, ("train", "val"))
    check_choice("x", x, tuple(X_AXES))
    fig, ax = new_axes(ax)
    labels = list(labels) if labels is not None else [getattr(r, "label", f"run {i + 1}") for i, r in enumerate(runs)]
    for i, (run, label) in enumerate(zip(runs, labels)):
        style = run_style(i)
        history = _history(run)
        if metric == "train":
            plot_step_loss(history, ax, smooth=smooth, x=x, color=style["color"], label=label, raw=len(runs) <= 3,
                           linestyle=style["linestyle"])  # fmt: skip
        else:
            epochs = list(range(1, len(history.epoch_val_loss) + 1))
            ax.plot(epochs, history.epoch_val_loss, **style, label=label)
            ax.set_xlabel("epoch")
            ax.set_ylabel("validation loss")
    if log_y:
        ax.set_yscale("log")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def plot_range_test(result: RangeTestResult, ax: Axes | None = None) -> Figure:
    """The range test: loss against learning rate (log axis), smoothed curve, suggestion marked.

    The thin line is the loss of each mini-batch, the thick one its smoothed trend. The dotted line
    is the lowest smoothed loss (the edge of the cliff); the green line and dot, one decade left of
    it, is the suggested learning rate. A cross marks where the loss blew up.
    """
    if not isinstance(result, RangeTestResult):
        raise TypeError(f"result must be a RangeTestResult from lr_range_test, but got {type(result).__name__}.")
    fig, ax = new_axes(ax)
    lrs = np.asarray(result.lrs, dtype=float)
    raw = np.asarray(result.losses, dtype=float)
    smooth = np.asarray(result.smoothed, dtype=float)
    ax.plot(lrs, raw, color=PALETTE[0], alpha=0.3, linewidth=0.8, label="loss of each mini-batch")
    ax.plot(lrs, smooth, color=PALETTE[0], linewidth=2, label="smoothed")
    log_axis(ax, "x")
    ok = np.isfinite(smooth)
    if ok.any():
        # Scale the axis to the interesting part, up to the lowest point: the blow-up leaves through the top.
        i_min = int(np.nanargmin(np.where(ok, smooth, np.nan)))
        low, high = float(smooth[i_min]), float(np.nanmax(np.where(ok, smooth, np.nan)[: i_min + 1]))
        span = high - low or 0.1 * abs(high) or 0.1
        ax.set_ylim(max(0.0, low - 0.15 * span) if low >= 0 else low - 0.15 * span, high + 0.8 * span)
    if math.isfinite(result.min_loss_lr):
        ax.axvline(result.min_loss_lr, color="0.4", linestyle=":", linewidth=1.2,
                   label=f"lowest smoothed loss, lr={result.min_loss_lr:.1e}")  # fmt: skip
    if math.isfinite(result.suggested_lr):
        ok = np.isfinite(smooth)
        y = float(np.interp(np.log10(result.suggested_lr), np.log10(lrs[ok]), smooth[ok]))
        ax.axvline(result.suggested_lr, color=PALETTE[2], linestyle="--", linewidth=1.5)
        ax.plot([result.suggested_lr], [y], "o", color=PALETTE[2], markersize=9, zorder=4,
                label=f"suggested lr={result.suggested_lr:.1e} = lowest / 10")  # fmt: skip
    if result.blew_up:
        last = smooth[-1] if math.isfinite(smooth[-1]) else ax.get_ylim()[1]
        last = min(last, ax.get_ylim()[1])
        ax.plot([lrs[-1]], [last], "X", color=ALERT_COLOR, markersize=10, zorder=5, clip_on=False)
        ax.annotate(f"{result.stop_reason}\n(lr={lrs[-1]:.1e})", xy=(lrs[-1], last), xytext=(-12, -26),
                    textcoords="offset points", ha="right", va="top", color=ALERT_COLOR, fontsize=9, zorder=6,
                    bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5))  # fmt: skip
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(f"learning-rate range test: {result.steps} mini-batches, lr {lrs[0]:.0e} to {lrs[-1]:.1e}")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def figure_to_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes (what the live view and the widgets send to the browser)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})  # fast beats small here
    return buffer.getvalue()
