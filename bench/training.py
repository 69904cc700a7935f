"""Micro-benchmarks of the loop, the batching and the live view, measured in one process."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import make_loader, make_mlp, make_moons, make_random_labels, train
from course_utils.callbacks import LoopState
from course_utils.live import LiveView
from course_utils.plots import figure_to_png, plot_history


def _plain_loop(model, loader, loss_fn, optimizer, epochs):
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def loop_ratio(repeats: int = 15) -> float:
    """``train`` time / plain-loop time on notebook 01's minimal example, same batches: the median over pairs of runs
    made back to back, who goes first alternating."""
    data = make_random_labels(1000, 10, 2, seed=0)
    plain, ours = [], []
    for r in range(repeats):
        for which in ((0, 1) if r % 2 == 0 else (1, 0)):  # alternate who goes first
            model = make_mlp(10, (32,), 2, seed=1)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            start = time.perf_counter()
            if which == 0:
                _plain_loop(model, make_loader(data, 32, seed=0), nn.CrossEntropyLoss(), opt, 5)
                plain.append(time.perf_counter() - start)
            else:
                train(model, data, optimizer=opt, epochs=5, batch_size=32, seed=0, loss_fn=nn.CrossEntropyLoss())
                ours.append(time.perf_counter() - start)
    return statistics.median(o / p for o, p in zip(ours, plain))  # paired: a slow spell hits both runs of a pair


def batching_speedup(batch_size: int, repeats: int = 15) -> float:
    """Time per epoch of a default ``DataLoader(TensorDataset, shuffle=True)`` / the course's loader."""
    data = TensorDataset(torch.randn(10_000, 10), torch.randint(0, 2, (10_000,)))
    default = DataLoader(data, batch_size=batch_size, shuffle=True)
    fast = make_loader(data, batch_size, seed=0)
    times = {"default": [], "fast": []}
    for r in range(repeats):
        order = (("default", default), ("fast", fast))
        for name, loader in order if r % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            for _ in loader:
                pass
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["default"]) / statistics.median(times["fast"])


class RedrawEverything:
    """A live plot in the manner of Dive into Deep Learning's ``Animator``: after every epoch, clear
    the output and draw the whole figure again from scratch."""

    def __init__(self):
        self.frames, self.drawing_seconds = 0, 0.0

    def on_epoch_end(self, state: LoopState) -> None:
        import matplotlib.pyplot as plt

        start = time.perf_counter()
        fig = plot_history(state.history)
        figure_to_png(fig)
        plt.close(fig)
        self.frames += 1
        self.drawing_seconds += time.perf_counter() - start


def live_view_costs(repeats: int = 7) -> dict:
    """Overhead of the live view on a run of a few seconds, and against a redraw-everything plot.

    Wall-clock ratios are medians over repetitions that each compare runs made back to back. On a
    virtual machine the speed of the CPU itself drifts by 10-20% from run to run (CPU time drifts
    with it, so it is no help); the drawing times from the callbacks' own timers are the steadier
    measure of what drawing costs.
    """
    data = make_moons(20_000, seed=0)
    val = make_moons(2_000, seed=1)

    def run(callbacks):
        model = make_mlp(2, (64, 64), 2, seed=1)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.perf_counter()
        train(model, data, optimizer=opt, epochs=10, batch_size=64, val_data=val, callbacks=callbacks)
        return time.perf_counter() - start

    base, live, redraw, live_draw, redraw_draw, frames = [], [], [], [], [], 0
    for r in range(repeats):
        view, animator = LiveView(show=False), RedrawEverything()
        jobs = [(base, []), (live, [view]), (redraw, [animator])]
        for times, callbacks in jobs if r % 2 == 0 else jobs[::-1]:  # alternate who goes first
            times.append(run(callbacks))
        live_draw.append(view.drawing_seconds)
        redraw_draw.append(animator.drawing_seconds)
        frames = view.frames
    b = statistics.median(base)
    return {"base_s": b, "live_ratio": statistics.median(lv / bs for lv, bs in zip(live, base)),
            "redraw_ratio": statistics.median(rd / bs for rd, bs in zip(redraw, base)), "live_frames": frames,
            "live_drawing_share": statistics.median(live_draw) / b,
            "ours_cheaper_by": statistics.median(redraw_draw) / statistics.median(live_draw)}  # fmt: skip


def drawing_floor(repeats: int = 15) -> float:
    """Seconds to redraw a bare two-panel figure as PNG when only its data changes (the median).

    One line per panel, axis labels, no legend, the figure kept between redraws: the least any
    two-panel demo picture can cost on this machine with matplotlib, before any training.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    lines = []
    for ax in axes:
        (line,) = ax.plot(range(100), [0.0] * 100)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        lines.append(line)
    times = []
    for r in range(repeats + 2):
        start = time.perf_counter()
        for line in lines:
            line.set_ydata([(i * (r + 1)) % 7 / 7 for i in range(100)])
        for ax in axes:
            ax.relim()
            ax.autoscale_view()
        figure_to_png(fig)
        times.append(time.perf_counter() - start)
    return statistics.median(times[2:])
