"""Build the course's website from the saved notebooks (nothing is executed), with no network.

    .venv/bin/pip install -r site/requirements.txt      # once, into the course's environment
    .venv/bin/python -m tools.build_site                 # -> _build/site/index.html

The site's sources stay where they are: site/ holds the configuration and the landing page, which
includes the README's course table; the pages are notebooks/*.ipynb and docs/instructor_guide.md.
They are copied into _build/site_src (Sphinx wants one source folder; copies keep their times, so
a second build only redoes what changed) and built into _build/site. Warnings fail the build.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
OUT = BUILD / "site"


def sources(root: Path = ROOT) -> dict[str, Path]:
    """Where each page's source comes from: path in the build's source folder -> file in the repository."""
    files = {"index.md": root / "site" / "index.md", "README.md": root / "README.md",
             "docs/instructor_guide.md": root / "docs" / "instructor_guide.md"}  # fmt: skip
    files.update({f"notebooks/{nb.name}": nb for nb in sorted((root / "notebooks").glob("*.ipynb"))})
    return files


def copy_sources(src: Path, root: Path = ROOT) -> None:
    """Mirror the sources into ``src``: copy what changed, remove what is gone."""
    wanted = sources(root)
    for rel, origin in wanted.items():
        target = src / rel
        if not target.exists() or target.stat().st_mtime_ns != origin.stat().st_mtime_ns \
                or target.stat().st_size != origin.stat().st_size:  # fmt: skip
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    for path in sorted(src.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(src).as_posix() not in wanted:
            path.unlink()


def build(out: Path = OUT, strict: bool = True, quiet: bool = True, root: Path = ROOT) -> int:
    """Build the site of the course in ``root`` into ``out``; returns Sphinx's exit code (0: built, no warnings)."""
    from sphinx.cmd.build import build_main

    src = out.parent / f"{out.name}_src"
    copy_sources(src, root)
    args = ["-b", "html", "-c", str(root / "site"), "-d", str(out.parent / f"{out.name}_doctrees"), "-j", "auto"]
    args += ["-W", "--keep-going"] if strict else []
    args += ["-q"] if quiet else []
    return build_main([*args, str(src), str(out)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.build_site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT.relative_to(ROOT)})")
    parser.add_argument("--clean", action="store_true", help="build everything again, not only what changed")
    parser.add_argument("--no-strict", action="store_true", help="do not fail on warnings")
    args = parser.parse_args(argv)
    try:
        import myst_nb  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError as exc:
        parser.error(f"{exc.name} is missing: .venv/bin/pip install -r site/requirements.txt")
    out = args.out.resolve()
    if args.clean:
        for folder in (out, out.parent / f"{out.name}_src", out.parent / f"{out.name}_doctrees"):
            shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    code = build(out, strict=not args.no_strict)
    seconds = time.perf_counter() - start
    if code == 0:
        print(f"built {out / 'index.html'} in {seconds:.1f} s")
    else:
        print(f"site build failed after {seconds:.1f} s (see the warnings above)", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
