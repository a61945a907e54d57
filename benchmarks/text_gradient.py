"""Typed text to gradient, per node, against a minimal tape in the same process (issue 12, 1-3).

    python3 benchmarks/text_gradient.py [--sizes 10000,100000] [--before REV] [--rounds 3]

The three graph families of `engine.py` (chain, wide sum, random DAG) are written as statement
text, one statement a node (`v9 = v8 * y; v10 = sin(v9); ...`), and run as a new user would:
`evaluate(text, values, trace=False, limits=UNLIMITED).gradient`, also split into parsing
alone and the passes on the parsed graph; `GraphBuilder` op by op, then the gradient; and a
minimal tape (about sixty lines below: operator overloading on a slotted class, a list of
records, the chain rule inline) building the same graph and back-propagating. Times are CPU
time of the thread, medians; `/tape` are ratios of the medians in the same process. Memory is
the growth of the process's resident set while a graph parsed from text stays alive, in a fresh
child process, per node.

`--threshold` times `parse` of short statement programs (the chain's text, 5 to 300 statements)
with `engine.fast.reading` on and off, in this process: where it starts to pay is
`parser.FAST_LENGTH`.

With `--before REV` each round runs one fresh process per side (the working tree, and REV
unpacked with `git archive`) in alternating order, and the table shows both sides.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import operator
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trees import unpack  # benchmarks/trees.py: run as a script, its folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


# --- the floor: a minimal tape by operator overloading ----------------------------------------

class Tape:
    """A Wengert list: values, and (op, a, b) records; backward applies the chain rule inline."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.records: list[tuple[int, int, int]] = []

    def push(self, value: float, op: int, a: int, b: int) -> Var:
        self.values.append(value)
        self.records.append((op, a, b))
        return Var(self, len(self.values) - 1, value)

    def backward(self) -> list[float]:
        vals, grads = self.values, [0.0] * len(self.values)
        grads[-1] = 1.0
        for i in range(len(vals) - 1, -1, -1):
            op, a, b = self.records[i]
            g = grads[i]
            if op == 3:
                grads[a] += g * vals[b]
                grads[b] += g * vals[a]
            elif op == 1:
                grads[a] += g
                grads[b] += g
            elif op == 2:
                grads[a] += g
                grads[b] -= g
            elif op == 4:
                grads[a] += g * math.cos(vals[a])
            elif op == 5:
                grads[a] -= g * math.sin(vals[a])
            elif op == 6:
                grads[a] += g * (1.0 - vals[i] * vals[i])
        return grads


class Var:
    __slots__ = ("i", "tape", "v")

    def __init__(self, tape: Tape, i: int, v: float) -> None:
        self.tape, self.i, self.v = tape, i, v

    def __add__(self, o: Var) -> Var:
        return self.tape.push(self.v + o.v, 1, self.i, o.i)

    def __sub__(self, o: Var) -> Var:
        return self.tape.push(self.v - o.v, 2, self.i, o.i)

    def __mul__(self, o: Var) -> Var:
        return self.tape.push(self.v * o.v, 3, self.i, o.i)

    def sin(self) -> Var:
        return self.tape.push(math.sin(self.v), 4, self.i, -1)

    def cos(self) -> Var:
        return self.tape.push(math.cos(self.v), 5, self.i, -1)

    def tanh(self) -> Var:
        return self.tape.push(math.tanh(self.v), 6, self.i, -1)


TAPE_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
            "sin": Var.sin, "cos": Var.cos, "tanh": Var.tanh}


def tape_gradient(program) -> dict[str, float]:
    """Build the program's graph on a tape (the user's Python code), then its gradient."""
    tape, vs, names = Tape(), [], []
    for rec in program.nodes:
        if rec[0] == "var" or rec[0] == "const":
            value = program.values[rec[1]] if rec[0] == "var" else rec[1]
            vs.append(tape.push(value, 0, -1, -1))
            names.append(rec[1] if rec[0] == "var" else None)
        elif len(rec) == 2:
            vs.append(TAPE_OPS[rec[0]](vs[rec[1]]))
        else:
            vs.append(TAPE_OPS[rec[0]](vs[rec[1]], vs[rec[2]]))
    grads = tape.backward()
    return {name: grads[i] for i, name in enumerate(names) if name is not None}


# --- the programs as text ------------------------------------------------------------------------

SYMBOL = {"add": "+", "sub": "-", "mul": "*"}


def as_text(program) -> str:
    """One statement a node: `v9 = v8 * y`, `v10 = sin(v9)`; variables by name, constants typed."""
    refs, lines = [], []
    for i, rec in enumerate(program.nodes):
        if rec[0] == "var":
            refs.append(rec[1])
        elif rec[0] == "const":
            refs.append(repr(rec[1]))
        else:
            refs.append(f"v{i}")
            if len(rec) == 2:
                lines.append(f"v{i} = {rec[0]}({refs[rec[1]]})")
            else:
                lines.append(f"v{i} = {refs[rec[1]]} {SYMBOL[rec[0]]} {refs[rec[2]]}")
    return "\n".join(lines)


def load_families() -> dict:
    """The graph families of benchmarks/engine.py (a module that cannot be imported as `engine`)."""
    spec = importlib.util.spec_from_file_location("engine_benchmark", HERE / "engine.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["engine_benchmark"] = module  # its dataclasses look themselves up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.FAMILIES


def median_time(fn, reps: int) -> float:
    """The median of `reps` timed runs, after one untimed run where runs are short (many reps)."""
    if reps > 3:
        fn()
    times = []
    for _ in range(reps):
        gc.collect()
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def measure(tree: str, sizes: list[int], families: list[str]) -> dict[str, float]:
    """Per-node microseconds (and bytes) of every workload, in this process."""
    from engine import UNLIMITED, GraphBuilder, evaluate, forward, reverse
    from engine.parser import parse
    from engine.passes import gradient
    try:
        from engine.fast.plan import PLAN_AFTER
    except ImportError:  # a tree before session 8: its plan made at the first pass
        PLAN_AFTER = 0

    families_of = load_families()
    out: dict[str, float] = {}
    for fam in families:
        for n in sizes:
            program = families_of[fam](n)
            text = as_text(program)
            values = program.values
            reps = 7 if n <= 10_000 else 3  # 100,000 nodes: seconds a run on a busy machine
            ref = tape_gradient(program)
            got = evaluate(text, values, trace=False, limits=UNLIMITED).gradient
            assert all(math.isclose(got[k], ref[k], rel_tol=1e-6, abs_tol=1e-9) for k in ref), fam

            def builder(program=program, values=values):
                # The tape's own loop (`tape_gradient`): the same user code on both sides.
                b = GraphBuilder(max_nodes=None)
                ids = []
                for rec in program.nodes:
                    if rec[0] == "var":
                        ids.append(b.var(rec[1]))
                    elif rec[0] == "const":
                        ids.append(b.const(rec[1]))
                    elif len(rec) == 2:
                        ids.append(b.op(rec[0], ids[rec[1]]))
                    else:
                        ids.append(b.op(rec[0], ids[rec[1]], ids[rec[2]]))
                g = b.build(ids[-1])
                return gradient(g, reverse(g, forward(g, values)))

            graph = parse(text, UNLIMITED).graph
            for _ in range(PLAN_AFTER + 1):  # "passes": a graph evaluated again and again (plan made)
                evaluate(graph, values, trace=False)
            fig = {
                "tape": median_time(lambda p=program: tape_gradient(p), reps),
                "text": median_time(lambda t=text, v=values: evaluate(
                    t, v, trace=False, limits=UNLIMITED).gradient, reps),
                "parse": median_time(lambda t=text: parse(t, UNLIMITED), reps),
                "passes": median_time(lambda g=graph, v=values: evaluate(g, v, trace=False).gradient,
                                      reps),
                "builder": median_time(builder, reps),
            }
            for k, v in fig.items():
                out[f"{fam} {n} {k}"] = v / len(program) * 1e6
            # Memory in a fresh process: freed memory of the runs above would be reused.
            cmd = [sys.executable, __file__, "--rss", tree, "--sizes", str(n), "--families", fam]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            out[f"{fam} {n} rss"] = float(done.stdout.strip().splitlines()[-1])
    return out


def rss_per_node(family: str, n: int) -> float:
    """Growth of the resident set while a graph parsed from the family's text stays alive."""
    from engine import UNLIMITED
    from engine.parser import parse

    text = as_text(load_families()[family](n))
    gc.collect()
    base = rss()
    kept = parse(text, UNLIMITED).graph
    gc.collect()
    return (rss() - base) / len(kept)


def threshold() -> None:
    """µs per parse of short chain programs, the reader on and off (parser.FAST_LENGTH)."""
    from engine import UNLIMITED, parser

    chain = load_families()["chain"]
    print(f"{'chars':>6} {'reader':>8} {'parser':>8}   (µs a parse, medians)")
    for n in (8, 16, 32, 64, 128, 256, 512):
        text = as_text(chain(n))
        reps = max(20, 20_000 // n)
        times = {}
        for side, length in (("reader", 0), ("parser", 10**12)):
            saved, parser.FAST_LENGTH = parser.FAST_LENGTH, length
            try:
                times[side] = median_time(
                    lambda t=text, r=reps: [parser.parse(t, UNLIMITED) for _ in range(r)], 7)
            finally:
                parser.FAST_LENGTH = saved
        print(f"{len(text):>6} {times['reader'] / reps * 1e6:>8.1f} {times['parser'] / reps * 1e6:>8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--families", default="chain,wide,dag")
    ap.add_argument("--before", help="git revision to compare with (the working tree is after)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threshold", action="store_true", help="the reader against the parser on short text")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # a child: the tree to import
    ap.add_argument("--rss", help=argparse.SUPPRESS)  # a child measuring memory: the tree
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    families = args.families.split(",")
    if args.threshold:
        sys.path.insert(0, str(ROOT))
        threshold()
        return
    if args.rss:
        sys.path.insert(0, args.rss)
        print(rss_per_node(families[0], sizes[0]))
        return
    if args.measure:
        sys.path.insert(0, args.measure)
        print(json.dumps(measure(args.measure, sizes, families)))
        return
    sides = {"after": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            sides = {"before": unpack(args.before, tmp), **sides}
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for side in order:
                cmd = [sys.executable, __file__, "--measure", sides[side], "--sizes", args.sizes,
                       "--families", args.families]
                done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
                if done.returncode:
                    sys.exit(f"{side} failed:\n{done.stderr}")
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    cols = ["tape", "text", "parse", "passes", "builder"]
    print("per node: us (medians of the rounds' medians), text/tape and builder/tape, RSS bytes")
    print(f"{'side':6} {'family':6} {'nodes':>7} | " + " ".join(f"{c:>7}" for c in cols)
          + f" | {'text/tape':>9} {'bld/tape':>8} | {'RSS B':>6}")
    for fam in families:
        for n in sizes:
            for side in sides:
                med = {c: statistics.median(run[f"{fam} {n} {c}"] for run in runs[side])
                       for c in [*cols, "rss"]}
                print(f"{side:6} {fam:6} {n:>7} | " + " ".join(f"{med[c]:>7.2f}" for c in cols)
                      + f" | {med['text'] / med['tape']:>9.2f} {med['builder'] / med['tape']:>8.2f}"
                      f" | {med['rss']:>6.0f}")


if __name__ == "__main__":
    main()
