"""Pictures that redraw only what changes: matplotlib's blitting, for demos that answer at once.

A demo's picture has parts that never change between two settings (axes over the controls' whole
range, ticks, labels, titles, a legend) and parts that do (lines, markers, an image, a few texts).
:class:`BlitFigure` draws the first kind once into a cached background and, for every new result,
restores that background, draws only the data artists onto it and encodes the pixels as PNG:

    class LossPicture(BlitFigure):
        def build(self, fig):                      # once: fixed axes, static parts, empty data artists
            ax = fig.add_subplot()
            ax.set(xlim=(0, 400), ylim=(1e-3, 10), yscale="log", xlabel="epoch")
            self.line = self.animated(ax.plot([], [])[0])

        def update(self, result):                  # every result: only set the data artists' data
            self.line.set_data(range(len(result.loss)), clip(result.loss, 1e-3, 10))

    Demo(run, LossPicture(), ...)                  # calling it returns a Frame (png, titles)

Because the axes are fixed, values outside them must still show: :func:`clip` pins them to the
edge (and says whether it had to), so a diverging run ends in a flat line along the top of the
plot with a marker that the picture's ``update`` draws, never in an empty or rescaled axis.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["Frame", "BlitFigure", "clip", "encode_png", "figure_titles"]


class Frame(NamedTuple):
    """One picture of a demo: PNG bytes and the titles it shows (for alt text)."""

    png: bytes
    titles: list[str]


def encode_png(rgba: Any) -> bytes:
    """PNG bytes of an RGBA pixel buffer (height x width x 4), fast: RGB, zlib level 1 (Pillow)."""
    from PIL import Image

    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"rgba must be a height x width x 4 buffer, but has shape {pixels.shape}.")
    image = Image.frombuffer("RGBA", (pixels.shape[1], pixels.shape[0]), np.ascontiguousarray(pixels), "raw",
                             "RGBA", 0, 1).convert("RGB")  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)  # fast beats small: 8 ms against 80 for savefig
    return buffer.getvalue()


def figure_titles(fig: Figure) -> list[str]:
    """The suptitle and every axes title of ``fig``, whitespace collapsed, empty ones left out."""
    titles = [fig.get_suptitle()] + [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    return [" ".join(t.split()) for t in titles if t.strip()]


def clip(values: Sequence[float], low: float, high: float) -> tuple[np.ndarray, bool]:
    """``values`` pinned into ``[low, high]`` (NaN and infinity to ``high``), and whether any had to be."""
    if not low < high:
        raise ValueError(f"low must be below high, but got low={low}, high={high}.")
    array = np.asarray(values, dtype=float)
    pinned = np.nan_to_num(array, nan=high, posinf=high, neginf=low)
    outside = bool(((pinned < low) | (pinned > high)).any() or not np.isfinite(array).all())
    return np.clip(pinned, low, high), outside


class BlitFigure:
    """A demo picture: static parts drawn once, data artists redrawn on the cached background.

    Subclasses implement ``build(fig)`` (make the axes with fixed limits and the static parts;
    create the data artists through :meth:`animated`) and ``update(result)`` (set the data artists'
    data, visibility and texts). Calling the picture with a result returns a :class:`Frame`.

    Args:
        figsize: the figure's size in inches.
        dpi: pixels per inch of the PNG (the demos use 80).
    """

    def __init__(self, figsize: tuple[float, float], dpi: int = 80) -> None:
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.artists: list[Artist] = []
        self._background: Any = None
        self.build(self.fig)

    def build(self, fig: Figure) -> None:
        """Make the axes, the static parts and the (empty) data artists. Override this."""
        raise NotImplementedError(f"{type(self).__name__} must define build(fig)")

    def update(self, result: Any) -> None:
        """Show ``result``: set the data artists' data. Override this."""
        raise NotImplementedError(f"{type(self).__name__} must define update(result)")

    def animated(self, artist: Artist) -> Any:
        """Register ``artist`` as data: left out of the background, drawn on every frame (in order)."""
        artist.set_animated(True)
        self.artists.append(artist)
        return artist

    def invalidate(self) -> None:
        """The static parts changed (say, a curve every setting shares): draw the background anew next frame."""
        self._background = None

    def rebuild(self) -> None:
        """The static parts change shape (say, one grid line per epoch for another number of epochs):
        clear the figure, call ``build`` again with the picture's current attributes, and draw the
        background anew next frame."""
        self.fig.clear()
        self.artists = []
        self.build(self.fig)
        self.invalidate()

    def __call__(self, result: Any) -> Frame:
        self.update(result)
        return Frame(self.frame(), figure_titles(self.fig))

    def frame(self) -> bytes:
        """PNG bytes of the background with the data artists, as they are now, drawn on it."""
        if self._background is None:
            self.canvas.draw()  # the static parts: animated artists are skipped
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.artists:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return encode_png(self.canvas.buffer_rgba())

    def full_redraw(self, result: Any) -> bytes:
        """The same picture drawn the slow way (everything, then PNG): what tests compare a frame with."""
        self.update(result)
        for artist in self.artists:
            artist.set_animated(False)
        try:
            self.canvas.draw()
            return encode_png(self.canvas.buffer_rgba())
        finally:
            for artist in self.artists:
                artist.set_animated(True)
            self._background = None  # the canvas now holds data: take the background again next time
