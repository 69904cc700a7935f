"""Figures for lesson 09: loss per step and the class mix of every batch, with and without shuffling."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...plots import ALERT_COLOR, PALETTE, subplots
from .experiments import N_CLASSES, ShuffleComparison, ShuffleRun

__all__ = ["draw_step_loss", "draw_class_mix", "plot_shuffle_run", "plot_shuffle_comparison", "describe_shuffle_run",
           "ShuffleRunPicture", "shuffle_run_picture", "DEMO_LOSS_LIMITS"]  # fmt: skip

RUN_COLORS = {False: PALETTE[3], True: PALETTE[0]}  # no shuffling: vermillion; shuffled: blue
CMAP = "Blues"


def _check_run(run: object) -> ShuffleRun:
    if not isinstance(run, ShuffleRun):
        raise TypeError(f"expected the result of run_shuffling(...), but got {type(run).__name__}.")
    return run


def _epoch_lines(ax: Axes, run: ShuffleRun) -> None:
    for end in run.history.epoch_steps[:-1]:
        ax.axvline(end + 0.5, color="0.35", linewidth=0.9, linestyle="--")


def draw_step_loss(ax: Axes, run: ShuffleRun, *, ymax: float | None = None) -> None:
    """The loss of every step (one batch each); dashed lines mark the ends of epochs."""
    run = _check_run(run)
    h = run.history
    ax.plot(range(1, h.steps + 1), h.step_loss, color=RUN_COLORS[run.shuffle], linewidth=1.1)
    _epoch_lines(ax, run)
    if h.diverged:
        ax.axvline(h.steps + 0.5, color=ALERT_COLOR, linestyle="--", linewidth=1.2)
        ax.text(h.steps + 0.5, 0.95, f" {h.stop_reason}", transform=ax.get_xaxis_transform(), color=ALERT_COLOR,
                ha="right" if h.steps > 10 else "left", va="top", fontsize=9)  # fmt: skip
    ax.set_xlim(0.5, max(len(run.class_counts), h.steps, 1) + 0.5)
    top = ymax if ymax is not None else max(h.step_loss, default=1.0) * 1.05
    if top > 50:  # a blow-up (a large learning rate): only a log scale shows both the spikes and the rest
        ax.set_yscale("log")
        ax.set_ylim(1e-3, top * 2)  # losses of (almost) exactly 0 would stretch the axis without end
        ax.set_ylabel("loss of the batch (log scale)")
    else:
        ax.set_ylim(0, top)
        ax.set_ylabel("loss of the batch")


def draw_class_mix(ax: Axes, run: ShuffleRun) -> object:
    """Heat map: one column per batch (in training order), one row per class, colour = share of the batch."""
    run = _check_run(run)
    mix = run.class_mix
    n_batches, n_classes = mix.shape if mix.numel() else (0, 4)
    extent = (0.5, max(n_batches, 1) + 0.5, n_classes - 0.5, -0.5)
    image = ax.imshow(mix.T.numpy() if n_batches else [[0.0]], aspect="auto", cmap=CMAP, vmin=0, vmax=1,
                      interpolation="nearest", extent=extent)  # fmt: skip
    _epoch_lines(ax, run)
    _class_rows(ax, n_classes)
    ax.set_xlabel("batch (= step), in training order")
    return image


def _class_rows(ax: Axes, n_classes: int = N_CLASSES) -> None:
    ax.set_yticks(range(n_classes))
    ax.set_yticklabels([f"class {c}" for c in range(n_classes)], fontsize=8)
    ax.grid(False)


def _colorbar(fig: Figure, mappable: object, rect: tuple[float, float, float, float]) -> None:
    fig.colorbar(mappable, cax=fig.add_axes(rect)).set_label("share of\nthe batch", fontsize=8)


_RUN_SIZE = (9, 4.4)
_RUN_GRID = dict(height_ratios=[2, 1])
_RUN_MARGINS = dict(left=0.1, right=0.9, bottom=0.12, top=0.87, hspace=0.12)
_COLORBAR_RECT = (0.915, 0.12, 0.015, 0.23)


def _run_title(run: ShuffleRun, sep: str = "\n") -> str:
    return f"{run.label}:{sep}val accuracy {run.val_accuracy:.3f}, train accuracy {run.train_accuracy:.3f}"


def _run_suptitle(run: ShuffleRun) -> str:
    s = run.settings
    return (f"{s['optimizer']} lr={s['lr']:g}, batch {s['batch_size']}, {s['epochs']} epochs "
            "(dashed lines: ends of epochs)")


def describe_shuffle_run(run: ShuffleRun) -> str:
    """One line: final accuracies and how many batches held only one class."""
    run = _check_run(run)
    h = run.history
    end = "" if not h.diverged else f" -- {h.stop_reason}"
    return (f"{run.label}: train accuracy {run.train_accuracy:.3f}, validation accuracy {run.val_accuracy:.3f}; "
            f"{run.single_class_batches} of {len(run.class_counts)} batches held a single class{end}")  # fmt: skip


def _column(fig: Figure, top: Axes, bottom: Axes, run: ShuffleRun, ymax: float | None, sep: str = "\n") -> object:
    draw_step_loss(top, run, ymax=ymax)
    image = draw_class_mix(bottom, run)
    bottom.set_xlim(top.get_xlim())
    top.tick_params(labelbottom=False)
    top.set_title(_run_title(run, sep), fontsize=10, color=RUN_COLORS[run.shuffle])
    return image


def plot_shuffle_run(run: ShuffleRun) -> Figure:
    """One run: the loss of every batch above the class mix of every batch."""
    run = _check_run(run)
    fig, (top, bottom) = subplots(2, 1, figsize=_RUN_SIZE, gridspec_kw=_RUN_GRID, adjust=_RUN_MARGINS)
    image = _column(fig, top, bottom, run, None, sep=" ")
    _colorbar(fig, image, _COLORBAR_RECT)
    fig.suptitle(_run_suptitle(run), fontsize=10)
    return fig


def plot_shuffle_comparison(comparison: ShuffleComparison) -> Figure:
    """Both runs side by side on the same loss scale: loss per step above, class mix per batch below."""
    if not isinstance(comparison, ShuffleComparison):
        raise TypeError(f"expected the result of compare_shuffling(...), but got {type(comparison).__name__}.")
    fig, axes = subplots(2, 2, figsize=(12, 4.8), gridspec_kw={"height_ratios": [2, 1]},
                         adjust=dict(left=0.07, right=0.92, bottom=0.11, top=0.8, hspace=0.12, wspace=0.12))
    ymax = max(max(r.history.step_loss, default=1.0) for r in comparison.runs) * 1.05
    for col, run in enumerate(comparison.runs):
        image = _column(fig, axes[0, col], axes[1, col], run, ymax)
    axes[0, 1].set_ylabel("")
    _colorbar(fig, image, (0.935, 0.11, 0.012, 0.2))
    s = comparison.no_shuffle.settings
    fig.suptitle(f"MLP (16) on 4 blobs stored sorted by class ({s['n_samples']} examples, 80% for training), "
                 f"{s['optimizer']} lr={s['lr']:g}, batch {s['batch_size']}, {s['epochs']} epochs",
                 fontsize=11)  # fmt: skip
    return fig


DEMO_LOSS_LIMITS = (0.0, 4.0)  # the demo picture's loss axis: every setting of the controls on one scale


class ShuffleRunPicture(BlitFigure):
    """The demo's picture, as :func:`plot_shuffle_run` draws it (the loss of every batch above the
    class mix of every batch). The x axis counts epochs, 0 to the run's epochs (each batch a
    ``1/batches per epoch`` wide column, so runs with other batch sizes line up): it is the same for
    every setting but the epochs, and changing the epochs draws the axes once anew (fixing it at the
    slider's 30 would squeeze the default 5 epochs into a sixth of the width). The loss runs over
    :data:`DEMO_LOSS_LIMITS` for every setting (linear, as in the full figure). Losses above it are
    drawn at the top edge, with a note naming the highest; a run that diverged is marked where it
    stopped. Only the curve, the heat map, the epoch lines and the texts are redrawn."""

    def __init__(self, epochs: int = 5) -> None:
        self.epochs = check_int("epochs", epochs, minimum=1)
        super().__init__(figsize=_RUN_SIZE)

    def build(self, fig: Figure) -> None:
        grid = fig.add_gridspec(2, 1, **_RUN_GRID, **_RUN_MARGINS)
        self.top, self.bottom = top, bottom = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        low, high = DEMO_LOSS_LIMITS
        for ax in (top, bottom):
            ax.set_xlim(0, self.epochs)
        top.set_ylim(low, high)
        top.set_ylabel("loss of the batch")
        top.tick_params(labelbottom=False)
        bottom.set_ylim(N_CLASSES - 0.5, -0.5)
        _class_rows(bottom)
        bottom.set_xlabel("epoch (one column per batch, in training order)")
        self.image = self.animated(bottom.imshow([[0.0]], aspect="auto", cmap=CMAP, vmin=0, vmax=1,
                                                 interpolation="nearest", extent=(0, 1, N_CLASSES - 0.5, -0.5)))
        _colorbar(fig, ScalarMappable(Normalize(0, 1), CMAP), _COLORBAR_RECT)
        self.epoch_lines = [self.animated(ax.plot([], [], color="0.35", linewidth=0.9, linestyle="--",
                                                  transform=ax.get_xaxis_transform())[0]) for ax in (top, bottom)]
        self.loss = self.animated(top.plot([], [], linewidth=1.1)[0])
        self.off_scale = self.animated(top.plot([], [], "^", markersize=5, clip_on=False, zorder=5)[0])
        self.clip_text = self.animated(top.text(0.99, 0.97, "", transform=top.transAxes, ha="right", va="top",
                                                fontsize=8, color=ALERT_COLOR, bbox=dict(
                                                    facecolor="white", edgecolor="none", alpha=0.85, pad=1.5)))
        self.stop_line = self.animated(top.axvline(1, color=ALERT_COLOR, linestyle="--", linewidth=1.2))
        self.stop_text = self.animated(top.text(1, 0.85, "", transform=top.get_xaxis_transform(), color=ALERT_COLOR,
                                                va="top", fontsize=9))  # fmt: skip
        self.title = self.animated(top.set_title(" ", fontsize=10))
        self.suptitle = self.animated(fig.suptitle(" ", fontsize=10))

    def update(self, run: ShuffleRun) -> None:
        run = _check_run(run)
        h = run.history
        epochs = int(run.settings.get("epochs", self.epochs))
        if epochs != self.epochs:  # the one setting that changes the axes: draw them anew, once
            self.epochs = epochs
            for ax in (self.top, self.bottom):
                ax.set_xlim(0, epochs)
            self.invalidate()
        per_epoch = max(h.batches_per_epoch, 1)
        color = RUN_COLORS[run.shuffle]
        mix = run.class_mix
        n_batches = len(mix)
        self.image.set_visible(n_batches > 0)
        if n_batches:
            self.image.set_data(mix.T.numpy())
            self.image.set_extent((0, n_batches / per_epoch, N_CLASSES - 0.5, -0.5))
        ends = np.arange(1, len(h.epoch_steps))  # the ends of all epochs but the last, in epochs
        xs = np.repeat(ends, 3).astype(float)
        ys = np.tile([0.0, 1.0, np.nan], len(ends))
        for line in self.epoch_lines:
            line.set_data(xs, ys)
        low, high = DEMO_LOSS_LIMITS
        losses, clipped = clip(h.step_loss, low, high) if h.step_loss else (np.array([]), False)
        x = (np.arange(h.steps) + 0.5) / per_epoch  # the middle of the batch's column
        self.loss.set_data(x, losses)
        self.loss.set_color(color)
        above = np.asarray(h.step_loss, dtype=float) > high if h.step_loss else np.array([], dtype=bool)
        self.off_scale.set_data(x[above], losses[above])
        self.off_scale.set_color(color)
        self.clip_text.set_visible(clipped)
        if clipped:
            highest = max(h.step_loss)
            self.clip_text.set_text(f"losses above {high:g} drawn at the top edge (\u25b2); highest {highest:.4g}")
        self.stop_line.set_visible(h.diverged)
        self.stop_text.set_visible(h.diverged)
        if h.diverged:
            at = h.steps / per_epoch
            self.stop_line.set_xdata([at, at])
            self.stop_text.set_position((at, 0.85))
            self.stop_text.set_text(f" {h.stop_reason} ")
            self.stop_text.set_ha("left" if at < 0.7 * self.epochs else "right")
        self.title.set_text(_run_title(run, " "))
        self.title.set_color(color)
        self.suptitle.set_text(_run_suptitle(run))


def shuffle_run_picture(epochs: int = 5) -> ShuffleRunPicture:
    """A new picture for the demo (``Demo(run_shuffling, shuffle_run_picture(), ...)``): see
    :class:`ShuffleRunPicture`; ``epochs`` is the epochs slider's start (the x axis follows the slider)."""
    return ShuffleRunPicture(epochs)
