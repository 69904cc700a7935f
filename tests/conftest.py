import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import matplotlib.pyplot as plt
import pytest
import torch

# One thread, as the notebooks use (course_utils.setup): the course's models are tiny, and on a
# busy 2-core machine a second thread makes them slower, not faster.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts from the same global seed and leaves no figures open."""
    torch.manual_seed(0)
    yield
    plt.close("all")
