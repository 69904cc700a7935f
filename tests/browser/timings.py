"""The browser tests' timings, printed at the end of the session (and saved next to the screenshots).

A plain module, not a conftest: the summary is printed by the process that ran the tests or, under
pytest-xdist, by the controller from what its workers sent (tests/conftest.py)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def report(timings: dict[str, dict], write: Callable[[str], object]) -> None:
    """Save ``timings`` (notebook -> measured seconds) as JSON and print them, one line per notebook."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "browser_timings.json").write_text(json.dumps(timings, indent=1))
    write("")
    write("browser timings (seconds): open + run all | change -> new picture painted, median / worst, timed in the"
          " page (as driven by Playwright, median) | 20 quick changes")
    redraws, driven = [], []
    for name, t in sorted(timings.items()):
        r, w = t.get("redraw", []), t.get("redraw_driver", [])
        redraws, driven = redraws + r, driven + w
        med = f"{statistics.median(r):.2f} / {max(r):.2f}" if r else "-"
        med += f" ({statistics.median(w):.2f})" if w else ""
        rapid = (f"{t['rapid']:.1f} s, settled {t['rapid_after_last']:.2f} s after the last press, "
                 f"{t['rapid_pictures']} pictures") if "rapid" in t else "-"
        write(f"  {name:<40} {t['open_run_all']:6.1f} | {med:>19} | {rapid}")
    if redraws:
        write(f"  all controls: median {statistics.median(redraws):.2f} s, worst {max(redraws):.2f} s over "
              f"{len(redraws)} changes (as driven: median {statistics.median(driven):.2f} s)")  # fmt: skip
    write("  targets (issue 17, reported here, never asserted): change -> redraw median <= 0.15 s over all controls "
          "and <= 0.25 s in every notebook; 20 quick presses settle <= 1 s after the last")
