"""The launch files agree with each other: Binder pins what requirements.txt pins, CI runs the README."""

import re
from pathlib import Path

import pytest

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
    runtime = {"torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab_widgets", "widgetsnbextension",
               "jupyterlab", "ipykernel", "tqdm", "scikit-learn"}
    assert runtime <= set(binder), f"binder/requirements.txt lacks {sorted(runtime - set(binder))}"
    for name, version in binder.items():
        assert root.get(name) == version, f"{name}: binder pins {version}, requirements.txt pins {root.get(name)}"


def test_ipywidgets_is_a_release_vs_code_renders():
    # microsoft/vscode-jupyter #17504: widgets of ipywidgets 8.1.9 render nothing in VS Code; 8.1.8 renders.
    pins = _pins("requirements.txt")
    assert (pins["ipywidgets"], pins["jupyterlab_widgets"], pins["widgetsnbextension"]) == ("8.1.8", "3.0.16", "4.0.15")
    assert "vscode-jupyter #17504" in (ROOT / "requirements.txt").read_text()


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


# -- tools/launch.py: Binder, Colab and nbgitpuller links, and the Colab set-up cell ------------------

def _launch():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("launch", ROOT / "tools" / "launch.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["launch"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_launch_links_have_the_services_formats():
    from urllib.parse import parse_qs, urlparse

    launch = _launch()
    repo = launch.Repo.parse("git@github.com:someone/training-loop-lab.git")
    assert repo.url == "https://github.com/someone/training-loop-lab"
    assert repo.binder() == ("https://mybinder.org/v2/gh/someone/training-loop-lab/main"
                             "?urlpath=lab/tree/notebooks/00_welcome.ipynb")  # fmt: skip
    colab = "https://colab.research.google.com/github/someone/training-loop-lab/blob/main/notebooks/05_batch_size.ipynb"
    assert repo.colab("05_batch_size.ipynb") == colab
    link = urlparse(repo.nbgitpuller("https://hub.example.edu/"))
    assert (link.netloc, link.path) == ("hub.example.edu", "/hub/user-redirect/git-pull")
    query = parse_qs(link.query)
    assert query == {"repo": [repo.url], "branch": ["main"],
                     "urlpath": ["lab/tree/training-loop-lab/notebooks/00_welcome.ipynb"]}  # fmt: skip


def test_launch_rejects_addresses_it_cannot_make_links_for():
    launch = _launch()
    for bad in ("https://gitlab.com/a/b", "someone/repo", "https://github.com/only-owner"):
        with pytest.raises(ValueError, match="repo="):
            launch.Repo.parse(bad)
    with pytest.raises(ValueError, match="hub="):
        launch.Repo.parse("https://github.com/a/b").nbgitpuller("hub.example.edu")


def _run_colab_cell(source, on_colab, monkeypatch):
    """Run the cell as IPython would (magics transformed), with a stand-in for get_ipython()."""
    import sys
    import types

    from IPython.core.inputtransformer2 import TransformerManager

    calls = []
    shell = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(TransformerManager().transform_cell(source), {"get_ipython": lambda: shell})
    return calls


def test_the_colab_cell_installs_only_on_colab(monkeypatch):
    launch = _launch()
    source = launch.colab_cell_source(launch.Repo.parse("https://github.com/someone/tll"))
    assert _run_colab_cell(source, on_colab=False, monkeypatch=monkeypatch) == []
    calls = _run_colab_cell(source, on_colab=True, monkeypatch=monkeypatch)
    assert calls == [("pip", 'install --quiet --no-deps "course_utils @ git+https://github.com/someone/tll@main"')]


def test_launch_write_puts_links_in_the_readme_and_a_cell_in_every_notebook(tmp_path):
    import shutil

    import nbformat

    launch = _launch()
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    names = [p.name for p in launch.notebooks(tmp_path)]
    repo = launch.Repo.parse("https://github.com/someone/tll")
    changed = launch.write(repo, tmp_path)
    assert len(changed) == 1 + len(names)
    readme = (tmp_path / "README.md").read_text()
    assert readme.count(launch.START) == 1 and repo.binder() in readme
    assert all(repo.colab(name) in readme for name in names)
    for path in launch.notebooks(tmp_path):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if launch.COLAB_TAG in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and tagged[0].source == launch.colab_cell_source(repo)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code is tagged[0], f"{path.name}: the set-up cell must run before everything else"
        nbformat.validate(nb)
    assert launch.write(repo, tmp_path) == []  # running it again changes nothing
    other = launch.Repo.parse("https://github.com/fork/tll", branch="workshop")
    launch.write(other, tmp_path)
    readme = (tmp_path / "README.md").read_text()
    assert readme.count(launch.START) == 1 and repo.binder() not in readme and other.binder() in readme
    nb = nbformat.read(tmp_path / "notebooks" / names[0], as_version=4)
    assert sum(launch.COLAB_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1


# -- the one setting behind every launch link: [tool.training-loop-lab] in pyproject.toml -----------------------

def test_settings_come_from_pyproject_also_without_tomllib(tmp_path, monkeypatch):
    import sys

    launch = _launch()
    assert set(launch.settings()) == {"repository", "branch", "jupyterhub"}
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.training-loop-lab]\n'
                                             'repository = "https://github.com/fork/tll"\njupyterhub = ""\n'
                                             '\n[tool.other]\nbranch = "not-this"\n')  # fmt: skip
    expected = {"repository": "https://github.com/fork/tll", "branch": "main", "jupyterhub": ""}
    assert launch.settings(tmp_path) == expected
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on Python 3.10
    assert launch.settings(tmp_path) == expected


def test_launch_uses_the_setting_and_repo_overrides_it(monkeypatch, capsys):
    launch = _launch()
    monkeypatch.setattr(launch, "settings", lambda root=None: {
        "repository": "https://github.com/fork/tll", "branch": "workshop", "jupyterhub": "https://hub.example.edu"})
    assert launch.main([]) == 0
    out = capsys.readouterr().out
    assert "mybinder.org/v2/gh/fork/tll/workshop?" in out and "nbgitpuller:  https://hub.example.edu/hub/" in out
    launch.main(["--repo", "https://github.com/other/tll"])
    assert "mybinder.org/v2/gh/other/tll/workshop?" in capsys.readouterr().out
    monkeypatch.setattr(launch, "settings", lambda root=None: {"repository": "", "branch": "main", "jupyterhub": ""})
    monkeypatch.setattr(launch, "origin_url", lambda root=None: None)
    with pytest.raises(SystemExit):
        launch.main([])
    assert "set `repository` in pyproject.toml" in capsys.readouterr().err


def test_the_readmes_badges_follow_the_setting():
    launch = _launch()
    readme = (ROOT / "README.md").read_text()
    repository = launch.settings()["repository"]
    assert "[tool.training-loop-lab]" in readme, "the README says where to set the repository address"
    if not repository:  # no badges, no links to a repository that is not there
        assert launch.START not in readme and "mybinder.org/v2/" not in readme and "colab.research.google" not in readme
    else:  # made by `python tools/launch.py --write` from the same setting
        repo = launch.Repo.parse(repository, launch.settings()["branch"])
        assert launch.readme_section(repo) in readme, "run `python tools/launch.py --write` after changing it"


def test_nbgitpuller_link_for_any_git_address_opens_the_folder_nbgitpuller_clones_into():
    from urllib.parse import parse_qs, urlparse

    launch = _launch()
    for address, folder in [("file:///tmp/srv/training-loop-lab", "training-loop-lab"),
                            ("/srv/git/course.git", "course.git"),  # nbgitpuller keeps the .git of a path
                            ("https://gitlab.example.org/group/tll/", "tll")]:  # fmt: skip
        link = urlparse(launch.nbgitpuller_link(address, "http://127.0.0.1:8000", branch="workshop"))
        assert (link.netloc, link.path) == ("127.0.0.1:8000", "/hub/user-redirect/git-pull")
        assert parse_qs(link.query) == {"repo": [address], "branch": ["workshop"],
                                        "urlpath": [f"lab/tree/{folder}/notebooks/00_welcome.ipynb"]}  # fmt: skip
    github = launch.Repo.parse("https://github.com/someone/tll")
    assert github.nbgitpuller("https://hub.example.edu") == launch.nbgitpuller_link(github.url, "https://hub.example.edu")
    with pytest.raises(ValueError, match="hub="):
        launch.nbgitpuller_link("/srv/git/course", "127.0.0.1:8000")
    with pytest.raises(ValueError, match="branch="):
        launch.nbgitpuller_link("/srv/git/course", "http://127.0.0.1:8000", branch="a b")


def test_launch_hub_with_a_non_github_address_prints_only_the_nbgitpuller_link(capsys):
    launch = _launch()
    assert launch.main(["--repo", "file:///tmp/srv/tll", "--hub", "http://127.0.0.1:8000"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"nbgitpuller:  {launch.nbgitpuller_link('file:///tmp/srv/tll', 'http://127.0.0.1:8000')}"]
    assert "GitHub" in out.err
    with pytest.raises(SystemExit):  # Binder and Colab links still need GitHub
        launch.main(["--repo", "file:///tmp/srv/tll"])
