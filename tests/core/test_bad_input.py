"""Bad input gets a clear error before training: it names the argument, says what was given and the fix.

Every case below is a call a learner could make by mistake. Each must raise exactly ``ValueError``
or ``TypeError`` from the course's own code (never from inside PyTorch, never a bare
``AttributeError``/``IndexError``), before the first training step, with the argument's name and
the fix in the message.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import course_utils
from course_utils import (
    EarlyStopping,
    count_parameters,
    epoch_plan,
    evaluate,
    make_blobs,
    make_line,
    make_linear,
    make_loader,
    make_mlp,
    make_moons,
    make_optimizer,
    make_random_labels,
    make_regression,
    make_wave,
    split_train_val,
    train,
)
from course_utils.callbacks import Callback
from course_utils.lessons.l01_training_loop.experiments import StepThrough, minimal_example
from course_utils.lr_finder import lr_range_test
from course_utils.measure import parameter_bytes
from course_utils.models import make_char_model
from course_utils.runs import make_data, run_training

COURSE = Path(course_utils.__file__).parent
X, Y = torch.randn(100, 10), torch.randint(0, 2, (100,))


def _train(model=None, data=None, **overrides):
    data = (X, Y) if data is None else data
    model = make_mlp(10, (4,), 2) if model is None else model
    params = model.parameters() if isinstance(model, nn.Module) else make_mlp(10, (4,), 2).parameters()
    kwargs = dict(optimizer=torch.optim.SGD(params, lr=0.1), epochs=1, batch_size=10)
    kwargs.update(overrides)
    return train(model, data, **kwargs)


def _range_test(data, model=None, **overrides):
    model = make_mlp(10, (4,), 2) if model is None else model
    return lr_range_test(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **overrides)


def _mse(model_out, y, **overrides):
    model = make_mlp(10, (4,), model_out)
    return train(model, (X, y), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, **overrides)


class _Pair(nn.Module):  # returns (output, extra), as nn.LSTM does
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(10, 2)

    def forward(self, x):
        return self.layer(x), x


class _ConvNet(nn.Module):  # for 3 x 8 x 8 images
    def __init__(self):
        super().__init__()
        self.conv, self.head = nn.Conv2d(3, 4, 3), nn.Linear(4 * 6 * 6, 2)

    def forward(self, x):
        return self.head(self.conv(x).flatten(1))


def _conv_on(images):
    model = _ConvNet()
    return train(model, (images, torch.randint(0, 2, (20,))), optimizer=torch.optim.SGD(model.parameters()),
                 epochs=1, batch_size=10)  # fmt: skip


class _OnStepEnds(Callback):
    def on_step_ends(self, state): ...


def _detached(pred, y):
    return torch.tensor(F.cross_entropy(pred, y).item())


class _DetachedLoss(nn.Module):
    def forward(self, pred, y):
        return torch.tensor(F.cross_entropy(pred, y).item())


def _label_in_a_later_batch():
    y = Y.clone()
    y[-1] = 5  # only the very last example: not in the first batch
    return _train(data=(X, y))


def _list_with_a_bad_later_batch():
    batches = [(X[:50], Y[:50]), (X[50:], torch.full((50,), 3))]
    return _train(data=batches, batch_size=None)


def _scheduler_of_another_optimizer():
    other = torch.optim.SGD(make_mlp(10, (4,), 2).parameters(), lr=0.1)
    return _train(scheduler=torch.optim.lr_scheduler.StepLR(other, step_size=1))


def _one_feature_as_a_vector():
    model = make_mlp(1, (4,), 1)
    return train(model, (torch.randn(100), torch.randn(100, 1)), optimizer=torch.optim.SGD(model.parameters()),
                 epochs=1)  # fmt: skip


def _char_model_data(ids):
    model = make_char_model(vocab_size=5, context=4)
    return train(model, (ids, torch.randint(0, 5, (len(ids),))), optimizer=torch.optim.Adam(model.parameters()),
                 epochs=1)  # fmt: skip


CASES = [
    # (description, call, exception type, words the message must contain: the argument's name and the fix)
    # --- sizes and settings of train()
    ("batch size 0", lambda: _train(batch_size=0), ValueError, ["batch_size=0", "at least 1"]),
    ("negative batch size", lambda: _train(batch_size=-4), ValueError, ["batch_size=-4", "at least 1"]),
    ("fractional batch size", lambda: _train(batch_size=12.5), TypeError, ["batch_size", "12.5", "whole number"]),
    ("float batch size", lambda: _train(batch_size=32.0), TypeError, ["batch_size", "32.0", "batch_size=32"]),
    ("text batch size", lambda: _train(batch_size="32"), TypeError, ["batch_size", "'32'", "whole number"]),
    ("bool batch size", lambda: _train(batch_size=True), TypeError, ["batch_size", "True"]),
    ("batch larger than data", lambda: _train(batch_size=101), ValueError,
     ["batch_size=101", "100 examples", "1 to 100"]),
    ("negative epochs", lambda: _train(epochs=-1), ValueError, ["epochs=-1", "at least 0"]),
    ("fractional epochs", lambda: _train(epochs=2.5), TypeError, ["epochs", "2.5", "epochs=2"]),
    ("accumulation steps 0", lambda: _train(accumulation_steps=0), ValueError, ["accumulation_steps=0", "at least 1"]),
    ("shuffle as text", lambda: _train(shuffle="yes"), TypeError, ["shuffle", "'yes'", "True or False"]),
    ("drop_last as a number", lambda: _train(drop_last=1), TypeError, ["drop_last", "True or False"]),
    ("negative seed", lambda: _train(seed=-1), ValueError, ["seed=-1", "at least 0"]),
    ("unknown device", lambda: _train(device="gpu"), ValueError, ["device='gpu'", "'cpu'"]),
    ("CUDA on a machine without one", lambda: _train(device="cuda"), ValueError, ["cuda", "device='cpu'"]),
    ("diverge factor below 1", lambda: _train(diverge_factor=0.5), ValueError,
     ["diverge_factor=0.5", "greater than 1"]),
    ("diverge factor as text", lambda: _train(diverge_factor="big"), TypeError, ["diverge_factor", "number"]),
    # --- the model
    ("model None", lambda: train(None, (X, Y), optimizer=torch.optim.SGD(make_mlp(10, (4,), 2).parameters()),
                                 epochs=1), TypeError, ["model", "torch.nn.Module", "make_mlp("]),  # fmt: skip
    ("model a plain function", lambda: _train(model=lambda x: x), TypeError, ["model", "function", "nn.Module"]),
    ("model a class", lambda: _train(model=nn.Linear), TypeError, ["model", "class Linear", "Linear(...)"]),
    ("model without trainable weights", lambda: _train(model=make_mlp(10, (4,), 2).requires_grad_(False)),
     ValueError, ["model", "requires_grad"]),
    ("evaluate with model None", lambda: evaluate(None, (X, Y)), TypeError, ["model", "torch.nn.Module"]),
    ("count_parameters of None", lambda: count_parameters(None), TypeError, ["model", "torch.nn.Module"]),
    ("range test with model None", lambda: lr_range_test(None, (X, Y), optimizer=None), TypeError,
     ["model", "torch.nn.Module"]),
    ("model returning a tuple", lambda: _train(model=_Pair()), TypeError, ["model(x)", "tuple", "forward()"]),
    # --- the optimizer
    ("optimizer as a name", lambda: _train(optimizer="adam"), TypeError,
     ["optimizer", "torch.optim.Optimizer", "make_optimizer("]),
    ("optimizer class without brackets", lambda: _train(optimizer=torch.optim.Adam), TypeError,
     ["optimizer", "class Adam", "torch.optim.Adam(model.parameters()"]),
    ("optimizer built for another model",
     lambda: _train(optimizer=torch.optim.SGD(make_mlp(10, (4,), 2).parameters(), lr=0.1)), ValueError,
     ["another model", "optimizer", "torch.optim.Adam(model.parameters()"]),
    ("lr zero in a hand-made optimizer",
     lambda: _train(optimizer=torch.optim.SGD(make_mlp(10, (4,), 2).parameters(), lr=0.0)), ValueError,
     ["lr", "0.0", "greater than 0"]),
    ("lr zero", lambda: make_optimizer("sgd", make_mlp(2, (), 1), 0.0), ValueError, ["lr=0.0", "greater than 0"]),
    ("lr negative", lambda: make_optimizer("adam", make_mlp(2, (), 1), -0.1), ValueError,
     ["lr=-0.1", "greater than 0"]),
    ("lr NaN", lambda: make_optimizer("sgd", make_mlp(2, (), 1), math.nan), ValueError, ["lr", "nan", "finite"]),
    ("lr infinite", lambda: make_optimizer("sgd", make_mlp(2, (), 1), math.inf), ValueError, ["lr", "inf", "finite"]),
    ("lr text", lambda: make_optimizer("sgd", make_mlp(2, (), 1), "0.1"), TypeError, ["lr", "'0.1'", "number"]),
    ("unknown optimizer", lambda: make_optimizer("adamw", make_mlp(2, (), 1), 0.1), ValueError, ["adamw", "'sgd'"]),
    ("optimizer of nothing", lambda: make_optimizer("sgd", None, 0.1), TypeError,
     ["params", "make_optimizer('adam', model"]),
    # --- the scheduler
    ("scheduler class", lambda: _train(scheduler=torch.optim.lr_scheduler.StepLR), TypeError,
     ["scheduler", "class StepLR", "StepLR(optimizer"]),
    ("scheduler that is not one", lambda: _train(scheduler=0.1), TypeError, ["scheduler", "StepLR(optimizer"]),
    ("scheduler of another optimizer", _scheduler_of_another_optimizer, ValueError,
     ["scheduler", "another optimizer", "StepLR(optimizer"]),
    # --- the loss
    ("loss as a name", lambda: _train(loss_fn="mse"), TypeError, ["loss_fn='mse'", "nn.MSELoss()"]),
    ("loss as another name", lambda: _train(loss_fn="cross_entropy"), TypeError,
     ["loss_fn='cross_entropy'", "nn.CrossEntropyLoss()"]),
    ("loss class without brackets", lambda: _train(loss_fn=nn.CrossEntropyLoss), TypeError,
     ["loss_fn", "class CrossEntropyLoss", "nn.CrossEntropyLoss()"]),
    ("loss a number", lambda: _train(loss_fn=3), TypeError, ["loss_fn", "nn.CrossEntropyLoss()"]),
    ("loss with reduction='none'", lambda: _train(loss_fn=nn.CrossEntropyLoss(reduction="none")), TypeError,
     ["loss_fn", "shape (100,)", "reduction='mean'"]),
    ("loss returning a float", lambda: _train(loss_fn=lambda p, y: F.cross_entropy(p, y).item()), TypeError,
     ["loss_fn", "float", "no .item()"]),
    ("loss without a gradient", lambda: _train(loss_fn=_DetachedLoss()), ValueError,
     ["loss_fn", "no gradient", "without .item()"]),
    ("the model passed as the loss", lambda: _train(loss_fn=make_mlp(10, (4,), 2)), ValueError,
     ["loss_fn", "nn.CrossEntropyLoss()"]),
    ("evaluate with a loss name", lambda: evaluate(make_mlp(10, (4,), 2), (X, Y), loss_fn="mse"), TypeError,
     ["loss_fn='mse'", "nn.MSELoss()"]),
    # --- targets that do not fit the model or the loss
    ("class targets of shape (N, 1)", lambda: _train(data=(X, Y[:, None])), ValueError,
     ["data", "shape (100, 1)", "y.squeeze(1)"]),
    ("a label the model has no output for", lambda: _train(data=(X, torch.randint(0, 3, (100,)))), ValueError,
     ["data", "up to 2", "2 output(s)", "make_mlp(in_features, hidden, 3)"]),
    ("a bad label only in the last example", _label_in_a_later_batch, ValueError,
     ["data", "up to 5", "make_mlp(in_features, hidden, 6)"]),
    ("a bad label in a later batch of a list", _list_with_a_bad_later_batch, ValueError,
     ["data", "up to 3", "make_mlp(in_features, hidden, 4)"]),
    ("negative label", lambda: _train(data=(X, Y - 1)), ValueError, ["data", "-1", "start at 0", "y - 1"]),
    ("float class labels with the default loss", lambda: _train(data=(X, Y.float())), ValueError,
     ["data", "MSELoss (the default loss for float targets)", "y.long()"]),
    ("float class targets with cross-entropy",
     lambda: _train(data=(torch.randn(100, 10), torch.rand(100)), loss_fn=nn.CrossEntropyLoss()), TypeError,
     ["data", "targets", "integers", "y.long()"]),
    ("int32 class targets", lambda: _train(data=(X, Y.int())), TypeError, ["data", "int32", "y.long()"]),
    ("bool class targets", lambda: _train(data=(X, Y.bool())), TypeError, ["data", "bool", "y.long()"]),
    ("validation labels out of range", lambda: _train(val_data=(X, Y + 1)), ValueError,
     ["val_data", "up to 2", "make_mlp(in_features, hidden, 3)"]),
    ("MSE with targets of shape (N,)", lambda: _mse(1, torch.randn(100)), ValueError,
     ["data", "shape (100, 1)", "shape (100,)", "y.reshape(-1, 1)"]),
    ("MSE with 3 targets for 1 output", lambda: _mse(1, torch.randn(100, 3)), ValueError,
     ["data", "3 per example", "out_features=3"]),
    ("MSE with class numbers", lambda: _mse(2, Y, loss_fn=nn.MSELoss()), ValueError,
     ["data", "class numbers", "loss_fn=nn.CrossEntropyLoss()"]),
    ("binary cross-entropy with integer targets",
     lambda: _mse(1, Y[:, None], loss_fn=nn.BCEWithLogitsLoss()), TypeError, ["data", "int64", "y.float()"]),
    ("NaN in the targets", lambda: _mse(1, torch.full((100, 1), math.nan)), ValueError, ["data", "y", "NaN", "drop"]),
    ("range test with float class targets", lambda: _range_test((X, Y.float())), ValueError, ["data", "y.long()"]),
    ("range test with float targets and cross-entropy",
     lambda: _range_test((X, Y.float()), loss_fn=nn.CrossEntropyLoss()), TypeError, ["data", "y.long()"]),
    # --- inputs that do not fit the model
    ("float64 inputs (from NumPy)", lambda: _train(data=(X.double(), Y)), TypeError, ["data", "float64", "X.float()"]),
    ("integer inputs to a Linear layer", lambda: _train(data=(torch.randint(0, 5, (100, 10)), Y)), TypeError,
     ["data", "int64", "X.float()"]),
    ("5 features for a 10-input model", lambda: _train(data=(X[:, :5], Y)), ValueError,
     ["data", "5 features", "expects 10", "make_mlp(5"]),
    ("validation data with 5 features", lambda: _train(val_data=(X[:, :5], Y)), ValueError,
     ["val_data", "5 features", "make_mlp(5"]),
    ("a learner's DataLoader with 5 features", lambda: _train(data=DataLoader(TensorDataset(X[:, :5], Y), 10),
                                                              batch_size=None), ValueError,
     ["data", "5 features", "make_mlp(5"]),  # fmt: skip
    ("one number per example as a 1-D X", _one_feature_as_a_vector, ValueError,
     ["data", "shape (100,)", "X.reshape(-1, 1)"]),
    ("images too large for a conv net's head", lambda: _conv_on(torch.randn(20, 3, 9, 9)), ValueError,
     ["data", "layer 'head'", "in_features=144", "got 196", "shape (20, 3, 9, 9)"]),
    ("images with 1 channel for a 3-channel conv net", lambda: _conv_on(torch.randn(20, 1, 8, 8)), ValueError,
     ["data", "X of shape (20, 1, 8, 8)", "3 channels", "the kind of data this model was built for"]),
    ("range test with 5 features", lambda: _range_test((X[:, :5], Y)), ValueError, ["data", "make_mlp(5"]),
    ("evaluate on data with 5 features", lambda: evaluate(make_mlp(10, (4,), 2), (X[:, :5], Y)), ValueError,
     ["data", "5 features", "make_mlp(5"]),
    ("float inputs to an Embedding", lambda: _char_model_data(torch.rand(50, 4)), TypeError,
     ["data", "Embedding", "X.long()"]),
    ("token ids beyond the vocabulary", lambda: _char_model_data(torch.randint(0, 9, (50, 4))), ValueError,
     ["data", "Embedding with 5 entries", "vocab_size="]),
    ("NumPy arrays", lambda: _train(data=(X.numpy(), Y.numpy())), TypeError,
     ["data", "ndarray", "torch.tensor(X, dtype=torch.float32)"]),
    ("X and y of different lengths",
     lambda: _train(data=(torch.randn(100, 10), torch.randint(0, 2, (99,)))), ValueError, ["data", "100 rows", "99"]),
    ("empty data", lambda: _train(data=(torch.randn(0, 10), torch.randint(0, 2, (0,)))), ValueError,
     ["data", "empty"]),
    ("NaN in the features",
     lambda: _train(data=(torch.full((100, 10), math.nan), torch.randint(0, 2, (100,)))), ValueError,
     ["data", "NaN", "drop those rows"]),
    ("data that is not tensors", lambda: _train(data=[[1, 2], [3, 4]]), TypeError,
     ["data", "two tensors", "torch.tensor("]),
    ("data of the wrong type", lambda: _train(data="train.csv"), TypeError, ["data", "TensorDataset", "str"]),
    ("a generator of batches", lambda: _train(data=((X, Y) for _ in range(2)), batch_size=None), TypeError,
     ["data", "one-time iterator", "DataLoader"]),
    # --- callbacks
    ("a single callback, not a list", lambda: _train(callbacks=EarlyStopping(3)), TypeError,
     ["callbacks", "callbacks=[EarlyStopping(...)]"]),
    ("a number for callbacks", lambda: _train(callbacks=3), TypeError, ["callbacks", "got int", "callbacks=[]"]),
    ("a callback class", lambda: _train(callbacks=[EarlyStopping]), TypeError, ["callbacks[0]", "EarlyStopping(...)"]),
    ("an object with no events", lambda: _train(callbacks=[object()]), TypeError, ["callbacks[0]", "on_step_end"]),
    ("a misspelt event", lambda: _train(callbacks=[_OnStepEnds()]), TypeError,
     ["callbacks[0]", "on_step_ends", "on_step_end"]),
    ("early stopping without validation data", lambda: _train(callbacks=[EarlyStopping(3)]), ValueError,
     ["EarlyStopping", "val_data=..."]),
    ("zero patience", lambda: _train(callbacks=[EarlyStopping(0)], val_data=make_random_labels(10)), ValueError,
     ["patience=0", "at least 1"]),
    # --- models by name
    ("hidden None", lambda: make_mlp(2, hidden=None), TypeError, ["hidden", "None", "(32,)"]),
    ("hidden a fraction", lambda: make_mlp(2, hidden=2.5), TypeError, ["hidden", "2.5", "whole number"]),
    ("hidden as text", lambda: make_mlp(2, hidden="32"), TypeError, ["hidden", "'32'", "hidden=(32,)"]),
    ("a hidden width of 0", lambda: make_mlp(2, hidden=(32, 0)), ValueError, ["hidden[1]=0", "at least 1"]),
    ("a hidden width as text", lambda: make_mlp(2, hidden=(32, "64")), TypeError, ["hidden[1]", "'64'"]),
    ("zero input features", lambda: make_mlp(0), ValueError, ["in_features=0", "at least 1"]),
    ("zero outputs", lambda: make_linear(1, 0), ValueError, ["out_features=0", "at least 1"]),
    ("a vocabulary of one", lambda: make_char_model(1), ValueError, ["vocab_size=1", "at least 2"]),
    ("no model to measure", lambda: parameter_bytes(None), TypeError, ["model", "None", "make_mlp"]),
    # --- the data makers
    ("a NaN slope", lambda: make_line(slope=math.nan), ValueError, ["slope", "nan", "finite"]),
    ("an infinite intercept", lambda: make_line(intercept=math.inf), ValueError, ["intercept", "inf", "finite"]),
    ("a slope as text", lambda: make_line(slope="2"), TypeError, ["slope", "'2'", "number"]),
    ("negative noise", lambda: make_wave(noise=-0.1), ValueError, ["noise=-0.1", "at least 0"]),
    ("NaN noise", lambda: make_regression(noise=math.nan), ValueError, ["noise", "nan", "finite"]),
    ("label noise above 1", lambda: make_moons(label_noise=2), ValueError, ["label_noise=2.0", "at most 1"]),
    ("zero spread", lambda: make_blobs(spread=0), ValueError, ["spread=0.0", "greater than 0"]),
    ("zero features", lambda: make_regression(n_features=0), ValueError, ["n_features=0", "at least 1"]),
    ("validation share of 1.5", lambda: split_train_val(make_moons(100), 1.5), ValueError,
     ["val_fraction=1.5", "at most 1"]),
    ("loader with batch 0", lambda: make_loader(make_random_labels(10), 0), ValueError, ["batch_size=0", "at least 1"]),
    ("loader with shuffle as text", lambda: make_loader(make_random_labels(10), 2, shuffle="no"), TypeError,
     ["shuffle", "True or False"]),
    ("epoch plan with batch above data", lambda: epoch_plan(100, 200), ValueError, ["batch_size=200", "at most 100"]),
    ("epoch plan with accumulation 0", lambda: epoch_plan(100, 10, accumulation_steps=0), ValueError,
     ["accumulation_steps=0", "at least 1"]),
    ("epoch plan with drop_last as text", lambda: epoch_plan(100, 10, 1, "no"), TypeError,
     ["drop_last", "True or False"]),
    # --- the experiments
    ("unknown data set", lambda: run_training(data="mnist"), ValueError, ["data='mnist'", "'moons'"]),
    ("experiment with hidden None", lambda: run_training(hidden=None), TypeError, ["hidden", "(32,)"]),
    ("experiment with shuffle as text", lambda: run_training(shuffle="no", epochs=1), TypeError,
     ["shuffle", "True or False"]),
    ("experiment with max_steps 0", lambda: run_training(max_steps=0), ValueError, ["max_steps=0", "at least 1"]),
    ("zero patience in an experiment", lambda: run_training(early_stopping_patience=0), ValueError,
     ["early_stopping_patience=0", "at least 1"]),
    ("label noise on data that has none", lambda: make_data("blobs", label_noise=0.2), ValueError,
     ["label_noise=0.2", "data='moons'"]),
    ("experiment with a single callback", lambda: run_training(callbacks=EarlyStopping(2)), TypeError,
     ["callbacks", "callbacks=[EarlyStopping(...)]"]),
    ("negative seed in an experiment", lambda: run_training(seed=-1), ValueError, ["seed=-1", "at least 0"]),
    ("experiment with lr 0", lambda: minimal_example(lr=0), ValueError, ["lr=0", "greater than 0"]),
    ("experiment with batch 0", lambda: minimal_example(batch_size=0), ValueError, ["batch_size=0", "at least 1"]),
    ("range test with start above end", lambda: _range_test((X, Y), start_lr=1.0, end_lr=0.1), ValueError,
     ["end_lr=0.1", "start_lr=1.0", "start_lr=1e-6"]),
    ("step-through out of order", lambda: StepThrough().run("jump"), ValueError, ["phase='jump'", "'forward'"]),
]


@pytest.mark.parametrize(("call", "exc", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_teaching_error(call, exc, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"  # exactly, not a torch subclass
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"
    raised_in = Path(info.traceback[-1].path)
    assert COURSE in raised_in.parents, f"raised in {raised_in}, not by the course's checks"


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60


def test_the_torch_error_behind_a_translated_one_is_kept():
    with pytest.raises(ValueError) as info:
        _train(data=(X[:, :5], Y))
    assert isinstance(info.value.__cause__, RuntimeError)  # `raise ... from exc`: the original is still shown


def test_the_checks_run_before_the_first_step_and_change_nothing():
    model = make_mlp(10, (4,), 2)
    before = [p.detach().clone() for p in model.parameters()]
    rng = torch.get_rng_state()
    with pytest.raises(ValueError, match="val_data"):
        _train(model=model, val_data=(X[:, :5], Y), epochs=3)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # not one step was made
    assert torch.equal(rng, torch.get_rng_state()) and model.training


def test_good_unusual_input_is_still_accepted():
    soft = torch.softmax(torch.randn(100, 2), dim=1)  # class probabilities for cross-entropy
    assert _train(data=(X, soft), loss_fn=nn.CrossEntropyLoss()).stop_reason == "finished"
    ignored = Y.clone()
    ignored[:5] = -100  # cross-entropy's ignore_index
    assert _train(data=(X, ignored)).stop_reason == "finished"
    assert _train(data=(X, Y.to(torch.uint8))).stop_reason == "finished"
    assert _train(loss_fn=F.cross_entropy).stop_reason == "finished"  # a plain function works
    double = make_mlp(10, (4,), 2).double()
    assert _train(model=double, data=(X.double(), Y)).stop_reason == "finished"
    assert _train(shuffle=np.bool_(False)).stop_reason == "finished"
    assert make_mlp(2, hidden=np.int64(8))[0].out_features == 8
