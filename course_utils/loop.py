"""The training loop: forward pass, loss, backward pass, optimizer step -- repeated.

:func:`train` is the one loop the whole course uses. Read :func:`train_one_epoch` first: the five
lines marked 1-4 are the loop you would write by hand, and everything around them only records
what happened (the :class:`~course_utils.history.History`) and stops cleanly on divergence,
early stopping or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import copy
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .checks import check_float, check_int
from .data import as_dataset, epoch_plan, make_loader
from .history import History

__all__ = ["train", "train_one_epoch", "evaluate", "default_loss_fn", "resolve_device", "Callback"]

Callback = Any
"""An object with any of the methods ``on_train_begin(history, total_steps)``, ``on_step(history)``,
``on_epoch_end(history)`` and ``on_train_end(history)``; :class:`course_utils.live.LiveView` is one."""


def train(
    model: nn.Module,
    data: TensorDataset | tuple[torch.Tensor, torch.Tensor],
    *,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int = 32,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int = 0,
    val_data: TensorDataset | tuple[torch.Tensor, torch.Tensor] | None = None,
    accumulation_steps: int = 1,
    early_stopping_patience: int | None = None,
    min_delta: float = 0.0,
    max_steps: int | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "cpu",
) -> History:
    """Train ``model`` on ``data`` for ``epochs`` passes and return what happened as a History.

    Args:
        model: the network; its weights are changed in place.
        data: the training examples, a ``TensorDataset`` or a pair ``(X, y)``.
        optimizer: built for *this* model's parameters, e.g. ``torch.optim.Adam(model.parameters(), lr=1e-3)``.
        epochs: how many times to go through the whole training set (0 does nothing).
        batch_size: examples per batch, from 1 to the size of the data.
        loss_fn: defaults to cross-entropy when ``y`` holds class numbers, mean squared error otherwise.
        shuffle: draw a new random order of the examples every epoch (seeded by ``seed``).
        drop_last: skip the last, smaller batch of each epoch.
        val_data: examples never trained on; measured after every epoch.
        accumulation_steps: add up the gradients of this many batches before each optimizer step.
        early_stopping_patience: stop after this many epochs without a validation loss better by
            more than ``min_delta``, and put back the weights of the best epoch. Needs ``val_data``.
        max_steps: stop after this many optimizer steps, even in the middle of an epoch.
        scheduler: a ``torch.optim.lr_scheduler`` object, stepped after every optimizer step.
        callbacks: objects told about the run as it goes (a live plot, a logger).
        device: ``"cpu"`` (default), ``"cuda"`` or ``"mps"`` when such a device is present.

    Nothing here raises because training went badly: a NaN or infinite loss stops the run with
    ``stop_reason == "diverged at step N"``, and Ctrl-C (or the kernel's stop button) stops it after
    the current step with ``"interrupted"``; in both cases the history so far is returned.
    """
    device = resolve_device(device)
    data = as_dataset(data, "data")
    val_data = None if val_data is None else as_dataset(val_data, "val_data")
    epochs = check_int("epochs", epochs, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1)
    max_steps = None if max_steps is None else check_int("max_steps", max_steps, minimum=1)
    loss_fn = default_loss_fn(data) if loss_fn is None else loss_fn
    _check_optimizer(model, optimizer)
    _check_targets(data, loss_fn, "data")
    stopper = None
    if early_stopping_patience is not None:
        if val_data is None:
            raise ValueError("early_stopping_patience needs val_data: early stopping watches the validation loss.")
        stopper = _EarlyStopping(check_int("early_stopping_patience", early_stopping_patience, minimum=1),
                                 check_float("min_delta", min_delta, minimum=0.0))

    model.to(device)
    loader = make_loader(data, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    plan = epoch_plan(len(data), batch_size, epochs, drop_last)
    history = History(batch_size=batch_size, batches_per_epoch=plan.batches_per_epoch, accumulation_steps=k)
    total_steps = epochs * math.ceil(plan.batches_per_epoch / k)
    _notify(callbacks, "on_train_begin", history, min(total_steps, max_steps or total_steps))
    start = time.perf_counter()
    history.stop_reason = "running"
    with _deferred_interrupt() as interrupted:
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            stop = train_one_epoch(model, loader, loss_fn, optimizer, history, accumulation_steps=k,
                                   scheduler=scheduler, callbacks=callbacks, device=device,
                                   should_stop=interrupted, max_steps=max_steps)
            if stop:
                history.stop_reason = stop
                break
            history.epoch_seconds.append(time.perf_counter() - epoch_start)
            if val_data is not None:
                model.eval()  # once for both measurements (switching modes walks every submodule)
                try:
                    val_loss, val_acc = evaluate(model, val_data, loss_fn, device=device)
                    history.epoch_val_loss.append(val_loss)
                    if val_acc is not None:  # classification: accuracy on both sets, with the same weights
                        history.epoch_val_acc.append(val_acc)
                        history.epoch_train_acc.append(evaluate(model, data, loss_fn, device=device)[1])
                finally:
                    model.train()
            _notify(callbacks, "on_epoch_end", history)
            if stopper and stopper.should_stop(model, history):
                history.stop_reason = f"early stopping at epoch {epoch}"
                break
        else:
            history.stop_reason = "finished"
    if history.stop_reason == "running":  # a KeyboardInterrupt ended the loop
        history.stop_reason = "interrupted"
    if stopper and history.stop_reason.startswith(("finished", "early stopping")):
        stopper.restore_best(model, history)
    history.wall_time = time.perf_counter() - start
    _notify(callbacks, "on_train_end", history)
    return history


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    history: History,
    *,
    accumulation_steps: int = 1,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "cpu",
    should_stop: Callable[[], bool] = lambda: False,
    max_steps: int | None = None,
) -> str | None:
    """One pass over ``loader``, recording into ``history``.

    Returns a stop reason (``"diverged at step N"``, ``"interrupted"``, or ``"finished"`` when
    ``max_steps`` is reached), or ``None`` when the epoch ran to its end.
    """
    k = accumulation_steps
    group_sizes = _accumulation_group_sizes(loader, k)
    n_batches = len(loader)
    epoch_sum = epoch_seen = 0.0  # for the epoch's mean loss
    step_sum = step_seen = 0.0  # for the loss of the current optimizer step
    on_cpu = torch.device(device).type == "cpu"
    model.train()
    for i, (xb, yb) in enumerate(loader):
        if not on_cpu:  # move the batch to where the model is (a GPU)
            xb, yb = xb.to(device), yb.to(device)
        pred = model(xb)                              # 1. forward pass: predictions
        if history.batches == 0:
            _check_shapes(pred, yb, loss_fn)
        loss = loss_fn(pred, yb)                      # 2. loss: one number for the whole batch
        value, n = loss.item(), len(xb)
        if not math.isfinite(value):
            history.diverged_at_step = history.steps + 1
            return f"diverged at step {history.steps + 1}"
        if i % k == 0:
            optimizer.zero_grad()                     # 3a. forget the previous step's gradients
        if k > 1:  # accumulating: weight each micro-batch so that the k gradients add up to a mean
            loss = loss * (n / group_sizes[i // k])
        loss.backward()                               # 3. backward pass: gradients land in .grad
        history.batches += 1
        epoch_sum, epoch_seen = epoch_sum + value * n, epoch_seen + n
        step_sum, step_seen = step_sum + value * n, step_seen + n
        if (i + 1) % k == 0 or i + 1 == n_batches:
            history.step_lr.append(optimizer.param_groups[0]["lr"])
            optimizer.step()                          # 4. update the weights
            if scheduler is not None:
                scheduler.step()
            history.steps += 1
            history.samples_seen += int(step_seen)
            history.step_loss.append(step_sum / step_seen)
            history.step_samples.append(int(step_seen))
            step_sum = step_seen = 0.0
            _notify(callbacks, "on_step", history)
            if should_stop():
                return "interrupted"
            if max_steps is not None and history.steps >= max_steps:
                return "finished"
    history.epochs += 1
    history.epoch_steps.append(history.steps)
    history.epoch_train_loss.append(epoch_sum / epoch_seen)
    return None


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: TensorDataset | tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 4096,
    device: str | torch.device = "cpu",
) -> tuple[float, float | None]:
    """Mean loss (and accuracy, for classification) of ``model`` on ``data``, without training.

    The model is switched to evaluation mode and no gradients are recorded. Returns
    ``(loss, accuracy)``; accuracy is ``None`` for regression.
    """
    data = as_dataset(data, "data")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    loss_fn = default_loss_fn(data) if loss_fn is None else loss_fn
    device = resolve_device(device)
    was_training = model.training
    if was_training:
        model.eval()
    total = correct = 0.0
    classify = False
    X, y = data.tensors
    for start in range(0, len(X), batch_size):  # slices of the tensors: no per-example fetching
        xb, yb = X[start : start + batch_size].to(device), y[start : start + batch_size].to(device)
        pred = model(xb)
        total += loss_fn(pred, yb).item() * len(xb)
        classify = _is_classification(pred, yb)
        if classify:
            correct += (pred.argmax(dim=1) == yb).sum().item()
    if was_training:
        model.train()
    n = len(data)
    return total / n, (correct / n if classify else None)


def default_loss_fn(data: TensorDataset) -> nn.Module:
    """Cross-entropy when the targets are class numbers (integers), mean squared error otherwise."""
    y = data.tensors[1]
    return nn.MSELoss() if y.is_floating_point() else nn.CrossEntropyLoss()


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"cpu"``, ``"cuda"`` or ``"mps"`` into a device, checking that it is really there."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a device name. Allowed: 'cpu', 'cuda', 'mps'.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for, but PyTorch sees no CUDA GPU here. Use device='cpu'.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was asked for, but this is not an Apple-silicon Mac with MPS. Use device='cpu'.")
    return device


# ----------------------------------------------------------------------------- helpers


def _is_classification(pred: torch.Tensor, y: torch.Tensor) -> bool:
    """Class scores (one column per class) against integer class numbers: accuracy makes sense."""
    return pred.ndim == 2 and pred.shape[1] > 1 and not y.is_floating_point()


def _accumulation_group_sizes(loader: DataLoader, k: int) -> list[int]:
    """Examples in each group of ``k`` consecutive batches (the last group, or batch, may be short)."""
    sampler = loader.batch_sampler if loader.batch_sampler is not None else loader.sampler
    plan = epoch_plan(len(loader.dataset), sampler.batch_size, 1, sampler.drop_last)
    sizes = [plan.batch_size] * (plan.batches_per_epoch - 1) + [plan.last_batch_size]
    return [sum(sizes[j : j + k]) for j in range(0, len(sizes), k)]


def _notify(callbacks: Sequence[Callback], event: str, *args: Any) -> None:
    for callback in callbacks:
        method = getattr(callback, event, None)
        if method is not None:
            method(*args)


def _check_optimizer(model: nn.Module, optimizer: Any) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer such as torch.optim.SGD(model.parameters(), lr=0.1), "
            f"but got {type(optimizer).__name__}."
        )
    for group in optimizer.param_groups:
        check_float("optimizer learning rate (lr)", group["lr"], minimum=0.0, strict_minimum=True)
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model has no trainable parameters (all have requires_grad=False): nothing can learn.")
    if not any(id(p) in held for p in trainable):
        raise ValueError(
            "optimizer does not hold any of this model's parameters, so optimizer.step() would change "
            "nothing. Was it built for another model (for example before the model was re-created)? "
            "Build it again: optimizer = torch.optim.Adam(model.parameters(), lr=...)."
        )


def _check_targets(data: TensorDataset, loss_fn: Any, name: str) -> None:
    y = data.tensors[1]
    if isinstance(loss_fn, (nn.CrossEntropyLoss, nn.NLLLoss)) and y.ndim == 1 and y.is_floating_point():
        raise TypeError(
            f"{name}: the targets y are floats ({y.dtype}), but {type(loss_fn).__name__} wants class numbers "
            "as integers (torch.long), e.g. tensor([0, 2, 1]). Convert them with y.long()."
        )


def _check_shapes(pred: torch.Tensor, yb: torch.Tensor, loss_fn: Any) -> None:
    if isinstance(loss_fn, (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss)) and pred.shape != yb.shape:
        raise ValueError(
            f"the model's output has shape {tuple(pred.shape)} but the targets have shape {tuple(yb.shape)}; "
            f"{type(loss_fn).__name__} would silently broadcast them and compare every prediction with every "
            "target. Give y the same shape as the output, e.g. y.reshape(-1, 1)."
        )


class _EarlyStopping:
    """Remembers the best validation loss (and a copy of those weights) and counts bad epochs."""

    def __init__(self, patience: int, min_delta: float) -> None:
        self.patience, self.min_delta = patience, min_delta
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0

    def should_stop(self, model: nn.Module, history: History) -> bool:
        loss = history.epoch_val_loss[-1]
        if history.best_val_loss is None or loss < history.best_val_loss - self.min_delta:
            history.best_val_loss, history.best_epoch = loss, history.epochs
            self.best_state = copy.deepcopy(model.state_dict())
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore_best(self, model: nn.Module, history: History) -> None:
        if self.best_state is not None and history.best_epoch != history.epochs:
            model.load_state_dict(self.best_state)
            history.restored_best = True


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C into a request to stop *between* steps, so the model is never left half-updated.

    Pressing Ctrl-C (or the notebook's stop button) a second time interrupts at once. Outside the
    main thread signals cannot be caught; there a KeyboardInterrupt still ends the run cleanly.
    """
    requested = threading.Event()

    def handler(signum, frame):
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        previous = None
    try:
        yield requested.is_set
    except KeyboardInterrupt:
        requested.set()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
