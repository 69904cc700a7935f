"""Lesson 11, the capstone: everything the course built, in one real run -- and then a language model.

* :func:`digits_data` loads scikit-learn's handwritten digits (no download), split into training,
  validation and test sets, with every pixel standardised using the *training* set's statistics.
* :func:`find_digits_lr` runs the learning-rate range test on a fresh model.
* :func:`train_digits` is the whole recipe as one seeded function: shuffled mini-batches, a
  validation pass every epoch, early stopping, the best checkpoint saved to disk (atomically) and
  reloaded into a fresh model, then one look at the test set. The notebook writes the same steps
  out cell by cell; this function is what the tests (and the exercises) run.
* :func:`predict`, :func:`confusion_matrix` and :func:`misclassified` look at the errors.
* :func:`train_char_model`, :func:`generate` and :func:`sample_text` train and sample a tiny
  next-character model on the Zen of Python with the very same ``train`` loop.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from ...callbacks import Callback, EarlyStopping
from ...checkpoint import BestCheckpoint, load_checkpoint
from ...checks import check_choice, check_float, check_int
from ...data import CharVocab, as_dataset, load_digits_split, make_next_char_data, zen_of_python
from ...history import History
from ...loop import evaluate, train
from ...lr_finder import RangeTestResult, lr_range_test
from ...models import make_char_model, make_mlp, make_optimizer

__all__ = [
    "DIGITS",
    "CHAR",
    "DigitsData",
    "DigitsRun",
    "CharRun",
    "Sample",
    "digits_data",
    "make_digits_model",
    "find_digits_lr",
    "train_digits",
    "predict",
    "confusion_matrix",
    "misclassified",
    "train_char_model",
    "generate",
    "next_char_probs",
    "next_char_counts",
    "sample_text",
]

N_CLASSES = 10
PIXELS = 64
SPREAD_FLOOR = 0.1
"""Added to each pixel's standard deviation before dividing: pixels that are almost always blank
(the image border) would otherwise be blown up to huge values by a tiny spread."""

DIGITS: dict[str, Any] = dict(hidden=(64,), batch_size=32, max_epochs=40, patience=5, optimizer="adam")
"""The capstone's digits settings (the notebook uses the same)."""
CHAR: dict[str, Any] = dict(context=8, embed=16, hidden=128, lr=1e-2, epochs=15, batch_size=64)
"""The capstone's next-character settings (the notebook uses the same)."""


# ----------------------------------------------------------------------------- digits


@dataclass
class DigitsData:
    """Training, validation and test sets of 8x8 digit images (64 standardised pixels each).

    ``mean`` and ``spread`` are the per-pixel statistics of the *training* set that were used to
    standardise all three sets; :meth:`images` turns rows back into 8x8 pictures.
    """

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    mean: torch.Tensor = field(repr=False)
    spread: torch.Tensor = field(repr=False)

    def images(self, X: torch.Tensor) -> torch.Tensor:
        """Undo the standardisation and reshape: rows of 64 numbers -> 8x8 images with values 0..1."""
        return (X * self.spread + self.mean).reshape(-1, 8, 8).clamp(0, 1)


def digits_data(seed: int = 0, standardize: bool = True) -> DigitsData:
    """The digits, split 70/15/15 into train/val/test (seeded), standardised with training statistics.

    Standardising means: from each pixel subtract its mean over the training images and divide by
    its spread, so that every input is centred near 0 with a similar scale. The statistics come from
    the training set *only* -- the validation and test images must stay unseen.
    ``standardize=False`` keeps the raw 0..1 pixels (for comparison).
    """
    seed = check_int("seed", seed, minimum=0)
    train_set, val_set, test_set = load_digits_split(val_fraction=0.15, test_fraction=0.15, seed=seed)
    X = train_set.tensors[0]
    if standardize:
        mean, spread = X.mean(dim=0), X.std(dim=0) + SPREAD_FLOOR
    else:
        mean, spread = torch.zeros(PIXELS), torch.ones(PIXELS)

    def scale(ds: TensorDataset) -> TensorDataset:
        x, y = ds.tensors
        return TensorDataset((x - mean) / spread, y)

    return DigitsData(scale(train_set), scale(val_set), scale(test_set), mean, spread)


def make_digits_model(hidden: Sequence[int] | int = DIGITS["hidden"], seed: int = 0) -> nn.Sequential:
    """A small MLP for the digits: 64 pixels -> ``hidden`` (ReLU) -> 10 class scores (logits)."""
    return make_mlp(PIXELS, hidden, N_CLASSES, seed=seed)


def find_digits_lr(
    *, hidden: Sequence[int] | int = DIGITS["hidden"], batch_size: int = DIGITS["batch_size"],
    optimizer: str = DIGITS["optimizer"], num_steps: int = 100, seed: int = 0, data: DigitsData | None = None,
) -> RangeTestResult:  # fmt: skip
    """The learning-rate range test (lesson 07) on a fresh digits model, from 1e-5 to 1."""
    data = digits_data(seed) if data is None else data
    model = make_digits_model(hidden, seed)
    opt = make_optimizer(optimizer, model, 1e-3)  # its lr is irrelevant: the test sets its own
    return lr_range_test(model, data.train, optimizer=opt, batch_size=batch_size, start_lr=1e-5, end_lr=1.0,
                         num_steps=num_steps, seed=seed)  # fmt: skip


@dataclass
class DigitsRun:
    """A finished digits run: settings, History, the model reloaded from the best checkpoint, and
    its test loss and accuracy (``test_acc`` is a fraction, 0.97 = 97%). ``checkpoint`` holds the
    metadata stored with the best weights (epoch, step, val_loss, val_acc); ``reload_matches`` says
    whether the reloaded weights equal, bit for bit, those early stopping put back into the trained model."""

    settings: dict[str, Any]
    history: History
    model: nn.Module = field(repr=False)
    test_loss: float
    test_acc: float
    checkpoint: dict[str, Any]
    saved_epochs: list[int]
    reload_matches: bool

    @property
    def test_errors(self) -> int:
        """How many test images the model gets wrong."""
        return round((1 - self.test_acc) * self.settings["n_test"])


def train_digits(
    *,
    lr: float,
    hidden: Sequence[int] | int = DIGITS["hidden"],
    optimizer: str = DIGITS["optimizer"],
    batch_size: int = DIGITS["batch_size"],
    max_epochs: int = DIGITS["max_epochs"],
    patience: int | None = DIGITS["patience"],
    checkpoint_path: str | os.PathLike | None = None,
    seed: int = 0,
    data: DigitsData | None = None,
    callbacks: Sequence[Callback] = (),
) -> DigitsRun:
    """The whole recipe on the digits; returns a :class:`DigitsRun`.

    Trains a fresh MLP with shuffled mini-batches, measures the validation set after every epoch,
    saves the weights to ``checkpoint_path`` each time the validation loss improves, stops early
    after ``patience`` epochs without improvement (``None``: never), then loads the best checkpoint
    into a *new* model and measures it once on the test set. Without a ``checkpoint_path`` the file
    goes to a temporary folder that is removed afterwards. A learning rate so large that training
    diverges is a result, not an error: ``history.stop_reason`` says so, and the reloaded model is
    the best one saved before (or the untrained one when no epoch finished).
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    check_choice("optimizer", optimizer, ("sgd", "momentum", "adam"))
    max_epochs = check_int("max_epochs", max_epochs, minimum=1)
    patience = None if patience is None else check_int("patience", patience, minimum=1)
    data = digits_data(seed) if data is None else data
    model = make_digits_model(hidden, seed)
    opt = make_optimizer(optimizer, model, lr)
    with tempfile.TemporaryDirectory(prefix="tll-capstone-") as tmp:
        path = Path(checkpoint_path) if checkpoint_path is not None else Path(tmp) / "best.pt"
        saver = BestCheckpoint(path, model, lr=lr, hidden=list(_widths(hidden)))
        history = train(model, data.train, optimizer=opt, epochs=max_epochs, batch_size=batch_size,
                        seed=seed, val_data=data.val,
                        callbacks=[*callbacks, saver, *([EarlyStopping(patience)] if patience else [])])  # fmt: skip
        best = make_digits_model(hidden, seed=seed + 1)  # a different random start: the file must supply everything
        meta = load_checkpoint(path, best) if saver.saved_epochs else {}
    trained, reloaded = model.state_dict(), best.state_dict()
    matches = bool(meta) and all(torch.equal(trained[k], reloaded[k]) for k in trained)
    test_loss, test_acc = evaluate(best, data.test)
    settings = dict(lr=lr, hidden=tuple(_widths(hidden)), optimizer=optimizer, batch_size=batch_size,
                    max_epochs=max_epochs, patience=patience, seed=seed, n_test=len(data.test))  # fmt: skip
    return DigitsRun(settings, history, best, test_loss, float(test_acc), meta, list(saver.saved_epochs), matches)


def _widths(hidden: Sequence[int] | int) -> tuple[int, ...]:
    return (hidden,) if isinstance(hidden, int) else tuple(hidden)


@torch.no_grad()
def predict(model: nn.Module, data: TensorDataset | tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # noqa: E501
    """The model's answers on ``data``: ``(predicted class, true class, probabilities)``, one row per example."""
    X, y = as_dataset(data, "data").tensors
    was_training = model.training
    model.eval()
    probs = torch.softmax(model(X), dim=1)
    model.train(was_training)
    return probs.argmax(dim=1), y, probs


def confusion_matrix(predicted: torch.Tensor, true: torch.Tensor, n_classes: int = N_CLASSES) -> torch.Tensor:
    """Counts: row = true class, column = predicted class. The diagonal holds the right answers."""
    n_classes = check_int("n_classes", n_classes, minimum=2)
    if predicted.shape != true.shape or predicted.ndim != 1:
        raise ValueError(
            f"predicted and true must be two 1-D tensors of the same length, but have shapes "
            f"{tuple(predicted.shape)} and {tuple(true.shape)}."
        )
    for name, t in (("predicted", predicted), ("true", true)):
        if t.numel() and (t.min() < 0 or t.max() >= n_classes):
            raise ValueError(f"{name} holds class numbers outside 0..{n_classes - 1} (n_classes={n_classes}).")
    counts = torch.zeros(n_classes, n_classes, dtype=torch.long)
    counts.index_put_((true.long(), predicted.long()), torch.ones_like(true, dtype=torch.long), accumulate=True)
    return counts


def misclassified(model: nn.Module, data: TensorDataset, k: int | None = None) -> list[int]:
    """Row numbers of the examples the model gets wrong, the most confidently wrong first (at most ``k``)."""
    pred, y, probs = predict(model, data)
    wrong = (pred != y).nonzero().flatten()
    confidence = probs[wrong, pred[wrong]]
    order = wrong[torch.argsort(confidence, descending=True, stable=True)].tolist()
    return order if k is None else order[: check_int("k", k, minimum=0)]


# ----------------------------------------------------------------------------- next character


@dataclass
class CharRun:
    """A trained next-character model with its vocabulary, context length, text and History."""

    settings: dict[str, Any]
    history: History
    model: nn.Module = field(repr=False)
    vocab: CharVocab = field(repr=False)
    text: str = field(repr=False)


def train_char_model(
    *,
    context: int = CHAR["context"],
    embed: int = CHAR["embed"],
    hidden: int = CHAR["hidden"],
    lr: float = CHAR["lr"],
    epochs: int = CHAR["epochs"],
    batch_size: int = CHAR["batch_size"],
    text: str | None = None,
    seed: int = 0,
    callbacks: Sequence[Callback] = (),
) -> CharRun:
    """Train a tiny next-character model on ``text`` (default: the Zen of Python) with ``train``.

    Every window of ``context`` characters is one example and the character after it is its label:
    a classification problem with one class per character, trained with cross-entropy and Adam.
    ``epochs=0`` returns the untrained model (for "before training" samples).
    """
    text = zen_of_python() if text is None else text
    data, vocab = make_next_char_data(text, context)
    model = make_char_model(len(vocab), context, embed, hidden, seed=seed)
    opt = make_optimizer("adam", model, lr)
    history = train(model, data, optimizer=opt, epochs=epochs, batch_size=min(batch_size, len(data)),
                    seed=seed, callbacks=callbacks)  # fmt: skip
    settings = dict(context=context, embed=embed, hidden=hidden, lr=lr, epochs=epochs, batch_size=batch_size,
                    seed=seed, n_examples=len(data))  # fmt: skip
    return CharRun(settings, history, model, vocab, text)


def _context_of(model: nn.Module) -> int:
    """The context length of a model built by ``make_char_model`` (embedding width x context = first Linear)."""
    embeds = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not embeds or not linears or linears[0].in_features % embeds[0].embedding_dim:
        raise ValueError("cannot tell this model's context length; pass context=... (characters it reads at once).")
    return linears[0].in_features // embeds[0].embedding_dim


def _window(vocab: CharVocab, text: str, context: int) -> torch.Tensor:
    """The last ``context`` characters of ``text`` as token ids, padded on the left with spaces."""
    if " " in vocab.chars:
        text = text.rjust(context)
    elif len(text) < context:
        raise ValueError(f"prompt {text!r} is shorter than the model's context ({context} characters).")
    return vocab.encode(text[-context:])


@torch.no_grad()
def next_char_probs(
    model: nn.Module, vocab: CharVocab, prompt: str, temperature: float = 1.0, *, context: int | None = None
) -> torch.Tensor:
    """The model's probability for each character of ``vocab`` to come right after ``prompt``.

    ``temperature`` divides the logits before the softmax: below 1 it sharpens the distribution
    (the likeliest character gets even likelier), above 1 it flattens it. 0 means "always the likeliest".
    """
    temperature = check_float("temperature", temperature, minimum=0.0)
    context = _context_of(model) if context is None else check_int("context", context, minimum=1)
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, but got {type(prompt).__name__}.")
    was_training = model.training
    model.eval()
    logits = model(_window(vocab, prompt, context)[None])[0]
    model.train(was_training)
    if temperature == 0:
        return nn.functional.one_hot(logits.argmax(), len(vocab)).float()
    return torch.softmax(logits / temperature, dim=0)


@torch.no_grad()
def generate(
    model: nn.Module, vocab: CharVocab, prompt: str, n_chars: int = 200, temperature: float = 1.0, seed: int = 0,
    *, context: int | None = None,
) -> str:  # fmt: skip
    """Write ``n_chars`` characters after ``prompt``, one at a time; returns prompt + new text.

    Each new character is *sampled* from the model's next-character probabilities (at
    ``temperature``), appended, and the window moves on by one -- the way every language model
    writes. Sampling uses a private generator seeded with ``seed``: same seed, same text.
    ``temperature=0`` always takes the likeliest character (no randomness at all).
    """
    n_chars = check_int("n_chars", n_chars, minimum=0)
    temperature = check_float("temperature", temperature, minimum=0.0)
    context = _context_of(model) if context is None else check_int("context", context, minimum=1)
    g = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    text = prompt
    window = _window(vocab, prompt, context).tolist()
    was_training = model.training
    model.eval()
    for _ in range(n_chars):
        logits = model(torch.tensor([window]))[0]
        if temperature == 0:
            token = int(logits.argmax())
        else:
            token = int(torch.multinomial(torch.softmax(logits / temperature, dim=0), 1, generator=g))
        text += vocab.chars[token]
        window = window[1:] + [token]
    model.train(was_training)
    return text


def next_char_counts(text: str, prompt: str, context: int = CHAR["context"]) -> dict[str, int]:
    """How often each character follows the last ``context`` characters of ``prompt`` in ``text``.

    These counts are what a next-character model can learn at best from this text: its
    probabilities after that window should approach count / total.
    """
    context = check_int("context", context, minimum=1)
    if not isinstance(prompt, str) or len(prompt) < context:
        raise ValueError(f"prompt must be a string of at least context={context} characters, but got {prompt!r}.")
    window = prompt[-context:]
    counts: dict[str, int] = {}
    start = text.find(window)
    while start != -1 and start + context < len(text):
        follower = text[start + context]
        counts[follower] = counts.get(follower, 0) + 1
        start = text.find(window, start + 1)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class Sample:
    """One sampling run for the temperature demo: the text, and the next-character probabilities
    right after the prompt at this temperature (``probs``) and at temperature 1 (``probs_t1``)."""

    prompt: str
    temperature: float
    seed: int
    text: str
    chars: list[str]
    probs: torch.Tensor
    probs_t1: torch.Tensor


def sample_text(
    temperature: float = 0.8, seed: int = 0, prompt: str = "Simple is better than ", *, model: nn.Module,
    vocab: CharVocab, n_chars: int = 160,
) -> Sample:  # fmt: skip
    """Generate text from a trained model and keep the first step's probabilities (for the demo)."""
    text = generate(model, vocab, prompt, n_chars, temperature, seed)
    probs = next_char_probs(model, vocab, prompt, temperature)
    return Sample(prompt, float(temperature), int(seed), text, list(vocab.chars), probs,
                  next_char_probs(model, vocab, prompt, 1.0))  # fmt: skip
