"""Lesson 00 (welcome): the environment check speaks plain words, and the check run does what the notebook says."""

import pytest

from course_utils.lessons.l00_welcome import (
    TESTED_TORCH,
    advice,
    check_environment,
    environment,
    environment_report,
    front_end,
    hosting,
    server_command,
    setup_problems,
    speed_verdict,
    widget_bundle,
    widget_check,
)
from course_utils.runs import run_training


def test_environment_report_and_check_on_the_tested_setup(capsys):
    report = environment_report()
    assert set(report) == {"Python", "PyTorch", "ipywidgets", "matplotlib", "CPU threads used by PyTorch", "GPU"}
    assert report["PyTorch"].startswith(TESTED_TORCH)
    problems = check_environment()
    out = capsys.readouterr().out
    assert "PyTorch: " in out
    assert all(isinstance(p, str) and p for p in problems)
    assert ("All good" in out) == (not problems)


def test_widget_check_leaves_a_plain_text_message_for_front_ends_without_widgets(capsys):
    from unittest import mock

    with mock.patch("IPython.display.display") as display:
        widget_check()
    bundle = display.call_args.args[0]
    assert "Widgets are NOT rendering" in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


LAB = "/srv/.venv/bin/python /srv/.venv/bin/jupyter-lab --no-browser"
NOTEBOOK = "/srv/.venv/bin/python /srv/.venv/bin/jupyter-notebook --port 8888"


@pytest.mark.parametrize("environ, modules, server, name", [
    ({}, ["google.colab"], "/usr/bin/python3 -m colab_kernel_launcher", "Colab"),
    ({"JPY_SESSION_NAME": "00_welcome.ipynb"}, [], LAB, "JupyterLab"),
    ({}, [], "/usr/bin/python3 /usr/local/bin/jupyter lab", "JupyterLab"),
    ({"JPY_SESSION_NAME": "00_welcome.ipynb"}, [], NOTEBOOK, "Notebook 7"),
    ({"VSCODE_PID": "4242", "VSCODE_CWD": "/home/me"}, [], "/usr/bin/python3 -m ipykernel_launcher", "VS Code"),
    ({"VSCODE_IPC_HOOK_CLI": "/tmp/x.sock"}, [], LAB, "JupyterLab"),  # jupyter lab started in VS Code's terminal
    ({"JPY_SESSION_NAME": "00_welcome.ipynb", "JUPYTERHUB_USER": "ada"}, [], "/opt/bin/jupyterhub-singleuser",
     "Jupyter"),
    ({}, [], "/srv/.venv/bin/python -m pytest notebooks", "plain kernel"),
    ({}, [], "", "plain kernel"),
])  # fmt: skip
def test_front_end_is_named_from_what_the_kernel_can_see(environ, modules, server, name):
    assert front_end(environ, modules, server) == name
    assert name in environment.FRONT_END_ADVICE


def test_hosting_binder_and_jupyterhub():
    assert hosting({"BINDER_REPO_URL": "https://github.com/x/y", "JUPYTERHUB_USER": "jovyan"}) == "Binder"
    assert hosting({"JUPYTERHUB_USER": "ada"}) == "JupyterHub"
    assert hosting({}) == ""


def test_server_command_reads_the_parent_process(monkeypatch):
    import os
    import sys

    assert "python" in server_command({"JPY_PARENT_PID": str(os.getpid())}) or sys.platform != "linux"
    assert server_command({"JPY_PARENT_PID": "not a pid"}) == ""
    assert server_command({"JPY_PARENT_PID": "999999999"}) == ""


def _pretend(monkeypatch, where, host="", ipywidgets_version=None):
    import ipywidgets

    monkeypatch.setattr(environment, "front_end", lambda: where)
    monkeypatch.setattr(environment, "hosting", lambda: host)
    if ipywidgets_version:
        monkeypatch.setattr(ipywidgets, "__version__", ipywidgets_version)


def test_colab_with_its_ipywidgets_7_is_fine_and_never_told_to_upgrade_or_switch_managers(monkeypatch, capsys):
    _pretend(monkeypatch, "Colab", ipywidgets_version="7.7.1")
    assert setup_problems() == []
    check_environment()
    widget_check_text = _widget_check_text(monkeypatch)
    for text in (capsys.readouterr().out, widget_check_text, *environment.FRONT_END_ADVICE.values()):
        assert "pip install -U" not in text and "enable_custom_widget_manager" not in text
        assert "ipywidgets>=8" not in text
    assert "do not upgrade it" in environment.FRONT_END_ADVICE["Colab"]


def test_too_old_ipywidgets_gets_the_fix_for_its_front_end(monkeypatch):
    _pretend(monkeypatch, "Colab", ipywidgets_version="7.6.5")
    (problem,) = setup_problems()
    assert "7.6.5 is too old" in problem and "Restart session" in problem and "pip" not in problem
    _pretend(monkeypatch, "JupyterLab", ipywidgets_version="7.6.5")
    (problem,) = setup_problems()
    assert "README's command" in problem


@pytest.mark.parametrize("version, broken", [("8.1.9", True), ("8.2.0", True), ("8.1.8", False), ("7.8.5", False)])
def test_vs_code_is_warned_about_the_ipywidgets_that_draws_nothing_there(monkeypatch, version, broken):
    _pretend(monkeypatch, "VS Code", ipywidgets_version=version)
    problems = setup_problems()
    assert any("ipywidgets==8.1.8" in p and "17504" in p for p in problems) == broken
    _pretend(monkeypatch, "JupyterLab", ipywidgets_version=version)
    assert not any("VS Code" in p for p in setup_problems())


def test_binder_is_told_to_save_its_work_and_a_hub_that_work_is_kept(monkeypatch):
    _pretend(monkeypatch, "JupyterLab", host="Binder")
    lines = advice()
    assert lines[0].startswith("Front end: JupyterLab on Binder.")
    assert "ten idle minutes" in lines[1] and "File > Download" in lines[1]
    _pretend(monkeypatch, "Jupyter", host="JupyterHub")
    assert "home folder" in advice()[1]
    _pretend(monkeypatch, "plain kernel")
    assert advice() == ["Front end: plain kernel. " + environment.FRONT_END_ADVICE["plain kernel"]]


def _widget_check_text(monkeypatch):
    from unittest import mock

    with mock.patch("IPython.display.display") as display:
        widget_check()
    return display.call_args.args[0]["text/plain"]


def test_widget_bundle_on_ipywidgets_7_has_the_view_7_sends():
    import ipywidgets as W

    class Seven(W.VBox):  # ipywidgets 7 widgets have no _repr_mimebundle_ (they display themselves)
        def __getattribute__(self, name):
            if name == "_repr_mimebundle_":
                raise AttributeError(name)
            return super().__getattribute__(name)

    box = Seven([])
    view = widget_bundle(box)["application/vnd.jupyter.widget-view+json"]
    assert view == {"version_major": 2, "version_minor": 0, "model_id": box.model_id}
    assert widget_bundle(W.VBox([]))["application/vnd.jupyter.widget-view+json"]["version_major"] == 2


@pytest.mark.parametrize("seconds, words", [(0.4, "fast enough"), (2.0, "a slow machine"), (9.0, "very slow")])
def test_speed_verdict_in_words(seconds, words):
    assert words in speed_verdict(seconds) and f"{seconds:.2f} s" in speed_verdict(seconds)


def test_notebook_claims_the_check_run():
    """'Does training work?': two hidden layers of 32, moons, 10 epochs; seeded, so the same numbers on every
    run (except the time), and accurate enough to print 'Training works.'."""
    a = run_training(data="moons", n_samples=2000, hidden=(32, 32), lr=3e-3, epochs=10)
    b = run_training(data="moons", n_samples=2000, hidden=(32, 32), lr=3e-3, epochs=10)
    assert a.history.numbers() == b.history.numbers()
    assert a.history.epoch_val_acc[-1] > 0.9
    assert a.history.steps == 500 and a.history.samples_seen == 16000  # the summary line's counts
