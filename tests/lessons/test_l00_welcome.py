"""Lesson 00 (welcome): the environment check speaks plain words, and the check run does what the notebook says."""

import pytest

from course_utils.lessons.l00_welcome import (
    TESTED_TORCH,
    check_environment,
    environment_report,
    speed_verdict,
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
