"""Figures for lesson 04: one epoch cut into batches, and full batch vs mini-batch vs one at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator, StrMethodFormatter

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...data import EpochPlan
from ...plots import ALERT_COLOR, PALETTE, run_style, subplots
from .experiments import BatchComparison, BatchRun

__all__ = ["describe_plan", "draw_epoch_bar", "draw_step_timeline", "plot_epoch_plan", "EpochPlanPicture",
           "epoch_plan_picture", "plot_worked_examples",
           "describe_comparison", "plot_batch_comparison", "COMPARISON_LIMITS", "BatchComparisonPicture",
           "batch_comparison_picture"]  # fmt: skip

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


def _split(p: EpochPlan) -> str:
    """How one epoch is cut: "10 batches of 100", "31 batches of 32, the last 8 samples dropped", ..."""
    full, rest = divmod(p.n_samples, p.batch_size)
    if rest == 0:
        return f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,}"
    if p.drop_last:
        return f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,}, the last {rest:,} samples dropped"
    return f"{full:,} batch{'es' if full != 1 else ''} of {p.batch_size:,} + 1 of {rest:,} = {full + 1:,} batches"


def _headline(p: EpochPlan) -> str:
    return f"{p.n_samples:,} samples, batch size {p.batch_size}: {_split(p)} per epoch"


def _strip_axes(ax: Axes, xlabel: str) -> None:
    """What every bar of blocks shares (the epoch bar, the timeline): no y axis, no grid, its x label."""
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel)


_BAR_XLABEL = "samples, in the order the loader hands them out"
_TIMELINE_XLABEL = "step (one batch processed = one weight update)"


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
    _strip_axes(ax, _BAR_XLABEL)
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
    _strip_axes(ax, _TIMELINE_XLABEL)
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


def _rectangles(spans: Sequence[tuple[float, float]], y: float, h: float) -> list[np.ndarray]:
    """``broken_barh``'s rectangles, as the vertices a PolyCollection takes."""
    return [np.array([(x, y), (x, y + h), (x + w, y + h), (x + w, y)]) for x, w in spans]


_NUMBERED = 22  # blocks are numbered when each is at least 4.5% of the epoch: at most 22 of them


class EpochPlanPicture(BlitFigure):
    """The calculator's picture, as :func:`plot_epoch_plan` draws it, with axes fixed for every setting
    of its sliders: the epoch bar against the share of the epoch (0 to 100%), the timeline against
    epochs 0 to ``max_epochs``. Only the blocks (one collection per colour), their numbers, the notes
    on the last batch and two short titles (the split, the step count) are redrawn."""

    def __init__(self, max_epochs: int = 20) -> None:
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        super().__init__(figsize=(9, 3.6))

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(left=0.03, right=0.97, bottom=0.15, top=0.86, hspace=1.05)
        self.top, self.bottom = top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1.5, 1]})
        top.set(xlim=(0, 100), ylim=(-0.05, 2.05))
        top.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}%"))
        _strip_axes(top, "share of the epoch: samples, in the order the loader hands them out")
        top.set_title("one epoch", loc="right", fontsize=10)
        self.split = self.animated(top.set_title(" ", loc="left", fontsize=10))
        polys = lambda **style: self.animated(top.add_collection(PolyCollection([], **style)))  # noqa: E731
        self.even, self.odd = polys(facecolors=FULL, linewidth=1), polys(facecolors=FULL_ALT, linewidth=1)
        self.last = polys(facecolors=LAST, edgecolors="white", linewidth=1)
        self.dropped = polys(facecolors=DROPPED, edgecolors="0.45", hatch="///", linewidth=0.8)
        self.numbers = [self.animated(top.text(0, 0.5, "", ha="center", va="center", color="white",
                                               fontweight="bold")) for _ in range(_NUMBERED)]  # fmt: skip
        self.first = self.animated(top.text(0, 1.08, "batch 1", ha="left", va="bottom", fontsize=8, color="0.25"))
        self.band = self.animated(top.text(0, 0.5, "", ha="center", va="center", color="white", fontsize=9))
        note = dict(xytext=(99.5, 1.45), ha="right", va="bottom", fontsize=8.5)
        self.drop_note = self.animated(top.annotate("", xy=(0, 1), color="0.3", **note,
                                                    arrowprops=dict(arrowstyle="-", color="0.3", lw=0.8)))
        self.last_note = self.animated(top.annotate("", xy=(0, 1), color="#9a6a00", **note,
                                                    arrowprops=dict(arrowstyle="-", color="#9a6a00", lw=0.8)))

        bottom.set(xlim=(0, self.max_epochs), ylim=(0, 1))
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=self.max_epochs))
        _strip_axes(bottom, "epochs (one step = one batch processed = one weight update)")
        bottom.set_title("every step is a weight update", loc="right", fontsize=10)
        self.steps = self.animated(bottom.set_title(" ", loc="left", fontsize=10))
        self.epochs_even = self.animated(bottom.add_collection(PolyCollection([], facecolors=PALETTE[2],
                                                                              edgecolors="white", linewidth=1)))
        self.epochs_odd = self.animated(bottom.add_collection(PolyCollection([], facecolors="#7fcfb8",
                                                                             edgecolors="white", linewidth=1)))
        self.no_epochs = self.animated(bottom.text(0.5, 0.5, "0 epochs: no batches, no steps, no updates",
                                                   ha="center", va="center", transform=bottom.transAxes))

    def update(self, plan: EpochPlan) -> None:
        p = _check_plan(plan)
        if p.epochs > self.max_epochs:
            raise ValueError(f"the plan has {p.epochs} epochs, more than this picture's max_epochs={self.max_epochs}.")
        n, b = p.n_samples, p.batch_size
        full, rest = divmod(n, b)
        w = 100 * b / n  # one full batch, in percent of the epoch
        for number in self.numbers:
            number.set_visible(False)
        self.first.set_visible(False)
        self.band.set_visible(full > _MAX_BLOCKS)
        if full <= _MAX_BLOCKS:
            self.even.set_verts(_rectangles([(i * w, w) for i in range(0, full, 2)], 0, 1))
            self.odd.set_verts(_rectangles([(i * w, w) for i in range(1, full, 2)], 0, 1))
            for blocks in (self.even, self.odd):
                blocks.set_edgecolor("white" if full <= 64 else "none")
            if full and b / n >= 0.045:  # room for a number in every block
                for i, number in enumerate(self.numbers[:full]):
                    number.set_visible(True)
                    number.set_position(((i + 0.5) * w, 0.5))
                    number.set_text(str(i + 1))
                    number.set_fontsize(9 if b / n >= 0.07 else 7)
            elif full:
                self.first.set_visible(True)
                self.first.set_x(w / 2)
        else:
            self.even.set_verts(_rectangles([(0, full * w)], 0, 1))
            self.even.set_edgecolor("none")
            self.odd.set_verts([])
            self.band.set_position((full * w / 2, 0.5))
            self.band.set_text(f"{full:,} batches of {b} (too thin to draw one by one)")
        start, width = full * w, 100 * rest / n
        self.last.set_verts(_rectangles([(start, width)], 0, 1) if rest and not p.drop_last else [])
        self.dropped.set_verts(_rectangles([(start, width)], 0, 1) if rest and p.drop_last else [])
        self.drop_note.set_visible(bool(rest) and p.drop_last)
        self.last_note.set_visible(bool(rest) and not p.drop_last)
        if rest:
            note = self.drop_note if p.drop_last else self.last_note
            note.xy = (start + width / 2, 1)
            note.set_text(f"{rest} dropped (drop_last): not seen this epoch" if p.drop_last else
                          f"last batch: {rest} sample{'s' if rest != 1 else ''} (step {full + 1})")  # fmt: skip
        self.split.set_text(_split(p))

        per, epochs = p.batches_per_epoch, p.epochs
        self.epochs_even.set_verts(_rectangles([(e, 1) for e in range(0, epochs, 2)], 0, 1))
        self.epochs_odd.set_verts(_rectangles([(e, 1) for e in range(1, epochs, 2)], 0, 1))
        self.no_epochs.set_visible(p.total_steps == 0)
        self.steps.set_text(f"{epochs} epoch{'s' if epochs != 1 else ''} x {per:,} batches = {p.total_steps:,} steps")


def epoch_plan_picture(max_epochs: int = 20) -> EpochPlanPicture:
    """A new picture for one calculator demo (``Demo(epoch_plan, epoch_plan_picture(), ...)``)."""
    return EpochPlanPicture(max_epochs)


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


_PANELS = [
    ("epochs", "epochs (passes over the data)", "against epochs", False),
    ("steps", "weight updates (log scale)", "against updates", True),
    ("seconds", "training seconds (log scale)", "against wall-clock time", True),
]


def _comparison_axes(axes: Sequence[Axes]) -> None:
    """What every picture of the comparison shares: the three panels' scales, labels and titles."""
    for ax, (_, xlabel, title, log) in zip(axes, _PANELS):
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # plain numbers, no mathtext
            ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("loss on all training examples")


def _run_line_style(i: int, run: BatchRun, points: int) -> dict:
    return run_style(i, markers=points <= 12, linewidth=2 if run.kind != "one at a time" else 1.4)


def plot_batch_comparison(comparison: BatchComparison) -> Figure:
    """Whole-training-set loss of the three runs against epochs, updates and training seconds."""
    if not isinstance(comparison, BatchComparison):
        raise TypeError(f"expected the result of compare_batch_sizes(...), but got {type(comparison).__name__}.")
    fig, axes = subplots(1, 3, figsize=(12, 3.9), sharey=True,
                         adjust=dict(left=0.06, right=0.99, bottom=0.27, top=0.83, wspace=0.08))
    start = comparison.runs[0].loss[0] if comparison.runs[0].loss else math.nan
    finite = [v for r in comparison.runs for v in r.loss if math.isfinite(v)]
    top = min(max(finite, default=1.0), 3 * start if math.isfinite(start) else 10.0) * 1.05
    for ax, (attr, _, _, log) in zip(axes, _PANELS):
        for i, r in enumerate(comparison.runs):
            xs, ys = getattr(r, attr), r.loss
            if log:  # the untrained point sits at 0 updates / 0 seconds, which a log axis cannot show
                xs, ys = xs[1:], ys[1:]
            style = _run_line_style(i, r, len(xs))
            label = f"{r.label}: {r.updates:,} update{'s' if r.updates != 1 else ''}"
            if r.history.diverged:
                label += f" -- {r.history.stop_reason}"
            ax.plot(xs, ys, markersize=4, label=label, **style)
            if r.history.diverged and xs:
                ax.plot(xs[-1], min(ys[-1], top) if math.isfinite(ys[-1]) else top * 0.97, "x",
                        color=ALERT_COLOR, markersize=9, mew=2)  # fmt: skip
        if math.isfinite(start):
            ax.axhline(start, color="0.5", linestyle=":", linewidth=1)
    _comparison_axes(axes)
    if math.isfinite(start):
        axes[0].text(0.02, start, " untrained", va="bottom", ha="left", fontsize=8, color="0.4",
                     transform=axes[0].get_yaxis_transform())  # fmt: skip
    axes[0].set_ylim(0, top)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle(comparison.title, fontsize=11)
    return fig


COMPARISON_LIMITS = {"loss": (0.0, 2.5), "updates": (0.8, 3000.0), "seconds": (1e-3, 100.0)}
"""The comparison demo's fixed axes: the loss (shared), updates and seconds on log scales. The epochs
axis runs from 0 to the demo's ``max_epochs``. Together they hold every setting of its sliders (batch
sizes 1 to 256 of 256 examples, up to 10 epochs, lr 0.1): a loss above the top is drawn on the edge,
a run that diverges ends in a cross."""


class BatchComparisonPicture(BlitFigure):
    """The comparison demo's picture, as :func:`plot_batch_comparison` draws it, with axes fixed for
    every setting of its sliders (``COMPARISON_LIMITS``, epochs 0 to ``max_epochs``) and only the
    curves, the crosses of diverged runs and two short texts redrawn. The legend is static (the
    updates of each run are in the demo's readout); the parts that depend on the fixed settings (the
    untrained loss, the title's data and learning rate) are drawn once, again only if they change."""

    def __init__(self, max_epochs: int = 10) -> None:
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        self._settings: tuple | None = None
        super().__init__(figsize=(12, 3.9))

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.27, top=0.83, wspace=0.08)
        self.axes = axes = fig.subplots(1, 3, sharey=True)
        _comparison_axes(axes)
        axes[0].set_xlim(-0.03 * self.max_epochs, 1.03 * self.max_epochs)
        axes[1].set_xlim(*COMPARISON_LIMITS["updates"])
        axes[2].set_xlim(*COMPARISON_LIMITS["seconds"])
        axes[0].set_ylim(*COMPARISON_LIMITS["loss"])
        # as the runs are drawn at the demo's start (full batch: dots; the other two: too many points for dots)
        styles = [run_style(i, markers=i == 0, linewidth=1.4 if i == 2 else 2) for i in range(3)]
        self.lines = [[self.animated(ax.plot([], [], markersize=4, **style)[0]) for style in styles]
                      for ax in axes]  # fmt: skip
        self.crosses = [self.animated(ax.plot([], [], "x", color=ALERT_COLOR, markersize=9, mew=2,
                                              linestyle="none")[0]) for ax in axes]  # fmt: skip
        self.untrained = [ax.axhline(math.nan, color="0.5", linestyle=":", linewidth=1) for ax in axes]
        self.untrained_text = axes[0].text(0.02, math.nan, " untrained", va="bottom", ha="left", fontsize=8,
                                           color="0.4", transform=axes[0].get_yaxis_transform())  # fmt: skip
        self.legend = fig.legend(self.lines[0], ["full batch", "mini-batch (batch_size)", "one at a time (1)"],
                                 loc="lower center", ncol=3, fontsize=9)  # fmt: skip
        self.title = fig.suptitle(" ", fontsize=11, x=0.58, ha="right")  # with its changing end: centred
        self.title_end = self.animated(fig.text(0.58, self.title.get_position()[1], " ", fontsize=11, ha="left",
                                                va=self.title.get_va()))  # fmt: skip
        self.stop_text = self.animated(fig.text(0.5, 0.905, "", ha="center", color=ALERT_COLOR, fontsize=9))

    def _show_settings(self, c: BatchComparison) -> None:
        """The parts that only the fixed settings change (data, learning rate): static, drawn once."""
        start = c.runs[0].loss[0] if c.runs[0].loss else math.nan
        s = c.settings
        settings = (start, s["n_samples"], s["lr"])
        if settings == self._settings:
            return
        self._settings = settings
        for line in self.untrained:
            line.set_ydata([start] * 2)
        self.untrained_text.set_y(start)
        self.title.set_text(f"MLP (16) on 4 blobs ({s['n_samples']} examples), plain SGD lr={s['lr']:g}, ")
        self.legend.get_texts()[0].set_text(f"full batch ({s['n_samples']})")
        self.invalidate()

    def update(self, c: BatchComparison) -> None:
        if not isinstance(c, BatchComparison):
            raise TypeError(f"expected the result of compare_batch_sizes(...), but got {type(c).__name__}.")
        if c.settings["epochs"] > self.max_epochs:
            raise ValueError(f"the runs have {c.settings['epochs']} epochs, more than this picture's "
                             f"max_epochs={self.max_epochs}.")  # fmt: skip
        self._show_settings(c)
        low, high = COMPARISON_LIMITS["loss"]
        for k, (attr, _, _, log) in enumerate(_PANELS):
            ends = []
            for i, r in enumerate(c.runs):
                xs, ys = np.asarray(getattr(r, attr), dtype=float), np.asarray(r.loss, dtype=float)
                if log:  # the untrained point sits at 0 updates / 0 seconds, which a log axis cannot show
                    xs, ys = xs[1:], ys[1:]
                    xs = clip(xs, *COMPARISON_LIMITS["updates" if attr == "steps" else "seconds"])[0]
                ys = clip(ys, low, high)[0] if len(ys) else ys
                style = _run_line_style(i, r, len(xs))
                line = self.lines[k][i]
                line.set_data(xs, ys)
                line.set_marker(style["marker"])
                line.set_linewidth(style["linewidth"])
                if r.history.diverged and len(xs):
                    ends.append((xs[-1], min(ys[-1], high * 0.97)))
            points = np.array(ends).reshape(-1, 2)
            self.crosses[k].set_data(points[:, 0], points[:, 1])
        stopped = [f"{r.label}: {r.history.stop_reason}" for r in c.runs if r.history.diverged]
        self.stop_text.set_visible(bool(stopped))
        self.stop_text.set_text("; ".join(stopped))
        self.title_end.set_text(f"{c.settings['epochs']} epochs each, mini-batch {c.settings['batch_size']}")


def batch_comparison_picture(max_epochs: int = 10) -> BatchComparisonPicture:
    """A new picture for one comparison demo (``Demo(compare_batch_sizes, batch_comparison_picture(), ...)``)."""
    return BatchComparisonPicture(max_epochs)
