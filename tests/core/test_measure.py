"""Memory and time measurements: activation memory grows with the batch, parameters do not."""

import pytest
import torch
from torch import nn

from course_utils.measure import activation_bytes, parameter_bytes, step_memory, time_per_call
from course_utils.models import make_mlp


def test_activation_memory_is_linear_in_batch_size():
    model = make_mlp(10, (64,), 2, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    sizes = {}
    for b in (16, 32, 64):
        x, y = torch.randn(b, 10), torch.randint(0, 2, (b,))
        sizes[b] = step_memory(model, x, y, loss_fn).activations
    per_example = (sizes[32] - sizes[16]) / 16
    assert per_example > 0 and sizes[64] - sizes[32] == 32 * per_example  # affine in the batch size
    # the hidden layer alone saves at least b x 64 float32 numbers
    assert sizes[64] >= 64 * 64 * 4


def test_weights_and_whole_storages_are_not_counted_as_activations():
    torch.manual_seed(0)
    model = nn.Linear(10, 3, bias=False)  # saves its input x and a transposed view of its weight
    X = torch.randn(100, 10, requires_grad=False)
    # a slice of a bigger tensor counts as the slice: 4 rows x 10 floats, nothing else
    assert activation_bytes(lambda: model(X[:4]).sum(), model.parameters()) == 4 * 10 * 4


def test_parameters_counted_apart_and_fixed():
    model = make_mlp(10, (64,), 2, seed=0)
    expected = (10 * 64 + 64 + 64 * 2 + 2) * 4
    assert parameter_bytes(model) == expected
    m = step_memory(model, torch.randn(8, 10), torch.randint(0, 2, (8,)), nn.CrossEntropyLoss())
    assert m.parameters == m.gradients == expected
    assert m.total == m.activations + 2 * expected + m.batch


def test_no_graph_means_no_activations():
    model = make_mlp(4, (8,), 1, seed=0)
    with torch.no_grad():
        assert activation_bytes(lambda: model(torch.randn(32, 4)).sum()) == 0


def test_bad_input_is_named():
    model = make_mlp(4, (8,), 1, seed=0)
    with pytest.raises(ValueError, match="same, non-zero number"):
        step_memory(model, torch.randn(3, 4), torch.randn(2, 1), nn.MSELoss())
    with pytest.raises(TypeError, match="repeats must be a whole number"):
        time_per_call(lambda: None, repeats=1.5)


def test_time_per_call_is_positive():
    assert time_per_call(lambda: sum(range(1000)), repeats=3) > 0
