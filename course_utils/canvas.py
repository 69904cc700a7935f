"""Where every course figure is made: :func:`subplots`, which can hand a demo's figure back for redrawing.

Drawing a new matplotlib figure is mostly fixed cost: the tick marks, tick labels and text layout
of every axes are built from nothing. An interactive demo draws the *same kind* of figure on every
slider change, so it keeps one figure and asks the plot function to draw into it again::

    with reuse_figure(previous) as slot:      # previous: the figure the last redraw returned, or None
        fig = plot_history(run)               # plot functions call subplots(), which takes `previous`
    previous = slot.figure                    # the figure to hand back next time (None if not reusable)

:func:`subplots` then clears the old axes' contents (lines, patches, texts, legends, scales, tick
positions, limits, titles, labels) but keeps the axes and their tick objects, and the figure keeps
its renderer, whose text measurements are cached. On a two-panel loss plot this cuts the time
to draw by about a third (``python -m bench`` measures it). The picture is the same, pixel for pixel,
as drawing on a new figure; ``tests/test_canvas.py`` checks that for every demo's plot.

Outside ``reuse_figure`` (the normal case in a notebook cell) :func:`subplots` is exactly
``plt.subplots`` followed by ``fig.subplots_adjust``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["subplots", "reuse_figure", "FigureSlot"]


@dataclass
class FigureSlot:
    """What :func:`reuse_figure` lends to the next :func:`subplots` call, and what it gives back."""

    figure: Figure | None = None  # in: the figure to draw into; out: the figure to reuse next time
    taken: bool = False  # True once a subplots() call inside the block used the slot


class _Layout(NamedTuple):
    """What a reusable figure was made with, and its axes as first made (kept on the figure)."""

    key: tuple  # the subplots() arguments
    axes: Any  # what subplots() returned: one Axes or an array of them
    all_axes: list[Axes]  # fig.axes right after it was made (twinx or colorbar axes come later)
    pristine: list[dict[str, Any]]  # each axes' settings when new, see _pristine()


_SLOTS: list[FigureSlot] = []  # a stack: the innermost reuse_figure() block is served first


@contextmanager
def reuse_figure(figure: Figure | None) -> Iterator[FigureSlot]:
    """Let the first :func:`subplots` call inside the block draw into ``figure`` (or create a reusable one).

    Only the first call is served: a plot function that makes a second figure gets a new one as
    usual. After the block, ``slot.figure`` is the figure to pass next time (``None`` when no
    reusable figure was made, for example when the plot function raised).
    """
    slot = FigureSlot(figure=figure)
    _SLOTS.append(slot)
    try:
        yield slot
    except BaseException:
        slot.figure = None  # a half-drawn figure is not trusted again
        raise
    finally:
        _SLOTS.remove(slot)
        if not slot.taken:
            slot.figure = None


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], adjust: dict[str, float] | None = None,
    **kwargs: Any,
) -> tuple[Figure, Any]:  # fmt: skip
    """``plt.subplots(nrows, ncols, figsize=figsize, **kwargs)`` then ``fig.subplots_adjust(**adjust)``.

    Fixed margins (``adjust``) instead of a layout engine keep redraws fast. Inside
    :func:`reuse_figure` the figure comes from the slot (emptied, same axes) when it has the same
    layout, else a fresh one that is not registered with pyplot (so Jupyter does not show it by
    itself) and can be reused next time.
    """
    adjust = dict(adjust or {})
    slot = next((s for s in reversed(_SLOTS) if not s.taken), None)
    if slot is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
        fig.subplots_adjust(**adjust)
        return fig, axes
    slot.taken = True
    key = (nrows, ncols, tuple(figsize), tuple(sorted(adjust.items())), repr(sorted(kwargs.items())))
    fig = slot.figure
    layout: _Layout | None = getattr(fig, "_course_layout", None)
    if layout is not None and layout.key == key and all(ax in fig.axes for ax in layout.all_axes):
        for extra in [ax for ax in fig.axes if ax not in layout.all_axes]:  # twinx() or colorbar axes: made again
            fig.delaxes(extra)
        _empty_figure(fig, layout)
        axes = layout.axes
    else:
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)  # its own Agg canvas: savefig keeps one renderer (and its text cache)
        axes = fig.subplots(nrows, ncols, **kwargs)
        fig.subplots_adjust(**adjust)
        fig._course_layout = _Layout(key, axes, list(fig.axes), [_pristine(ax) for ax in fig.axes])
    slot.figure = fig
    return fig, axes


def _pristine(ax: Axes) -> dict[str, Any]:
    """The settings of a new axes that plot functions may change and :func:`_empty_axes` restores."""
    return {
        "tick_kw": [dict(a._major_tick_kw) for a in (ax.xaxis, ax.yaxis)],
        "minor_kw": [dict(a._minor_tick_kw) for a in (ax.xaxis, ax.yaxis)],
        "margins": ax.margins(),
        "facecolor": ax.get_facecolor(),
    }


def _empty_figure(fig: Figure, layout: _Layout) -> None:
    for artist in [*fig.texts, *fig.legends, *fig.lines, *fig.patches, *fig.images, *fig.artists]:
        artist.remove()  # suptitle() and supxlabel() are figure texts too
    fig._suptitle = fig._supxlabel = fig._supylabel = None
    for ax, pristine in zip(layout.all_axes, layout.pristine):
        _empty_axes(ax, pristine)


def _empty_axes(ax: Axes, pristine: dict[str, Any]) -> None:
    """Remove everything drawn on ``ax`` and restore what plot functions set, keeping the tick objects."""
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images, *ax.tables, *ax.artists]:
        artist.remove()
    ax.containers.clear()
    if ax.legend_ is not None:
        ax.legend_.remove()
    for axis, tick_kw, minor_kw in zip((ax.xaxis, ax.yaxis), pristine["tick_kw"], pristine["minor_kw"]):
        if axis._major_tick_kw != tick_kw or axis._minor_tick_kw != minor_kw:  # tick_params() was used
            axis._major_tick_kw, axis._minor_tick_kw = dict(tick_kw), dict(minor_kw)
            axis.reset_ticks()
        axis.set_inverted(False)
        axis.set_label_text("")
    ax.set_xscale("linear")  # also restores the default tick locators and formatters
    ax.set_yscale("linear")
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc)
    ax.set_prop_cycle(None)
    ax.set_aspect("auto")
    ax.set_axis_on()
    ax.grid(plt.rcParams["axes.grid"])
    ax.margins(*pristine["margins"])
    ax.set_facecolor(pristine["facecolor"])
    ax.relim()
    ax.set_autoscale_on(True)
    ax.autoscale_view()
