"""Keyboard only, and the dark theme, in real JupyterLab and Chromium.

Keyboard: in each demo, Tab goes from one control to the next; a slider moves with the arrow keys, a
dropdown opens with Alt+ArrowDown and takes an arrow and Enter, a checkbox toggles with Space -- and the
demo's readout, which the kernel prints, names the new value (so the kernel received it). By default this runs on
09_shuffling (every control kind the course has except FloatSlider: SelectionSlider, IntSlider,
FloatLogSlider, Dropdown, Checkbox) and 02_forward_and_loss (FloatSlider); ``TLL_KEYBOARD_ALL=1``
runs it on every notebook.

Dark theme: 08_training_vs_validation switched to "JupyterLab Dark" (Settings > Theme), a screenshot
for a person to look at (tests/screenshots/dark_theme.png), and the checks that make it readable:
figures keep their white background, and the demo readout's text has 4.5:1 contrast on the page.
"""

from __future__ import annotations

import os
import re

import pytest

from course_utils.a11y import MIN_CONTRAST, contrast_ratio

from .conftest import SCREENSHOTS
from .test_notebooks_in_browser import (
    NOTEBOOKS,
    _at_max,
    _controls,
    _open_and_run_all,
    _output_state,
    _wait_for_redraw,
    shut_down_kernels,
)

pytestmark = pytest.mark.browser

KEYBOARD = NOTEBOOKS if os.environ.get("TLL_KEYBOARD_ALL") else ["02_forward_and_loss.ipynb", "09_shuffling.ipynb"]
FOCUSABLE = "input, select, button, [tabindex]:not([tabindex='-1'])"
TARGET = {"slider": ".noUi-handle", "dropdown": "select", "checkbox": "input[type=checkbox]"}


def _tab_to(page, demo, kind, control, limit=30) -> int:
    """Press Tab (or Shift+Tab) until the control's own focus target has the focus; returns the presses."""
    target = control.locator(TARGET[kind]).first
    if not demo.evaluate("d => d.contains(document.activeElement)"):
        demo.locator(FOCUSABLE).first.focus()  # into the demo: from here on, only the keyboard
    # Tab forward, or Shift+Tab back when the control comes before the focus (controls are listed by kind)
    behind = target.evaluate("t => !!(t.compareDocumentPosition(document.activeElement) & 4)")  # 4: FOLLOWING
    for presses in range(limit):
        if target.evaluate("t => t === document.activeElement"):
            return presses
        page.keyboard.press("Shift+Tab" if behind else "Tab")
    pytest.fail(f"{kind} {control.inner_text()[:40]!r}: not reached by {limit} presses of Tab")


def _press(page, kind, control) -> str:
    """Change the focused control with its key; returns the value it shows now."""
    if kind == "slider":
        readout = control.locator(".widget-readout").first
        before = readout.inner_text().strip()
        page.keyboard.press("ArrowLeft" if _at_max(control.locator(".noUi-handle").first) else "ArrowRight")
        for _ in range(200):
            if readout.inner_text().strip() != before:
                break
            page.wait_for_timeout(25)
        return readout.inner_text().strip()
    if kind == "dropdown":
        # Alt+ArrowDown opens the list, an arrow moves in it, Enter chooses. A plain ArrowDown on the closed
        # list is taken by JupyterLab (it selects the cell below; ipywidgets issue 3912, open).
        select = control.locator("select")
        last = select.evaluate("s => s.selectedIndex === s.options.length - 1")
        for key in ("Alt+ArrowDown", "ArrowUp" if last else "ArrowDown", "Enter"):
            page.keyboard.press(key)
            page.wait_for_timeout(50)
        return select.evaluate("s => s.options[s.selectedIndex].text")
    checkbox = control.locator("input[type=checkbox]")
    before = checkbox.is_checked()
    page.keyboard.press("Space")
    assert checkbox.is_checked() != before, "Space did not toggle the checkbox"
    return "True" if checkbox.is_checked() else "False"


@pytest.mark.parametrize("name", KEYBOARD)
def test_every_control_works_from_the_keyboard(lab, browser, name):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        _open_and_run_all(page, lab, name)
        body = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        demos = body.locator(".tll-demo")
        operated = 0
        for i in range(demos.count()):
            demo = demos.nth(i)
            demo.scroll_into_view_if_needed()
            out = demo.locator(".tll-demo-output")
            out.locator("img").first.wait_for(timeout=60_000)
            for kind, label, control in _controls(demo):
                _tab_to(page, demo, kind, control)
                old = _output_state(out)
                shown = _press(page, kind, control)
                _, text = _wait_for_redraw(page, out, old, label, shown)  # the kernel's readout names the value
                assert "could not run" not in text, text
                operated += 1
        if not operated:
            pytest.skip(f"{name} has no demo controls")
    finally:
        shut_down_kernels(page, lab)
        page.close()


# -- dark theme ---------------------------------------------------------------------------------


def _theme(page, theme: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{theme}$")).click()
    page.wait_for_function(f"() => document.body.dataset.jpThemeName === {theme!r}", timeout=30_000)


RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")


def _hex(css: str, under: str = "#ffffff") -> str:
    """A computed CSS colour as hex (an rgba colour blended over ``under``)."""
    r, g, b, a = RGB.match(css).groups()
    alpha = float(a) if a is not None else 1.0
    base = [int(under[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * int(c) + (1 - alpha) * u):02x}" for c, u in zip((r, g, b), base))


def test_dark_theme_screenshot_and_readable_text(lab, browser):
    name = "08_training_vs_validation.ipynb"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        _open_and_run_all(page, lab, name)
        _theme(page, "JupyterLab Dark")
        try:
            body = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            demo = body.locator(".tll-demo").first
            demo.scroll_into_view_if_needed()
            out = demo.locator(".tll-demo-output")
            out.locator("img").first.wait_for(timeout=60_000)
            page.wait_for_timeout(500)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "dark_theme.png"))
            background = _hex(page.evaluate(
                "() => getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor"), "#000000")
            assert background == "#111111", background
            texts = out.locator(".jp-RenderedText pre").first
            colour = _hex(texts.evaluate("e => getComputedStyle(e).color"), background)
            assert contrast_ratio(colour, background) >= MIN_CONTRAST, (colour, background)
            # a figure is a PNG with its own white background: its black text stays readable on a dark page
            pictures = body.locator(".jp-RenderedImage img")
            assert pictures.count() > 0
            for i in range(pictures.count()):
                corner = pictures.nth(i).evaluate("""img => { const c = document.createElement('canvas');
                    c.width = img.naturalWidth; c.height = img.naturalHeight; const x = c.getContext('2d');
                    x.drawImage(img, 0, 0); return Array.from(x.getImageData(1, 1, 1, 1).data); }""")
                assert corner[:3] == [255, 255, 255] and corner[3] == 255, f"picture {i}: corner {corner}"
        finally:
            _theme(page, "JupyterLab Light")  # the settings are shared with the other browser tests
    finally:
        shut_down_kernels(page, lab)
        page.close()
