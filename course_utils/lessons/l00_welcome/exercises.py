"""A practice exercise for notebook 00: how checking answers works."""

from __future__ import annotations

from ...data import epoch_plan
from ...exercises import NumberExercise

__all__ = ["practice"]

practice = NumberExercise(
    name="00.practice updates per epoch",
    answer=lambda: epoch_plan(1000, 100, 1).total_steps,
    mistakes={
        1: "one update per epoch would mean one giant batch. Here each batch of 100 gets its own update.",
        100: "100 is the batch size: the number of examples in *one* update, not the number of updates.",
        1000: "1,000 is the number of examples; they are processed 100 at a time.",
        100000: "multiply? No: divide the examples by the batch size.",
    },
    hints=["The optimizer updates the weights once per batch. How many batches of 100 make 1,000 examples?"],
    solution_text="1,000 examples / 100 per batch = 10 batches, so 10 updates per epoch.",
    explanation="10 batches of 100 examples, one update each. You have the hang of exercises.",
)
