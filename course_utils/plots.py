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
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .canvas import subplots
from .checks import check_choice
from .history import History, ema

__all__ = [
    "PALETTE",
    "use_course_style",
    "plot_step_loss",
    "plot_epoch_curves",
    "plot_history",
    "compare_runs",
    "plot_training_loop_diagram",
    "plot_step_through",
    "figure_to_png",
]

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
# purple, sky blue, yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TRAIN_COLOR, VAL_COLOR, ALERT_COLOR = PALETTE[0], PALETTE[1], PALETTE[3]

X_AXES = {"step": "step (optimizer updates)", "epoch": "epoch", "samples": "samples seen", "seconds": "seconds"}


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


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8, 3.6)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    # Fixed margins instead of a layout engine: it halves the time to draw (a slider redraw budget).
    return subplots(figsize=figsize, adjust=dict(left=0.1, right=0.97, bottom=0.15, top=0.88))


def _mark_divergence(ax: Axes, history: History, x: float) -> None:
    if history.diverged:
        ax.axvline(x, color=ALERT_COLOR, linestyle="--", linewidth=1.2)
        ax.annotate(
            f" {history.stop_reason}\n (loss became NaN/inf)", xy=(x, 1), xycoords=("data", "axes fraction"),
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
    label: str | None = None, log_y: bool = False, raw: bool = True,
) -> Figure:  # fmt: skip
    """The loss of every step (thin line) and its exponential moving average (thick line).

    Single steps bounce because each batch is a different sample of the data; the smoothed line
    shows the trend. ``x`` is ``"step"``, ``"epoch"``, ``"samples"`` or ``"seconds"``.
    """
    check_choice("x", x, tuple(X_AXES))
    history = _history(run)
    fig, ax = _axes(ax)
    color = color or TRAIN_COLOR
    xs = _step_x(history, x)
    if raw:
        ax.plot(xs, history.step_loss, color=color, alpha=0.3, linewidth=0.8)
    if smooth and history.step_loss:
        ax.plot(xs, ema(history.step_loss, smooth), color=color, linewidth=2,
                label=label or f"loss per step (smoothed, beta={smooth})")  # fmt: skip
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
    fig, ax = _axes(ax)
    epochs = list(range(1, len(history.epoch_train_loss) + 1))
    dots = len(epochs) <= 30  # markers on short runs; on long ones they would hide the line
    ax.plot(epochs, history.epoch_train_loss, "o-" if dots else "-", color=TRAIN_COLOR,
            label="training loss (mean over epoch)")  # fmt: skip
    if history.epoch_val_loss:
        val_epochs = list(range(1, len(history.epoch_val_loss) + 1))
        ax.plot(val_epochs, history.epoch_val_loss, "s-" if dots else "-", color=VAL_COLOR,
                label="validation loss (after epoch)")  # fmt: skip
        if mark_best:
            best = min(range(len(history.epoch_val_loss)), key=history.epoch_val_loss.__getitem__)
            ax.plot(best + 1, history.epoch_val_loss[best], marker="*", markersize=16, color=PALETTE[2],
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


def plot_history(run: Any, *, title: str | None = None, smooth: float = 0.9) -> Figure:
    """The two standard views of one run side by side: loss per step, and per-epoch curves."""
    history = _history(run)
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.6),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.82, wspace=0.25))
    plot_step_loss(history, left, smooth=smooth)
    left.set_title("every step")
    if history.epoch_train_loss:
        plot_epoch_curves(history, right)
    else:
        right.text(0.5, 0.5, "no epoch finished", ha="center", va="center", transform=right.transAxes)
    right.set_title("every epoch")
    fig.suptitle(title or getattr(run, "title", None) or history.stop_reason)
    return fig


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
    fig, ax = _axes(ax)
    labels = list(labels) if labels is not None else [getattr(r, "label", f"run {i + 1}") for i, r in enumerate(runs)]
    for i, (run, label) in enumerate(zip(runs, labels)):
        color = PALETTE[i % len(PALETTE)]
        history = _history(run)
        if metric == "train":
            plot_step_loss(history, ax, smooth=smooth, x=x, color=color, label=label, raw=len(runs) <= 3)
        else:
            epochs = list(range(1, len(history.epoch_val_loss) + 1))
            ax.plot(epochs, history.epoch_val_loss, "o-", color=color, label=label)
            ax.set_xlabel("epoch")
            ax.set_ylabel("validation loss")
    if log_y:
        ax.set_yscale("log")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def plot_training_loop_diagram(ax: Axes | None = None) -> Figure:
    """The loop in one picture: batch -> forward -> loss -> backward -> step -> next batch."""
    fig, ax = _axes(ax, figsize=(10, 3.4))
    boxes = [
        ("batch\nof examples", "x, y = next(loader)"),
        ("1. forward\npass", "pred = model(x)"),
        ("2. loss", "loss = loss_fn(pred, y)"),
        ("3. backward\npass", "loss.backward()"),
        ("4. update\nweights", "optimizer.step()"),
    ]
    for i, (name, code) in enumerate(boxes):
        cx = 1 + 2.2 * i
        ax.add_patch(plt.Rectangle((cx - 0.9, 1.0), 1.8, 1.2, facecolor=PALETTE[i % 6], alpha=0.18,
                                   edgecolor=PALETTE[i % 6], linewidth=2))  # fmt: skip
        ax.text(cx, 1.6, name, ha="center", va="center", fontsize=11, fontweight="bold")
        ax.text(cx, 0.7, code, ha="center", va="center", fontsize=8.5, family="monospace")
        if i < len(boxes) - 1:
            ax.annotate("", xy=(cx + 1.3, 1.6), xytext=(cx + 0.9, 1.6), arrowprops=dict(arrowstyle="-|>", lw=2))
    ax.annotate("", xy=(1, 2.3), xytext=(1 + 2.2 * 4, 2.3),
                arrowprops=dict(arrowstyle="-|>", lw=2, connectionstyle="arc3,rad=0.15", color="0.35"))  # fmt: skip
    ax.text(1 + 2.2 * 2, 3.25, "repeat with the next batch (one pass over all batches = one epoch)", ha="center",
            fontsize=10, color="0.25")  # fmt: skip
    ax.text(1 + 2.2 * 3, 0.25, "optimizer.zero_grad() clears old gradients first", ha="center", fontsize=8.5,
            color="0.35", style="italic")  # fmt: skip
    ax.set_xlim(-0.1, 10.9)
    ax.set_ylim(0.1, 3.5)
    ax.axis("off")
    return fig


def plot_step_through(st: Any, ax: Axes | None = None) -> Figure:
    """The step-through model: the batch, the current line, and (after a step) the line before it."""
    fig, ax = _axes(ax, figsize=(6, 3.6))
    X, y = st.data.tensors
    ax.scatter(X[:, 0], y[:, 0], s=12, color="0.75", label="all data")
    ax.scatter(st.xb[:, 0], st.yb[:, 0], s=40, color=TRAIN_COLOR, label="this batch", zorder=3)
    xs = [-2.2, 2.2]
    w = st.weights()
    ax.plot(xs, [w["w"] * v + w["b"] for v in xs], color=VAL_COLOR, linewidth=2, label="model now")
    if st.weights_before is not None:
        wb = st.weights_before
        ax.plot(xs, [wb["w"] * v + wb["b"] for v in xs], color=VAL_COLOR, linestyle="--", linewidth=1.5,
                label="model before the step")  # fmt: skip
    if st.predictions is not None:
        preds = st.predictions.detach()[:, 0]
        for xv, yv, pv in zip(st.xb[:, 0], st.yb[:, 0], preds):
            ax.plot([xv, xv], [yv, pv], color=ALERT_COLOR, linewidth=1, alpha=0.8)
        ax.scatter(st.xb[:, 0], preds, marker="x", color=ALERT_COLOR, label="predictions (errors in red)", zorder=4)
    ax.set_xlabel("x (input)")
    ax.set_ylabel("y (target)")
    ax.set_ylim(-8, 6)
    ax.set_title(f"after {st.step} steps: w = {w['w']:+.3f}, b = {w['b']:+.3f}")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def figure_to_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes (what the live view and the widgets send to the browser)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})  # fast beats small here
    return buffer.getvalue()
