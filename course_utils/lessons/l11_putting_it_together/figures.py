"""Figures for lesson 11, the capstone: digits, the run with its checkpoints, errors, and text sampling."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn

from ...blit import BlitFigure
from ...history import History
from ...plots import ALERT_COLOR, PALETTE, TRAIN_STYLE, VAL_STYLE, bar_style, subplots
from .experiments import DigitsData, Sample, misclassified, predict

__all__ = ["plot_digit_samples", "plot_digits_run", "plot_misclassified", "plot_confusion_matrix", "plot_next_char",
           "NextCharPicture"]  # fmt: skip


def _history(run: Any) -> History:
    history = getattr(run, "history", run)
    if not isinstance(history, History):
        raise TypeError(f"expected a DigitsRun or a History, but got {type(run).__name__}.")
    return history


def _image_axes(ax) -> None:
    """No ticks, a thin grey frame on all four sides (the course style hides the top and right ones)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.75")


def plot_digit_samples(data: DigitsData, per_class: int = 2) -> Figure:
    """The first ``per_class`` training images of every class, as the model's input looks (8x8 pixels)."""
    X, y = data.train.tensors
    images = data.images(X)
    fig, axes = subplots(per_class, 10, figsize=(8, 0.95 * per_class + 0.45),
                         adjust=dict(left=0.01, right=0.99, bottom=0.02, top=0.84, wspace=0.08, hspace=0.1))
    axes = [axes] if per_class == 1 else axes
    for c in range(10):
        rows = (y == c).nonzero().flatten()[:per_class].tolist()
        for r, i in enumerate(rows):
            ax = axes[r][c]
            ax.imshow(images[i].numpy(), cmap="gray_r", vmin=0, vmax=1)
            _image_axes(ax)
            if r == 0:
                ax.set_title(str(c), fontsize=11)
    fig.suptitle(f"training images, label above (8x8 pixels; {len(X)} training images in all)", fontsize=10)
    return fig


def plot_digits_run(
    run: Any, *, saved_epochs: Sequence[int] | None = None, test_acc: float | None = None, title: str | None = None
) -> Figure:
    """Loss (left) and accuracy (right) after every epoch, with the checkpoint saves and the stop marked.

    Diamonds mark the epochs at which the best checkpoint was (over)written; the star is the best
    validation loss -- the weights that were kept. The dashed line on the right is the test accuracy
    of the reloaded best model, measured once at the very end.
    """
    history = _history(run)
    saved = list(getattr(run, "saved_epochs", None) or saved_epochs or [])
    test_acc = getattr(run, "test_acc", test_acc)
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.7),
                                  adjust=dict(left=0.07, right=0.98, bottom=0.14, top=0.8, wspace=0.22))
    epochs = list(range(1, len(history.epoch_train_loss) + 1))
    val_epochs = list(range(1, len(history.epoch_val_loss) + 1))
    left.plot(epochs, history.epoch_train_loss, **TRAIN_STYLE, markersize=3.5, label="training (epoch mean)")
    left.plot(val_epochs, history.epoch_val_loss, **VAL_STYLE, markersize=3.5, label="validation")
    if saved:
        left.plot(saved, [history.epoch_val_loss[e - 1] for e in saved], "D", color=PALETTE[4], markersize=6,
                  fillstyle="none", markeredgewidth=1.4, label="checkpoint saved (val loss improved)")  # fmt: skip
    if history.epoch_val_loss:
        best = min(range(len(history.epoch_val_loss)), key=history.epoch_val_loss.__getitem__) + 1
        left.plot(best, history.epoch_val_loss[best - 1], "*", color=PALETTE[2], markersize=15, zorder=4,
                  label=f"best: epoch {best}, kept")  # fmt: skip
        for ax in (left, right):
            ax.axvline(best, color=PALETTE[2], linewidth=1, alpha=0.6)
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy loss (log scale)")
    left.set_title("loss")
    left.legend(loc="upper right", fontsize=8)
    if history.epoch_val_acc:
        right.plot(epochs[: len(history.epoch_train_acc)], [100 * a for a in history.epoch_train_acc],
                   **TRAIN_STYLE, markersize=3.5, label="training")  # fmt: skip
        right.plot(val_epochs, [100 * a for a in history.epoch_val_acc], **VAL_STYLE, markersize=3.5,
                   label="validation")  # fmt: skip
    if test_acc is not None:
        right.axhline(100 * test_acc, color=PALETTE[7], linestyle="--", linewidth=1.2,
                      label=f"test, reloaded best model: {100 * test_acc:.2f}%")  # fmt: skip
    right.axhline(97, color=ALERT_COLOR, linestyle=":", linewidth=1, label="97% target")
    right.set_ylim(90, 100.5)
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy (%)")
    right.set_title("accuracy (zoomed to 90-100%)")
    right.legend(loc="lower right", fontsize=8)
    if history.diverged:
        left.set_title(f"loss -- {history.stop_reason}", color=ALERT_COLOR)
    fig.suptitle(title or f"digits MLP: {history.stop_reason} ({history.steps} steps)", fontsize=11)
    return fig


def plot_misclassified(model: nn.Module, data: DigitsData, k: int = 8, split: str = "test") -> Figure:
    """The ``k`` test images the model gets wrong, most confident mistake first, with true and predicted labels."""
    dataset = getattr(data, split)
    rows = misclassified(model, dataset, k)
    pred, y, probs = predict(model, dataset)
    n = max(1, len(rows))
    fig, axes = subplots(1, n, figsize=(max(1.15 * n, 3.0), 1.9), squeeze=False,
                         adjust=dict(left=0.01, right=0.99, bottom=0.02, top=0.62, wspace=0.15))
    images = data.images(dataset.tensors[0])
    for ax, i in zip(axes[0], rows):
        ax.imshow(images[i].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {int(y[i])}\nsaid {int(pred[i])} ({probs[i, pred[i]]:.0%})", fontsize=9,
                     color=ALERT_COLOR)  # fmt: skip
    for ax in axes[0]:
        _image_axes(ax)
        if not rows:
            ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", transform=ax.transAxes)
    total = int((pred != y).sum())
    fig.suptitle(f"{total} of {len(y)} {split} images misclassified; the {len(rows)} most confident mistakes",
                 fontsize=10)  # fmt: skip
    return fig


def plot_confusion_matrix(counts: torch.Tensor, title: str = "test set") -> Figure:
    """Row = true digit, column = the model's answer; the diagonal is right, every other cell a mistake."""
    counts = torch.as_tensor(counts)
    n = counts.shape[0]
    fig, ax = subplots(figsize=(4.6, 4.2), adjust=dict(left=0.14, right=0.98, bottom=0.13, top=0.9))
    eye = torch.eye(n, dtype=torch.bool)
    nan = torch.tensor(math.nan)
    right_cells = torch.where(eye, counts.float(), nan)  # NaN cells stay white
    wrong_cells = torch.where(~eye & (counts > 0), counts.float(), nan)
    ax.imshow(right_cells.numpy(), cmap="Greens", vmin=0, vmax=float(counts.max()) * 2.5 or 1.0)
    if not wrong_cells.isnan().all():
        ax.imshow(wrong_cells.numpy(), cmap="Oranges", vmin=0, vmax=float(wrong_cells.nan_to_num(0).max()) * 1.6)
    for i in range(n):
        for j in range(n):
            value = int(counts[i, j])
            if value or i == j:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=9,
                        fontweight="bold" if i != j else "normal", color="black")  # fmt: skip
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.grid(False)
    right = int(counts.diag().sum())
    ax.set_title(f"confusion matrix, {title}: {right}/{int(counts.sum())} right", fontsize=10)
    return fig


def _show(c: str) -> str:
    return {"\n": "\u23ce", " ": "\u2423"}.get(c, c)  # newline and space as visible symbols


def _next_char_axes(ax, sample: Sample, top: int) -> list[int]:
    """Grey hatched bars (temperature 1), ticks, labels and limits: what a temperature does not change.

    Returns the ``top`` likeliest characters at temperature 1 (their indices), in bar order."""
    order = torch.argsort(sample.probs_t1, descending=True, stable=True)[:top].tolist()
    xs = range(len(order))
    ax.bar([x - 0.2 for x in xs], [float(sample.probs_t1[i]) for i in order], width=0.4,
           label="temperature 1 (the model's own probabilities)", **bar_style(1, "0.7"))  # fmt: skip
    ax.set_xticks(list(xs))
    ax.set_xticklabels([_show(sample.chars[i]) for i in order], fontsize=11, family="monospace")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"next character (the {len(order)} likeliest; \u2423 = space, \u23ce = new line)")
    ax.set_ylabel("probability")
    return order


def _rest_note(sample: Sample, order: list[int]) -> str:
    rest = 1.0 - float(sample.probs[order].sum())
    return f"the other {len(sample.chars) - len(order)} characters together: {rest:.1%}"


def _next_char_title(sample: Sample) -> str:
    return f"what comes after {sample.prompt!r}? (seed {sample.seed} picks one draw from the blue bars)"


_NEXT_CHAR_SIZE, _NEXT_CHAR_MARGINS = (8, 3.0), dict(left=0.09, right=0.98, bottom=0.16, top=0.86)


def plot_next_char(sample: Sample, top: int = 12) -> Figure:
    """The model's probabilities for the next character after the prompt: at temperature 1 (grey) and
    at the chosen temperature (blue), for the ``top`` likeliest characters."""
    fig, ax = subplots(figsize=_NEXT_CHAR_SIZE, adjust=_NEXT_CHAR_MARGINS)
    order = _next_char_axes(ax, sample, top)
    ax.bar([x + 0.2 for x in range(len(order))], [float(sample.probs[i]) for i in order], width=0.4,
           color=PALETTE[0], label=f"temperature {sample.temperature:g} (what is sampled from)")  # fmt: skip
    ax.text(0.99, 0.62, _rest_note(sample, order), transform=ax.transAxes, ha="right", fontsize=8, color="0.3")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(_next_char_title(sample), fontsize=10)
    return fig


class NextCharPicture(BlitFigure):
    """The temperature demo's picture, as :func:`plot_next_char` draws it: the axes, the characters and
    the grey bars (temperature 1) are the same for every setting and drawn once; only the blue bars,
    the note and the title are redrawn. ``reference``: a sample of the demo's model and prompt."""

    def __init__(self, reference: Sample, top: int = 12) -> None:
        self.reference, self.top = reference, top
        super().__init__(figsize=_NEXT_CHAR_SIZE)

    def build(self, fig: Figure) -> None:
        fig.subplots_adjust(**_NEXT_CHAR_MARGINS)
        self.ax = ax = fig.add_subplot()
        self.order = _next_char_axes(ax, self.reference, self.top)
        bars = ax.bar([x + 0.2 for x in range(len(self.order))], [0.0] * len(self.order), width=0.4,
                      color=PALETTE[0], label="the chosen temperature (what is sampled from)")  # fmt: skip
        self.bars = [self.animated(bar) for bar in bars]
        ax.legend(loc="upper right", fontsize=8)  # static: the temperature itself is in the readout
        self.note = self.animated(ax.text(0.99, 0.62, "", transform=ax.transAxes, ha="right", fontsize=8, color="0.3"))
        self.title = self.animated(ax.set_title(" ", fontsize=10))

    def update(self, sample: Sample) -> None:
        if sample.prompt != self.reference.prompt or not torch.equal(sample.probs_t1, self.reference.probs_t1):
            raise ValueError("sample comes from another model or prompt than the picture's reference sample; "
                             "make the picture with a sample of the demo's own model and prompt.")  # fmt: skip
        for bar, i in zip(self.bars, self.order):
            bar.set_height(float(sample.probs[i]))
        self.note.set_text(_rest_note(sample, self.order))
        self.title.set_text(_next_char_title(sample))
