"""The launch files agree with each other: Binder pins what requirements.txt pins, CI runs the README."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins(path):
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_binder_pins_the_same_versions_as_requirements():
    root, binder = _pins("requirements.txt"), _pins("binder/requirements.txt")
    runtime = {"torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel", "tqdm", "scikit-learn"}
    assert runtime <= set(binder), f"binder/requirements.txt lacks {sorted(runtime - set(binder))}"
    for name, version in binder.items():
        assert root.get(name) == version, f"{name}: binder pins {version}, requirements.txt pins {root.get(name)}"


def test_torch_is_pinned_and_binder_uses_the_cpu_wheels():
    assert _pins("requirements.txt")["torch"] == "2.13.0"
    assert "download.pytorch.org/whl/cpu" in (ROOT / "binder/requirements.txt").read_text()
    assert "pip install --no-deps -e ." in (ROOT / "binder/postBuild").read_text()
    assert (ROOT / "binder/runtime.txt").read_text().strip() == "python-3.11"


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    assert len(commands) == 2, "the README shows exactly two commands"
    open_cmd, test_cmd = commands
    assert "jupyter lab" in open_cmd and test_cmd.endswith("pytest")
    assert test_cmd in (ROOT / ".ci/run").read_text()


def test_every_notebook_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{nb.name})" in readme, f"{nb.name} is not linked from the README"
