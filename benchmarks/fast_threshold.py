"""When engine.fast's plan pays: a graph's first untraced pass (`engine.fast.first`, lean loops,
no plan) against the plan's pass (numpy's locals and sweeps) on graphs of growing size, and what
making the plan costs. engine.fast.plan.PLAN_EDGES and PLAN_AFTER are set from this table: from
PLAN_EDGES edges a graph gets a plan after PLAN_AFTER first passes, about what making it costs
(issue 12, item 2: a plan never costs more than the pass it serves unless the graph is evaluated
again; a graph evaluated once never makes one).

    python3 benchmarks/fast_threshold.py

Medians of repeated runs in one process, the contestants in turns. `plan pass / first` below 1
means the plan's pass is faster; `make / first` is the plan's making in first passes;
`repaid after` is the number of further evaluations whose savings pay for it.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from before_after import built

from engine.fast import first, plan


def lean(graph, point):
    return first.gradients(graph, first.values(graph, point))


def planned(graph, point):
    return plan.gradients(graph, plan.values(graph, point))  # its plan made beforehand


def main() -> None:
    print(f"{'family':6} {'edges':>7} {'first µs':>9} {'plan pass / first':>18} {'make / first':>13}"
          f" {'repaid after':>13}")
    for kind in ("chain", "wide", "dag"):
        for n in (100, 300, 1_000, 3_000, 10_000):
            graph = built(kind, n)
            point = {v: 0.3 + 0.01 * k for k, v in enumerate(graph.variables)}
            plan.plan_of(graph)
            t_first, t_plan, t_make = [], [], []
            for _ in range(7):
                t0 = time.perf_counter()
                lean(graph, point)
                t_first.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                planned(graph, point)
                t_plan.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                plan.Plan(graph)
                t_make.append(time.perf_counter() - t0)
            f, p, m = (statistics.median(t) for t in (t_first, t_plan, t_make))
            repaid = f"{m / (f - p):.1f}" if f > p else "never"
            print(f"{kind:6} {graph.n_edges:7,} {f * 1e6:9.0f} {p / f:18.2f} {m / f:13.2f} {repaid:>13}")


if __name__ == "__main__":
    main()
