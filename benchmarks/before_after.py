"""Before and after a change, on the paths people use, in one run: the web request, typed text to
gradient, and the library's big graphs.

    python3 benchmarks/before_after.py --before 8b62bd8 [--rounds 5] [--quick]

The `--before` revision is unpacked (`git archive`) into a temporary folder. Each round runs one
fresh process per side, in alternating order, and each process times every workload (median of
its repeats); the table shows each side's median over the rounds and after / before. Times are
CPU time of the process; noise from other processes falls on both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trees import unpack  # benchmarks/trees.py: run as a script, its folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "(x^2 + 2x) * ln(y)"
NAMED = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"
SUM_29 = " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, 30))  # 233 nodes


def statements(n: int) -> str:
    """`v0 = sin(x0); v1 = v0 * 1.0001; ...`: one statement a node, a chain."""
    lines = ["v0 = sin(x0)"]
    for i in range(1, n):
        lines.append(f"v{i} = v{i - 1} * 1.0001" if i % 2 else f"v{i} = sin(v{i - 1})")
    return "; ".join(lines)


def built(kind: str, n: int):
    """A graph of n nodes built op by op (GraphBuilder): a chain, a pairwise sum, a random DAG."""
    from engine import GraphBuilder

    rng = random.Random(n)
    b = GraphBuilder(max_nodes=None)
    xs = [b.var(f"x{k}") for k in range(8)]
    nodes = list(xs)
    if kind == "wide":
        level = [b.op("mul", xs[k % 8], b.const(1.0 + k / n)) for k in range(n // 2)]
        while len(level) > 1:
            level = [b.op("add", *level[k:k + 2]) if k + 1 < len(level) else level[k]
                     for k in range(0, len(level), 2)]
        return b.build(level[0])
    while len(nodes) < n:
        op = rng.choice(["add", "sub", "mul", "sin", "cos", "tanh"])
        a = nodes[-1]
        c = nodes[-1 - min(len(nodes) - 1, int(rng.expovariate(0.1)))] if kind == "dag" else rng.choice(xs)
        nodes.append(b.op(op, a) if op in ("sin", "cos", "tanh") else b.op(op, a, c))
    return b.build(nodes[-1])


def median_time(fn, reps: int) -> float:
    """The median CPU time of this process (all its threads: the web app's included), so that
    other processes on a shared machine count as little as they can."""
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def measure(quick: bool) -> dict[str, float]:
    """Every workload's median time in seconds, in this process (engine and app from sys.path)."""
    os.environ.update(CHAINRULE_LAYOUT_WARM_UP="false", CHAINRULE_SYMBOLIC_WARM_UP="false")
    from fastapi.testclient import TestClient

    import engine
    from app.main import create_app
    from engine import UNLIMITED, evaluate, forward, grad, reverse

    assert engine.__file__.startswith(sys.path[0]), f"{engine.__file__} is not from {sys.path[0]}"

    out: dict[str, float] = {}
    with TestClient(create_app()) as client:
        for name, expr, values in [("lecture", LECTURE, {"x": 1, "y": 2}),
                                   ("named", NAMED, {"x": 1, "y": 2}),
                                   ("sum-233", SUM_29, {"x": 0.5, "y": 2})]:
            for layout in (False, True):
                body = {"expression": expr, "values": values, "layout": layout}

                def post(body=body):
                    r = client.post("/api/v1/graph", json=body)
                    assert r.status_code == 200, r.text
                key = f"web POST /graph {name}{' +layout' if layout else ''}"
                out[key] = median_time(post, 30 if quick else 100)
    for n in (10_000,) if quick else (10_000, 100_000):
        text = statements(n)
        out[f"text -> gradient, {n:,} statements"] = median_time(
            lambda text=text: evaluate(text, {"x0": 0.3}, trace=False, limits=UNLIMITED).gradient,
            3 if n > 10_000 else 5)
    out["text -> gradient, lecture"] = median_time(lambda: grad(LECTURE, x=1, y=2), 2000)
    out["evaluate + trace dicts, sum-233"] = median_time(
        lambda: evaluate(SUM_29, {"x": 0.5, "y": 2}).trace(), 100)
    for kind in ("chain", "wide", "dag"):
        for n in (10_000,) if quick else (10_000, 100_000):
            graph = built(kind, n)
            point = {v: 0.3 + 0.01 * k for k, v in enumerate(graph.variables)}
            out[f"library {kind} {n:,}: forward + reverse"] = median_time(
                lambda g=graph, p=point: reverse(g, forward(g, p)), 5 if n > 10_000 else 11)
            out[f"library {kind} {n:,}: first gradient (new graph)"] = median_time(
                lambda k=kind, n=n, p=point: (lambda g: reverse(g, forward(g, p)))(built(k, n)),
                3) - median_time(lambda k=kind, n=n: built(k, n), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="git revision to compare with (the working tree is after)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="10,000-node sizes only, fewer repeats")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # a child process: the tree to import
    args = ap.parse_args()
    if args.measure:
        sys.path.insert(0, args.measure)
        print(json.dumps(measure(args.quick)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"before": unpack(args.before, tmp), "after": str(ROOT)}
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for r in range(args.rounds):
            for side in (("before", "after") if r % 2 == 0 else ("after", "before")):
                quick = ["--quick"] if args.quick else []
                cmd = [sys.executable, __file__, "--measure", sides[side], *quick]
                done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
                if done.returncode:
                    sys.exit(f"{side} failed:\n{done.stderr}")
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    print(f"{'workload':58} {'before':>10} {'after':>10} {'after/before':>12}")
    for key in runs["after"][0]:
        b = statistics.median(run[key] for run in runs["before"])
        a = statistics.median(run[key] for run in runs["after"])
        print(f"{key:58} {b * 1e3:8.3f}ms {a * 1e3:8.3f}ms {a / b:12.2f}")


if __name__ == "__main__":
    main()
