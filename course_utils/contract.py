"""What a model, its data, its loss and its optimizer must agree on -- checked before the first step.

:func:`course_utils.train` (and through it the range test and every experiment) and
:func:`course_utils.evaluate` call :func:`check_training_setup` once, before training starts, for
the training data and for the validation data. It runs the model on one sample of the data,
without gradients and in evaluation mode, and calls the loss once, so a mismatch is reported in
words that name the argument, say what was given and how to fix it -- not as a traceback from
inside PyTorch, and not after an epoch of work:

* inputs that do not fit the model: the wrong number of features, float64 (NumPy's default) or
  integer ``X`` for a model with float32 weights, floats for an ``Embedding``, token ids beyond its size;
* targets that do not fit the loss: for cross-entropy, one class number per example
  (``torch.long``, from 0 to the number of outputs - 1); for mean squared error and its family,
  targets of the same shape as the model's output;
* a loss that is not a loss object (a name such as ``"mse"``, the class ``nn.MSELoss`` without
  brackets) or that does not return one number with a gradient.

The check changes nothing: no weights, no random numbers, no mode. It returns the loss it
measured, the loss "before the first step" that :func:`course_utils.train` compares later losses
with to recognise divergence.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .checks import check_float

__all__ = [
    "check_model",
    "check_optimizer",
    "check_loss_fn",
    "check_scheduler",
    "check_training_setup",
    "default_loss_fn",
    "preserved_random_state",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# losses that compare a score per class with one class number per example ...
_CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
_CLASS_FUNCTIONS = (F.cross_entropy, F.nll_loss)
# ... and losses that compare each output with a target of the same shape
_SAME_SHAPE_LOSSES = (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss, nn.BCEWithLogitsLoss, nn.BCELoss)
_SAME_SHAPE_FUNCTIONS = (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss, F.binary_cross_entropy_with_logits,
                         F.binary_cross_entropy)  # fmt: skip
_LOSS_NAMES = {"mse": "nn.MSELoss()", "l1": "nn.L1Loss()", "mae": "nn.L1Loss()", "huber": "nn.HuberLoss()",
               "ce": "nn.CrossEntropyLoss()", "cross_entropy": "nn.CrossEntropyLoss()",
               "crossentropy": "nn.CrossEntropyLoss()", "nll": "nn.NLLLoss()",
               "bce": "nn.BCEWithLogitsLoss()"}  # fmt: skip
_TORCH_ERRORS = (RuntimeError, IndexError, TypeError, ValueError)  # what a forward pass or a loss raises on bad input


def default_loss_fn(y: torch.Tensor) -> nn.Module:
    """Cross-entropy when the targets ``y`` are class numbers (integers), mean squared error otherwise."""
    return nn.MSELoss() if y.is_floating_point() else nn.CrossEntropyLoss()


def check_model(model: Any, name: str = "model") -> nn.Module:
    """``model`` must be a ``torch.nn.Module`` with at least one trainable parameter."""
    if isinstance(model, type) and issubclass(model, nn.Module):
        raise TypeError(f"{name} is the class {model.__name__}, not a network made from it: "
                        f"write {model.__name__}(...) with brackets (and its sizes).")  # fmt: skip
    if not isinstance(model, nn.Module):
        hint = " A plain function has no weights to train: wrap it in an nn.Module." if callable(model) else ""
        raise TypeError(f"{name} must be a torch.nn.Module (a network such as make_mlp(2, (32,), 2)), "
                        f"but got {_kind(model)}.{hint}")  # fmt: skip
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{name} has no trainable parameters (all have requires_grad=False): nothing can learn.")
    return model


def check_optimizer(model: nn.Module, optimizer: Any) -> torch.optim.Optimizer:
    """``optimizer`` must be a torch optimizer with positive learning rates that holds ``model``'s parameters."""
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer is the class {optimizer.__name__}, not an optimizer made from it: "
                        f"write torch.optim.{optimizer.__name__}(model.parameters(), lr=...).")  # fmt: skip
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer such as torch.optim.SGD(model.parameters(), lr=0.1), "
            f"but got {_kind(optimizer)}. (make_optimizer('adam', model, lr=1e-3) builds one by name.)"
        )
    for group in optimizer.param_groups:
        check_float("optimizer learning rate (lr)", group["lr"], minimum=0.0, strict_minimum=True)
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not any(id(p) in held for p in model.parameters() if p.requires_grad):
        raise ValueError(
            "optimizer does not hold any of this model's parameters, so optimizer.step() would change "
            "nothing. Was it built for another model (for example before the model was re-created)? "
            "Build it again: optimizer = torch.optim.Adam(model.parameters(), lr=...)."
        )
    return optimizer


def check_loss_fn(loss_fn: Any) -> LossFn | None:
    """``loss_fn`` must be ``None`` (the default loss) or a loss object such as ``nn.CrossEntropyLoss()``."""
    if loss_fn is None:
        return None
    if isinstance(loss_fn, type):
        raise TypeError(f"loss_fn is the class {loss_fn.__name__}, not a loss made from it: "
                        f"write loss_fn=nn.{loss_fn.__name__}() with brackets.")  # fmt: skip
    if isinstance(loss_fn, str):
        known = _LOSS_NAMES.get(loss_fn.lower().replace("-", "_").replace(" ", "_"))
        fix = f"loss_fn={known}" if known else "loss_fn=nn.MSELoss() for numbers or nn.CrossEntropyLoss() for classes"
        raise TypeError(f"loss_fn={loss_fn!r} is a name, not a loss: pass the loss object, {fix} "
                        "(or leave loss_fn out for the default).")  # fmt: skip
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a loss such as nn.CrossEntropyLoss() or nn.MSELoss() (something called as "
                        f"loss_fn(predictions, targets)), but got {_kind(loss_fn)}.")  # fmt: skip
    return loss_fn


def check_scheduler(scheduler: Any, optimizer: torch.optim.Optimizer) -> Any:
    """``scheduler`` must be ``None`` or a learning-rate scheduler built for ``optimizer``."""
    if scheduler is None:
        return None
    if isinstance(scheduler, type):
        raise TypeError(f"scheduler is the class {scheduler.__name__}, not a scheduler made from it: write "
                        f"torch.optim.lr_scheduler.{scheduler.__name__}(optimizer, ...).")  # fmt: skip
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must be a torch.optim.lr_scheduler object such as StepLR(optimizer, step_size=10) "
                        f"(something with a .step() method), but got {_kind(scheduler)}.")  # fmt: skip
    if getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError("scheduler was built for another optimizer, so it would change the learning rate of that one, "
                         "not of this run's. Build it for this run's: StepLR(optimizer, ...).")  # fmt: skip
    return scheduler


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run a block without disturbing PyTorch's, NumPy's or Python's global random numbers."""
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002 (the global state)
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)  # noqa: NPY002


# ----------------------------------------------------------------------------- the contract


def check_training_setup(model: nn.Module, loss_fn: LossFn, batch: tuple[torch.Tensor, torch.Tensor] | None,
                         name: str = "data", *, targets: torch.Tensor | None = None,
                         default_loss: bool = False) -> float | None:  # fmt: skip
    """Run ``model`` on ``batch`` (a sample of ``name``), check that ``loss_fn`` can compare the two; return the loss.

    ``targets`` are all the targets of ``name`` when they are known (tensors in memory): class
    numbers are then checked for every example, not only the sample's. ``default_loss=True`` says
    that ``loss_fn`` was chosen by ``train()`` (the messages then say so). ``batch=None`` (data whose
    batches cannot be looked at in advance) skips the check and returns ``None``.

    Nothing changes: no gradients are recorded, the model runs in evaluation mode (no dropout, no
    batch-norm statistics updated) and goes back to its mode afterwards.
    """
    if batch is None:
        return None
    x, y = batch
    pred = _run_model(model, x, name)
    if not isinstance(pred, torch.Tensor):
        raise TypeError(f"model(x) returned {_kind(pred)}, not a tensor of predictions: the loss needs one tensor. "
                        "Make the model's forward() return the predictions only (nn.LSTM, for example, returns "
                        "(output, state): keep output).")  # fmt: skip
    if pred.ndim == 0 or len(pred) != len(y):
        rows = "one number" if pred.ndim == 0 else f"{len(pred)} rows of predictions"
        raise ValueError(f"{name}: the model returned {rows} for a batch of {len(x)} examples (X of shape "
                         f"{tuple(x.shape)}); it must return one row per example. Check that X has one row per "
                         "example and that the model does not flatten the batch away.")  # fmt: skip
    loss_name = _loss_name(loss_fn, default_loss)
    if _is_class_loss(loss_fn):
        _check_class_targets(pred, y, targets, loss_fn, loss_name, name)
    elif _is_same_shape_loss(loss_fn):
        _check_same_shape_targets(pred, y, loss_fn, loss_name, name)
    return _call_loss(loss_fn, pred, y, loss_name, name)


def _run_model(model: nn.Module, x: torch.Tensor, name: str) -> Any:
    """``model(x)`` in evaluation mode without gradients; a failure is explained in terms of the data."""
    entered: list[tuple[str, nn.Module, Any]] = []  # the layers as they were called, with their input
    names = {id(m): n for n, m in model.named_modules()}

    def note(module: nn.Module, args: tuple) -> None:
        entered.append((names.get(id(module), "?"), module, args[0] if args else None))

    handles = []
    with contextlib.suppress(RuntimeError, AttributeError):  # (a scripted model may refuse hooks: then no details)
        for layer in model.modules():
            if not any(True for _ in layer.children()):
                handles.append(layer.register_forward_pre_hook(note))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    except _TORCH_ERRORS as exc:
        raise _explain_forward_error(exc, x, name, entered) from exc
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)


def _explain_forward_error(exc: Exception, x: torch.Tensor, name: str, entered: list) -> Exception:
    """A teaching message for a forward pass that failed, from the layer that was running when it did."""
    given = f"X of shape {tuple(x.shape)}, dtype {_dtype(x)}"
    if entered:
        layer_name, layer, inp = entered[-1]
        first = len(entered) == 1
        where = "the model's first layer" if first else f"the model's layer {layer_name!r}"
        if isinstance(inp, torch.Tensor):
            message = _explain_layer(layer, inp, x, name, where, first)
            if message is not None:
                return message
    return ValueError(f"{name}: the model could not run on a batch of {name} ({given}); PyTorch said: "
                      f"{_last_line(exc)}. Check that {name} is the kind of data this model was built for.")


def _explain_layer(layer: nn.Module, inp: torch.Tensor, x: torch.Tensor, name: str, where: str,
                   first: bool) -> Exception | None:  # fmt: skip
    """The message for the usual mistakes at a Linear or Embedding layer, or None for anything else."""
    shape = f"shape {tuple(x.shape)}"
    if isinstance(layer, nn.Embedding):
        if inp.is_floating_point():
            return TypeError(f"{name}: X holds floats ({_dtype(x)}), but {where} is an Embedding, which looks up "
                             "token ids: X must hold whole numbers. Convert it with X.long().")  # fmt: skip
        low, high = int(inp.min()), int(inp.max())
        if high >= layer.num_embeddings or low < 0:
            return ValueError(f"{name}: X holds token ids from {low} to {high}, but {where} is an Embedding with "
                              f"{layer.num_embeddings} entries (ids 0 to {layer.num_embeddings - 1}). Build the model "
                              f"with a vocabulary of at least {high + 1} (vocab_size={high + 1}), or encode X with "
                              "the vocabulary the model was built for.")  # fmt: skip
        return None
    if not isinstance(layer, nn.Linear):
        return None
    weights = layer.weight.dtype
    if inp.dtype != weights:
        if x.dtype == torch.float64 and weights == torch.float32:
            return TypeError(f"{name}: X is float64 (what NumPy gives), but the model's weights are float32. "
                             "Convert it with X.float(), or make it float32 from the start: "
                             "torch.tensor(array, dtype=torch.float32).")  # fmt: skip
        if not x.is_floating_point():
            return TypeError(f"{name}: X holds whole numbers ({_dtype(x)}), but {where} is a Linear layer with "
                             f"{_dtype(layer.weight)} weights. Convert X with X.float() (token ids would need an "
                             "nn.Embedding first).")  # fmt: skip
        fix = "X.float()" if weights == torch.float32 else f"X.to({weights})"
        return TypeError(f"{name}: X is {_dtype(x)}, but the model's weights are {_dtype(layer.weight)}: "
                         f"convert it with {fix}.")  # fmt: skip
    got = inp.shape[-1] if inp.ndim else 1
    if got == layer.in_features:
        return None
    if first and x.ndim == 1:
        return ValueError(f"{name}: X has {shape}, one number per example, but the model wants a row of "
                          f"{layer.in_features} feature(s) per example. Make X a column: X.reshape(-1, 1)"
                          f"{'' if layer.in_features == 1 else ', and build the model for 1 input feature'}.")
    if first:
        return ValueError(f"{name}: X has {got} features per example ({shape}), but {where} is "
                          f"Linear(in_features={layer.in_features}, ...) and expects {layer.in_features}. Build the "
                          f"model for this data, e.g. make_mlp({got}, ...), or pass the data it was built for "
                          f"({layer.in_features} columns).")  # fmt: skip
    return ValueError(f"{name}: {where} (Linear(in_features={layer.in_features}, ...)) got "
                      f"{got} numbers per example, from X of {shape}. Either X does not have the shape of the "
                      "data this model was built for, or the model's layers do not fit together (each layer's "
                      "in_features must be the previous one's out_features).")  # fmt: skip


def _check_class_targets(pred: torch.Tensor, y: torch.Tensor, targets: torch.Tensor | None, loss_fn: LossFn,
                         loss_name: str, name: str) -> None:  # fmt: skip
    """Cross-entropy and NLL: one class number (torch.long) per example, from 0 to the number of outputs - 1."""
    if pred.ndim < 2:
        raise ValueError(f"{name}: the model gives one number per example (output shape {tuple(pred.shape)}), but "
                         f"{loss_name} needs one score per class. Build the model with as many outputs as "
                         "classes (out_features = number of classes, e.g. 2).")  # fmt: skip
    n_classes, wanted = pred.shape[1], (pred.shape[0], *pred.shape[2:])
    if y.is_floating_point() and isinstance(loss_fn, nn.CrossEntropyLoss) and y.shape == pred.shape:
        return  # class probabilities (soft labels), one per output: cross-entropy accepts them
    if y.is_floating_point() or y.dtype == torch.bool:
        whole = "" if not y.is_floating_point() or not torch.equal(y, y.round()) else " holding whole numbers"
        fix = "y.squeeze(1).long()" if y.ndim == 2 and y.shape[1] == 1 and pred.ndim == 2 else "y.long()"
        raise TypeError(f"{name}: the targets y are {_dtype(y)}{whole}, but {loss_name} wants class numbers as "
                        f"integers (torch.long), e.g. tensor([0, 2, 1]). Convert them with {fix}.")  # fmt: skip
    if y.dtype not in (torch.long, torch.uint8):
        raise TypeError(f"{name}: the targets y are {_dtype(y)}, but {loss_name} wants class numbers as torch.long "
                        "(int64). Convert them with y.long().")  # fmt: skip
    if tuple(y.shape) != wanted:
        fix = "y.squeeze(1)" if y.ndim == 2 and y.shape[1] == 1 and pred.ndim == 2 else "y.reshape(-1)"
        raise ValueError(f"{name}: the targets y have shape {tuple(y.shape)}, but {loss_name} wants one class number "
                         f"per example, shape {tuple(wanted)}, for the model's output of shape {tuple(pred.shape)}. "
                         f"Fix it with {fix}.")  # fmt: skip
    labels = y if targets is None or targets.is_floating_point() else targets
    ignored = getattr(loss_fn, "ignore_index", -100)  # targets equal to it are skipped by the loss
    labels = labels[labels != ignored]
    if not labels.numel():
        return
    low, high = int(labels.min()), int(labels.max())
    if high >= n_classes:
        raise ValueError(f"{name}: the targets y hold class numbers up to {high}, so there are at least {high + 1} "
                         f"classes, but the model has {n_classes} output(s) (classes 0 to {n_classes - 1}). Build "
                         f"a model with as many outputs as classes, e.g. make_mlp(in_features, hidden, {high + 1}).")
    if low < 0:
        raise ValueError(f"{name}: the targets y hold the class number {low}, but class numbers start at 0 "
                         f"(0 to {n_classes - 1} for this model). If your labels run from 1 to K, use y - 1.")


def _check_same_shape_targets(pred: torch.Tensor, y: torch.Tensor, loss_fn: LossFn, loss_name: str,
                              name: str) -> None:  # fmt: skip
    """MSE and its family: a target of the same shape as the model's output, for every example."""
    binary = isinstance(loss_fn, (nn.BCEWithLogitsLoss, nn.BCELoss)) or loss_fn in _SAME_SHAPE_FUNCTIONS[4:]
    if binary and not y.is_floating_point():
        raise TypeError(f"{name}: the targets y are {_dtype(y)}, but {loss_name} wants them as floats (0.0 or 1.0). "
                        "Convert them with y.float().")  # fmt: skip
    if pred.shape == y.shape:
        return
    classes = pred.ndim == 2 and pred.shape[1] > 1 and y.ndim == 1
    if classes and not y.is_floating_point():
        raise ValueError(f"{name}: the targets y are class numbers ({_dtype(y)}, shape {tuple(y.shape)}) and the model "
                         f"has {pred.shape[1]} outputs, but {loss_name} compares numbers of the same shape. For "
                         "classes, pass loss_fn=nn.CrossEntropyLoss() (or leave loss_fn out: it is the default "
                         "for integer targets).")  # fmt: skip
    if classes and torch.equal(y, y.round()):
        raise ValueError(f"{name}: the targets y have shape {tuple(y.shape)} and hold whole numbers stored as floats "
                         f"({_dtype(y)}), and the model has {pred.shape[1]} outputs: these look like class numbers, "
                         f"but {loss_name} compares numbers. For classes, make the targets integers with y.long() "
                         "(the default loss is then cross-entropy; or pass loss_fn=nn.CrossEntropyLoss()).")
    if y.numel() == pred.numel():
        if pred.ndim == 2 and pred.shape[1] == 1:
            fix = "y.reshape(-1, 1)"
        elif y.ndim == 2 and y.shape[1] == 1:
            fix = "y.squeeze(1)"
        else:
            fix = f"y.reshape(-1, {', '.join(map(str, pred.shape[1:]))})" if pred.ndim > 1 else "y.reshape(-1)"
        raise ValueError(f"{name}: the model's output has shape {tuple(pred.shape)} but the targets have shape "
                         f"{tuple(y.shape)}; {loss_name} would silently broadcast them and compare every prediction "
                         f"with every target. Give y the same shape as the output: {fix}.")  # fmt: skip
    per_y, per_pred = (y.shape[1] if y.ndim > 1 else 1), (pred.shape[1] if pred.ndim > 1 else 1)
    raise ValueError(f"{name}: the model's output has shape {tuple(pred.shape)} ({per_pred} per example) but the "
                     f"targets have shape {tuple(y.shape)} ({per_y} per example). {loss_name} compares them one to "
                     f"one: build a model with {per_y} output(s) (out_features={per_y}), or pass the targets it was "
                     "built for.")  # fmt: skip


def _call_loss(loss_fn: LossFn, pred: torch.Tensor, y: torch.Tensor, loss_name: str, name: str) -> float:
    """Call the loss once, as the loop will; it must return one number that has a gradient.

    The call is made without gradients, as evaluation makes it (so a loss that records the
    training batches it sees, as lesson 09's does, records nothing here); whether the loss has a
    gradient is checked on a copy of a loss object, never on the loss itself.
    """
    try:
        with torch.no_grad():
            loss = loss_fn(pred, y)
    except _TORCH_ERRORS as exc:
        raise ValueError(f"{name}: loss_fn ({loss_name}) failed on the model's output (shape {tuple(pred.shape)}, "
                         f"{_dtype(pred)}) and the targets y (shape {tuple(y.shape)}, {_dtype(y)}); PyTorch said: "
                         f"{_last_line(exc)}. Pass a loss that fits these targets: nn.CrossEntropyLoss() for class "
                         "numbers, nn.MSELoss() for numbers of the output's shape.") from exc  # fmt: skip
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"loss_fn must return the loss as a tensor (backward() needs it), but returned {_kind(loss)}. "
                        "Return the tensor itself: no .item(), no float(...).")  # fmt: skip
    if loss.numel() != 1:
        raise TypeError(f"loss_fn must return one number (a tensor with one element) for the whole batch, but "
                        f"returned a tensor of shape {tuple(loss.shape)}. A loss made with reduction='none' gives "
                        "one per example: use the default reduction='mean', or return loss.mean().")  # fmt: skip
    if isinstance(loss_fn, nn.Module) and pred.is_floating_point() and not _has_gradient(loss_fn, pred, y):
        raise ValueError("loss_fn returned a number that does not depend on the predictions (it has no gradient), so "
                         "backward() cannot train anything. Compute it with torch operations on the predictions, "
                         "without .item(), float() or torch.tensor(...).")  # fmt: skip
    return float(loss.detach())


def _has_gradient(loss_fn: nn.Module, pred: torch.Tensor, y: torch.Tensor) -> bool:
    """Does a copy of ``loss_fn`` give a loss that training could differentiate? (True when that cannot be tried.)"""
    try:
        copy = deepcopy(loss_fn)
        with torch.enable_grad():
            return bool(copy(pred.detach().requires_grad_(True), y).requires_grad)
    except Exception:  # a loss that cannot be copied or re-run: nothing to say about it
        return True


def _is_class_loss(loss_fn: Any) -> bool:
    return isinstance(loss_fn, _CLASS_LOSSES) or loss_fn in _CLASS_FUNCTIONS


def _is_same_shape_loss(loss_fn: Any) -> bool:
    return isinstance(loss_fn, _SAME_SHAPE_LOSSES) or loss_fn in _SAME_SHAPE_FUNCTIONS


def _loss_name(loss_fn: Any, default: bool) -> str:
    name = type(loss_fn).__name__ if isinstance(loss_fn, nn.Module) else getattr(loss_fn, "__name__", "the loss")
    if not default:
        return name
    return f"{name} (the default loss for {'float targets' if isinstance(loss_fn, nn.MSELoss) else 'class numbers'})"


def _last_line(exc: BaseException) -> str:
    """The line of an error message that says what went wrong (TorchScript puts a traceback before it)."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].strip().rstrip(".") if lines else type(exc).__name__


def _dtype(t: torch.Tensor) -> str:
    return str(t.dtype).replace("torch.", "")


def _kind(value: Any) -> str:
    """What a wrong value is, in a few words: ``None``, ``the text 'mse'``, ``a function``, ``an int (3)``."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if callable(value) and not isinstance(value, nn.Module):
        return f"a function ({getattr(value, '__name__', type(value).__name__)})"
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__
