"""Bad input gets a clear error that names the argument, the value given and what is allowed."""

import math

import pytest
import torch
from torch import nn

from course_utils import EarlyStopping, epoch_plan, make_loader, make_mlp, make_optimizer, make_random_labels, train
from course_utils.lessons.l01_training_loop.experiments import StepThrough, minimal_example
from course_utils.runs import run_training


def _train(model=None, data=None, **overrides):
    data = make_random_labels(100, seed=0) if data is None else data
    model = make_mlp(10, (4,), 2) if model is None else model
    kwargs = dict(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, batch_size=10)
    kwargs.update(overrides)
    return train(model, data, **kwargs)


CASES = [
    # (description, call, exception type, words the message must contain)
    ("batch size 0", lambda: _train(batch_size=0), ValueError, ["batch_size=0", "at least 1"]),
    ("negative batch size", lambda: _train(batch_size=-4), ValueError, ["batch_size=-4", "at least 1"]),
    ("fractional batch size", lambda: _train(batch_size=12.5), TypeError, ["batch_size", "12.5", "whole number"]),
    ("float batch size", lambda: _train(batch_size=32.0), TypeError, ["batch_size", "32.0", "batch_size=32"]),
    ("text batch size", lambda: _train(batch_size="32"), TypeError, ["batch_size", "'32'", "whole number"]),
    ("bool batch size", lambda: _train(batch_size=True), TypeError, ["batch_size", "True"]),
    ("batch larger than data", lambda: _train(batch_size=101), ValueError,
     ["batch_size=101", "100 examples", "1 to 100"]),
    ("negative epochs", lambda: _train(epochs=-1), ValueError, ["epochs=-1", "at least 0"]),
    ("fractional epochs", lambda: _train(epochs=2.5), TypeError, ["epochs", "2.5"]),
    ("lr zero", lambda: make_optimizer("sgd", make_mlp(2, (), 1), 0.0), ValueError, ["lr=0.0", "greater than 0"]),
    ("lr negative", lambda: make_optimizer("adam", make_mlp(2, (), 1), -0.1), ValueError,
     ["lr=-0.1", "greater than 0"]),
    ("lr NaN", lambda: make_optimizer("sgd", make_mlp(2, (), 1), math.nan), ValueError, ["lr", "nan", "finite"]),
    ("lr infinite", lambda: make_optimizer("sgd", make_mlp(2, (), 1), math.inf), ValueError, ["lr", "inf", "finite"]),
    ("lr text", lambda: make_optimizer("sgd", make_mlp(2, (), 1), "0.1"), TypeError, ["lr", "'0.1'", "number"]),
    ("lr zero in a hand-made optimizer",
     lambda: _train(optimizer=torch.optim.SGD(make_mlp(10, (4,), 2).parameters(), lr=0.0)), ValueError, ["lr", "0.0"]),
    ("unknown optimizer", lambda: make_optimizer("adamw", make_mlp(2, (), 1), 0.1), ValueError, ["adamw", "'sgd'"]),
    ("X and y of different lengths",
     lambda: _train(data=(torch.randn(100, 10), torch.randint(0, 2, (99,)))), ValueError, ["100 rows", "99"]),
    ("empty data", lambda: _train(data=(torch.randn(0, 10), torch.randint(0, 2, (0,)))), ValueError, ["empty"]),
    ("NaN in the features",
     lambda: _train(data=(torch.full((100, 10), math.nan), torch.randint(0, 2, (100,)))), ValueError, ["NaN"]),
    ("float class targets",
     lambda: _train(data=(torch.randn(100, 10), torch.rand(100)), loss_fn=nn.CrossEntropyLoss()), TypeError,
     ["targets", "integers", "y.long()"]),
    ("data that is not tensors", lambda: _train(data=[[1, 2], [3, 4]]), TypeError, ["data", "two tensors"]),
    ("data of the wrong type", lambda: _train(data="train.csv"), TypeError, ["data", "TensorDataset", "str"]),
    ("optimizer built for another model",
     lambda: _train(optimizer=torch.optim.SGD(make_mlp(10, (4,), 2).parameters(), lr=0.1)), ValueError,
     ["another model", "optimizer"]),
    ("not an optimizer", lambda: _train(optimizer="adam"), TypeError, ["optimizer", "torch.optim.Optimizer"]),
    ("MSE with mismatched shapes", lambda: _mse_mismatch(), ValueError, ["shape (32, 1)", "shape (32,)", "reshape"]),
    ("early stopping without validation data", lambda: _train(callbacks=[EarlyStopping(3)]), ValueError,
     ["EarlyStopping", "val_data"]),
    ("zero patience", lambda: _train(callbacks=[EarlyStopping(0)], val_data=make_random_labels(10)), ValueError,
     ["patience=0"]),
    ("zero patience in an experiment", lambda: run_training(early_stopping_patience=0), ValueError,
     ["early_stopping_patience=0"]),
    ("accumulation steps 0", lambda: _train(accumulation_steps=0), ValueError, ["accumulation_steps=0"]),
    ("unknown device", lambda: _train(device="gpu"), ValueError, ["device='gpu'", "'cpu'"]),
    ("CUDA on a machine without one", lambda: _train(device="cuda"), ValueError, ["cuda", "device='cpu'"]),
    ("unknown data set", lambda: run_training(data="mnist"), ValueError, ["data='mnist'", "'moons'"]),
    ("experiment with lr 0", lambda: minimal_example(lr=0), ValueError, ["lr=0", "greater than 0"]),
    ("experiment with batch 0", lambda: minimal_example(batch_size=0), ValueError, ["batch_size=0"]),
    ("loader with batch 0", lambda: make_loader(make_random_labels(10), 0), ValueError, ["batch_size=0"]),
    ("epoch plan with batch above data", lambda: epoch_plan(100, 200), ValueError, ["batch_size=200", "at most 100"]),
    ("step-through out of order", lambda: StepThrough().run("jump"), ValueError, ["phase='jump'", "'forward'"]),
    ("negative seed", lambda: run_training(seed=-1), ValueError, ["seed=-1"]),
]


def _mse_mismatch():
    model = make_mlp(10, (4,), 1)
    data = (torch.randn(100, 10), torch.randn(100))
    return train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)


@pytest.mark.parametrize(("call", "exc", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_teaching_error(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"
    assert info.traceback[-1].path.name != "module.py"  # raised by the course's checks, not deep in torch


def test_there_are_at_least_twenty_cases():
    assert len(CASES) >= 20
