"""The training loop: forward pass, loss, zero_grad, backward pass, optimizer step -- repeated.

:func:`train` is the one loop the whole course uses. Read it and :func:`_train_epoch` top to
bottom: the five numbered lines are the loop you would write by hand, and everything around them
records what happened (the :class:`~course_utils.history.History`), stops cleanly when the loss
blows up or Ctrl-C is pressed, and tells the callbacks (:mod:`course_utils.callbacks`), which do
everything optional: early stopping, checkpoints, the live view, the range test, probes.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from .callbacks import Callback, LoopState, check_callbacks
from .checks import check_bool, check_float, check_int
from .contract import (
    check_loss_fn,
    check_model,
    check_optimizer,
    check_scheduler,
    check_training_setup,
    default_loss_fn,
    preserved_random_state,
)
from .data import as_dataset, batch_loader, check_batch_size
from .history import DIVERGE_FACTOR, History

__all__ = ["train", "evaluate", "resolve_device", "Callback", "Data"]

Data = TensorDataset | tuple[torch.Tensor, torch.Tensor] | Dataset | Iterable[tuple[torch.Tensor, torch.Tensor]]
"""What ``train()`` trains on: tensors in memory (a ``TensorDataset`` or a pair ``(X, y)``), any
map-style ``Dataset``, or batches already made: a ``DataLoader`` or any list of ``(x, y)`` batches."""


def train(
    model: nn.Module,
    data: Data,
    *,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int = 0,
    val_data: Data | None = None,
    accumulation_steps: int = 1,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "cpu",
    diverge_factor: float | None = DIVERGE_FACTOR,
) -> History:
    """Train ``model`` on ``data`` for ``epochs`` passes and return what happened as a History.

    Args:
        model: the network; its weights are changed in place.
        data: the training examples: tensors (a ``TensorDataset`` or a pair ``(X, y)``), any
            ``Dataset``, or ready-made batches (your own ``DataLoader``, or a list of ``(x, y)``).
        optimizer: built for *this* model's parameters, e.g. ``torch.optim.Adam(model.parameters(), lr=1e-3)``.
        epochs: how many times to go through the whole training set (0 does nothing).
        batch_size: examples per batch (default 32), from 1 to the size of the data. With
            ready-made batches leave it out, and ``shuffle``, ``drop_last`` and ``seed`` too: the
            loader decides those.
        loss_fn: defaults to cross-entropy when ``y`` holds class numbers, mean squared error otherwise.
        shuffle: draw a new random order of the examples every epoch (seeded by ``seed``).
        drop_last: skip the last, smaller batch of each epoch.
        val_data: examples never trained on (tensors, a ``Dataset`` or batches); measured after every epoch.
        accumulation_steps: add up the gradients of this many batches before each optimizer step.
            Each batch's loss is weighted by its share of the examples in its group, so the step
            uses their mean gradient. When the batches of an epoch do not divide evenly, the last
            group is shorter (say 2 batches instead of 4): it still makes one step, with the mean
            gradient of the examples it has. So an epoch makes ``ceil(batches / accumulation_steps)``
            steps: 10 batches with ``accumulation_steps=4`` make 3 (4 + 4 + 2 batches), as
            ``epoch_plan(..., accumulation_steps=4)`` counts.
        scheduler: a ``torch.optim.lr_scheduler`` object, stepped after every optimizer step.
        callbacks: objects told about the run as it goes, such as ``EarlyStopping(patience=5)``,
            ``MaxSteps(100)``, ``LiveView()`` or ``BestCheckpoint(...)`` (see :mod:`course_utils.callbacks`).
        device: ``"cpu"`` (default), ``"cuda"`` or ``"mps"`` when such a device is present.
        diverge_factor: a batch loss more than this many times the loss before the first step
            counts as diverged (default 10,000, :data:`~course_utils.history.DIVERGE_FACTOR`);
            ``None`` counts only NaN and infinite losses.

    Before the first step every argument is checked, and the model is run once on a sample of
    ``data`` and of ``val_data`` with the loss (:func:`~course_utils.contract.check_training_setup`):
    inputs, targets and loss that do not fit raise a ``ValueError``/``TypeError`` that names the
    argument and the fix. That sample's loss (up to 4096 examples) is ``history.start_loss``.

    Nothing here raises because training went badly. A batch loss that is NaN, infinite, or more
    than ``diverge_factor`` times ``start_loss`` stops the run before that step changes the weights,
    with ``stop_reason == "diverged at step N"`` (``history.diverged_loss`` is the loss it reached,
    ``history.summary()`` says both). The factor is far above anything a working run does: on the
    course's data sets healthy runs stay below 20x their starting loss, and runs that recover from
    a spike below 1,200x; Adam at lr=1000 reaches 6.5e7x at its second step. Ctrl-C (or the
    kernel's stop button) stops a run after the current step with ``"interrupted"``. In every case
    the history so far is returned.
    """
    state = _prepare(model, data, optimizer, epochs, batch_size, loss_fn, shuffle, drop_last, seed, val_data,
                     accumulation_steps, scheduler, callbacks, device, diverge_factor)  # fmt: skip
    history, start = state.history, time.perf_counter()
    with _deferred_interrupt() as interrupted:
        state.interrupted = interrupted
        state.emit("on_train_begin")
        for epoch in range(1, epochs + 1):
            state.epoch = epoch
            state.emit("on_epoch_begin")
            epoch_start = time.perf_counter()
            train_loss = _train_epoch(state)
            if state.stop_reason or interrupted():  # diverged, Ctrl-C, or a callback stopped it mid-epoch
                break
            history.record_epoch(train_loss, time.perf_counter() - epoch_start, *_validate(state))
            state.emit("on_epoch_end")
            if state.stop_reason:  # a callback ended the run after this epoch
                break
    history.finish(state.stop_reason or ("interrupted" if interrupted() else "finished"), time.perf_counter() - start)
    state.emit("on_train_end")
    return history


def _train_epoch(state: LoopState) -> float:
    """One pass over the batches; returns the epoch's mean training loss (weighted by example)."""
    model, loss_fn, optimizer, history = state.model, state.loss_fn, state.optimizer, state.history
    model.train()
    total = seen = 0.0
    limit = history.loss_limit  # diverge_factor x the loss before the first step
    for group in _step_groups(state):  # the batches of one weight update: one, unless accumulating
        state.emit("on_step_begin")
        sizes = [yb.shape[0] for _, yb in group]  # (shape[0], not len(): len() of a tensor is slow Python)
        n_step, step_total = sum(sizes), 0.0
        for j, (xb, yb) in enumerate(group):
            pred = model(xb)                                   # 1. forward pass: predictions
            loss = loss_fn(pred, yb)                           # 2. loss: one number for the batch
            value = loss.item()
            if not -math.inf < value <= limit:                 #    (NaN, inf or far above the start: blown up,
                state.stop(history.record_divergence(value, batches=j))  # so stop before it spoils the weights)
                return math.nan
            if j == 0:
                optimizer.zero_grad()                          # 3. forget the previous step's gradients
            (loss if len(group) == 1 else loss * (sizes[j] / n_step)).backward()  # 4. backward pass: into .grad
            step_total += value * sizes[j]
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()                                       # 5. update the weights
        if state.scheduler is not None:
            state.scheduler.step()
        history.record_step(step_total / n_step, n_step, lr, batches=len(group))
        total, seen = total + step_total, seen + n_step
        state.emit("on_step_end")
        if state.stop_reason or state.interrupted():
            return math.nan
    if not seen:
        raise ValueError(f"data gave no batches in epoch {state.epoch}: train() goes through it once per epoch.")
    return total / seen


def _step_groups(state: LoopState) -> Iterator[list[tuple[torch.Tensor, torch.Tensor]]]:
    """The epoch's batches, in groups of ``accumulation_steps`` (the last may be shorter), on the model's device."""
    k, device = state.accumulation_steps, state.device
    group: list[tuple[torch.Tensor, torch.Tensor]] = []
    for xb, yb in state.batches:
        group.append((xb, yb) if device.type == "cpu" else (xb.to(device), yb.to(device)))
        if len(group) == k:
            yield group
            group = []
    if group:
        yield group


def _validate(state: LoopState) -> tuple[float | None, float | None, float | None]:
    """Validation loss and accuracy, and training accuracy (measured the same way), after an epoch."""
    if state.val_data is None:
        return None, None, None
    model = state.model
    model.eval()  # once for both measurements (switching modes walks every submodule)
    try:
        val_loss, val_acc = _evaluate(model, state.val_data, state.loss_fn, state.device)
        train_acc = None
        if val_acc is not None and state.train_tensors is not None:
            train_acc = _evaluate(model, state.train_tensors, state.loss_fn, state.device)[1]
    finally:
        model.train()
    return val_loss, val_acc, train_acc


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 4096,
    device: str | torch.device = "cpu",
) -> tuple[float, float | None]:
    """Mean loss (and accuracy, for classification) of ``model`` on ``data``, without training.

    ``data`` is tensors (a ``TensorDataset`` or ``(X, y)``), a ``Dataset`` or ready-made batches.
    The model is switched to evaluation mode and no gradients are recorded. Data, model and loss
    are first checked on a sample, as :func:`train` does. Returns
    ``(loss, accuracy)``; accuracy is ``None`` for regression.
    """
    check_model(model)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    device = resolve_device(device)
    loss_fn = check_loss_fn(loss_fn)
    data = as_dataset(data, "data") if _in_memory(data) else _as_batches(data, "data", batch_size, False)
    sample, default = _first_batch(data), loss_fn is None
    if default:
        loss_fn = default_loss_fn(sample[1] if sample is not None else next(iter(data))[1])
    check_training_setup(model, loss_fn, _to(sample, device), "data", targets=_all_targets(data), default_loss=default)
    was_training = model.training
    if was_training:
        model.eval()
    try:
        return _evaluate(model, data, loss_fn, device, batch_size)
    finally:
        if was_training:
            model.train()


@torch.no_grad()
def _evaluate(model: nn.Module, data: Any, loss_fn: Callable, device: torch.device,
              batch_size: int = 4096) -> tuple[float, float | None]:  # fmt: skip
    """:func:`evaluate` without checks, for a model already in evaluation mode (the loop calls this)."""
    if isinstance(data, TensorDataset):  # slices of the tensors: no per-example fetching
        X, y = data.tensors
        batches: Iterable = ((X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size))
    else:
        batches = data
    total = correct = n = 0.0
    classify = False
    for xb, yb in batches:
        xb, yb = xb.to(device), yb.to(device)
        pred = model(xb)
        total += loss_fn(pred, yb).item() * len(xb)
        n += len(xb)
        classify = pred.ndim == 2 and pred.shape[1] > 1 and not yb.is_floating_point()
        if classify:
            correct += (pred.argmax(dim=1) == yb).sum().item()
    if not n:
        raise ValueError("data gave no batches to evaluate on.")
    return total / n, (correct / n if classify else None)


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


# ----------------------------------------------------------------------------- before the first step


def _prepare(model, data, optimizer, epochs, batch_size, loss_fn, shuffle, drop_last, seed, val_data,
             accumulation_steps, scheduler, callbacks, device, diverge_factor) -> LoopState:  # fmt: skip
    """Check every argument, make the batches and the History, and check that model, data and loss fit."""
    check_model(model)
    device = resolve_device(device)
    epochs = check_int("epochs", epochs, minimum=0)
    k = check_int("accumulation_steps", accumulation_steps, minimum=1)
    shuffle, drop_last = check_bool("shuffle", shuffle), check_bool("drop_last", drop_last)
    if diverge_factor is not None:
        diverge_factor = check_float("diverge_factor", diverge_factor, minimum=1.0, strict_minimum=True)
    callbacks = check_callbacks(callbacks)
    loss_fn = check_loss_fn(loss_fn)
    if _in_memory(data):
        tensors = as_dataset(data, "data")
        size = check_batch_size(32 if batch_size is None else batch_size, len(tensors))
        batches = batch_loader(tensors, size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    else:
        tensors, batches = None, _as_batches(data, "data", batch_size, shuffle, drop_last, seed)
        if batches is data and (batch_size is not None or not shuffle or drop_last or seed != 0):
            raise ValueError(f"data is a {type(data).__name__} that makes its own batches, so batch_size, shuffle, "
                             "drop_last and seed have no effect here. Leave them out (set them on your DataLoader), "
                             "or pass the tensors (X, y) to let train() batch them.")  # fmt: skip
    val = None if val_data is None else as_dataset(val_data, "val_data") if _in_memory(val_data) else \
        _as_batches(val_data, "val_data", 4096, False)  # fmt: skip
    check_optimizer(model, optimizer)
    check_scheduler(scheduler, optimizer)
    sample, val_sample = _first_batch(batches), _first_batch(val)
    default = loss_fn is None
    if default:
        if sample is None:
            raise ValueError("loss_fn is needed here: the targets of these batches cannot be looked at in "
                             "advance. Pass loss_fn=nn.CrossEntropyLoss() for classes, nn.MSELoss() for numbers.")
        loss_fn = default_loss_fn(sample[1])
    model.to(device)
    start_loss = check_training_setup(model, loss_fn, _to(sample, device), "data", targets=_all_targets(batches),
                                      default_loss=default)  # fmt: skip
    check_training_setup(model, loss_fn, _to(val_sample, device), "val_data", targets=_all_targets(val),
                         default_loss=default)  # fmt: skip
    n_batches = _length(batches)
    history = History(batch_size=_batch_size_of(batches, sample), batches_per_epoch=n_batches or 0,
                      accumulation_steps=k, start_loss=start_loss, diverge_factor=diverge_factor)  # fmt: skip
    history.stop_reason = "running"
    total = None if n_batches is None else epochs * math.ceil(n_batches / k)
    return LoopState(model, optimizer, loss_fn, history, batches, val, tensors, k, scheduler, device, total,
                     callbacks=callbacks)  # fmt: skip


def _in_memory(data: Any) -> bool:
    """A TensorDataset or a pair (X, y) of tensors: batched by train() itself, the fast way."""
    return isinstance(data, TensorDataset) or _is_pair(data)


def _as_batches(data: Any, name: str, batch_size: int | None, shuffle: bool, drop_last: bool = False,
                seed: int = 0) -> Iterable:  # fmt: skip
    """Batches to go through once per epoch, from a Dataset or from ready-made batches (not tensors)."""
    if isinstance(data, Dataset) and not isinstance(data, IterableDataset):  # a map-style Dataset: batch it here
        size = check_int("batch_size", 32 if batch_size is None else min(batch_size, len(data)), minimum=1,
                         maximum=len(data))
        generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
        return DataLoader(data, batch_size=size, shuffle=bool(shuffle), drop_last=bool(drop_last), generator=generator)
    if isinstance(data, (str, bytes, torch.Tensor, dict)) or not isinstance(data, Iterable):
        raise TypeError(f"{name} must be a TensorDataset, a pair (X, y) of tensors, a Dataset, or batches (a "
                        f"DataLoader or a list of (x, y) pairs), but got {type(data).__name__}.")
    if isinstance(data, (list, tuple)) and data and not _is_pair(data[0]):
        as_dataset(data, name)  # not a list of batches: say what a pair (X, y) must hold
        raise TypeError(f"{name} must be a list of (x, y) batches, but its first element is a "
                        f"{type(data[0]).__name__}.")
    if isinstance(data, Iterator):  # (never call iter() here: a DataLoader would draw from its generator)
        raise TypeError(f"{name} is a one-time iterator ({type(data).__name__}, e.g. a generator): it would be used up "
                        "after one epoch. Pass a DataLoader or a list of (x, y) batches instead.")  # fmt: skip
    return data


def _first_batch(batches: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
    """One batch to check the set-up with, taken without disturbing anything; None when that is not possible."""
    if batches is None:
        return None
    if isinstance(batches, TensorDataset):
        X, y = batches.tensors
        return X[:4096], y[:4096]
    dataset = getattr(batches, "dataset", None)
    with preserved_random_state():
        if isinstance(batches, DataLoader) and isinstance(dataset, TensorDataset):  # ours (make_loader), or alike
            return dataset.tensors[0][:4096], dataset.tensors[1][:4096]
        if isinstance(batches, DataLoader) and batches.batch_size and not isinstance(dataset, IterableDataset):
            items = [dataset[i] for i in range(min(batches.batch_size, len(dataset)))]
            return _pair(batches.collate_fn(items))
        if isinstance(batches, Sequence) and len(batches):
            return _pair(batches[0])
    return None


def _all_targets(batches: Any) -> torch.Tensor | None:
    """Every target, when they are in memory anyway (to check all class numbers, not only a sample's)."""
    dataset = batches if isinstance(batches, TensorDataset) else getattr(batches, "dataset", None)
    if isinstance(dataset, TensorDataset) and (dataset is batches or isinstance(batches, DataLoader)):
        return dataset.tensors[1]
    if isinstance(batches, Sequence) and batches and all(_is_pair(b) and not b[1].is_floating_point() for b in batches):
        return torch.cat([b[1].reshape(-1).cpu() for b in batches])
    return None


def _is_pair(batch: Any) -> bool:
    return isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(t, torch.Tensor) for t in batch)


def _pair(batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not _is_pair(batch):
        raise TypeError(f"each batch must be a pair (x, y) of tensors, but a batch is a {type(batch).__name__}.")
    return batch[0], batch[1]


def _to(batch: tuple[torch.Tensor, torch.Tensor] | None, device: torch.device) -> Any:
    return batch if batch is None or device.type == "cpu" else (batch[0].to(device), batch[1].to(device))


def _length(batches: Any) -> int | None:
    """The number of batches per epoch, or None when the batches do not know it (a stream)."""
    try:
        return len(batches)
    except TypeError:
        return None


def _batch_size_of(batches: Any, sample: tuple[torch.Tensor, torch.Tensor] | None) -> int:
    """The batch size a loader was made with (the size of its first batch when it does not say)."""
    sampler = getattr(batches, "batch_sampler", None)  # (no `or` here: bool() of a sampler may call len())
    if sampler is None:
        sampler = getattr(batches, "sampler", None)
    size = getattr(sampler, "batch_size", None) or getattr(batches, "batch_size", None)
    return int(size) if size else (len(sample[1]) if sample is not None else 0)


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
