"""The training loop: bit-identical to the plain loop, correct counters, clean stops."""

import copy
import math
import os
import signal
import sys

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import epoch_plan, evaluate, make_mlp, make_random_labels, train
from course_utils.callbacks import Callback, EarlyStopping, MaxSteps
from course_utils.data import make_blobs, make_regression
from course_utils.history import DIVERGE_FACTOR, History
from course_utils.runs import DATASETS, run_training


def plain_loop(model, loader, loss_fn, optimizer, epochs):
    """The five-line loop of any PyTorch tutorial: the reference train() must match bit for bit."""
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def _minimal_setup(seed=0):
    data = make_random_labels(1000, 10, 2, seed=seed)
    model = make_mlp(10, (32,), 2, seed=seed + 1)
    return data, model


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_train_is_bit_identical_to_the_plain_loop(shuffle, opt_name):
    data, model = _minimal_setup()
    plain_model = copy.deepcopy(model)
    def make_opt(params):
        return torch.optim.Adam(params, lr=1e-3) if opt_name == "adam" else torch.optim.SGD(params, lr=0.1)

    loader = DataLoader(data, batch_size=32, shuffle=shuffle, generator=torch.Generator().manual_seed(5))
    plain_losses = plain_loop(plain_model, loader, nn.CrossEntropyLoss(), make_opt(plain_model.parameters()), 5)
    history = train(model, data, optimizer=make_opt(model.parameters()), epochs=5, batch_size=32,
                    shuffle=shuffle, seed=5, loss_fn=nn.CrossEntropyLoss())  # fmt: skip
    for a, b in zip(model.parameters(), plain_model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert history.step_loss == plain_losses


class _Squares(torch.utils.data.Dataset):
    """A learner's own map-style Dataset: computes each example when asked (nothing in memory)."""

    def __len__(self):
        return 300

    def __getitem__(self, i):
        x = torch.tensor([i / 300.0, (i % 7) / 7.0])
        return x, torch.tensor([x[0] ** 2 - x[1]])


class _Stream(torch.utils.data.IterableDataset):
    """A learner's own stream of examples, with no length."""

    def __iter__(self):
        g = torch.Generator().manual_seed(0)
        for _ in range(200):
            x = torch.randn(3, generator=g)
            yield x, (x.sum() > 0).long()


@pytest.mark.parametrize("shuffle", [True, False])
def test_train_over_a_learners_own_dataloader_is_bit_identical_to_the_plain_loop(shuffle):
    model, twin = make_mlp(2, (16,), 1, seed=2), make_mlp(2, (16,), 1, seed=2)

    def loader():
        return DataLoader(_Squares(), batch_size=16, shuffle=shuffle, generator=torch.Generator().manual_seed(7))

    plain = plain_loop(twin, loader(), nn.MSELoss(), torch.optim.Adam(twin.parameters(), lr=1e-2), 3)
    h = train(model, loader(), optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), epochs=3, loss_fn=nn.MSELoss())
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters(), strict=True))
    assert h.step_loss == plain and h.batches_per_epoch == 19 and h.batch_size == 16 and h.steps == 57


def test_train_takes_a_dataset_an_unsized_stream_and_a_list_of_batches():
    model = make_mlp(2, (8,), 1, seed=0)
    h = train(model, _Squares(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=50,
              val_data=_Squares())  # fmt: skip
    assert h.steps == 12 and len(h.epoch_val_loss) == 2 and h.stop_reason == "finished"
    clf = make_mlp(3, (8,), 2, seed=0)
    stream = DataLoader(_Stream(), batch_size=32)
    h = train(clf, stream, optimizer=torch.optim.SGD(clf.parameters(), lr=0.1), epochs=2,
              loss_fn=nn.CrossEntropyLoss(), val_data=stream)  # fmt: skip
    assert h.steps == 14 and h.batches_per_epoch == 0 and h.epoch_val_acc and not h.epoch_train_acc
    X, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]
    h = train(clf, batches, optimizer=torch.optim.SGD(clf.parameters(), lr=0.1), epochs=3, accumulation_steps=3)
    assert h.steps == 6 and h.step_samples == [30, 10] * 3 and h.batches == 12


@pytest.mark.parametrize(
    ("n", "batch", "epochs", "drop_last", "per_epoch", "steps", "last"),
    [
        (1000, 100, 5, False, 10, 50, 100),
        (12000, 100, 1, False, 120, 120, 100),
        (1000, 32, 5, False, 32, 160, 8),
        (1000, 32, 5, True, 31, 155, 32),
        (7, 7, 3, False, 1, 3, 7),
        (10, 1, 2, False, 10, 20, 1),
    ],
)
def test_history_counters_match_the_arithmetic(n, batch, epochs, drop_last, per_epoch, steps, last):
    X = torch.randn(n, 3)
    y = torch.randint(0, 2, (n,))
    model = make_mlp(3, (4,), 2)
    h = train(model, (X, y), optimizer=torch.optim.SGD(model.parameters(), lr=0.01), epochs=epochs,
              batch_size=batch, drop_last=drop_last)  # fmt: skip
    plan = epoch_plan(n, batch, epochs, drop_last)
    assert (plan.batches_per_epoch, plan.total_steps, plan.last_batch_size) == (per_epoch, steps, last)
    assert h.batches_per_epoch == per_epoch
    assert h.steps == len(h.step_loss) == len(h.step_lr) == steps
    assert h.epochs == epochs and h.epoch_steps == [per_epoch * (e + 1) for e in range(epochs)]
    assert h.step_samples[per_epoch - 1] == last
    assert h.samples_seen == plan.total_samples == sum(h.step_samples)
    assert h.stop_reason == "finished"


def test_epoch_loss_is_weighted_by_examples_not_batches():
    # 10 examples, batch 4: batches of 4, 4 and 2. A batch mean would over-weight the small batch.
    X, y = torch.randn(10, 2), torch.randint(0, 3, (10,))
    model = make_mlp(2, (), 3)
    h = train(model, (X, y), optimizer=torch.optim.SGD(model.parameters(), lr=0.5), epochs=1, batch_size=4,
              shuffle=False)  # fmt: skip
    weighted = sum(loss * n for loss, n in zip(h.step_loss, h.step_samples)) / 10
    assert h.epoch_train_loss[0] == pytest.approx(weighted, rel=1e-12)
    assert h.epoch_train_loss[0] != pytest.approx(sum(h.step_loss) / 3, rel=1e-6)


def test_validation_metrics_per_epoch_and_evaluate_agree():
    data = make_blobs(400, seed=1)
    val = make_blobs(100, seed=2)
    model = make_mlp(2, (16,), 4)
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), epochs=3, val_data=val)
    assert len(h.epoch_val_loss) == len(h.epoch_val_acc) == len(h.epoch_train_acc) == 3
    loss, acc = evaluate(model, val)
    assert (loss, acc) == (pytest.approx(h.epoch_val_loss[-1]), h.epoch_val_acc[-1])
    assert h.epoch_val_acc[-1] > 0.8  # blobs are easy: the loop really learns
    assert model.training  # evaluate() put the model back in training mode


def test_regression_has_no_accuracy():
    data = make_regression(200, seed=0)
    model = make_mlp(8, (8,), 1)
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.01), epochs=2, val_data=data)
    assert h.epoch_val_acc == [] and h.epoch_train_acc == [] and len(h.epoch_val_loss) == 2
    assert evaluate(model, data)[1] is None


def test_divergence_stops_without_raising_and_keeps_the_history():
    data = make_regression(256, seed=0)
    model = make_mlp(8, (32,), 1)
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=10.0), epochs=50, batch_size=16)
    assert h.diverged and h.stop_reason == f"diverged at step {h.steps + 1}"
    assert h.diverged_at_step == h.steps + 1
    assert all(math.isfinite(v) for v in h.step_loss)  # what was recorded is the run up to the blow-up
    assert h.steps > 0 and h.epochs < 50


def test_adam_at_lr_10_diverges_on_the_minimal_example_or_finishes_finite():
    data, model = _minimal_setup()
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=10.0), epochs=3)
    assert h.stop_reason in ("finished",) or h.stop_reason.startswith("diverged at step")
    assert all(math.isfinite(v) for v in h.step_loss)


# ----------------------------------------------------------------------------- divergence a learner recognises


def test_adam_at_lr_1000_stops_as_diverged_with_the_loss_it_reached():
    """The issue's case: this used to end "finished" with an epoch loss of 6.3e6 (from 0.74)."""
    run = run_training(data="random", n_samples=1000, val_fraction=None, hidden=(32,), optimizer="adam", lr=1e3,
                       epochs=5)  # fmt: skip
    h = run.history
    assert h.stop_reason == "diverged at step 2" and h.steps == 1 and h.diverged
    assert h.diverged_loss > DIVERGE_FACTOR * h.start_loss and math.isfinite(h.diverged_loss)
    assert h.summary().startswith("diverged at step 2 (loss 4.81e+07, 6.5e+07x its start (0.738))")
    old = run_training(data="random", n_samples=1000, val_fraction=None, hidden=(32,), optimizer="adam", lr=1e3,
                       epochs=5, diverge_factor=None).history  # fmt: skip
    assert old.stop_reason == "finished" and old.epoch_train_loss[0] > 1e6  # what it did before: NaN/inf only
    assert old.step_loss[:1] == h.step_loss  # the same run, up to the stop


def test_sgd_at_lr_10_on_regression_stops_when_the_loss_grows_ten_thousandfold():
    h = run_training(data="regression", optimizer="sgd", lr=10.0).history
    assert h.stop_reason == "diverged at step 3" and math.isfinite(h.diverged_loss)
    assert h.step_loss[-1] <= DIVERGE_FACTOR * h.start_loss < h.diverged_loss


def test_the_diverging_step_never_changes_the_weights():
    data, model = _minimal_setup()
    reference = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e3)
    h = train(model, data, optimizer=opt, epochs=1, shuffle=False)
    assert h.stop_reason == "diverged at step 2"
    ref_opt = torch.optim.Adam(reference.parameters(), lr=1e3)  # one plain step on the same first batch
    X, y = data.tensors
    loss = nn.functional.cross_entropy(reference(X[:32]), y[:32])
    ref_opt.zero_grad()
    loss.backward()
    ref_opt.step()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), reference.parameters()))


@pytest.mark.parametrize("data", DATASETS)
def test_healthy_runs_stay_far_below_the_divergence_factor(data):
    """No false alarms: every data set at the default settings finishes, its worst batch far below the limit."""
    h = run_training(data=data).history
    assert h.stop_reason == "finished" and h.start_loss > 0
    assert max(h.step_loss) < 20 * h.start_loss < DIVERGE_FACTOR * h.start_loss


def test_batch_size_1_regression_is_not_a_false_alarm():
    """The start is measured on up to 4096 examples, not on one: a lucky first example cannot set a tiny limit."""
    h = run_training(data="wave", optimizer="sgd", lr=0.01, batch_size=1, epochs=2).history
    assert h.stop_reason == "finished" and h.start_loss > 0.1 and min(h.step_loss) < 1e-4 * h.start_loss


def test_loss_limit_without_a_start_to_compare_with_counts_only_nan_and_inf():
    assert History().loss_limit == sys.float_info.max
    assert History(start_loss=0.0, diverge_factor=1e4).loss_limit == sys.float_info.max
    assert History(start_loss=0.5, diverge_factor=None).loss_limit == sys.float_info.max
    assert History(start_loss=0.5, diverge_factor=1e4).loss_limit == 5000.0
    assert History().summary().startswith("not started:") and History().divergence() == ""


def test_a_stream_is_not_checked_but_still_stops_at_nan():
    stream = [(torch.randn(8, 8), torch.full((8, 1), math.nan if i == 2 else 0.0)) for i in range(4)]
    model = make_mlp(8, (4,), 1)

    class _Once(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(stream)

    h = train(model, DataLoader(_Once(), batch_size=None), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
              epochs=1, loss_fn=nn.MSELoss())  # fmt: skip
    assert h.start_loss is None and h.stop_reason == "diverged at step 3" and math.isnan(h.diverged_loss)


@pytest.mark.parametrize(("n", "batch", "k"), [(100, 2, 2), (100, 10, 4), (1000, 32, 3), (7, 7, 5)])
def test_epoch_plan_counts_the_weight_updates_train_makes_with_accumulation(n, batch, k):
    data = make_random_labels(n, seed=0)
    model = make_mlp(10, (4,), 2)
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.01), epochs=2, batch_size=batch,
              accumulation_steps=k)  # fmt: skip
    plan = epoch_plan(n, batch, 2, accumulation_steps=k)
    assert h.steps == plan.total_steps == 2 * plan.steps_per_epoch and h.batches == 2 * plan.batches_per_epoch
    assert (f"{k} batches per weight update" in str(plan)) == (k > 1)
    assert str(epoch_plan(n, batch, 2)) == str(epoch_plan(n, batch, 2, accumulation_steps=1))


class _InterruptAt:
    """Simulates Ctrl-C: sends SIGINT to this process (as the kernel's stop button does) at a step."""

    def __init__(self, step, raise_directly=False):
        self.step, self.raise_directly = step, raise_directly
        self.weights_at_step = None

    def on_step_end(self, state):
        if state.history.steps == self.step:
            self.weights_at_step = [p.detach().clone() for p in self.model.parameters()]
            if self.raise_directly:
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize("raise_directly", [False, True])
def test_interrupt_keeps_history_and_the_model_of_the_last_finished_step(raise_directly):
    data, model = _minimal_setup()
    stopper = _InterruptAt(7, raise_directly)
    stopper.model = model
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), epochs=5,
              callbacks=[stopper])  # fmt: skip
    assert h.stop_reason == "interrupted"
    assert h.steps == 7 and len(h.step_loss) == 7
    for a, b in zip(model.parameters(), stopper.weights_at_step):
        assert torch.equal(a, b)
    # the model is still usable, and Ctrl-C works normally again afterwards
    assert model(data.tensors[0][:2]).shape == (2, 2)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_gradient_accumulation_equals_one_big_batch():
    data = make_regression(64, seed=3)
    big, small = make_mlp(8, (16,), 1, seed=4), make_mlp(8, (16,), 1, seed=4)
    train(big, data, optimizer=torch.optim.SGD(big.parameters(), lr=0.05), epochs=2, batch_size=32, shuffle=False)
    h = train(small, data, optimizer=torch.optim.SGD(small.parameters(), lr=0.05), epochs=2, batch_size=8,
              shuffle=False, accumulation_steps=4)  # fmt: skip
    assert h.steps == 4 and h.batches == 16 and h.step_samples == [32] * 4
    diff = max((a - b).abs().max().item() for a, b in zip(big.parameters(), small.parameters()))
    assert diff < 1e-6


def test_accumulation_with_a_short_last_group_still_averages_correctly():
    data = make_regression(40, seed=3)  # batch 8, k=3: groups of 24 and 16 examples
    big, small = make_mlp(8, (), 1, seed=4), make_mlp(8, (), 1, seed=4)
    X, y = data.tensors
    opt = torch.optim.SGD(big.parameters(), lr=0.1)
    for part in (slice(0, 24), slice(24, 40)):
        loss = nn.functional.mse_loss(big(X[part]), y[part])
        opt.zero_grad()
        loss.backward()
        opt.step()
    h = train(small, data, optimizer=torch.optim.SGD(small.parameters(), lr=0.1), epochs=1, batch_size=8,
              shuffle=False, accumulation_steps=3)  # fmt: skip
    assert h.step_samples == [24, 16]
    assert max((a - b).abs().max().item() for a, b in zip(big.parameters(), small.parameters())) < 1e-6


def test_early_stopping_restores_the_best_weights():
    # Tiny, noisy training set and a big network: validation loss turns up after a few epochs.
    from course_utils.data import make_moons, split_train_val

    train_set, val_set = split_train_val(make_moons(120, noise=0.35, label_noise=0.2, seed=0), 0.5, seed=0)
    model = make_mlp(2, (256, 256), 2, seed=1)
    h = train(model, train_set, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), epochs=200,
              batch_size=8, val_data=val_set, callbacks=[EarlyStopping(patience=5)])  # fmt: skip
    assert h.stop_reason.startswith("early stopping at epoch ")
    assert h.best_epoch == min(range(len(h.epoch_val_loss)), key=h.epoch_val_loss.__getitem__) + 1
    assert h.epochs == h.best_epoch + 5 and h.restored_best
    assert evaluate(model, val_set)[0] == pytest.approx(h.best_val_loss)


def test_max_steps_and_scheduler_learning_rate_per_step():
    data, model = _minimal_setup()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    h = train(model, data, optimizer=opt, epochs=10, callbacks=[MaxSteps(45)], scheduler=sched)
    assert h.steps == 45 and h.stop_reason == "finished" and h.epochs == 1
    assert h.step_lr[:10] == [0.1] * 10 and h.step_lr[10:20] == [0.05] * 10 and h.step_lr[-1] == 0.1 / 16


def test_zero_epochs_does_nothing():
    data, model = _minimal_setup()
    before = copy.deepcopy(model.state_dict())
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=0)
    assert h.steps == 0 and h.stop_reason == "finished"
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_two_runs_with_one_seed_give_identical_histories():
    def run():
        data, model = _minimal_setup(seed=3)
        return train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), epochs=3, seed=9,
                     val_data=make_random_labels(100, seed=4)).numbers()  # fmt: skip

    assert run() == run()


def test_callbacks_hear_every_event_in_order():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, state):
            events.append(("begin", state.total_steps))

        def on_epoch_begin(self, state):
            events.append(("epoch begin", state.epoch))

        def on_step_begin(self, state):
            events.append(("step begin", state.history.steps + 1))

        def on_step_end(self, state):
            events.append(("step", state.history.steps))

        def on_epoch_end(self, state):
            events.append(("epoch", state.history.epochs))

        def on_train_end(self, state):
            events.append(("end", state.history.stop_reason))

    data = TensorDataset(torch.randn(10, 2), torch.randint(0, 2, (10,)))
    model = make_mlp(2, (), 2)
    train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=5,
          callbacks=[Recorder()])  # fmt: skip
    assert events == [("begin", 4), ("epoch begin", 1), ("step begin", 1), ("step", 1), ("step begin", 2), ("step", 2),
                      ("epoch", 1), ("epoch begin", 2), ("step begin", 3), ("step", 3), ("step begin", 4), ("step", 4),
                      ("epoch", 2), ("end", "finished")]  # fmt: skip


def test_a_callback_ends_the_run_with_its_own_reason():
    class StopBelow(Callback):
        def __init__(self, target):
            self.target = target

        def on_step_end(self, state):
            if state.history.step_loss[-1] < self.target:
                state.stop(f"loss below {self.target} at step {state.history.steps}")

    class StopAfterEpoch(Callback):
        def on_epoch_end(self, state):
            state.stop("one epoch is enough")

    data, model = make_moons_data_and_model()
    h = train(model, data, optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=20,
              callbacks=[StopBelow(0.3)])
    assert h.stop_reason == f"loss below 0.3 at step {h.steps}" and h.step_loss[-1] < 0.3 <= min(h.step_loss[:-1])
    assert h.epochs == h.steps // h.batches_per_epoch  # stopped mid-epoch: that epoch is not counted
    h = train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=5,
              callbacks=[StopAfterEpoch()])
    assert h.stop_reason == "one epoch is enough" and h.epochs == 1 and h.steps == h.batches_per_epoch


def make_moons_data_and_model():
    from course_utils import make_moons

    return make_moons(400, seed=0), make_mlp(2, (16,), 2, seed=0)


@pytest.mark.parametrize(
    ("callbacks", "words"),
    [
        (MaxSteps(3), ["callbacks must be a list", "callbacks=[MaxSteps(...)]"]),
        ([MaxSteps], ["callbacks[0] is the class MaxSteps", "MaxSteps(...)"]),
        ([object()], ["callbacks[0]", "none of the event methods"]),
        ([type("Old", (), {"on_step": lambda self, h: None})()], ["on_step", "never calls", "on_step_end"]),
    ],
)
def test_callbacks_that_would_never_be_called_are_refused_before_training(callbacks, words):
    data, model = make_moons_data_and_model()
    with pytest.raises(TypeError) as info:
        train(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, callbacks=callbacks)
    for word in words:
        assert word in str(info.value)


def test_a_dataloader_with_batch_settings_given_twice_is_refused():
    data, model = make_moons_data_and_model()
    loader = DataLoader(data, batch_size=16)
    with pytest.raises(ValueError, match="makes its own batches"):
        train(model, loader, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, batch_size=16)
    with pytest.raises(TypeError, match="one-time iterator"):
        train(model, iter(loader), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)


def test_validation_runs_in_eval_mode_and_training_resumes_in_train_mode():
    from course_utils import make_moons

    data, val = make_moons(200, seed=0), make_moons(100, seed=1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train(model, data, optimizer=opt, epochs=3, batch_size=50, val_data=val, seed=0)
    assert model.training  # back in training mode after the last validation
    model.train()
    first, second = evaluate(model, val), evaluate(model, val)
    assert first == second and model.training  # dropout off while evaluating, mode restored
    assert history.epoch_val_loss[-1] == pytest.approx(first[0], abs=1e-7)  # validation used the same eval mode
    model.eval()
    evaluate(model, val)
    assert not model.training  # an evaluating model stays evaluating
