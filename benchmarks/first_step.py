"""A training run's cold first step against a later step, this tree's re-run entry beside an older
one, in one process and in turns (issue 11: the first step at most 3× a later one).

    python3 benchmarks/first_step.py [--before b35cf45] [--rounds 60] [--form sum]

`--before`'s `engine/fast/program.py` is loaded from git beside this tree's, both as modules of
engine.fast loaded the same way (the rest of the engine is this tree's). Three ways of a first
step, each round in a rotating order: the older entry on the graph compiled from the cost's text
(as sessions 5 and 6 timed it), this tree's on the same, and this tree's on the graph as a
training run makes it (`training.cost_graph`). Cold: before each first step, everything the
recorder keeps is forgotten (`forget()`: recipes and result types). The first step is the graph
made plus the first `rerun`; a later step, one of the five `rerun`s after it. CPU time of the
process, medians; the load average is printed beside.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import training  # noqa: E402
from engine import UNLIMITED, compile  # noqa: E402

CLOCK = time.process_time


def loaded(rev: str | None, folder: str):
    """`rev`'s engine/fast/program.py (this tree's for None) as a module of engine.fast, its
    relative imports this tree's. Both sides are loaded so, one after the other: the same file
    imported with the engine and loaded later measured 10-20% apart in this loop."""
    path = Path(folder) / f"program_{rev or 'tree'}.py"
    path.write_bytes((ROOT / "engine/fast/program.py").read_bytes() if rev is None else subprocess.run(
        ["git", "show", f"{rev}:engine/fast/program.py"], cwd=ROOT, check=True, capture_output=True).stdout)
    spec = importlib.util.spec_from_file_location(f"engine.fast._program_{rev or 'tree'}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    module.__package__ = "engine.fast"
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def first_and_later(entry, make, X, y) -> tuple[float, list[float]]:
    entry.forget()
    t0 = CLOCK()
    graph = make()
    w = np.zeros(X.shape[1])
    entry.rerun(graph, {"X": X, "y": y, "w": w}, ["w"], UNLIMITED)
    first = CLOCK() - t0
    later = []
    for _ in range(5):
        t0 = CLOCK()
        entry.rerun(graph, {"X": X, "y": y, "w": w}, ["w"], UNLIMITED)
        later.append(CLOCK() - t0)
    return first, later


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default="b35cf45")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--form", choices=["sum", "mean"], default="sum")
    a = ap.parse_args()
    ds = training.builtin(n_per_class=a.rows // 2)
    X = training.design_matrix(ds.features, training.Scaling.standard(ds.features))
    y = ds.labels
    text = training.cost_expression(a.form)
    with tempfile.TemporaryDirectory() as folder:
        before, tree = loaded(a.before, folder), loaded(None, folder)
        ways = {f"{a.before}, compile(text)": (before, lambda: compile(text, UNLIMITED)),
                "this tree, compile(text)": (tree, lambda: compile(text, UNLIMITED)),
                "this tree, cost_graph": (tree, lambda: training.cost_graph(a.form))}
        names = list(ways)
        for way in ways.values():  # warm: imports, numpy's first calls
            for _ in range(5):
                first_and_later(*way, X, y)
        firsts: dict[str, list[float]] = {k: [] for k in names}
        laters: dict[str, list[float]] = {k: [] for k in names}
        for r in range(a.rounds):
            for k in names[r % 3:] + names[:r % 3]:
                f, later = first_and_later(*ways[k], X, y)
                firsts[k].append(f)
                laters[k].extend(later)
    print(f"the cold first step, C(w) {a.form} on {len(y):,} points × {X.shape[1]} columns, "
          f"median of {a.rounds} rounds; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for k in names:
        f, later = statistics.median(firsts[k]), statistics.median(laters[k])
        print(f"  {k:28s} first {f * 1e6:5.0f} µs, a later step {later * 1e6:4.0f} µs: {f / later:.2f}×")


if __name__ == "__main__":
    main()
