"""Figures for lesson 06: one run's loss four ways, the spread of batch losses, the trap, where to stop."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from ...blit import BlitFigure
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
           "PlateauPicture", "plateau_picture"]

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
    ax.set_ylabel("training loss (cross-entropy)")
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


def _draw_views(ax, run: NoisyRun, smooth: float, views: Sequence[str], floor: float | None, label: bool) -> None:
    h = run.history
    steps = list(range(1, h.steps + 1))

    def lab(text: str) -> str | None:
        return text if label else None

    if "step" in views:
        ax.plot(steps, h.step_loss, color=PALETTE[5], linewidth=0.7, alpha=0.75,
                label=lab("1. loss of each step's batch"))  # fmt: skip
    if "ema" in views and h.step_loss:
        ax.plot(steps, ema(h.step_loss, smooth), color=EMA_COLOR, linewidth=2.2, linestyle="--",
                label=lab(f"2. moving average of the step losses (beta={smooth:g})"))  # fmt: skip
    if "epoch" in views:
        start = 0
        for i, (end, mean) in enumerate(zip(h.epoch_steps, h.epoch_train_loss)):
            ax.plot([start + 0.5, end + 0.5], [mean, mean], color=EPOCH_COLOR, linewidth=2.6, solid_capstyle="butt",
                    marker="|", markersize=9,
                    label=lab("3. mean loss of each epoch (drawn across its steps)") if i == 0 else None)  # fmt: skip
            start = end
    if "full" in views and run.probe_steps:
        ax.plot(run.probe_steps, run.probe_loss, "o-", color=FULL_COLOR, markersize=2.5, linewidth=1.0,
                label=lab(f"4. loss on all {len(run.train_set)} training examples, every "
                          f"{run.settings['eval_every']} steps"))  # fmt: skip
    if floor is not None:
        ax.axhline(floor, color="0.4", linestyle="--", linewidth=1)
        if label:
            ax.annotate(f"floor {floor:.3f}: the best possible model's expected loss on new data", xy=(0.01, floor),
                        xycoords=("axes fraction", "data"), ha="left", va="top", fontsize=8.5, color="0.35",
                        bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1))  # fmt: skip
    for end in h.epoch_steps[:-1]:
        ax.axvline(end + 0.5, color="0.85", linewidth=0.6, zorder=0)
    if h.diverged:
        ax.axvline(h.steps, color=ALERT_COLOR, linestyle="--")
        ax.annotate(f" {h.stop_reason}", xy=(h.steps, 0.95), xycoords=("data", "axes fraction"), color=ALERT_COLOR,
                    ha="right", va="top")  # fmt: skip


def plot_batch_loss_spread(spread: BatchLossSpread, *, xlim: tuple[float, float] | None = None) -> Figure:
    """Histogram of the losses of many batches measured with the same weights.

    The solid line is the loss on the whole training set; the band is the middle 90% of the batches.
    """
    if not isinstance(spread, BatchLossSpread):
        raise TypeError(f"expected the result of batch_loss_spread(...), but got {type(spread).__name__}.")
    fig, ax = subplots(figsize=(8, 3.6), adjust=dict(left=0.09, right=0.97, bottom=0.15, top=0.86))
    lo, hi = spread.quantile(0.05), spread.quantile(0.95)
    ax.axvspan(lo, hi, color=PALETTE[5], alpha=0.15, label=f"middle 90% of batches: {lo:.3f} to {hi:.3f}")
    ax.hist(spread.losses, bins=40, range=xlim, color=TRAIN_COLOR, alpha=0.85)
    ax.axvline(spread.full_loss, color=FULL_COLOR, linewidth=2, label=f"loss on all examples: {spread.full_loss:.4f}")
    ax.axvline(spread.mean, color=VAL_COLOR, linewidth=1.5, linestyle="--",
               label=f"mean of the batch losses: {spread.mean:.4f}")  # fmt: skip
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(f"loss of one batch of {spread.batch_size} examples (cross-entropy)")
    ax.set_ylabel(f"batches (of {len(spread.losses)})")
    ax.set_title(f"{len(spread.losses)} different batches, one set of weights ({spread.label}): "
                 f"std {spread.std:.4f}", fontsize=10)  # fmt: skip
    ax.legend(loc="upper right", fontsize=8.5)
    return fig


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
