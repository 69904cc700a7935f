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
