"""Where engine.fast starts to pay: the plain passes against the accelerator on graphs of growing
size, on a new graph (the accelerator makes its plan first: grad() on a fresh graph) and on a
graph evaluated again (its plan kept). passes.FAST_EDGES is set from this table.

    python3 benchmarks/fast_threshold.py

Medians of repeated runs in one process, the contestants in turns; a ratio below 1 means the
accelerator is faster.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from before_after import built

from engine import fast, passes
from engine.passes import forward, reverse


def plain(graph, point):
    saved, passes.FAST_EDGES = passes.FAST_EDGES, 10**18  # the plain loops, whatever the size
    try:
        return reverse(graph, forward(graph, point)).grads
    finally:
        passes.FAST_EDGES = saved


def accelerated(graph, point):
    return fast.gradients(graph, fast.values(graph, point))


def main() -> None:
    print(f"{'family':6} {'edges':>7} {'plain µs':>10} {'fast, new graph':>16} {'fast, again':>12}")
    for kind in ("chain", "wide", "dag"):
        for n in (100, 300, 1_000, 3_000, 10_000):
            graph = built(kind, n)
            point = {v: 0.3 + 0.01 * k for k, v in enumerate(graph.variables)}
            t_plain, t_new, t_again = [], [], []
            for _ in range(7):
                t0 = time.perf_counter()
                plain(graph, point)
                t_plain.append(time.perf_counter() - t0)
                fresh = built(kind, n)  # same structure, no plan yet
                t0 = time.perf_counter()
                accelerated(fresh, point)
                t_new.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                accelerated(fresh, point)
                t_again.append(time.perf_counter() - t0)
            p = statistics.median(t_plain)
            print(f"{kind:6} {graph.n_edges:7,} {p * 1e6:10.0f} "
                  f"{statistics.median(t_new) / p:16.2f} {statistics.median(t_again) / p:12.2f}")


if __name__ == "__main__":
    main()
