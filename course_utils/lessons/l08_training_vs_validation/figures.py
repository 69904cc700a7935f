"""Figures for lesson 08: what the model learned (its decision boundary) next to its loss curves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from ...plots import ALERT_COLOR, PALETTE, TRAIN_STYLE, VAL_STYLE, curve_style, subplots
from .experiments import FitRun

__all__ = ["plot_boundary", "plot_curves", "plot_fit", "plot_fit_gallery"]

BEST_COLOR = PALETTE[2]
LIMITS = (-2.6, 2.6)
_CMAP = LinearSegmentedColormap.from_list("tll_two_classes", [PALETTE[5], "#ffffff", PALETTE[1]])


def _check(run: object) -> FitRun:
    if not isinstance(run, FitRun):
        raise TypeError(f"expected the result of fit_moons(...), but got {type(run).__name__}.")
    return run


@torch.no_grad()
def _probability_grid(model: torch.nn.Module, n: int = 80) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    axis = torch.linspace(*LIMITS, n)
    gx, gy = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    p1 = torch.softmax(model(points), dim=1)[:, 1].reshape(n, n)
    return gx, gy, p1


def plot_boundary(run: FitRun, ax: Axes | None = None, *, show_best: bool = True, legend: bool = True) -> Figure:
    """The training points and the model's decision boundary.

    Background: the predicted probability of class 1 (orange) against class 0 (blue). Solid black
    line: where the final model switches class; dashed green: the model of the best epoch. Points
    with a black ring carry a *flipped* label: a model that bends around them has memorised noise.
    """
    run = _check(run)
    if ax is None:
        fig, ax = subplots(figsize=(4.6, 4.4), adjust=dict(left=0.12, right=0.97, bottom=0.11, top=0.9))
    gx, gy, p1 = _probability_grid(run.model)
    ax.imshow(p1.numpy(), extent=(*LIMITS, *LIMITS), origin="lower", cmap=_CMAP, vmin=0, vmax=1, alpha=0.4,
              interpolation="bilinear", aspect="auto")  # fmt: skip
    if 0 < p1.min() < 0.5 < p1.max():
        ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.8)
    ax.plot([], [], color="black", linewidth=1.8, label=f"boundary after epoch {run.history.epochs}")
    if show_best and run.history.best_epoch and run.history.best_epoch != run.history.epochs:
        bx, by, b1 = _probability_grid(run.best_model)
        if 0 < b1.min() < 0.5 < b1.max():
            ax.contour(bx, by, b1, levels=[0.5], colors=BEST_COLOR, linewidths=1.8, linestyles="--")
        ax.plot([], [], color=BEST_COLOR, linewidth=1.8, linestyle="--",
                label=f"boundary at the best epoch ({run.history.best_epoch})")  # fmt: skip
    X, y = run.train_set.tensors
    for cls, color in ((0, PALETTE[0]), (1, PALETTE[3])):
        pick = y == cls
        ax.scatter(X[pick, 0], X[pick, 1], s=16, color=color, edgecolor="white", linewidth=0.4, zorder=3,
                   label=f"class {cls} (training)")  # fmt: skip
    flipped = run.flipped
    if flipped.any():
        ax.scatter(X[flipped, 0], X[flipped, 1], s=70, facecolor="none", edgecolor="black", linewidth=1.1,
                   zorder=4, label=f"flipped label ({int(flipped.sum())})")  # fmt: skip
    ax.set_xlim(*LIMITS)
    ax.set_ylim(*LIMITS)
    ax.set_xticks([])  # the two features have no units worth reading; no ticks also draws much faster
    ax.set_yticks([])
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    if legend:
        ax.legend(loc="lower left", fontsize=7.5, framealpha=0.8, frameon=True)
    return ax.figure


def plot_curves(run: FitRun, ax: Axes | None = None, *, log: bool = True, legend: bool = True,
                stop_epoch: int | None = None) -> Figure:  # fmt: skip
    """Training and validation loss after every epoch, the best epoch starred, the data's floor dotted.

    ``stop_epoch``: where early stopping ended the run (a vertical line), if it is to be shown.
    """
    run = _check(run)
    if ax is None:
        fig, ax = subplots(figsize=(8, 4.0), adjust=dict(left=0.1, right=0.97, bottom=0.12, top=0.9))
    h = run.history
    epochs = range(1, h.epochs + 1)
    dots = len(epochs) <= 30  # markers on short runs; on long ones they would hide the line
    ax.plot(epochs, h.epoch_train_loss, **curve_style(TRAIN_STYLE, markers=dots), markersize=3, linewidth=2,
            label="training loss")  # fmt: skip
    ax.plot(epochs, h.epoch_val_loss, **curve_style(VAL_STYLE, markers=dots), markersize=3, linewidth=2,
            label="validation loss")  # fmt: skip
    if h.best_epoch:
        ax.plot(h.best_epoch, h.best_val_loss, "*", color=BEST_COLOR, markersize=16, zorder=4,
                label=f"best validation loss: epoch {h.best_epoch}")  # fmt: skip
    if run.floor > 0:
        ax.axhline(run.floor, color="0.4", linestyle=":", linewidth=1,
                   label=f"floor for new data: {run.floor:.3f}")  # fmt: skip
    if stop_epoch is not None:
        ax.axvline(stop_epoch, color="black", linestyle="-.", linewidth=1.5,
                   label=f"early stopping: epoch {stop_epoch}")  # fmt: skip
    if h.diverged:
        ax.axvline(h.epochs + 0.5, color=ALERT_COLOR, linestyle="--")
        ax.annotate(f" {h.stop_reason}", xy=(h.epochs + 0.5, 0.95), xycoords=("data", "axes fraction"),
                    color=ALERT_COLOR, ha="right", va="top")  # fmt: skip
    finite = [v for v in [*h.epoch_train_loss, *h.epoch_val_loss] if 0 < v < float("inf")]
    if log and finite:
        ax.set_yscale("log")
        ticks = _log_ticks(min(finite), max(finite))
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.yaxis.set_minor_locator(NullLocator())  # no minor ticks: readable, and much faster to draw
        ax.set_ylabel("loss (cross-entropy, log scale)")
    else:
        ax.set_ylabel("loss (cross-entropy)")
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_xlim(0, max(1, h.epochs) + 1)
    if legend:
        ax.legend(loc="lower left", fontsize=8)
    return ax.figure


def _log_ticks(low: float, high: float) -> list[float]:
    """Readable ticks for a log axis: 0.1, 0.3, 1, 3 ... over a few decades, fewer over many."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first) / 6))
    ticks = [10.0**e for e in range(first, last + 1, step)]
    if step == 1 and last - first <= 3:
        ticks += [3 * t for t in ticks]
    return sorted(t for t in ticks if low / 3 <= t <= high * 3)


def plot_fit(run: FitRun, *, log: bool = True) -> Figure:
    """The demo's picture: decision boundary (left) and loss curves (right) of one run."""
    run = _check(run)
    fig, (left, right) = subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1, 1.25]},
                                  adjust=dict(left=0.06, right=0.98, bottom=0.11, top=0.8, wspace=0.22))
    plot_boundary(run, left, legend=False)
    plot_curves(run, right, log=log)
    left.set_title("what the model learned", fontsize=10)
    right.set_title("loss after every epoch", fontsize=10)
    fig.legend(*left.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.935), ncol=5,
               fontsize=8)  # fmt: skip
    fig.suptitle(run.title, y=0.99)
    return fig


def plot_fit_gallery(runs: Sequence[FitRun], titles: Sequence[str]) -> Figure:
    """Several runs side by side: boundary on top, loss curves below, sharing the loss axis."""
    runs = [_check(r) for r in runs]
    if len(titles) != len(runs):
        raise ValueError(f"titles has {len(titles)} entries for {len(runs)} runs; give one title per run.")
    fig, axes = subplots(2, len(runs), figsize=(3.9 * len(runs), 7.8), squeeze=False,
                         gridspec_kw={"height_ratios": [1.1, 1]},
                         adjust=dict(left=0.06, right=0.99, bottom=0.07, top=0.86, wspace=0.25, hspace=0.3))
    values = [v for r in runs for v in [*r.history.epoch_train_loss, *r.history.epoch_val_loss] if 0 < v < 1e9]
    for i, (run, title) in enumerate(zip(runs, titles)):
        plot_boundary(run, axes[0, i], legend=False)
        plot_curves(run, axes[1, i], legend=i == len(runs) - 1)
        axes[0, i].set_title(f"{title}\n{run.net}, {run.settings['n_train']} points", fontsize=10)
        if values:
            axes[1, i].set_ylim(min(values) * 0.8, max(values) * 1.25)
        if i:
            axes[0, i].set_ylabel("")
            axes[1, i].set_ylabel("")
    handles, labels = axes[0, -1].get_legend_handles_labels()
    labels = [label.split(" (")[0] for label in labels]  # epochs and counts differ between the panels
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.975), ncol=5, fontsize=8.5)
    return fig
