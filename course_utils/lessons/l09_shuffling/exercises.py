"""Exercises for notebook 09, shuffling."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, TensorDataset

from ...exercises import ChoiceExercise, CodeExercise, Feedback

__all__ = ["q1", "q2", "q3", "reference_loader"]

q1 = ChoiceExercise(
    name="09.q1 what the unshuffled model predicts",
    options={
        "a": "each class about equally often, like the shuffled model",
        "b": "mostly the classes it saw last in the epoch",
        "c": "mostly class 0, the first one it saw",
        "d": "random classes: it learned nothing",
    },
    correct="b",
    explanations={
        "a": "the shuffled model does that. The unshuffled one spent its last steps seeing only class 3.",
        "b": "every update of the last quarter of an epoch said 'the answer is class 3', so the model ends "
        "leaning towards the last classes: recency, not the whole data set, shaped its final weights.",
        "c": "class 0 came first, and three quarters of an epoch of other classes pushed it away since.",
        "d": "it did learn -- but every update pulled it towards the class of the current block.",
    },
    hints=["Which batches did the model see just before training stopped? What did all of them say?"],
    solution_text=(
        "b) The last batches of every epoch hold only class 3 (and before them class 2), so the last updates "
        "all push the model towards those classes. Run prediction_shares(...) on both runs to see it."
    ),
)

q2 = ChoiceExercise(
    name="09.q2 shuffling with full-batch training",
    options={
        "a": "the same result, up to rounding in the last digits",
        "b": "shuffling still wins clearly",
        "c": "no shuffling wins clearly",
        "d": "PyTorch refuses to shuffle a single batch",
    },
    correct="a",
    explanations={
        "a": "one batch holds every example, so every update sees the whole data set whatever the order; the "
        "mean loss is a sum, and a sum does not care about order (except for floating-point rounding).",
        "b": "with one batch per epoch, the order inside the batch does not change which examples it holds.",
        "c": "both runs see exactly the same examples in every update.",
        "d": "it shuffles fine -- it just has no effect on which examples share the batch.",
    },
    hints=["With batch_size equal to the whole training set, which examples are in each batch, shuffled or not?"],
    solution_text=(
        "a) Full batch: every update uses all examples, so the order cannot matter, and both runs give the "
        "same numbers (up to floating-point rounding, since the sum is taken in a different order). The order "
        "problem only exists because mini-batches are *samples* of the data -- and with sorted data, very "
        "unrepresentative ones."
    ),
)


def reference_loader(dataset: TensorDataset, batch_size: int, seed: int) -> DataLoader:
    """The answer to q3: a new random order every epoch, the same sequence of orders for the same seed."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def _epoch_orders(loader: DataLoader, epochs: int = 2) -> list[list[int]]:
    return [torch.cat([xb[:, 0] for xb, _ in loader]).long().tolist() for _ in range(epochs)]


def _test_loader(make: Callable) -> Feedback:
    """Build loaders with the learner's function and check: batches, shuffled, reshuffled, reproducible.

    PyTorch's global random numbers are put back as they were afterwards: checking has no side effects.
    """
    state = torch.get_rng_state()
    try:
        return _check_loader(make)
    finally:
        torch.set_rng_state(state)


def _check_loader(make: Callable) -> Feedback:
    n = 40
    rows = TensorDataset(torch.arange(n).float()[:, None], torch.arange(n) % 4)
    loader = make(rows, 8, 0)
    if not isinstance(loader, DataLoader):
        return Feedback(False, f"your function returned {type(loader).__name__}; it should return a DataLoader.")
    sizes = [len(xb) for xb, _ in loader]
    if sizes != [8] * 5:
        return Feedback(False, f"40 examples in batches of 8 should give 5 batches of 8, but the loader gave {sizes}.")
    first, second = _epoch_orders(make(rows, 8, 0))  # a fresh loader: its first two epochs
    if sorted(first) != list(range(n)):
        return Feedback(False, "one epoch should hand out every example exactly once.")
    if first == list(range(n)):
        return Feedback(False, "the examples come out in their stored order: pass shuffle=True.")
    if first == second:
        return Feedback(False, "both epochs used the same order. A DataLoader with shuffle=True draws a new order "
                               "every epoch -- did you shuffle once, by hand, before building it?")  # fmt: skip
    torch.manual_seed(12345)  # disturb the global generator between the two builds
    if _epoch_orders(make(rows, 8, 0)) != [first, second]:
        return Feedback(False, "two loaders built with the same seed gave different orders: the order came from "
                               "PyTorch's global random numbers. Give the DataLoader a generator of its own: "
                               "generator=torch.Generator().manual_seed(seed).")  # fmt: skip
    if _epoch_orders(make(rows, 8, 1)) == [first, second]:
        return Feedback(False, "seed 0 and seed 1 gave the same orders: use the seed argument for the generator.")
    return Feedback(True, "a new order every epoch, the same orders for the same seed, other orders for another seed.")


q3 = CodeExercise(
    name="09.q3 a reproducible shuffling loader",
    test=_test_loader,
    hints=[
        "DataLoader(dataset, batch_size=..., shuffle=True, generator=...) -- what should the generator be?",
        "generator=torch.Generator().manual_seed(seed): a random number generator of the loader's own.",
    ],
    solution_text=(
        "def make_shuffled_loader(dataset, batch_size, seed):\n"
        "    generator = torch.Generator().manual_seed(seed)   # the loader's own random numbers\n"
        "    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)"
    ),
)
