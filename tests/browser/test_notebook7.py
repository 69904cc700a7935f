"""Every notebook once in Jupyter Notebook 7's interface (``jupyter notebook``: /tree, /notebooks/<name>):
it runs without errors, every widget renders, and every control (slider, dropdown, checkbox, the
step-through's buttons, the quiz's Check buttons) is operated once and changes what is shown.

The JupyterLab tests (test_notebooks_in_browser.py) measure timings and rapid changes; this file
only proves the second front end, with the same helpers."""

from __future__ import annotations

import time

import pytest

from .test_notebooks_in_browser import (
    ALL_PROMPTS_NUMBERED,
    NOTEBOOKS,
    VERDICT,
    _change,
    _controls,
    _menu,
    _output_state,
    _wait_for_redraw,
    check_outputs,
    shut_down_kernels,
)

pytestmark = pytest.mark.browser


def _kernel_idle(page, server, timeout: float = 90.0) -> None:
    """Wait until the page names its kernel and the server says that kernel is idle.

    The toolbar's indicator says idle before the kernel exists (a click then is dropped), so the
    kernel's own state is asked from the server."""
    page.locator(".jp-KernelName", has_text="(ipykernel)").first.wait_for(timeout=timeout * 1000)
    deadline = time.time() + timeout
    while time.time() < deadline:
        kernels = page.request.get(f"{server['url']}/api/kernels?token={server['token']}").json()
        if kernels and all(k["execution_state"] == "idle" for k in kernels):
            return
        page.wait_for_timeout(200)
    pytest.fail(f"the kernel did not become idle within {timeout} s: {kernels}")


def test_tree_lists_every_notebook(notebook7, browser):
    page = browser.new_page()
    try:
        page.goto(f"{notebook7['url']}/tree?token={notebook7['token']}")
        for name in NOTEBOOKS:
            page.get_by_text(name).first.wait_for(timeout=30_000)
    finally:
        page.close()


def _drag(page, control, fraction: float) -> None:
    """Drag the slider's handle to ``fraction`` of its track (0 = left end, 1 = right end)."""
    track = control.locator(".noUi-target").first.bounding_box()
    handle = control.locator(".noUi-handle").first.bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * fraction, y, steps=8)
    page.mouse.up()


def _operate(page, kind, control) -> str:
    """Change a control and return the value it now shows.

    Sliders are dragged, not moved with the arrow keys as in the JupyterLab tests: Notebook 7 handles its
    keyboard shortcuts before the page's widgets do (JupyterLab lets them bubble), and its
    ``notebook:move-cursor-heading-below-or-expand`` / ``...-above-or-collapse`` take ArrowRight and
    ArrowLeft from a focused slider handle (the README's front-end table names this limit)."""
    control.scroll_into_view_if_needed()  # Notebook 7 scrolls the page: keep the control on screen
    if kind != "slider":
        return _change(page, kind, control)
    readout = control.locator(".widget-readout").first
    before = readout.inner_text().strip()
    handle = control.locator(".noUi-handle").first
    low, top, now = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    where = (now - low) / (top - low) if top > low else 0.0
    for fraction in (0.25, 0.75) if where > 0.5 else (0.75, 0.25):
        _drag(page, control, fraction)
        for _ in range(80):  # the readout follows the handle a moment later on a busy machine
            if readout.inner_text().strip() != before:
                return readout.inner_text().strip()
            page.wait_for_timeout(25)
    return readout.inner_text().strip()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook7_runs_and_every_control_changes_the_output(notebook7, browser, name):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{notebook7['url']}/notebooks/{name}?token={notebook7['token']}")
        _kernel_idle(page, notebook7)
        _menu(page, "Edit", "Clear Outputs of All Cells")  # so that saved outputs cannot pass for a fresh run
        _menu(page, "Run", "Run All Cells")
        page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=180_000)
        _kernel_idle(page, notebook7, timeout=120)
        body = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        check_outputs(body, name)

        demos = body.locator(".tll-demo")
        for i in range(demos.count()):
            demo = demos.nth(i)
            demo.scroll_into_view_if_needed()
            out = demo.locator(".tll-demo-output")
            out.locator("img").first.wait_for(timeout=60_000)
            for kind, label, control in _controls(demo):
                old = _output_state(out)  # the readout text and the picture
                _, text = _wait_for_redraw(page, out, old, label, _operate(page, kind, control))
                assert out.locator("img").count() == 1 and "could not run" not in text, text

        for stepper in body.locator(".tll-step-through").all():
            out = stepper.locator(".tll-demo-output")
            for button in stepper.get_by_role("button").all():
                old = _output_state(out)
                button.click()
                for _ in range(400):
                    if _output_state(out) != old:
                        break
                    page.wait_for_timeout(25)
                assert _output_state(out) != old, f"{button.inner_text()!r} changed nothing"
                assert "did not work" not in _output_state(out)[0]

        for quiz in body.locator(".tll-quiz").all():
            questions = quiz.locator(".tll-quiz-question")
            for question in questions.all():
                question.scroll_into_view_if_needed()
                question.locator("input[type=radio]").first.check()
                question.get_by_role("button", name="Check").click()
                question.get_by_text(VERDICT).first.wait_for(timeout=30_000)
            assert f"({questions.count()} answered)" in quiz.locator(".widget-html").first.inner_text()
        check_outputs(body, name)  # and nothing went wrong while the controls moved
    finally:
        shut_down_kernels(page, notebook7)
        page.close()
