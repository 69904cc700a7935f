"""Saving and loading checkpoints: a trained model's weights (and optimizer state) on disk.

Two promises, both tested:

* **A crash during a save never destroys the previous checkpoint.** :func:`save_checkpoint` writes
  to a temporary file in the same folder, forces it onto the disk, and only then renames it over
  the old file. A rename within one folder is atomic: a reader sees the old file or the new one,
  never half of each.
* **Loading never runs code hidden in a file.** A ``.pt`` file is a Python *pickle*, and unpickling
  can call any function (``os.system`` included). :func:`load_checkpoint` uses
  ``torch.load(..., weights_only=True)``, which only rebuilds tensors and plain values and refuses
  everything else. That is why the metadata you store is limited to numbers, text, booleans,
  ``None`` and lists/tuples/dicts of those.

A truncated file, a file that is not one of our checkpoints, or a checkpoint made for another
architecture each gives a :class:`CheckpointError` that names the file and says what is wrong.
:class:`BestCheckpoint` is a training callback that saves whenever the validation loss improves.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import pickle
import re
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .callbacks import BestWeights, LoopState

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "BestCheckpoint", "FORMAT", "VERSION"]

FORMAT = "training-loop-lab checkpoint"
"""Stored in every checkpoint, so that a foreign file is recognised as foreign."""
VERSION = 1
_KEYS = ("format", "version", "model", "optimizer", "metadata")


class CheckpointError(ValueError):
    """A file that cannot be loaded as a checkpoint (truncated, foreign, unsafe, or another model's)."""


# ----------------------------------------------------------------------------- saving


def save_checkpoint(
    path: str | os.PathLike, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None, **metadata: Any
) -> Path:
    """Save ``model``'s weights (and ``optimizer``'s state) to ``path``, atomically. Returns the path.

    ``metadata`` is anything you want to remember with the weights (``epoch=7, val_loss=0.09``):
    numbers, strings, booleans, ``None``, and lists, tuples and dicts (with string keys) of those.
    The file is first written next to ``path`` under a temporary name, flushed to the disk, and then
    renamed to ``path``; if anything fails on the way, the temporary file is removed and whatever was
    at ``path`` before is still there, untouched.
    """
    path = _as_path(path)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (the network to save), but got {type(model).__name__}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, but got {type(optimizer).__name__}.")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save the checkpoint to {path}: the folder {folder} does not exist.")
    if path.is_dir():
        raise IsADirectoryError(f"cannot save the checkpoint to {path}: that is a folder; give a file name.")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "metadata": {key: _plain(value, key) for key, value in metadata.items()},
    }
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on the disk before the name points at them
        os.replace(tmp_name, path)  # atomic: readers see the old file or the new one, never a mix
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(folder)
    return path


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain Python data that ``weights_only`` loading accepts, or a TypeError naming it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):  # also NumPy integers: stored as a Python int
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"metadata {where}: dictionary keys must be strings, but got {k!r}.")
            out[k] = _plain(v, f"{where}[{k!r}]")
        return out
    hint = " Use .item() or .tolist() to turn a tensor into numbers." if isinstance(value, torch.Tensor) else ""
    raise TypeError(
        f"metadata {where}={value!r:.60} is a {type(value).__name__}; a checkpoint stores only numbers, strings, "
        f"booleans, None and lists/tuples/dicts of those, so that loading it can never run code.{hint}"
    )


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- loading


def load_checkpoint(
    path: str | os.PathLike, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None
) -> dict[str, Any]:
    """Put the weights saved at ``path`` into ``model`` (and the optimizer state into ``optimizer``).

    Returns the metadata saved with them. ``model`` must have the same architecture as the saved
    one (the same layer names and shapes); it is changed only when everything checks out, so after
    an error it still holds its old weights. Files are read with ``torch.load(weights_only=True)``:
    nothing but tensors and plain values is ever rebuilt, and no code in the file can run.
    """
    path = _as_path(path)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module to load the weights into, but got {type(model).__name__}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, but got {type(optimizer).__name__}.")
    payload = _read(path)
    _check_ours(path, payload)
    state = payload["model"]
    _check_architecture(path, model, state)
    if optimizer is not None:
        _check_optimizer(path, optimizer, payload["optimizer"])
    model.load_state_dict(state)
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"])
    return dict(payload["metadata"])


def _as_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path), but got {type(path).__name__}.")
    if str(path) == "":
        raise ValueError("path is empty; give a file name such as 'best.pt'.")
    return Path(path)


def _read(path: Path) -> Any:
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: the file does not exist. Was it saved, and to this folder?")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a checkpoint file.")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): it was never written completely. Save it again.")
    with open(path, "rb") as file:
        head = file.read(4)
    if head != b"PK\x03\x04":  # torch.save writes a zip archive; anything else is not ours
        kind = "a plain Python pickle" if head[:1] == b"\x80" else "not a PyTorch file"
        raise CheckpointError(
            f"{path} is not a checkpoint: it is {kind} ({size} bytes, starting with {head!r}). It was not "
            "unpickled, since unpickling a file from an unknown source can run any code."
        )
    if not zipfile.is_zipfile(path):  # the archive's table of contents sits at its very end
        raise CheckpointError(
            f"{path} is truncated or corrupt ({size} bytes; the end of the archive is missing). A save may "
            "have been interrupted or the copy is incomplete; save it again."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch warns about unusual pickle protocols
            return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found:
            raise CheckpointError(
                f"{path} holds a Python object ({found.group(1)}) besides tensors and plain values. Loading was "
                "refused and nothing in the file was run: unpickling such objects can execute arbitrary code. "
                "Only load checkpoints you made yourself with save_checkpoint."
            ) from None
        raise CheckpointError(f"{path} is corrupt: {_first_line(exc)}. Save it again.") from None
    except Exception as exc:  # zip/stream errors, EOFError, ...: the file is cut short or damaged
        raise CheckpointError(
            f"{path} is truncated or corrupt ({size} bytes; {type(exc).__name__}: {_first_line(exc)}). "
            "A save may have been interrupted or the copy is incomplete; save it again."
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else "no details"


def _check_ours(path: Path, payload: Any) -> None:
    if isinstance(payload, torch.Tensor):
        raise CheckpointError(
            f"{path} holds a single tensor of shape {tuple(payload.shape)}, not a checkpoint of a model. "
            "Save checkpoints with save_checkpoint(path, model)."
        )
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path} holds a {type(payload).__name__}, not a checkpoint made by save_checkpoint.")
    if payload.get("format") != FORMAT:
        if payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            raise CheckpointError(
                f"{path} holds a bare state_dict ({len(payload)} tensors such as {next(iter(payload))!r}), not a "
                "checkpoint made by save_checkpoint. Load it with "
                "model.load_state_dict(torch.load(path, weights_only=True))."
            )
        keys = ", ".join(repr(k) for k in list(payload)[:6]) or "none"
        raise CheckpointError(
            f"{path} is not a checkpoint made by save_checkpoint: it is a dict with the keys {keys}, "
            f"but ours have {', '.join(repr(k) for k in _KEYS)}."
        )
    version = payload.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(
            f"{path} was written by a newer version of the course (checkpoint version {version!r}; this code reads "
            f"version {VERSION}). Update course_utils."
        )
    missing = [k for k in _KEYS if k not in payload]
    if missing or not isinstance(payload["model"], dict) or not isinstance(payload["metadata"], dict):
        raise CheckpointError(f"{path} is a damaged checkpoint: the parts {missing or ['model/metadata']} are missing.")
    odd = [k for k, v in payload["model"].items() if not isinstance(v, torch.Tensor)]
    if odd:
        names = ", ".join(map(str, odd[:5]))
        raise CheckpointError(f"{path} is a damaged checkpoint: the weights {names} are not tensors.")


def _check_architecture(path: Path, model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k}: saved {tuple(state[k].shape)}, model {tuple(expected[k].shape)}"
        for k in expected
        if k in state and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    if not (missing or unexpected or wrong):
        return
    parts = []
    if missing:
        parts.append(f"Missing in the file (the model has them): {', '.join(missing)}")
    if unexpected:
        parts.append(f"Unexpected (in the file, not in the model): {', '.join(unexpected)}")
    if wrong:
        parts.append(f"Different shapes: {'; '.join(wrong)}")
    raise CheckpointError(
        f"{path} was saved from a different architecture than this model. " + ". ".join(parts) + ". Build the model "
        "with the same settings (layer sizes) as the one that was saved; the model was left unchanged."
    )


def _check_optimizer(path: Path, optimizer: torch.optim.Optimizer, state: Any) -> None:
    if state is None:
        raise CheckpointError(
            f"{path} has no optimizer state (it was saved without optimizer=...); load it without an optimizer."
        )
    groups = state.get("param_groups", []) if isinstance(state, dict) else []
    saved = [len(g.get("params", [])) for g in groups]
    ours = [len(g["params"]) for g in optimizer.param_groups]
    if saved != ours:
        raise CheckpointError(
            f"{path}: the saved optimizer state is for {sum(saved)} parameter tensors in {len(saved)} group(s), but "
            f"this optimizer holds {sum(ours)} in {len(ours)}. Build the optimizer for this model, the same way."
        )
    saved_keys = set(groups[0]) - {"params"} if groups else set()
    our_keys = set(optimizer.param_groups[0]) - {"params"} if optimizer.param_groups else set()
    if groups and not saved_keys <= our_keys | {"initial_lr"}:
        raise CheckpointError(
            f"{path}: the saved optimizer state has settings {sorted(saved_keys - our_keys)} that this "
            f"{type(optimizer).__name__} does not know: it was saved from another kind of optimizer."
        )


# ----------------------------------------------------------------------------- a training callback


class BestCheckpoint(BestWeights):
    """A callback for :func:`course_utils.train` that saves the model whenever validation improves.

    After each epoch it looks at the validation loss; if it is lower than every earlier one (by more
    than ``min_delta``, the rule of :class:`~course_utils.callbacks.BestWeights`), it saves the
    weights to ``path`` with :func:`save_checkpoint`, with the epoch, the step, the validation loss
    (and accuracy) and ``metadata`` stored alongside. ``saved_epochs`` lists the epochs it saved at;
    ``best_epoch`` and ``best_val_loss`` the last one.
    """

    def __init__(self, path: str | os.PathLike, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None,
                 min_delta: float = 0.0, **metadata: Any) -> None:  # fmt: skip
        super().__init__(min_delta)
        self.path = _as_path(path)
        if not self.path.parent.is_dir():  # find out now, not after the first epoch of training
            raise FileNotFoundError(
                f"cannot save checkpoints to {self.path}: the folder {self.path.parent} does not exist."
            )
        self.model, self.optimizer = model, optimizer
        self.metadata = {key: _plain(value, key) for key, value in metadata.items()}
        self.saved_epochs: list[int] = []
        self.best_epoch: int | None = None
        self.best_val_loss = math.inf

    def keep(self, state: LoopState) -> None:
        """Save the current weights: the best so far."""
        h = state.history
        self.best_val_loss, self.best_epoch = h.epoch_val_loss[-1], h.epochs
        info = {**self.metadata, "epoch": h.epochs, "step": h.steps, "val_loss": self.best_val_loss}
        if h.epoch_val_acc:
            info["val_acc"] = h.epoch_val_acc[-1]
        save_checkpoint(self.path, self.model, optimizer=self.optimizer, **info)
        self.saved_epochs.append(h.epochs)
