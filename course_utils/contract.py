"""What a model, its data, its loss and its optimizer must agree on -- checked before the first step.

:func:`course_utils.train` (and the learning-rate range test) call :func:`check_training_setup`
once, before training starts. It runs the model on one batch, without gradients and in evaluation
mode, so a mismatch (targets of the wrong type or shape, an optimizer of another model) is reported
in words that name the argument and the fix -- not as a traceback from inside PyTorch after an
epoch of work. The check changes nothing: no weights, no random numbers, no mode.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from .checks import check_float

__all__ = ["check_model", "check_optimizer", "check_training_setup", "default_loss_fn", "preserved_random_state"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss)
_CLASS_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)


def default_loss_fn(y: torch.Tensor) -> nn.Module:
    """Cross-entropy when the targets ``y`` are class numbers (integers), mean squared error otherwise."""
    return nn.MSELoss() if y.is_floating_point() else nn.CrossEntropyLoss()


def check_model(model: Any, name: str = "model") -> nn.Module:
    """``model`` must be a ``torch.nn.Module`` with at least one trainable parameter."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module (a network such as make_mlp(2, (32,), 2)), "
                        f"but got {type(model).__name__}.")  # fmt: skip
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{name} has no trainable parameters (all have requires_grad=False): nothing can learn.")
    return model


def check_optimizer(model: nn.Module, optimizer: Any) -> torch.optim.Optimizer:
    """``optimizer`` must be a torch optimizer with positive learning rates that holds ``model``'s parameters."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer such as torch.optim.SGD(model.parameters(), lr=0.1), "
            f"but got {type(optimizer).__name__}."
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


def check_training_setup(model: nn.Module, loss_fn: LossFn, batch: tuple[torch.Tensor, torch.Tensor] | None,
                         name: str = "data") -> None:  # fmt: skip
    """Run ``model`` on ``batch`` (one batch of ``name``) and check that ``loss_fn`` can compare the two.

    Nothing changes: no gradients are recorded, the model runs in evaluation mode (no dropout, no
    batch-norm statistics updated) and goes back to its mode afterwards. ``batch=None`` (data whose
    batches cannot be looked at in advance) skips the check.
    """
    if batch is None:
        return
    x, y = batch
    if isinstance(loss_fn, _CLASS_LOSSES) and y.is_floating_point():
        raise TypeError(
            f"{name}: the targets y are floats ({y.dtype}), but {type(loss_fn).__name__} wants class numbers "
            "as integers (torch.long), e.g. tensor([0, 2, 1]). Convert them with y.long()."
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            pred = model(x)
    finally:
        model.train(was_training)
    if isinstance(loss_fn, _REGRESSION_LOSSES) and pred.shape != y.shape:
        raise ValueError(
            f"{name}: the model's output has shape {tuple(pred.shape)} but the targets have shape {tuple(y.shape)}; "
            f"{type(loss_fn).__name__} would silently broadcast them and compare every prediction with every "
            "target. Give y the same shape as the output, e.g. y.reshape(-1, 1)."
        )
