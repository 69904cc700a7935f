import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import matplotlib.pyplot as plt
import pytest
import torch


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts from the same global seed and leaves no figures open."""
    torch.manual_seed(0)
    yield
    plt.close("all")
