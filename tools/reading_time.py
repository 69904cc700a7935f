"""How long each notebook takes a learner: estimated from what it contains, by one stated rule.

    python tools/reading_time.py           # print the table
    python tools/reading_time.py --write   # put the times into README.md and every notebook's "Time" line

Nobody can time real learners from here, so the estimate counts what a notebook asks of them:

* reading: the words of its markdown at 150 words a minute (technical prose with numbers and
  formulas; adults read plain prose at 200-250);
* running: 0.3 minutes per code cell (run it, read what it prints or draws);
* exercises: 4 minutes each ("Check yourself"; a quiz question: 1.5 minutes);
* "Try this" prompts: 1.5 minutes each (change a setting, run, read the answer).

Two numbers per notebook: **on your own** (everything, "Going further" sections included) and **in
a workshop** (without "Going further", two exercises and two "Try this" prompts; the rest is
homework). A notebook's Run All time (seconds, ``python -m bench``) is part of "running".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE, CODE_MINUTES, EXERCISE_MINUTES, QUIZ_MINUTES, TRY_MINUTES = 150, 0.3, 4.0, 1.5, 1.5
WORKSHOP_EXERCISES = WORKSHOP_TRIES = 2
_TIME_LINE = re.compile(r"\*\*Time:\*\* [^*]*?\.(?= \*\*|\s*$)", re.S)


@dataclass
class Contents:
    """What one part of a notebook asks of a learner."""

    words: int = 0
    code_cells: int = 0
    exercises: int = 0
    quiz_questions: int = 0
    tries: int = 0

    def minutes(self, exercises: int | None = None, tries: int | None = None) -> float:
        ex = self.exercises if exercises is None else min(exercises, self.exercises)
        tr = self.tries if tries is None else min(tries, self.tries)
        return (self.words / WORDS_PER_MINUTE + self.code_cells * CODE_MINUTES + ex * EXERCISE_MINUTES
                + self.quiz_questions * QUIZ_MINUTES + tr * TRY_MINUTES)  # fmt: skip


def contents(path: Path) -> tuple[Contents, Contents]:
    """``(core, going_further)``: what the notebook holds outside and inside its "Going further" sections."""
    cells = json.loads(path.read_text())["cells"]
    core, extra = Contents(), Contents()
    optional_level = None  # the heading level of the "Going further" section we are in
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            source = _TIME_LINE.sub("", source)  # the time line itself is not counted (it would count itself)
            fence, tries = False, False
            for line in source.splitlines():
                if line.strip().startswith("```"):
                    fence = not fence
                heading = None if fence else re.match(r"^(#+)\s+(.*)", line)
                if heading:
                    level = len(heading.group(1))
                    if "going further" in heading.group(2).lower():
                        optional_level = level
                    elif optional_level is not None and level <= optional_level:
                        optional_level = None
                part = extra if optional_level is not None else core
                part.words += len(re.findall(r"[A-Za-z0-9']+", line))
                tries = tries or "Try this" in line
                if tries and re.match(r"^\s*[-*] ", line):
                    part.tries += 1
        elif source.strip():
            part = extra if optional_level is not None else core
            part.code_cells += 1
            part.exercises += len(re.findall(r"\bch\d\d\.\w+\.check\(", source))
            quiz = re.search(r"\bquiz\((\w+)\.(\w+)", source)
            if quiz:
                part.quiz_questions += _quiz_length(path, quiz.group(2))
    return core, extra


def _quiz_length(path: Path, name: str) -> int:
    sys.path.insert(0, str(ROOT))
    import importlib

    lesson = importlib.import_module(f"course_utils.lessons.l{path.stem}")
    return len(getattr(lesson, f"ch{path.stem[:2]}").__dict__[name])


def estimate(path: Path) -> tuple[int, int]:
    """``(on your own, in a workshop)`` in minutes, rounded to 5."""
    core, extra = contents(path)
    own = core.minutes() + extra.minutes()
    workshop = core.minutes(WORKSHOP_EXERCISES, WORKSHOP_TRIES)
    return _round5(own), _round5(workshop)


def _round5(minutes: float) -> int:
    return max(5, int(5 * round(minutes / 5)))


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def time_line(own: int, workshop: int) -> str:
    return f"**Time:** about {own} minutes on your own, {workshop} in a workshop (how: see the README)."


def write() -> None:
    """The README's table column and every notebook's **Time:** line, from :func:`estimate`."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    for path in notebooks():
        own, workshop = estimate(path)
        text = re.sub(rf"(\| {path.stem[:2]} \| \[[^\n]*\| )[^|\n]*( \|)$", rf"\g<1>{own} / {workshop} min\g<2>", text,
                      flags=re.M)  # fmt: skip
        import nbformat  # (installed with Jupyter)

        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and "**Time:**" in cell.source:
                cell.source = _TIME_LINE.sub(time_line(own, workshop), cell.source, count=1)
                break
        nbformat.write(nb, path)
    readme.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/reading_time.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="update README.md and the notebooks' Time lines")
    args = parser.parse_args(argv)
    total_own = total_workshop = 0
    for path in notebooks():
        own, workshop = estimate(path)
        total_own, total_workshop = total_own + own, total_workshop + workshop
        print(f"{path.stem:38} {own:4} min on your own {workshop:4} min in a workshop")
    hours = f"({total_own / 60:.1f} h, {total_workshop / 60:.1f} h)"
    print(f"{'all 13':38} {total_own:4} min on your own {total_workshop:4} min in a workshop {hours}")
    if args.write:
        write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
