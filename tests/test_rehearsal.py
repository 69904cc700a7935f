"""The workshop rehearsal (tools/rehearsal/run.py) skips with a message where its tools are missing,
and fails instead in CI; its extras stay out of the learners' requirements."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "tools" / "rehearsal" / "run.py"


def _run_without_tools(**env):
    """Run it with an empty PATH: no node, no git, so it cannot start anything."""
    clean = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run([sys.executable, str(RUN)], env=dict(clean, PATH="/nonexistent", **env),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_rehearsal_skips_with_a_message_where_node_is_missing():
    out = _run_without_tools()
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("skipped: ") and "Node.js" in out.stdout


def test_rehearsal_fails_in_ci_where_node_is_missing():
    out = _run_without_tools(CI="true")
    assert out.returncode == 1
    assert "FAILED" in out.stderr and "Node.js" in out.stderr


def test_rehearsal_extras_are_pinned_and_not_in_the_learners_requirements():
    learners = (ROOT / "requirements.txt").read_text().lower()
    extras = [line for line in (ROOT / "tools/rehearsal/requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]  # fmt: skip
    assert extras and all("==" in line for line in extras)
    for line in extras:
        assert line.split("==")[0].lower() not in learners
    package = json.loads((ROOT / "tools/rehearsal/package.json").read_text())
    lock = json.loads((ROOT / "tools/rehearsal/package-lock.json").read_text())
    version = package["dependencies"]["configurable-http-proxy"]
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == version
