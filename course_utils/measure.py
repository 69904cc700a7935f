"""Measuring what a training step costs: the memory autograd keeps for the backward pass, and speed.

On a GPU you would read ``torch.cuda.max_memory_allocated()``; on a CPU there is no such counter,
so :func:`activation_bytes` counts what actually grows with the batch: every tensor the forward
pass saves for the backward pass (the activations), seen through PyTorch's
``torch.autograd.graph.saved_tensors_hooks``. Parameters and their gradients are counted apart,
because their size does not depend on the batch at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_int
from .contract import check_model

__all__ = ["StepMemory", "activation_bytes", "step_memory", "parameter_bytes", "time_per_call"]


def activation_bytes(forward_and_loss: Callable[[], torch.Tensor], parameters: Iterable[torch.Tensor] = ()) -> int:
    """Bytes of the tensors that ``forward_and_loss()`` saves for the backward pass.

    ``forward_and_loss`` computes a loss (forward pass + loss function). Each saved tensor counts
    with its own size (a slice of a bigger tensor counts as the slice), and the same tensor saved
    twice counts once. Weights are not activations: a saved tensor that shares memory with one of
    ``parameters`` (for example the transposed weight a linear layer keeps) is left out, as is any
    leaf tensor that requires a gradient. The graph is freed again afterwards: nothing is trained.
    """
    param_storages = {p.untyped_storage().data_ptr() for p in parameters}
    seen: dict[tuple[int, int, tuple[int, ...]], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        is_weight = (t.requires_grad and t.is_leaf) or t.untyped_storage().data_ptr() in param_storages
        if not is_weight:
            seen[(t.data_ptr(), t.numel(), tuple(t.stride()))] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = forward_and_loss()
    del loss
    return sum(seen.values())


def parameter_bytes(model: nn.Module) -> int:
    """Bytes of the model's trainable parameters (their gradients take as many again)."""
    check_model(model)
    return sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class StepMemory:
    """Memory of one training step, in bytes."""

    batch_size: int
    activations: int  # saved for backward; grows with the batch
    parameters: int  # the weights; fixed
    gradients: int  # one number per weight; fixed
    batch: int  # the input and target tensors themselves

    @property
    def total(self) -> int:
        return self.activations + self.parameters + self.gradients + self.batch


def step_memory(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
) -> StepMemory:
    """What one step on the batch ``(x, y)`` holds in memory at its peak (just before ``backward``)."""
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x and y must be tensors, but got {type(x).__name__} and {type(y).__name__}.")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same, non-zero number of examples; got {len(x)} and {len(y)}.")
    params = parameter_bytes(model)
    acts = activation_bytes(lambda: loss_fn(model(x), y), model.parameters())
    batch = x.numel() * x.element_size() + y.numel() * y.element_size()
    return StepMemory(len(x), acts, params, params, batch)


def time_per_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """The median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` calls."""
    repeats = check_int("repeats", repeats, minimum=1)
    warmup = check_int("warmup", warmup, minimum=0)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
