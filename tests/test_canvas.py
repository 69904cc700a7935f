"""Redrawing into a demo's kept figure must give the same picture as drawing a new figure.

Every interactive demo's plot function is drawn for a sequence of settings (including a diverged
run or an edge setting, so conditional parts appear and disappear): once on a fresh figure each
time, once into one reused figure. The PNG bytes must be equal at every step.
"""

from __future__ import annotations

from functools import cache, partial

import matplotlib.pyplot as plt
import pytest

from course_utils.canvas import reuse_figure, subplots
from course_utils.plots import figure_to_png, plot_history, use_course_style


@cache
def _cases() -> dict:
    from course_utils.data import epoch_plan, make_next_char_data, zen_of_python
    from course_utils.experiments.accumulation import accumulation_demo
    from course_utils.experiments.batch_size import batch_size_demo
    from course_utils.experiments.batches import compare_batch_sizes
    from course_utils.experiments.capstone import sample_text
    from course_utils.experiments.convergence import noisy_loss_run, plateau_on_run, spread_at_epoch
    from course_utils.experiments.forward_loss import LineExplorer
    from course_utils.experiments.gradients import descend_1d, zero_grad_comparison
    from course_utils.experiments.learning_rate import descent_path, train_at_lr
    from course_utils.experiments.shuffling import run_shuffling
    from course_utils.experiments.training_loop import StepThrough, syllabus_example
    from course_utils.experiments.validation import fit_moons
    from course_utils.figures.accumulation import plot_accumulation_runs
    from course_utils.figures.batch_size import plot_batch_demo
    from course_utils.figures.batches import plot_batch_comparison, plot_epoch_plan
    from course_utils.figures.capstone import plot_next_char
    from course_utils.figures.convergence import plot_batch_loss_spread, plot_four_views, plot_plateau
    from course_utils.figures.forward_loss import plot_line_explorer
    from course_utils.figures.gradients import plot_descent_1d, plot_zero_grad
    from course_utils.figures.learning_rate import plot_descent_path, plot_lr_run
    from course_utils.figures.shuffling import plot_shuffle_run
    from course_utils.figures.validation import plot_fit
    from course_utils.models import make_char_model
    from course_utils.plots import plot_step_through

    explorer = LineExplorer(n_samples=40, seed=0)
    noisy = noisy_loss_run(batch_size=32, lr=0.3, epochs=6, eval_every=5)
    text = zen_of_python()
    _, vocab = make_next_char_data(text, context=8)
    char_model = make_char_model(len(vocab), context=8, embed=16, hidden=32, seed=0)
    steps = [StepThrough(lr=0.1, batch_size=8, seed=0) for _ in range(3)]
    steps[1].run("forward")
    for phase in ("forward", "loss", "backward", "step"):
        steps[2].run(phase)
    return {
        "01 training loop": (plot_history, lambda: [syllabus_example(32, 1e-3, 3), syllabus_example(8, 10.0, 2)]),
        "01 step through": (plot_step_through, lambda: steps),
        "02 line explorer": (plot_line_explorer, lambda: [explorer(w=-1.0, b=2.0), explorer(w=5.9, b=-5.0)]),
        "03 descent": (plot_descent_1d, lambda: [descend_1d(lr=0.1), descend_1d(lr=10.0, w_start=8.0, steps=20)]),
        "03 zero_grad": (plot_zero_grad, lambda: [zero_grad_comparison(0.05, 5), zero_grad_comparison(10.0, 5)]),
        "04 calculator": (plot_epoch_plan, lambda: [epoch_plan(1000, 100, 5), epoch_plan(1000, 32, 5, True),
                                                     epoch_plan(5, 2, 0)]),  # fmt: skip
        "04 comparison": (plot_batch_comparison, lambda: [compare_batch_sizes(32, 2), compare_batch_sizes(4, 1)]),
        "05 batch size": (plot_batch_demo, lambda: [batch_size_demo(32, 0.1, 2), batch_size_demo(256, 10.0, 2, True)]),
        "06 four views": (
            lambda r: plot_four_views(r, smooth=0.9, floor=0.325, zoom_epochs=None),
            lambda: [noisy, noisy_loss_run(batch_size=512, lr=0.3, epochs=2, eval_every=5)],
        ),
        "06 spread": (
            partial(plot_batch_loss_spread, xlim=(0.0, 1.2)),
            lambda: [spread_at_epoch(noisy, epoch=6, batch_size=32, n_batches=200),
                     spread_at_epoch(noisy, epoch=0, batch_size=1, n_batches=200)],
        ),  # fmt: skip
        "06 plateau": (
            partial(plot_plateau, floor=0.325, train_label="training loss"),
            lambda: [plateau_on_run(patience=p, min_delta=d, val_loss=noisy.history.epoch_val_loss,
                                    train_loss=noisy.probe_loss[: len(noisy.history.epoch_val_loss)])
                     for p, d in ((5, 0.0), (1, 0.02))],
        ),  # fmt: skip
        "07 learning rate": (plot_lr_run, lambda: [train_at_lr(0.1), train_at_lr(10.0, optimizer="adam")]),
        "07 loss map": (plot_descent_path, lambda: [descent_path(0.1), descent_path(3.0, offset=0.0, steps=5)]),
        "08 fit": (
            plot_fit,
            lambda: [fit_moons(width=64, depth=2, n_train=100, epochs=20, label_noise=0.1),
                     fit_moons(width=1, depth=0, n_train=25, epochs=10, label_noise=0.4)],
        ),  # fmt: skip
        "09 shuffling (colorbar)": (
            plot_shuffle_run,
            lambda: [run_shuffling(False, epochs=2), run_shuffling(True, optimizer="sgd", lr=10.0, epochs=1,
                                                                   batch_size=800)],
        ),  # fmt: skip
        "10 accumulation": (plot_accumulation_runs, lambda: [accumulation_demo(16, 4), accumulation_demo(2, 1)]),
        "11 temperature": (
            plot_next_char,
            lambda: [sample_text(t, s, model=char_model, vocab=vocab, n_chars=40) for t, s in ((0.8, 0), (2.0, 3))],
        ),
    }


NAMES = ["01 training loop", "01 step through", "02 line explorer", "03 descent", "03 zero_grad", "04 calculator",
         "04 comparison", "05 batch size", "06 four views", "06 spread", "06 plateau", "07 learning rate",
         "07 loss map", "08 fit", "09 shuffling (colorbar)", "10 accumulation", "11 temperature"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_redrawing_into_the_kept_figure_gives_the_same_picture(name):
    use_course_style()
    draw, make_results = _cases()[name]
    results = make_results()
    sequence = [results[0], *results[1:], results[0]]  # there and back: leftovers would show on the way back
    kept = None
    reused_at_least_once = False
    for step, result in enumerate(sequence):
        fresh = draw(result)
        expected = figure_to_png(fresh)
        plt.close(fresh)
        with reuse_figure(kept) as slot:
            fig = draw(result)
        assert fig is slot.figure, "the plot did not draw through course_utils.canvas.subplots"
        reused_at_least_once |= fig is kept
        kept = fig
        assert figure_to_png(fig) == expected, f"{name}: redraw {step} into the kept figure differs from a new figure"
    assert reused_at_least_once, f"{name}: the kept figure was never drawn into again"
    assert plt.get_fignums() == [], "a reusable figure must not be registered with pyplot (Jupyter would show it)"


def test_a_figure_of_another_layout_is_replaced():
    with reuse_figure(None) as slot:
        one, _ = subplots(1, 2, figsize=(6, 3))
    with reuse_figure(slot.figure) as slot2:
        other, _ = subplots(2, 2, figsize=(6, 3))
    assert other is not one and slot2.figure is other and len(other.axes) == 4


def test_only_the_first_figure_in_a_block_is_reused_and_errors_drop_the_figure():
    with reuse_figure(None) as slot:
        first, _ = subplots(figsize=(4, 3))
        second, _ = subplots(figsize=(4, 3))
    assert slot.figure is first and second is not first
    plt.close(second)
    with pytest.raises(RuntimeError), reuse_figure(first) as failed:
        subplots(figsize=(4, 3))
        raise RuntimeError("the plot function failed half way")
    assert failed.figure is None


def test_outside_a_reuse_block_subplots_is_plain_pyplot():
    fig, ax = subplots(figsize=(4, 3), adjust=dict(left=0.2))
    assert plt.fignum_exists(fig.number) and fig.subplotpars.left == pytest.approx(0.2)
    plt.close(fig)
