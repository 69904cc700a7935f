"""A real JupyterLab (on 127.0.0.1, random port and token, a temporary copy of the course) and a
headless Chromium driven by Playwright. Skipped, with instructions, where Chromium or Playwright is
missing -- except in CI, where a missing browser is a failure."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .timings import SCREENSHOTS, report  # noqa: F401  (SCREENSHOTS: the tests import it from here)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
TIMINGS: dict[str, dict] = {}  # notebook -> measured seconds, reported at the end of the session


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (as root: apt-get update && apt-get install -y chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jupyter(tmp_path_factory, app: str):
    """Start ``jupyter <app>`` (lab or notebook) on a temporary copy of the notebooks; yields its address."""
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {why}")
        pytest.skip(f"browser tests skipped: {why}. They run in CI; install both to run them here.")
    tmp = tmp_path_factory.mktemp(app)
    notebooks = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)  # a copy: JupyterLab's autosave rewrites files
    settings = tmp / "settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'  # no news pop-up over the page
    )
    (settings / "notebook-extension").mkdir()
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}'  # every cell in the DOM, not only the visible ones
    )
    token, port = os.urandom(12).hex(), _free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))  # fmt: skip
    log = open(tmp / f"{app}.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={notebooks}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"jupyter {app} did not start:\n" + (tmp / f"{app}.log").read_text()[-3000:])
                time.sleep(0.2)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "dir": notebooks}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A real JupyterLab."""
    yield from _jupyter(tmp_path_factory, "lab")


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    """A real Jupyter Notebook 7 (``jupyter notebook``: /tree and /notebooks/<name>)."""
    yield from _jupyter(tmp_path_factory, "notebook")


@pytest.fixture(scope="session")
def browser():
    if _missing():
        pytest.skip(f"browser tests skipped: {_missing()}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:  # the tests ran in this process (under xdist, tests/conftest.py prints the workers' timings)
        report(TIMINGS, terminalreporter.write_line)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and TIMINGS:  # a pytest-xdist worker: send the timings to the controller
        workeroutput["browser_timings"] = TIMINGS
