"""Figures for lesson 07, the learning rate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ...history import ema
from ...plots import ALERT_COLOR, PALETTE, VAL_COLOR, log_axis, new_axes, plot_range_test, run_style, subplots
from .experiments import DescentPath, LrSweep, MomentumComparison, RangeTestThenTrain

__all__ = [
    "plot_lr_comparison",
    "plot_lr_run",
    "plot_descent_paths",
    "plot_descent_path",
    "plot_momentum",
    "plot_range_test_then_train",
    "plot_lr_sweep",
    "plot_schedules",
]


# ----------------------------------------------------------------------------- training at different rates


def _finite(values) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _loss_panel(ax: Axes, run: Any, color: str, ylim: tuple[float, float] | None = None) -> None:
    """Loss of every step (thin), smoothed (thick), validation after each epoch (squares); log y axis."""
    h = run.history
    steps = list(range(1, h.steps + 1))
    ax.plot(steps, h.step_loss, color=color, alpha=0.35, linewidth=0.8, label="loss of each step")
    if h.step_loss:
        ax.plot(steps, ema(h.step_loss, 0.9), color=color, linewidth=2, label="smoothed")
    if h.epoch_val_loss:
        ax.plot(h.epoch_steps[: len(h.epoch_val_loss)], h.epoch_val_loss, "s", color=VAL_COLOR, markersize=5,
                label="validation (after each epoch)")  # fmt: skip
    log_axis(ax, "y")
    if ylim:
        ax.set_ylim(*ylim)
    total = h.batches_per_epoch * run.settings.get("epochs", h.epochs or 1)
    ax.set_xlim(0, max(total, h.steps, 1))
    if h.diverged:
        x = h.steps + 0.5
        ax.axvline(x, color=ALERT_COLOR, linestyle="--", linewidth=1.2)
        top = ax.get_ylim()[1]
        ax.annotate(f"{h.stop_reason}:\n" + h.divergence().replace(", ", ",\n"), xy=(x, top), xytext=(6, -6),
                    textcoords="offset points", va="top", ha="left", color=ALERT_COLOR, fontsize=9)  # fmt: skip
    ax.set_xlabel("step (optimizer updates)")


def _shared_ylim(runs: Sequence[Any]) -> tuple[float, float]:
    values = _finite([v for r in runs for v in r.history.step_loss + r.history.epoch_val_loss])
    values = [v for v in values if v > 0] or [1.0]
    return min(values) / 1.5, min(max(values) * 3, 1e4)  # a blow-up leaves through the top


def plot_lr_comparison(runs: Sequence[Any], labels: Sequence[str] | None = None, *, title: str | None = None) -> Figure:
    """One panel per run, side by side, on the same log-scale loss axis: only the learning rate differs."""
    if not runs:
        raise ValueError("runs is empty: pass the list that compare_learning_rates returned.")
    n = len(runs)
    fig, axes = subplots(1, n, figsize=(3.6 * n, 3.6), sharey=True, squeeze=False,
                         adjust=dict(left=0.07, right=0.98, bottom=0.15, top=0.8, wspace=0.08))
    ylim = _shared_ylim(runs)
    for i, (ax, run) in enumerate(zip(axes[0], runs)):
        h = run.history
        _loss_panel(ax, run, PALETTE[i % len(PALETTE)], ylim)
        name = labels[i] if labels else f"lr = {run.settings['lr']:g}"
        outcome = (f"val loss {h.epoch_val_loss[-1]:.3f}" if h.epoch_val_loss and not h.diverged
                   else h.stop_reason)  # fmt: skip
        ax.set_title(f"{name}\n{outcome}", fontsize=10)
        if i == 0:
            ax.set_ylabel("loss (log scale)")
            ax.legend(loc="upper right", fontsize=8)
    s = runs[0].settings
    fig.suptitle(title or (f"same model, same data, same batches -- only the learning rate differs "
                           f"({s['optimizer']}, batch {s['batch_size']}, {s['epochs']} epochs)"))  # fmt: skip
    return fig


def plot_lr_run(run: Any) -> Figure:
    """One run for the slider demo: fixed axes, so moving the slider compares like with like."""
    fig, ax = new_axes(None)
    _loss_panel(ax, run, PALETTE[0], (1e-2, 1e3))
    h, s = run.history, run.settings
    outcome = f"final val loss {h.epoch_val_loss[-1]:.4f}" if h.epoch_val_loss and not h.diverged else h.stop_reason
    ax.set_title(f"{s['optimizer']} at lr = {s['lr']:.2g}: {outcome}")
    ax.set_ylabel("loss (log scale)")
    ax.legend(loc="lower left", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- the path on the loss contour


def _contour(ax: Axes, path: DescentPath, window: tuple[float, float, float, float]) -> None:
    w_lo, w_hi, b_lo, b_hi = window
    W, B = np.meshgrid(np.linspace(w_lo, w_hi, 90), np.linspace(b_lo, b_hi, 90))
    Z = path.loss_at(W, B)
    levels = path.best_loss + (Z.max() - path.best_loss) * np.geomspace(2e-3, 1, 9)
    ax.contourf(W, B, Z, levels=levels, cmap="Blues_r", alpha=0.35)  # flat bands: small PNGs
    ax.contour(W, B, Z, levels=levels, colors="0.45", linewidths=0.5)
    ax.plot([path.w_best], [path.b_best], "*", color="black", markersize=12, zorder=5)
    ax.set_xlim(w_lo, w_hi)
    ax.set_ylim(b_lo, b_hi)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_aspect("equal", adjustable="box")  # equal scales: the steps cross the contour lines at right angles
    ax.set_xlabel("w (slope)")
    ax.grid(False)


def _window(path: DescentPath) -> tuple[float, float, float, float]:
    (w0, b0) = path.path[0]
    r = 1.3 * max(abs(w0 - path.w_best), abs(b0 - path.b_best))
    return path.w_best - r, path.w_best + r, path.b_best - r, path.b_best + r


def _draw_path(ax: Axes, path: DescentPath, color: str) -> None:
    """Every step as a dot joined by a line; a path that leaves the map is drawn up to where it leaves."""
    w_lo, w_hi = ax.get_xlim()
    b_lo, b_hi = ax.get_ylim()
    outside = next((k for k, (w, b) in enumerate(path.path) if not (w_lo <= w <= w_hi and b_lo <= b <= b_hi)), None)
    shown = path.path if outside is None else path.path[: outside + 1]
    ws, bs = [p[0] for p in shown], [p[1] for p in shown]
    ax.plot(ws, bs, "-", color=color, linewidth=1.4, zorder=6)
    ax.plot(ws, bs, "o", color=color, markersize=3.5, zorder=7)
    ax.plot(ws[:1], bs[:1], "o", color="black", markersize=6, zorder=8)
    if outside is not None:
        ax.text(0.03, 0.04, f"left the map at step {outside};\nafter {len(path.path) - 1} steps loss = "
                f"{path.losses[-1]:.2g}", transform=ax.transAxes, color=ALERT_COLOR, fontsize=8.5, va="bottom",
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=2))  # fmt: skip


def plot_descent_paths(paths: Sequence[DescentPath]) -> Figure:
    """One contour map per learning rate with the path of the optimizer on it (all on the same map)."""
    if not paths:
        raise ValueError("paths is empty: pass the list that descent_paths returned.")
    n = len(paths)
    fig, axes = subplots(1, n, figsize=(2.75 * n, 3.3), sharey=True, squeeze=False,
                         adjust=dict(left=0.06, right=0.99, bottom=0.14, top=0.78, wspace=0.06))
    window = _window(paths[0])
    for i, (ax, path) in enumerate(zip(axes[0], paths)):
        _contour(ax, path, window)
        _draw_path(ax, path, PALETTE[3] if path.kind == "flies off" else PALETTE[1])
        ax.set_title(f"lr = {path.lr:.3g} ({path.lr / path.critical_lr:.2f} x critical)\n{path.kind}", fontsize=10)
        if i == 0:
            ax.set_ylabel("b (bias)")
    p = paths[0]
    fig.suptitle(
        f"{p.steps} steps of full-batch SGD on y = w*x + b (x from {p.offset - 1:g} to {p.offset + 1:g}); "
        f"black star = best (w, b), critical lr = 2 / curvature = {p.critical_lr:.3f}",
        fontsize=10,
    )
    return fig


def plot_descent_path(path: DescentPath) -> Figure:
    """The slider demo: the path on the contour map (left) and the loss after every step (right)."""
    fig, (left, right) = subplots(1, 2, figsize=(9, 3.7), gridspec_kw={"width_ratios": [1, 1.25]},
                                  adjust=dict(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.28))
    w_lo, w_hi, b_lo, b_hi = _window(path)
    _contour(left, path, (w_lo, w_hi, b_lo, b_hi))
    _draw_path(left, path, PALETTE[3] if path.kind == "flies off" else PALETTE[1])
    left.set_ylabel("b (bias)")
    left.set_title(f"lr = {path.lr:.3g} = {path.lr / path.critical_lr:.2f} x critical: {path.kind}", fontsize=10)
    steps = list(range(len(path.losses)))
    right.plot(steps, [max(v - path.best_loss, 1e-12) for v in path.losses], "o-", color=PALETTE[0], markersize=3)
    log_axis(right, "y")
    right.set_ylim(1e-7, 1e7)
    right.set_yticks([1e-6, 1e-3, 1, 1e3, 1e6])  # few ticks: each one costs drawing time
    right.set_xlim(0, path.steps)
    right.set_xlabel("step")
    right.set_ylabel("loss above the best possible")
    right.set_title(f"{path.stop_reason}; final loss {path.losses[-1]:.4g}", fontsize=10)
    return fig


def plot_momentum(comparison: MomentumComparison) -> Figure:
    """Plain SGD and SGD with momentum on the same contour map (left), and how far each is from the best
    weights after every step, with the factor per step that theory predicts as a dashed line (right)."""
    plain, heavy = comparison.plain, comparison.heavy
    fig, (left, right) = subplots(1, 2, figsize=(9.5, 3.8), gridspec_kw={"width_ratios": [1, 1.3]},
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25))
    _contour(left, plain, _window(plain))
    colors = (PALETTE[1], PALETTE[2])
    names = ("plain SGD", f"momentum {heavy.momentum:.2g}")
    for path, color in zip((plain, heavy), colors):
        _draw_path(left, path, color)
    left.set_ylabel("b (bias)")
    left.set_title(f"plain SGD, lr {plain.lr:.3g} (orange)\nmomentum {heavy.momentum:.2g}, lr {heavy.lr:.3g} (green)",
                   fontsize=9.5)  # fmt: skip
    for path, color, name, (marker, predicted) in zip((plain, heavy), colors, names, (("o", "--"), ("s", ":"))):
        d = path.distances()
        right.plot(range(len(d)), [max(v, 1e-12) for v in d], "-", marker=marker, color=color, markersize=2.5,
                   linewidth=1.2, label=f"{name}: measured")  # fmt: skip
        rate = path.predicted_rate
        if rate < 1:
            right.plot(range(len(d)), [d[0] * rate**k for k in range(len(d))], predicted, color=color, linewidth=1,
                       label=f"{name}: predicted x{rate:.3f} per step")  # fmt: skip
    log_axis(right, "y")
    right.set_ylim(1e-7, 1e3)
    right.set_yticks([1e-6, 1e-4, 1e-2, 1, 1e2])  # few ticks: each one costs drawing time
    right.set_xlim(0, plain.steps)
    right.set_xlabel("step")
    right.set_ylabel("distance to the best (w, b)")
    right.set_title(f"critical lr: plain {plain.critical_lr:.3f}, momentum {heavy.critical_lr:.3f}", fontsize=10)
    right.legend(loc="lower left", fontsize=7.5)
    return fig


# ----------------------------------------------------------------------------- range test, then train


def plot_range_test_then_train(result: RangeTestThenTrain) -> Figure:
    """Left: the range test with the three chosen rates marked. Right: training at each of them."""
    fig, (left, right) = subplots(1, 2, figsize=(11, 3.9),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.22))
    plot_range_test(result.test, ax=left)
    colors = [PALETTE[5], PALETTE[2], PALETTE[3]]
    dashes = ["-.", "--", (0, (6, 2, 1, 2, 1, 2))]  # each rate its own line style, in both panels
    for run, label, color, dash in zip(result.runs, result.labels, colors, dashes):
        lr = run.settings["lr"]
        if label != "suggested":
            left.axvline(lr, color=color, linestyle=dash, linewidth=1.2, label=f"{label}, lr={lr:.1e}")
        h = run.history
        steps = list(range(1, h.steps + 1))
        outcome = h.stop_reason if h.diverged else f"val loss {h.epoch_val_loss[-1]:.3f}"
        right.plot(steps, ema(h.step_loss, 0.9), color=color, linestyle=dash, linewidth=2,
                   label=f"{label} (lr={lr:.2g}): {outcome}")  # fmt: skip
        if h.diverged:
            top = max(r.history.step_loss[0] for r in result.runs) * 30
            right.plot([h.steps], [min(h.step_loss[-1], top)], "X", color=ALERT_COLOR, markersize=10, clip_on=False)
    left.legend(loc="upper left", fontsize=7.5)
    left.set_title("1. range test (model and optimizer restored after)", fontsize=10)
    log_axis(right, "y")
    right.set_ylim(_shared_ylim(result.runs)[0], max(r.history.step_loss[0] for r in result.runs) * 30)
    right.set_xlabel("step (optimizer updates)")
    right.set_ylabel("training loss, smoothed (log)")
    right.set_title("2. train from the same start at three rates", fontsize=10)
    right.legend(loc="upper right", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- SGD against Adam


def plot_lr_sweep(sweep: LrSweep) -> Figure:
    """Final validation loss against learning rate, one line per optimizer; diverged runs as crosses on top."""
    fig, ax = new_axes(None, figsize=(8, 4))
    fig.subplots_adjust(top=0.86)
    finite = _finite([v for values in sweep.final_loss.values() for v in values])
    top = max(finite) * 4 if finite else 10.0
    for i, (name, values) in enumerate(sweep.final_loss.items()):
        style = run_style(i)
        color = style["color"]
        ax.plot(sweep.lrs, values, **style, label=name)
        bad = [lr for lr, d in zip(sweep.lrs, sweep.diverged_at[name]) if d is not None]
        if bad:
            ax.plot(bad, [top] * len(bad), "X", color=color, markersize=10, linestyle="none",
                    label=f"{name}: diverged (loss NaN or 10,000x its start)")  # fmt: skip
        lr_best, loss_best = sweep.best(name)
        ax.plot([lr_best], [loss_best], "*", color=color, markersize=16, markeredgecolor="black", zorder=5)
        low, high = sweep.good_range(name)
        ax.hlines(2 * loss_best, low, high, color=color, linewidth=7, alpha=0.3,
                  label=f"{name}: within 2x of its best, lr {low:.2g} to {high:.2g}")  # fmt: skip
    log_axis(ax, "x")
    log_axis(ax, "y")
    ax.set_ylim(None, top * 2)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("validation loss after training (log)")
    s = sweep.settings
    ax.set_title(f"{len(sweep.lrs)} learning rates, {s['epochs']} epochs each on '{s['data']}': star = best, "
                 "bar = rates within 2x of the best", fontsize=10)  # fmt: skip
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    return fig


# ----------------------------------------------------------------------------- schedules


def plot_schedules(runs: dict[str, Any]) -> Figure:
    """Left: the learning rate of every step, one line per schedule. Right: the validation loss after each
    epoch (log scale); a run that diverged ends with a cross."""
    if not runs:
        raise ValueError("runs is empty: pass the dict that compare_schedules returned.")
    fig, (left, right) = subplots(1, 2, figsize=(11, 4.6),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.3, top=0.9, wspace=0.22))
    for i, (name, run) in enumerate(runs.items()):
        h, style = run.history, run_style(i)
        color = style["color"]
        left.plot(range(1, h.steps + 1), h.step_lr, **run_style(i, markers=False), linewidth=1.8, label=name)
        epochs = list(range(1, len(h.epoch_val_loss) + 1))
        outcome = h.stop_reason if h.diverged else f"{h.epoch_val_loss[-1]:.4f}"
        right.plot(epochs, h.epoch_val_loss, **style, linewidth=1.6, label=f"{name}: {outcome}")
        if h.diverged:
            right.plot([len(epochs) + 0.5], [h.epoch_val_loss[-1] if h.epoch_val_loss else 1.0], "X", color=color,
                       markersize=11)  # fmt: skip
    left.set_xlabel("step (optimizer updates)")
    left.set_ylabel("learning rate")
    left.set_title("the learning rate of every step", fontsize=10)
    log_axis(right, "y")
    right.set_xlabel("epoch")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylabel("validation loss (log)")
    right.set_title("validation loss after each epoch (the last one in the legend)", fontsize=10)
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig
