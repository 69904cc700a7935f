"""The built website, served on 127.0.0.1 and opened in headless Chromium (Playwright).

Needs site/requirements.txt, Playwright and Debian's Chromium: skipped with a message where one is
missing, except in CI, where that is a failure. Run with ``pytest -m site tests/website`` (the bare
``pytest`` leaves these out: they need the site's own requirements and a build).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def _missing() -> str | None:
    for module, what in [("sphinx", "Sphinx"), ("myst_nb", "MyST-NB"), ("sphinx_book_theme", "sphinx-book-theme")]:
        if importlib.util.find_spec(module) is None:
            return f"{what} is not installed (.venv/bin/pip install -r site/requirements.txt)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -r requirements.txt)"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (as root: apt-get update && apt-get install -y chromium)"
    return None


def skip_or_fail() -> None:
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"site tests cannot run in CI: {why}")
        pytest.skip(f"site tests skipped: {why}. They run in CI; install it to run them here.")


def build_site(out: Path, root: Path = ROOT) -> Path:
    """Build with the README's command's code (tools/build_site.py); incremental when ``out`` was built before."""
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.build(out, strict=True, root=root)
    assert code == 0, f"the site build failed with warnings or errors (exit code {code}); see the output above"
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on the test's output
        pass


@pytest.fixture(scope="session")
def site():
    """The site built into _build/site (as `python -m tools.build_site` does), served on 127.0.0.1."""
    skip_or_fail()
    folder = build_site(ROOT / "_build" / "site")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"dir": folder, "url": f"http://127.0.0.1:{server.server_address[1]}"}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
