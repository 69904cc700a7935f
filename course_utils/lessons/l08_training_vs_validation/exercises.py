"""Exercises for notebook 08, training vs validation."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache

import torch
from torch import nn

from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise
from ...models import make_mlp
from .experiments import fit_moons, moons_pool

__all__ = ["q1", "q2", "q3", "q4", "reference_train_keep_best"]

q1 = ChoiceExercise(
    name="08.q1 which run underfits",
    options={
        "a": "Run A: training loss 0.05, validation loss 2.00",
        "b": "Run B: training loss 0.50, validation loss 0.48",
        "c": "Run C: training loss 0.35, validation loss 0.37",
    },
    correct="b",
    explanations={
        "a": "A is overfitting: its training loss is far *below* the floor of 0.325 (it has memorised the "
        "flipped labels) while its validation loss is over four times its own best (0.435).",
        "b": "both losses are close to each other, and both are stuck well above what the same data allow (C "
        "reaches 0.37): the model is too simple to follow the curve of the moons.",
        "c": "C is the good fit: the two losses are close, and both sit just above the floor of 0.325.",
    },
    hints=["Underfitting: both losses high, and close together. Compare each run with the best one of the three."],
    solution_text=(
        "b) Run B underfits: training and validation loss agree (0.50 and 0.48) but both stay high, because the "
        "model cannot represent the boundary. A overfits (training loss far below the floor, validation loss "
        "huge); C is the good fit (both close, and close to the floor of 0.325)."
    ),
)


@lru_cache(maxsize=1)
def _overfit_best_epoch() -> int:
    return fit_moons(width=64, depth=2, n_train=100, epochs=300, label_noise=0.1).history.best_epoch


def _q2_answer() -> float:
    return _overfit_best_epoch() + 50


q2 = NumberExercise(
    name="08.q2 how long early stopping runs",
    answer=_q2_answer,
    mistakes={
        50: "50 is the patience alone. The count of bad epochs starts only after the best epoch: first the run has "
        "to get there.",
        29: "epoch 29 is where the best weights come from; but the run does not know yet that nothing better "
        "follows. It has to wait out the patience.",
        78: "one short: epoch 29 is the best, then epochs 30, 31, ..., 79 are the 50 epochs without improvement.",
        80: "one too many: after epoch 29 come 50 bad epochs, 30 to 79; the run stops right after the 50th.",
        300: "with patience 50 the run does stop early: the validation loss never beats its epoch-29 value again.",
    },
    hints=[
        "Early stopping counts epochs without a new best. When does that count start, and when does it reach 50?",
        "The best epoch is 29 and the validation loss never beats it again. Add the patience.",
    ],
    solution_text=(
        "The best validation loss comes at epoch 29 and is never beaten again, so the counter starts after it:\n"
        "epochs 30, 31, ..., 79 are 50 epochs without improvement, and training stops after epoch 79.\n"
        "It then puts back the weights of epoch 29. Check: train(..., callbacks=[EarlyStopping(patience=50)]) reports\n"
        "'early stopping at epoch 79'."
    ),
    explanation="best epoch 29 + 50 epochs of patience = 79 epochs, then the weights of epoch 29 are restored.",
)


def reference_train_keep_best(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
                              Xv: torch.Tensor, yv: torch.Tensor, epochs: int) -> float:  # fmt: skip
    """The reference for q3: full-batch training that ends holding the best epoch's weights."""
    loss_fn = nn.CrossEntropyLoss()
    best_loss, best_state = float("inf"), None
    for _ in range(epochs):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = loss_fn(model(Xv), yv).item()
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return best_loss


def _setup() -> tuple[nn.Module, torch.optim.Optimizer, tuple[torch.Tensor, ...]]:
    pool, val_set, _ = moons_pool(label_noise=0.1, seed=0)
    X, y = pool.tensors[0][:100], pool.tensors[1][:100]
    model = make_mlp(2, (32, 32), 2, seed=1000)
    return model, torch.optim.Adam(model.parameters(), lr=0.01), (X, y, *val_set.tensors)


_EPOCHS = 60  # the best validation loss of this setup comes at epoch 46: neither the first nor the last


@lru_cache(maxsize=1)
def _reference() -> tuple[float, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The reference run, once: best loss, best weights, and the last epoch's weights (before restoring)."""
    model, opt, (X, y, Xv, yv) = _setup()
    loss_fn = nn.CrossEntropyLoss()
    best_loss, best_state = float("inf"), None
    for _ in range(_EPOCHS):
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            val_loss = loss_fn(model(Xv), yv).item()
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    return best_loss, best_state, copy.deepcopy(model.state_dict())


def _same(model: nn.Module, state: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(p, state[k]) for k, p in model.state_dict().items())


def _test_keep_best(fn: Callable) -> Feedback:
    best, best_state, last_state = _reference()
    theirs, opt_t, data = _setup()
    returned = fn(theirs, opt_t, *data, _EPOCHS)
    if returned is None:
        return Feedback(False, "your function returns None: return the best validation loss (a number).")
    if _same(theirs, last_state):
        return Feedback(False, "the model ends with the weights of the *last* epoch. Did you load the best weights "
                               "back at the end -- and did you save a *copy*, copy.deepcopy(model.state_dict())? "
                               "model.state_dict() alone holds the live tensors, which keep changing as training "
                               "goes on, so it always 'remembers' the latest weights.")  # fmt: skip
    if abs(float(returned) - best) > 1e-6:
        return Feedback(False, f"you returned {float(returned):.4f}, but the best validation loss was {best:.4f}. "
                               "Update best_loss only when val_loss < best_loss.")  # fmt: skip
    if not _same(theirs, best_state):
        return Feedback(False, "the returned loss is right, but the model holds the weights of another epoch: save "
                               "the copy in the same epoch in which you update best_loss.")  # fmt: skip
    return Feedback(True, f"the model holds the weights of its best epoch (validation loss {best:.4f}), "
                          "not the last one.")  # fmt: skip


q3 = CodeExercise(
    name="08.q3 keep the best checkpoint",
    test=_test_keep_best,
    hints=[
        "Where best_loss gets a new value, also remember the weights -- a copy of model.state_dict(). After the "
        "loop, load the remembered weights back into the model.",
        "best_state = copy.deepcopy(model.state_dict()) next to best_loss = val_loss; after the loop "
        "model.load_state_dict(best_state) and return best_loss.",
    ],
    solution_text=(
        "def train_keep_best(model, optimizer, X, y, Xv, yv, epochs):\n"
        "    loss_fn = torch.nn.CrossEntropyLoss()\n"
        "    best_loss, best_state = float('inf'), None\n"
        "    for _ in range(epochs):\n"
        "        loss = loss_fn(model(X), y)\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        with torch.no_grad():\n"
        "            val_loss = loss_fn(model(Xv), yv).item()\n"
        "        if val_loss < best_loss:                                   # a new best checkpoint\n"
        "            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())  # a COPY\n"
        "    model.load_state_dict(best_state)                              # back to the best weights\n"
        "    return best_loss"
    ),
)

q4 = ChoiceExercise(
    name="08.q4 overfitting without wrong labels",
    options={
        "a": "No: without flipped labels there is nothing wrong to memorise, so the validation loss keeps falling.",
        "b": "Yes: the validation loss still rises well above its best as training goes on.",
        "c": "It cannot even fit the training data: the training loss stays above 0.1.",
    },
    correct="b",
    explanations={
        "a": "run the next cell: the validation loss still climbs to several times its best. With 100 points the "
        "network can fit them in many ways, and it keeps growing more *confident* -- also on the few validation "
        "points it gets wrong, which cross-entropy punishes hard.",
        "b": "clean labels make overfitting milder (accuracy barely drops), but 100 points still leave the "
        "boundary underdetermined; the network grows over-confident, and the validation loss climbs.",
        "c": "the training loss falls far below 0.1: 64 x 64 is plenty of capacity for 100 points.",
    },
    hints=["Wrong labels are one thing to memorise. What else can a big network learn about 100 particular points "
           "that does not hold for new ones?"],  # fmt: skip
    solution_text=(
        "b) Yes. With label_noise=0 the validation loss still reaches its best early and then rises several-fold "
        "(while the validation accuracy drops only a little): the network becomes ever more confident, and on "
        "the handful of validation points on the wrong side of its boundary that confidence costs a lot of loss. "
        "Overfitting needs no wrong labels -- only a model that can fit the training set in more detail than the "
        "data support."
    ),
)
