"""Checkpoints: atomic saves, clear errors for bad files, and no code execution while loading."""

import os
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import EarlyStopping, make_mlp, make_random_labels, train
from course_utils.checkpoint import BestCheckpoint, CheckpointError, load_checkpoint, save_checkpoint


def _trained(seed=0, hidden=(8,)):
    model = make_mlp(10, hidden, 2, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train(model, make_random_labels(64, seed=seed), optimizer=opt, epochs=2, batch_size=16)
    return model, opt


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ----------------------------------------------------------------------------- round trip


def test_round_trip_restores_identical_weights_optimizer_and_metadata(tmp_path):
    model, opt = _trained()
    meta = dict(epoch=3, val_loss=0.25, note="best", ok=True, nothing=None, hidden=(8,), tags=["a", 1.5],
                nested={"lr": 1e-3, "sizes": [1, 2]}, numpy_int=np.int64(7), numpy_float=np.float32(0.5))  # fmt: skip
    path = save_checkpoint(tmp_path / "best.pt", model, optimizer=opt, **meta)
    assert path == tmp_path / "best.pt" and path.exists()
    assert _leftovers(tmp_path) == []

    fresh = make_mlp(10, (8,), 2, seed=99)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    assert not _same(model, fresh)
    loaded = load_checkpoint(path, fresh, optimizer=fresh_opt)
    assert _same(model, fresh)
    assert loaded["epoch"] == 3 and loaded["val_loss"] == 0.25 and loaded["note"] == "best" and loaded["ok"] is True
    assert loaded["nothing"] is None and loaded["hidden"] == (8,) and loaded["tags"] == ["a", 1.5]
    assert loaded["nested"] == {"lr": 1e-3, "sizes": [1, 2]}
    assert loaded["numpy_int"] == 7 and type(loaded["numpy_int"]) is int and type(loaded["numpy_float"]) is float
    # the optimizer continues exactly where the saved one was: one more identical step on both
    x, y = make_random_labels(16, seed=5).tensors
    for m, o in ((model, opt), (fresh, fresh_opt)):
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    assert _same(model, fresh)


def test_saving_again_replaces_the_file_and_accepts_str_paths(tmp_path):
    a, _ = _trained(seed=0)
    b, _ = _trained(seed=1)
    target = str(tmp_path / "ck.pt")
    save_checkpoint(target, a, epoch=1)
    save_checkpoint(target, b, epoch=2)
    fresh = make_mlp(10, (8,), 2, seed=5)
    assert load_checkpoint(target, fresh) == {"epoch": 2}
    assert _same(fresh, b)
    assert _leftovers(tmp_path) == []


def test_metadata_must_be_plain_data(tmp_path):
    model, _ = _trained()
    with pytest.raises(TypeError, match=r"metadata weights=tensor.*\.item\(\) or \.tolist\(\)"):
        save_checkpoint(tmp_path / "x.pt", model, weights=torch.ones(2))
    with pytest.raises(TypeError, match=r"metadata net.*Sequential"):
        save_checkpoint(tmp_path / "x.pt", model, net=model)
    with pytest.raises(TypeError, match=r"metadata info\['f'\].*function"):
        save_checkpoint(tmp_path / "x.pt", model, info={"f": print})
    with pytest.raises(TypeError, match="keys must be strings"):
        save_checkpoint(tmp_path / "x.pt", model, info={1: 2})
    assert not (tmp_path / "x.pt").exists() and _leftovers(tmp_path) == []


def test_bad_arguments_to_save(tmp_path):
    model, _ = _trained()
    with pytest.raises(FileNotFoundError, match="folder .*nope does not exist"):
        save_checkpoint(tmp_path / "nope" / "x.pt", model)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        save_checkpoint(tmp_path / "x.pt", model.state_dict())
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        save_checkpoint(tmp_path / "x.pt", model, optimizer="adam")
    with pytest.raises(TypeError, match="path must be a file name"):
        save_checkpoint(3, model)
    with pytest.raises(IsADirectoryError, match="that is a folder"):
        save_checkpoint(tmp_path, model)


# ----------------------------------------------------------------------------- crashes during a save


def test_a_crash_during_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    good, _ = _trained(seed=0)
    path = save_checkpoint(tmp_path / "best.pt", good, epoch=1)
    before = path.read_bytes()

    real_save = torch.save

    def half_then_crash(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)  # write everything, then keep only the first half ...
        f.flush()
        size = f.tell()
        f.seek(size // 2)
        f.truncate()
        raise OSError("disk full (simulated)")  # ... and fail, as a full disk or a killed process would

    monkeypatch.setattr(torch, "save", half_then_crash)
    other, _ = _trained(seed=1)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, other, epoch=2)
    monkeypatch.undo()

    assert path.read_bytes() == before  # the old checkpoint, byte for byte
    assert _leftovers(tmp_path) == []  # and no half-written temporary file left behind
    fresh = make_mlp(10, (8,), 2, seed=7)
    assert load_checkpoint(path, fresh) == {"epoch": 1}
    assert _same(fresh, good)


def test_a_keyboard_interrupt_during_save_also_cleans_up(tmp_path, monkeypatch):
    model, _ = _trained()

    def interrupted(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "new.pt", model)
    assert list(tmp_path.iterdir()) == []  # neither a target nor a temporary file


def test_the_file_is_only_renamed_into_place_after_fsync(tmp_path, monkeypatch):
    model, _ = _trained()
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace",
                        lambda a, b: (events.append(("replace", os.path.dirname(a))), real_replace(a, b))[1])
    save_checkpoint(tmp_path / "m.pt", model)
    assert events[0] == "fsync"
    assert events[1] == ("replace", str(tmp_path))  # the temporary file was in the same folder


# ----------------------------------------------------------------------------- bad files


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at .*missing\.pt"):
        load_checkpoint(tmp_path / "missing.pt", make_mlp(10, (8,), 2))


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_truncated_file_gives_a_clear_error_and_leaves_the_model_alone(tmp_path, keep):
    model, _ = _trained()
    path = save_checkpoint(tmp_path / "cut.pt", model)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    target = make_mlp(10, (8,), 2, seed=3)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, target)
    message = str(info.value)
    assert str(path) in message
    assert ("empty" in message) if keep == 0 else ("truncated or corrupt" in message or "corrupt" in message)
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())


def test_random_bytes_are_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"hello, this is not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"junk\.pt is not a checkpoint: it is not a PyTorch file"):
        load_checkpoint(path, make_mlp(10, (8,), 2))


def test_foreign_torch_files_are_named_as_such(tmp_path):
    model = make_mlp(10, (8,), 2)
    cases = {
        "tensor.pt": (torch.zeros(3, 4), r"single tensor of shape \(3, 4\)"),
        "state.pt": (model.state_dict(), r"bare state_dict .*model\.load_state_dict\(torch\.load"),
        "dict.pt": ({"weights": [1, 2], "epoch": 3}, r"dict with the keys 'weights', 'epoch'"),
        "list.pt": ([1, 2, 3], "holds a list"),
        "future.pt": ({"format": "training-loop-lab checkpoint", "version": 99}, "newer version"),
        "parts.pt": ({"format": "training-loop-lab checkpoint", "version": 1, "model": {}}, "damaged checkpoint"),
        "odd.pt": ({"format": "training-loop-lab checkpoint", "version": 1, "model": {"w": [1.0]}, "optimizer": None,
                    "metadata": {}}, r"damaged checkpoint: the weights w are not tensors"),
    }
    for name, (obj, words) in cases.items():
        torch.save(obj, tmp_path / name)
        with pytest.raises(CheckpointError, match=words) as info:
            load_checkpoint(tmp_path / name, model)
        assert name in str(info.value)


class _Evil:
    """Unpickling this would run a command (here: create a file) -- the classic pickle attack."""

    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        return (os.system, (f"touch {self.flag}",))


def test_a_pickle_that_would_run_code_is_refused_and_never_executed(tmp_path):
    flag = tmp_path / "PWNED"
    plain = tmp_path / "evil.pkl"
    with open(plain, "wb") as f:
        pickle.dump(_Evil(flag), f)
    inside = tmp_path / "evil.pt"  # the same object inside a real PyTorch zip archive, next to real keys
    torch.save({"format": "training-loop-lab checkpoint", "version": 1, "model": {}, "optimizer": None,
                "metadata": {"x": _Evil(flag)}}, inside)  # fmt: skip
    assert not flag.exists()
    model = make_mlp(10, (8,), 2)
    with pytest.raises(CheckpointError, match="plain Python pickle .*not\\s+unpickled"):
        load_checkpoint(plain, model)
    with pytest.raises(CheckpointError, match=r"evil\.pt holds a Python object \(\w+\.system\).*nothing in the file"):
        load_checkpoint(inside, model)
    assert not flag.exists()  # the command never ran
    # and the check is real: an unrestricted load of the same file does run it
    torch.load(inside, weights_only=False)
    assert flag.exists()


FLAG = []


def _set_flag(value):
    FLAG.append(value)


class _SetsFlag:
    def __reduce__(self):
        return (_set_flag, ("ran",))


def test_a_pickle_that_would_set_a_flag_is_refused(tmp_path):
    FLAG.clear()
    torch.save({"format": "training-loop-lab checkpoint", "version": 1, "model": {}, "optimizer": None,
                "metadata": {"x": _SetsFlag()}}, tmp_path / "flag.pt")  # fmt: skip
    with pytest.raises(CheckpointError, match=r"holds a Python object \(.*_set_flag\)"):
        load_checkpoint(tmp_path / "flag.pt", make_mlp(10, (8,), 2))
    assert FLAG == []
    torch.load(tmp_path / "flag.pt", weights_only=False)  # what an unrestricted load would have done
    assert FLAG == ["ran"]


def test_another_architecture_names_the_missing_unexpected_and_reshaped_keys(tmp_path):
    model, _ = _trained(hidden=(8,))
    path = save_checkpoint(tmp_path / "m.pt", model)
    wider = make_mlp(10, (16,), 2)
    shapes = r"different architecture.*Different shapes: 0\.weight: saved \(8, 10\), model \(16, 10\)"
    with pytest.raises(CheckpointError, match=shapes):
        load_checkpoint(path, wider)
    deeper = make_mlp(10, (8, 8), 2)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, deeper)
    message = str(info.value)
    assert "Missing in the file (the model has them): 4.weight, 4.bias" in message
    assert "m.pt" in message
    linear = nn.Linear(10, 2)
    with pytest.raises(CheckpointError, match="Missing in the file.*weight, bias.*Unexpected.*0.weight"):
        load_checkpoint(path, linear)


def test_optimizer_mismatches_are_caught_before_anything_changes(tmp_path):
    model, opt = _trained()
    with_opt = save_checkpoint(tmp_path / "with.pt", model, optimizer=opt)
    without = save_checkpoint(tmp_path / "without.pt", model)
    fresh = make_mlp(10, (8,), 2, seed=4)
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(without, fresh, optimizer=torch.optim.Adam(fresh.parameters()))
    with pytest.raises(CheckpointError, match="4 parameter tensors .* this optimizer holds 2"):
        load_checkpoint(with_opt, fresh, optimizer=torch.optim.Adam(list(fresh.parameters())[:2]))
    with pytest.raises(CheckpointError, match="another kind of optimizer"):
        load_checkpoint(with_opt, fresh, optimizer=torch.optim.SGD(fresh.parameters(), lr=0.1))
    assert all(torch.equal(before[k], v) for k, v in fresh.state_dict().items())
    with pytest.raises(TypeError, match="optimizer must be"):
        load_checkpoint(with_opt, fresh, optimizer="adam")
    with pytest.raises(TypeError, match="model must be"):
        load_checkpoint(with_opt, {"a": 1})


# ----------------------------------------------------------------------------- the callback


def test_best_checkpoint_saves_exactly_the_epoch_early_stopping_restores(tmp_path):
    from course_utils.data import make_moons, split_train_val

    train_set, val_set = split_train_val(make_moons(300, label_noise=0.2, seed=0), 0.3, seed=0)
    model = make_mlp(2, (64,), 2, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    saver = BestCheckpoint(tmp_path / "best.pt", model, run="moons")
    history = train(model, train_set, optimizer=opt, epochs=40, batch_size=16, val_data=val_set,
                    callbacks=[saver, EarlyStopping(patience=4)])  # fmt: skip
    assert history.stop_reason.startswith("early stopping")
    assert saver.best_epoch == history.best_epoch and saver.saved_epochs[-1] == history.best_epoch
    assert saver.saved_epochs[0] == 1 and saver.saved_epochs == sorted(saver.saved_epochs)
    fresh = make_mlp(2, (64,), 2, seed=123)
    meta = load_checkpoint(tmp_path / "best.pt", fresh)
    assert meta["epoch"] == history.best_epoch and meta["run"] == "moons"
    assert meta["val_loss"] == pytest.approx(history.best_val_loss, abs=0) and 0 <= meta["val_acc"] <= 1
    assert _same(fresh, model)  # the file holds exactly the weights early stopping put back


def test_best_checkpoint_needs_validation_data(tmp_path):
    model = make_mlp(10, (8,), 2)
    with pytest.raises(ValueError, match="needs val_data"):
        train(model, make_random_labels(32), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
              callbacks=[BestCheckpoint(tmp_path / "b.pt", model)])  # fmt: skip
    with pytest.raises(FileNotFoundError, match="folder .*nowhere does not exist"):
        BestCheckpoint(tmp_path / "nowhere" / "b.pt", model)
    with pytest.raises(ValueError, match="min_delta"):
        BestCheckpoint(tmp_path / "b.pt", model, min_delta=-1)
