"""Figures for lesson 01, the training loop: the loop as a diagram, and the step-through model."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...data import POWERS_OF_TWO
from ...plots import ALERT_COLOR, PALETTE, TRAIN_COLOR, VAL_COLOR, HistoryPicture, new_axes

__all__ = ["plot_training_loop_diagram", "plot_step_through", "history_picture", "DEMO_LOSS_LIMITS"]

DEMO_LOSS_LIMITS = (0.0, 1.5)
"""The demo's loss axis: every finished run's epoch losses lie on it (0.49-1.29, random labels score
about 0.69); single steps of batch 1 and runs at a learning rate of 1 or more go beyond, at the edge."""


def history_picture() -> HistoryPicture:
    """The slider demo's picture (``Demo(minimal_example, history_picture(), ...)``): plot_history's two
    panels with axes fixed over every setting of its sliders: up to 1,000 examples / batch 1 x 50 epochs
    = 50,000 steps, 50 epochs, losses on ``DEMO_LOSS_LIMITS``."""
    return HistoryPicture(max_steps=1000 // POWERS_OF_TWO[0] * 50, max_epochs=50, loss_limits=DEMO_LOSS_LIMITS,
                          validation=False)  # fmt: skip


def plot_training_loop_diagram(ax: Axes | None = None) -> Figure:
    """The loop in one picture: batch -> forward -> loss -> backward -> step -> next batch."""
    fig, ax = new_axes(ax, figsize=(10, 3.4))
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
    fig.alt_text = ("A diagram of the training loop: five boxes joined by arrows, left to right, and an arrow "
                    "back from the last to the first")  # the boxes' text follows in the alt (course_utils.a11y)
    return fig


def plot_step_through(st: Any, ax: Axes | None = None) -> Figure:
    """The step-through model: the batch, the current line, and (after a step) the line before it."""
    fig, ax = new_axes(ax, figsize=(6, 3.6))
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
