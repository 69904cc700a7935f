"""Lesson 08: training loss against validation loss -- underfitting, a good fit, overfitting.

* :func:`fit_moons` trains an MLP of a chosen width and depth on a small, partly mislabelled
  two-moons training set and measures training and validation loss after every epoch. It is the
  experiment behind every slider of the lesson: capacity, training set size, epochs, label noise.
* :func:`fit_report` puts the numbers of "the lowest training loss is not the best model" side by
  side: the last epoch against the epoch with the best validation loss.
* :func:`mode_check` shows what ``model.train()`` and ``model.eval()`` change (dropout, batch norm).

The training sets are *nested*: ``n_train=100`` uses the first 100 points of one fixed pool, and
``n_train=200`` adds 100 more to the same 100. Label noise is nested too: raising it flips more
labels of the same points. So moving one slider changes one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...callbacks import BestWeights
from ...checks import check_choice, check_float, check_int
from ...data import label_noise_floor, make_moons
from ...history import History
from ...loop import train
from ...models import OPTIMIZERS, make_mlp, make_optimizer
from ...runs import MODEL_SEED_OFFSET

__all__ = [
    "POOL_SIZE",
    "N_VAL",
    "MAX_TRAIN",
    "moons_pool",
    "FitRun",
    "fit_moons",
    "fit_report",
    "fit_many",
    "ModeCheck",
    "mode_check",
]

POOL_SIZE = 1400
"""Points drawn once per (label noise, seed); the last :data:`N_VAL` are the validation set."""
N_VAL = 400
MAX_TRAIN = POOL_SIZE - N_VAL


def moons_pool(label_noise: float = 0.1, seed: int = 0) -> tuple[TensorDataset, TensorDataset, torch.Tensor]:
    """The fixed pool of two-moons points behind :func:`fit_moons`.

    Returns ``(train_pool, val_set, flipped)``: up to :data:`MAX_TRAIN` training candidates (use the
    first ``n``), :data:`N_VAL` validation points (their labels are noisy too, like real data), and a
    boolean mask saying which training candidates carry a flipped label.
    """
    label_noise = check_float("label_noise", label_noise, minimum=0.0, maximum=0.5)
    noisy = make_moons(POOL_SIZE, label_noise=label_noise, seed=seed)
    clean = make_moons(POOL_SIZE, label_noise=0.0, seed=seed)  # same points, same order, true labels
    X, y = noisy.tensors
    flipped = y != clean.tensors[1]
    return TensorDataset(X[:MAX_TRAIN], y[:MAX_TRAIN]), TensorDataset(X[MAX_TRAIN:], y[MAX_TRAIN:]), flipped[:MAX_TRAIN]


@dataclass
class FitRun:
    """One run of :func:`fit_moons`: settings, the per-epoch History, the final and the best model.

    ``history.epoch_train_loss[i]`` is the training loss of epoch ``i + 1`` (one full-batch step, so
    the loss of the weights *before* that step, as :func:`course_utils.train` records it);
    ``history.epoch_val_loss[i]`` the validation loss *after* it. ``best_model`` holds the weights
    of the epoch with the lowest validation loss (``history.best_epoch``).
    """

    settings: dict[str, Any]
    history: History
    model: nn.Module = field(repr=False)
    best_model: nn.Module = field(repr=False)
    train_set: TensorDataset = field(repr=False)
    val_set: TensorDataset = field(repr=False)
    flipped: torch.Tensor = field(repr=False)

    @property
    def hidden(self) -> tuple[int, ...]:
        s = self.settings
        return (s["width"],) * s["depth"]

    @property
    def net(self) -> str:
        return "linear model (no hidden layer)" if not self.hidden else f"MLP {' x '.join(map(str, self.hidden))}"

    @property
    def title(self) -> str:
        s = self.settings
        return (f"{self.net}, {s['n_train']} training points ({s['label_noise']:.0%} flipped), "
                f"{self.history.epochs} epochs")  # fmt: skip

    @property
    def floor(self) -> float:
        return label_noise_floor(self.settings["label_noise"])

    def summary(self) -> str:
        """One line: where training and validation loss ended, and the best epoch."""
        h = self.history
        if not h.epoch_val_loss:
            return h.stop_reason
        b = (h.best_epoch or 1) - 1
        text = (
            f"last epoch: train loss {h.epoch_train_loss[-1]:.4f} (accuracy {h.epoch_train_acc[-1]:.0%}), "
            f"val loss {h.epoch_val_loss[-1]:.4f} (accuracy {h.epoch_val_acc[-1]:.0%}); "
            f"best val loss {h.epoch_val_loss[b]:.4f} at epoch {b + 1}"
        )
        return text if h.stop_reason == "finished" else f"{h.stop_reason}; {text}"


def fit_moons(
    *,
    width: int = 64,
    depth: int = 2,
    n_train: int = 100,
    epochs: int = 100,
    label_noise: float = 0.1,
    lr: float = 0.01,
    optimizer: str = "adam",
    seed: int = 0,
) -> FitRun:
    """Train an MLP (``depth`` hidden layers of ``width`` ReLUs; depth 0 = a linear model) on the
    first ``n_train`` points of the two-moons pool, with the whole training set as one batch.

    Every epoch is one step of the loop you know -- forward, loss, zero_grad, backward, step -- and
    after it the validation loss and both accuracies are measured. The weights of the epoch with the
    lowest validation loss are kept as ``best_model`` (the best checkpoint). The same settings give
    the same numbers; a learning rate so large that the loss becomes NaN or infinite stops the run
    with ``history.stop_reason == "diverged at step N"``.
    """
    width = check_int("width", width, minimum=1, maximum=1024)
    depth = check_int("depth", depth, minimum=0, maximum=4)
    n_train = check_int("n_train", n_train, minimum=2, maximum=MAX_TRAIN)
    epochs = check_int("epochs", epochs, minimum=1, maximum=5000)
    label_noise = check_float("label_noise", label_noise, minimum=0.0, maximum=0.5)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    pool, val_set, flipped = moons_pool(label_noise, seed)
    X, y = pool.tensors[0][:n_train], pool.tensors[1][:n_train]
    Xv, yv = val_set.tensors
    model = make_mlp(2, (width,) * depth, 2, seed=seed + MODEL_SEED_OFFSET)
    opt = make_optimizer(optimizer, model, lr)
    keeper = BestWeights()
    history = train(model, TensorDataset(X, y), optimizer=opt, epochs=epochs, batch_size=n_train, shuffle=False,
                    val_data=val_set, loss_fn=nn.CrossEntropyLoss(), callbacks=[keeper])  # fmt: skip
    best_state = keeper.best_state
    best_model = copy.deepcopy(model)
    best_model.load_state_dict(best_state)
    settings = dict(width=width, depth=depth, n_train=n_train, epochs=epochs, label_noise=label_noise, lr=lr,
                    optimizer=optimizer, seed=seed)  # fmt: skip
    return FitRun(settings, history, model, best_model, TensorDataset(X, y), val_set, flipped[:n_train])


def fit_report(run: FitRun) -> dict[str, float]:
    """The numbers behind "the lowest training loss is not the best model".

    ``last_*``: the last epoch (lowest training loss, as training went on); ``best_*``: the epoch with
    the lowest validation loss; ``val_ratio``: how many times the best validation loss the last one is.
    """
    if not isinstance(run, FitRun):
        raise TypeError(f"run must be the result of fit_moons(...), but got {type(run).__name__}.")
    h = run.history
    if not h.epoch_val_loss:
        raise ValueError("the run has no finished epoch to report on.")
    b = h.best_epoch - 1
    return dict(
        last_epoch=h.epochs, last_train_loss=h.epoch_train_loss[-1], last_val_loss=h.epoch_val_loss[-1],
        last_train_acc=h.epoch_train_acc[-1], last_val_acc=h.epoch_val_acc[-1],
        best_epoch=h.best_epoch, best_train_loss=h.epoch_train_loss[b], best_val_loss=h.epoch_val_loss[b],
        best_train_acc=h.epoch_train_acc[b], best_val_acc=h.epoch_val_acc[b],
        lowest_train_loss=min(h.epoch_train_loss), val_ratio=h.epoch_val_loss[-1] / h.epoch_val_loss[b],
        flipped_in_train=int(run.flipped.sum()),
    )  # fmt: skip


def fit_many(settings: Sequence[dict[str, Any]]) -> list[FitRun]:
    """Several :func:`fit_moons` runs, one per dictionary of settings (for side-by-side pictures)."""
    return [fit_moons(**s) for s in settings]


# ----------------------------------------------------------------------------- train mode and eval mode


@dataclass
class ModeCheck:
    """What ``model.train()`` and ``model.eval()`` change for a network with dropout and batch norm."""

    model: nn.Module = field(repr=False)
    outputs_train: tuple[list[float], list[float]]  # the same point through the network twice, in train mode
    outputs_eval: tuple[list[float], list[float]]  # ... and twice in eval mode
    val_loss_eval: float  # the validation loss, measured in eval mode (the same every time)
    val_losses_train: list[float]  # the same measurement repeated in train mode
    running_mean_moved: float  # how far one train-mode pass over the validation data moved batch norm's statistics
    running_mean_moved_eval: float  # ... and one eval-mode pass

    @property
    def train_mode_spread(self) -> float:
        """The largest minus the smallest of the train-mode validation losses."""
        return max(self.val_losses_train) - min(self.val_losses_train)


def mode_check(*, dropout: float = 0.5, epochs: int = 20, repeats: int = 5, seed: int = 0) -> ModeCheck:
    """Train a 2 -> 64 -> 64 -> 2 network with batch norm and dropout on the lesson's moons, then measure
    the same things in train mode and in eval mode.

    ``train()`` and ``evaluate()`` switch the modes themselves; this experiment switches them by hand to
    show what would go wrong if they did not.
    """
    dropout = check_float("dropout", dropout, minimum=0.0, maximum=0.9)
    epochs = check_int("epochs", epochs, minimum=1, maximum=1000)
    repeats = check_int("repeats", repeats, minimum=2, maximum=100)
    with torch.random.fork_rng(devices=[]):  # seeded weights and dropout masks; the global random state is left be
        return _mode_check(dropout, epochs, repeats, seed)


def _mode_check(dropout: float, epochs: int, repeats: int, seed: int) -> ModeCheck:
    pool, val_set, _ = moons_pool(0.1, seed)
    train_set = TensorDataset(pool.tensors[0][:400], pool.tensors[1][:400])
    torch.manual_seed(seed + MODEL_SEED_OFFSET)  # the layers' starting weights and the dropout masks
    model = nn.Sequential(nn.Linear(2, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(dropout),
                          nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(dropout), nn.Linear(64, 2))
    train(model, train_set, optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=epochs, batch_size=50,
          seed=seed)  # fmt: skip
    X_val, y_val = val_set.tensors
    loss_fn = nn.CrossEntropyLoss()
    point = X_val[:8]
    with torch.no_grad():
        model.train()
        stats = model[1].running_mean.clone()
        train_outputs = (model(point)[0].tolist(), model(point)[0].tolist())
        losses_train = [loss_fn(model(X_val), y_val).item() for _ in range(repeats)]
        moved = (model[1].running_mean - stats).abs().max().item()
        model.eval()
        stats = model[1].running_mean.clone()
        eval_outputs = (model(point)[0].tolist(), model(point)[0].tolist())
        loss_eval = loss_fn(model(X_val), y_val).item()
        moved_eval = (model[1].running_mean - stats).abs().max().item()
    return ModeCheck(model, train_outputs, eval_outputs, loss_eval, losses_train, moved, moved_eval)
