"""Figures for lesson 08: what the model learned (its decision boundary) next to its loss curves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from contourpy import contour_generator
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...plots import ALERT_COLOR, PALETTE, TRAIN_STYLE, VAL_STYLE, curve_style, subplots
from .experiments import FitRun

__all__ = ["plot_boundary", "plot_curves", "plot_fit", "plot_fit_gallery", "FitPicture", "fit_picture", "LOSS_LIMITS"]

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


LOSS_LIMITS = (0.01, 20.0)
"""The demo's loss axis, fixed for every setting: from a run that memorised its points to one far off."""
MAX_EPOCHS = 400
"""The demo's epoch axis ends here (its slider's maximum)."""


class FitPicture(BlitFigure):
    """The demo's picture, as :func:`plot_fit` draws it, with axes fixed over every setting of its
    sliders (epochs up to ``max_epochs``, losses on ``LOSS_LIMITS``) so two runs compare by eye, and
    only the data redrawn on a change. Losses beyond the axis are drawn at its edge, with a note."""

    def __init__(self, max_epochs: int = MAX_EPOCHS) -> None:
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        super().__init__(figsize=(10, 4.6))

    def build(self, fig: Figure) -> None:
        grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.25], left=0.06, right=0.98, bottom=0.11, top=0.8, wspace=0.22)
        left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        self.left, self.right = left, right
        left.set(xlim=LIMITS, ylim=LIMITS, xticks=[], yticks=[], xlabel="feature 1", ylabel="feature 2")
        left.set_title("what the model learned", fontsize=10)
        left.grid(False)
        self.image = self.animated(left.imshow(
            [[0.5]], extent=(*LIMITS, *LIMITS), origin="lower", cmap=_CMAP, vmin=0, vmax=1, alpha=0.4,
            interpolation="bilinear", aspect="auto"))  # fmt: skip
        self.boundary = self.animated(left.plot([], [], color="black", linewidth=1.8)[0])
        self.best_boundary = self.animated(left.plot([], [], color=BEST_COLOR, linewidth=1.8, linestyle="--")[0])
        self.points = [self.animated(left.scatter([], [], s=16, color=color, edgecolor="white", linewidth=0.4,
                                                  zorder=3)) for color in (PALETTE[0], PALETTE[3])]  # fmt: skip
        self.rings = self.animated(left.scatter([], [], s=70, facecolor="none", edgecolor="black", linewidth=1.1,
                                                zorder=4))  # fmt: skip
        low, high = LOSS_LIMITS
        right.set_yscale("log")
        ticks = [t for t in (0.01, 0.03, 0.1, 0.3, 1, 3, 10) if low <= t <= high]
        right.set_yticks(ticks, [f"{t:g}" for t in ticks])
        right.yaxis.set_minor_locator(NullLocator())
        right.set(xlim=(0, self.max_epochs + 1), ylim=LOSS_LIMITS, ylabel="loss (cross-entropy, log scale)",
                  xlabel="epoch (one full-batch step each)")  # fmt: skip
        right.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        right.set_title("loss after every epoch", fontsize=10)
        self.train_line = self.animated(right.plot([], [], **curve_style(TRAIN_STYLE, markers=False), linewidth=2,
                                                     label="training loss")[0])  # fmt: skip
        self.val_line = self.animated(right.plot([], [], **curve_style(VAL_STYLE, markers=False), linewidth=2,
                                                   label="validation loss")[0])  # fmt: skip
        self.star = self.animated(right.plot([], [], "*", color=BEST_COLOR, markersize=16, zorder=4)[0])
        self.floor_line = self.animated(right.axhline(1.0, color="0.4", linestyle=":", linewidth=1))
        self.stop_line = self.animated(right.axvline(1.0, color="black", linestyle="-.", linewidth=1.5))
        self.stop_text = self.animated(right.text(1.0, 0.95, "", transform=right.get_xaxis_transform(),
                                                  color=ALERT_COLOR, ha="right", va="top"))  # fmt: skip
        self.clip_text = self.animated(right.text(0.99, 0.02, f"losses beyond {low:g}-{high:g} drawn at the edge",
                                                  transform=right.transAxes, ha="right", va="bottom", fontsize=8,
                                                  color=ALERT_COLOR))  # fmt: skip
        self.best_text = self.animated(right.text(1.0, 1.0, "", color=BEST_COLOR, fontsize=8, va="top"))
        self.floor_text = self.animated(right.text(1.0, 1.0, "", color="0.3", fontsize=8, ha="right", va="bottom"))
        self.title = self.animated(fig.suptitle(" ", y=0.99))
        # The legends are static (drawn once): their numbers (epochs, counts) are in the title, the
        # readout and the two small texts by the star and the floor line.
        entries = [(Line2D([], [], color="black", linewidth=1.8), "boundary after the last epoch"),
                   (Line2D([], [], color=BEST_COLOR, linewidth=1.8, linestyle="--"), "boundary at the best epoch"),
                   *[(points, f"class {cls} (training)") for cls, points in enumerate(self.points)],
                   (self.rings, "flipped label")]  # fmt: skip
        fig.legend(*zip(*entries), loc="upper center", bbox_to_anchor=(0.5, 0.935), ncol=5, fontsize=8)
        right.legend([self.train_line, self.val_line, self.star, self.floor_line],
                     ["training loss", "validation loss", "best validation loss", "floor for new data"],
                     loc="lower left", fontsize=8)  # fmt: skip

    def update(self, run: FitRun) -> None:
        run = _check(run)
        h = run.history
        gx, gy, p1 = _probability_grid(run.model)
        self.image.set_data(p1.numpy())
        self.boundary.set_data(*_level_line(gx, gy, p1))
        best = h.best_epoch and h.best_epoch != h.epochs
        self.best_boundary.set_visible(bool(best))
        if best:
            self.best_boundary.set_data(*_level_line(*_probability_grid(run.best_model)))
        X, y = run.train_set.tensors
        for cls, points in enumerate(self.points):
            points.set_offsets(X[y == cls].numpy().reshape(-1, 2))
        self.rings.set_offsets(X[run.flipped].numpy().reshape(-1, 2))
        epochs = np.arange(1, h.epochs + 1)
        train, clipped_train = clip(h.epoch_train_loss, *LOSS_LIMITS)
        val, clipped_val = clip(h.epoch_val_loss, *LOSS_LIMITS)
        self.train_line.set_data(epochs[: len(train)], train)
        self.val_line.set_data(epochs[: len(val)], val)
        self.clip_text.set_visible(clipped_train or clipped_val)
        self.star.set_visible(bool(h.best_epoch))
        if h.best_epoch:
            self.star.set_data([h.best_epoch], clip([h.best_val_loss], *LOSS_LIMITS)[0])
        self.floor_line.set_visible(run.floor > 0)
        self.floor_line.set_ydata([run.floor, run.floor])
        for artist in (self.stop_line, self.stop_text):
            artist.set_visible(h.diverged)
        if h.diverged:
            self.stop_line.set_xdata([h.epochs + 0.5] * 2)
            self.stop_text.set_position((h.epochs + 0.5, 0.95))
            self.stop_text.set_text(f" {h.stop_reason}")
            self.stop_text.set_ha("right" if h.epochs > 0.3 * self.max_epochs else "left")
        self.title.set_text(run.title)
        self.best_text.set_visible(bool(h.best_epoch))
        if h.best_epoch:
            self.best_text.set_position((h.best_epoch, self.star.get_ydata()[0]))
            self.best_text.set_text(f"  epoch {h.best_epoch}")
        self.floor_text.set_visible(run.floor > 0)
        self.floor_text.set_position((self.max_epochs + 1, run.floor))
        self.floor_text.set_text(f"{run.floor:.3f}")

def fit_picture() -> FitPicture:
    """A new picture for one fit demo (``Demo(fit_moons, fit_picture(), ...)``): see :class:`FitPicture`."""
    return FitPicture()


def _level_line(gx: torch.Tensor, gy: torch.Tensor, p1: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The 0.5 contour of ``p1`` as one polyline (pieces separated by NaN); empty if p1 never crosses 0.5.

    (A confident model's probabilities reach exactly 0 and 1: its boundary is drawn all the same.)
    """
    if not float(p1.min()) < 0.5 < float(p1.max()):
        return np.array([]), np.array([])
    pieces = contour_generator(gx.numpy(), gy.numpy(), p1.numpy()).lines(0.5)
    if not pieces:
        return np.array([]), np.array([])
    joined = np.concatenate([np.vstack([piece, [[np.nan, np.nan]]]) for piece in pieces])
    return joined[:, 0], joined[:, 1]
