"""Every notebook in real JupyterLab and Chromium: runs without errors, every widget renders, and
every control of every demo re-runs the experiment and redraws its plot."""

from __future__ import annotations

import json
import re
import time

import pytest

from .conftest import ROOT, SCREENSHOTS, TIMINGS

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
ALL_PROMPTS_NUMBERED = """() => {
  const panel = '.jp-NotebookPanel:not(.lm-mod-hidden) ';
  const prompts = [...document.querySelectorAll(panel + '.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
}"""


VERDICT = re.compile(r"^[\u2713\u2717]? ?(Correct!|Not quite\.)")  # a quiz's chip: a mark, then the word

COUNT_PICTURES = """o => {
  o.__tllPictures = 0;
  const seen = new Set([...o.querySelectorAll('img')].map(i => i.src));
  new MutationObserver(() => {
    for (const img of o.querySelectorAll('img')) {
      if (!seen.has(img.src)) { seen.add(img.src); o.__tllPictures += 1; }
    }
  }).observe(o, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


# Times a change inside the page, where the learner sees it: from the first key press, click or
# selection on the demo's controls to the frame after its output shows a new picture (two animation
# frames after the new <img> lands, so the picture has been painted). Playwright's own round trips
# and polling (tens of milliseconds each) are not part of it.
WATCH_CHANGE = """([d, o]) => {
  const img = () => (o.querySelector('img') || {}).src || null;
  o.__tllT0 = null; o.__tllT1 = null; o.__tllSrc = img();
  if (!d.__tllWatched) {
    d.__tllWatched = true;
    for (const type of ['keydown', 'pointerdown', 'input', 'change']) {
      d.addEventListener(type, () => { if (o.__tllT0 === null) o.__tllT0 = performance.now(); }, true);
    }
    new MutationObserver(() => {
      if (o.__tllT0 === null || o.__tllT1 !== null || img() === null || img() === o.__tllSrc) return;
      o.__tllT1 = -1;
      requestAnimationFrame(() => requestAnimationFrame(() => { o.__tllT1 = performance.now(); }));
    }).observe(o, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  }
}"""
CHANGE_SECONDS = """o => (o.__tllT0 === null || o.__tllT1 === null || o.__tllT1 < 0) ? null
                        : (o.__tllT1 - o.__tllT0) / 1000"""


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _expected_errors(name: str) -> int:
    cells = [c for c in json.loads((ROOT / "notebooks" / name).read_text())["cells"] if c["cell_type"] == "code"]
    tagged = ["raises-exception" in c.get("metadata", {}).get("tags", []) for c in cells]
    marked = ["NBVAL_RAISES_EXCEPTION" in "".join(c["source"]) for c in cells]
    return sum(t or m for t, m in zip(tagged, marked))


def check_outputs(body, name: str) -> None:
    """No error output (beyond the expected ones), every widget rendered, no static fallback shown."""
    errors = [t for t in body.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
              if "Traceback" in t or re.search(r"^\w+Error\b", t, re.M)]  # fmt: skip
    assert len(errors) == _expected_errors(name), f"error outputs in {name}:\n" + "\n".join(errors)[:3000]
    outputs = "\n".join(body.locator(".jp-OutputArea").all_inner_texts())
    for sign in ("Error displaying widget", "Model not found", "Widgets are NOT rendering", "Loading widget"):
        assert sign not in outputs, f"a widget failed to render in {name}: {sign!r}"
    # the demos' static copies (text/html, for GitHub and the website) must lose to the live widget here
    assert body.locator(".tll-static-fallback").count() == 0, f"{name}: the front end shows a static fallback"


def _open_and_run_all(page, lab, name):
    page.goto(f"{lab['url']}/lab/workspaces/{name.split('_')[0]}/tree/{name}?reset&token={lab['token']}")
    # Not the toolbar indicator: it says idle before the kernel exists. The status bar names the kernel.
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\(ipykernel\) \| Idle")).wait_for(timeout=90_000)
    _menu(page, "Edit", "Clear Outputs of All Cells")  # so that saved prompts cannot pass for a fresh run
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=180_000)
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\(ipykernel\) \| Idle")).wait_for(timeout=60_000)


def _output_state(out):
    text = out.locator(".jp-RenderedText").first.inner_text() if out.locator(".jp-RenderedText").count() else ""
    img = out.locator("img")
    return text, (img.first.get_attribute("src") if img.count() else None)


def shut_down_kernels(page, server) -> None:
    """Stop every kernel of ``server`` (one test's notebook): later tests do not share the CPU with it."""
    auth = f"token={server['token']}"
    for kernel in page.request.get(f"{server['url']}/api/kernels?{auth}").json():
        page.request.delete(f"{server['url']}/api/kernels/{kernel['id']}?{auth}")


def _readout_value(text: str, name: str) -> str | None:
    match = re.search(rf"(?:^|\s){re.escape(name)}=(\S+)", text)
    return match.group(1) if match else None


def _agrees(shown: str, printed: str) -> bool:
    """The widget's readout (rounded for display) and the printed value (full precision) agree."""
    if shown == printed:
        return True
    shown = shown.replace("\u2212", "-")  # sliders show negative numbers with a typographic minus sign
    try:
        a, b = float(shown), float(printed)
    except ValueError:
        return False
    return abs(a - b) <= 0.06 * max(abs(a), abs(b))


def _wait_for_redraw(page, out, old, name, shown_value, timeout=60.0):
    """Wait until the demo's output shows a new plot and a readout matching ``shown_value``."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        text, src = _output_state(out)
        printed = _readout_value(text, name)
        if (text, src) != old and printed is not None and src and _agrees(shown_value, printed):
            return time.perf_counter() - start, text
        page.wait_for_timeout(25)
    text, src = _output_state(out)
    pytest.fail(f"no redraw for {name}={shown_value} within {timeout} s; output reads: {text[:300]!r}")


def _at_max(handle) -> bool:
    """Is the slider's handle at its right end? noUiSlider's aria values are rounded to one decimal,
    so a slider whose whole range rounds to one number (0 to 0.02) counts as not at its end."""
    now, low, top = (handle.get_attribute(a) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    try:
        return float(top) > float(low) and float(now) >= float(top)
    except (TypeError, ValueError):
        return False


def _change_slider(page, slider):
    """Move the slider one notch (left if it is at its right end) and return the new readout."""
    handle = slider.locator(".noUi-handle").first
    readout = slider.locator(".widget-readout").first
    before = readout.inner_text().strip()
    handle.focus()
    for key in ("ArrowLeft", "ArrowRight") if _at_max(handle) else ("ArrowRight", "ArrowLeft"):
        page.keyboard.press(key)
        for _ in range(120):  # the readout follows the handle a moment later on a busy machine
            if readout.inner_text().strip() != before:
                return readout.inner_text().strip()
            page.wait_for_timeout(25)
    return readout.inner_text().strip()


def _controls(demo):
    """(kind, name, locator) for every slider, dropdown and checkbox of a demo."""
    found = []
    sliders = demo.locator(".widget-slider")
    for i in range(sliders.count()):
        s = sliders.nth(i)
        found.append(("slider", s.locator("label").first.inner_text().strip(), s))
    dropdowns = demo.locator(".widget-dropdown")
    for i in range(dropdowns.count()):
        d = dropdowns.nth(i)
        found.append(("dropdown", d.locator("label").first.inner_text().strip(), d))
    boxes = demo.locator(".widget-checkbox")
    for i in range(boxes.count()):
        b = boxes.nth(i)
        found.append(("checkbox", b.inner_text().strip(), b))
    return found


def _change(page, kind, control):
    if kind == "slider":
        return _change_slider(page, control)
    if kind == "dropdown":
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        new = options[(options.index(current) + 1) % len(options)]
        select.select_option(label=new)
        return new
    checkbox = control.locator("input[type=checkbox]")
    checkbox.click()
    return "True" if checkbox.is_checked() else "False"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_every_control_redraws(lab, browser, name):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    timings = TIMINGS.setdefault(name, {})
    try:
        start = time.perf_counter()
        _open_and_run_all(page, lab, name)
        timings["open_run_all"] = time.perf_counter() - start

        body = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        check_outputs(body, name)

        timings["redraw"], timings["redraw_driver"] = [], []
        demos = body.locator(".tll-demo")
        for i in range(demos.count()):
            demo = demos.nth(i)
            demo.scroll_into_view_if_needed()
            out = demo.locator(".tll-demo-output")
            out.locator("img").first.wait_for(timeout=60_000)  # rendered by the first run
            for kind, label, control in _controls(demo):
                old = _output_state(out)
                page.evaluate(WATCH_CHANGE, [demo.element_handle(), out.element_handle()])
                t0 = time.perf_counter()
                shown = _change(page, kind, control)
                seconds, text = _wait_for_redraw(page, out, old, label, shown)
                timings["redraw_driver"].append(time.perf_counter() - t0)
                for _ in range(40):  # the paint time lands a frame or two after the picture
                    in_page = out.evaluate(CHANGE_SECONDS)
                    if in_page is not None:
                        timings["redraw"].append(in_page)
                        break
                    page.wait_for_timeout(25)
                assert out.locator("img").count() == 1 and "could not run" not in text
                alt = out.locator("img").first.get_attribute("alt") or ""
                assert f"{label}=" in alt, f"the live picture's alt text does not name the settings: {alt!r}"

        if demos.count():  # 20 quick changes of one slider: the last one wins, one plot, no error
            demo = demos.first
            slider = demo.locator(".widget-slider").first
            if slider.count():
                out = demo.locator(".tll-demo-output")
                old = _output_state(out)
                handle = slider.locator(".noUi-handle").first
                handle.focus()
                up, down = ("ArrowLeft", "ArrowRight") if _at_max(handle) else ("ArrowRight", "ArrowLeft")
                out.evaluate(COUNT_PICTURES)  # counts every new picture the output shows from now on
                t0 = time.perf_counter()
                for k in range(20):
                    page.keyboard.press(up if k % 2 == 0 else down)
                page.keyboard.press(up)  # ends one notch away from where it started: the output must change
                t_last = time.perf_counter()
                page.wait_for_timeout(100)
                final = slider.locator(".widget-readout").first.inner_text().strip()
                label = slider.locator("label").first.inner_text().strip()
                _, text = _wait_for_redraw(page, out, old, label, final, timeout=120)
                settled = time.perf_counter()
                page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\(ipykernel\) \| Idle")).wait_for(
                    timeout=120_000)  # fmt: skip
                text, _ = _output_state(out)
                now = slider.locator(".widget-readout").first.inner_text().strip()
                assert _agrees(final, _readout_value(text, label)), (
                    f"the slider read {final} after the presses and reads {now} now; the picture shows:\n{text}")
                assert out.locator("img").count() == 1 and "could not run" not in text
                timings["rapid"] = time.perf_counter() - t0
                timings["rapid_after_last"] = settled - t_last
                timings["rapid_pictures"] = out.evaluate("o => o.__tllPictures")

        steppers = body.locator(".tll-step-through")
        for i in range(steppers.count()):
            stepper = steppers.nth(i)
            stepper.scroll_into_view_if_needed()
            out = stepper.locator(".tll-demo-output")
            for label, expect in [("1. forward", "forward:"), ("2. loss", "loss:"), ("3. backward", "backward:"),
                                  ("4. step", "step 1:")]:  # fmt: skip
                old = _output_state(out)
                stepper.get_by_role("button", name=label).click()
                for _ in range(400):
                    if _output_state(out) != old and expect in _output_state(out)[0]:
                        break
                    page.wait_for_timeout(25)
                assert expect in _output_state(out)[0]

        quizzes = body.locator(".tll-quiz")
        for i in range(quizzes.count()):  # every question: choose an option, press Check, read the verdict
            questions = quizzes.nth(i).locator(".tll-quiz-question")
            for j in range(questions.count()):
                question = questions.nth(j)
                question.scroll_into_view_if_needed()
                question.locator("input[type=radio]").first.check()
                question.get_by_role("button", name="Check").click()
                question.get_by_text(VERDICT).first.wait_for(timeout=30_000)
            score = quizzes.nth(i).locator(".widget-html").first.inner_text()
            assert f"({questions.count()} answered)" in score, score

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = body.locator(".tll-demo, .tll-step-through").first
        if target.count():
            target.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{name.removesuffix('.ipynb')}.png"))
    finally:
        shut_down_kernels(page, lab)
        page.close()
