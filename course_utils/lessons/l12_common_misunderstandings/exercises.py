"""The quiz of notebook 12: five common misunderstandings about the training loop.

Each question is a :class:`~course_utils.exercises.ChoiceExercise`, so it works both in the quiz
widget and as ``ch12.q1.check("c")`` in a code cell.
"""

from __future__ import annotations

from ...exercises import ChoiceExercise

__all__ = ["q1", "q2", "q3", "q4", "q5", "QUESTIONS"]

q1 = ChoiceExercise(
    name="12.q1 updates in an epoch",
    question="A data set holds 50,000 examples and the batch size is 100. How many times are the weights "
    "updated during <i>one</i> epoch?",
    options={"a": "once", "b": "100 times", "c": "500 times", "d": "50,000 times"},
    correct="c",
    explanations={
        "a": "an epoch is one pass over the data, but the optimizer steps after every batch: 50,000 / 100 = 500 "
        "batches, so 500 updates.",
        "b": "100 is the number of examples in each update, not the number of updates.",
        "c": "one update per batch, and 50,000 / 100 = 500 batches per epoch.",
        "d": "that would be batch size 1. With batches of 100, each update averages 100 examples.",
    },
    hints=["The optimizer steps once per batch. How many batches of 100 cover 50,000 examples?"],
    solution_text="c) 500: one update per batch, 50,000 / 100 = 500 batches in an epoch.",
)

q2 = ChoiceExercise(
    name="12.q2 what a batch is",
    question="A batch of 64 examples goes through the model. What does <code>loss.backward()</code> start from?",
    options={
        "a": "64 separate losses, with one backward pass each",
        "b": "one number: the mean of the 64 examples' losses",
        "c": "the loss of the first example of the batch",
        "d": "the sum of the losses of every batch so far in the epoch",
    },
    correct="b",
    explanations={
        "a": "the loss function reduces the 64 per-example losses to their mean (reduction='mean'), and a single "
        "backward pass differentiates that one number.",
        "b": "the 64 per-example losses are averaged into one scalar; its gradient is the average of the 64 "
        "per-example gradients (the notebook checks this to 1e-8).",
        "c": "every example of the batch counts equally: the loss is their mean.",
        "d": "each step's loss covers only its own batch; earlier batches have already had their update.",
    },
    hints=["Print loss.shape after loss_fn(model(x), y). How many numbers does it hold?"],
    solution_text="b) One scalar, the mean of the per-example losses; one backward pass computes its gradient.",
)

q3 = ChoiceExercise(
    name="12.q3 convergence",
    question="A straight line is fitted to noisy points. The training loss falls for 5 epochs, then stays at 0.28 "
    "for the next 35. What is the most likely explanation?",
    options={
        "a": "a bug: a model that has converged reaches zero loss",
        "b": "it has converged: what is left is the noise in the data, which no straight line can explain",
        "c": "the learning rate is far too small",
        "d": "the model needs more epochs; it will reach zero eventually",
    },
    correct="b",
    explanations={
        "a": "zero loss would mean a line through every noisy point, which does not exist. A flat loss well above "
        "zero is what convergence usually looks like.",
        "b": "the exact least-squares line scores 0.28 on these points too: no setting of w and b does better. "
        "Convergence means 'no longer improving', not 'zero'.",
        "c": "a rate that is too small makes the loss fall slowly, not stop dead at the best possible value.",
        "d": "35 flat epochs is the answer already: further epochs buy nothing (and in a flexible model they could "
        "start to overfit).",
    },
    hints=["Could any straight line pass through every one of the noisy points?"],
    solution_text="b) The loss has reached the noise floor: the best line still misses noisy points.",
)

q4 = ChoiceExercise(
    name="12.q4 more epochs",
    question="The validation loss was lowest at epoch 12. You trained on to epoch 100; the training loss is still "
    "falling and the validation loss has risen since epoch 12. Which weights should you keep?",
    options={
        "a": "epoch 100: it has the lowest training loss",
        "b": "epoch 12: it has the lowest validation loss",
        "c": "it makes no difference",
        "d": "train to epoch 200 and take those",
    },
    correct="b",
    explanations={
        "a": "a falling training loss with a rising validation loss is overfitting: after epoch 12 the model "
        "learned its training examples' noise, not the pattern.",
        "b": "validation loss measures what we care about (new data). Keep the best checkpoint -- early stopping "
        "with restored weights does exactly that.",
        "c": "the validation loss says it does: the later weights do worse on examples the model has not seen.",
        "d": "more epochs make overfitting worse, not better.",
    },
    hints=["Which of the two losses tells you about examples the model has never seen?"],
    solution_text="b) Keep the weights of the best validation epoch (epoch 12): later ones overfit.",
)

q5 = ChoiceExercise(
    name="12.q5 batch size",
    question="You change the batch size from 32 to 512 and keep the learning rate and the number of epochs. "
    "What changes?",
    options={
        "a": "only the speed: the same examples are seen, so the result is the same",
        "b": "the speed, and also the result: 16 times fewer updates, each with a less noisy gradient",
        "c": "nothing at all",
        "d": "only the memory needed",
    },
    correct="b",
    explanations={
        "a": "the same examples, but in 16 times fewer steps: with the learning rate unchanged the model travels a "
        "much shorter distance, so it ends somewhere else (the notebook's run shows a higher loss).",
        "b": "batch size changes how many updates an epoch holds and how noisy each gradient is, so it changes "
        "optimization itself, not only the hardware's throughput.",
        "c": "the number of updates alone drops from 32 to 2 per 1,000 examples.",
        "d": "memory does grow with the batch, but the number and noisiness of the updates change too.",
    },
    hints=["How many updates does one epoch of 1,000 examples hold at batch 32? At batch 512?"],
    solution_text="b) Fewer, smoother updates: a different optimization path and usually a different result.",
)

QUESTIONS = (q1, q2, q3, q4, q5)
