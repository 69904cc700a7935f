"""Callbacks: everything optional that :func:`course_utils.train` can do, outside the loop itself.

A callback is an object with one or more of these methods, which ``train()`` calls in this fixed
order (the pattern of fast.ai's ``Learner`` and Keras)::

    on_train_begin                       once, before the first step
        on_epoch_begin                   before each pass over the data
            on_step_begin                before each weight update (its batches are not drawn yet)
            on_step_end                  after each update: the step's loss is in history.step_loss[-1]
        on_epoch_end                     after each finished epoch (and its validation measurements)
    on_train_end                         once, however the run ended (even after divergence or Ctrl-C)

Each method receives the :class:`LoopState`: the model, the optimizer, the loss function, the
:class:`~course_utils.history.History` so far, and :meth:`LoopState.stop`, with which a callback
ends the run cleanly and names the reason (``history.stop_reason``). A stop asked for in
``on_step_end`` ends the run after that step; one asked for in ``on_epoch_end`` after that epoch.

Callbacks run in the order given, except that a callback may set a class attribute ``order``
(default 0; lower runs first). Here: :class:`EarlyStopping`, :class:`BestWeights`, :class:`MaxSteps`;
elsewhere :class:`~course_utils.live.LiveView`, :class:`~course_utils.checkpoint.BestCheckpoint` and
the learning-rate range test are callbacks too.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .checks import check_float, check_int
from .history import History

__all__ = ["EVENTS", "Callback", "LoopState", "Patience", "BestWeights", "EarlyStopping", "MaxSteps"]

EVENTS = ("on_train_begin", "on_epoch_begin", "on_step_begin", "on_step_end", "on_epoch_end", "on_train_end")


class Callback:
    """Base class for callbacks (optional: any object with some of the :data:`EVENTS` methods works).

    Override the events you need; each receives the :class:`LoopState`.
    """

    order = 0

    def on_train_begin(self, state: LoopState) -> None: ...
    def on_epoch_begin(self, state: LoopState) -> None: ...
    def on_step_begin(self, state: LoopState) -> None: ...
    def on_step_end(self, state: LoopState) -> None: ...
    def on_epoch_end(self, state: LoopState) -> None: ...
    def on_train_end(self, state: LoopState) -> None: ...


@dataclass(eq=False)
class LoopState:
    """What a training run is working with, as callbacks see it.

    ``epoch`` counts from 1 (0 before the first epoch); ``total_steps`` is the number of weight
    updates planned (``None`` when the data's length is unknown); ``stop_reason`` is ``None`` while
    nothing has asked the run to stop.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    history: History
    batches: Iterable[Any] = field(repr=False)  # the training batches, gone through once per epoch
    val_data: Any = field(default=None, repr=False)
    train_tensors: Any = field(default=None, repr=False)  # the training set when in memory (for its accuracy)
    accumulation_steps: int = 1
    scheduler: Any = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    total_steps: int | None = None
    epoch: int = 0
    stop_reason: str | None = None
    interrupted: Callable[[], bool] = field(default=lambda: False, repr=False)
    callbacks: Sequence[Any] = ()

    def __post_init__(self) -> None:
        callbacks = sorted(self.callbacks, key=lambda c: getattr(c, "order", 0))
        self._hooks = {event: [getattr(c, event) for c in callbacks if _overrides(c, event)] for event in EVENTS}

    def stop(self, reason: str) -> None:
        """End the run: after this step (from ``on_step_end``) or after this epoch (from ``on_epoch_end``).

        The first reason given is the one recorded in ``history.stop_reason``.
        """
        if self.stop_reason is None:
            self.stop_reason = str(reason)

    def emit(self, event: str) -> None:
        """Call every callback's ``event`` method (those that have one), in order."""
        for hook in self._hooks[event]:
            hook(self)


def _overrides(callback: Any, event: str) -> bool:
    method = getattr(type(callback), event, None)
    return method is not None and method is not getattr(Callback, event)


def check_callbacks(callbacks: Any) -> list[Any]:
    """A list of objects with at least one known event method each, and no misspelt ``on_...`` method."""
    if not isinstance(callbacks, (list, tuple)):
        kind = type(callbacks).__name__
        looks_like_one = any(callable(getattr(callbacks, e, None)) for e in EVENTS)
        fix = (f"Put a single callback in a list: callbacks=[{kind}(...)]." if looks_like_one
               else "Give a list of objects such as EarlyStopping(...), or callbacks=[] for none.")  # fmt: skip
        raise TypeError(f"callbacks must be a list of callback objects, but got {kind}. {fix}")
    for i, callback in enumerate(callbacks):
        if isinstance(callback, type):
            raise TypeError(f"callbacks[{i}] is the class {callback.__name__}, not an object of it: "
                            f"write {callback.__name__}(...) with brackets.")  # fmt: skip
        names = {n for n in dir(type(callback)) if n.startswith("on_") and callable(getattr(callback, n, None))}
        unknown = sorted(names - set(EVENTS))
        if unknown:
            raise TypeError(f"callbacks[{i}] ({type(callback).__name__}) has a method {unknown[0]}, which train() "
                            f"never calls. The events are: {', '.join(EVENTS)}.")  # fmt: skip
        if not any(_overrides(callback, e) for e in EVENTS):
            raise TypeError(f"callbacks[{i}] ({type(callback).__name__}) has none of the event methods "
                            f"{', '.join(EVENTS)}, so train() would never call it.")  # fmt: skip
    return list(callbacks)


# ----------------------------------------------------------------------------- the patience rule


@dataclass
class Patience:
    """The early-stopping rule, one validation loss at a time.

    An epoch *improves* when its loss is below the best so far by more than ``min_delta`` (the
    first finite loss always improves; NaN never does). After ``patience`` epochs in a row without
    improvement, :attr:`exhausted` turns true.
    """

    patience: int
    min_delta: float = 0.0
    best_loss: float | None = None
    best_epoch: int | None = None
    bad_epochs: int = 0
    epochs: int = 0

    def update(self, loss: float) -> bool:
        """Take the next epoch's validation loss; return whether it is a new best."""
        self.epochs += 1
        if (self.best_loss is None and math.isfinite(loss)) or (
            self.best_loss is not None and loss < self.best_loss - self.min_delta
        ):
            self.best_loss, self.best_epoch, self.bad_epochs = loss, self.epochs, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def exhausted(self) -> bool:
        """True once ``patience`` epochs in a row have not improved."""
        return self.bad_epochs >= self.patience


# ----------------------------------------------------------------------------- the course's callbacks


class BestWeights(Callback):
    """Keep, in memory, a copy of the weights of the epoch with the lowest validation loss.

    An epoch counts as better when its validation loss is lower than the best so far by more than
    ``min_delta``. ``best_state`` is the copy (the starting weights until an epoch is measured); the
    History's ``best_epoch`` and ``best_val_loss`` say which epoch it was. Needs ``val_data``.
    Subclasses change :meth:`keep` to keep the weights elsewhere (on disk: ``BestCheckpoint``).
    """

    def __init__(self, min_delta: float = 0.0) -> None:
        self.min_delta = check_float("min_delta", min_delta, minimum=0.0)
        self.best_state: dict[str, torch.Tensor] | None = None

    def on_train_begin(self, state: LoopState) -> None:
        if state.val_data is None:
            raise ValueError(f"{type(self).__name__} needs val_data: it watches the validation loss. "
                             "Pass val_data=... to train().")  # fmt: skip
        self.rule = Patience(patience=1, min_delta=self.min_delta)
        self.best_state = copy.deepcopy(state.model.state_dict())

    def on_epoch_end(self, state: LoopState) -> None:
        if self.rule.update(state.history.epoch_val_loss[-1]):
            state.history.record_best(state.history.epochs, self.rule.best_loss)
            self.keep(state)

    def keep(self, state: LoopState) -> None:
        """Keep the current weights, the best so far."""
        self.best_state = copy.deepcopy(state.model.state_dict())


class EarlyStopping(BestWeights):
    """Stop after ``patience`` epochs without a validation loss lower by more than ``min_delta``.

    With ``restore_best=True`` (the default) the weights of the best epoch are put back at the end
    of a run that finished or stopped early (not one that diverged or was interrupted); the History
    then says ``restored_best``. The stop reason reads ``"early stopping at epoch N"``.
    """

    order = 10  # after the other callbacks have seen the epoch

    def __init__(self, patience: int, min_delta: float = 0.0, restore_best: bool = True) -> None:
        super().__init__(min_delta)
        self.patience = check_int("patience", patience, minimum=1)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, state: LoopState) -> None:
        super().on_train_begin(state)
        self.rule.patience = self.patience

    def on_epoch_end(self, state: LoopState) -> None:
        super().on_epoch_end(state)
        if self.rule.exhausted:
            state.stop(f"early stopping at epoch {state.history.epochs}")

    def on_train_end(self, state: LoopState) -> None:
        h = state.history
        finished = h.stop_reason == "finished" or h.stop_reason.startswith("early stopping")
        if self.restore_best and finished and h.best_epoch is not None and h.best_epoch != h.epochs:
            state.model.load_state_dict(self.best_state)
            h.restored_best = True


class MaxSteps(Callback):
    """End the run after ``steps`` weight updates, even in the middle of an epoch (stop reason ``"finished"``)."""

    order = -10  # first, so that the others see the shortened plan in on_train_begin

    def __init__(self, steps: int) -> None:
        self.steps = check_int("steps", steps, minimum=1)

    def on_train_begin(self, state: LoopState) -> None:
        if state.total_steps is not None:
            state.total_steps = min(state.total_steps, self.steps)

    def on_step_end(self, state: LoopState) -> None:
        if state.history.steps >= self.steps:
            state.stop("finished")
