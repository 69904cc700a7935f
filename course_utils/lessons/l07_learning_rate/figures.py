"""Figures for lesson 07, the learning rate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ...blit import BlitFigure, clip
from ...checks import check_int
from ...history import ema
from ...plots import ALERT_COLOR, PALETTE, VAL_COLOR, log_axis, new_axes, plot_range_test, run_style, subplots
from .experiments import DescentPath, LrSweep, MomentumComparison, RangeTestThenTrain, descent_path

__all__ = [
    "plot_lr_comparison",
    "plot_lr_run",
    "LrRunPicture",
    "LR_LOSS_LIMITS",
    "plot_descent_paths",
    "plot_descent_path",
    "plot_momentum",
    "DescentPathPicture",
    "MomentumPicture",
    "GAP_LIMITS",
    "DISTANCE_LIMITS",
    "plot_range_test_then_train",
    "plot_lr_sweep",
    "plot_schedules",
]


# ----------------------------------------------------------------------------- training at different rates


def _finite(values) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _loss_panel(ax: Axes, run: Any, color: str, ylim: tuple[float, float] | None = None) -> None:
    """Loss of every step (thin), smoothed (thick), validation after each epoch (squares); log y axis."""
    h = run.history
    steps = list(range(1, h.steps + 1))
    ax.plot(steps, h.step_loss, color=color, alpha=0.35, linewidth=0.8, label="loss of each step")
    if h.step_loss:
        ax.plot(steps, ema(h.step_loss, 0.9), color=color, linewidth=2, label="smoothed")
    if h.epoch_val_loss:
        ax.plot(h.epoch_steps[: len(h.epoch_val_loss)], h.epoch_val_loss, "s", color=VAL_COLOR, markersize=5,
                label="validation (after each epoch)")  # fmt: skip
    log_axis(ax, "y")
    if ylim:
        ax.set_ylim(*ylim)
    total = h.batches_per_epoch * run.settings.get("epochs", h.epochs or 1)
    ax.set_xlim(0, max(total, h.steps, 1))
    if h.diverged:
        x = h.steps + 0.5
        ax.axvline(x, color=ALERT_COLOR, linestyle="--", linewidth=1.2)
        top = ax.get_ylim()[1]
        ax.annotate(_divergence_note(h), xy=(x, top), xytext=(6, -6),
                    textcoords="offset points", va="top", ha="left", color=ALERT_COLOR, fontsize=9)  # fmt: skip
    ax.set_xlabel("step (optimizer updates)")


def _shared_ylim(runs: Sequence[Any]) -> tuple[float, float]:
    values = _finite([v for r in runs for v in r.history.step_loss + r.history.epoch_val_loss])
    values = [v for v in values if v > 0] or [1.0]
    return min(values) / 1.5, min(max(values) * 3, 1e4)  # a blow-up leaves through the top


def plot_lr_comparison(runs: Sequence[Any], labels: Sequence[str] | None = None, *, title: str | None = None) -> Figure:
    """One panel per run, side by side, on the same log-scale loss axis: only the learning rate differs."""
    if not runs:
        raise ValueError("runs is empty: pass the list that compare_learning_rates returned.")
    n = len(runs)
    fig, axes = subplots(1, n, figsize=(3.6 * n, 3.6), sharey=True, squeeze=False,
                         adjust=dict(left=0.07, right=0.98, bottom=0.15, top=0.8, wspace=0.08))
    ylim = _shared_ylim(runs)
    for i, (ax, run) in enumerate(zip(axes[0], runs)):
        h = run.history
        _loss_panel(ax, run, PALETTE[i % len(PALETTE)], ylim)
        name = labels[i] if labels else f"lr = {run.settings['lr']:g}"
        outcome = (f"val loss {h.epoch_val_loss[-1]:.3f}" if h.epoch_val_loss and not h.diverged
                   else h.stop_reason)  # fmt: skip
        ax.set_title(f"{name}\n{outcome}", fontsize=10)
        if i == 0:
            ax.set_ylabel("loss (log scale)")
            ax.legend(loc="upper right", fontsize=8)
    s = runs[0].settings
    fig.suptitle(title or (f"same model, same data, same batches -- only the learning rate differs "
                           f"({s['optimizer']}, batch {s['batch_size']}, {s['epochs']} epochs)"))  # fmt: skip
    return fig


LR_LOSS_LIMITS = (1e-2, 1e3)
"""The learning-rate demo's loss axis (log scale): losses beyond it are drawn at its edge, said so in a
note; a run that diverged ends at a dashed line, with a cross on the top edge for the loss that stopped it."""
_LR_RUN_SIZE = (8, 3.6)
_LR_RUN_MARGINS = dict(left=0.1, right=0.97, bottom=0.15, top=0.88)  # new_axes' margins


def _lr_run_title(run: Any) -> str:
    h, s = run.history, run.settings
    outcome = f"final val loss {h.epoch_val_loss[-1]:.4f}" if h.epoch_val_loss and not h.diverged else h.stop_reason
    return f"{s['optimizer']} at lr = {s['lr']:.2g}: {outcome}"


def _divergence_note(h: Any) -> str:
    return f"{h.stop_reason}:\n" + h.divergence().replace(", ", ",\n")


def plot_lr_run(run: Any) -> Figure:
    """One run for the slider demo: fixed axes, so moving the slider compares like with like.

    The demo draws the same picture, with only the data redrawn, with :class:`LrRunPicture`."""
    fig, ax = new_axes(None, figsize=_LR_RUN_SIZE)
    _loss_panel(ax, run, PALETTE[0], LR_LOSS_LIMITS)
    ax.set_title(_lr_run_title(run))
    ax.set_ylabel("loss (log scale)")
    ax.legend(loc="lower left", fontsize=8)
    return fig


class LrRunPicture(BlitFigure):
    """The learning-rate demo's picture, as :func:`plot_lr_run` draws it, on axes fixed over every
    setting of its controls: ``steps`` optimizer steps (the lesson's problem: 25 batches x 5 epochs) and
    losses on ``LR_LOSS_LIMITS``. Axes, labels and legend are drawn once; only the three curves, the
    divergence marks, the note and the title are redrawn. A loss beyond the axis (a run blowing up)
    runs along its edge; a diverged run ends at a dashed line with a cross on the top edge."""

    def __init__(self, steps: int = 125) -> None:
        self.steps = check_int("steps", steps, minimum=1)
        super().__init__(figsize=_LR_RUN_SIZE)

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**_LR_RUN_MARGINS)
        self.ax = ax = fig.add_subplot()
        log_axis(ax, "y")
        ax.set_ylim(*LR_LOSS_LIMITS)
        ax.set_xlim(0, self.steps)
        ax.set_xlabel("step (optimizer updates)")
        ax.set_ylabel("loss (log scale)")
        color = PALETTE[0]
        self.step_line = self.animated(ax.plot([], [], color=color, alpha=0.35, linewidth=0.8,
                                               label="loss of each step")[0])  # fmt: skip
        self.smooth_line = self.animated(ax.plot([], [], color=color, linewidth=2, label="smoothed")[0])
        self.val_points = self.animated(ax.plot([], [], "s", color=VAL_COLOR, markersize=5,
                                                label="validation (after each epoch)")[0])  # fmt: skip
        self.stop_line = self.animated(ax.axvline(1, color=ALERT_COLOR, linestyle="--", linewidth=1.2))
        self.clip_note = self.animated(ax.text(0.99, 0.03, f"losses beyond {LR_LOSS_LIMITS[0]:g}-{LR_LOSS_LIMITS[1]:g}"
                                               " drawn at the edge", transform=ax.transAxes, ha="right", va="bottom",
                                               fontsize=8, color=ALERT_COLOR))  # fmt: skip
        self.stop_text = self.animated(ax.annotate("", xy=(1, LR_LOSS_LIMITS[1]), xytext=(6, -6),
                                                   textcoords="offset points", va="top", ha="left", color=ALERT_COLOR,
                                                   fontsize=9))  # fmt: skip
        self.stop_mark = self.animated(ax.plot([], [], marker="X", linestyle="none", color=ALERT_COLOR, markersize=10,
                                               markeredgecolor="black", clip_on=False, zorder=5)[0])  # fmt: skip
        self.title = self.animated(ax.set_title(" "))
        ax.legend(loc="lower left", fontsize=8).set_zorder(1.5)  # under the data, in the full drawing too

    def update(self, run: Any) -> None:
        h = getattr(run, "history", None)
        if h is None or "lr" not in getattr(run, "settings", {}):
            raise TypeError(f"expected the result of train_at_lr(...), but got {type(run).__name__}.")
        if h.steps > self.steps:
            raise ValueError(f"the run has {h.steps} steps but the picture's axis only {self.steps}: make it with "
                             "LrRunPicture(steps=...) for the demo's problem.")  # fmt: skip
        low, high = LR_LOSS_LIMITS
        steps = np.arange(1, h.steps + 1)
        losses, clipped = clip(h.step_loss, low, high)
        smooth, clipped_smooth = clip(ema(h.step_loss, 0.9), low, high) if h.step_loss else (losses, False)
        val, clipped_val = clip(h.epoch_val_loss, low, high)
        self.step_line.set_data(steps, losses)
        self.smooth_line.set_data(steps, smooth)
        self.val_points.set_data(h.epoch_steps[: len(val)], val)
        self.clip_note.set_visible(clipped or clipped_smooth or clipped_val)
        for artist in (self.stop_line, self.stop_text, self.stop_mark):
            artist.set_visible(h.diverged)
        if h.diverged:
            x = h.steps + 0.5
            self.stop_line.set_xdata([x, x])
            self.stop_mark.set_data([h.steps + 1], [high])  # the loss that stopped the run: off the top
            self.stop_text.xy = (x, high)
            right = x > 0.6 * self.steps  # late in the run: the note goes to the left of the line
            self.stop_text.set_horizontalalignment("right" if right else "left")
            self.stop_text.xyann = (-6 if right else 6, -6)
            self.stop_text.set_text(_divergence_note(h))
        self.title.set_text(_lr_run_title(run))


# ----------------------------------------------------------------------------- the path on the loss contour


def _surface(ax: Axes, path: DescentPath, window: tuple[float, float, float, float]) -> list[Artist]:
    """The loss of ``path``'s data over ``window`` as flat bands and contour lines, and the best (w, b) (a star)."""
    w_lo, w_hi, b_lo, b_hi = window
    W, B = np.meshgrid(np.linspace(w_lo, w_hi, 90), np.linspace(b_lo, b_hi, 90))
    Z = path.loss_at(W, B)
    levels = path.best_loss + (Z.max() - path.best_loss) * np.geomspace(2e-3, 1, 9)
    return [ax.contourf(W, B, Z, levels=levels, cmap="Blues_r", alpha=0.35),  # flat bands: small PNGs
            ax.contour(W, B, Z, levels=levels, colors="0.45", linewidths=0.5),
            ax.plot([path.w_best], [path.b_best], "*", color="black", markersize=12, zorder=5)[0]]  # fmt: skip


def _map_axes(ax: Axes, window: tuple[float, float, float, float]) -> None:
    w_lo, w_hi, b_lo, b_hi = window
    ax.set_xlim(w_lo, w_hi)
    ax.set_ylim(b_lo, b_hi)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_aspect("equal", adjustable="box")  # equal scales: the steps cross the contour lines at right angles
    ax.set_xlabel("w (slope)")
    ax.grid(False)


def _contour(ax: Axes, path: DescentPath, window: tuple[float, float, float, float]) -> None:
    _surface(ax, path, window)
    _map_axes(ax, window)


def _window(path: DescentPath) -> tuple[float, float, float, float]:
    (w0, b0) = path.path[0]
    r = 1.3 * max(abs(w0 - path.w_best), abs(b0 - path.b_best))
    return path.w_best - r, path.w_best + r, path.b_best - r, path.b_best + r


_NOTE_STYLE = dict(color=ALERT_COLOR, fontsize=8.5, va="bottom", zorder=9,
                   bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=2))  # fmt: skip
_PATH_STYLE = dict(linestyle="-", linewidth=1.4, markersize=3.5, zorder=6)
_START_STYLE = dict(marker="o", linestyle="none", color="black", markersize=6, zorder=8)


def _shown(path: DescentPath, window: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The path's w and b up to the first point off the map (included: the line heads off the edge), and that
    point's step (None: the path stays on the map)."""
    w_lo, w_hi, b_lo, b_hi = window
    outside = next((k for k, (w, b) in enumerate(path.path) if not (w_lo <= w <= w_hi and b_lo <= b <= b_hi)), None)
    shown = np.asarray(path.path if outside is None else path.path[: outside + 1], dtype=float).reshape(-1, 2)
    return shown[:, 0], shown[:, 1], outside


def _left_note(path: DescentPath, outside: int, name: str = "") -> str:
    return f"{name}left the map at step {outside};\nafter {len(path.path) - 1} steps loss = {path.losses[-1]:.2g}"


def _path_color(path: DescentPath) -> str:
    return PALETTE[3] if path.kind == "flies off" else PALETTE[1]


def _draw_path(ax: Axes, path: DescentPath, color: str, marker: str = "o", name: str = "") -> str | None:
    """Every step as a dot joined by a line; a path that leaves the map is drawn up to where it leaves.
    Returns the note that says where it left (None: it stays on the map)."""
    ws, bs, outside = _shown(path, (*ax.get_xlim(), *ax.get_ylim()))
    ax.plot(ws, bs, marker=marker, color=color, **_PATH_STYLE)
    ax.plot(ws[:1], bs[:1], **_START_STYLE)
    return None if outside is None else _left_note(path, outside, name)


def _note(ax: Axes, notes: Sequence[str | None]) -> None:
    text = "\n".join(n for n in notes if n)
    if text:
        ax.text(0.03, 0.04, text, transform=ax.transAxes, **_NOTE_STYLE)


def plot_descent_paths(paths: Sequence[DescentPath]) -> Figure:
    """One contour map per learning rate with the path of the optimizer on it (all on the same map)."""
    if not paths:
        raise ValueError("paths is empty: pass the list that descent_paths returned.")
    n = len(paths)
    fig, axes = subplots(1, n, figsize=(2.75 * n, 3.3), sharey=True, squeeze=False,
                         adjust=dict(left=0.06, right=0.99, bottom=0.14, top=0.78, wspace=0.06))
    window = _window(paths[0])
    for i, (ax, path) in enumerate(zip(axes[0], paths)):
        _contour(ax, path, window)
        _note(ax, [_draw_path(ax, path, _path_color(path))])
        ax.set_title(f"lr = {path.lr:.3g} ({path.lr / path.critical_lr:.2f} x critical)\n{path.kind}", fontsize=10)
        if i == 0:
            ax.set_ylabel("b (bias)")
    p = paths[0]
    fig.suptitle(
        f"{p.steps} steps of full-batch SGD on y = w*x + b (x from {p.offset - 1:g} to {p.offset + 1:g}); "
        f"black star = best (w, b), critical lr = 2 / curvature = {p.critical_lr:.3f}",
        fontsize=10,
    )
    return fig


_DESCENT_SIZE = (9, 3.7)
_DESCENT_GRID = {"width_ratios": [1, 1.25]}
_DESCENT_MARGINS = dict(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.28)
GAP_LIMITS = (1e-7, 1e7)
"""The descent demo's loss axis (the loss above the best possible, log scale): a run that flies off is
drawn along its top edge from where it passes 1e7, and ends in a cross."""
_STOP_STYLE = dict(marker="X", linestyle="none", markersize=10, markeredgecolor="black", clip_on=False, zorder=7)


def _gap_axes(ax: Axes, steps: int) -> None:
    log_axis(ax, "y")
    ax.set_ylim(*GAP_LIMITS)
    ax.set_yticks([1e-6, 1e-3, 1, 1e3, 1e6])  # few ticks: each one costs drawing time
    ax.set_xlim(0, steps)
    ax.set_xlabel("step")
    ax.set_ylabel("loss above the best possible")


def _gaps(path: DescentPath) -> tuple[np.ndarray, bool]:
    """The loss above the best after every step, pinned under the top of GAP_LIMITS (and whether it had to be)."""
    return clip(np.maximum(np.asarray(path.losses) - path.best_loss, 1e-12), 1e-12, GAP_LIMITS[1])


def _descent_titles(path: DescentPath) -> tuple[str, str]:
    return (f"lr = {path.lr:.3g} = {path.lr / path.critical_lr:.2f} x critical: {path.kind}",
            f"{path.stop_reason}; final loss {path.losses[-1]:.4g}")  # fmt: skip


def _diverged(path: DescentPath) -> bool:
    return path.stop_reason.startswith("diverged")


def plot_descent_path(path: DescentPath) -> Figure:
    """The slider demo: the path on the contour map (left) and the loss after every step (right).

    The demo draws the same picture, on axes fixed over all its settings, with :class:`DescentPathPicture`."""
    fig, (left, right) = subplots(1, 2, figsize=_DESCENT_SIZE, gridspec_kw=_DESCENT_GRID, adjust=_DESCENT_MARGINS)
    _contour(left, path, _window(path))
    _note(left, [_draw_path(left, path, _path_color(path))])
    left.set_ylabel("b (bias)")
    _gap_axes(right, path.steps)
    gaps, _ = _gaps(path)
    right.plot(range(len(gaps)), gaps, "o-", color=PALETTE[0], markersize=3)
    if _diverged(path):
        right.plot([len(gaps) - 1], gaps[-1:], color=ALERT_COLOR, **_STOP_STYLE)
    titles = _descent_titles(path)
    left.set_title(titles[0], fontsize=10)
    right.set_title(titles[1], fontsize=10)
    return fig


class DescentPathPicture(BlitFigure):
    """The descent demo's picture, as :func:`plot_descent_path` draws it, on axes fixed over every setting
    of its controls: one map that holds the start and the best (w, b) of every offset in ``offsets``, and
    steps up to ``max_steps``. The loss maps are drawn once (one per offset; a change of offset swaps the
    background), only the path, the loss curve, the titles and the notes are redrawn. A path that leaves
    the map is drawn up to where it leaves, with a note; a loss beyond ``GAP_LIMITS`` runs along the top
    edge and ends in a cross."""

    def __init__(self, offsets: Sequence[float] = (1.0, 0.0, 2.0), max_steps: int = 100) -> None:
        self.max_steps = check_int("max_steps", max_steps, minimum=1)
        self.maps = {float(o): descent_path(0.1, steps=1, offset=float(o)) for o in offsets}  # data, start, best
        if not self.maps:
            raise ValueError("offsets is empty: pass the offsets the demo's dropdown offers.")
        windows = np.array([_window(p) for p in self.maps.values()])
        self.window = (windows[:, 0].min(), windows[:, 1].max(), windows[:, 2].min(), windows[:, 3].max())
        self.offset: float | None = None
        super().__init__(figsize=_DESCENT_SIZE)

    def build(self, fig: Figure) -> None:
        grid = fig.add_gridspec(1, 2, **_DESCENT_GRID, **_DESCENT_MARGINS)
        self.left, self.right = left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        self.surfaces = {o: _surface(left, p, self.window) for o, p in self.maps.items()}
        _map_axes(left, self.window)
        left.set_ylabel("b (bias)")
        _gap_axes(right, self.max_steps)
        self.path = self.animated(left.plot([], [], marker="o", **_PATH_STYLE)[0])
        start = next(iter(self.maps.values())).path[0]
        self.start = self.animated(left.plot([start[0]], [start[1]], **_START_STYLE)[0])
        self.left_note = self.animated(left.text(0.03, 0.04, "", transform=left.transAxes, **_NOTE_STYLE))
        self.left_title = self.animated(left.set_title(" ", fontsize=10))
        self.gaps = self.animated(right.plot([], [], "o-", color=PALETTE[0], markersize=3)[0])
        self.clip_note = self.animated(right.text(0.98, 0.97, f"loss beyond {GAP_LIMITS[1]:.0e}: drawn at the top",
                                                  transform=right.transAxes, ha="right", va="top", fontsize=8,
                                                  color=ALERT_COLOR))  # fmt: skip
        self.stop = self.animated(right.plot([], [], color=ALERT_COLOR, **_STOP_STYLE)[0])
        self.right_title = self.animated(right.set_title(" ", fontsize=10))
        self._show_map(next(iter(self.maps)))

    def _show_map(self, offset: float) -> None:
        if offset != self.offset:
            for o, artists in self.surfaces.items():
                for artist in artists:
                    artist.set_visible(o == offset)
            self.offset = offset
            self.invalidate()  # another map: the background is drawn anew once

    def update(self, path: DescentPath) -> None:
        if not isinstance(path, DescentPath):
            raise TypeError(f"expected the result of descent_path(...), but got {type(path).__name__}.")
        if path.offset not in self.maps or len(path.path) - 1 > self.max_steps:
            raise ValueError(f"this picture shows offsets {sorted(self.maps)} and up to {self.max_steps} steps, but "
                             f"got offset {path.offset:g} and {len(path.path) - 1} steps: make it with "
                             "DescentPathPicture(offsets=..., max_steps=...) for the demo's controls.")  # fmt: skip
        self._show_map(path.offset)
        ws, bs, outside = _shown(path, self.window)
        self.path.set_data(ws, bs)
        self.path.set_color(_path_color(path))
        self.left_note.set_visible(outside is not None)
        self.left_note.set_text("" if outside is None else _left_note(path, outside))
        gaps, clipped = _gaps(path)
        self.gaps.set_data(np.arange(len(gaps)), gaps)
        self.clip_note.set_visible(clipped)
        self.stop.set_visible(_diverged(path))
        self.stop.set_data([len(gaps) - 1], gaps[-1:])
        left, right = _descent_titles(path)
        self.left_title.set_text(left)
        self.right_title.set_text(right)


# ----------------------------------------------------------------------------- momentum

_MOMENTUM_SIZE = (9.5, 3.8)
_MOMENTUM_GRID = {"width_ratios": [1, 1.3]}
_MOMENTUM_MARGINS = dict(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
_MOMENTUM_RUNS = ((PALETTE[1], "o", "--"), (PALETTE[2], "s", ":"))  # plain, momentum: colour, marker, predicted
DISTANCE_LIMITS = (1e-7, 1e3)
"""The momentum demo's distance axis (log scale): a run that flies off is drawn along its top edge from
where it passes 1e3, and ends in a cross."""


def _momentum_axes(left: Axes, right: Axes, plain: DescentPath, steps: int) -> None:
    _contour(left, plain, _window(plain))
    left.set_ylabel("b (bias)")
    log_axis(right, "y")
    right.set_ylim(*DISTANCE_LIMITS)
    right.set_yticks([1e-6, 1e-4, 1e-2, 1, 1e2])  # few ticks: each one costs drawing time
    right.set_xlim(0, steps)
    right.set_xlabel("step")
    right.set_ylabel("distance to the best (w, b)")


def _distances(path: DescentPath) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The distance after every step pinned under the top of DISTANCE_LIMITS (and whether it had to be), and
    the distance theory predicts (None when its factor per step is not below 1)."""
    d = np.maximum(path.distances(), 1e-12)
    measured, clipped = clip(d, 1e-12, DISTANCE_LIMITS[1])
    rate = path.predicted_rate
    return measured, clipped, (d[0] * rate ** np.arange(len(d)) if rate < 1 else None)


def _run_names(comparison: MomentumComparison) -> tuple[str, str]:
    return "plain SGD", f"momentum {comparison.heavy.momentum:.2g}"


def _momentum_titles(comparison: MomentumComparison) -> tuple[str, str]:
    plain, heavy = comparison.plain, comparison.heavy
    return (f"plain SGD, lr {plain.lr:.3g} (orange circles)\nmomentum {heavy.momentum:.2g}, lr {heavy.lr:.3g} "
            "(green squares)", f"critical lr: plain {plain.critical_lr:.3f}, momentum {heavy.critical_lr:.3f}")


def plot_momentum(comparison: MomentumComparison) -> Figure:
    """Plain SGD and SGD with momentum on the same contour map (left), and how far each is from the best
    weights after every step, with the factor per step that theory predicts as a dashed line (right).

    The demo draws the same picture, with only the data redrawn, with :class:`MomentumPicture`."""
    plain, heavy = comparison.plain, comparison.heavy
    fig, (left, right) = subplots(1, 2, figsize=_MOMENTUM_SIZE, gridspec_kw=_MOMENTUM_GRID, adjust=_MOMENTUM_MARGINS)
    _momentum_axes(left, right, plain, plain.steps)
    notes = []
    for path, name, (color, marker, predicted_style) in zip((plain, heavy), _run_names(comparison), _MOMENTUM_RUNS):
        notes.append(_draw_path(left, path, color, marker, f"{name}: "))
        measured, _, predicted = _distances(path)
        steps = range(len(measured))
        right.plot(steps, measured, "-", marker=marker, color=color, markersize=2.5, linewidth=1.2,
                   label=f"{name}: measured")  # fmt: skip
        if predicted is not None:
            right.plot(steps, predicted, predicted_style, color=color, linewidth=1,
                       label=f"{name}: predicted x{path.predicted_rate:.3f} per step")  # fmt: skip
        if _diverged(path):
            right.plot([len(measured) - 1], measured[-1:], color=color, **_STOP_STYLE)
    _note(left, notes)
    titles = _momentum_titles(comparison)
    left.set_title(titles[0], fontsize=9.5)
    right.set_title(titles[1], fontsize=10)
    right.legend(loc="lower left", fontsize=7.5)
    return fig


class MomentumPicture(BlitFigure):
    """The momentum demo's picture, as :func:`plot_momentum` draws it, on axes fixed over every setting of
    its sliders (the map of the offset's data, ``steps`` steps, distances on ``DISTANCE_LIMITS``). The map,
    the axes and the legend are drawn once; only the two paths, the distance curves, the titles and the
    notes are redrawn. The factors per step that theory predicts are in the right title (the legend is
    static). A path that leaves the map is drawn up to where it leaves, with a note; a distance beyond
    the axis runs along its top edge and ends in a cross."""

    def __init__(self, steps: int = 40, offset: float = 1.0) -> None:
        self.steps = check_int("steps", steps, minimum=1)
        self.map = descent_path(0.1, steps=1, offset=offset)  # the data, the start and the best (w, b)
        super().__init__(figsize=_MOMENTUM_SIZE)

    def build(self, fig: Figure) -> None:
        grid = fig.add_gridspec(1, 2, **_MOMENTUM_GRID, **_MOMENTUM_MARGINS)
        self.left, self.right = left, right = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        _momentum_axes(left, right, self.map, self.steps)
        self.paths, self.measured, self.predicted, self.stops = [], [], [], []
        for name, (color, marker, predicted_style) in zip(("plain SGD", "momentum"), _MOMENTUM_RUNS):
            self.paths.append(self.animated(left.plot([], [], marker=marker, color=color, **_PATH_STYLE)[0]))
            self.measured.append(self.animated(right.plot([], [], "-", marker=marker, color=color, markersize=2.5,
                                                          linewidth=1.2, label=f"{name}: measured")[0]))  # fmt: skip
            self.predicted.append(self.animated(right.plot([], [], predicted_style, color=color, linewidth=1,
                                                           label=f"{name}: predicted")[0]))  # fmt: skip
        for color, _, _ in _MOMENTUM_RUNS:  # after the curves, as their zorder puts them in the full drawing
            self.stops.append(self.animated(right.plot([], [], color=color, **_STOP_STYLE)[0]))
        (w0, b0) = self.map.path[0]
        self.start = self.animated(left.plot([w0], [b0], **_START_STYLE)[0])
        self.left_note = self.animated(left.text(0.03, 0.04, "", transform=left.transAxes, **_NOTE_STYLE))
        self.clip_note = self.animated(right.text(0.98, 0.97, f"distance beyond {DISTANCE_LIMITS[1]:g}: drawn at "
                                                  "the top", transform=right.transAxes, ha="right", va="top",
                                                  fontsize=8, color=ALERT_COLOR))  # fmt: skip
        self.left_title = self.animated(left.set_title(" ", fontsize=9.5))
        self.right_title = self.animated(right.set_title(" ", fontsize=10))
        right.legend(loc="lower left", fontsize=7.5).set_zorder(1.5)  # under the data, in the full drawing too

    def update(self, comparison: MomentumComparison) -> None:
        if not isinstance(comparison, MomentumComparison):
            raise TypeError(f"expected the result of compare_momentum(...), but got {type(comparison).__name__}.")
        plain = comparison.plain
        if plain.offset != self.map.offset or plain.path[0] != self.map.path[0] or plain.steps > self.steps:
            raise ValueError(f"this picture shows offset {self.map.offset:g} from {self.map.path[0]} for up to "
                             f"{self.steps} steps, but got offset {plain.offset:g} from {plain.path[0]} for "
                             f"{plain.steps}: make it with MomentumPicture(steps=..., offset=...).")  # fmt: skip
        window = _window(self.map)
        notes, rates, clipped = [], [], False
        for i, (path, name) in enumerate(zip((plain, comparison.heavy), _run_names(comparison))):
            ws, bs, outside = _shown(path, window)
            self.paths[i].set_data(ws, bs)
            if outside is not None:
                notes.append(_left_note(path, outside, f"{name}: "))
            measured, out, predicted = _distances(path)
            steps = np.arange(len(measured))
            clipped |= out
            self.measured[i].set_data(steps, measured)
            self.predicted[i].set_visible(predicted is not None)
            if predicted is not None:
                self.predicted[i].set_data(steps, predicted)
            self.stops[i].set_visible(_diverged(path))
            self.stops[i].set_data(steps[-1:], measured[-1:])
            rate = path.predicted_rate
            rates.append(f"{name.split()[0]} x{rate:.3f}" if rate < 1 else f"{name.split()[0]} x{rate:.2f} (> 1)")
        self.left_note.set_visible(bool(notes))
        self.left_note.set_text("\n".join(notes))
        self.clip_note.set_visible(clipped)
        left, right = _momentum_titles(comparison)
        self.left_title.set_text(left)
        self.right_title.set_text(f"{right}\npredicted per step: {', '.join(rates)}")


# ----------------------------------------------------------------------------- range test, then train


def plot_range_test_then_train(result: RangeTestThenTrain) -> Figure:
    """Left: the range test with the three chosen rates marked. Right: training at each of them."""
    fig, (left, right) = subplots(1, 2, figsize=(11, 3.9),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.22))
    plot_range_test(result.test, ax=left)
    colors = [PALETTE[5], PALETTE[2], PALETTE[3]]
    dashes = ["-.", "--", (0, (6, 2, 1, 2, 1, 2))]  # each rate its own line style, in both panels
    for run, label, color, dash in zip(result.runs, result.labels, colors, dashes):
        lr = run.settings["lr"]
        if label != "suggested":
            left.axvline(lr, color=color, linestyle=dash, linewidth=1.2, label=f"{label}, lr={lr:.1e}")
        h = run.history
        steps = list(range(1, h.steps + 1))
        outcome = h.stop_reason if h.diverged else f"val loss {h.epoch_val_loss[-1]:.3f}"
        right.plot(steps, ema(h.step_loss, 0.9), color=color, linestyle=dash, linewidth=2,
                   label=f"{label} (lr={lr:.2g}): {outcome}")  # fmt: skip
        if h.diverged:
            top = max(r.history.step_loss[0] for r in result.runs) * 30
            right.plot([h.steps], [min(h.step_loss[-1], top)], "X", color=ALERT_COLOR, markersize=10, clip_on=False)
    left.legend(loc="upper left", fontsize=7.5)
    left.set_title("1. range test (model and optimizer restored after)", fontsize=10)
    log_axis(right, "y")
    right.set_ylim(_shared_ylim(result.runs)[0], max(r.history.step_loss[0] for r in result.runs) * 30)
    right.set_xlabel("step (optimizer updates)")
    right.set_ylabel("training loss, smoothed (log)")
    right.set_title("2. train from the same start at three rates", fontsize=10)
    right.legend(loc="upper right", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- SGD against Adam


def plot_lr_sweep(sweep: LrSweep) -> Figure:
    """Final validation loss against learning rate, one line per optimizer; diverged runs as crosses on top."""
    fig, ax = new_axes(None, figsize=(8, 4))
    fig.subplots_adjust(top=0.86)
    finite = _finite([v for values in sweep.final_loss.values() for v in values])
    top = max(finite) * 4 if finite else 10.0
    for i, (name, values) in enumerate(sweep.final_loss.items()):
        style = run_style(i)
        color = style["color"]
        ax.plot(sweep.lrs, values, **style, label=name)
        bad = [lr for lr, d in zip(sweep.lrs, sweep.diverged_at[name]) if d is not None]
        if bad:
            ax.plot(bad, [top] * len(bad), "X", color=color, markersize=10, linestyle="none",
                    label=f"{name}: diverged (loss NaN or 10,000x its start)")  # fmt: skip
        lr_best, loss_best = sweep.best(name)
        ax.plot([lr_best], [loss_best], "*", color=color, markersize=16, markeredgecolor="black", zorder=5)
        low, high = sweep.good_range(name)
        ax.hlines(2 * loss_best, low, high, color=color, linewidth=7, alpha=0.3,
                  label=f"{name}: within 2x of its best, lr {low:.2g} to {high:.2g}")  # fmt: skip
    log_axis(ax, "x")
    log_axis(ax, "y")
    ax.set_ylim(None, top * 2)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("validation loss after training (log)")
    s = sweep.settings
    ax.set_title(f"{len(sweep.lrs)} learning rates, {s['epochs']} epochs each on '{s['data']}': star = best, "
                 "bar = rates within 2x of the best", fontsize=10)  # fmt: skip
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    return fig


# ----------------------------------------------------------------------------- schedules


def plot_schedules(runs: dict[str, Any]) -> Figure:
    """Left: the learning rate of every step, one line per schedule. Right: the validation loss after each
    epoch (log scale); a run that diverged ends with a cross."""
    if not runs:
        raise ValueError("runs is empty: pass the dict that compare_schedules returned.")
    fig, (left, right) = subplots(1, 2, figsize=(11, 4.6),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.3, top=0.9, wspace=0.22))
    for i, (name, run) in enumerate(runs.items()):
        h, style = run.history, run_style(i)
        color = style["color"]
        left.plot(range(1, h.steps + 1), h.step_lr, **run_style(i, markers=False), linewidth=1.8, label=name)
        epochs = list(range(1, len(h.epoch_val_loss) + 1))
        outcome = h.stop_reason if h.diverged else f"{h.epoch_val_loss[-1]:.4f}"
        right.plot(epochs, h.epoch_val_loss, **style, linewidth=1.6, label=f"{name}: {outcome}")
        if h.diverged:
            right.plot([len(epochs) + 0.5], [h.epoch_val_loss[-1] if h.epoch_val_loss else 1.0], "X", color=color,
                       markersize=11)  # fmt: skip
    left.set_xlabel("step (optimizer updates)")
    left.set_ylabel("learning rate")
    left.set_title("the learning rate of every step", fontsize=10)
    log_axis(right, "y")
    right.set_xlabel("epoch")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylabel("validation loss (log)")
    right.set_title("validation loss after each epoch (the last one in the legend)", fontsize=10)
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig
