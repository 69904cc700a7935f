"""Figures for lesson 09: loss per step and the class mix of every batch, with and without shuffling."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...plots import ALERT_COLOR, PALETTE, subplots
from .experiments import ShuffleComparison, ShuffleRun

__all__ = ["draw_step_loss", "draw_class_mix", "plot_shuffle_run", "plot_shuffle_comparison", "describe_shuffle_run"]

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
    ax.set_yticks(range(n_classes))
    ax.set_yticklabels([f"class {c}" for c in range(n_classes)], fontsize=8)
    ax.grid(False)
    ax.set_xlabel("batch (= step), in training order")
    return image


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
    top.set_title(f"{run.label}:{sep}val accuracy {run.val_accuracy:.3f}, train accuracy {run.train_accuracy:.3f}",
                  fontsize=10, color=RUN_COLORS[run.shuffle])  # fmt: skip
    return image


def plot_shuffle_run(run: ShuffleRun) -> Figure:
    """One run: the loss of every batch above the class mix of every batch."""
    run = _check_run(run)
    fig, (top, bottom) = subplots(2, 1, figsize=(9, 4.4), gridspec_kw={"height_ratios": [2, 1]},
                                  adjust=dict(left=0.1, right=0.9, bottom=0.12, top=0.87, hspace=0.12))
    image = _column(fig, top, bottom, run, None, sep=" ")
    cax = fig.add_axes((0.915, 0.12, 0.015, 0.23))
    fig.colorbar(image, cax=cax).set_label("share of\nthe batch", fontsize=8)
    s = run.settings
    fig.suptitle(f"{s['optimizer']} lr={s['lr']:g}, batch {s['batch_size']}, {s['epochs']} epochs "
                 "(dashed lines: ends of epochs)", fontsize=10)  # fmt: skip
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
    cax = fig.add_axes((0.935, 0.11, 0.012, 0.2))
    fig.colorbar(image, cax=cax).set_label("share of\nthe batch", fontsize=8)
    s = comparison.no_shuffle.settings
    fig.suptitle(f"MLP (16) on 4 blobs stored sorted by class ({s['n_samples']} examples, 80% for training), "
                 f"{s['optimizer']} lr={s['lr']:g}, batch {s['batch_size']}, {s['epochs']} epochs",
                 fontsize=11)  # fmt: skip
    return fig
