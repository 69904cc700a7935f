"""Figures for lesson 10: gradient accumulation and data parallelism.

Each function takes a result from :mod:`course_utils.experiments.accumulation` (or
:mod:`course_utils.distributed`) and returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.figure import Figure

from ...blit import BlitFigure, clip
from ...plots import PALETTE, bar_style, log_axis, subplots

__all__ = [
    "plot_gradient_agreement",
    "plot_accumulation_runs",
    "AccumulationPicture",
    "DEMO_MAX_STEPS",
    "DEMO_LOSS_LIMITS",
    "plot_division",
    "plot_memory",
    "plot_zero_grad",
    "plot_data_parallel",
]

BLUE, ORANGE, GREEN, RED, PURPLE, SKY = PALETTE[:6]
TINY = 1e-10  # where "exactly equal" sits on a log axis


def _flat(grads: dict[str, torch.Tensor]) -> list[float]:
    return torch.cat([g.flatten() for g in grads.values()]).tolist()


def plot_gradient_agreement(checks: Sequence) -> Figure:
    """Every gradient entry: one pass over the big batch (x) against the accumulated one (y).

    Points on the diagonal agree. ``checks`` are :class:`GradientCheck` results (with and/or without
    the division by k).
    """
    fig, ax = subplots(figsize=(6.4, 4.2), adjust=dict(left=0.14, right=0.97, bottom=0.13, top=0.88))
    lo = hi = 0.0
    for check, color, marker in zip(checks, (BLUE, RED, GREEN), ("o", "s", "^")):
        big, acc = _flat(check.big), _flat(check.accumulated)
        label = ("each loss / k" if check.divide else "no division") + f": max |diff| {check.max_abs_diff:.1e}"
        ax.scatter(big, acc, s=14, color=color, marker=marker, alpha=0.7, label=label, zorder=3)
        lo, hi = min(lo, *big, *acc), max(hi, *big, *acc)
    ax.plot([lo, hi], [lo, hi], color="0.4", linewidth=1, linestyle="--", label="y = x (the same gradient)", zorder=2)
    k = checks[0].accumulation_steps
    if any(not c.divide for c in checks) and k > 1:
        ax.plot([lo / k, hi / k], [lo, hi], color=RED, linewidth=1, linestyle=":", label=f"y = {k} x", zorder=2)
    ax.set_xlabel(f"gradient entry, one pass over the batch of {checks[0].batch_size}")
    ax.set_ylabel(f"gradient entry, {k} micro-batches of {checks[0].micro_batch_size}")
    ax.set_title(f"All {len(_flat(checks[0].big))} gradient entries: big batch vs accumulated")
    ax.legend(loc="upper left", fontsize=8.5)
    return fig


def _relative_diffs(result) -> list[float]:
    """|accumulated - big| / big of every step's loss, at TINY where they are identical."""
    return [max(d / max(abs(v), 1e-30), TINY) for d, v in zip(result.loss_diffs, result.big_batch.history.step_loss)]


def _suptitle(result) -> str:
    m, k, b = result.micro_batch_size, result.accumulation_steps, result.effective_batch_size
    return (f"effective batch {m} x {k} = {b}: accumulating {k} micro-batches vs one batch of {b} "
            f"({result.accumulated.settings['optimizer']}, lr {result.accumulated.settings['lr']:g})")  # fmt: skip


def _static_parts(left, right) -> None:
    """What both pictures share and never changes: labels, titles, the rounding band, the log axis."""
    left.set_xlabel("optimizer step")
    left.set_ylabel("training loss")
    left.set_title("loss of every step")
    right.axhspan(TINY / 2, 1e-6, color=GREEN, alpha=0.08)
    right.text(0.98, 0.33, "float32 rounding level (< 1e-6)", transform=right.transAxes, fontsize=8.5, color=GREEN,
               ha="right")  # fmt: skip
    right.set_yscale("log")
    right.set_ylim(TINY / 2, 10)
    right.set_xlabel("optimizer step")
    right.set_ylabel("relative loss difference")
    right.set_title(f"|accumulated - big| / big   (at {TINY:.0e}: identical)")


_BIG_STYLE = dict(color=BLUE, linewidth=3.5, alpha=0.6)
_ACC_STYLE = dict(color=ORANGE, linewidth=1.5, linestyle="--")
_SIZE, _MARGINS = (10, 3.8), dict(left=0.07, right=0.98, bottom=0.14, top=0.8, wspace=0.28)


def plot_accumulation_runs(result) -> Figure:
    """Left: the loss of every optimizer step, accumulated vs big batch. Right: how far apart they are."""
    acc, big = result.accumulated.history, result.big_batch.history
    fig, (left, right) = subplots(1, 2, figsize=_SIZE, adjust=_MARGINS)
    m, k, b = result.micro_batch_size, result.accumulation_steps, result.effective_batch_size
    left.plot(range(1, len(big.step_loss) + 1), big.step_loss, **_BIG_STYLE,
              label=f"big batch of {b}, no accumulation")  # fmt: skip
    left.plot(range(1, len(acc.step_loss) + 1), acc.step_loss, **_ACC_STYLE,
              label=f"micro-batches of {m}, accumulate {k}")  # fmt: skip
    left.legend(loc="upper right", fontsize=8.5)
    diffs = _relative_diffs(result)
    right.plot(range(1, len(diffs) + 1), diffs, color=PURPLE, linewidth=1.2)
    _static_parts(left, right)
    if acc.diverged or big.diverged:
        for ax in (left, right):
            ax.text(0.5, 0.5, f"diverged: {acc.stop_reason}", transform=ax.transAxes, ha="center", color=RED)
    fig.suptitle(_suptitle(result))
    return fig


DEMO_MAX_STEPS = 1024
"""The demo's step axis ends here: 512 examples x 4 epochs in steps of the smallest effective batch (2 x 1)."""
DEMO_LOSS_LIMITS = (0.0, 1.2)
"""The demo's loss axis: every setting's losses but the tiniest batches' (2 x 1, up to 10) lie on it."""


class AccumulationPicture(BlitFigure):
    """The demo's picture, as :func:`plot_accumulation_runs` draws it, with axes fixed over every setting
    of its sliders (steps on a log axis from 1 to ``DEMO_MAX_STEPS``, losses on ``DEMO_LOSS_LIMITS``) and
    only the data redrawn. Losses beyond the axis are drawn at its edge, with a note."""

    def __init__(self) -> None:
        super().__init__(figsize=_SIZE)

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**_MARGINS)
        self.left, self.right = left, right = fig.subplots(1, 2)
        _static_parts(left, right)
        for ax in (left, right):
            log_axis(ax, "x")
            ax.set_xlim(1, DEMO_MAX_STEPS)
        left.set_ylim(*DEMO_LOSS_LIMITS)
        self.big = self.animated(left.plot([], [], **_BIG_STYLE)[0])
        self.acc = self.animated(left.plot([], [], **_ACC_STYLE)[0])
        self.diffs = self.animated(right.plot([], [], color=PURPLE, linewidth=1.2)[0])
        legend = left.legend([self.big, self.acc], ["one big batch, no accumulation", "micro-batches, accumulated"],
                             loc="upper right", fontsize=8.5)  # fmt: skip
        low, high = DEMO_LOSS_LIMITS
        self.clip_text = self.animated(left.text(0.98, 0.02, f"losses beyond {low:g}-{high:g} drawn at the edge",
                                                 transform=left.transAxes, ha="right", va="bottom", fontsize=8,
                                                 color=RED, bbox=dict(facecolor="white", edgecolor="none",
                                                                      alpha=0.85, pad=1.5)))  # fmt: skip
        self.diverged = [self.animated(ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", color=RED))
                         for ax in (left, right)]  # fmt: skip
        self.title = self.animated(fig.suptitle(" "))
        # The legend is static (redrawing it costs a third of a frame): only runs of more than 100 steps
        # with high losses (micro-batches of 2 to 4 without accumulation) reach its corner.
        legend.set_zorder(1.5)

    def update(self, result) -> None:
        acc, big = result.accumulated.history, result.big_batch.history
        big_loss, clipped_big = clip(big.step_loss, *DEMO_LOSS_LIMITS)
        acc_loss, clipped_acc = clip(acc.step_loss, *DEMO_LOSS_LIMITS)
        self.big.set_data(range(1, len(big_loss) + 1), big_loss)
        self.acc.set_data(range(1, len(acc_loss) + 1), acc_loss)
        self.clip_text.set_visible(clipped_big or clipped_acc)
        diffs, _ = clip(_relative_diffs(result), TINY / 2, 10)
        self.diffs.set_data(range(1, len(diffs) + 1), diffs)
        for text in self.diverged:
            text.set_visible(acc.diverged or big.diverged)
            text.set_text(f"diverged: {acc.stop_reason}")
        self.title.set_text(_suptitle(result))


def plot_division(result) -> Figure:
    """The loss of every step: accumulation with and without the division, and a big batch at k x lr."""
    fig, ax = subplots(figsize=(8, 3.8), adjust=dict(left=0.09, right=0.97, bottom=0.14, top=0.88))
    k, lr = result.accumulation_steps, result.lr
    ax.plot(range(1, len(result.divided) + 1), result.divided, color=BLUE, linewidth=2,
            label=f"accumulate, each loss / {k}, lr {lr:g}")  # fmt: skip
    ax.plot(range(1, len(result.big_batch_k_lr) + 1), result.big_batch_k_lr, color=ORANGE, linewidth=4, alpha=0.5,
            linestyle=":", label=f"big batch, lr {k} x {lr:g} = {k * lr:g}")  # fmt: skip
    ax.plot(range(1, len(result.not_divided) + 1), result.not_divided, color=RED, linewidth=1.5, linestyle="--",
            label=f"accumulate, no division, lr {lr:g}")  # fmt: skip
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss")
    ax.set_title(f"{result.optimizer}: {k} micro-batches of {result.micro_batch_size} per step")
    ax.legend(loc="upper right", fontsize=8.5)
    return fig


def plot_memory(rows: Sequence) -> Figure:
    """Stacked bars: what one step over the batch keeps in memory at its peak, for each k."""
    fig, ax = subplots(figsize=(8, 0.55 * len(rows) + 1.6), adjust=dict(left=0.24, right=0.97, bottom=0.2, top=0.86))
    labels, scale = [], 1e6
    for i, row in enumerate(rows):
        left = 0.0
        parts = [(row.step.parameters, BLUE, "weights"), (row.step.gradients, SKY, "gradients"),
                 (row.peak_activations, ORANGE, "activations saved for backward (peak)"),
                 (row.step.batch, PURPLE, "the micro-batch itself")]  # fmt: skip
        for j, (value, color, name) in enumerate(parts):
            ax.barh(i, value / scale, left=left, label=name if i == 0 else None, height=0.6, **bar_style(j, color))
            left += value / scale
        ax.text(left + 0.03, i, f"{row.peak_total / scale:.2f} MB", va="center", fontsize=9)
        k = row.accumulation_steps
        labels.append(f"one batch of {row.batch_size}" if k == 1 else f"{k} x {row.micro_batch_size}")
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("memory at the peak of one optimizer step (MB = 10^6 bytes)")
    ax.set_xlim(0, rows[0].peak_total / scale * 1.18)
    ax.set_title(f"One step over {rows[0].batch_size} examples, done in k micro-batches (measured)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", visible=False)
    return fig


def plot_zero_grad(result) -> Figure:
    """Left: the gradient's length after each backward(). Right: the loss. With and without zero_grad()."""
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.6),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.8, wspace=0.25))
    for values_with, values_without, ax, ylabel in (
        (result.grad_norm_with, result.grad_norm_without, left, "gradient norm (length of .grad)"),
        (result.loss_with, result.loss_without, right, "training loss of the batch"),
    ):
        ax.plot(range(1, len(values_with) + 1), values_with, color=BLUE, linewidth=2, marker=".",
                label="zero_grad() every step")  # fmt: skip
        ax.plot(range(1, len(values_without) + 1), values_without, color=RED, linewidth=2, marker="x", linestyle="--",
                label="zero_grad() forgotten")  # fmt: skip
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
    left.legend(loc="center right", fontsize=8.5)
    left.set_title("what .grad holds when backward() is done")
    right.set_title("what training does with it")
    for ax, stop in ((right, result.stop_without), (left, result.stop_with)):
        if stop.startswith("diverged"):
            ax.text(0.5, 0.9, stop, transform=ax.transAxes, ha="center", color=RED)
    fig.suptitle(f"The same {len(result.loss_with)} batches of {result.batch_size}, SGD lr {result.lr:g}: "
                 "forgetting zero_grad() accumulates by accident")  # fmt: skip
    return fig


def plot_data_parallel(result, parameter: str = "2.weight", entries: int = 24) -> Figure:
    """Gradient entries of one weight: each process's share alone, after DDP's averaging, and one
    process on the whole batch."""
    fig, ax = subplots(figsize=(10, 4.4), adjust=dict(left=0.08, right=0.98, bottom=0.3, top=0.9))
    xs = list(range(entries))
    ref = result.reference_grads[parameter].flatten()[:entries].tolist()
    ax.bar(xs, ref, width=0.75, color="0.85", edgecolor="0.6", label="one process, whole batch")
    markers = ("v", "^", "<", ">")
    first = lambda grads: grads[parameter].flatten()[:entries].tolist()  # noqa: E731
    for r, local in enumerate(result.local_grads):
        ax.scatter(xs, first(local), marker=markers[r % 4], s=30, color=(SKY, PURPLE)[r % 2],
                   label=f"process {r}: its {result.shard_sizes[r]} examples alone", zorder=3)  # fmt: skip
    for r, synced in enumerate(result.synced_grads):
        ax.scatter(xs, first(synced), marker="_" if r == 0 else "x", s=160 if r == 0 else 40,
                   linewidths=2.5 if r == 0 else 1.5, color=(ORANGE, RED)[r % 2], zorder=4,
                   label=f"process {r} after backward() with DDP")  # fmt: skip
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(xs)
    ax.set_xlabel(f"entry of the gradient of '{parameter}' (the first {entries})")
    ax.set_ylabel("gradient value")
    ax.set_title(f"{result.world_size} processes x {result.shard_sizes[0]} examples: after backward() every process "
                 f"holds the whole batch's gradient (max |diff| {result.grad_diff_vs_single:.1e})")  # fmt: skip
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=8.5, ncol=3)
    return fig
