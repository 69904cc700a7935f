"""Accessibility: alt text for figures, contrast of coloured text, curves that differ by more than colour.

* :func:`alt_for` describes a figure in words -- its titles, axes, and each labelled curve with its
  first, last and lowest value -- and :func:`register_alt_text` makes every figure a notebook
  displays carry that description as the ``alt`` of its ``image/png`` output (``setup()`` calls it).
* :func:`contrast_ratio` is the WCAG 2 contrast ratio; every colour the course writes into html is
  tested against JupyterLab's light and dark backgrounds (:data:`THEME_BACKGROUNDS`).
* :func:`colour_only_curves` finds curves that a reader could only tell apart by their colour.
"""

from __future__ import annotations

import math
import re
from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

__all__ = [
    "THEME_BACKGROUNDS",
    "MIN_CONTRAST",
    "alt_for",
    "register_alt_text",
    "relative_luminance",
    "contrast_ratio",
    "html_colours",
    "colour_only_curves",
]

# --jp-layout-color0 of JupyterLab's themes (@jupyterlab/theme-light-extension and theme-dark-extension):
# the background of a notebook's outputs.
THEME_BACKGROUNDS = {"JupyterLab Light": "#ffffff", "JupyterLab Dark": "#111111"}
MIN_CONTRAST = 4.5  # WCAG 2 level AA for normal-size text
MAX_ALT_CHARS = 1200  # a screen reader reads all of it: the key numbers, not every point


# -- alt text --------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _num(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def _finite(values: Any) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def _curve(line: Any) -> str | None:
    """One labelled line in words: a level (a horizontal line), a position (a vertical one), or a curve."""
    label = _clean(line.get_label())
    if not label or label.startswith("_"):
        return None
    xs, ys = _finite(line.get_xdata()), _finite(line.get_ydata())
    if not ys or not xs:
        return None  # a legend entry drawn for another artist (e.g. a contour line): the label is elsewhere
    if len(set(ys)) == 1 and len(ys) <= 2 and len(set(xs)) > 1:
        return label if _num(ys[0]) in label else f"{label} at {_num(ys[0])}"
    if len(set(xs)) == 1 and len(xs) <= 2 and len(set(ys)) > 1:
        return label if _num(xs[0]) in label else f"{label} at x={_num(xs[0])}"
    if len(ys) == 1:
        return f"{label} at ({_num(xs[0])}, {_num(ys[0])})"
    pairs = list(zip(_finite(line.get_xdata()), _finite(line.get_ydata())))
    x_low, y_low = min(pairs, key=lambda p: p[1]) if pairs else (xs[0], min(ys))
    text = f"{label}: {len(ys)} points, from {_num(ys[0])} to {_num(ys[-1])}"
    if _num(y_low) not in (_num(ys[0]), _num(ys[-1])) and y_low < min(ys[0], ys[-1]):
        text += f", lowest {_num(y_low)} at x={_num(x_low)}"
    return text


def _axis(ax: Axes, which: str, ranged: bool = True) -> str:
    """``"epoch from 1 to 5"``; empty for an axis without a label (a diagram's, or one the panel beside names)."""
    label = _clean(ax.get_xlabel() if which == "x" else ax.get_ylabel())
    if not label:
        return ""
    low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
    scale = (ax.get_xscale if which == "x" else ax.get_yscale)()
    text = f"{which} axis: {label}" + (f" from {_num(low)} to {_num(high)}" if ranged else "")
    return text + (f" ({scale} scale)" if scale != "linear" and scale not in label else "")


def _bar_series(ax: Axes) -> list[tuple[str, list[float]]]:
    """The panel's bar series as (label, sizes): bars drawn one ``bar`` call at a time (a stacked or
    grouped chart) join the labelled series of the same colour and hatch."""
    series: dict[Any, tuple[str, list[float]]] = {}
    for container in ax.containers:
        patches = [p for p in container if hasattr(p, "get_height")]
        if not patches:
            continue
        size = "get_width" if getattr(container, "orientation", "vertical") == "horizontal" else "get_height"
        label = _clean(container.get_label())
        key = (tuple(patches[0].get_facecolor()), patches[0].get_hatch())
        if label.startswith("_"):
            label = ""
        else:
            key = (key, label) if key in series and series[key][0] else key
        name, sizes = series.setdefault(key, (label, []))
        series[key] = (name or label, sizes)
        sizes += _finite(getattr(p, size)() for p in patches)
    return [item for item in series.values() if item[1]]


def _bars(label: str, heights: list[float]) -> str:
    """One set of bars: its label and heights (each of up to 12 bars, else their range)."""
    label = label + ": " if label else ""
    if len(heights) == 1:
        return f"{label}1 bar of height {_num(heights[0])}"
    if len(heights) <= 12:
        return f"{label}{len(heights)} bars of height {', '.join(_num(h) for h in heights)}"
    return f"{label}{len(heights)} bars, heights from {_num(min(heights))} to {_num(max(heights))}"


def _panel(ax: Axes) -> str:
    parts = []
    title = "; ".join(_clean(ax.get_title(loc)) for loc in ("left", "center", "right") if ax.get_title(loc).strip())
    if title:
        parts.append(title)
    curves = [c for c in (_curve(line) for line in ax.get_lines()) if c]
    bars = [_bars(label, heights) for label, heights in _bar_series(ax)]
    if ax.axison:  # the curves and bars give their own numbers; else the axes' ranges say what is shown
        axes = [_axis(ax, which, ranged=not (curves or bars)) for which in ("x", "y")]
        if any(axes):
            parts.append("; ".join(a for a in axes if a))
    if curves:
        parts.append("curves: " + "; ".join(curves))
    if bars:
        parts.append("bars: " + "; ".join(bars))
    texts = [_clean(t.get_text()) for t in ax.texts if t.get_visible() and t.get_text().strip()]
    if texts:
        parts.append("text: " + "; ".join(texts))
    if ax.images:
        parts.append(f"{len(ax.images)} colour-coded image{'s' if len(ax.images) > 1 else ''}")
    return ". ".join(parts)


def alt_for(fig: Figure, extra: str = "") -> str:
    """What ``fig`` shows, in words, from its own text: for a screen reader or a page without images.

    The figure's title, then each panel: its title, both axes (label and range, log scales named),
    every labelled curve with its number of points, first, last and lowest value, the bars with their
    heights, and the text drawn on it. ``extra`` (a lesson's own sentence about the key numbers) comes first.
    Example: ``"Figure: MLP (32,) on 'moons' ... Panel 2 of 2: every epoch. x axis: epoch; y axis: loss.
    curves: training loss (mean over epoch): 6 points, from 0.56 to 0.271; validation loss (after
    epoch): 6 points, from 0.462 to 0.299; ..."``. At most :data:`MAX_ALT_CHARS` characters.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, but got {type(fig).__name__}.")
    suptitle = _clean(fig.get_suptitle()) if hasattr(fig, "get_suptitle") else ""
    axes = [ax for ax in fig.axes if ax.get_visible() and (ax.axison or ax.lines or ax.texts or ax.images)]
    axes = [ax for ax in axes if ax.get_label() != "<colorbar>"]
    panels = [_panel(ax) for ax in axes]
    head = [_clean(extra)] if extra.strip() else []
    if suptitle:
        head.append(suptitle)
    if len(panels) == 1:
        body = [panels[0]]
    else:
        body = [f"Panel {i + 1} of {len(panels)}: {p}" for i, p in enumerate(panels) if p]
    text = ". ".join(p.rstrip(".") for p in [*head, *body] if p) or "An empty figure"
    text = "Figure: " + text + "."
    return text if len(text) <= MAX_ALT_CHARS else text[: MAX_ALT_CHARS - 3].rstrip() + "..."


def register_alt_text(shell: Any = None) -> bool:
    """Make every matplotlib Figure the notebook displays carry ``alt_for(fig)`` in its image metadata.

    The inline backend's PNG formatter is wrapped, so the picture (and retina settings) stay as they
    are and the output gains ``metadata["image/png"]["alt"]`` -- which nbconvert's classic html
    template and the course's website write as ``<img alt=...>``. A figure can set its own,
    richer text with ``fig.alt_text = "..."`` (it is put before the generated one). Returns whether a
    formatter was found (False outside IPython).
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with Jupyter
            return False
        shell = get_ipython()
    if shell is None:
        return False
    import importlib

    try:  # the inline backend sets up its PNG formatter when first imported (once): do it now, so that the
        importlib.import_module("matplotlib_inline.backend_inline")  # first figure cannot undo the wrapping
    except ImportError:  # pragma: no cover - comes with ipykernel
        pass
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    draw = getattr(draw, "_course_draw", draw)  # calling setup() twice wraps once

    def png_with_alt(fig: Figure) -> Any:
        data = draw(fig)
        if data is None:  # a figure without axes: no picture
            return None
        return data, {"alt": alt_for(fig, getattr(fig, "alt_text", ""))}

    png_with_alt._course_draw = draw  # type: ignore[attr-defined]
    formatter.for_type(Figure, png_with_alt)
    return True


# -- contrast --------------------------------------------------------------------------------------


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a CSS/matplotlib colour (0 for black, 1 for white)."""
    channels = []
    for c in to_rgb(colour):
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio, from 1 (none) to 21 (black on white); text needs :data:`MIN_CONTRAST`."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


_STYLE = re.compile(r"""style\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_DECL = re.compile(r"(?:^|;)\s*(color|background-color|background)\s*:\s*([^;]+)", re.IGNORECASE)


def html_colours(html: str) -> list[tuple[str, str | None]]:
    """Every ``(text colour, background or None)`` set in an inline ``style`` of ``html``, as hex.

    A ``var(--name, fallback)`` counts as its fallback. ``None`` means the element has no background
    of its own, so the theme's background shows through.
    """
    found = []
    for match in _STYLE.finditer(html):
        decls = {k.lower(): v.strip() for k, v in _DECL.findall(match.group(2))}
        if "color" not in decls:
            continue
        background = decls.get("background-color") or decls.get("background")
        found.append((_css_hex(decls["color"]), _css_hex(background) if background else None))
    return found


def _css_hex(value: str) -> str:
    value = value.strip()
    var = re.fullmatch(r"var\(\s*--[\w-]+\s*,\s*(.+)\)", value)
    if var:
        value = var.group(1).strip()
    return to_hex(value)


# -- curves that differ by colour alone ------------------------------------------------------------


_NONE = ("None", "none", " ", "")


def _mark(line: Any) -> tuple[str, str]:
    """What tells a line apart without colour: its dash pattern (custom ones included) and its marker."""
    style, marker = str(line.get_linestyle()), str(line.get_marker())
    dashes = "" if style in _NONE else str(getattr(line, "_unscaled_dash_pattern", style))
    return dashes, "" if marker in _NONE else marker


def colour_only_curves(fig: Figure) -> list[str]:
    """Pairs of labelled curves on one axes that differ in colour but not in line style or marker,
    and pairs of labelled bar series that differ in colour but not in hatch.

    Empty when every curve a legend names can be told apart without colour (what a colour-blind
    reader or a greyscale print needs). Each entry names the panel and the two labels.
    """
    problems = []
    for n, ax in enumerate(fig.axes):
        lines = [line for line in ax.get_lines() if line.get_visible() and not str(line.get_label()).startswith("_")
                 and len(line.get_xdata()) >= 2]  # fmt: skip
        for i, a in enumerate(lines):
            for b in lines[i + 1 :]:
                if to_hex(a.get_color()) != to_hex(b.get_color()) and _mark(a) == _mark(b):
                    problems.append(f"axes {n + 1} ({ax.get_title() or ax.get_ylabel()}): "
                                    f"{a.get_label()!r} and {b.get_label()!r} differ by colour only")  # fmt: skip
        bars = [(str(c.get_label()), c[0]) for c in ax.containers
                if not str(c.get_label()).startswith("_") and len(c) and hasattr(c[0], "get_hatch")]  # fmt: skip
        for i, (label_a, a) in enumerate(bars):
            for label_b, b in bars[i + 1 :]:
                same_hatch = (a.get_hatch() or "") == (b.get_hatch() or "")
                if to_hex(a.get_facecolor()) != to_hex(b.get_facecolor()) and same_hatch:
                    problems.append(f"axes {n + 1} ({ax.get_title() or ax.get_ylabel()}): bars {label_a!r} and "
                                    f"{label_b!r} differ by colour only (give them hatches: plots.bar_style)")
    return problems
