"""Figures for lesson 05, batch size. Each function takes a result of
:mod:`course_utils.experiments.batch_size` and returns a matplotlib Figure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...plots import ALERT_COLOR, PALETTE, bar_style, run_style, subplots
from .experiments import (
    N_TRAIN,
    BatchDemo,
    GradientNoise,
    MemorySweep,
    NoiseScaleTrace,
    StepsToTarget,
    Sweep,
    Throughput,
)

__all__ = [
    "plot_throughput",
    "plot_step_memory",
    "plot_sweeps",
    "plot_generalization",
    "plot_gradient_noise",
    "plot_noise_scale",
    "plot_batch_demo",
    "BatchDemoPicture",
    "batch_demo_picture",
    "DEMO_LOSS_LIMITS",
]

_GREY = "0.45"


def _type(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__} (from experiments.batch_size), "
                        f"but got {type(value).__name__}.")  # fmt: skip


def _batch_axis(ax: Axes, sizes: Sequence[int]) -> None:
    """A log2 x axis labelled with the batch sizes themselves."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("batch size (examples per step)")


# ----------------------------------------------------------------------------- cost


def plot_throughput(result: Throughput) -> Figure:
    """Left: training examples per second. Right: time for one epoch. Both against the batch size, log-log."""
    _type(result, Throughput, "result")
    fixed, per_example = result.affine_fit()
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.8),
                                  adjust=dict(left=0.08, right=0.98, bottom=0.15, top=0.8, wspace=0.28))
    sizes = result.batch_sizes
    left.plot(sizes, result.samples_per_second, "o-", color=PALETTE[0], label="measured")
    if fixed > 0 and per_example > 0:
        grid = [2 ** (k / 8) for k in range(0, int(8 * math.log2(max(sizes))) + 1) if 2 ** (k / 8) >= min(sizes)]
        left.plot(grid, [b / (fixed + per_example * b) for b in grid], "--", color=_GREY, linewidth=1,
                  label=f"step = {fixed * 1e6:.0f} µs + {per_example * 1e6:.2f} µs x batch")  # fmt: skip
    left.set_yscale("log")
    left.set_ylabel("training examples per second")
    left.set_title("throughput: bigger batches share the cost of a step")
    left.legend(loc="lower right", fontsize=8.5)
    _batch_axis(left, sizes)

    right.plot(sizes, [s * 1000 for s in result.epoch_seconds], "s-", color=PALETTE[1])
    for b, s, n in zip(sizes, result.epoch_seconds, result.steps_per_epoch):
        if b in (sizes[0], sizes[len(sizes) // 2], sizes[-1]):
            right.annotate(f"{n} step{'s' if n > 1 else ''}", (b, s * 1000), textcoords="offset points",
                           xytext=(6 if b != sizes[-1] else -6, 5), ha="left" if b != sizes[-1] else "right",
                           fontsize=8.5, color="0.3")  # fmt: skip
    right.set_yscale("log")
    right.set_ylabel("milliseconds per epoch")
    right.set_title(f"time for one epoch ({result.n_samples} examples)")
    _batch_axis(right, sizes)
    fig.suptitle(f"Measured on this machine (median of {result.repeats} repeats, one CPU thread): "
                 "2 -> 64 -> 64 -> 2 MLP, SGD", fontsize=10.5)  # fmt: skip
    return fig


def plot_step_memory(result: MemorySweep) -> Figure:
    """Bytes one training step holds against the batch size (log-log): activations grow, weights do not."""
    _type(result, MemorySweep, "result")
    fig, ax = subplots(figsize=(8, 3.9), adjust=dict(left=0.1, right=0.97, bottom=0.14, top=0.88))
    kb = [1 / 1000] * len(result.batch_sizes)
    sizes = result.batch_sizes
    ax.plot(sizes, [a * k for a, k in zip(result.totals, kb)], "-", color="0.6", linewidth=3, alpha=0.5,
            label="total")  # fmt: skip
    ax.plot(sizes, [a * k for a, k in zip(result.activations, kb)], "o-", color=PALETTE[3],
            label=f"activations saved for backward ({result.activation_bytes_per_example:.0f} bytes "
                  "per example)")  # fmt: skip
    ax.plot(sizes, [a * k for a, k in zip(result.weights_and_gradients, kb)], "s-", color=PALETTE[0],
            label="weights + their gradients (fixed)")  # fmt: skip
    ax.plot(sizes, [a * k for a, k in zip(result.batch_bytes, kb)], "^-", color=PALETTE[2],
            label="the batch itself (x, y)")  # fmt: skip
    cross = result.crossover_batch()
    if min(sizes) < cross < max(sizes):
        ax.axvline(cross, color=_GREY, linestyle=":", linewidth=1)
        ax.annotate(f"activations overtake\nthe weights at batch ≈ {cross:.0f}", (cross, 0.02),
                    xycoords=("data", "axes fraction"), xytext=(5, 0), textcoords="offset points",
                    fontsize=8.5, color="0.3", va="bottom")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(top=max(result.totals) / 1000 * 60)  # room for the legend above the lines
    ax.set_ylabel("kilobytes (1 kB = 1000 bytes)")
    _batch_axis(ax, sizes)
    ax.set_title("Memory of one training step, measured (2 -> 64 -> 64 -> 2 MLP)")
    ax.legend(loc="upper left", fontsize=8.5)
    return fig


# ----------------------------------------------------------------------------- training


def _val_curves(ax: Axes, sweep: Sweep, x: str) -> None:
    for i, (b, run) in enumerate(zip(sweep.batch_sizes, sweep.runs)):
        h = run.history
        xs = list(range(1, len(h.epoch_val_loss) + 1)) if x == "epoch" else h.epoch_steps[: len(h.epoch_val_loss)]
        label = f"batch {b}, lr {run.settings['lr']:.3g}"
        if h.diverged:
            label += f" ({h.stop_reason})"
        ax.plot(xs, h.epoch_val_loss, **run_style(i), markersize=3, linewidth=1.6, label=label)


def plot_sweeps(fixed: Sweep, scaled: Sweep) -> Figure:
    """Validation loss after every epoch, 2 x 2: rows lr fixed / lr scaled; columns against epochs / steps."""
    _type(fixed, Sweep, "fixed")
    _type(scaled, Sweep, "scaled")
    fig, axes = subplots(2, 2, figsize=(10, 6.6), sharey=True,
                         adjust=dict(left=0.08, right=0.98, bottom=0.08, top=0.9, wspace=0.08, hspace=0.42))
    for row, sweep in enumerate((fixed, scaled)):
        by_epoch, by_step = axes[row]
        _val_curves(by_epoch, sweep, "epoch")
        _val_curves(by_step, sweep, "step")
        by_epoch.set_xlabel("epoch (passes over the 512 training examples)")
        by_step.set_xlabel("step (weight updates, log scale)")
        by_step.set_xscale("log")
        by_step.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        by_epoch.xaxis.set_major_locator(MaxNLocator(integer=True))
        by_epoch.set_ylabel("validation loss")
        by_epoch.set_title(f"{sweep.title}: against epochs", fontsize=10)
        by_step.set_title(f"{sweep.title.split(',')[0]}: against steps", fontsize=10)
        by_step.legend(loc="lower left", fontsize=8)
    fig.suptitle("Same network, same data, same starting weights; only the batch size (and the lr) change")
    return fig


def plot_generalization(rows: Sequence[dict], title: str = "") -> Figure:
    """Training loss and validation loss of the final weights, per batch size, as paired bars.

    ``rows`` is :meth:`Sweep.final_losses` (one dict per batch size); give a list of two such lists
    (with two titles separated by ``|``) to draw two panels side by side.
    """
    panels = [rows] if rows and isinstance(rows[0], dict) else list(rows)
    if not panels or not all(panels):
        raise ValueError("rows must be Sweep.final_losses() (a non-empty list of dicts), or a list of two of them.")
    titles = (title.split("|") + [""] * len(panels))[: len(panels)]
    fig, axes = subplots(1, len(panels), figsize=(5 * len(panels), 3.6), sharey=True, squeeze=False,
                         adjust=dict(left=0.08, right=0.98, bottom=0.16, top=0.84, wspace=0.08))
    for ax, panel, panel_title in zip(axes[0], panels, titles):
        positions = range(len(panel))
        train = [r["train_loss"] for r in panel]
        val = [r["val_loss"] for r in panel]
        ax.bar([p - 0.2 for p in positions], train, width=0.4, label="training loss", **bar_style(0))
        ax.bar([p + 0.2 for p in positions], val, width=0.4, label="validation loss", **bar_style(1))
        for p, v in zip(positions, val):
            if math.isnan(v):
                ax.text(p, 0.02, "diverged", ha="center", color=ALERT_COLOR, fontsize=9, rotation=90)
            else:
                ax.text(p + 0.2, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8.5)
        ax.set_xticks(list(positions))
        ax.set_xticklabels([f"batch {r['batch_size']}\nlr {r['lr']:.3g}" for r in panel], fontsize=9)
        ax.set_title(panel_title.strip(), fontsize=10)
        ax.grid(axis="x", visible=False)
    axes[0][0].set_ylabel("loss of the final weights")
    axes[0][0].legend(loc="upper left", fontsize=8.5)
    fig.suptitle("Does the batch size change how well the model does on new data? (moons, 256 validation examples)",
                 fontsize=10.5)  # fmt: skip
    return fig


# ----------------------------------------------------------------------------- noise


def plot_gradient_noise(result: GradientNoise) -> Figure:
    """Mean squared distance of batch gradients from the full gradient against the batch size, log-log."""
    _type(result, GradientNoise, "result")
    fig, ax = subplots(figsize=(8, 4.2), adjust=dict(left=0.13, right=0.97, bottom=0.13, top=0.9))
    sizes = result.batch_sizes
    grid = [2 ** (k / 8) for k in range(0, int(8 * math.log2(max(sizes))) + 1) if 2 ** (k / 8) >= min(sizes)]
    ax.plot(grid, [result.predicted(b, corrected=False) for b in grid], "--", color=_GREY, linewidth=1.3,
            label="1/B law: tr(Σ) / B")  # fmt: skip
    ax.plot(grid, [result.predicted(b) for b in grid], "-", color=PALETTE[0], linewidth=1.5,
            label=f"tr(Σ) / B x (N - B)/(N - 1): batches drawn without replacement, "
                  f"N = {result.n_examples}")  # fmt: skip
    ax.errorbar(sizes, result.measured, yerr=[2 * s for s in result.sem], fmt="o", color=PALETTE[3], markersize=6,
                capsize=3, label=f"measured: mean over {result.n_batches} random batches (±2 standard errors)",
                zorder=3)  # fmt: skip
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10))
    _batch_axis(ax, sizes)
    ax.set_ylabel("|batch gradient - full gradient|²\n(mean over batches)")
    ax.set_title(f"Gradient noise at fixed weights (after {result.trained_epochs} epoch"
                 f"{'s' if result.trained_epochs != 1 else ''} of training): doubling the batch halves it")  # fmt: skip
    ax.legend(loc="lower left", fontsize=8.5)
    return fig


def plot_noise_scale(trace: NoiseScaleTrace, steps: StepsToTarget | None = None) -> Figure:
    """Left: B_simple (and the training loss) during the first steps of training. Middle (when ``steps`` is
    given): steps needed to reach a target loss against the batch size, with McCandlish et al.'s fit.
    Right: B_simple measured where each batch size's fastest run reached the target, against the fit's B_crit."""
    _type(trace, NoiseScaleTrace, "trace")
    at_target = [] if steps is None else [(b, v) for b, v in zip(steps.batch_sizes, steps.noise_scale_at_target)
                                          if v is not None]  # fmt: skip
    panels = 1 if steps is None else 3 if at_target else 2
    fig, axes = subplots(1, panels, figsize=(4.6 * panels, 3.9), squeeze=False,
                         adjust=dict(left=0.07, right=0.98, bottom=0.15, top=0.8, wspace=0.5))
    ax = axes[0][0]
    ax.plot(trace.steps, trace.noise_scale, "o-", color=PALETTE[4], label="B_simple = tr(Σ) / |G|²")
    ax.set_yscale("log")
    ax.set_xlabel(f"step (batch {trace.batch_size}, lr {trace.lr:g})")
    ax.set_ylabel("B_simple (examples)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    loss_ax = ax.twinx()
    loss_ax.plot(trace.steps, trace.train_loss, "-", color=_GREY, linewidth=1.2, label="training loss (right axis)")
    loss_ax.set_ylabel("training loss", color=_GREY)
    finite = [v for v in trace.train_loss if math.isfinite(v)]
    loss_ax.set_ylim(min([0.2, *[0.9 * v for v in finite]]), max([1.0, *[1.45 * v for v in finite]]))
    loss_ax.grid(False)
    loss_ax.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + loss_ax.get_legend_handles_labels()[0]
    fit = steps.fit() if steps is not None else (math.nan, math.nan)
    if math.isfinite(fit[1]):
        handles.append(ax.axhline(fit[1], color=PALETTE[0], linestyle="--", linewidth=1,
                                  label=f"B_crit from the fit (middle): {fit[1]:.0f}"))  # fmt: skip
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    ax.set_title("B_simple during the first steps of training", fontsize=10)
    if steps is not None:
        _type(steps, StepsToTarget, "steps")
        ax = axes[0][1]
        sizes = [b for b, s in zip(steps.batch_sizes, steps.best_steps) if s is not None]
        best = [s for s in steps.best_steps if s is not None]
        ax.plot(sizes, best, "o", color=PALETTE[3], markersize=7, label="measured (best lr of the grid)", zorder=3)
        s_min, b_crit = fit
        if sizes and math.isfinite(b_crit):
            grid = [2 ** (k / 8) for k in range(int(8 * math.log2(min(sizes))), int(8 * math.log2(max(sizes))) + 1)]
            ax.plot(grid, [s_min * (1 + b_crit / b) for b in grid], "-", color=PALETTE[0],
                    label=f"fit: {s_min:.1f} x (1 + {b_crit:.1f} / B)")  # fmt: skip
            ax.plot(grid, [best[0] * sizes[0] / b for b in grid], ":", color=_GREY,
                    label="if doubling the batch halved the steps")  # fmt: skip
            ax.axvline(b_crit, color=PALETTE[0], linestyle="--", linewidth=1)
            ax.set_ylim(min(best) * 0.5, max(best) * 1.6)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        _batch_axis(ax, steps.batch_sizes)
        ax.set_ylabel(f"steps until training loss < {steps.target:g}")
        ax.set_title("steps to a target loss:\nthe payoff of bigger batches ends", fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
    if at_target:
        ax = axes[0][2]
        ax.plot([b for b, _ in at_target], [v for _, v in at_target], "o", color=PALETTE[4], markersize=7,
                label="B_simple where the run\nreached the target loss")  # fmt: skip
        if math.isfinite(fit[1]):
            ax.axhline(fit[1], color=PALETTE[0], linestyle="--", linewidth=1,
                       label=f"B_crit from the fit: {fit[1]:.0f}")  # fmt: skip
        ax.set_yscale("log")
        ax.set_yticks([t for t in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
                       if min(fit[1], *(v for _, v in at_target)) / 2 <= t <= 2 * max(v for _, v in at_target)])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
        _batch_axis(ax, steps.batch_sizes)
        ax.set_ylabel("B_simple (examples)")
        ax.set_title(f"measured at the target (loss {steps.target:g}):\nB_simple is far above B_crit", fontsize=10)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.1), fontsize=8)
    fig.suptitle("Gradient noise scale (McCandlish et al., 2018)", fontsize=10.5)
    return fig


# ----------------------------------------------------------------------------- demo

_DEMO_SIZE = (10, 3.6)
_DEMO_MARGINS = dict(left=0.07, right=0.98, bottom=0.15, top=0.85, wspace=0.06)
_STEP_STYLE = dict(color=PALETTE[0], alpha=0.35, linewidth=0.8)
_VAL_STYLE = dict(color=PALETTE[0], marker="o", linestyle="-", markersize=4)
_REF_STYLE = dict(color=PALETTE[1], marker="s", linestyle="--", markersize=4)
_STEP_LABEL, _VAL_LABEL = "loss of each step (this run)", "validation loss (this run)"
DEMO_LOSS_LIMITS = (0.0, 1.2)  # the demo picture's loss axis: every setting of the sliders on one scale


def _demo_static(left: Axes, right: Axes) -> None:
    """What no setting of the sliders changes: labels, titles, the log step axis."""
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.set_title("against epochs (passes over the data)", fontsize=10)
    right.set_xscale("log")
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    right.set_xlabel("step (weight updates, log scale)")
    right.set_title("against steps", fontsize=10)


def _demo_title(result: BatchDemo) -> str:
    h = result.run.history
    lr_text = f"lr {result.lr_used:.3g}" + (" (scaled with the batch)" if result.scale_lr else "")
    per_epoch = f"{h.batches_per_epoch} step{'s' if h.batches_per_epoch != 1 else ''} per epoch"
    epochs = result.run.settings['epochs']
    return f"batch {result.batch_size}, {lr_text}, {epochs} epochs: {per_epoch}, {h.steps} in all"


def _demo_curves(result: BatchDemo) -> dict[str, tuple[list[float], list[float]]]:
    """The x and y of every curve of the demo: this run's step losses (against epochs and against
    steps) and validation losses, and the reference's validation losses (empty when it is this run)."""
    h, rh = result.run.history, result.reference.history
    per_epoch = max(h.batches_per_epoch, 1)
    own_ref = result.reference is result.run
    return {
        "step_by_epoch": ([(i + 1) / per_epoch for i in range(h.steps)], list(h.step_loss)),
        "step_by_step": (list(range(1, h.steps + 1)), list(h.step_loss)),
        "val_by_epoch": (list(range(1, len(h.epoch_val_loss) + 1)), list(h.epoch_val_loss)),
        "val_by_step": (list(h.epoch_steps[: len(h.epoch_val_loss)]), list(h.epoch_val_loss)),
        "ref_by_epoch": ([], []) if own_ref else (list(range(1, len(rh.epoch_val_loss) + 1)), list(rh.epoch_val_loss)),
        "ref_by_step": ([], []) if own_ref else (list(rh.epoch_steps[: len(rh.epoch_val_loss)]),
                                                 list(rh.epoch_val_loss)),
    }  # fmt: skip


def plot_batch_demo(result: BatchDemo) -> Figure:
    """The demo's picture: loss of every step and validation loss, against epochs and against steps.

    Its axes fit this one result; the demo draws the same picture, on axes fixed over every setting of
    its sliders, with :class:`BatchDemoPicture`.
    """
    _type(result, BatchDemo, "result")
    run, ref = result.run, result.reference
    h, rh = run.history, ref.history
    fig, (left, right) = subplots(1, 2, figsize=_DEMO_SIZE, sharey=True, adjust=_DEMO_MARGINS)
    _demo_static(left, right)
    c = _demo_curves(result)
    left.plot(*c["step_by_epoch"], **_STEP_STYLE, label=_STEP_LABEL)
    left.plot(*c["val_by_epoch"], **_VAL_STYLE, label=_VAL_LABEL)
    if ref is not run:
        left.plot(*c["ref_by_epoch"], **_REF_STYLE, label=f"validation loss, batch 32, lr {ref.settings['lr']:g}")
    right.plot(*c["step_by_step"], **_STEP_STYLE)
    right.plot(*c["val_by_step"], **_VAL_STYLE)
    if ref is not run:
        right.plot(*c["ref_by_step"], **_REF_STYLE)
    finite = [v for v in h.step_loss + h.epoch_val_loss + rh.epoch_val_loss if math.isfinite(v)]
    top = min(max(finite, default=1.0), 3.0)
    left.set_ylim(0, max(top * 1.05, 0.8))
    if h.diverged:
        for ax in (left, right):
            ax.text(0.5, 0.5, h.stop_reason, transform=ax.transAxes, ha="center", color=ALERT_COLOR, fontsize=12)
    left.legend(loc="upper right", fontsize=8)
    fig.suptitle(_demo_title(result), fontsize=10.5)
    return fig


class BatchDemoPicture(BlitFigure):
    """The demo's picture, as :func:`plot_batch_demo` draws it, on fixed axes: steps 1 to
    ``max_epochs`` epochs of batch 1 (log scale) and loss on :data:`DEMO_LOSS_LIMITS` for every
    setting; epochs 0 to the run's epochs for every setting but the epochs (changing them draws the
    axes once anew: the default 8 epochs would fill a quarter of a 30-epoch axis). Only the curves,
    the title and a few notes are redrawn. Losses
    above the axis (a learning rate too large) are drawn at its edge with a note, and a run that
    diverged says so in both panels. The legend is static: the reference's learning rate is the
    slider's, named in the readout."""

    def __init__(self, max_epochs: int = 30, epochs: int = 8) -> None:
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        self.max_steps = N_TRAIN * self.max_epochs  # batch 1: one step per example
        self.epochs = check_int("epochs", epochs, minimum=1)  # the epoch axis starts here and follows the slider
        super().__init__(figsize=(_DEMO_SIZE[0], _DEMO_SIZE[1] + 0.3))  # room for the legend on top

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**{**_DEMO_MARGINS, "top": 0.76, "bottom": 0.14})
        self.left, self.right = left, right = fig.subplots(1, 2, sharey=True)
        _demo_static(left, right)
        low, high = DEMO_LOSS_LIMITS
        left.set_ylim(low, high)
        left.set_xlim(0, self.epochs + 0.5)
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        right.set_xlim(1, self.max_steps * 1.3)
        right.set_xticks([t for t in (1, 10, 100, 1000, 10000, 100000) if t <= self.max_steps])
        right.xaxis.set_minor_locator(LogLocator(base=10, subs=range(2, 10)))
        self.lines: dict[str, object] = {}
        for side, ax in (("epoch", left), ("step", right)):
            self.lines[f"step_by_{side}"] = self.animated(ax.plot([], [], **_STEP_STYLE)[0])
            self.lines[f"ref_by_{side}"] = self.animated(ax.plot([], [], **_REF_STYLE)[0])
            self.lines[f"val_by_{side}"] = self.animated(ax.plot([], [], **_VAL_STYLE)[0])
        self.stops, self.stop_marks, self.stop_texts = [], [], []
        for ax in (left, right):  # where a run diverged: a line, a cross at the top edge and the stop reason
            self.stops.append(self.animated(ax.axvline(1, color=ALERT_COLOR, linestyle="--", linewidth=1.2)))
            self.stop_marks.append(self.animated(ax.plot([], [], "X", color=ALERT_COLOR, markersize=10,
                                                         clip_on=False, zorder=5)[0]))  # fmt: skip
            self.stop_texts.append(self.animated(ax.text(1, 0.5, "", transform=ax.get_xaxis_transform(),
                                                         color=ALERT_COLOR, fontsize=11, va="center")))  # fmt: skip
        self.clip_texts = [self.animated(ax.text(
            0.99, 0.97, f"losses above {high:g} drawn at the top edge", transform=ax.transAxes, ha="right",
            va="top", fontsize=8, color=ALERT_COLOR, bbox=dict(facecolor="white", edgecolor="none", alpha=0.85,
                                                               pad=1.5))) for ax in (left, right)]  # fmt: skip
        self.title = self.animated(fig.suptitle(" ", fontsize=10.5, y=0.99))
        fig.legend([self.lines["step_by_epoch"], self.lines["val_by_epoch"], self.lines["ref_by_epoch"]],
                   [_STEP_LABEL, _VAL_LABEL, "validation loss, batch 32 at the slider's lr (when batch ≠ 32)"],
                   loc="upper center", bbox_to_anchor=(0.5, 0.925), ncol=3, fontsize=8.5)  # fmt: skip

    def update(self, result: BatchDemo) -> None:
        _type(result, BatchDemo, "result")
        h = result.run.history
        epochs = int(result.run.settings.get("epochs", self.epochs))
        if epochs != self.epochs:  # the one setting that changes an axis: draw the axes anew, once
            self.epochs = epochs
            self.left.set_xlim(0, epochs + 0.5)
            self.invalidate()
        low, high = DEMO_LOSS_LIMITS
        clipped = {"epoch": False, "step": False}
        for name, (xs, ys) in _demo_curves(result).items():
            ys, outside = clip(ys, low, high) if ys else (ys, False)
            side = name.rsplit("_", 1)[1]
            clipped[side] = clipped[side] or outside
            self.lines[name].set_data(xs, ys)
        for text, side in zip(self.clip_texts, ("epoch", "step")):
            text.set_visible(clipped[side])
        per_epoch = max(h.batches_per_epoch, 1)
        at = ((h.steps + 1) / per_epoch, h.steps + 1)  # the step that blew up, against epochs and against steps
        fractions = (at[0] / (self.epochs + 0.5), math.log(at[1]) / math.log(self.max_steps * 1.3))
        for stop, mark, text, x, fraction in zip(self.stops, self.stop_marks, self.stop_texts, at, fractions):
            for artist in (stop, mark, text):
                artist.set_visible(h.diverged)
            stop.set_xdata([x, x])
            mark.set_data([x], [high])
            text.set_position((x, 0.5))
            text.set_text(f" {h.stop_reason} " if h.diverged else "")
            text.set_ha("left" if fraction < 0.6 else "right")
        self.title.set_text(_demo_title(result))


def batch_demo_picture(max_epochs: int = 30) -> BatchDemoPicture:
    """A new picture for the demo (``Demo(batch_size_demo, batch_demo_picture(), ...)``): see
    :class:`BatchDemoPicture`; ``max_epochs`` is the epochs slider's maximum."""
    return BatchDemoPicture(max_epochs)
