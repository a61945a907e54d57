"""Tensors against hand-written numpy: the lecture's logistic cost C(w) and its gradient.

    python3 benchmarks/tensors.py [--quick]

C(w) = −Σ yᵢ log σ(xᵢ·w) + (1 − yᵢ) log(1 − σ(xᵢ·w)), value and gradient, float64, one thread,
at 100,000 × 100 and 1,000,000 × 20 (--quick: a tenth of the rows). The baseline computes
p = σ(Xw), C and Xᵀ(p − y) by hand; chainrule evaluates the typed expression's graph (built
once) with w requiring a gradient, X and y as data. PyTorch, HIPS autograd and JAX run too when
installed. Times are medians of repeated runs, taken in turns; memory is the peak that
tracemalloc sees beyond the inputs (numpy reports its arrays to it), for chainrule in a call on
a new graph (later calls on the same graph write into the arrays it made, where nothing holds
them any more).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, for every contestant alike

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from engine import UNLIMITED, compile, evaluate  # noqa: E402

COST = "C = -sum(y * ln(sigmoid(X @ w)) + (1 - y) * ln(1 - sigmoid(X @ w)))"


def numpy_baseline(X, w, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    cost = -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return cost, X.T @ (p - y)


def engine_contestant():
    graph = compile(COST, UNLIMITED)

    def run(X, w, y):
        ev = evaluate(graph, {"X": X, "w": w, "y": y}, trace=False, limits=UNLIMITED,
                      requires_grad=["w"])
        return ev.value, ev.gradient["w"]
    return run


def optional_contestants() -> dict:
    out = {}
    try:
        import torch

        torch.set_num_threads(1)

        def run_torch(X, w, y):
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
            wt = torch.tensor(w, requires_grad=True)
            s = torch.sigmoid(Xt @ wt)
            cost = -torch.sum(yt * torch.log(s) + (1 - yt) * torch.log(1 - s))
            cost.backward()
            return float(cost), wt.grad.numpy()
        out["PyTorch"] = run_torch
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def cost_ag(w, X, y):
            s = 1 / (1 + anp.exp(-(X @ w)))
            return -anp.sum(y * anp.log(s) + (1 - y) * anp.log(1 - s))
        vg = autograd.value_and_grad(cost_ag)
        out["HIPS autograd"] = lambda X, w, y: vg(w, X, y)
    except ImportError:
        pass
    return out


def median_time(fn, args, reps: int) -> float:
    times = []
    for _ in range(reps):  # CPU time: other processes on a shared machine count as little as can be
        t0 = time.process_time()
        fn(*args)
        times.append(time.process_time() - t0)
    return statistics.median(times)


def peak_beyond_inputs(fn, args) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def threshold(reps: int) -> None:
    """Where the fused passes (engine.fast.tensors) start to pay: the logistic cost on n × 4
    data, untraced, fused against plain, for a graph met for the first time (its plan and
    kernels made in the run) and for one evaluated again."""
    from engine.fast import tensors

    default = tensors.FAST_WORK
    print(f"{'work':>9} {'plain ms':>9} {'fused, new graph':>17} {'fused, again':>13}")
    for n in (1_000, 3_000, 10_000, 30_000, 100_000):
        rng = np.random.default_rng(0)
        point = {"X": rng.normal(size=(n, 4)), "w": rng.normal(size=4), "y": rng.random(n)}
        work = 9 * n + 2  # the elements the cost's forward pass computes

        def run(graph, fused, point=point):
            tensors.FAST_WORK = 0 if fused else 10**18
            return evaluate(graph, point, trace=False, limits=UNLIMITED, requires_grad=["w"]).value
        again = compile(COST, UNLIMITED)
        run(again, True)
        times: dict[str, list[float]] = {"plain": [], "new": [], "again": []}
        for _ in range(reps):
            graph = compile(COST, UNLIMITED)
            times["plain"].append(median_time(lambda g=graph: run(g, False), (), 1))
            times["new"].append(median_time(lambda g=graph: run(g, True), (), 1))
            times["again"].append(median_time(lambda g=again: run(g, True), (), 1))
        plain = statistics.median(times["plain"])
        print(f"{work:>9,} {plain * 1e3:9.3f} {statistics.median(times['new']) / plain:16.2f}× "
              f"{statistics.median(times['again']) / plain:12.2f}×")
    tensors.FAST_WORK = default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threshold", action="store_true",
                    help="where the fused tensor passes start to pay (engine.fast.tensors.FAST_WORK)")
    args = ap.parse_args()
    if args.threshold:
        threshold(args.reps)
        return
    contestants = {"numpy by hand": numpy_baseline, "chainrule": engine_contestant(),
                   **optional_contestants()}
    sizes = [(100_000, 100), (1_000_000, 20)]
    if args.quick:
        sizes = [(n // 10, d) for n, d in sizes]
    print(f"{'rows × features':>16} {'contestant':>14} {'median ms':>10} {'× numpy':>8} "
          f"{'peak MB':>8} {'× inputs':>8}")
    for n, d in sizes:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, d))
        w = rng.normal(size=d) * 0.1
        y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(float)
        inputs = X.nbytes + w.nbytes + y.nbytes
        ref_cost, ref_grad = numpy_baseline(X, w, y)
        for name, fn in contestants.items():
            cost, grad = fn(X, w, y)
            assert abs(cost - ref_cost) <= 1e-9 * abs(ref_cost), name
            assert np.allclose(grad, ref_grad, rtol=1e-9, atol=1e-9 * np.abs(ref_grad).max()), name
        times: dict[str, list[float]] = {name: [] for name in contestants}
        for _ in range(args.reps):  # in turns, so noise falls on all alike
            for name, fn in contestants.items():
                times[name].append(median_time(fn, (X, w, y), 1))
        base = statistics.median(times["numpy by hand"])
        for name, fn in contestants.items():
            t = statistics.median(times[name])
            # A new graph for ours: its arrays, which later calls reuse, are made in this call.
            peak = peak_beyond_inputs(engine_contestant() if name == "chainrule" else fn, (X, w, y))
            print(f"{n:>9,} × {d:<4} {name:>14} {t * 1e3:10.2f} {t / base:8.2f} "
                  f"{peak / 1e6:8.1f} {peak / inputs:8.2f}")


if __name__ == "__main__":
    main()
