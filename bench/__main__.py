"""``python -m bench``: measure the course on this machine; write bench/results.json and a table.

``python -m bench --binder``: only run every notebook with one CPU for it and its kernel, as on mybinder.org
(one notebook per CPU of this machine at a time), and fail if a kernel's peak memory reaches the 2 GB Binder
limit (CI runs this).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _entry(name, value, unit, target, ok):
    return {"name": name, "value": round(value, 4), "unit": unit, "target": target, "ok": bool(ok)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--binder", action="store_true", help="notebooks only, one CPU, 2 GB memory check")
    parser.add_argument("--skip-notebooks", action="store_true", help="only the in-process micro-benchmarks")
    parser.add_argument("--only", default="", help="run only notebooks whose name contains this")
    args = parser.parse_args(argv)

    from .notebooks import all_notebooks, run_notebook

    results: list[dict] = []
    notebooks = [p for p in all_notebooks() if args.only in p.name]
    if args.binder:
        from .notebooks import run_on_one_cpu_each

        cpus = sorted(os.sched_getaffinity(0))
        print(f"Binder-like run: {len(notebooks)} notebooks, each on one CPU of its own, {len(cpus)} at a time"
              f" (CPUs {cpus})")
        worst = 0.0
        for path, r in zip(notebooks, run_on_one_cpu_each(notebooks)):
            worst = max(worst, r["peak_mb"])
            print(f"  {path.name:<42} {r['seconds']:6.1f} s   peak {r['peak_mb']:6.0f} MB", flush=True)
        print(f"highest kernel peak: {worst:.0f} MB (Binder limit 2048 MB, course target 700 MB)")
        return 0 if worst < 2048 else 1

    from .training import drawing_floor

    floor = drawing_floor()  # first, so that every demo's drawing part is compared with this run's floor
    if not args.skip_notebooks:
        total = 0.0
        for path in notebooks:
            r = run_notebook(path, time_demos=True)
            total += r["seconds"]
            stem = path.stem
            results.append(_entry(f"notebook {stem}: run time", r["seconds"], "s", "<= 20", r["seconds"] <= 20))
            results.append(_entry(f"notebook {stem}: kernel peak memory", r["peak_mb"], "MB", "<= 700",
                                  r["peak_mb"] <= 700))  # fmt: skip
            for d in r.get("demos", []):
                results.append(_entry(f"notebook {stem}: {d['demo']} update median", d["median"] * 1000, "ms",
                                      "<= 150", d["median"] <= 0.150 and not d["error"]))  # fmt: skip
                results.append(_entry(f"notebook {stem}: {d['demo']} update p90", d["p90"] * 1000, "ms", "(report)",
                                      True))  # fmt: skip
                results.append(_entry(f"notebook {stem}: {d['demo']} update median, drawing part",
                                      d["draw_median"] * 1000, "ms", "(report)", True))  # fmt: skip
                share = d["draw_median"] / floor
                results.append(_entry(f"notebook {stem}: {d['demo']} drawing part / matplotlib floor", share, "x",
                                      "<= 0.5", share <= 0.5 and not d["error"]))  # fmt: skip
        if not args.only:
            results.append(_entry("whole course: run time", total, "s", "<= 180", total <= 180))

    import torch

    from .training import batching_speedup, live_view_costs, loop_ratio

    torch.set_num_threads(1)  # as every notebook does (setup())

    results.append(_entry("matplotlib floor: redraw a bare two-panel figure to PNG (data only)", floor * 1000, "ms",
                          "(report)", True))  # fmt: skip

    ratio = loop_ratio()
    results.append(_entry("train() / plain loop, same batches", ratio, "x", "<= 1.05", ratio <= 1.05))
    for b in (32, 256):
        s = batching_speedup(b)
        target = ">= 2" if b == 256 else "(report)"
        results.append(_entry(f"course batching vs default DataLoader, batch {b}", s, "x faster", target,
                              s >= 2 or b != 256))  # fmt: skip
    lv = live_view_costs()
    results.append(_entry("live view: training time with / without", lv["live_ratio"], "x", "<= 1.10",
                          lv["live_ratio"] <= 1.10))  # fmt: skip
    results.append(_entry("live view: share of training time spent drawing (its own timer)", lv["live_drawing_share"],
                          "x", "(report)", True))  # fmt: skip
    results.append(_entry("live view vs redraw-everything (Animator-style): drawing time ratio", lv["ours_cheaper_by"],
                          "x cheaper", ">= 3", lv["ours_cheaper_by"] >= 3))  # fmt: skip

    (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    width = max(len(r["name"]) for r in results)
    print(f"{'measure':<{width}}  {'value':>10}  unit       target    ok")
    for r in results:
        ok = "yes" if r["ok"] else "NO"
        print(f"{r['name']:<{width}}  {r['value']:>10.3f}  {r['unit']:<9}  {r['target']:<8}  {ok}")
    missed = [r["name"] for r in results if not r["ok"]]
    print(f"\n{len(results) - len(missed)}/{len(results)} targets met" + (f"; missed: {missed}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
