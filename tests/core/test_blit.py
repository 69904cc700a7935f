"""Blitting: a frame (cached background + data artists) shows what a full redraw shows, faster."""

import io
import time

import numpy as np
import pytest
from PIL import Image

from course_utils.blit import BlitFigure, Frame, clip, encode_png, figure_titles
from course_utils.widgets import Demo, int_slider


class Waves(BlitFigure):
    def __init__(self):
        super().__init__(figsize=(6, 3))

    def build(self, fig):
        ax = fig.add_subplot()
        ax.set(xlim=(0, 100), ylim=(-1.5, 1.5), xlabel="step", ylabel="value")
        ax.set_title("a wave")
        self.line = self.animated(ax.plot([], [], linewidth=2)[0])
        self.note = self.animated(ax.text(0.02, 0.02, "", transform=ax.transAxes))
        self.title = self.animated(fig.suptitle(" "))

    def update(self, k):
        x = np.arange(100)
        y, clipped = clip(np.sin(x / (k + 1)) * (3 if k == 7 else 1), -1.5, 1.5)
        self.line.set_data(x, y)
        self.note.set_visible(clipped)
        self.note.set_text("clipped at the edge")
        self.title.set_text(f"k={k}")


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_a_frame_shows_what_a_full_redraw_shows():
    picture = Waves()
    for k in (1, 5, 7, 2):  # each frame restores the background: nothing of the previous frame stays
        frame = picture(k)
        assert isinstance(frame, Frame) and frame.titles == [f"k={k}", "a wave"]
        slow = picture.full_redraw(k)
        assert np.abs(_pixels(frame.png) - _pixels(slow)).mean() < 0.5  # antialiasing order only
    picture(7)
    assert picture.note.get_visible()  # values beyond the axis: pinned to its edge, and said so
    picture(2)
    assert not picture.note.get_visible()


def test_frames_are_faster_than_full_redraws():
    picture = Waves()
    picture(1)
    start = time.perf_counter()
    for k in range(10):
        picture(k)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    for k in range(10):
        picture.full_redraw(k)
    assert fast < time.perf_counter() - start


def test_clip_pins_values_to_the_axis_and_says_so():
    values, clipped = clip([0.5, 2.0, float("nan"), float("inf"), -float("inf")], 0.1, 1.0)
    assert clipped and values.tolist() == [0.5, 1.0, 1.0, 1.0, 0.1]
    assert clip([0.2, 0.3], 0.1, 1.0)[1] is False
    with pytest.raises(ValueError, match="low must be below high"):
        clip([1.0], 1.0, 1.0)


def test_encode_png_round_trips_and_checks_its_input():
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    assert _pixels(encode_png(rgba))[..., 0].tolist() == [[200.0] * 6] * 4
    with pytest.raises(ValueError, match="height x width x 4"):
        encode_png(np.zeros((4, 6)))


def test_a_subclass_must_build_and_update():
    with pytest.raises(NotImplementedError, match="build"):
        BlitFigure(figsize=(2, 2))


def test_a_demo_shows_frames_with_their_titles_as_alt_text():
    demo = Demo(lambda k: k, Waves(), describe=str, k=int_slider("k", 1, 0, 9))
    demo.update(k=7)
    (image,) = [o for o in demo.output.outputs if "image/png" in o.get("data", {})]
    assert image["metadata"]["image/png"]["alt"].startswith("k=7; a wave. k=7")
    assert figure_titles(demo.draw.fig) == ["k=7", "a wave"]


def test_rebuild_draws_the_static_parts_anew_and_keeps_one_set_of_data_artists():
    picture = Waves()
    before = _pixels(picture(3).png)
    picture.rebuild()
    assert len(picture.fig.axes) == 1 and len(picture.artists) == 3  # the old axes and artists are gone
    after = _pixels(picture(3).png)
    assert np.abs(before - after).mean() < 0.5  # the same picture, built again
    assert np.abs(after - _pixels(picture.full_redraw(3))).mean() < 1.0
