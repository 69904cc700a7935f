"""The widget wiring, driven from the kernel side (the browser tests drive it from Chromium)."""

import pytest

from course_utils.lessons.l01_training_loop.experiments import minimal_example
from course_utils.plots import plot_history
from course_utils.widgets import Demo, batch_size_slider, dropdown, epochs_slider, lr_slider, toggle


def _demo():
    return Demo(minimal_example, plot_history, batch_size=batch_size_slider(), lr=lr_slider(),
                epochs=epochs_slider(value=2))  # fmt: skip


def _text(demo):
    return "".join(o["text"] for o in demo.output.outputs if o["output_type"] == "stream")


def _images(demo):
    return [o for o in demo.output.outputs if "image/png" in o.get("data", {})]


def test_demo_shows_readout_result_and_one_plot():
    demo = _demo()
    assert _text(demo).startswith("batch_size=32 lr=0.001 epochs=2 \nfinished: 2 epochs, 64 steps")
    assert len(_images(demo)) == 1


def test_the_live_picture_has_the_alt_text_of_the_static_copy():
    import html

    demo = _demo()
    (image,) = _images(demo)
    alt = image["metadata"]["image/png"]["alt"]
    assert "batch_size=32 lr=0.001 epochs=2" in alt
    shown = f'alt="{html.escape(alt)}"'
    assert shown in image["data"]["text/html"]  # what JupyterLab shows: an <img> with this alt text
    assert image["data"]["image/png"] in image["data"]["text/html"]
    assert shown in demo.widget._repr_mimebundle_()["text/html"]  # the same alt text as the static copy


def test_moving_a_slider_reruns_training():
    demo = _demo()
    demo.controls["batch_size"].value = 128
    assert "batch_size=128 " in _text(demo) and demo.result.history.steps == 2 * 8
    assert len(demo.timings) == len(demo.draw_timings) == 2
    assert all(0 < d < t for d, t in zip(demo.draw_timings, demo.timings))


def test_fifty_rapid_changes_end_on_the_last_setting_with_one_plot():
    demo = _demo()
    sizes = [32, 64, 128, 256, 512]
    for i in range(50):
        demo.controls["batch_size"].value = sizes[(i * 3) % len(sizes)]
        demo.controls["epochs"].value = 1 + i % 2
    last_batch, last_epochs = sizes[(49 * 3) % len(sizes)], 1 + 49 % 2
    assert _text(demo).startswith(f"batch_size={last_batch} lr=0.001 epochs={last_epochs} ")
    assert len(_images(demo)) == 1 and demo.error is None


def test_quick_front_end_changes_run_only_the_newest_settings():
    """As in a kernel: each change from the browser lands in its own turn of the event loop, applied
    by ``set_state`` (what ipywidgets does with a comm message); twenty of them within milliseconds."""
    import asyncio

    demo = _demo()
    slider = demo.controls["epochs"]
    values = [1 + (i * 7) % 9 for i in range(19)] + [4]

    async def twenty_quick_changes():
        for value in values:
            slider.set_state({"value": value})
            await asyncio.sleep(0)  # the next message is handled in the next turn
        assert len(demo.timings) == 1  # nothing ran yet: the refresh waits until the changes settle
        slider.value = 3  # a change from code, inside the kernel's loop, still answers at once
        assert len(demo.timings) == 2 and "epochs=3 " in _text(demo)
        slider.set_state({"value": values[-1]})
        await asyncio.sleep(0.3)

    import threading  # a loop of its own, in its own thread: the browser tests' Playwright may run one here

    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _collect(errors, lambda: asyncio.run(twenty_quick_changes())))
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not errors, errors
    assert len(demo.timings) == 3  # the first picture, the code's change, and one for the newest settings
    assert _text(demo).startswith("batch_size=32 lr=0.001 epochs=4 ") and demo.result.history.epochs == 4
    assert len(_images(demo)) == 1


def test_settings_seen_before_show_their_stored_picture_without_running():
    calls = []

    def counted(epochs):
        calls.append(epochs)
        return minimal_example(epochs=epochs)

    demo = Demo(counted, plot_history, cache_size=2, epochs=epochs_slider(1))
    first = _images(demo)
    demo.update(epochs=2)
    demo.update(epochs=1)  # seen: no run, the same picture and readout as the first time
    assert calls == [1, 2] and _images(demo) == first and _text(demo).startswith("epochs=1 ")
    assert demo.result.history.epochs == 1
    demo.update(epochs=3)
    demo.update(epochs=2)  # pushed out of the two-entry cache by 1 and 3: runs again
    assert calls == [1, 2, 3, 2]
    demo.refresh(use_cache=False)
    assert calls == [1, 2, 3, 2, 2]
    with pytest.raises(ValueError, match="cache_size"):
        Demo(counted, plot_history, cache_size=-1, epochs=epochs_slider(1))


def test_update_sets_several_controls_and_runs_once():
    demo = _demo()
    demo.update(batch_size=64, lr=0.01)
    assert len(demo.timings) == 2 and "batch_size=64 lr=0.01 " in _text(demo)
    with pytest.raises(ValueError, match="no control named momentum"):
        demo.update(momentum=0.9)


def test_a_failing_setting_shows_a_message_and_the_demo_keeps_working():
    def fragile(batch_size, lr, epochs):
        if batch_size == 2:
            raise ValueError("batch_size=2 is not allowed here")
        return minimal_example(batch_size, lr, epochs)

    demo = Demo(fragile, plot_history, batch_size=batch_size_slider(), lr=lr_slider(), epochs=epochs_slider(1))
    demo.update(batch_size=2)
    assert "could not run -- ValueError: batch_size=2 is not allowed here" in _text(demo)
    assert _images(demo) == [] and demo.result is None
    demo.update(batch_size=64)
    assert demo.error is None and len(_images(demo)) == 1


def test_divergence_is_drawn_not_raised():
    from course_utils.runs import run_training

    demo = Demo(lambda lr: run_training(data="regression", optimizer="sgd", lr=lr), plot_history, lr=lr_slider(0.01))
    demo.update(lr=10.0)
    assert "diverged at step" in _text(demo) and len(_images(demo)) == 1


def test_manual_demo_has_a_run_button_and_control_helpers():
    demo = Demo(lambda shuffle, optimizer: minimal_example(epochs=1), plot_history, manual=True,
                shuffle=toggle("shuffle"), optimizer=dropdown("optimizer", ["adam", "sgd"]))  # fmt: skip
    demo.controls["shuffle"].value = False
    assert len(demo.timings) == 1  # manual: nothing ran on change
    button = demo.widget.children[0].children[-1]
    button.click()
    assert len(demo.timings) == 2 and "shuffle=False optimizer=adam " in _text(demo)


# -- the static copy next to every widget (what GitHub, nbconvert and the course's website show) -------------

def _static(widget):
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle, "the live widget must still be displayed"
    return bundle["text/html"]


def test_a_demo_carries_a_static_copy_of_its_readout_and_picture_with_alt_text():
    import base64
    import html
    import re

    demo = _demo()
    page = _static(demo.widget)
    assert 'class="tll-static-fallback"' in page and "batch_size=32 lr=0.001 epochs=2" in page
    (src, alt), = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">', page)
    assert base64.b64decode(src) == base64.b64decode(_images(demo)[0]["data"]["image/png"])  # the same picture
    alt = html.unescape(alt)
    assert "batch_size=32 lr=0.001 epochs=2" in alt and "train loss" in alt
    assert "adam lr=0.001" in alt, "the plot's title is part of the alt text"
    demo.update(batch_size=128)
    assert "batch_size=128 " in _static(demo.widget)  # displayed again later: the current picture


def test_a_failing_demo_shows_its_message_in_the_static_copy():
    demo = Demo(lambda lr: 1 / 0, plot_history, lr=lr_slider())
    page = _static(demo.widget)
    assert "could not run -- ZeroDivisionError" in page and "<img" not in page


def _collect(errors: list, call) -> None:
    try:
        call()
    except BaseException as exc:  # re-raised in the test's own thread by the assert
        errors.append(exc)
