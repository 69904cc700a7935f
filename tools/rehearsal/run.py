"""A workshop rehearsal on a real JupyterHub, on this machine, on loopback addresses only.

    .venv/bin/python tools/rehearsal/run.py [--learners 4] [--timeout 600]

What it does, start to end:

1. Serves the course from a bare git repository in a temporary folder (this clone's HEAD, as branch
   ``main``), and starts JupyterHub on 127.0.0.1 with its proxy (configurable-http-proxy, from
   ``npm ci --prefix tools/rehearsal``), a shared-password test authenticator and local-process
   spawner (no system accounts: each learner's home is a folder under the temporary folder). The
   single-user servers run from this ``.venv``, where nbgitpuller is installed.
2. A class of learners, at the same time, each in a browser context of one headless Chromium: logs in
   on the hub's login page, follows the nbgitpuller link that ``tools/launch.py --hub`` prints (the
   course arrives in their home folder and 00 opens), closes 00, opens notebook 01 from the file
   browser, clears its outputs and runs all cells, moves a slider with the keyboard and waits for the
   readout and a new picture, answers exercise Q1 ("Correct!"), closes 01 (and shuts down its kernel),
   then edits and saves a cell of notebook 03 (closed after) and one of notebook 02 (left open).
3. The instructor commits a new markdown cell near the top of 01 and of 02, a line added to a code
   cell of 01 (which learners ran and saved) and a new file, and pushes. Every learner follows
   the link again: the changes and the file must arrive, the merged notebooks must be valid, and the
   learner's own edits (to 01, 03 and, in other lines, to 02) must still be there.
4. Prints (and writes to tools/rehearsal/out/results.json) the times from login to a running
   notebook, the memory of each learner's server and kernels, CPU seconds, and what they imply.

Everything it starts carries an environment marker; at the end (also on a failure, Ctrl+C, SIGTERM
or the global timeout) it stops the browser and the hub, then ends every process that still carries
the marker, and fails if any is left. Where Node, the proxy, JupyterHub, nbgitpuller, Playwright or
Chromium is missing it prints "skipped: ..." and exits 0 -- except with CI=true, where it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CHP = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent  # the .venv: jupyterhub, jupyterhub-singleuser, the learners' kernels
COURSE = "training-loop-lab"  # the served repository's folder name, hence the folder in each learner's home
MARK = "TLL_REHEARSAL"  # environment marker carried by every process the rehearsal starts
NB = {n: f"notebooks/{name}" for n, name in [("00", "00_welcome.ipynb"), ("01", "01_training_loop.ipynb"),
                                             ("02", "02_forward_and_loss.ipynb"),
                                             ("03", "03_gradients_and_updates.ipynb")]}  # fmt: skip
STOPPED = "stopped: the rehearsal failed elsewhere"
IDLE = re.compile(r"\(ipykernel\) \| Idle")
INSTRUCTOR_NOTE = "Added during the workshop"
NEW_FILE = "WORKSHOP_NOTES.md"
CODE_NOTE = "# (this cell was updated during the workshop)"  # the instructor's line in 01's first code cell
# The learners' JupyterLab settings: no news pop-up over the page (as in the browser tests); the rest
# is JupyterLab's default (its default windowing keeps every cell in the page, rendering only those in view).
LAB_SETTINGS = {
    "apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false", "checkForUpdates": false}',
}

sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port  # noqa: E402
from tests.browser.conftest import _missing as _browser_missing  # noqa: E402
from tests.browser.test_notebooks_in_browser import (  # noqa: E402
    ALL_PROMPTS_NUMBERED,
    _change_slider,
    _menu,
    _output_state,
    _wait_for_redraw,
)

T0 = time.perf_counter()
_print_lock = threading.Lock()
ABORT = threading.Event()  # set when the rehearsal stops: learners' errors after that are consequences


def say(message: str) -> None:
    with _print_lock:
        print(f"[{time.perf_counter() - T0:6.1f} s] {message}", flush=True)


class Failure(Exception):
    """The rehearsal found something wrong (or ran out of time)."""


# -- prerequisites --------------------------------------------------------------------------------


def missing() -> list[str]:
    why = []
    if not shutil.which("node"):
        why.append("Node.js is not installed (as root: apt-get install -y nodejs npm)")
    elif not CHP.exists():
        why.append("configurable-http-proxy is not installed (npm ci --prefix tools/rehearsal)")
    for module in ("jupyterhub", "nbgitpuller", "psutil"):
        try:
            __import__(module)
        except ImportError:
            why.append(f"{module} is not installed (.venv/bin/pip install -r tools/rehearsal/requirements.txt)")
    if not (BIN / "jupyterhub").exists():
        why.append(f"{BIN / 'jupyterhub'} does not exist: run this with the .venv's python")
    if not shutil.which("git"):
        why.append("git is not installed")
    browser = _browser_missing()
    if browser:
        why.append(browser)
    return why


# -- processes ------------------------------------------------------------------------------------


def marked(run_id: str) -> list:
    """Every live process (but this one) that carries this run's marker."""
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if p.pid != os.getpid() and p.environ().get(MARK) == run_id and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def end_processes(procs: list, grace: float = 5.0) -> None:
    import psutil

    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)


def stop_popen(proc: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM a process we started (it cleans up after itself), then SIGKILL its whole process group."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def memory(p) -> dict:
    """RSS now, peak RSS (VmHWM) and USS, in MB."""
    info = p.memory_full_info()
    peak = 0.0
    for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return {"rss": info.rss / 2**20, "peak": peak, "uss": info.uss / 2**20}


def cpu_seconds(p) -> float:
    t = p.cpu_times()
    return t.user + t.system


def learner_processes(run_id: str, user: str) -> tuple:
    """(single-user server, {kernel id: kernel process}) of one learner."""
    server = None
    for p in marked(run_id):
        try:
            if p.environ().get("JUPYTERHUB_USER") == user and any("jupyterhub-singleuser" in a for a in p.cmdline()):
                server = p
                break
        except Exception:
            continue
    if server is None:
        raise Failure(f"{user}: no single-user server process found")
    kernels = {}
    for child in server.children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
        except Exception:
            continue
        if "ipykernel_launcher" in cmd:
            match = re.search(r"kernel-([0-9a-f-]+)\.json", cmd)
            kernels[match.group(1) if match else str(child.pid)] = child
    return server, kernels


class CpuLedger:
    """CPU seconds of every process the rehearsal starts, by kind, sampled every second (a process that
    ends between two samples loses at most a second of its CPU time)."""

    KINDS = [("jupyterhub-singleuser", "learners' servers"), ("ipykernel_launcher", "learners' kernels"),
             ("configurable-http-proxy", "proxy"), ("bin/jupyterhub", "hub"), ("chromium", "Chromium"),
             ("playwright", "Playwright drivers")]  # fmt: skip

    def __init__(self, run_id: str):
        self.run_id, self.seen, self.stop = run_id, {}, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _kind(self, p) -> str:
        cmd = " ".join(p.cmdline())
        return next((kind for needle, kind in self.KINDS if needle in cmd), "other (git, launch.py)")

    def sample(self) -> None:
        for p in marked(self.run_id):
            try:
                key = (p.pid, p.create_time())
                if key in self.seen:
                    kind, user = self.seen[key][:2]
                else:
                    kind, user = self._kind(p), p.environ().get("JUPYTERHUB_USER")
                self.seen[key] = (kind, user, cpu_seconds(p))
            except Exception:
                pass

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            self.sample()

    def totals(self) -> dict:
        out: dict = {}
        for kind, _, seconds in self.seen.values():
            out[kind] = out.get(kind, 0.0) + seconds
        return out

    def user(self, name: str) -> float:
        """CPU seconds of one learner's server and kernels (those already shut down included)."""
        return sum(seconds for _, user, seconds in self.seen.values() if user == name)


# -- the course, served from a local bare repository ----------------------------------------------


def git(*args: str, cwd: Path | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if out.returncode:
        raise Failure(f"git {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def serve_course(tmp: Path) -> tuple[Path, str]:
    """A bare repository with this clone's HEAD as branch main; returns (its path, HEAD's commit)."""
    bare = tmp / "srv" / COURSE
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git("fetch", "--quiet", "--no-tags", str(ROOT), "+HEAD:refs/heads/main", cwd=bare)
    head = git("rev-parse", "main", cwd=bare)
    if git("status", "--porcelain", "--untracked-files=no", cwd=ROOT):
        say("note: this clone has uncommitted changes; the rehearsal serves its last commit only")
    return bare, head


def instructor_update(tmp: Path, bare: Path, run_id: str) -> None:
    """In a clone of the served repository: a new markdown cell near the top of 02 (which learners have
    edited lower down) and of 01 (which they have run, answered and saved), a line added to a code
    cell of 01 that they ran, and a new file; commit and push."""
    import nbformat

    work = tmp / "instructor"
    git("clone", "--quiet", str(bare), str(work))
    for key in ("01", "02"):
        nb = nbformat.read(work / NB[key], as_version=4)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(
            f"**{INSTRUCTOR_NOTE}** (rehearsal {run_id}): if a demo is slow, move one control at a time."))  # fmt: skip
        if key == "01":  # and a line at the end of the first code cell, which every learner has run
            cell = next(c for c in nb.cells if c.cell_type == "code")
            cell.source = cell.source.rstrip("\n") + "\n" + CODE_NOTE
        nbformat.write(nb, work / NB[key])
    (work / NEW_FILE).write_text(f"# Notes from the workshop\n\nRehearsal {run_id}: pushed while learners worked.\n")
    git("add", NB["01"], NB["02"], NEW_FILE, cwd=work)
    git("-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid", "commit", "--quiet",
        "-m", "Workshop update: notes in 01 and 02, a line in 01's first code cell, a new file", cwd=work)  # fmt: skip
    git("push", "--quiet", "origin", "main", cwd=work)


def nbgitpuller_link(bare: Path, hub: str) -> str:
    """The link exactly as ``tools/launch.py --hub`` prints it."""
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "launch.py"), "--repo", bare.as_uri(), "--hub", hub],
                         capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    links = [line.split(None, 1)[1] for line in out.stdout.splitlines() if line.startswith("nbgitpuller:")]
    if len(links) != 1:
        raise Failure(f"tools/launch.py printed no nbgitpuller link:\n{out.stdout}{out.stderr}")
    return links[0]


# -- JupyterHub -----------------------------------------------------------------------------------

HUB_CONFIG = """\
# Written by tools/rehearsal/run.py for one rehearsal; everything on 127.0.0.1, all state in {tmp}.
from pathlib import Path

c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{tmp}/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = "{tmp}/proxy.pid"
# A test authenticator (DummyAuthenticator's password is deprecated since JupyterHub 5.3 in favour of this one)
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allow_all = True
# Local processes, no system accounts: each user's home is a folder under {tmp}/home
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{tmp}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180

LAB_SETTINGS = {settings!r}


def write_lab_settings(spawner):
    base = Path(spawner.home_dir) / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for name, text in LAB_SETTINGS.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)


c.Spawner.pre_spawn_hook = write_lab_settings
"""


@dataclass
class Hub:
    url: str
    password: str
    homes: Path
    proc: subprocess.Popen
    log: Path


def start_hub(tmp: Path, run_id: str) -> Hub:
    port, hub_port, proxy_api_port = _free_port(), _free_port(), _free_port()
    password = secrets.token_hex(8)
    config = tmp / "jupyterhub_config.py"
    config.write_text(HUB_CONFIG.format(
        tmp=tmp, port=port, hub_port=hub_port, proxy_api_port=proxy_api_port, chp=str(CHP),
        proxy_token=secrets.token_hex(16), password=password, singleuser=str(BIN / "jupyterhub-singleuser"),
        args=["--allow-root"] if os.geteuid() == 0 else [], environment={MARK: run_id}, settings=LAB_SETTINGS,
    ))  # fmt: skip
    log = tmp / "jupyterhub.log"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=tmp, env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/hub/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise Failure("JupyterHub did not start:\n" + log.read_text()[-3000:]) from None
            time.sleep(0.3)
    return Hub(url, password, tmp / "home", proc, log)


# -- the browser ----------------------------------------------------------------------------------


def start_chromium(tmp: Path) -> tuple[subprocess.Popen, str]:
    """One headless Chromium, driven over CDP on loopback, so that every learner's thread (each with
    its own Playwright, which is not thread-safe) opens its own browser context in the same browser."""
    profile = tmp / "chromium"
    proc = subprocess.Popen([CHROMIUM, "--headless", "--remote-debugging-address=127.0.0.1",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}", *CHROMIUM_ARGS, "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "chromium.log", "w"),
                            start_new_session=True)  # fmt: skip
    port_file = profile / "DevToolsActivePort"
    deadline = time.time() + 60
    while not (port_file.exists() and port_file.read_text().strip()):
        if proc.poll() is not None or time.time() > deadline:
            raise Failure("Chromium did not start:\n" + (tmp / "chromium.log").read_text()[-2000:])
        time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port_file.read_text().split()[0]}"


# -- a learner ------------------------------------------------------------------------------------


@dataclass
class Learner:
    name: str
    home: Path
    times: dict = field(default_factory=dict)  # seconds
    memory: dict = field(default_factory=dict)  # MB
    cpu: dict = field(default_factory=dict)  # CPU seconds
    checks: list = field(default_factory=list)
    error: str | None = None

    @property
    def course(self) -> Path:
        return self.home / COURSE

    def marker(self, notebook: str) -> str:
        return f"# {self.name} edited this cell of {notebook}"


def _wait(predicate, timeout: float, what: str, page=None) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        if page is not None:
            page.wait_for_timeout(100)
        else:
            time.sleep(0.1)


def _panel(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def _open_notebook(page, key: str):
    """Open a notebook as a learner does: double-click it in the file browser (which shows the folder
    of the notebook the link opened). Cheaper than a page load, which starts all of JupyterLab again."""
    name = Path(NB[key]).name
    page.locator(".jp-DirListing-item", has_text=name).first.dblclick()
    tab = page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name)
    tab.first.wait_for(timeout=120_000)
    body = _panel(page)
    body.locator(".jp-Cell").first.wait_for(timeout=120_000)
    return body


def _close_and_shut_down(page, key: str) -> None:
    """File > Close and Shut Down Notebook, as the instructor guide asks learners to do with a notebook
    they have finished: its kernel's memory goes back to the hub."""
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=Path(NB[key]).name)
    _menu(page, "File", "Close and Shut Down Notebook\u2026")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    _wait(lambda: tab.count() == 0, 60, f"the tab of {key} to close", page)


def _set_source(page, cell, source: str) -> None:
    """Replace a cell's source as a learner would: click into it, select all, type."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)


def _save_and_wait(page, path: Path, needle: str) -> None:
    page.keyboard.press("Control+S")
    _wait(lambda: needle in path.read_text(), 60, f"{path.name} to be saved with the edit", page)


def _snapshot(learner: Learner, run_id: str, page, base: str, label: str) -> None:
    """Memory and CPU of the learner's server and kernels; the kernel of notebook 01 by its session."""
    server, kernels = learner_processes(run_id, learner.name)
    sessions = page.request.get(f"{base}/api/sessions").json()
    by_path = {s["path"]: s["kernel"]["id"] for s in sessions if s.get("kernel")}
    k01 = by_path.get(f"{COURSE}/{NB['01']}")
    if k01 not in kernels:
        raise Failure(f"{learner.name}: notebook 01's kernel {k01} is not among {sorted(kernels)}")
    learner.memory[f"{label}: server"] = memory(server)
    learner.memory[f"{label}: kernel 01"] = memory(kernels[k01])
    others = [memory(p) for k, p in kernels.items() if k != k01]
    learner.memory[f"{label}: other kernels"] = {"count": len(others), "rss": sum(m["rss"] for m in others)}
    learner.cpu[f"{label}: server"] = cpu_seconds(server)
    learner.cpu[f"{label}: kernels"] = sum(cpu_seconds(p) for p in kernels.values())


def _kernel01_cpu(learner: Learner, run_id: str, page, base: str) -> float:
    _, kernels = learner_processes(run_id, learner.name)
    sessions = page.request.get(f"{base}/api/sessions").json()
    k01 = next(s["kernel"]["id"] for s in sessions if s["path"] == f"{COURSE}/{NB['01']}")
    return cpu_seconds(kernels[k01])


def learner_part1(page, learner: Learner, hub: Hub, link: str, run_id: str) -> None:
    base = f"{hub.url}/user/{learner.name}"
    t0 = time.perf_counter()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", learner.name)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{learner.name}/lab"), timeout=180_000)  # the hub spawned the server
    page.locator("#jp-main-statusbar").wait_for(timeout=120_000)
    learner.times["login -> JupyterLab open"] = time.perf_counter() - t0
    say(f"{learner.name}: logged in, JupyterLab open ({learner.times['login -> JupyterLab open']:.1f} s)")

    t = time.perf_counter()
    page.goto(link)  # nbgitpuller's page clones the course, then opens the link's notebook (00)
    page.wait_for_url(re.compile(rf"/user/{learner.name}/lab/tree/{COURSE}/{re.escape(NB['00'])}"), timeout=180_000)
    _panel(page).locator(".jp-Cell").first.wait_for(timeout=120_000)
    learner.times["link -> course cloned, 00 open"] = time.perf_counter() - t
    if not (learner.course / NB["01"]).exists() or not (learner.course / ".git").is_dir():
        raise Failure(f"{learner.name}: the course is not in {learner.course}")
    say(f"{learner.name}: followed the link, course in {learner.course.relative_to(hub.homes)}")
    _close_and_shut_down(page, "00")  # done with the welcome notebook

    t = time.perf_counter()
    body = _open_notebook(page, "01")
    page.locator("#jp-main-statusbar").get_by_text(IDLE).wait_for(timeout=180_000)
    _menu(page, "Edit", "Clear Outputs of All Cells")  # so that the saved prompts cannot pass for a fresh run
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_PROMPTS_NUMBERED, polling=500, timeout=300_000)  # not every frame: 2 cores
    page.locator("#jp-main-statusbar").get_by_text(IDLE).wait_for(timeout=120_000)
    learner.times["open 01 -> Run All finished"] = time.perf_counter() - t
    learner.times["login -> notebook running"] = time.perf_counter() - t0
    errors = [e for e in body.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
              if "Traceback" in e or re.search(r"^\w+Error\b", e, re.M)]  # fmt: skip
    if errors:
        raise Failure(f"{learner.name}: notebook 01 shows errors:\n" + "\n".join(errors)[:2000])
    say(f"{learner.name}: notebook 01 ran ({learner.times['login -> notebook running']:.1f} s after login)")

    demo = body.locator(".tll-demo").first
    demo.scroll_into_view_if_needed()
    out = demo.locator(".tll-demo-output")
    out.locator("img").first.wait_for(timeout=60_000)
    slider = demo.locator(".widget-slider").first
    label = slider.locator("label").first.inner_text().strip()
    readout = slider.locator(".widget-readout").first.inner_text().strip()
    old = _output_state(out)
    cpu0 = _kernel01_cpu(learner, run_id, page, base)
    t = time.perf_counter()
    shown = _change_slider(page, slider)
    if shown == readout:
        raise Failure(f"{learner.name}: the slider {label} did not move")
    _, text = _wait_for_redraw(page, out, old, label, shown)
    _wait(lambda: _output_state(out)[1] not in (None, old[1]), 60, "a new picture", page)
    page.locator("#jp-main-statusbar").get_by_text(IDLE).wait_for(timeout=60_000)
    learner.times["slider -> new readout and picture"] = time.perf_counter() - t
    learner.cpu["one slider change: kernel 01"] = _kernel01_cpu(learner, run_id, page, base) - cpu0
    learner.checks.append(f"slider {label}: {readout} -> {shown}, readout and picture changed")
    say(f"{learner.name}: moved {label} {readout} -> {shown}; new readout and picture")

    cell = body.locator(".jp-CodeCell").filter(has_text="ch01.q1.check(answer_q1)")
    _set_source(page, cell, "answer_q1 = 160  # your number\n"
                            "ch01.q1.check(answer_q1)")  # fmt: skip
    page.keyboard.press("Shift+Enter")
    verdict = cell.locator(".jp-OutputArea")
    _wait(lambda: re.search(r"Correct!|Not quite", verdict.inner_text() or ""), 60, "the exercise's verdict", page)
    if "Correct!" not in verdict.inner_text():
        raise Failure(f"{learner.name}: exercise 01.q1 answered 160 but the cell says: {verdict.inner_text()}")
    _save_and_wait(page, learner.course / NB["01"], "answer_q1 = 160")
    learner.checks.append("exercise 01.q1: 160 -> Correct!")
    say(f"{learner.name}: answered 01.q1: Correct!")
    _snapshot(learner, run_id, page, base, "after 01")
    learner.cpu["login -> exercise answered"] = (learner.cpu["after 01: server"] + learner.cpu["after 01: kernels"])
    page.screenshot(path=str(OUT / f"{learner.name}-01.png"))
    _close_and_shut_down(page, "01")

    # Edits that the update must keep: a cell of 03 (untouched by the instructor) and one of 02
    # (which the instructor changes near the top: other lines of the same file).
    for key, anchor, source in [
        ("03", "ch03.q1.check(answer_q1)", "answer_q1 = 0.7  {marker}\nch03.q1.check(answer_q1)"),
        ("02", "ch02.q4.check(prediction_q4)", 'prediction_q4 = "b"  {marker}\nch02.q4.check(prediction_q4)'),
    ]:
        body = _open_notebook(page, key)
        cell = body.locator(".jp-CodeCell").filter(has_text=anchor)
        _set_source(page, cell, "from course_utils.exercises import ch03\n\n" * (key == "03")
                    + source.format(marker=learner.marker(key)))  # fmt: skip
        _save_and_wait(page, learner.course / NB[key], learner.marker(key))
        if key == "03":
            _close_and_shut_down(page, "03")
    learner.checks.append("edited and saved a cell of 03 and one of 02; 02 stays open for the update")
    say(f"{learner.name}: edited and saved a cell in 03 and in 02 (02 stays open)")


def learner_part2(page, learner: Learner, hub: Hub, link: str, run_id: str) -> None:
    t = time.perf_counter()
    page.goto(link)  # the same link again: nbgitpuller merges the instructor's update
    page.wait_for_url(re.compile(rf"/user/{learner.name}/lab/tree/{COURSE}/{re.escape(NB['00'])}"), timeout=180_000)
    _panel(page).locator(".jp-Cell").first.wait_for(timeout=120_000)
    learner.times["update: link -> pulled, 00 open"] = time.perf_counter() - t
    course = learner.course
    problems = []
    if not (course / NEW_FILE).exists():
        problems.append(f"the new file {NEW_FILE} did not arrive")
    import nbformat

    for key in ("01", "02", "03"):
        try:
            nbformat.validate(nbformat.read(course / NB[key], as_version=4))
        except Exception as exc:
            problems.append(f"{key} is no longer a valid notebook after the merge: {exc}")
    for key, needle in [("01", INSTRUCTOR_NOTE), ("01", CODE_NOTE), ("02", INSTRUCTOR_NOTE)]:
        if needle not in (course / NB[key]).read_text():
            problems.append(f"the instructor's change to {key} ({needle!r}) did not arrive")
    for key, needle in [("01", "answer_q1 = 160"), ("02", learner.marker("02")), ("03", learner.marker("03"))]:
        if needle not in (course / NB[key]).read_text():
            problems.append(f"the learner's edit to {key} was lost")
    leftovers = [p.name for p in learner.home.iterdir() if p.name.startswith(f"{COURSE}_backup")]
    leftovers += [p.name for p in (course / "notebooks").iterdir() if re.search(r"_\d{8,}", p.name)]
    if leftovers:
        problems.append(f"nbgitpuller renamed or backed up files: {leftovers}")
    if problems:
        raise Failure(f"{learner.name} after the update: " + "; ".join(problems))
    t = time.perf_counter()
    body = _open_notebook(page, "02")  # and in JupyterLab: the new cell and the learner's edit
    for what, locator in [("the instructor's new cell", body.locator(".jp-MarkdownCell", has_text=INSTRUCTOR_NOTE)),
                          ("the learner's edit", body.locator(".jp-CodeCell", has_text=learner.marker("02")))]:
        try:
            locator.first.wait_for(state="attached", timeout=60_000)
        except Exception:
            raise Failure(f"{learner.name}: JupyterLab does not show {what} in 02 after the update") from None
    learner.times["update: open 02, see the new cell and own edit"] = time.perf_counter() - t
    learner.checks.append("update: new file and changes to 01 and 02 arrived; edits to 01, 02, 03 kept")
    say(f"{learner.name}: update arrived ({learner.times['update: link -> pulled, 00 open']:.1f} s), own edits kept")


def _accept(dialog) -> None:
    try:
        dialog.accept()
    except Exception:  # it went away by itself
        pass


def learner_thread(learner: Learner, cdp: str, hub: Hub, link: str, run_id: str, barrier: threading.Barrier,
                   fail_at: str | None) -> None:  # fmt: skip
    from playwright.sync_api import sync_playwright

    page = None
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.connect_over_cdp(cdp, timeout=60_000)
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.set_default_timeout(120_000)
            page = context.new_page()
            page.on("dialog", _accept)
            try:
                learner_part1(page, learner, hub, link, run_id)
                if fail_at == "learner" and learner.name.endswith("1"):
                    raise Failure(f"{learner.name}: failing on purpose (--fail-at learner)")
                barrier.wait()  # everyone has worked on the course ...
                barrier.wait()  # ... and the instructor has pushed an update
                learner_part2(page, learner, hub, link, run_id)
            except threading.BrokenBarrierError:
                raise
            except BaseException as exc:
                learner.error = f"{type(exc).__name__}: {exc}"
                try:
                    page.screenshot(path=str(OUT / f"{learner.name}-failure.png"))
                except Exception:
                    pass
                raise
            finally:
                context.close()
    except threading.BrokenBarrierError:
        learner.error = STOPPED
        return
    except BaseException as exc:  # pytest.fail (used by the imported helpers) raises a BaseException
        if ABORT.is_set():
            learner.error = learner.error or STOPPED
            return
        learner.error = learner.error or f"{type(exc).__name__}: {exc}"
        say(f"{learner.name}: FAILED: {learner.error.splitlines()[0][:300]}")
        barrier.abort()


# -- figures --------------------------------------------------------------------------------------


def figures(learners: list[Learner], cpu_by_kind: dict, wall: float) -> dict:
    def stat(values):
        return {"median": statistics.median(values), "max": max(values), "n": len(values)}

    f = {"learners": len(learners), "cores": os.cpu_count(), "wall_seconds": wall}
    for kind, seconds in sorted(cpu_by_kind.items(), key=lambda item: -item[1]):
        f[f"cpu, whole rehearsal: {kind} (s)"] = seconds
    for key in learners[0].times:
        f[f"time: {key} (s)"] = stat([learner.times[key] for learner in learners])
    for key in ("after 01: server", "after 01: kernel 01"):
        for kind in ("rss", "peak", "uss"):
            f[f"memory: {key} {kind} (MB)"] = stat([learner.memory[key][kind] for learner in learners])
    f["memory: after 01: other kernels rss (MB)"] = stat([x.memory["after 01: other kernels"]["rss"] for x in learners])
    for key in ("login -> exercise answered", "one slider change: kernel 01", "whole rehearsal: server + kernels"):
        f[f"cpu: {key} (s)"] = stat([learner.cpu[key] for learner in learners])
    per_learner = sum(f[f"memory: after 01: {key} (MB)"]["median"]
                      for key in ("server peak", "kernel 01 peak", "other kernels rss"))
    f["derived: MB per learner (server peak + kernel 01 peak + any other kernel)"] = per_learner
    f["derived: learners per GB"] = 1024 / per_learner
    start_cpu = f["cpu: login -> exercise answered (s)"]["median"]
    f["derived: learners whose start (login to exercise) one core absorbs in 5 minutes"] = 300 / start_cpu
    f["derived: one slider change, % of a core per learner moving a slider every 10 s"] = (
        100 * f["cpu: one slider change: kernel 01 (s)"]["median"] / 10)
    return f


def report(f: dict) -> None:
    before, after = f["load average (1 min) before, after"]
    say(f"figures ({f['learners']} learners at once, {f['cores']} cores, {f['wall_seconds']:.0f} s in all; "
        f"load average {before:.1f} before, {after:.1f} after):")
    for key, value in f.items():
        if isinstance(value, dict):
            print(f"    {key:<78} median {value['median']:8.2f}   max {value['max']:8.2f}")
        elif key.startswith(("derived", "cpu", "memory")):
            print(f"    {key:<78} {value:8.2f}")


# -- the whole rehearsal --------------------------------------------------------------------------


def rehearse(args, run_id: str, tmp: Path, started: dict) -> dict:
    load_before = os.getloadavg()[0]  # other work on the machine slows every time measured here
    ledger = started["ledger"] = CpuLedger(run_id)
    ledger.thread.start()
    bare, head = serve_course(tmp)
    say(f"serving {COURSE} at {bare.as_uri()} (commit {head[:10]}, branch main)")
    hub = start_hub(tmp, run_id)
    started["hub"] = hub.proc
    say(f"JupyterHub up at {hub.url} (proxy {CHP.name}, shared-password authenticator, local processes)")
    if args.fail_at == "hub":
        raise Failure("failing on purpose (--fail-at hub)")
    link = nbgitpuller_link(bare, hub.url)
    say(f"link from tools/launch.py --hub: {link}")
    chromium, cdp = start_chromium(tmp)
    started["chromium"] = chromium
    learners = [Learner(f"learner-{i + 1}", hub.homes / f"learner-{i + 1}") for i in range(args.learners)]
    barrier = threading.Barrier(len(learners) + 1, timeout=args.timeout)
    threads = [threading.Thread(target=learner_thread, daemon=True, name=x.name,
                                args=(x, cdp, hub, link, run_id, barrier, args.fail_at)) for x in learners]  # fmt: skip
    started["threads"], started["barrier"] = threads, barrier
    for thread in threads:
        thread.start()
    hub_memory: dict = {}
    try:
        barrier.wait()
        check_loopback(run_id)
        hub_memory = hub_and_proxy_memory(hub)
        instructor_update(tmp, bare, run_id)
        say("instructor: committed a new cell in 02 and a new file, and pushed")
        if args.fail_at == "update":
            raise Failure("failing on purpose (--fail-at update)")
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    failed = [x for x in learners if x.error and x.error != STOPPED] or [x for x in learners if x.error]
    if failed:
        raise Failure("; ".join(f"{x.name}: {x.error.splitlines()[0][:300]}" for x in failed))
    ledger.sample()
    for learner in learners:
        learner.cpu["whole rehearsal: server + kernels"] = ledger.user(learner.name)
    result = {"run": run_id, "commit": head, "learners": [asdict(x) for x in learners]}
    result["figures"] = figures(learners, ledger.totals(), time.perf_counter() - T0)
    result["figures"].update(hub_memory)
    result["figures"]["load average (1 min) before, after"] = [load_before, os.getloadavg()[0]]
    return result


def hub_and_proxy_memory(hub: Hub) -> dict:
    import psutil

    process = psutil.Process(hub.proc.pid)
    proxy = [p for p in process.children() if "configurable-http-proxy" in " ".join(p.cmdline())]
    out = {"memory: hub rss (MB)": memory(process)["rss"]}
    if proxy:
        out["memory: proxy rss (MB)"] = memory(proxy[0])["rss"]
    return out


def check_loopback(run_id: str) -> None:
    """Every socket that any process of the rehearsal listens on is on a loopback address."""
    import psutil

    wide = []
    for p in marked(run_id):
        try:
            for conn in p.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.ip not in ("127.0.0.1", "::1"):
                    wide.append(f"{p.name()} ({p.pid}) on {conn.laddr.ip}:{conn.laddr.port}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    if wide:
        raise Failure("listening beyond loopback: " + ", ".join(wide))
    say("checked: every listening socket of the rehearsal is on 127.0.0.1")


def cleanup(run_id: str, started: dict) -> list[str]:
    """Stop the browser and the hub (which stops the proxy and the servers), then every marked process."""
    ABORT.set()
    if started.get("barrier"):
        started["barrier"].abort()  # learners waiting for the update stop waiting
    if started.get("ledger"):
        started["ledger"].stop.set()
    stop_popen(started.get("chromium"), grace=5)
    for thread in started.get("threads", []):
        thread.join(timeout=10)
    stop_popen(started.get("hub"), grace=20)
    left = marked(run_id)
    if left:
        end_processes(left)
    stray = []
    for p in marked(run_id):
        try:
            stray.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except Exception:
            pass
    return stray


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/rehearsal/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=4, help="learners at once (default 4)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before it fails and cleans up (600)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (homes, logs)")
    parser.add_argument("--fail-at", choices=["hub", "learner", "update"], help="fail on purpose (tests the cleanup)")
    args = parser.parse_args(argv)

    why = missing()
    if why:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print("FAILED: the rehearsal cannot run in CI: " + "; ".join(why), file=sys.stderr)
            return 1
        print("skipped: the workshop rehearsal needs " + "; ".join(why))
        return 0

    run_id = secrets.token_hex(6)
    os.environ[MARK] = run_id  # inherited by everything started from here on
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    tmp = Path(tempfile.mkdtemp(prefix=f"tll-rehearsal-{run_id}-"))
    started: dict = {}

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def too_long(signum, frame):
        raise TimeoutError(f"the rehearsal took longer than --timeout {args.timeout:.0f} s")

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(int(args.timeout))

    def watchdog():  # if the cleanup itself hangs: end everything marked and leave
        time.sleep(args.timeout + 120)
        end_processes(marked(run_id), grace=2)
        print("FAILED: the rehearsal hung in its cleanup; ended its processes", file=sys.stderr, flush=True)
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()
    code, result = 1, None
    say(f"rehearsal {run_id}: {args.learners} learners, temporary folder {tmp}")
    try:
        result = rehearse(args, run_id, tmp, started)
        code = 0
    except (Failure, TimeoutError, KeyboardInterrupt, Exception) as exc:
        say(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the cleanup finish (the watchdog bounds it)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        t = time.perf_counter()
        stray = cleanup(run_id, started)
        hub_log = tmp / "jupyterhub.log"
        if hub_log.exists():
            shutil.copy(hub_log, OUT / "jupyterhub.log")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        say(f"cleanup: {time.perf_counter() - t:.1f} s; " + (f"STRAY PROCESSES: {stray}" if stray else
                                                             "no process of the rehearsal is left"))  # fmt: skip
        if stray:
            code = 1
    if result:
        (OUT / "results.json").write_text(json.dumps(result, indent=1, default=str))
        report(result["figures"])
        say(f"rehearsal passed: {args.learners} learners; results in {(OUT / 'results.json').relative_to(ROOT)}")
    if code and (OUT / "jupyterhub.log").exists():
        print("last lines of the hub's log:\n" + (OUT / "jupyterhub.log").read_text()[-3000:], file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
