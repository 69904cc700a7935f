import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import matplotlib.pyplot as plt
import pytest
import torch

from course_utils.a11y import colour_only_curves

# One thread, as the notebooks use (course_utils.setup): the course's models are tiny, and on a
# busy 2-core machine a second thread makes them slower, not faster.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts from the same global seed and leaves no figures open.

    Every figure a test leaves open is checked on the way out: its labelled curves must differ by line
    style or marker, not by colour alone (course_utils.a11y.colour_only_curves).
    """
    torch.manual_seed(0)
    yield
    problems = [p for n in plt.get_fignums() for p in colour_only_curves(plt.figure(n))]
    plt.close("all")
    assert not problems, "curves told apart by colour alone: " + "; ".join(problems)


# Under pytest-xdist (`-n 2` in pyproject.toml) the browser tests run in a worker, and only the controller
# prints the session's summary: the workers send their timings (tests/browser/conftest.py) to this process.
_BROWSER_TIMINGS: dict[str, dict] = {}


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown (and never called) when xdist is off
def pytest_testnodedown(node, error):
    _BROWSER_TIMINGS.update(getattr(node, "workeroutput", {}).get("browser_timings", {}))


def pytest_terminal_summary(terminalreporter):
    if _BROWSER_TIMINGS:
        from browser.timings import report  # tests/ is on sys.path: pytest put it there for this conftest

        report(_BROWSER_TIMINGS, terminalreporter.write_line)
        terminalreporter.write_line("  (taken while another pytest worker ran other tests on this machine: for "
                                    "timings on a quiet machine, run `pytest -n 0 tests/browser`)")
