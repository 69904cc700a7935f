"""Figures of notebook 12: the noise floor of a converged fit, batch size, and learning as many small nudges."""

from __future__ import annotations

from matplotlib.figure import Figure

from ...data import POWERS_OF_TWO
from ...history import ema
from ...plots import PALETTE, HistoryPicture, run_style, subplots
from .experiments import BatchSizeEffect, NoiseFloor, Nudges

__all__ = ["plot_noise_floor", "plot_batch_size_effect", "plot_nudges", "history_picture", "DEMO_LOSS_LIMITS"]

DEMO_LOSS_LIMITS = (0.0, 1.0)
"""The batch-size demo's loss axis: every finished run's epoch losses lie on it (0.08-0.67; the
untrained model scores 0.69); single steps of batch 1 and diverging runs go beyond, at the edge."""


def history_picture() -> HistoryPicture:
    """The batch-size demo's picture (``Demo(run_training, history_picture(), ...)``): plot_history's two
    panels with axes fixed over every setting of its sliders: 800 training examples / batch 1 x 20
    epochs = 16,000 steps, 20 epochs, losses on ``DEMO_LOSS_LIMITS``."""
    return HistoryPicture(max_steps=800 // POWERS_OF_TWO[0] * 20, max_epochs=20, loss_limits=DEMO_LOSS_LIMITS)


def plot_noise_floor(result: NoiseFloor) -> Figure:
    """Training loss after more and more epochs, against the best any line can do and the noise."""
    fig, ax = subplots(figsize=(7, 3.4), adjust=dict(left=0.11, right=0.97, bottom=0.16, top=0.87))
    ax.plot(result.epochs, result.loss_after, "o-", color=PALETTE[0], label="training loss of the fitted line")
    ax.axhline(result.best_possible, color=PALETTE[2], linestyle="--",
               label=f"best any line can do: {result.best_possible:.3f}")  # fmt: skip
    ax.axhline(result.noise_variance, color=PALETTE[1], linestyle=":",
               label=f"noise variance in the data: {result.noise_variance:.3f}")  # fmt: skip
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xticks(result.epochs, [str(e) for e in result.epochs])
    ax.set_xlabel("epochs trained (log scale)")
    ax.set_ylabel("mean squared error")
    ax.set_title("Converged is not zero: the loss stops at the noise floor")
    ax.legend(loc="upper right")
    return fig


def plot_nudges(result: Nudges) -> Figure:
    """Left: the two weights after every step, heading for the best line. Right: the loss per step."""
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.4),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.16, top=0.85, wspace=0.25))
    steps = range(len(result.w))
    left.plot(steps, result.w, color=PALETTE[0], label="w (slope)")
    left.plot(steps, result.b, color=PALETTE[1], linestyle="-.", label="b (intercept)")
    left.axhline(result.target_w, color=PALETTE[0], linestyle="--", linewidth=1, label="least-squares w")
    left.axhline(result.target_b, color=PALETTE[1], linestyle=":", linewidth=1, label="least-squares b")
    left.set_xlabel("step (optimizer updates)")
    left.set_ylabel("weight value")
    left.set_title("each step nudges the weights a little")
    left.legend(loc="center right", fontsize=8)
    xs = range(1, len(result.step_loss) + 1)
    right.plot(xs, result.step_loss, color=PALETTE[0], alpha=0.35, linewidth=0.8, label="loss of each batch")
    right.plot(xs, ema(result.step_loss, 0.9), color=PALETTE[0], linewidth=2, label="smoothed")
    right.set_yscale("log")
    right.set_xlabel("step (optimizer updates)")
    right.set_ylabel("training loss (log scale)")
    right.set_title("noisy hints, steady progress")
    right.legend(loc="upper right", fontsize=8)
    return fig


def plot_batch_size_effect(result: BatchSizeEffect) -> Figure:
    """The mean training loss of every epoch (solid, filled markers) and the validation loss after it
    (dashed, open markers), one colour and marker shape per batch size: the last points are the numbers the
    text quotes."""
    fig, ax = subplots(figsize=(9, 3.6), adjust=dict(left=0.08, right=0.66, bottom=0.14, top=0.88))
    for i, (b, h) in enumerate(zip(result.batch_sizes, result.histories)):
        style = run_style(i)
        color, marker = style["color"], style["marker"]
        epochs = list(range(1, len(h.epoch_train_loss) + 1))
        ax.plot(epochs, h.epoch_train_loss, "-", marker=marker, color=color,
                label=f"batch {b}: training, last {h.epoch_train_loss[-1]:.4f}")  # fmt: skip
        ax.plot(epochs[: len(h.epoch_val_loss)], h.epoch_val_loss, "--", marker=marker, color=color,
                markerfacecolor="white",
                label=f"batch {b}: validation, last {h.epoch_val_loss[-1]:.4f}")  # fmt: skip
    ax.set_xticks(range(1, max(len(h.epoch_train_loss) for h in result.histories) + 1))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (mean over the epoch)")
    ax.set_title("same epochs, same learning rate, different batch size")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5, frameon=False)  # beside: it hides no line
    return fig
