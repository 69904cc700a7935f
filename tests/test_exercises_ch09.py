"""Notebook 09's checkers: a right answer, a wrong one (with its targeted hint), and no answer."""

import torch
from torch.utils.data import DataLoader

from course_utils.lessons.l09_shuffling import ch09


def test_q1_what_the_unshuffled_model_predicts():
    assert ch09.q1.feedback(...).correct is None
    assert ch09.q1.feedback("b").correct is True
    fb = ch09.q1.feedback("c")
    assert fb.correct is False and "pushed it away" in fb.message


def test_q2_full_batch():
    assert ch09.q2.feedback(...).correct is None
    assert ch09.q2.feedback("a").correct is True
    assert "same examples" in ch09.q2.feedback("c").message


def test_q3_reproducible_loader():
    assert ch09.q3.feedback(ch09.reference_loader).correct is True

    def no_shuffle(ds, batch_size, seed):
        return DataLoader(ds, batch_size=batch_size)

    def no_generator(ds, batch_size, seed):
        return DataLoader(ds, batch_size=batch_size, shuffle=True)

    def shuffled_once(ds, batch_size, seed):
        order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed))
        return DataLoader(torch.utils.data.Subset(ds, order.tolist()), batch_size=batch_size)

    def ignores_seed(ds, batch_size, seed):
        return DataLoader(ds, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(7))

    def wrong_batch(ds, batch_size, seed):
        return DataLoader(ds, batch_size=batch_size * 2, shuffle=True, generator=torch.Generator().manual_seed(seed))

    def template(ds, batch_size, seed):
        raise NotImplementedError

    assert "shuffle=True" in ch09.q3.feedback(no_shuffle).message
    state = torch.get_rng_state()
    assert "generator=torch.Generator().manual_seed(seed)" in ch09.q3.feedback(no_generator).message
    assert torch.equal(state, torch.get_rng_state())  # the checker leaves the global random numbers alone
    assert "same order" in ch09.q3.feedback(shuffled_once).message
    assert "use the seed argument" in ch09.q3.feedback(ignores_seed).message
    assert "5 batches of 8" in ch09.q3.feedback(wrong_batch).message
    assert "should return a DataLoader" in ch09.q3.feedback(lambda ds, b, s: list(ds)).message
    assert ch09.q3.feedback(template).correct is None
    assert ch09.q3.feedback(...).correct is None
