"""Exercises for notebook 11, putting it together."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ...exercises import ChoiceExercise, CodeExercise, Feedback, NumberExercise

__all__ = ["q1", "q2", "q3", "q4", "reference_temperature"]

q1 = NumberExercise(
    name="11.q1 which epoch is in the checkpoint",
    answer=14,
    mistakes={
        19: "epoch 19 is where training *stopped*. Early stopping waits `patience` epochs without improvement "
        "before it gives up, so the best epoch lies further back.",
        24: "the best epoch comes *before* the stop, never after it: training cannot know the future.",
        5: "5 is the patience (how many bad epochs in a row are tolerated), not an epoch number.",
        13: "count again: the epochs without improvement are 15, 16, 17, 18 and 19 -- five of them. "
        "They come right after the best one.",
        15: "the bad epochs are the five *after* the best one: 15, 16, 17, 18, 19. Epoch 15 is the first bad one.",
    },
    hints=[
        "Patience 5 means: stop after 5 epochs in a row in which the validation loss did not improve.",
        "Count back five epochs from 19 (19, 18, 17, 16, 15 were the bad ones). The one before those is the best.",
    ],
    solution_text=(
        "Training stopped after epoch 19 because epochs 15, 16, 17, 18 and 19 -- five in a row, the patience -- "
        "brought no better validation loss. So the best validation loss was at epoch 19 - 5 = 14, and\n"
        "BestCheckpoint last wrote best.pt at epoch 14 (it writes only when the validation loss improves).\n"
        "Check it on this notebook's digits run: history.epochs - history.best_epoch == 5, and the metadata\n"
        "that load_checkpoint returned says the same epoch as history.best_epoch."
    ),
    explanation="the last improvement was at epoch 14; epochs 15-19 are the five epochs of patience.",
)


def reference_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Logits -> sampling probabilities at ``temperature`` (the reference for q2)."""
    return torch.softmax(logits / temperature, dim=-1)


def _test_temperature(fn: Callable) -> Feedback:
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(30, generator=g) * 2.0
    for temperature in (1.0, 0.5, 2.0, 0.8):
        got = fn(logits.clone(), temperature)
        if not isinstance(got, torch.Tensor):
            return Feedback(False, f"return a tensor of probabilities, not a {type(got).__name__}.")
        got = got.detach().float()
        want = reference_temperature(logits, temperature)
        if got.shape != want.shape:
            return Feedback(False, f"the result has shape {tuple(got.shape)}; it should have one probability per "
                                   f"character, shape {tuple(want.shape)}.")  # fmt: skip
        if torch.allclose(got, want, atol=1e-5):
            continue
        if torch.allclose(got, torch.softmax(logits * temperature, dim=-1), atol=1e-5):
            return Feedback(False, "you *multiplied* the logits by the temperature. Divide them: a temperature below "
                                   "1 must make the distribution sharper, above 1 flatter.")  # fmt: skip
        if torch.allclose(got, logits / temperature, atol=1e-5):
            return Feedback(False, "those are scaled logits, not probabilities (they do not add up to 1). Finish with "
                                   "a softmax.")  # fmt: skip
        if torch.allclose(got, torch.softmax(logits, dim=-1), atol=1e-5):
            return Feedback(False, f"at temperature {temperature:g} your probabilities are the temperature-1 "
                                   "ones: the temperature has no effect. Divide the logits by it *before* the "
                                   "softmax.")  # fmt: skip
        if torch.allclose(got, torch.softmax(logits, dim=-1) / temperature, atol=1e-5):
            return Feedback(False, "dividing the probabilities (after the softmax) breaks them: they no longer add up "
                                   "to 1. Divide the logits, then apply the softmax.")  # fmt: skip
        total = float(got.sum())
        if abs(total - 1) > 1e-4:
            return Feedback(False, f"your probabilities add up to {total:.4f}, not 1. Use torch.softmax.")
        return Feedback(False, f"at temperature {temperature:g} your probabilities differ from the expected ones by "
                               f"up to {float((got - want).abs().max()):.4f}.")  # fmt: skip
    return Feedback(True, "softmax(logits / temperature): below 1 the likeliest characters get likelier, above 1 "
                          "the distribution flattens towards uniform.")  # fmt: skip


q2 = CodeExercise(
    name="11.q2 sampling temperature",
    test=_test_temperature,
    hints=[
        "The temperature acts on the logits (the raw scores), before they are turned into probabilities.",
        "Divide the logits by the temperature, then apply torch.softmax(..., dim=-1).",
    ],
    solution_text=(
        "def apply_temperature(logits, temperature):\n"
        "    return torch.softmax(logits / temperature, dim=-1)\n\n"
        "Dividing by T < 1 stretches the differences between the scores, so after the softmax the top\n"
        "character takes more of the probability; T > 1 shrinks the differences, flattening the\n"
        "distribution. T = 1 leaves the model's own probabilities."
    ),
)

q3 = ChoiceExercise(
    name="11.q3 power cut during a save",
    options={
        "a": "best.pt still holds the epoch-9 weights, complete and loadable.",
        "b": "best.pt is half written and cannot be loaded.",
        "c": "best.pt is gone: the save deleted it before writing the new one.",
        "d": "best.pt holds the epoch-12 weights.",
    },
    correct="a",
    explanations={
        "a": "save_checkpoint writes the new weights to a temporary file next to best.pt, forces it onto the disk "
        "(fsync), and only then renames it over best.pt. The power went out before the rename, so best.pt was "
        "never touched. (A leftover .best.pt.*.tmp file may be lying next to it; it is safe to delete.)",
        "b": "that is what happens when you write *directly* into best.pt -- which is exactly what save_checkpoint "
        "avoids: the half-written bytes went into a temporary file.",
        "c": "os.replace never deletes first: it swaps the name over in one atomic operation, old file or new file, "
        "never neither.",
        "d": "the epoch-12 file was never completed, so it was never renamed into place.",
    },
    hints=["Where does save_checkpoint write the bytes while the save is running? When does best.pt change?"],
    solution_text=(
        "a) The epoch-9 checkpoint is intact. The new bytes go to a temporary file in the same folder; only "
        "after\nflush + fsync does os.replace rename it to best.pt, and a rename within a folder is atomic. A crash "
        "at\nany moment before that leaves the old file untouched (tests/test_checkpoint.py simulates it)."
    ),
)

q4 = ChoiceExercise(
    name="11.q4 temperature zero",
    options={
        "a": "The same text for every seed, and it soon goes round in a loop, repeating itself.",
        "b": "A different text for every seed, all of them lines of the Zen.",
        "c": "Gibberish: random characters.",
        "d": "An error: you cannot divide by zero.",
    },
    correct="a",
    explanations={
        "a": "at temperature 0 generate() always takes the likeliest next character: no randomness, so the seed "
        "does not matter. With only 8 characters of memory, it walks into a context it has already seen and "
        "from there repeats the same lines forever.",
        "b": "the seed only matters when something is drawn at random. At temperature 0 nothing is: the likeliest "
        "character is taken every time.",
        "c": "gibberish comes from *high* temperatures, which flatten the distribution until unlikely characters "
        "get picked. Temperature 0 does the opposite.",
        "d": "generate() treats temperature 0 as its limit -- always pick the likeliest character (argmax) -- "
        "instead of dividing by zero.",
    },
    hints=["As the temperature goes to 0, what happens to the probability of the likeliest character?"],
    solution_text=(
        "a) Temperature 0 is greedy decoding: every step takes the single likeliest character, so the output\n"
        "is fully determined by the prompt (the seed plays no role), and a model that only sees the last 8\n"
        "characters falls into a loop as soon as a context repeats."
    ),
)
