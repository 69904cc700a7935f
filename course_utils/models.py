"""Small models and optimizers, built reproducibly from a seed."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from .checks import check_choice, check_float, check_int
from .repro import make_generator

__all__ = ["make_mlp", "check_hidden", "make_linear", "make_char_model", "make_optimizer", "count_parameters",
           "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "momentum", "adam")


def _init_from_seed(model: nn.Module, seed: int) -> nn.Module:
    """Re-draw every Linear/Embedding layer's initial weights from a private, seeded generator.

    Same seed, same starting weights -- whatever random numbers were drawn before.
    """
    g = make_generator(seed)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            bound = 1.0 / module.in_features**0.5  # PyTorch's default scale for Linear layers
            with torch.no_grad():
                module.weight.uniform_(-bound, bound, generator=g)
                if module.bias is not None:
                    module.bias.uniform_(-bound, bound, generator=g)
        elif isinstance(module, nn.Embedding):
            with torch.no_grad():
                module.weight.normal_(0.0, 1.0, generator=g)
    return model


def make_mlp(
    in_features: int, hidden: Sequence[int] | int = (32,), out_features: int = 2, seed: int = 0
) -> nn.Sequential:
    """A multi-layer perceptron: Linear -> ReLU -> ... -> Linear.

    ``hidden`` lists the width of each hidden layer: ``(32,)`` is one hidden layer of 32 neurons,
    ``(64, 64)`` two of 64, ``()`` none (a linear model). The output layer has no activation: a
    classifier outputs *logits*, and the loss function applies softmax itself.
    """
    in_features = check_int("in_features", in_features, minimum=1)
    out_features = check_int("out_features", out_features, minimum=1)
    widths = check_hidden(hidden)
    layers: list[nn.Module] = []
    previous = in_features
    for width in widths:
        layers += [nn.Linear(previous, width), nn.ReLU()]
        previous = width
    layers.append(nn.Linear(previous, out_features))
    return _init_from_seed(nn.Sequential(*layers), seed)


def check_hidden(hidden: object, name: str = "hidden") -> tuple[int, ...]:
    """The widths of the hidden layers as a tuple: ``32`` -> ``(32,)``, ``(64, 64)``, ``()`` for none."""
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if isinstance(hidden, torch.Tensor) or not isinstance(hidden, (tuple, list, range)):
        hint = ""
        if isinstance(hidden, str) and hidden.strip().isdigit():
            hint = f" Write the number itself: {name}=({hidden.strip()},)."
        elif isinstance(hidden, float) and math.isfinite(hidden):
            hint = f" A layer has a whole number of neurons: did you mean {name}=({round(hidden)},)?"
        raise TypeError(f"{name} must list the width of each hidden layer, such as (32,) or (64, 64), or () "
                        f"for none (a linear model), but got {hidden!r} of type {type(hidden).__name__}.{hint}")
    return tuple(check_int(f"{name}[{i}]", h, minimum=1) for i, h in enumerate(hidden))


def make_linear(in_features: int = 1, out_features: int = 1, seed: int = 0) -> nn.Linear:
    """A single linear layer ``y = x @ W.T + b``: with one input and one output, two parameters."""
    in_features = check_int("in_features", in_features, minimum=1)
    out_features = check_int("out_features", out_features, minimum=1)
    return _init_from_seed(nn.Linear(in_features, out_features), seed)


class _LastPosition(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, context, features) -> (batch, context*features)
        return x.flatten(1)


def make_char_model(
    vocab_size: int, context: int = 8, embed: int = 16, hidden: int = 128, seed: int = 0
) -> nn.Sequential:
    """A tiny next-character model: embed each of ``context`` characters, then an MLP -> logits.

    Its output is one logit per character of the vocabulary: a score for "which character comes next".
    """
    vocab_size = check_int("vocab_size", vocab_size, minimum=2)
    context = check_int("context", context, minimum=1)
    embed = check_int("embed", embed, minimum=1)
    hidden = check_int("hidden", hidden, minimum=1)
    model = nn.Sequential(
        nn.Embedding(vocab_size, embed),
        _LastPosition(),
        nn.Linear(context * embed, hidden),
        nn.ReLU(),
        nn.Linear(hidden, vocab_size),
    )
    return _init_from_seed(model, seed)


def make_optimizer(name: str, params: Iterable[nn.Parameter] | nn.Module, lr: float) -> torch.optim.Optimizer:
    """Build an optimizer by name: ``"sgd"`` (plain ``w <- w - lr * grad``), ``"momentum"``
    (SGD with momentum 0.9) or ``"adam"``. ``params`` may be a model or its ``parameters()``."""
    check_choice("optimizer", name, OPTIMIZERS)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    if isinstance(params, nn.Module):
        params = params.parameters()
    params = list(params) if isinstance(params, Iterable) and not isinstance(params, (str, torch.Tensor)) else None
    if not params or not all(isinstance(p, (torch.Tensor, dict)) for p in params):
        raise TypeError("params must be the model to train or its parameters, e.g. make_optimizer('adam', model, "
                        "lr=1e-3) or make_optimizer('adam', model.parameters(), lr=1e-3); got nothing to train "
                        "(None, an empty list, or something that is not parameters).")  # fmt: skip
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def count_parameters(model: nn.Module) -> int:
    """How many numbers training can change (trainable parameters)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (a network such as make_mlp(2, (32,), 2)), "
                        f"but got {type(model).__name__}.")  # fmt: skip
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
