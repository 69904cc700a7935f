"""Lesson 01: the training loop itself.

* :func:`plain_loop` is the five-line loop from any PyTorch tutorial, kept as the reference that
  :func:`course_utils.train` must match bit for bit.
* :func:`minimal_example` is the course's minimal classification example (random data, a
  10 -> 32 -> 2 MLP, Adam), trained through :func:`course_utils.train`.
* :class:`StepThrough` runs one phase of one training step at a time, for the step-through widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader

from ...callbacks import Callback
from ...checks import check_choice, check_float, check_int
from ...data import make_line, make_loader
from ...models import make_linear
from ...runs import Run, run_training

__all__ = ["plain_loop", "minimal_example", "StepThrough", "PHASES"]


def plain_loop(
    model: nn.Module, loader: DataLoader, loss_fn: nn.Module, optimizer: torch.optim.Optimizer, epochs: int
) -> list[float]:
    """The loop exactly as tutorials write it; returns the loss of every step."""
    losses = []
    for _ in range(epochs):
        for batch_x, batch_y in loader:
            loss = loss_fn(model(batch_x), batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def minimal_example(
    batch_size: int = 32, lr: float = 1e-3, epochs: int = 5, seed: int = 0, callbacks: Sequence[Callback] = ()
) -> Run:
    """1,000 examples of 10 random features with random labels (2 classes); a 10 -> 32 -> 2 MLP
    with ReLU; Adam. No validation split: this example is about the mechanics of the loop."""
    return run_training(
        data="random", n_samples=1000, val_fraction=None, hidden=(32,), optimizer="adam",
        lr=lr, batch_size=batch_size, epochs=epochs, seed=seed, callbacks=callbacks,
    )  # fmt: skip


PHASES = ("forward", "loss", "backward", "step")
"""The four phases of one training step, in the order they must happen."""

_NEEDS = {"loss": "forward", "backward": "loss", "step": "backward"}
_WHY = {
    "loss": "the loss compares predictions with targets, so there must be predictions first: run 'forward'.",
    "backward": "backward() differentiates the loss, so compute the loss first: run 'loss'.",
    "step": "the optimizer steps along the gradients, and there are none yet for this batch: run 'backward'.",
}


@dataclass
class StepThrough:
    """A linear model ``y = w*x + b`` trained one phase at a time on batches of points near a line.

    Call :meth:`run` with ``"forward"``, ``"loss"``, ``"backward"`` and ``"step"`` in that order;
    the next ``"forward"`` then starts on a new batch. Everything each phase produced is kept as attributes
    (``predictions``, ``loss``, ``grads``, ``weights_before``, ``weights_after``) for display.
    """

    lr: float = 0.1
    batch_size: int = 8
    seed: int = 0
    model: nn.Linear = field(init=False, repr=False)
    step: int = field(init=False, default=0)
    done: list[str] = field(init=False, default_factory=list)
    message: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.lr = check_float("lr", self.lr, minimum=0.0, strict_minimum=True)
        self.batch_size = check_int("batch_size", self.batch_size, minimum=1, maximum=64)
        self.data = make_line(n_samples=64, seed=self.seed)
        self.model = make_linear(1, 1, seed=self.seed)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.lr)
        self._batches = iter(())
        self._loader = make_loader(self.data, self.batch_size, shuffle=True, seed=self.seed)
        self._new_batch()
        self.message = f"Ready: a batch of {self.batch_size} points is loaded. Run 'forward'."

    def weights(self) -> dict[str, float]:
        """The current weight and bias as plain numbers."""
        return {"w": self.model.weight.item(), "b": self.model.bias.item()}

    def run(self, phase: str) -> str:
        """Run one phase on the current batch and return a sentence saying what it did.

        A phase run out of order does nothing and says which phase must come first.
        """
        check_choice("phase", phase, PHASES)
        if phase == "forward" and len(self.done) == len(PHASES):  # the last step is complete
            self._new_batch()
        needed = _NEEDS.get(phase)
        if phase in self.done:
            self.message = f"'{phase}' already ran for this batch; the next phase is '{self.next_phase}'."
            return self.message
        if needed is not None and needed not in self.done:
            self.message = f"Not yet: {_WHY[phase]}"
            return self.message
        getattr(self, f"_{phase}")()
        self.done.append(phase)
        if phase == "step":
            self.step += 1
        return self.message

    def describe(self) -> str:
        """A text panel: the batch with its predictions, the loss, the gradients, the weights."""
        lines = [f"step {self.step + (0 if len(self.done) == len(PHASES) else 1)}, phases done: "
                 f"{', '.join(self.done) or 'none'}; next: {self.next_phase}", ""]  # fmt: skip
        preds = self.predictions.detach()[:, 0] if self.predictions is not None else None
        lines.append("      x  target y  prediction")
        for j in range(len(self.xb)):
            p = f"{preds[j].item():+10.4f}" if preds is not None else "         -"
            lines.append(f"{self.xb[j, 0].item():+7.3f} {self.yb[j, 0].item():+9.3f}  {p}")
        lines.append("")
        lines.append(f"loss (mean squared error): {self.loss.item():.4f}" if self.loss is not None else "loss: -")
        if self.grads is not None:
            lines.append(f"gradients: weight.grad = {self.grads['w']:+.4f}   bias.grad = {self.grads['b']:+.4f}")
        else:
            lines.append("gradients: weight.grad = None   bias.grad = None")
        w = self.weights()
        if self.weights_before is not None:
            wb = self.weights_before
            lines.append(f"weights before the step: w = {wb['w']:+.4f}, b = {wb['b']:+.4f}")
            lines.append(f"weights after the step:  w = {w['w']:+.4f}, b = {w['b']:+.4f}")
        else:
            lines.append(f"weights: w = {w['w']:+.4f}, b = {w['b']:+.4f}")
        return "\n".join(lines)

    @property
    def next_phase(self) -> str:
        """The phase that comes next."""
        return PHASES[len(self.done)] if len(self.done) < len(PHASES) else "forward"

    # -- the four phases -------------------------------------------------------------------------

    def _forward(self) -> None:
        self.predictions = self.model(self.xb)
        self.message = f"forward: the model predicted {len(self.xb)} numbers with its current w and b."

    def _loss(self) -> None:
        self.loss = nn.functional.mse_loss(self.predictions, self.yb)
        self.message = f"loss: the mean squared error of those predictions is {self.loss.item():.4f}."

    def _backward(self) -> None:
        self.optimizer.zero_grad()
        self.loss.backward()
        self.grads = {"w": self.model.weight.grad.item(), "b": self.model.bias.grad.item()}
        self.message = (
            f"backward: dloss/dw = {self.grads['w']:+.4f}, dloss/db = {self.grads['b']:+.4f} "
            "(the step will go against these signs)."
        )

    def _step(self) -> None:
        self.weights_before = self.weights()
        self.optimizer.step()
        self.weights_after = self.weights()
        wb, wa = self.weights_before, self.weights_after
        self.message = (
            f"step {self.step + 1}: w {wb['w']:+.4f} -> {wa['w']:+.4f}, b {wb['b']:+.4f} -> {wa['b']:+.4f} "
            f"(each moved by -lr x grad, lr = {self.lr:g}). 'forward' starts the next batch."
        )

    def _new_batch(self) -> None:
        try:
            self.xb, self.yb = next(self._batches)
        except StopIteration:  # an epoch is over: start the next one
            self._batches = iter(self._loader)
            self.xb, self.yb = next(self._batches)
        self.done = []
        self.predictions = self.loss = self.grads = None
        self.weights_before = self.weights_after = None
