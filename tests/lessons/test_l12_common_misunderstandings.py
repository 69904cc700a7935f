"""Lesson 12: each tiny run really refutes its misunderstanding; the quiz widget wires the checkers."""

import math

import pytest

from course_utils.lessons.l12_common_misunderstandings import ch12
from course_utils.lessons.l12_common_misunderstandings.experiments import (
    batch_anatomy,
    batch_size_effect,
    noise_floor,
    nudges,
    too_many_epochs,
    updates_in_one_epoch,
)
from course_utils.lessons.l12_common_misunderstandings.figures import plot_batch_size_effect
from course_utils.lessons.l12_common_misunderstandings.quiz_widget import quiz


def test_one_epoch_holds_many_updates_and_each_moves_the_weights():
    r = updates_in_one_epoch(1000, 32)
    assert r.updates == 32 and r.weights_changed == 32
    assert updates_in_one_epoch(200, 200).updates == 1


def test_a_batch_is_many_samples_and_its_loss_their_mean():
    r = batch_anatomy(16)
    assert r.x_shape == (16, 10) and r.y_shape == (16,) and len(r.per_example_loss) == 16
    assert math.isclose(sum(r.per_example_loss) / 16, r.batch_loss, rel_tol=1e-6)
    assert r.grad_difference < 1e-6


def test_converged_loss_sits_at_the_noise_floor_not_zero():
    r = noise_floor(noise=0.5)
    assert r.loss_after[-1] > 0.2  # nowhere near zero
    assert abs(r.loss_after[-1] - r.best_possible) < 1e-3  # but as good as any line can be
    assert abs(r.loss_after[-1] - r.loss_after[-3]) < 1e-3  # and no longer improving


def test_more_epochs_make_validation_worse_while_training_improves():
    r = too_many_epochs(epochs=150, n_train=100)
    assert r.best_epoch < 100
    assert r.final_val_loss > r.best_val_loss * 1.5
    assert r.final_train_loss < r.best_train_loss


def test_batch_size_changes_the_result_not_only_the_speed():
    r = batch_size_effect((8, 512), epochs=3)
    assert r.steps == [300, 6]
    assert r.final_train_loss[1] > r.final_train_loss[0] + 0.05


def test_runs_are_deterministic():
    assert noise_floor() == noise_floor()
    assert batch_anatomy(8) == batch_anatomy(8)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="batch_size=0 is out of range"):
        updates_in_one_epoch(100, 0)
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        too_many_epochs(epochs=2.5)


@pytest.mark.parametrize("question", ch12.QUESTIONS, ids=lambda q: q.name)
def test_every_quiz_question_has_the_text_the_quiz_shows(question):
    """(Right / wrong / no answer for each question: tests/exercise_cases.py.)"""
    assert question.question


def test_quiz_widget_checks_answers_and_keeps_score():
    box = quiz(ch12.QUESTIONS[:2], title="T")
    score, first = box.children[0], box.children[1]
    _, choices, button, feedback = first.children
    button.click()
    assert "Pick an option first" in feedback.value and "0 answered" in score.value
    choices.value = ch12.q1.correct
    button.click()
    assert "Correct!" in feedback.value and "1 of 2 right" in score.value
    choices.value = "a"
    button.click()
    assert "Not quite." in feedback.value and "0 of 2 right" in score.value
    with pytest.raises(TypeError, match="ChoiceExercise"):
        quiz([])


def test_the_quiz_carries_a_static_copy_with_the_options_but_not_the_explanations():
    bundle = quiz(ch12.QUESTIONS, title="Five beliefs")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle, "the live widget must still be displayed"
    page = bundle["text/html"]
    assert "Five beliefs" in page and page.count("<li>a) ") == len(ch12.QUESTIONS)
    for q in ch12.QUESTIONS:
        assert all(why not in page for why in q.explanations.values() if len(why) > 20)


# ----------------------------------------------------------------------------- the prose's claims, number by number


def test_claims_of_section_4_converged_is_not_zero():
    r = noise_floor(noise=0.5)
    five = r.epochs.index(5)
    assert all(abs(v - r.best_possible) < 5e-4 for v in r.loss_after[five:])  # from 5 epochs on: the fourth decimal
    assert r.best_possible > r.noise_variance  # the gap between 0.28 and 0.25: this sample's noise


def test_claims_of_section_5_in_numbers():
    r = too_many_epochs(epochs=150, n_train=100)
    assert r.best_epoch == 31 and r.final_val_loss > 1.5 * r.best_val_loss  # "the validation loss rises" (+78%)
    assert r.final_train_loss < 0.5 * r.best_train_loss  # "the training loss keeps falling"
    acc = r.history.epoch_val_acc
    assert acc[r.best_epoch - 1] > acc[-1] + 0.03  # "worse": 85.0% at the best epoch, 80.3% at the end


def test_claims_of_section_6_in_numbers():
    r = batch_size_effect((8, 64, 512), epochs=5, lr=0.05)
    assert r.steps == [500, 65, 10]
    assert r.final_train_loss == sorted(r.final_train_loss) and r.final_val_loss == sorted(r.final_val_loss)
    assert round(r.final_train_loss[2], 4) == 0.4718 and round(r.final_train_loss[0], 4) == 0.2557
    fig = plot_batch_size_effect(r)  # the figure ends at the numbers the text quotes
    last = [line.get_ydata()[-1] for line in fig.axes[0].get_lines()[::2]]
    assert last == pytest.approx(r.final_train_loss)


def test_claims_of_section_7_many_nudges():
    nd = nudges(batch_size=8, lr=0.05, epochs=5)
    assert len(nd.w) == 126  # the start and 125 steps
    far = abs(nd.w[0] - nd.target_w) + abs(nd.b[0] - nd.target_b)
    assert abs(nd.w[1] - nd.target_w) + abs(nd.b[1] - nd.target_b) > 0.5 * far  # no single step gets there
    late = [abs(w - nd.target_w) + abs(b - nd.target_b) for w, b in zip(nd.w[40:], nd.b[40:])]
    assert max(late) < 0.1 * far and min(late) < max(late) / 2  # together they arrive, then jitter around it


def test_the_batch_size_demo_picture_covers_every_setting_of_its_sliders():
    from course_utils.lessons.l12_common_misunderstandings.figures import DEMO_LOSS_LIMITS, history_picture
    from course_utils.runs import run_training
    from course_utils.widgets import batch_size_slider, epochs_slider

    fixed = dict(data="moons", optimizer="sgd", hidden=(32,))
    picture = history_picture()
    smallest, most_epochs = min(batch_size_slider().options), epochs_slider(5, max=20).max
    assert picture.max_steps == run_training(**fixed, batch_size=smallest, epochs=1).history.steps * most_epochs
    assert picture.max_epochs == most_epochs and picture.right.get_ylim() == DEMO_LOSS_LIMITS
    picture(run_training(**fixed, batch_size=256, lr=0.05, epochs=5))  # the demo's start: inside the axes
    assert not any(text.get_visible() for text in picture.clip_texts)
    diverged = run_training(**fixed, batch_size=512, lr=10.0, epochs=20)
    picture(diverged)
    assert diverged.history.diverged and all(text.get_visible() for text in (*picture.clip_texts, *picture.stop_texts))
