"""Training against the same loop by hand in numpy: 1,000 steps of gradient descent on 10,000 points.

    python3 benchmarks/train.py [--steps 1000] [--rows 10000] [--repeats 5] [--heap-tuned]

chainrule: training.descend, each step the engine's reverse mode on the one graph of the lecture's
C(w) = −Σ yᵢ log σ(xᵢ·w) + (1−yᵢ) log(1−σ(xᵢ·w)), built once and re-run (`engine.fast.rerun`; the
loss, w and ‖∇C‖ of every step kept, as the API sends them). numpy: the same loop by hand,
p = σ(Xw), C, Xᵀ(p − y), the same records. Both in this process, taken in turns, float64, one
thread, CPU time (`time.process_time`); the ratio is of medians.

glibc's malloc as it comes by default, as a user's numpy loop runs. `--heap-tuned` first sets
glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (here, in this process only) so that freed arrays
stay in the heap: numpy by hand then no longer pays page faults for the 80 KB arrays each of its
steps makes and frees (session 4 set this process-wide in the library, training/heap.py, now gone:
the re-run entry makes no such arrays).
Then the first step of a run (its graph made as `training.descend` makes it, `training.cost_graph`,
then its program: the recording kept from an earlier run of the same structure and shapes, and
recorded anew with everything the recorder keeps forgotten) against a later step; and the same
cold first step with the graph compiled from the cost's text instead, as sessions 5 and 6 timed it.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, for both alike

import argparse  # noqa: E402
import ctypes  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import training  # noqa: E402
from engine import UNLIMITED, compile  # noqa: E402
from engine.fast import program, rerun  # noqa: E402

#: CPU time of this process: on a shared machine the wall clock also counts time spent waiting for
#: a core (under load a whole run's wall time varied by 3x between runs of the same code).
CLOCK = time.process_time
LR = 1e-4  # the sum over 10,000 points: a small step keeps every loss finite


def by_hand(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> list[tuple]:
    w = np.zeros(X.shape[1])
    out = []
    for k in range(steps + 1):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        loss = -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
        g = X.T @ (p - y)
        out.append((k, w, float(loss), g, float(np.sqrt(g @ g))))
        if k < steps:
            w = w - lr * g
    return out


def ours(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> list:
    return list(training.descend(X, y, lr, steps, "sum"))


def timed(fn, *args) -> tuple[float, object]:
    t = CLOCK()
    out = fn(*args)
    return CLOCK() - t, out


def tune_heap() -> bool:
    """glibc's heap kept between steps, for this process: arrays up to 32 MB from the heap, up to
    64 MB of its free top kept (what glibc's dynamic threshold reaches for 32 MB arrays)."""
    if not sys.platform.startswith("linux"):
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(-3, 32 << 20)) and bool(mallopt(-1, 64 << 20))  # M_MMAP_, M_TRIM_THRESHOLD


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--heap-tuned", action="store_true",
                    help="keep glibc's freed arrays in its heap (both loops): numpy by hand at its best")
    a = ap.parse_args()
    heap = "tuned" if a.heap_tuned and tune_heap() else "glibc's defaults"
    ds = training.builtin(n_per_class=a.rows // 2)
    X = training.design_matrix(ds.features, training.Scaling.standard(ds.features))
    y = ds.labels

    ours(X, y, LR, 5), by_hand(X, y, LR, 5)  # warm: imports, numpy's first calls
    t_ours, t_hand = [], []
    for _ in range(a.repeats):  # in turns, so drift of the machine touches both
        dt, run = timed(ours, X, y, LR, a.steps)
        t_ours.append(dt)
        dt, ref = timed(by_hand, X, y, LR, a.steps)
        t_hand.append(dt)
    w_ours, w_hand = run[-1].w, ref[-1][1]  # type: ignore[index]
    rel = float(np.max(np.abs(w_ours - w_hand)) / np.max(np.abs(w_hand)))
    m_ours, m_hand = statistics.median(t_ours), statistics.median(t_hand)
    print(f"{a.steps:,} steps on {len(y):,} points × {X.shape[1]} columns, float64, one thread, "
          f"median of {a.repeats}, malloc: {heap}")
    print(f"  chainrule (engine reverse mode, graph built once): {m_ours * 1e3:8.1f} ms  "
          f"({m_ours / (a.steps + 1) * 1e6:6.1f} µs a step)")
    print(f"  numpy by hand, Xᵀ(σ(Xw) − y):                      {m_hand * 1e3:8.1f} ms  "
          f"({m_hand / (a.steps + 1) * 1e6:6.1f} µs a step)")
    print(f"  ratio {m_ours / m_hand:.2f}×  (target ≤ 1.3×); final w agree to {rel:.1e} relative")

    # The first step of a run (the graph made, then its program) against later steps: warm, the
    # recording of this structure kept from an earlier run in the process (a server's every run
    # after its first); cold, recorded anew (the process's first run at these shapes: every
    # recipe and every result type the recorder keeps forgotten). The graph as a run makes it
    # (`training.cost_graph`), and, for comparison, compiled from the cost's text.
    wrt = ["w"]
    text = training.cost_expression("sum")
    routes = {"cost_graph": lambda: training.cost_graph("sum"),
              "compile(text)": lambda: compile(text, UNLIMITED)}
    for cold, route in ((False, "cost_graph"), (True, "cost_graph"), (True, "compile(text)")):
        firsts, makes, laters = [], [], []
        make = routes[route]
        for _ in range(a.repeats * 4):
            if cold:
                program.forget()
            t0 = CLOCK()
            graph = make()
            makes.append(CLOCK() - t0)
            w = np.zeros(3)
            rerun(graph, {"X": X, "y": y, "w": w}, wrt, UNLIMITED)
            firsts.append(CLOCK() - t0)
            for _ in range(5):
                t0 = CLOCK()
                rerun(graph, {"X": X, "y": y, "w": w}, wrt, UNLIMITED)
                laters.append(CLOCK() - t0)
        f, later = statistics.median(firsts), statistics.median(laters)
        what = f"{route} + " + ("record" if cold else "kept recording")
        print(f"  first step ({what}) {f * 1e6:.0f} µs (graph {statistics.median(makes) * 1e6:.0f}), "
              f"a later step {later * 1e6:.0f} µs: {f / later:.2f}×" + ("" if route != "cost_graph" else
                                                                      "  (target ≤ 3×)"))

    # Where a step's time goes: the engine's value and gradient, against numpy's two parts.
    point = {"X": X, "y": y, "w": np.full(3, 0.1)}
    t_step = _median(lambda: rerun(graph, point, wrt, UNLIMITED))
    w = point["w"]
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    t_val = _median(lambda: _cost(X, y, w))
    t_grad = _median(lambda: X.T @ (p - y))
    print(f"  a step's parts: engine value and gradient {t_step * 1e6:.0f} µs; "
          f"numpy C(w) {t_val * 1e6:.0f} µs + Xᵀ(p − y) {t_grad * 1e6:.0f} µs")


def _cost(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def _median(fn, n: int = 200) -> float:
    times = []
    for _ in range(n):
        t = CLOCK()
        fn()
        times.append(CLOCK() - t)
    return statistics.median(times)


if __name__ == "__main__":
    main()
