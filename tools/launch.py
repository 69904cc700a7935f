"""Launch links for the course: mybinder.org, Google Colab and a JupyterHub (nbgitpuller).

Print the links for a repository (by default the ``repository`` set in pyproject.toml's
``[tool.training-loop-lab]`` table, else the clone's ``origin``; give ``--hub`` for an nbgitpuller
link to your JupyterHub, or set ``jupyterhub`` there)::

    python tools/launch.py --repo https://github.com/OWNER/REPO --hub https://hub.example.edu

``--write`` also puts them into the course: a "Launch online" section in README.md (between the
``<!-- launch:start -->`` and ``<!-- launch:end -->`` markers) and, in every notebook, a first code
cell that installs ``course_utils`` from that repository *only* when the notebook runs on Colab
(elsewhere the cell does nothing). Running it again replaces what it wrote before.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
FIRST_NOTEBOOK = "00_welcome.ipynb"
START, END = "<!-- launch:start -->", "<!-- launch:end -->"
COLAB_TAG = "colab-setup"

_GITHUB = re.compile(r"^(?:https://github\.com/|git@github\.com:)([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class Repo:
    """A public GitHub repository and the branch learners should get."""

    owner: str
    name: str
    branch: str = "main"

    @classmethod
    def parse(cls, url: str, branch: str = "main") -> Repo:
        match = _GITHUB.match(url.strip())
        if not match:
            raise ValueError(
                f"repo={url!r} is not a GitHub repository address; give it as https://github.com/OWNER/REPO "
                "(Binder and Colab open notebooks straight from GitHub)."
            )
        if not re.fullmatch(r"[A-Za-z0-9_./-]+", branch):
            raise ValueError(f"branch={branch!r} is not a branch name (letters, digits, '_', '.', '/', '-').")
        return cls(match.group(1), match.group(2), branch)

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"

    def binder(self, notebook: str = FIRST_NOTEBOOK) -> str:
        """Opens ``notebook`` in JupyterLab on mybinder.org (the first launch builds the image: minutes)."""
        return f"https://mybinder.org/v2/gh/{self.owner}/{self.name}/{self.branch}?urlpath=lab/tree/notebooks/{notebook}"

    def colab(self, notebook: str) -> str:
        return f"https://colab.research.google.com/github/{self.owner}/{self.name}/blob/{self.branch}/notebooks/{notebook}"

    def nbgitpuller(self, hub: str, notebook: str = FIRST_NOTEBOOK) -> str:
        """Clones (or updates) the course into each learner's home on ``hub``, then opens ``notebook``."""
        return nbgitpuller_link(self.url, hub, self.branch, notebook)

    def pip_requirement(self) -> str:
        return f"course_utils @ git+{self.url}@{self.branch}"


def nbgitpuller_link(repo_url: str, hub: str, branch: str = "main", notebook: str = FIRST_NOTEBOOK) -> str:
    """An nbgitpuller link for any address ``git clone`` takes (GitHub, another host, a path or file:// URL)."""
    if not re.match(r"^https?://[^\s/]+", hub):
        raise ValueError(f"hub={hub!r} must be your JupyterHub's address, e.g. https://hub.example.edu")
    if not re.fullmatch(r"[A-Za-z0-9_./-]+", branch):
        raise ValueError(f"branch={branch!r} is not a branch name (letters, digits, '_', '.', '/', '-').")
    folder = repo_url.rstrip("/").split("/")[-1]  # where nbgitpuller clones to: its default targetPath
    path = f"lab/tree/{folder}/notebooks/{notebook}"
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo_url, safe='')}"
            f"&branch={quote(branch, safe='')}&urlpath={quote(path, safe='')}")  # fmt: skip


def colab_cell_source(repo: Repo) -> str:
    """The first code cell of every notebook: installs course_utils on Colab, does nothing anywhere else."""
    return (
        "# On Google Colab only: install the course's helper package (elsewhere this cell does nothing).\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet --no-deps "{repo.pip_requirement()}"\n'
    )


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb"))


def readme_section(repo: Repo, root: Path = ROOT) -> str:
    badge = "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    rows = "\n".join(f"| {nb.stem} | {badge}({repo.colab(nb.name)}) |" for nb in notebooks(root))
    return f"""{START}
## Launch online

[![Binder](https://mybinder.org/badge_logo.svg)]({repo.binder()}) opens the course in JupyterLab on
mybinder.org (free, 1 CPU and 2 GB: enough for every notebook; the first launch after a change
builds the image and takes a few minutes).

On Google Colab, open a notebook below; its first cell installs the course's helper package.

| Notebook | Colab |
|---|---|
{rows}

On a JupyterHub, give learners an nbgitpuller link: it clones the course into each learner's home
(and later updates it without overwriting their changes). Make yours with
`python tools/launch.py --repo {repo.url} --hub https://YOUR-HUB`.
{END}"""


def write(repo: Repo, root: Path = ROOT) -> list[Path]:
    """Put the launch section into README.md and the Colab cell into every notebook; returns changed files."""
    import nbformat

    changed = []
    readme = root / "README.md"
    text = readme.read_text()
    section = readme_section(repo, root)
    if START in text and END in text:
        new = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:  # first time: just before "## Run it"
        anchor = text.index("## Run it") if "## Run it" in text else len(text)
        new = text[:anchor] + section + "\n\n" + text[anchor:]
    if new != text:
        readme.write_text(new)
        changed.append(readme)
    for path in notebooks(root):
        nb = nbformat.read(path, as_version=4)
        source = colab_cell_source(repo)
        cells = [c for c in nb.cells if COLAB_TAG in c.get("metadata", {}).get("tags", [])]
        if cells and cells[0].source == source:
            continue
        if cells:
            cells[0].source = source
        else:
            first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
            cell = nbformat.v4.new_code_cell(source, metadata={"tags": [COLAB_TAG]})
            cell["id"] = COLAB_TAG  # a fixed id: writing twice gives the same file
            nb.cells.insert(first_code, cell)
        nbformat.write(nb, path)
        changed.append(path)
    return changed


def settings(root: Path = ROOT) -> dict[str, str]:
    """``[tool.training-loop-lab]`` of pyproject.toml: ``repository``, ``branch`` and ``jupyterhub`` ("" when unset).

    The website (site/conf.py) reads the same table, so its launch buttons and these links agree.
    """
    text = (root / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10: the table holds only `key = "string"` lines
        table = re.search(r"^\[tool\.training-loop-lab\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
        found = dict(re.findall(r'^(\w+)\s*=\s*"([^"]*)"', table.group(1), re.M)) if table else {}
    else:
        found = tomllib.loads(text).get("tool", {}).get("training-loop-lab", {})
    defaults = {"repository": "", "branch": "main", "jupyterhub": ""}
    return {key: str(found.get(key) or default).strip() for key, default in defaults.items()}


def origin_url(root: Path = ROOT) -> str | None:
    """The clone's ``origin`` remote, if it has one."""
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True,
                             text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/launch.py", description=__doc__.split("\n\n")[0])
    config = settings()
    parser.add_argument("--repo", help="https://github.com/OWNER/REPO (default: `repository` in pyproject.toml's "
                        "[tool.training-loop-lab], else this clone's origin); with --hub alone, any address git "
                        "can clone")  # fmt: skip
    parser.add_argument("--branch", default=config["branch"])
    parser.add_argument("--hub", default=config["jupyterhub"] or None,
                        help="your JupyterHub's address, for an nbgitpuller link")  # fmt: skip
    parser.add_argument("--write", action="store_true", help="put the links into README.md and the notebooks")
    args = parser.parse_args(argv)
    url = args.repo or config["repository"] or origin_url()
    if not url:
        parser.error("no repository: set `repository` in pyproject.toml's [tool.training-loop-lab], or give "
                     "--repo https://github.com/OWNER/REPO")  # fmt: skip
    if args.hub and not args.write and not _GITHUB.match(url.strip()):
        # Not on GitHub: no Binder or Colab links, but nbgitpuller takes any address git can clone.
        try:
            print(f"nbgitpuller:  {nbgitpuller_link(url.strip(), args.hub, args.branch)}")
        except ValueError as exc:
            parser.error(str(exc))
        print("(no Binder or Colab links: they need a GitHub repository)", file=sys.stderr)
        return 0
    try:
        repo = Repo.parse(url, args.branch)
        print(f"Binder:       {repo.binder()}")
        for nb in notebooks():
            print(f"Colab:        {repo.colab(nb.name)}")
        if args.hub:
            print(f"nbgitpuller:  {repo.nbgitpuller(args.hub)}")
    except ValueError as exc:
        parser.error(str(exc))
    if args.write:
        for path in write(repo):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
