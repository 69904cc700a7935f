"""Figures for lesson 04: one epoch cut into batches, and full batch vs mini-batch vs one at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator, StrMethodFormatter

from ...data import EpochPlan
from ...plots import ALERT_COLOR, PALETTE, run_style, subplots
from .experiments import BatchComparison

__all__ = ["describe_plan", "draw_epoch_bar", "draw_step_timeline", "plot_epoch_plan", "plot_worked_examples",
           "describe_comparison", "plot_batch_comparison"]  # fmt: skip

FULL, FULL_ALT, LAST, DROPPED = PALETTE[0], PALETTE[5], PALETTE[1], "0.8"
_MAX_BLOCKS = 300  # more batches than this are drawn as one band: each would be thinner than a pixel


def _check_plan(plan: object) -> EpochPlan:
    if not isinstance(plan, EpochPlan):
        raise TypeError(f"plan must be an EpochPlan from epoch_plan(...), but got {type(plan).__name__}.")
    return plan


def describe_plan(plan: EpochPlan) -> str:
    """The calculator's answer in one line: batches per epoch, last batch, steps, updates."""
    p = _check_plan(plan)
    if p.drop_last and p.n_samples % p.batch_size:
        last = f"last batch {p.last_batch_size} ({p.n_samples % p.batch_size} samples dropped every epoch)"
    elif p.last_batch_size != p.batch_size:
        last = f"last batch {p.last_batch_size} (smaller than the others)"
    else:
        last = f"last batch {p.last_batch_size} (all batches full)"
    return (f"batches/epoch: {p.batches_per_epoch:,} | {last} | total steps: {p.total_steps:,} | "
            f"weight updates: {p.total_steps:,} | samples processed: {p.total_samples:,}")  # fmt: skip


def _headline(p: EpochPlan) -> str:
    full, rest = divmod(p.n_samples, p.batch_size)
    if rest == 0:
        split = f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,}"
    elif p.drop_last:
        split = f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,}, the last {rest:,} samples dropped"
    else:
        split = (f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,} + 1 of {rest:,} = "
                 f"{full + 1:,} batches")  # fmt: skip
    return f"{p.n_samples:,} samples, batch size {p.batch_size}: {split} per epoch"


def draw_epoch_bar(ax: Axes, plan: EpochPlan, *, title: str | None = None) -> None:
    """One epoch as a bar of blocks, one block per batch, in the order the loader hands them out.

    Block widths are proportional to the batch sizes; a short last batch is orange; samples that
    ``drop_last`` throws away are grey and hatched. Blocks wide enough show their step number.
    """
    p = _check_plan(plan)
    n, b = p.n_samples, p.batch_size
    full, rest = divmod(n, b)
    y, h = 0.0, 1.0
    if full <= _MAX_BLOCKS:
        even = [(i * b, b) for i in range(0, full, 2)]
        odd = [(i * b, b) for i in range(1, full, 2)]
        edge = "white" if full <= 64 else "none"
        ax.broken_barh(even, (y, h), facecolors=FULL, edgecolors=edge, linewidth=1)
        ax.broken_barh(odd, (y, h), facecolors=FULL_ALT, edgecolors=edge, linewidth=1)
        if full and b / n >= 0.045:  # room for a number in every block
            for i in range(full):
                ax.text((i + 0.5) * b, y + h / 2, str(i + 1), ha="center", va="center", color="white",
                        fontsize=9 if b / n >= 0.07 else 7, fontweight="bold")  # fmt: skip
        elif full:
            ax.text(b / 2, y + h + 0.08, "batch 1", ha="left", va="bottom", fontsize=8, color="0.25")
    else:
        ax.broken_barh([(0, full * b)], (y, h), facecolors=FULL)
        ax.text(full * b / 2, y + h / 2, f"{full:,} batches of {b} (too thin to draw one by one)", ha="center",
                va="center", color="white", fontsize=9)  # fmt: skip
    if rest:
        start = full * b
        if p.drop_last:
            ax.broken_barh([(start, rest)], (y, h), facecolors=DROPPED, edgecolors="0.45", hatch="///", linewidth=0.8)
            note = f"{rest} dropped (drop_last): not seen this epoch"
            color = "0.3"
        else:
            ax.broken_barh([(start, rest)], (y, h), facecolors=LAST, edgecolors="white", linewidth=1)
            note = f"last batch: {rest} sample{'s' if rest != 1 else ''} (step {full + 1})"
            color = "#9a6a00"
        ax.annotate(note, xy=(start + rest / 2, y + h), xytext=(0.995 * n, y + h + 0.45), ha="right", va="bottom",
                    fontsize=8.5, color=color,
                    arrowprops=dict(arrowstyle="-", color=color, lw=0.8))  # fmt: skip
    ax.set_xlim(0, n)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(-0.05, 2.05)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("samples, in the order the loader hands them out")
    ax.set_title(title if title is not None else _headline(p), loc="left", fontsize=10)


def draw_step_timeline(ax: Axes, plan: EpochPlan) -> None:
    """All epochs on the axis of steps (one step = one batch = one weight update)."""
    p = _check_plan(plan)
    per, total = p.batches_per_epoch, p.total_steps
    if total == 0:
        ax.text(0.5, 0.5, "0 epochs: no batches, no steps, no updates", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
        ax.set_xticks([])
    else:
        for e in range(p.epochs):
            ax.broken_barh([(e * per, per)], (0, 1), facecolors=PALETTE[2] if e % 2 == 0 else "#7fcfb8",
                           edgecolors="white", linewidth=1)  # fmt: skip
            if per / total >= 0.06:
                ax.text((e + 0.5) * per, 0.5, f"epoch {e + 1}" if per / total >= 0.12 else str(e + 1), ha="center",
                        va="center", color="white", fontsize=9, fontweight="bold")  # fmt: skip
        ax.set_xlim(0, total)
        if p.epochs <= 12:
            ax.set_xticks([e * per for e in range(p.epochs + 1)])
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("step (one batch processed = one weight update)")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(f"{p.epochs} epoch{'s' if p.epochs != 1 else ''} x {p.batches_per_epoch:,} batches = "
                 f"{p.total_steps:,} steps = {p.total_steps:,} weight updates", loc="left", fontsize=10)  # fmt: skip


def plot_epoch_plan(plan: EpochPlan) -> Figure:
    """The calculator's picture: epoch 1 cut into batches (top), all epochs as steps (bottom)."""
    p = _check_plan(plan)
    fig, (top, bottom) = subplots(2, 1, figsize=(9, 3.6), gridspec_kw={"height_ratios": [1.5, 1]},
                                  adjust=dict(left=0.03, right=0.97, bottom=0.15, top=0.86, hspace=1.05))
    draw_epoch_bar(top, p, title=f"one epoch -- {_headline(p)}")
    draw_step_timeline(bottom, p)
    return fig


def plot_worked_examples(plans: Sequence[EpochPlan]) -> Figure:
    """Several plans, one bar each (one epoch), one under the other."""
    plans = [_check_plan(p) for p in plans]
    if not plans:
        raise ValueError("plans is empty: give at least one epoch_plan(...) to draw.")
    fig, axes = subplots(len(plans), 1, figsize=(9, 1.45 * len(plans) + 0.3), squeeze=False,
                         adjust=dict(left=0.03, right=0.97, bottom=0.1, top=0.93, hspace=1.55))
    for ax, p in zip(axes[:, 0], plans):
        draw_epoch_bar(ax, p, title=f"{_headline(p)}; {p.epochs} epochs -> {p.total_steps} updates")
        if ax is not axes[-1, 0]:
            ax.set_xlabel("")
    axes[-1, 0].set_xlabel("samples, in the order the loader hands them out (bars are not to the same scale)")
    return fig


# ----------------------------------------------------------------------------- the comparison


def describe_comparison(comparison: BatchComparison) -> str:
    """One line per run: updates and the final whole-training-set loss."""
    parts = []
    for r in comparison.runs:
        end = f"loss {r.final_loss:.3f}" if not r.history.diverged else r.history.stop_reason
        parts.append(f"{r.label}: {r.updates} updates, {end}")
    return " | ".join(parts)


def plot_batch_comparison(comparison: BatchComparison) -> Figure:
    """Whole-training-set loss of the three runs against epochs, updates and training seconds."""
    if not isinstance(comparison, BatchComparison):
        raise TypeError(f"expected the result of compare_batch_sizes(...), but got {type(comparison).__name__}.")
    fig, axes = subplots(1, 3, figsize=(12, 3.9), sharey=True,
                         adjust=dict(left=0.06, right=0.99, bottom=0.27, top=0.83, wspace=0.08))
    start = comparison.runs[0].loss[0] if comparison.runs[0].loss else math.nan
    finite = [v for r in comparison.runs for v in r.loss if math.isfinite(v)]
    top = min(max(finite, default=1.0), 3 * start if math.isfinite(start) else 10.0) * 1.05
    panels = [
        ("epochs", "epochs (passes over the data)", "against epochs", False),
        ("steps", "weight updates (log scale)", "against updates", True),
        ("seconds", "training seconds (log scale)", "against wall-clock time", True),
    ]
    for ax, (attr, xlabel, title, log) in zip(axes, panels):
        for i, r in enumerate(comparison.runs):
            xs, ys = getattr(r, attr), r.loss
            if log:  # the untrained point sits at 0 updates / 0 seconds, which a log axis cannot show
                xs, ys = xs[1:], ys[1:]
            style = run_style(i, markers=len(xs) <= 12, linewidth=2 if r.kind != "one at a time" else 1.4)
            label = f"{r.label}: {r.updates:,} update{'s' if r.updates != 1 else ''}"
            if r.history.diverged:
                label += f" -- {r.history.stop_reason}"
            ax.plot(xs, ys, markersize=4, label=label, **style)
            if r.history.diverged and xs:
                ax.plot(xs[-1], min(ys[-1], top) if math.isfinite(ys[-1]) else top * 0.97, "x",
                        color=ALERT_COLOR, markersize=9, mew=2)  # fmt: skip
        if math.isfinite(start):
            ax.axhline(start, color="0.5", linestyle=":", linewidth=1)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # plain numbers, no mathtext
            ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=10)
    if math.isfinite(start):
        axes[0].text(0.02, start, " untrained", va="bottom", ha="left", fontsize=8, color="0.4",
                     transform=axes[0].get_yaxis_transform())  # fmt: skip
    axes[0].set_ylabel("loss on all training examples")
    axes[0].set_ylim(0, top)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle(comparison.title, fontsize=11)
    return fig
