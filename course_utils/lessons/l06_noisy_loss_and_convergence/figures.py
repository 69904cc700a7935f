"""Figures for lesson 06: one run's loss four ways, the spread of batch losses, the trap, where to stop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from ...blit import BlitFigure, clip
from ...history import ema
from ...plots import (
    ALERT_COLOR,
    PALETTE,
    TRAIN_COLOR,
    TRAIN_STYLE,
    VAL_COLOR,
    VAL_STYLE,
    bar_style,
    curve_style,
    subplots,
)
from .experiments import BatchLossSpread, EscapeRun, NoisyRun, Plateau

__all__ = ["plot_four_views", "plot_batch_loss_spread", "plot_spread_vs_batch_size", "plot_escape", "plot_plateau",
           "FourViewsPicture", "four_views_picture", "SpreadPicture", "spread_picture", "PlateauPicture",
           "plateau_picture", "FOUR_VIEWS_LIMITS", "SPREAD_LOSS_LIMITS", "SPREAD_COUNT_LIMIT"]

EMA_COLOR, EPOCH_COLOR, FULL_COLOR = PALETTE[0], PALETTE[1], PALETTE[7]


def _check_run(run: object) -> NoisyRun:
    if not isinstance(run, NoisyRun):
        raise TypeError(f"expected the result of noisy_loss_run(...), but got {type(run).__name__}.")
    return run


def plot_four_views(
    run: NoisyRun, *, smooth: float = 0.9, views: Sequence[str] = ("step", "ema", "epoch", "full"),
    floor: float | None = None, zoom_epochs: int | None = 4, title: str | None = None,
) -> Figure:  # fmt: skip
    """One run's training loss drawn four ways on shared axes (steps on the x axis).

    ``"step"``: the loss of every step's batch (thin); ``"ema"``: its exponential moving average
    with factor ``smooth``; ``"epoch"``: each epoch's mean loss, drawn as a flat segment across the
    steps it averages; ``"full"``: the loss on the whole training set, measured every few steps.
    ``floor``: a dashed line for the loss the best possible model expects on new data (batches, and a
    training set the model memorises, can go below it). ``zoom_epochs``: add a
    second panel showing only the first that many epochs (``None``: one panel).
    """
    run = _check_run(run)
    h = run.history
    zoom = zoom_epochs is not None and len(h.epoch_steps) > zoom_epochs
    if zoom:
        fig, (ax, ax_zoom) = subplots(1, 2, figsize=(10, 4.3), gridspec_kw={"width_ratios": [1.7, 1]},
                                      adjust=dict(left=0.07, right=0.98, bottom=0.12, top=0.77, wspace=0.15))
        axes = [ax, ax_zoom]
    else:
        fig, ax = subplots(figsize=(9, 4.3), adjust=dict(left=0.08, right=0.98, bottom=0.12, top=0.77))
        axes = [ax]
    for a in axes:
        _draw_views(a, run, smooth, views, floor, label=a is ax)
    finite = [v for v in h.step_loss if v == v and abs(v) < float("inf")]
    if finite and not h.diverged:
        low = min(min(finite), floor if floor is not None else min(finite))
        top = min(max(finite), 3 * sorted(finite)[len(finite) // 2]) + 0.03
        for a in axes:
            a.set_ylim(max(0.0, low - 0.03), top)
    if h.diverged:  # the last losses are astronomically large: only a log axis shows the whole story
        for a in axes:
            a.set_yscale("log")
    ax.set_ylabel(_VIEWS_YLABEL)
    ax.set_xlabel("step (optimizer updates; grey lines: epoch boundaries)")
    if zoom:
        end = h.epoch_steps[zoom_epochs - 1]
        ax_zoom.set_xlim(0, end + 1)
        ax_zoom.set_xlabel(f"zoom: the first {zoom_epochs} epochs ({end} steps)")
        ax_zoom.tick_params(labelleft=False)
        ax.axvspan(0, end, color="0.5", alpha=0.08, zorder=0)
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.935), ncol=2, fontsize=8.5)
    fig.suptitle(title or run.title, y=0.99, fontsize=11)
    return fig


_STEP_STYLE = dict(color=PALETTE[5], linewidth=0.7, alpha=0.75)
_EMA_STYLE = dict(color=EMA_COLOR, linewidth=2.2, linestyle="--")
_EPOCH_STYLE = dict(color=EPOCH_COLOR, linewidth=2.6, solid_capstyle="butt", marker="|", markersize=9)
_FULL_STYLE = dict(color=FULL_COLOR, marker="o", linestyle="-", markersize=2.5, linewidth=1.0)
_VIEWS_YLABEL = "training loss (cross-entropy)"


def _view_labels(run: NoisyRun, smooth: float) -> dict[str, str]:
    return {"step": "1. loss of each step's batch",
            "ema": f"2. moving average of the step losses (beta={smooth:g})",
            "epoch": "3. mean loss of each epoch (drawn across its steps)",
            "full": f"4. loss on all {len(run.train_set)} training examples, every "
                    f"{run.settings['eval_every']} steps"}  # fmt: skip


def _draw_floor(ax, floor: float, label: bool = True):
    """The floor line and (``label``) its label; returns the label (or None)."""
    ax.axhline(floor, color="0.4", linestyle="--", linewidth=1)
    if label:
        return ax.annotate(f"floor {floor:.3f}: the best possible model's expected loss on new data", xy=(0.01, floor),
                    xycoords=("axes fraction", "data"), ha="left", va="top", fontsize=8.5, color="0.35",
                    bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1))  # fmt: skip


def _draw_views(ax, run: NoisyRun, smooth: float, views: Sequence[str], floor: float | None, label: bool) -> None:
    h = run.history
    steps = list(range(1, h.steps + 1))
    labels = _view_labels(run, smooth)

    def lab(view: str) -> str | None:
        return labels[view] if label else None

    if "step" in views:
        ax.plot(steps, h.step_loss, **_STEP_STYLE, label=lab("step"))
    if "ema" in views and h.step_loss:
        ax.plot(steps, ema(h.step_loss, smooth), **_EMA_STYLE, label=lab("ema"))
    if "epoch" in views:
        start = 0
        for i, (end, mean) in enumerate(zip(h.epoch_steps, h.epoch_train_loss)):
            ax.plot([start + 0.5, end + 0.5], [mean, mean], **_EPOCH_STYLE, label=lab("epoch") if i == 0 else None)
            start = end
    if "full" in views and run.probe_steps:
        ax.plot(run.probe_steps, run.probe_loss, **_FULL_STYLE, label=lab("full"))
    if floor is not None:
        _draw_floor(ax, floor, label)
    for end in h.epoch_steps[:-1]:
        ax.axvline(end + 0.5, color="0.85", linewidth=0.6, zorder=0)
    if h.diverged:
        ax.axvline(h.steps, color=ALERT_COLOR, linestyle="--")
        ax.annotate(f" {h.stop_reason}", xy=(h.steps, 0.95), xycoords=("data", "axes fraction"), color=ALERT_COLOR,
                    ha="right", va="top")  # fmt: skip


FOUR_VIEWS_LIMITS = (0.0, 1.0)
"""The four-views demo's loss axis, fixed for every setting: a run starts at ln 2 = 0.69 and the floor is
0.325; the rare batch losses of batch 8 beyond 1 are drawn at its edge, with a note."""
_VIEWS_SIZE = (9, 4.0)
_VIEWS_MARGINS = dict(left=0.08, right=0.98, bottom=0.13, top=0.76)


def _nan_joined(segments: list[tuple[list[float], list[float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Several short lines as one: their points with NaN between them (one artist to redraw)."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y in segments:
        xs += [*x, float("nan")]
        ys += [*y, float("nan")]
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


class FourViewsPicture(BlitFigure):
    """The four-views demo's picture, as :func:`plot_four_views` draws it, on fixed axes so two runs
    compare by eye: the loss axis is ``FOUR_VIEWS_LIMITS`` for every setting, and the x axis counts
    **epochs** (a run of any batch size makes as many passes over the data, so batch sizes line up),
    0 to the run's epochs: the same for every setting but the epochs slider, which draws the axes once
    anew (fixed at its 30, the default 5 epochs would fill a sixth of the width). Losses beyond the
    loss axis are drawn at its edge, with a note. Only the four lines and the title (with the moving
    average's beta) are redrawn."""

    def __init__(self, *, floor: float | None = None, epochs: int = 5,
                 limits: tuple[float, float] = FOUR_VIEWS_LIMITS) -> None:  # fmt: skip
        self.floor, self.epochs, self.limits = floor, int(epochs), limits
        super().__init__(figsize=_VIEWS_SIZE)

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**_VIEWS_MARGINS)
        self.ax = ax = fig.add_subplot()
        ax.set(xlim=(0, self.epochs), ylim=self.limits)
        ax.grid(axis="x", visible=False)
        ax.xaxis.set_major_locator(MultipleLocator(5 if self.epochs > 10 else 1))
        for boundary in range(1, self.epochs):
            ax.axvline(boundary, color="0.85", linewidth=0.6, zorder=0)
        self.views: dict[str, Any] = {}
        for view, style in (("step", _STEP_STYLE), ("ema", _EMA_STYLE), ("epoch", _EPOCH_STYLE),
                            ("full", _FULL_STYLE)):  # fmt: skip
            self.views[view] = self.animated(ax.plot([], [], **style)[0])
        self.stop_line = self.animated(ax.axvline(1, color=ALERT_COLOR, linestyle="--"))
        ax.set(ylabel=_VIEWS_YLABEL, xlabel="epoch (passes over the training set; grey lines: epoch boundaries)")
        if self.floor is not None:  # the floor's label over the lines, as in the full drawing
            self.animated(_draw_floor(ax, self.floor))
        self.stop_text = self.animated(ax.text(1, 0.95, "", transform=ax.get_xaxis_transform(), color=ALERT_COLOR,
                                               ha="right", va="top"))  # fmt: skip
        low, high = self.limits
        self.clip_text = self.animated(ax.text(0.99, 0.97, f"losses beyond {low:g}-{high:g} drawn at the edge",
                                               transform=ax.transAxes, ha="right", va="top", fontsize=8,
                                               color=ALERT_COLOR))  # fmt: skip
        self.legend = None  # static, made for the first run (again only if its numbers change); beta: the title
        self._labels: list[str] = []
        self.title = self.animated(fig.suptitle(" ", y=0.99, fontsize=11))

    def update(self, result: tuple[NoisyRun, float] | NoisyRun) -> None:
        run, smooth = result if isinstance(result, tuple) else (result, 0.9)
        run = _check_run(run)
        h = run.history
        epochs = int(run.settings.get("epochs", self.epochs))
        if epochs != self.epochs:  # the one setting that changes the axes: build them anew, once
            self.epochs = epochs
            self.rebuild()
        per_epoch = h.epoch_steps[0] if h.epoch_steps else max(1, h.steps)
        low, high = self.limits
        positions = (np.arange(1, h.steps + 1) - 0.5) / per_epoch  # step i: the middle of its update
        step_loss, clipped_steps = clip(h.step_loss, low, high)
        smoothed, clipped_ema = clip(ema(h.step_loss, smooth) if h.step_loss else [], low, high)
        means, clipped_means = clip(h.epoch_train_loss, low, high)
        probe, clipped_probe = clip(run.probe_loss, low, high)
        data = {"step": (positions, step_loss), "ema": (positions, smoothed),
                "epoch": _nan_joined([([e, e + 1], [m, m]) for e, m in enumerate(means)]),
                "full": (np.asarray(run.probe_steps, dtype=float) / per_epoch, probe)}  # fmt: skip
        for view, (x, y) in data.items():
            self.views[view].set_data(x, y)
        self.clip_text.set_visible(clipped_steps or clipped_ema or clipped_means or clipped_probe)
        at = min(h.steps / per_epoch, self.epochs)
        self.stop_line.set_visible(h.diverged)
        self.stop_line.set_xdata([at, at])
        self.stop_text.set_visible(h.diverged)
        self.stop_text.set(x=at, text=f" {h.stop_reason}")
        labels = list(_view_labels(run, smooth).values())
        labels[1] = "2. moving average of the step losses (beta: in the title)"
        if labels != self._labels:
            if self.legend is not None:
                self.legend.remove()
            self._labels = labels
            self.legend = self.fig.legend(list(self.views.values()), labels, loc="upper center",
                                          bbox_to_anchor=(0.5, 0.935), ncol=2, fontsize=8.5)  # fmt: skip
            self.invalidate()
        self.title.set_text(f"{run.title}; moving average beta={smooth:g}")


def four_views_picture(*, floor: float | None = None) -> FourViewsPicture:
    """A new picture for one four-views demo (``Demo(four_views, four_views_picture(floor=...), ...)``)."""
    return FourViewsPicture(floor=floor)


def _check_spread(spread: object) -> BatchLossSpread:
    if not isinstance(spread, BatchLossSpread):
        raise TypeError(f"expected the result of batch_loss_spread(...), but got {type(spread).__name__}.")
    return spread


_SPREAD_SIZE = (8, 3.6)
_SPREAD_MARGINS = dict(left=0.09, right=0.97, bottom=0.15, top=0.86)
_BAND_STYLE = dict(color=PALETTE[5], alpha=0.15)
_HIST_STYLE = dict(color=TRAIN_COLOR, alpha=0.85)
_NOTE_STYLE = dict(x=0.99, y=0.62, ha="right", va="top", fontsize=8.5, color=ALERT_COLOR,
                   bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=2))  # readable over the bars
_FULL_LINE_STYLE = dict(color=FULL_COLOR, linewidth=2)
_MEAN_LINE_STYLE = dict(color=VAL_COLOR, linewidth=1.5, linestyle="--")


def _spread_labels(spread: BatchLossSpread) -> list[str]:
    lo, hi = spread.quantile(0.05), spread.quantile(0.95)
    return [f"middle 90% of batches: {lo:.3f} to {hi:.3f}", f"loss on all examples: {spread.full_loss:.4f}",
            f"mean of the batch losses: {spread.mean:.4f}"]  # fmt: skip


def _spread_title(spread: BatchLossSpread) -> str:
    return f"{len(spread.losses)} different batches, one set of weights ({spread.label}): std {spread.std:.4f}"


def plot_batch_loss_spread(spread: BatchLossSpread, *, xlim: tuple[float, float] | None = None) -> Figure:
    """Histogram of the losses of many batches measured with the same weights.

    The solid line is the loss on the whole training set; the band is the middle 90% of the batches.
    With ``xlim`` the histogram covers that range only, and a note counts the batches outside it.
    The demo draws the same picture, on fixed axes, with :class:`SpreadPicture`.
    """
    spread = _check_spread(spread)
    fig, ax = subplots(figsize=_SPREAD_SIZE, adjust=_SPREAD_MARGINS)
    band, full, mean = _spread_labels(spread)
    ax.axvspan(spread.quantile(0.05), spread.quantile(0.95), **_BAND_STYLE, label=band)
    ax.hist(spread.losses, bins=40, range=xlim, **_HIST_STYLE)
    ax.axvline(spread.full_loss, **_FULL_LINE_STYLE, label=full)
    ax.axvline(spread.mean, **_MEAN_LINE_STYLE, label=mean)
    if xlim is not None:
        ax.set_xlim(*xlim)
        if _beyond(spread, xlim):  # the histogram's range leaves them out: say so, where the demo says it
            ax.text(s=_beyond(spread, xlim), transform=ax.transAxes, **_NOTE_STYLE)
    ax.set_xlabel(f"loss of one batch of {spread.batch_size} examples (cross-entropy)")
    ax.set_ylabel(f"batches (of {len(spread.losses)})")
    ax.set_title(_spread_title(spread), fontsize=10)
    ax.legend(loc="upper right", fontsize=8.5)
    return fig


def _beyond(spread: BatchLossSpread, limits: tuple[float, float]) -> str:
    """The note for batch losses outside ``limits`` (left out of a histogram on them), or ``""`` if none is."""
    low, high = limits
    losses = np.asarray(spread.losses, dtype=float)
    beyond = int((losses > high).sum() + (losses < low).sum())
    return f"{beyond} batches beyond {low:g}-{high:g}, not shown" if beyond else ""


SPREAD_LOSS_LIMITS = (0.0, 1.2)
"""The spread demo's loss axis (its histogram's range), fixed for every setting: a batch loss beyond it
(single examples with flipped labels cost more) is counted in a note at the right edge."""
SPREAD_COUNT_LIMIT = 200
"""The spread demo's count axis ends here for every setting: a taller bar (a big batch, whose losses all
land in a bin or two) is cut at the top, marked with a triangle, and its height is said in a note."""


class SpreadPicture(BlitFigure):
    """The spread demo's picture, as :func:`plot_batch_loss_spread` draws it, on axes fixed for every
    setting of the demo's sliders (losses on ``SPREAD_LOSS_LIMITS`` in 40 bins, counts up to
    ``SPREAD_COUNT_LIMIT``), so two histograms compare by eye. Only the histogram, the band, the two
    lines, the legend's numbers, the notes and the title are redrawn."""

    def __init__(self, *, limits: tuple[float, float] = SPREAD_LOSS_LIMITS, count_limit: int = SPREAD_COUNT_LIMIT,
                 bins: int = 40) -> None:  # fmt: skip
        self.limits, self.count_limit, self.edges = limits, count_limit, np.linspace(*limits, bins + 1)
        super().__init__(figsize=_SPREAD_SIZE)

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**_SPREAD_MARGINS)
        ax = self.ax = fig.add_subplot()
        ax.set(xlim=self.limits, ylim=(0, self.count_limit), ylabel="batches",
               xlabel="loss of one batch (cross-entropy; batch size in the title)")  # fmt: skip
        self.band = self.animated(ax.axvspan(0, 1, **_BAND_STYLE))
        self.hist = self.animated(ax.stairs(np.zeros(len(self.edges) - 1), self.edges, fill=True, **_HIST_STYLE))
        self.full_line = self.animated(ax.axvline(0, **_FULL_LINE_STYLE))
        self.mean_line = self.animated(ax.axvline(0, **_MEAN_LINE_STYLE))
        self.cut_marks = self.animated(ax.plot([], [], "^", color=ALERT_COLOR, markersize=7, clip_on=False,
                                               linestyle="none")[0])  # fmt: skip
        self.notes = self.animated(ax.text(s="", transform=ax.transAxes, **_NOTE_STYLE))
        self.legend = self.animated(ax.legend([self.band, self.full_line, self.mean_line], ["1", "2", "3"],
                                              loc="upper right", fontsize=8.5))  # fmt: skip
        self.title = self.animated(ax.set_title(" ", fontsize=10))

    def update(self, spread: BatchLossSpread) -> None:
        spread = _check_spread(spread)
        low, high = self.limits
        counts, _ = np.histogram(spread.losses, bins=self.edges)
        shown, cut = clip(counts, 0, self.count_limit)
        self.hist.set_data(shown)
        centres = (self.edges[:-1] + self.edges[1:]) / 2
        tall = counts > self.count_limit
        self.cut_marks.set_data(centres[tall], np.full(int(tall.sum()), float(self.count_limit)))
        band, _ = clip([spread.quantile(0.05), spread.quantile(0.95)], low, high)
        self.band.set_x(band[0])
        self.band.set_width(band[1] - band[0])
        (full, mean), _ = clip([spread.full_loss, spread.mean], low, high)
        self.full_line.set_xdata([full, full])
        self.mean_line.set_xdata([mean, mean])
        notes = []
        if cut:
            notes.append(f"▲ bars cut at {self.count_limit} (tallest: {int(counts.max())} batches)")
        if _beyond(spread, self.limits):
            notes.append(_beyond(spread, self.limits))
        self.notes.set_visible(bool(notes))
        self.notes.set_text("\n".join(notes))
        for text, label in zip(self.legend.get_texts(), _spread_labels(spread)):
            text.set_text(label)
        self.title.set_text(_spread_title(spread).replace(" batches,", f" batches of {spread.batch_size},", 1))


def spread_picture() -> SpreadPicture:
    """A new picture for one spread demo (``Demo(spread_at_epoch, spread_picture(), ...)``)."""
    return SpreadPicture()


def plot_spread_vs_batch_size(spreads: Sequence[BatchLossSpread]) -> Figure:
    """The measured spread of batch losses against batch size, with the sampling-theory prediction."""
    spreads = list(spreads)
    if not spreads or not all(isinstance(s, BatchLossSpread) for s in spreads):
        raise TypeError("expected a list of BatchLossSpread results (from spread_table(...)).")
    fig, ax = subplots(figsize=(6, 3.6), adjust=dict(left=0.14, right=0.96, bottom=0.15, top=0.88))
    bs = [s.batch_size for s in spreads]
    ax.plot(bs, [s.std for s in spreads], "o", color=TRAIN_COLOR, markersize=8, label="measured (1000 batches)")
    ax.plot(bs, [s.predicted_std for s in spreads], "-", color=VAL_COLOR, label="sampling theory (≈ s / √B)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(bs, [str(b) for b in bs])
    ticks = [t for t in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
             if min(s.std for s in spreads) / 1.5 <= t <= max(s.std for s in spreads) * 1.5]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("batch size B (log scale)")
    ax.set_ylabel("std of the batch loss (log scale)")
    ax.set_title(f"spread of the batch loss, {spreads[0].label}", fontsize=10)
    ax.legend(loc="upper right")
    return fig


def plot_escape(results: Sequence[EscapeRun], *, paths: int = 8) -> Figure:
    """Left: the trap problem's loss against its one weight, the two valleys shaded, where the runs of the
    first and the last result ended. Middle: the weight of the first ``paths`` runs of those two results,
    epoch by epoch. Right: for every result, how many runs ended in which valley."""
    results = list(results)
    if not results or not all(isinstance(r, EscapeRun) for r in results):
        raise TypeError("expected a list of escape_experiment(...) results.")
    problem = results[0].problem
    fig, axes = subplots(1, 3, figsize=(12, 3.9), gridspec_kw={"width_ratios": [1.2, 1.2, 1.1]},
                         adjust=dict(left=0.06, right=0.98, bottom=0.27, top=0.84, wspace=0.32))  # fmt: skip
    ax = axes[0]
    keep = (problem.grid >= 0) & (problem.grid <= 8)
    ax.plot(problem.grid[keep], problem.loss[keep], color="0.3", linewidth=1.5)
    ax.axvspan(*problem.best_valley, color=PALETTE[2], alpha=0.12)
    ax.axvspan(*problem.trap_valley, color=PALETTE[1], alpha=0.15)
    ax.text(problem.best, 1.55, "best valley", color=PALETTE[2], ha="center", fontsize=9)
    ax.text(problem.trap, 1.55, "the trap", color=PALETTE[1], ha="center", fontsize=9)
    shown = [results[0], results[-1]] if len(results) > 1 else [results[0]]
    for r, color, marker in zip(shown, (PALETTE[7], PALETTE[0]), ("|", "o")):
        ends = r.end[(r.end >= 0) & (r.end <= 8)]
        ax.plot(ends, problem.full_loss(ends), marker, color=color, alpha=0.6, markersize=7, linestyle="none",
                label=f"where {r.label.split(',')[0]} ended")  # fmt: skip
    ax.set_xlim(0, 8)
    ax.set_ylim(0, 1.7)
    ax.set_xlabel("w (the model's only weight)")
    ax.set_ylabel("loss on all points (MSE)")
    ax.set_title("the loss has a trap", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[1]
    for r, color, dash in zip(shown, (PALETTE[7], PALETTE[0]), ("-", "--")):
        epochs = range(r.path.shape[0])
        for k in range(min(paths, r.runs)):
            ax.plot(epochs, r.path[:, k], color=color, linestyle=dash, linewidth=1, alpha=0.7,
                    label=r.label.split(",")[0] if k == 0 else None)  # fmt: skip
    ax.axhspan(*problem.best_valley, color=PALETTE[2], alpha=0.12)
    ax.axhspan(*problem.trap_valley, color=PALETTE[1], alpha=0.15)
    ax.set_ylim(0, 8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("w")
    ax.set_title(f"w during training ({min(paths, shown[0].runs)} of the runs each)", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[2]
    one_lr = len({r.lr for r in results}) == 1
    names = [f"{'full' if r.batch_size == len(problem.x) else f'batch {r.batch_size}'}\n{r.steps:,}\nsteps"
             + ("" if one_lr else f"\nlr {r.lr:g}") for r in results]  # fmt: skip
    bottom = [0] * len(results)
    for i, (region, color, label) in enumerate((("best", PALETTE[2], "best valley"),
                                                ("trap", PALETTE[1], "still in the trap"),
                                                ("elsewhere", "0.6", "elsewhere"))):  # fmt: skip
        counts = [r.count(region) for r in results]
        ax.bar(range(len(results)), counts, bottom=bottom, label=label, width=0.7, **bar_style(i, color))
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_xticks(range(len(results)), names, fontsize=7.5)
    ax.set_ylabel(f"runs (of {results[0].runs})")
    ax.set_title("where the runs ended" + (f" (lr {results[0].lr:g})" if one_lr else ""), fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.33), ncol=3, fontsize=7.5, frameon=False)
    ax.grid(axis="x", visible=False)
    fig.suptitle(f"can mini-batch noise get training out of a trap? (prediction sin(w x), {len(problem.x)} points, "
                 "plain SGD, every run starts in the trap)", fontsize=10.5)  # fmt: skip
    return fig


def plot_plateau(result: tuple[Plateau, Sequence[float]] | Plateau, *, floor: float | None = None,
                 train_label: str = "training loss") -> Figure:
    """The validation curve with the patience rule applied: best epoch, stop epoch, epochs not run.

    ``result`` is a :class:`Plateau` or a pair ``(plateau, training losses per epoch)``.
    """
    plateau, train_loss = result if isinstance(result, tuple) else (result, [])
    if not isinstance(plateau, Plateau):
        raise TypeError(f"expected the result of detect_plateau(...), but got {type(plateau).__name__}.")
    fig, ax = subplots(figsize=(9, 3.8), adjust=dict(left=0.08, right=0.98, bottom=0.14, top=0.88))
    epochs = list(range(1, len(plateau.val_loss) + 1))
    if train_loss:
        ax.plot(range(1, len(train_loss) + 1), train_loss, **curve_style(TRAIN_STYLE, markers=False), alpha=0.6,
                label=train_label)  # fmt: skip
    ax.plot(epochs, plateau.val_loss, **curve_style(VAL_STYLE, markers=False), linewidth=1.5, label="validation loss")
    better = [e for e, ok in zip(epochs, plateau.improved) if ok]
    ax.plot(better, [plateau.val_loss[e - 1] for e in better], "o", color=VAL_STYLE["color"], markersize=5,
            label=f"new best by more than min_delta={plateau.min_delta:g}")  # fmt: skip
    if plateau.best_epoch is not None:
        ax.plot(plateau.best_epoch, plateau.best_loss, "*", color=PALETTE[2], markersize=17,
                label=f"best: epoch {plateau.best_epoch}, {plateau.best_loss:.4f}")  # fmt: skip
    if plateau.stop_epoch is not None:
        ax.axvline(plateau.stop_epoch, color=ALERT_COLOR, linewidth=1.8)
        ax.axvspan(plateau.stop_epoch, len(epochs) + 0.5, color="0.5", alpha=0.12)
        ax.annotate(f" stop after epoch {plateau.stop_epoch}\n ({plateau.patience} epochs without a new best)",
                    xy=(plateau.stop_epoch, 0.97), xycoords=("data", "axes fraction"), va="top", color=ALERT_COLOR,
                    fontsize=9)  # fmt: skip
    else:
        ax.annotate(f"patience={plateau.patience}: never runs out in {len(epochs)} epochs", xy=(0.5, 0.97),
                    xycoords="axes fraction", ha="center", va="top", color="0.3", fontsize=9)  # fmt: skip
    if floor is not None:
        ax.axhline(floor, color="0.4", linestyle="--", linewidth=1)
        ax.annotate(f"floor {floor:.3f} (the best possible model, on new data)", xy=(1, floor),
                    xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8.5,
                    color="0.35")  # fmt: skip
    ax.set_xlim(0.5, len(epochs) + 0.5)
    finite = [v for v in [*plateau.val_loss, *train_loss, *([floor] if floor is not None else [])] if v == v]
    if finite and max(finite) < float("inf"):
        span = max(finite) - min(finite)
        ax.set_ylim(min(finite) - 0.35 * span, max(finite) + 0.08 * span)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (cross-entropy)")
    ax.set_title(f"early stopping rule: patience={plateau.patience}, min_delta={plateau.min_delta:g}")
    ax.legend(loc="lower left", fontsize=8.5, ncol=2)
    return fig


class PlateauPicture(BlitFigure):
    """The patience demo's picture, as :func:`plot_plateau` draws it: the curves every setting shares
    are drawn once (its axes are fixed by them), and only the rule's marks -- new bests, the best
    epoch, where it stops -- are redrawn when ``patience`` or ``min_delta`` changes."""

    def __init__(self, *, floor: float | None = None, train_label: str = "training loss") -> None:
        self.floor, self.train_label = floor, train_label
        self._curves: tuple | None = None
        super().__init__(figsize=(9, 3.8))

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.88)
        ax = self.ax = fig.add_subplot()
        ax.set(xlabel="epoch", ylabel="loss (cross-entropy)")
        self.train_line = ax.plot([], [], **curve_style(TRAIN_STYLE, markers=False), alpha=0.6)[0]
        self.val_line = ax.plot([], [], **curve_style(VAL_STYLE, markers=False), linewidth=1.5)[0]
        if self.floor is not None:
            ax.axhline(self.floor, color="0.4", linestyle="--", linewidth=1)
            ax.annotate(f"floor {self.floor:.3f} (the best possible model, on new data)", xy=(1, self.floor),
                        xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8.5,
                        color="0.35")  # fmt: skip
        self.span = self.animated(ax.axvspan(0, 1, color="0.5", alpha=0.12))
        self.stop_line = self.animated(ax.axvline(1, color=ALERT_COLOR, linewidth=1.8))
        self.better = self.animated(ax.plot([], [], "o", color=VAL_COLOR, markersize=5)[0])
        self.star = self.animated(ax.plot([], [], "*", color=PALETTE[2], markersize=17)[0])
        self.star_text = self.animated(ax.text(0, 0, "", color=PALETTE[2], fontsize=8.5, va="top"))
        self.note = self.animated(ax.text(0.5, 0.97, "", transform=ax.transAxes, va="top", fontsize=9))
        self.title = self.animated(ax.set_title(" "))
        self.legend_handles = [self.val_line, self.better, self.star]

    def _curves_for(self, val_loss: list[float], train_loss: list[float]) -> None:
        """The shared curves and the axes they fix (again only if they differ from the last ones)."""
        if self._curves == (tuple(val_loss), tuple(train_loss)):
            return
        self._curves = (tuple(val_loss), tuple(train_loss))
        ax, epochs = self.ax, range(1, len(val_loss) + 1)
        self.train_line.set_data(range(1, len(train_loss) + 1), train_loss)
        self.val_line.set_data(epochs, val_loss)
        ax.set_xlim(0.5, len(val_loss) + 0.5)
        finite = [v for v in [*val_loss, *train_loss, *([self.floor] if self.floor is not None else [])] if v == v]
        if finite and max(finite) < float("inf"):
            span = max(finite) - min(finite)
            ax.set_ylim(min(finite) - 0.35 * span, max(finite) + 0.08 * span)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        handles = ([self.train_line] if train_loss else []) + self.legend_handles
        labels = ([self.train_label] if train_loss else []) + ["validation loss", "new best by more than min_delta",
                                                               "best epoch (the checkpoint kept)"]  # fmt: skip
        ax.legend(handles, labels, loc="lower left", fontsize=8.5, ncol=2)
        self.invalidate()

    def update(self, result: tuple[Plateau, Sequence[float]] | Plateau) -> None:
        plateau, train_loss = result if isinstance(result, tuple) else (result, [])
        if not isinstance(plateau, Plateau):
            raise TypeError(f"expected the result of detect_plateau(...), but got {type(plateau).__name__}.")
        self._curves_for(list(plateau.val_loss), list(train_loss))
        n = len(plateau.val_loss)
        better = [e for e, ok in zip(range(1, n + 1), plateau.improved) if ok]
        self.better.set_data(better, [plateau.val_loss[e - 1] for e in better])
        self.star.set_visible(plateau.best_epoch is not None)
        self.star_text.set_visible(plateau.best_epoch is not None)
        if plateau.best_epoch is not None:
            self.star.set_data([plateau.best_epoch], [plateau.best_loss])
            self.star_text.set_position((plateau.best_epoch, plateau.best_loss))
            right = plateau.best_epoch > 0.7 * n  # near the right edge: the label goes to the star's left
            self.star_text.set_ha("right" if right else "left")
            self.star_text.set_va("bottom" if right else "top")
            self.star_text.set_text(f"epoch {plateau.best_epoch}, {plateau.best_loss:.4f}  " if right
                                    else f"  epoch {plateau.best_epoch}, {plateau.best_loss:.4f}")  # fmt: skip
        stopped = plateau.stop_epoch is not None
        for artist in (self.span, self.stop_line):
            artist.set_visible(stopped)
        if stopped:
            self.stop_line.set_xdata([plateau.stop_epoch] * 2)
            self.span.set_x(plateau.stop_epoch)
            self.span.set_width(n + 0.5 - plateau.stop_epoch)
            self.note.set(x=self.ax.transAxes.inverted().transform(self.ax.transData.transform(
                (plateau.stop_epoch, 0)))[0], ha="left", color=ALERT_COLOR,
                text=f" stop after epoch {plateau.stop_epoch}\n ({plateau.patience} epochs without a new best)")
        else:
            self.note.set(x=0.5, ha="center", color="0.3",
                          text=f"patience={plateau.patience}: never runs out in {n} epochs")
        self.title.set_text(f"early stopping rule: patience={plateau.patience}, min_delta={plateau.min_delta:g}")


def plateau_picture(*, floor: float | None = None, train_label: str = "training loss") -> PlateauPicture:
    """A new picture for one patience demo (``Demo(plateau_on_run, plateau_picture(floor=...), ...)``)."""
    return PlateauPicture(floor=floor, train_label=train_label)
