"""Data sets are seeded and well-formed; the fast loader gives exactly DataLoader's batches."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_utils import data as D


@pytest.mark.parametrize("batch_size", [1, 7, 32, 256, 1000])
@pytest.mark.parametrize("shuffle", [True, False])
def test_fast_loader_yields_exactly_the_batches_of_a_default_dataloader(batch_size, shuffle):
    ds = D.make_random_labels(1000, seed=1)
    ours = D.make_loader(ds, batch_size, shuffle=shuffle, seed=11)
    theirs = DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(11))
    for _ in range(3):  # three epochs: each gets a fresh order, the same in both
        a, b = list(ours), list(theirs)
        assert len(a) == len(b)
        for (xa, ya), (xb, yb) in zip(a, b, strict=True):
            assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_shuffling_changes_the_order_every_epoch_but_not_between_runs():
    ds = TensorDataset(torch.arange(20.0).reshape(20, 1), torch.arange(20))
    first = [torch.cat([y for _, y in D.make_loader(ds, 5, seed=3)]) for _ in range(1)]
    loader = D.make_loader(ds, 5, seed=3)
    epoch1, epoch2 = torch.cat([y for _, y in loader]), torch.cat([y for _, y in loader])
    assert not torch.equal(epoch1, epoch2)
    assert torch.equal(epoch1, first[0])
    assert sorted(epoch1.tolist()) == list(range(20))


def test_drop_last_skips_the_short_batch():
    ds = D.make_random_labels(1000)
    sizes = [len(y) for _, y in D.make_loader(ds, 32, drop_last=True)]
    assert len(sizes) == 31 and set(sizes) == {32}
    sizes = [len(y) for _, y in D.make_loader(ds, 32)]
    assert len(sizes) == 32 and sizes[-1] == 8


@pytest.mark.parametrize(
    ("maker", "x_shape", "y_dtype", "n_classes"),
    [
        (lambda s: D.make_line(50, seed=s), (50, 1), torch.float32, None),
        (lambda s: D.make_wave(60, seed=s), (60, 1), torch.float32, None),
        (lambda s: D.make_regression(70, 5, seed=s), (70, 5), torch.float32, None),
        (lambda s: D.make_moons(80, seed=s), (80, 2), torch.int64, 2),
        (lambda s: D.make_blobs(90, 3, 4, seed=s), (90, 4), torch.int64, 3),
        (lambda s: D.make_random_labels(100, 10, 2, seed=s), (100, 10), torch.int64, 2),
    ],
)
def test_synthetic_data_is_seeded_and_well_formed(maker, x_shape, y_dtype, n_classes):
    a, b, c = maker(0), maker(0), maker(1)
    assert a.tensors[0].shape == x_shape and a.tensors[1].dtype == y_dtype
    assert all(torch.equal(p, q) for p, q in zip(a.tensors, b.tensors))
    assert not torch.equal(a.tensors[0], c.tensors[0])
    if n_classes:
        assert set(a.tensors[1].tolist()) == set(range(n_classes))
    else:
        assert a.tensors[1].shape == (x_shape[0], 1)


def test_label_noise_flips_about_that_share_of_labels():
    clean, noisy = D.make_moons(2000, label_noise=0.0, seed=0), D.make_moons(2000, label_noise=0.25, seed=0)
    flipped = (clean.tensors[1] != noisy.tensors[1]).float().mean().item()
    assert 0.2 < flipped < 0.3


def test_split_and_sort():
    ds = D.make_blobs(100, seed=0)
    train, val = D.split_train_val(ds, 0.2, seed=0)
    assert len(train) == 80 and len(val) == 20
    rows = {tuple(r.tolist()) for r in torch.cat([train.tensors[0], val.tensors[0]])}
    assert len(rows) == 100  # nothing lost, nothing duplicated
    y = D.sort_by_class(train).tensors[1]
    assert torch.equal(y, torch.sort(y).values)
    with pytest.raises(ValueError, match="val_fraction"):
        D.split_train_val(D.make_blobs(2), 0.1)


def test_next_character_data_from_the_zen_of_python():
    text = D.zen_of_python()
    assert text.startswith("The Zen of Python") and "Beautiful is better than ugly." in text
    ds, vocab = D.make_next_char_data(text, context=8)
    X, y = ds.tensors
    assert X.shape == (len(text) - 8, 8)
    assert vocab.decode(X[0]) == text[:8] and vocab.decode([y[0]]) == text[8]
    assert vocab.decode(vocab.encode("Beautiful")) == "Beautiful"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("ß")


def test_digits_split_is_the_real_dataset():
    train, val, test = D.load_digits_split(seed=0)
    assert len(train) + len(val) + len(test) == 1797
    assert train.tensors[0].shape[1] == 64 and 0.0 <= train.tensors[0].min() and train.tensors[0].max() <= 1.0
    assert set(train.tensors[1].tolist()) == set(range(10))


def test_epoch_plan_text_says_what_the_numbers_mean():
    text = str(D.epoch_plan(1000, 32, 5))
    assert "32 batches per epoch (the last one holds 8)" in text and "160 steps" in text
