"""Figures for lesson 02, the forward pass and the loss.

* :func:`plot_class_probabilities`: a classifier's softmax output, one small panel per example.
* :func:`plot_next_chars`: the most likely next characters, before and after training.
* :func:`plot_loss_breakdowns`: per-example losses and their mean (MSE and cross-entropy), and the
  curve ``-log(p)`` that cross-entropy puts on the probability of the correct class.
* :func:`plot_metric_vs_loss`: accuracy (a staircase) and cross-entropy (smooth) along one weight,
  and both during a training run.
* :func:`plot_line_explorer`: the "gradient descent by hand" demo: the line and its residuals,
  and where the current ``(w, b)`` sits on the loss surface, with the path so far.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ...blit import BlitFigure
from ...plots import PALETTE, subplots
from .experiments import LinePoint, LossBreakdown, LossSurface, MetricRun, MetricSlice

__all__ = [
    "LineExplorerPicture",
    "plot_class_probabilities",
    "plot_next_chars",
    "plot_loss_breakdowns",
    "plot_metric_vs_loss",
    "plot_line_explorer",
]

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY = PALETTE[:6]
OTHER = "#B8C4CE"  # the bars of the wrong classes: quiet, so the right one stands out


def plot_class_probabilities(probabilities: torch.Tensor, targets: torch.Tensor, *, max_examples: int = 6) -> Figure:
    """One panel per example: the probability of each class after softmax.

    The correct class is green, the others grey; the dashed line is what a blind guess gives
    every class (1 / number of classes).
    """
    probs = torch.as_tensor(probabilities).detach().float()
    targets = torch.as_tensor(targets)
    if probs.ndim != 2 or len(targets) != len(probs):
        raise ValueError(f"probabilities must have shape (examples, classes) with one target per row; got "
                         f"{tuple(probs.shape)} and {len(targets)} targets.")  # fmt: skip
    n, k = min(len(probs), max_examples), probs.shape[1]
    fig, axes = subplots(1, n, figsize=(2.0 * n + 0.6, 2.9), sharey=True, squeeze=False,
                         adjust=dict(left=0.07, right=0.99, bottom=0.2, top=0.78, wspace=0.12))
    for i, ax in enumerate(axes[0]):
        row, t = probs[i], int(targets[i])
        colors = [GREEN if c == t else OTHER for c in range(k)]
        ax.bar(range(k), row.tolist(), color=colors, width=0.75)
        ax.axhline(1 / k, color="0.3", linestyle="--", linewidth=1)
        pred = int(row.argmax())
        ax.set_title(f"example {i}\ntrue {t}, predicted {pred}", fontsize=9,
                     color="0.1" if pred == t else VERMILLION)  # fmt: skip
        ax.set_xticks(range(k))
        ax.set_xlabel("class")
        ax.set_ylim(0, 1)
        ax.grid(axis="x", visible=False)
    axes[0][0].set_ylabel("probability")
    fig.suptitle(f"softmax of an untrained classifier's logits: {n} examples, {k} classes "
                 f"(green = correct class, dashed = 1/{k})", fontsize=10)  # fmt: skip
    return fig


def plot_next_chars(
    before: Sequence[tuple[str, float]], after: Sequence[tuple[str, float]] | None = None, *, text: str = "",
    vocab_size: int | None = None, after_label: str = "after training",
) -> Figure:  # fmt: skip
    """The top next characters with their probabilities: untrained (left) and, if given, trained (right)."""
    panels = [("untrained (random weights)", before, BLUE)]
    if after is not None:
        panels.append((after_label, after, ORANGE))
    fig, axes = subplots(1, len(panels), figsize=(4.6 * len(panels) + 0.4, 3.0), squeeze=False,
                         adjust=dict(left=0.08, right=0.98, bottom=0.18, top=0.8, wspace=0.35))
    for ax, (label, top, color) in zip(axes[0], panels):
        chars = [repr(c)[1:-1] if c.strip() else {" ": "space", "\n": "newline"}.get(c, repr(c)) for c, _ in top]
        probs = [p for _, p in top]
        ypos = np.arange(len(top))[::-1]
        ax.barh(ypos, probs, color=color, height=0.7)
        for y, p in zip(ypos, probs):
            ax.text(p + 0.01, y, f"{p:.3f}", va="center", fontsize=8.5)
        ax.set_yticks(ypos, [f"'{c}'" if len(c) == 1 else c for c in chars], family="monospace")
        if vocab_size:
            ax.axvline(1 / vocab_size, color="0.3", linestyle="--", linewidth=1, label=f"1/{vocab_size}: blind guess")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlim(0, 1.12)
        ax.set_xlabel("probability of being the next character")
        ax.set_ylabel("next character")
        ax.set_title(label, fontsize=10)
        ax.grid(axis="y", visible=False)
    shown = text.replace("\n", "\\n")
    fig.suptitle(f"what comes after '{shown}'? top {len(before)} guesses", fontsize=10.5)
    return fig


def plot_loss_breakdowns(mse: LossBreakdown, cross_entropy: LossBreakdown, *, n_classes: int | None = None) -> Figure:
    """Three panels: MSE per example and its mean; cross-entropy per example and its mean; the
    curve ``-log(p)`` with this batch's examples on it (and, given ``n_classes``, a blind guess)."""
    for name, bd, kind in (("mse", mse, "mse"), ("cross_entropy", cross_entropy, "cross_entropy")):
        if not isinstance(bd, LossBreakdown) or bd.kind != kind:
            raise TypeError(f"{name} must be the LossBreakdown of {kind}_by_hand(...), but got {bd!r}.")
    fig, axes = subplots(1, 3, figsize=(11, 3.5),
                         adjust=dict(left=0.055, right=0.985, bottom=0.15, top=0.83, wspace=0.3))
    for ax, bd, color, torch_name in (
        (axes[0], mse, BLUE, "nn.MSELoss()"),
        (axes[1], cross_entropy, ORANGE, "nn.CrossEntropyLoss()"),
    ):
        ax.bar(range(len(bd.per_example)), bd.per_example, color=color, width=0.7, alpha=0.85)
        ax.axhline(bd.mean, color="0.15", linewidth=1.5, linestyle="--")
        ax.text(0.98, 0.97, f"dashed: mean = {bd.mean:.4f}\n{torch_name} = {bd.torch_mean:.4f}",
                transform=ax.transAxes, va="top", ha="right", fontsize=8.5,
                bbox=dict(facecolor="white", edgecolor="0.8", boxstyle="round,pad=0.3"))  # fmt: skip
        ax.set_xticks(range(len(bd.per_example)))
        ax.set_xlabel("example in the batch")
        ax.set_ylabel("loss of each example")
        ax.set_ylim(0, max(bd.per_example) * 1.45)
        ax.grid(axis="x", visible=False)
    axes[0].set_title("MSE: (prediction - target)²", fontsize=10)
    axes[1].set_title("cross-entropy: -log p(correct class)", fontsize=10)
    ax = axes[2]
    p = np.linspace(0.004, 1, 300)
    ax.plot(p, -np.log(p), color="0.3", linewidth=1.5, label="-log(p)")
    ax.scatter(cross_entropy.p_correct, cross_entropy.per_example, color=ORANGE, zorder=3, s=36,
               label="this batch's examples")  # fmt: skip
    if n_classes:
        ax.axvline(1 / n_classes, color=SKY, linestyle=":", linewidth=1.5,
                   label=f"blind guess p = 1/{n_classes}: loss {np.log(n_classes):.3f}")  # fmt: skip
    ax.set_xlabel("p = probability given to the correct class")
    ax.set_ylabel("that example's loss")
    ax.set_ylim(0, 5.8)
    ax.set_xlim(0, 1.02)
    ax.set_title("cross-entropy punishes a low p steeply", fontsize=10)
    ax.annotate("sure and right: loss 0", xy=(1, 0.02), xytext=(0.55, 1.3), fontsize=8.5,
                arrowprops=dict(arrowstyle="->", color="0.4"))  # fmt: skip
    ax.annotate("sure and wrong:\nno upper limit", xy=(0.012, 4.4), xytext=(0.12, 4.4), fontsize=8.5,
                va="center", arrowprops=dict(arrowstyle="->", color="0.4"))  # fmt: skip
    ax.legend(loc="upper right", fontsize=7.5, bbox_to_anchor=(1.0, 0.66))
    fig.suptitle("the loss of a batch is one number: the mean of its examples' losses", fontsize=10.5)
    return fig


# ----------------------------------------------------------------------------- metric vs loss


def plot_metric_vs_loss(slice_: MetricSlice, run: MetricRun) -> Figure:
    """Left: accuracy and cross-entropy as one weight moves (the rest fixed). Right: both during a run,
    with the longest stretch in which the accuracy stood still while the loss fell shaded."""
    if not isinstance(slice_, MetricSlice) or not isinstance(run, MetricRun):
        raise TypeError("expected the results of metric_slice(...) and metric_during_training(...).")
    fig, axes = subplots(1, 3, figsize=(11.5, 3.5),
                         adjust=dict(left=0.06, right=0.94, bottom=0.16, top=0.82, wspace=0.38))  # fmt: skip
    for ax, values, color, label in ((axes[0], slice_.accuracy, ORANGE, "accuracy"),
                                     (axes[1], slice_.loss, BLUE, "cross-entropy (the loss)")):  # fmt: skip
        ax.plot(slice_.values, values, color=color, linewidth=1.8, drawstyle="steps-mid" if color == ORANGE else None)
        ax.axvline(slice_.start, color="0.5", linestyle=":", linewidth=1.2)
        ax.set_xlabel(f"value of the weight {slice_.name}")
        ax.set_ylabel(label)
    axes[0].set_title(f"accuracy: flat, then a jump\n(it changes in {slice_.accuracy_changes} of "
                      f"{slice_.moves} small moves)", fontsize=9.5)  # fmt: skip
    axes[1].set_title(f"the loss: smooth\n(it changes in all {slice_.loss_changes} of {slice_.moves})",
                      fontsize=9.5)  # fmt: skip
    axes[1].annotate("the weight now", xy=(slice_.start, max(slice_.loss)), xytext=(6, -2),
                     textcoords="offset points", fontsize=8, color="0.4", va="top")  # fmt: skip
    ax = axes[2]
    steps = range(len(run.loss))
    first, last = run.longest_flat_stretch()
    ax.axvspan(first, last, color="0.5", alpha=0.12)
    ax.plot(steps, run.loss, color=BLUE, linewidth=1.8, label="loss")
    ax.set_xlabel("training step (full batch, SGD)")
    ax.set_ylabel("loss", color=BLUE)
    twin = ax.twinx()
    twin.plot(steps, run.accuracy, color=ORANGE, linewidth=1.8, linestyle="--", drawstyle="steps-post",
              label="accuracy")  # fmt: skip
    twin.set_ylabel("accuracy", color=ORANGE)
    twin.set_ylim(0, 1.02)
    twin.grid(False)
    ax.set_title(f"steps {first}-{last}: accuracy stays {run.accuracy[last]:.1%},\n"
                 f"the loss falls {run.loss[first]:.3f} -> {run.loss[last]:.3f}", fontsize=9.5)  # fmt: skip
    fig.suptitle("why training uses the loss, not the accuracy (4-class classifier, 200 points)", fontsize=10.5)
    return fig


# ----------------------------------------------------------------------------- the line explorer


def _contour_levels(surface: LossSurface) -> np.ndarray:
    return np.geomspace(surface.best_loss * 1.15, float(surface.loss.max()), 16)


_EXPLORER_SIZE = (10, 4.1)
_EXPLORER_GRID = dict(width_ratios=[1.15, 1])
_EXPLORER_MARGINS = dict(left=0.065, right=0.975, bottom=0.13, top=0.86, wspace=0.22)
_X_RANGE = (-2.2, 2.2)
_PATH_STYLE = dict(color="0.1", markersize=3.5, linewidth=1, alpha=0.8, zorder=4)
_HERE_STYLE = dict(markersize=11, color=ORANGE, markeredgecolor="black", zorder=6, clip_on=False)  # whole at an edge
_ARROW = dict(arrowstyle="-|>", color=VERMILLION, lw=2)


def _explorer_static(fig: Figure, left, right, s: LossSurface) -> None:
    """What no setting of w and b changes: the data, the loss surface, the minimum, axes and labels."""
    left.scatter(s.x, s.y, s=16, color=BLUE, zorder=3, label=f"data ({s.n_samples} points)")
    left.set_xlim(*_X_RANGE)
    left.set_ylim(-9, 7)
    left.set_xticks([-2, -1, 0, 1, 2])  # fixed ticks: matplotlib need not work them out on every redraw
    left.set_yticks([-8, -4, 0, 4])
    left.set_xlabel("x (input)")
    left.set_ylabel("y (target) and prediction")
    levels = _contour_levels(s)
    right.contourf(s.w_values, s.b_values, s.loss, levels=levels, norm=LogNorm(), cmap="Blues_r", alpha=0.85,
                   extend="both")  # fmt: skip
    right.contour(s.w_values, s.b_values, s.loss, levels=levels[::2], colors="white", linewidths=0.6, alpha=0.8)
    right.plot(s.best_w, s.best_b, marker="*", markersize=15, color=GREEN, markeredgecolor="white", zorder=7,
               linestyle="none", label=f"minimum: MSE {s.best_loss:.4f}")  # fmt: skip
    right.set_xlim(s.w_values[0], s.w_values[-1])
    right.set_ylim(s.b_values[0], s.b_values[-1])
    right.set_xticks(np.arange(2 * np.ceil(s.w_values[0] / 2), s.w_values[-1] + 1e-9, 2))
    right.set_yticks(np.arange(2 * np.ceil(s.b_values[0] / 2), s.b_values[-1] + 1e-9, 2))
    right.set_aspect("equal")
    right.grid(False)
    right.set_xlabel("w (slope)")
    right.set_ylabel("b (intercept)")
    right.set_title("the loss at every (w, b): darker is lower", fontsize=10.5)
    fig.suptitle("doing gradient descent by hand: move w and b to make the loss fall", fontsize=11)


def _residuals(point: LinePoint) -> np.ndarray:
    s = point.surface
    return np.stack([np.stack([s.x, s.y], 1), np.stack([s.x, point.predictions], 1)], 1)


def _line_label(point: LinePoint) -> str:
    return f"y = {point.w:.2f}·x {'+' if point.b >= 0 else '-'} {abs(point.b):.2f}"


def _downhill(point: LinePoint) -> np.ndarray | None:
    """The tip of the steepest-descent arrow from (w, b), of fixed length; None at the bottom or off the grid."""
    s = point.surface
    g = np.array([point.grad_w, point.grad_b])
    norm = float(np.hypot(*g))
    at_bottom = abs(point.w - s.best_w) <= 0.0501 and abs(point.b - s.best_b) <= 0.0501
    on_grid = s.w_values[0] <= point.w <= s.w_values[-1] and s.b_values[0] <= point.b <= s.b_values[-1]
    if on_grid and not at_bottom and norm > 1e-3:
        return np.array([point.w, point.b]) - g / norm * 0.9  # a fixed length: the *direction* only
    return None


def _check_point(point: object) -> LinePoint:
    if not isinstance(point, LinePoint):
        raise TypeError(f"point must be a LinePoint (what a LineExplorer returns), but got {type(point).__name__}.")
    return point


def plot_line_explorer(point: LinePoint) -> Figure:
    """Left: the data, the line ``y = w*x + b`` and its residuals. Right: the loss surface with the
    current ``(w, b)`` (orange), the path of earlier settings (black), and the minimum (green star).

    Drawn with fixed margins and fixed axes; the demo draws the same picture with :class:`LineExplorerPicture`.
    """
    point = _check_point(point)
    fig, (left, right) = subplots(1, 2, figsize=_EXPLORER_SIZE, gridspec_kw=_EXPLORER_GRID, adjust=_EXPLORER_MARGINS)
    _explorer_static(fig, left, right, point.surface)
    left.add_collection(LineCollection(_residuals(point), colors=VERMILLION, linewidths=1, alpha=0.75,
                                       label="residual (prediction - target)"))  # fmt: skip
    x0, x1 = _X_RANGE
    left.plot([x0, x1], [point.w * x0 + point.b, point.w * x1 + point.b], color=ORANGE, linewidth=2.5,
              label=_line_label(point))  # fmt: skip
    left.set_title(f"your line: MSE = {point.loss:.4f}", fontsize=10.5)
    left.legend(loc="lower right", fontsize=8, frameon=True, framealpha=0.85)
    path = np.array([(pw, pb) for pw, pb, _ in point.path])
    if len(path) > 1:
        right.plot(path[:, 0], path[:, 1], "o-", **_PATH_STYLE, label=f"your path ({len(path)} settings)")
    right.plot(point.w, point.b, "o", **_HERE_STYLE, label="you are here")
    tip = _downhill(point)
    if tip is not None:
        right.annotate("", xy=tuple(tip), xytext=(point.w, point.b), zorder=6, arrowprops=_ARROW)
        right.plot([], [], color=VERMILLION, lw=2, label="steepest way down")
    right.legend(loc="upper right", fontsize=7.5, framealpha=0.85, frameon=True)
    return fig


class LineExplorerPicture(BlitFigure):
    """The line explorer's picture, as :func:`plot_line_explorer` draws it: the data, the loss surface
    and the axes (fixed already) drawn once for the explorer's data, only the line, the residuals, the
    path, the marker and the arrow redrawn. Numbers that change (the line's equation, the path's
    length) are in the panel's title and the readout; the legends are static."""

    def __init__(self, surface: LossSurface) -> None:
        self.surface = surface
        super().__init__(figsize=_EXPLORER_SIZE)

    def build(self, fig: Figure) -> None:
        grid = fig.add_gridspec(1, 2, **_EXPLORER_GRID, **{k: v for k, v in _EXPLORER_MARGINS.items()})
        self.left, self.right = left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        _explorer_static(fig, left, right, self.surface)
        self.residuals = self.animated(left.add_collection(LineCollection(
            [], colors=VERMILLION, linewidths=1, alpha=0.75, label="residual (prediction - target)")))  # fmt: skip
        self.line = self.animated(left.plot([], [], color=ORANGE, linewidth=2.5, label="your line y = w·x + b")[0])
        self.title = self.animated(left.set_title(" ", fontsize=10.5))
        self.path = self.animated(right.plot([], [], "o-", **_PATH_STYLE, label="your path")[0])
        self.here = self.animated(right.plot([], [], "o", **_HERE_STYLE, label="you are here")[0])
        self.arrow = self.animated(right.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, arrowprops=_ARROW))
        right.plot([], [], color=VERMILLION, lw=2, label="steepest way down")
        for legend in (left.legend(loc="lower right", fontsize=8, frameon=True, framealpha=0.85),
                       right.legend(loc="upper right", fontsize=7.5, framealpha=0.85, frameon=True)):  # fmt: skip
            legend.set_zorder(3.5)  # under the data drawn on every frame, in the full drawing too

    def update(self, point: LinePoint) -> None:
        point = _check_point(point)
        if point.surface is not self.surface:
            raise ValueError("point comes from another LineExplorer than this picture's surface; make the picture "
                             "with LineExplorerPicture(explorer.surface) of the demo's own explorer.")  # fmt: skip
        self.residuals.set_segments(_residuals(point))
        x0, x1 = _X_RANGE
        self.line.set_data([x0, x1], [point.w * x0 + point.b, point.w * x1 + point.b])
        self.title.set_text(f"your line {_line_label(point)}: MSE = {point.loss:.4f}")
        path = np.array([(pw, pb) for pw, pb, _ in point.path]).reshape(-1, 2)
        self.path.set_visible(len(path) > 1)
        self.path.set_data(path[:, 0], path[:, 1])
        self.here.set_data([point.w], [point.b])
        tip = _downhill(point)
        self.arrow.set_visible(tip is not None)
        if tip is not None:
            self.arrow.xy, self.arrow.xyann = tuple(tip), (point.w, point.b)
