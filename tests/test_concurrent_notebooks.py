"""A shared workshop server: four notebooks executed at the same time on this machine all pass."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_four_notebooks_at_once_all_pass(tmp_path):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no notebooks yet")
    chosen = (notebooks[1:] + notebooks[:1]) * 4  # start after the welcome notebook; repeat if fewer than 4
    chosen = chosen[:4]
    procs = []
    for i, nb in enumerate(chosen):
        out = tmp_path / f"{i}_{nb.name}"
        cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(nb),
               "--output", str(out), "--ExecutePreprocessor.timeout=300"]  # fmt: skip
        procs.append((nb.name, out, subprocess.Popen(cmd, cwd=nb.parent, stdout=subprocess.PIPE,
                                                       stderr=subprocess.STDOUT, text=True)))  # fmt: skip
    failures = []
    for name, out, proc in procs:
        log, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append(f"{name}:\n{log[-2000:]}")
            continue
        executed = nbformat.read(out, as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code"
                  and "raises-exception" not in c.metadata.get("tags", [])
                  for o in c.outputs if o.output_type == "error"]  # fmt: skip
        if errors:
            failures.append(f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    assert not failures, "\n\n".join(failures)
