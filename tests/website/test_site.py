"""The course's website, built from the saved notebooks and opened page by page in Chromium.

Fails on: a picture that did not load, an empty widget area, a notebook page with fewer pictures
than its notebook has (image outputs plus demo fallbacks), a picture or demo fallback without alt text, math
that MathJax did not typeset, a broken internal link or anchor, a console error, a failed request,
and any request that leaves 127.0.0.1 (the site must work offline). Also: search finds a lesson,
and the launch buttons follow pyproject.toml's [tool.training-loop-lab] setting.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import ROOT, build_site, skip_or_fail

pytestmark = pytest.mark.site

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
PAGES = ["index", "docs/instructor_guide", *(f"notebooks/{n}" for n in NOTEBOOKS), "genindex", "search"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The site's mime priority (site/conf.py: MyST-NB's html order without the widget view)
PRIORITY = ["application/javascript", "text/html", "image/svg+xml", "image/png", "image/gif", "image/jpeg",
            "text/markdown", "text/latex", "text/plain"]  # fmt: skip

PAGE_REPORT = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const outputs = [...document.querySelectorAll('.cell_output > .output')];
  const fallbacks = [...document.querySelectorAll('.cell_output .tll-static-fallback')];
  const maths = [...document.querySelectorAll('span.math, div.math')];
  return {
    broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                .map(i => (i.getAttribute('src') || '').slice(0, 100)),
    output_images: document.querySelectorAll('.cell_output img').length,
    fallbacks: fallbacks.length,
    fallbacks_without_alt: fallbacks.filter(f => [...f.querySelectorAll('img')].some(i => !i.alt.trim())).length,
    images_without_alt: [...document.querySelectorAll('.cell_output img')]
        .filter(i => i.alt.trim().length < 40).length,  // a figure says what it shows, not "plot"
    widget_areas: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length
        + [...document.querySelectorAll('.jupyter-widgets, .widget-area, .widget-subarea')]
          .filter(e => !e.innerText.trim() && !e.querySelector('img')).length,  // a widget view shows nothing here
    empty_outputs: outputs.filter(o => !o.innerText.trim() && !o.querySelector('img, svg')).length,
    math: maths.length,
    math_untypeset: maths.filter(m => !m.querySelector('mjx-container') || m.querySelector('mjx-merror')).length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""


def _expected(notebook: str) -> tuple[int, int]:
    """(pictures, demo fallbacks) the page must show: what the site's mime priority picks from every output."""
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    pictures = fallbacks = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            chosen = next((m for m in PRIORITY if m in data), None)
            if chosen == "text/html":
                text = "".join(data["text/html"])
                pictures += text.count("<img ")
                fallbacks += WIDGET_VIEW in data and "tll-static-fallback" in text
            elif chosen and chosen.startswith("image/"):
                pictures += 1
    return pictures, fallbacks


@pytest.fixture(scope="module")
def ids():
    """Anchor ids of every built page, read from the files."""
    cache: dict[Path, set[str]] = {}

    def of(path: Path) -> set[str]:
        if path not in cache:
            cache[path] = set(re.findall(r'\sid="([^"]+)"', path.read_text(errors="replace")))
        return cache[path]

    return of


def _open(browser, site, path):
    """Open one page with every request outside the local server blocked and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems = {"offsite": [], "failed": [], "console": []}

    def route(r):
        if r.request.url.startswith(site["url"] + "/"):
            r.continue_()
        else:
            problems["offsite"].append(r.request.url[:150])
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text[:300]))
    page.on("pageerror", lambda e: problems["console"].append(f"uncaught: {e}"[:300]))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url[:150]}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url[:150]}: HTTP {r.status}"))
    page.goto(f"{site['url']}/{path}", wait_until="load")
    page.wait_for_load_state("networkidle")
    return context, page, problems


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_everything_offline(site, browser, ids, name):
    context, page, problems = _open(browser, site, f"{name}.html")
    try:
        report = page.evaluate(PAGE_REPORT)
        page.wait_for_timeout(200)  # late console messages
    finally:
        context.close()
    assert not problems["offsite"], f"{name}: requests off the local server: {problems['offsite']}"
    assert not problems["failed"], f"{name}: failed requests: {problems['failed']}"
    assert not problems["console"], f"{name}: console errors: {problems['console']}"
    assert not report["broken"], f"{name}: pictures that did not load: {report['broken']}"
    assert report["widget_areas"] == 0, f"{name}: {report['widget_areas']} empty widget areas"
    assert report["empty_outputs"] == 0, f"{name}: {report['empty_outputs']} outputs that show nothing"
    assert report["math_untypeset"] == 0, f"{name}: {report['math_untypeset']} of {report['math']} formulas not typeset"
    if name.startswith("notebooks/"):
        pictures, fallbacks = _expected(name.removeprefix("notebooks/"))
        shown = report["output_images"]
        assert shown >= pictures, f"{name}: {shown} pictures, its notebook has {pictures}"
        assert report["fallbacks"] == fallbacks, f"{name}: {report['fallbacks']} demo fallbacks, notebook: {fallbacks}"
        assert report["fallbacks_without_alt"] == 0, f"{name}: demo pictures without alt text"
        assert report["images_without_alt"] == 0, f"{name}: {report['images_without_alt']} pictures without alt text"
    broken = []
    for href in report["links"]:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or not href.startswith(site["url"] + "/"):
            continue  # an external link is only a link: it is not loaded (the route above would catch that)
        target = site["dir"] / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} (no such file)")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids(target):
            broken.append(f"{href} (no such anchor)")
    assert not broken, f"{name}: broken internal links: {broken}"


def test_every_notebook_and_the_guide_are_pages_with_their_demo_pictures(site):
    for name in NOTEBOOKS:
        assert (site["dir"] / "notebooks" / f"{name}.html").is_file(), name
        assert _expected(name)[1] or name in ("00_welcome",), f"{name}: the notebook holds no demo fallback"
    assert "Instructor guide" in (site["dir"] / "docs" / "instructor_guide.html").read_text()
    landing = (site["dir"] / "index.html").read_text()
    assert all(f'href="notebooks/{name}.html"' in landing for name in NOTEBOOKS), "the course table links every page"


def test_search_finds_a_lesson(site, browser):
    context, page, problems = _open(browser, site, "search.html?q=learning+rate")
    try:
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=30_000)
        hrefs = [a.get_attribute("href") for a in page.locator("#search-results ul.search li a").all()]
    finally:
        context.close()
    assert any("notebooks/07_learning_rate.html" in (h or "") for h in hrefs), hrefs
    assert not problems["offsite"] and not problems["console"], problems


def _launch():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("launch", ROOT / "tools" / "launch.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["launch"] = module
    spec.loader.exec_module(module)
    return module


def _check_launch_links(folder: Path, settings: dict[str, str]) -> None:
    launch = _launch()
    pages = {p: (folder / f"{p}.html").read_text() for p in PAGES if p not in ("genindex", "search")}
    if not settings["repository"]:  # nothing to launch from: no menu, no link to a repository that is not set
        for name, text in pages.items():
            launches = [h for h in re.findall(r'href="([^"]+)"', text)
                        if "mybinder.org/v2/" in h or "colab.research.google.com/github/" in h or "git-pull?" in h]
            assert "launch-buttons" not in text and not launches, f"{name}: launch links without a repository"
        return
    repo = launch.Repo.parse(settings["repository"], settings["branch"])
    for name, text in pages.items():
        notebook = name.removeprefix("notebooks/") + ".ipynb" if name.startswith("notebooks/") else "00_welcome.ipynb"
        links = {html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)}
        assert repo.binder(notebook) in links and repo.colab(notebook) in links, name
        if settings["jupyterhub"]:
            assert repo.nbgitpuller(settings["jupyterhub"], notebook) in links, name
        assert repo.url in links, f"{name}: no link to the repository"


def test_launch_buttons_follow_the_setting(site):
    _check_launch_links(site["dir"], _launch().settings())


def test_launch_buttons_when_a_repository_is_set(tmp_path):
    """A fork that sets [tool.training-loop-lab]: every page gets Binder, JupyterHub and Colab links."""
    skip_or_fail()
    root = tmp_path / "course"
    for folder in ("site", "tools", "notebooks", "docs"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_*"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    settings = {"repository": "https://github.com/fork-owner/tll-fork", "branch": "workshop",
                "jupyterhub": "https://hub.example.edu"}  # fmt: skip
    text = (ROOT / "pyproject.toml").read_text()
    for key, value in settings.items():
        text, count = re.subn(rf'^{key} = ".*"$', f'{key} = "{value}"', text, flags=re.M)
        assert count == 1, key
    (root / "pyproject.toml").write_text(text)
    _check_launch_links(build_site(tmp_path / "site", root=root), settings)


def test_screenshots_for_a_person_to_look_at(site, browser):
    """Landing page, a notebook page at its first demo fallback, the instructor guide: tests/screenshots/."""
    out = ROOT / "tests" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for path, shot, target in [("index.html", "site_landing.png", None),
                               ("notebooks/05_batch_size.html", "site_05_demo.png", ".tll-static-fallback"),
                               ("docs/instructor_guide.html", "site_instructor_guide.png", None)]:  # fmt: skip
        context, page, _ = _open(browser, site, path)
        try:
            if target:
                page.locator(target).first.scroll_into_view_if_needed()
                page.evaluate("window.scrollBy(0, -150)")
            page.screenshot(path=str(out / shot))
        finally:
            context.close()
