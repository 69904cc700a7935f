"""The times the README and the notebooks state are the ones tools/reading_time.py computes from the notebooks."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import reading_time  # noqa: E402


def test_readme_and_every_time_line_agree_with_the_estimate():
    readme = (ROOT / "README.md").read_text()
    for path in reading_time.notebooks():
        own, workshop = reading_time.estimate(path)
        assert f"| {own} / {workshop} min |" in readme.split(f"| {path.stem[:2]} | ", 1)[1].split("\n", 1)[0], path.name
        cells = json.loads(path.read_text())["cells"]
        lines = [s for s in ("".join(c["source"]) for c in cells if c["cell_type"] == "markdown") if "**Time:**" in s]
        if path.stem != "00_welcome":
            fix = "run python tools/reading_time.py --write"
            assert lines and reading_time.time_line(own, workshop) in lines[0], fix


def test_going_further_sections_count_only_on_your_own(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["## 1. Core\n", " ".join(["word"] * 150)]},
        {"cell_type": "code", "source": ["ch01.q1.check(answer)"]},
        {"cell_type": "markdown", "source": ["## 2. Going further (optional): depth\n", " ".join(["word"] * 300)]},
        {"cell_type": "code", "source": ["x = 1"]},
        {"cell_type": "markdown", "source": ["## Check yourself\n"]},
    ]}  # fmt: skip
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps(nb))
    core, extra = reading_time.contents(path)
    assert (core.words, core.code_cells, core.exercises) == (154, 1, 1)  # 150 words, "1 Core", "Check yourself"
    assert (extra.words, extra.code_cells) == (305, 1)  # 300 words, "2 Going further optional depth"
