"""Figures for lesson 03, gradients and updates. Each takes an experiment's result and returns a Figure."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...plots import ALERT_COLOR, PALETTE, log_axis, subplots
from .experiments import AdamTrace, Descent1D, GradCheck, LossSlice, ReluActivity, ZeroGradResult

__all__ = ["plot_gradient_check", "plot_relu_activity", "plot_descent_1d", "plot_adam_vs_sgd", "plot_zero_grad",
           "ZeroGradPicture", "zero_grad_picture", "ZERO_GRAD_LIMITS", "DescentPicture", "descent_picture",
           "DESCENT_LIMITS"]

BLUE, ORANGE, GREEN, RED, PURPLE = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4]
# Titles get a fixed position (``y=1.01``): otherwise matplotlib measures every tick label to place them,
# which is a large part of the time a slider redraw takes.


def _two_panels(width: float = 10.5, height: float = 3.8, wspace: float = 0.28) -> tuple[Figure, tuple]:
    fig, axes = subplots(1, 2, figsize=(width, height),
                         adjust=dict(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=wspace))
    return fig, axes


def plot_gradient_check(check: GradCheck, slice_: LossSlice) -> Figure:
    """Left: the loss along one weight and the tangent whose slope backward() computed.
    Right: every trainable number's gradient from backward() against its finite-difference estimate."""
    fig, (left, right) = _two_panels()
    w, L = slice_.values.numpy(), slice_.losses.numpy()
    left.plot(w, L, color=BLUE, linewidth=2, label="loss as this weight moves")
    half = 0.45 * (w[-1] - w[0]) / 2
    tx = [slice_.w0 - half, slice_.w0 + half]
    left.plot(tx, [slice_.loss0 + slice_.grad0 * (t - slice_.w0) for t in tx], color=ORANGE, linewidth=2,
              linestyle="--", label=f"tangent, slope = .grad = {slice_.grad0:+.4f}")  # fmt: skip
    left.plot([slice_.w0], [slice_.loss0], "o", color="black", zorder=4, label=f"now: w = {slice_.w0:+.3f}")
    downhill = -math.copysign(1.0, slice_.grad0) * half * 0.8
    low, high = L.min(), L.max()
    y_arrow = slice_.loss0 + 0.12 * (high - low)  # above the point: the curve falls away on the downhill side
    left.annotate("", xy=(slice_.w0 + downhill, y_arrow), xytext=(slice_.w0, y_arrow),
                  arrowprops=dict(arrowstyle="-|>", color=GREEN, lw=2))  # fmt: skip
    left.text(slice_.w0 + downhill / 2, y_arrow + 0.03 * (high - low), "downhill = against .grad", color=GREEN,
              ha="center", va="bottom", fontsize=9)  # fmt: skip
    left.set_xlabel(f"value of {slice_.name} (every other weight fixed)")
    left.set_ylabel("loss (cross-entropy)")
    left.set_title("the gradient is the slope of the loss", y=1.01)
    left.legend(loc="upper center", fontsize=8)

    a, n = check.autograd.numpy(), check.numeric.numpy()
    lim = max(abs(a).max(), abs(n).max()) * 1.1
    right.plot([-lim, lim], [-lim, lim], color="0.6", linewidth=1, linestyle="--", label="perfect agreement")
    right.scatter(a, n, s=14, color=PURPLE, alpha=0.7, label=f"{check.n_checked} trainable numbers")
    right.set_xlim(-lim, lim)
    right.set_ylim(-lim, lim)
    right.set_xlabel("gradient from loss.backward()")
    right.set_ylabel(f"finite difference, h = {check.h:g}")
    right.set_title(f"backward() vs nudging each weight ({check.dtype})", y=1.01)
    right.text(0.97, 0.05, f"max relative error {check.max_rel_error:.1e}", transform=right.transAxes,
               ha="right", fontsize=9)  # fmt: skip
    right.legend(loc="upper left", fontsize=8)
    return fig


def plot_relu_activity(activity: ReluActivity) -> Figure:
    """One panel per hidden layer: for every unit, the share of the examples for which its ReLU is on.
    Dead units (on for none) are marked."""
    if not isinstance(activity, ReluActivity):
        raise TypeError(f"expected the result of relu_activity(...), but got {type(activity).__name__}.")
    n = len(activity.on_share)
    fig, axes = subplots(1, n, figsize=(5.2 * n, 3.0), sharey=True,
                         adjust=dict(left=0.07, right=0.98, bottom=0.17, top=0.8, wspace=0.08))  # fmt: skip
    axes = list(axes) if n > 1 else [axes]
    ordinal = ["first", "second", "third", "fourth"]
    for k, (ax, shares, dead) in enumerate(zip(axes, activity.on_share, activity.dead)):
        colors = [RED if u in dead else BLUE for u in range(len(shares))]
        ax.bar(range(len(shares)), shares, color=colors, width=0.75)
        for u in dead:
            ax.text(u, 0.03, "dead", color=RED, ha="center", va="bottom", rotation=90, fontsize=8.5)
        ax.set_xticks(range(len(shares)))
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("unit")
        ax.set_title(f"{ordinal[k] if k < len(ordinal) else str(k + 1)} hidden layer", y=1.01, fontsize=10)
        ax.grid(axis="x", visible=False)
    axes[0].set_ylabel("share of examples\nwith the unit on")
    fig.suptitle(f"which ReLU units are on, over all {activity.n_examples} examples ({activity.n_dead} dead)",
                 fontsize=11)  # fmt: skip
    return fig


def _descent_left_title(d: Descent1D) -> str:
    return f"lr = {d.lr:g}, start w = {d.w_start:+.2f}: the steps taken (red, numbered)"


def _descent_right_title(d: Descent1D) -> str:
    if d.diverged:
        return f"{d.stop_reason} (loss > a million times its start)"
    return f"loss per step: {d.losses[0]:.3g} at the start, {d.losses[-1]:.3g} after step {d.steps_done}"


def _label_step(k: int, wb: float, lb: float, last: tuple[float, float], width: float, y_hi: float) -> bool:
    """Number step ``k + 1``? Step 1 always, later landing points when far enough from the last number to read."""
    return k == 0 or abs(wb - last[0]) / width > 0.035 or abs(lb - last[1]) / y_hi > 0.06


def plot_descent_1d(d: Descent1D) -> Figure:
    """Left: the loss curve, the tangent at the start and the steps taken (arrows).
    Right: the loss after every step, on a log scale."""
    fig, (left, right) = _two_panels(width=10.5, height=4.0, wspace=0.25)
    grid, gl = d.grid.numpy(), d.grid_loss.numpy()
    left.plot(grid, gl, color=BLUE, linewidth=2, label="loss(w) = mean((w x - y)^2)")
    left.plot([d.w_best], [d.loss_best], marker="*", markersize=14, color=GREEN, linestyle="none",
              label=f"minimum, w* = {d.w_best:.3f}")  # fmt: skip
    x_lo, x_hi = grid[0], grid[-1]
    y_hi = gl.max() * 1.45  # head room for the legend
    # tangent at the start: slope = the gradient autograd computed there
    if d.grads:
        w0, l0, g0 = d.ws[0], d.losses[0], d.grads[0]
        half = 0.18 * (x_hi - x_lo)
        left.plot([w0 - half, w0 + half], [l0 - g0 * half, l0 + g0 * half], color=ORANGE, linewidth=1.5,
                  linestyle="--", label=f"tangent at the start, slope {g0:+.3f}")  # fmt: skip
    left.plot([d.ws[0]], [d.losses[0]], "o", color="black", markersize=7, zorder=5, label=f"start, w = {d.ws[0]:+.2f}")
    off_plot = []
    last_label = (d.ws[0], d.losses[0])
    for k in range(len(d.ws) - 1):
        (wa, la), (wb, lb) = (d.ws[k], d.losses[k]), (d.ws[k + 1], d.losses[k + 1])
        if not (x_lo <= wb <= x_hi and lb <= y_hi):
            off_plot.append(k + 1)
            break
        left.annotate("", xy=(wb, lb), xytext=(wa, la), arrowprops=dict(arrowstyle="-|>", color=RED, lw=1.5,
                                                                        shrinkA=2, shrinkB=2), zorder=6)  # fmt: skip
        left.plot([wb], [lb], "o", color=RED, markersize=4, zorder=6)
        if _label_step(k, wb, lb, last_label, x_hi - x_lo, y_hi):
            left.text(wb, lb + 0.025 * y_hi, str(k + 1), color=RED, fontsize=8, ha="center", va="bottom")
            last_label = (wb, lb)
    if off_plot:
        k = off_plot[0]
        left.text(0.5, 0.62, f"step {k} jumps out of view\n(to w = {d.ws[k]:+.3g}); every later step lands farther out",
                  transform=left.transAxes, ha="center", va="top", color=ALERT_COLOR, fontsize=9)  # fmt: skip
    left.set_xlim(x_lo, x_hi)
    left.set_ylim(0, y_hi)
    left.set_xlabel("w (the model's only weight)")
    left.set_ylabel("loss (mean squared error)")
    left.set_title(_descent_left_title(d), y=1.01)
    left.legend(loc="upper center", fontsize=7.5, ncol=2, columnspacing=1.0, handlelength=1.5)

    steps = list(range(len(d.losses)))
    right.plot(steps, d.losses, "o-", color=RED, markersize=4, label="loss after each step")
    right.axhline(d.loss_best, color=GREEN, linestyle="--", linewidth=1.2, label=f"lowest possible, {d.loss_best:.3f}")
    right.set_yscale("log")
    right.set_xlabel("step (0 = start)")
    right.set_ylabel("loss (log scale)")
    right.set_title(_descent_right_title(d), y=1.01)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.legend(loc="upper left" if d.losses[-1] > d.losses[0] else "center right", fontsize=8)
    return fig


def plot_adam_vs_sgd(trace: AdamTrace, steps: tuple[int, ...] | None = None) -> Figure:
    """Size of every number's step against the size of its gradient, for Adam and for SGD (same lr).

    One panel per step in ``steps`` (default: the first and the last). Numbers whose gradient is
    exactly 0 in that step cannot go on a log scale and are left out (the legend counts them).
    """
    steps = steps or (1, trace.steps)
    fig, axes = subplots(1, len(steps), figsize=(5.2 * len(steps), 3.8), sharey=True,
                         adjust=dict(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=0.08))
    axes = list(axes) if len(steps) > 1 else [axes]
    for ax, t in zip(axes, steps):
        g = trace.all_grads[t - 1].abs()
        u = trace.all_adam_updates[t - 1].abs()
        keep = (g > 0) & (u > 0)
        g, u = g[keep].numpy(), u[keep].numpy()
        lo, hi = g.min() / 2, g.max() * 2
        ax.plot([lo, hi], [trace.lr * lo, trace.lr * hi], color=BLUE, linewidth=2, label="SGD: lr x |grad|")
        drawn = int(keep.sum())
        ax.scatter(g, u, s=12, color=ORANGE, alpha=0.75, zorder=3,
                   label=f"Adam: {drawn} of {len(keep)} numbers\n({len(keep) - drawn} with gradient 0 not drawn)")
        ax.axhline(trace.lr, color="0.5", linestyle=":", linewidth=1.2, label=f"lr = {trace.lr:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("|gradient| of one number")
        ax.set_title(f"step {t}", y=1.01)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("|change of that number| in the step")
    fig.suptitle(f"Adam vs SGD, same gradients, same lr = {trace.lr:g} (moons MLP, batch of 32)", fontsize=11)
    return fig


def plot_zero_grad(result: ZeroGradResult) -> Figure:
    """The same training with and without zero_grad(): loss per step, the slope w, and the size of .grad."""
    fig, axes = subplots(1, 3, figsize=(11.5, 3.9),
                         adjust=dict(left=0.06, right=0.99, bottom=0.14, top=0.76, wspace=0.3))
    for run, color, dash in ((result.with_zero, BLUE, "-"), (result.without, RED, "--")):
        h = run.history
        xs = list(range(1, h.steps + 1))
        label = f"{run.label}: {h.stop_reason}" if h.diverged else run.label
        for ax, values in zip(axes, (h.step_loss, run.slopes, run.grad_norms)):
            ax.plot(xs, values, color=color, linestyle=dash, linewidth=1.5, label=label)
        if h.diverged:
            for ax in axes:
                ax.axvline(h.steps + 1, color=color, linestyle="--", linewidth=1)
    slopes = result.with_zero.slopes + result.without.slopes
    if slopes and (max(slopes) > 6 or min(slopes) < -2):  # a diverging w would squash the rest
        axes[1].set_ylim(-2, 6)
        axes[1].text(0.5, 0.04, "w runs off this plot", transform=axes[1].transAxes, ha="center", color=ALERT_COLOR,
                     fontsize=9, bbox=dict(facecolor="white", edgecolor="none", alpha=0.85))  # fmt: skip
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    # Linear axes draw faster (a slider redraw budget); a log scale only when a run blows up.
    blew_up = result.with_zero.history.diverged or result.without.history.diverged
    losses = result.with_zero.history.step_loss + result.without.history.step_loss
    if blew_up or (losses and max(losses) > 1e3):
        axes[0].set_yscale("log")
        axes[2].set_yscale("log")
    else:
        axes[0].set_ylim(bottom=0)
        axes[2].set_ylim(bottom=0)
    axes[0].set_ylabel("loss of the batch" + (" (log scale)" if axes[0].get_yscale() == "log" else ""))
    axes[0].set_title("loss", y=1.01)
    axes[1].axhline(result.true_slope, color=GREEN, linestyle=":", linewidth=1.2, label="slope of the data")
    axes[1].set_ylabel("w (slope of the fitted line)")
    axes[1].set_title("the weight w", y=1.01)
    axes[2].set_ylabel("length of .grad at step()")
    axes[2].set_title("what step() is handed", y=1.01)
    for ax in axes:
        ax.set_xlabel("step")
    fig.legend(*axes[1].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=3,
               fontsize=9)  # fmt: skip
    fig.suptitle(f"y = w x + b fitted by SGD, lr = {result.lr:g}, batches of 16: the only difference is zero_grad()",
                 fontsize=11, y=0.99)  # fmt: skip
    return fig


ZERO_GRAD_LIMITS = {"loss": (0.01, 1e6), "w": (-2.0, 6.0), "grad": (0.01, 1e6)}
"""The zero_grad demo's fixed y axes: the loss and the gradient's length on log scales, w linear."""


class ZeroGradPicture(BlitFigure):
    """The zero_grad demo's picture, as :func:`plot_zero_grad` draws it, with axes fixed over every
    setting of its sliders (up to ``max_steps`` steps; ``ZERO_GRAD_LIMITS``), only the data redrawn.
    Values beyond an axis (a blown-up run) are drawn along its edge, with a note in that panel."""

    def __init__(self, max_steps: int = 200) -> None:
        self.max_steps = check_int("max_steps", max_steps, minimum=1)
        super().__init__(figsize=(11.5, 3.9))

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.14, top=0.76, wspace=0.32)
        self.axes = fig.subplots(1, 3)
        titles = {"loss": "loss", "w": "the weight w", "grad": "what step() is handed"}
        labels = {"loss": "loss of the batch (log scale)", "w": "w (slope of the fitted line)",
                  "grad": "length of .grad at step() (log)"}  # fmt: skip
        self.lines, self.stops, self.notes = {}, {}, {}
        for ax, key in zip(self.axes, ZERO_GRAD_LIMITS):
            if key != "w":
                log_axis(ax)
            ax.set(xlim=(0, self.max_steps + 1), ylim=ZERO_GRAD_LIMITS[key], xlabel="step", ylabel=labels[key])
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.set_title(titles[key], y=1.01)
            self.notes[key] = self.animated(ax.text(0.5, 0.04, "runs off this plot: drawn at the edge",
                                                    transform=ax.transAxes, ha="center", color=ALERT_COLOR,
                                                    fontsize=9, bbox=dict(facecolor="white", edgecolor="none",
                                                                          alpha=0.85)))  # fmt: skip
            for which, color, dash in (("with", BLUE, "-"), ("without", RED, "--")):
                self.lines[key, which] = self.animated(ax.plot([], [], color=color, linestyle=dash, linewidth=1.5)[0])
                self.stops[key, which] = self.animated(ax.axvline(1, color=color, linestyle="--", linewidth=1))
        truth = self.axes[1].axhline(2.0, color=GREEN, linestyle=":", linewidth=1.2)
        self.truth = self.animated(truth)
        fig.legend([self.lines["w", "with"], self.lines["w", "without"], truth],
                   ["with zero_grad()", "without zero_grad()", "slope of the data"], loc="upper center",
                   bbox_to_anchor=(0.5, 0.93), ncol=3, fontsize=9)  # fmt: skip
        self.stop_text = self.animated(fig.text(0.5, 0.835, "", ha="center", color=ALERT_COLOR, fontsize=9))
        self.title = self.animated(fig.suptitle(" ", fontsize=11, y=0.99))

    def update(self, result: ZeroGradResult) -> None:
        if not isinstance(result, ZeroGradResult):
            raise TypeError(f"expected the result of zero_grad_comparison(...), but got {type(result).__name__}.")
        clipped = dict.fromkeys(ZERO_GRAD_LIMITS, False)
        stopped = []
        for which, run in (("with", result.with_zero), ("without", result.without)):
            h = run.history
            xs = np.arange(1, h.steps + 1)
            for key, values in (("loss", h.step_loss), ("w", run.slopes), ("grad", run.grad_norms)):
                ys, out = clip(values, *ZERO_GRAD_LIMITS[key])
                clipped[key] |= out
                self.lines[key, which].set_data(xs[: len(ys)], ys)
                self.stops[key, which].set_visible(h.diverged)
                self.stops[key, which].set_xdata([h.steps + 1] * 2)
            if h.diverged:
                stopped.append(f"{run.label}: {h.stop_reason}")
        self.stop_text.set_visible(bool(stopped))
        self.stop_text.set_text("; ".join(stopped))
        for key, note in self.notes.items():
            note.set_visible(clipped[key])
        self.truth.set_ydata([result.true_slope] * 2)
        self.title.set_text(f"y = w x + b fitted by SGD, lr = {result.lr:g}, batches of 16: "
                            "the only difference is zero_grad()")  # fmt: skip


def zero_grad_picture() -> ZeroGradPicture:
    """A new picture for one zero_grad demo (``Demo(zero_grad_comparison, zero_grad_picture(), ...)``)."""
    return ZeroGradPicture()


DESCENT_LIMITS = {"w": (-4.5, 8.5), "loss": (0.0, 70.0), "steps": (-0.5, 20.5), "loss_log": (0.1, 1e4)}
"""The descent demo's fixed axes: w and the loss (left), the steps and the loss on a log scale (right).
They hold every start the demo's slider offers (-4 to 8) with up to 20 steps; a run that leaves them
is drawn up to the edge, and the picture says so."""


class DescentPicture(BlitFigure):
    """The descent demo's picture, as :func:`plot_descent_1d` draws it, with axes fixed for every
    setting of its sliders (``DESCENT_LIMITS``) and only the data redrawn: the tangent, the steps
    (arrows, landing points, numbers), the loss per step and the titles (the tangent's slope, which
    changes with every setting, is in the demo's readout, not in the legend). The loss curve and the
    minimum belong to the data and are drawn once (again only if another data set comes in).
    A step that leaves the left panel ends the arrows there, with a note; a loss above the right
    panel's top is drawn on the edge, marked with a cross."""

    def __init__(self, max_steps: int = 20) -> None:
        self.max_steps = check_int("max_steps", max_steps, minimum=1)
        self._data: tuple[float, float, float] | None = None
        super().__init__(figsize=(10.5, 4.0))

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.84, wspace=0.25)
        self.left, self.right = left, right = fig.subplots(1, 2)
        left.set(xlim=DESCENT_LIMITS["w"], ylim=DESCENT_LIMITS["loss"], xlabel="w (the model's only weight)",
                 ylabel="loss (mean squared error)")  # fmt: skip
        self.curve = left.plot([], [], color=BLUE, linewidth=2, label="loss(w) = mean((w x - y)^2)")[0]
        self.best = left.plot([], [], marker="*", markersize=14, color=GREEN, linestyle="none", label="minimum")[0]
        self.tangent = self.animated(left.plot([], [], color=ORANGE, linewidth=1.5, linestyle="--",
                                               label="tangent at the start (slope: readout)")[0])  # fmt: skip
        self.start = self.animated(left.plot([], [], "o", color="black", markersize=7, zorder=5,
                                             label="start")[0])  # fmt: skip
        nowhere = np.ma.masked_all(self.max_steps)  # one arrow per step, hidden (masked) until used
        self.arrows = self.animated(left.quiver(np.zeros(self.max_steps), np.zeros(self.max_steps), nowhere, nowhere,
                                                angles="xy", scale_units="xy", scale=1, color=RED, width=0.0035,
                                                headwidth=4.5, headlength=6, headaxislength=5.5, zorder=6))  # fmt: skip
        self.landings = self.animated(left.plot([], [], "o", color=RED, markersize=4, linestyle="none", zorder=6)[0])
        self.numbers = [self.animated(left.text(0, 0, "", color=RED, fontsize=8, ha="center", va="bottom"))
                        for _ in range(self.max_steps)]  # fmt: skip
        self.off_note = self.animated(left.text(0.5, 0.62, "", transform=left.transAxes, ha="center", va="top",
                                                color=ALERT_COLOR, fontsize=9))  # fmt: skip
        # titles: the words are static, only the numbers before or after them are redrawn (text is costly)
        left.set_title("the steps (red, numbered)", loc="right", y=1.01, fontsize=10)
        self.left_title = self.animated(left.set_title(" ", loc="left", y=1.01, fontsize=10))
        self.legend = left.legend(loc="upper center", fontsize=7.5, ncol=2, columnspacing=1.0, handlelength=1.5)

        log_axis(right)
        right.set(xlim=DESCENT_LIMITS["steps"], ylim=DESCENT_LIMITS["loss_log"], xlabel="step (0 = start)",
                  ylabel="loss (log scale)")  # fmt: skip
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.per_step = self.animated(right.plot([], [], "o-", color=RED, markersize=4,
                                                 label="loss after each step")[0])  # fmt: skip
        self.lowest = right.axhline(np.nan, color=GREEN, linestyle="--", linewidth=1.2, label="lowest possible")
        self.off_scale = self.animated(right.plot([], [], "x", color=ALERT_COLOR, markersize=9, mew=2, zorder=6,
                                                  label="off the scale: drawn at the top")[0])  # fmt: skip
        self.right_legend = right.legend(loc="center right", fontsize=8)
        right.set_title("loss per step:", loc="left", y=1.01, fontsize=10)
        self.right_title = self.animated(right.set_title(" ", loc="right", y=1.01, fontsize=10))

    def _show_data(self, d: Descent1D) -> None:
        """The loss curve and its minimum (the same for every setting of one data set): static, drawn once."""
        data = (d.w_best, d.loss_best, d.curvature)
        if data == self._data:
            return
        self._data = data
        w = np.linspace(*DESCENT_LIMITS["w"], 161)
        self.curve.set_data(w, d.loss_best + d.curvature / 2 * (w - d.w_best) ** 2)  # the loss is this parabola
        self.best.set_data([d.w_best], [d.loss_best])
        self.lowest.set_ydata([d.loss_best] * 2)
        self.legend.get_texts()[1].set_text(f"minimum, w* = {d.w_best:.3f}")
        self.right_legend.get_texts()[1].set_text(f"lowest possible, {d.loss_best:.3f}")
        self.invalidate()

    def update(self, d: Descent1D) -> None:
        if not isinstance(d, Descent1D):
            raise TypeError(f"expected the result of descend_1d(...), but got {type(d).__name__}.")
        if d.steps_done > self.max_steps:
            raise ValueError(f"the run has {d.steps_done} steps, more than this picture's max_steps={self.max_steps}.")
        self._show_data(d)
        (x_lo, x_hi), (_, y_hi) = DESCENT_LIMITS["w"], DESCENT_LIMITS["loss"]
        w0, l0 = d.ws[0], d.losses[0]
        self.start.set_data([w0], [l0])
        self.tangent.set_visible(bool(d.grads))
        if d.grads:
            g0, half = d.grads[0], 0.18 * (x_hi - x_lo)
            self.tangent.set_data([w0 - half, w0 + half], [l0 - g0 * half, l0 + g0 * half])
        landed, off, last = [], None, (w0, l0)
        for number in self.numbers:
            number.set_visible(False)
        for k in range(len(d.ws) - 1):
            wb, lb = d.ws[k + 1], d.losses[k + 1]
            if not (x_lo <= wb <= x_hi and lb <= y_hi):
                off = k + 1
                break
            landed.append((wb, lb))
            if _label_step(k, wb, lb, last, x_hi - x_lo, y_hi):
                self.numbers[k].set_visible(True)
                self.numbers[k].set_position((wb, lb + 0.025 * y_hi))
                self.numbers[k].set_text(str(k + 1))
                last = (wb, lb)
        points = np.array(landed).reshape(-1, 2)
        self.landings.set_data(points[:, 0], points[:, 1])
        tails = np.full((self.max_steps, 2), np.nan)
        tails[: len(points)] = np.array([(d.ws[k], d.losses[k]) for k in range(len(points))]).reshape(-1, 2)
        moves = np.ma.masked_invalid(np.full((self.max_steps, 2), np.nan))
        moves[: len(points)] = points - tails[: len(points)]
        self.arrows.set_offsets(np.nan_to_num(tails))
        self.arrows.set_UVC(moves[:, 0], moves[:, 1])
        self.off_note.set_visible(off is not None)
        if off is not None:
            self.off_note.set_text(f"step {off} jumps out of view\n(to w = {d.ws[off]:+.3g}); "
                                   "every later step lands farther out")  # fmt: skip
        self.left_title.set_text(f"lr = {d.lr:g}, start w = {d.w_start:+.2f}:")

        low, high = DESCENT_LIMITS["loss_log"]
        losses, outside = clip(d.losses, low, high)
        steps = np.arange(len(losses))
        self.per_step.set_data(steps, losses)
        above = np.asarray(d.losses) > high
        self.off_scale.set_visible(outside)
        self.off_scale.set_data(steps[above], losses[above])
        self.right_title.set_text(f"{d.stop_reason}: > 1e6 x the start" if d.diverged else
                                  f"{d.losses[0]:.3g} at the start, {d.losses[-1]:.3g} after step {d.steps_done}")


def descent_picture() -> DescentPicture:
    """A new picture for one descent demo (``Demo(descend_1d, descent_picture(), ...)``)."""
    return DescentPicture()
