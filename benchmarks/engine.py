"""Speed and memory of the engine's passes, as ratios against baselines run in the same process.

Run from the repository root: `python3 benchmarks/engine.py [--quick] [--lecture]` (issue 2,
section 9); `--lecture` runs only the lecture's example against PyTorch.

Three graph families (a deep chain, a wide sum over shared inputs, a seeded random DAG with
reuse) at 100 ... 100,000 nodes are written once as a *program* (a list of node records) and
run by every contestant: chainrule's engine; a minimal reverse-mode tape written below (the
floor for pure Python); micrograd and PyTorch when they are installed. Times are medians of
repeated runs with the garbage collector on, as users run it; the contestants take turns in
each round so that noise from other processes falls on all of them alike.

What "forward" means differs by design and is reported as such: the engine evaluates a graph
it has already built (building is its own column); a tape, micrograd and PyTorch eager build
their graph while they compute, so their forward includes recording.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import math
import operator
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Importable without installing the project.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from engine import GraphBuilder, evaluate, forward, reverse
from engine.fast.plan import plan_of
from engine.parser import parse
from engine.views import forward_events, reverse_events

try:  # optional baselines: never required
    import micrograd.engine as micrograd
except ImportError:
    micrograd = None
try:
    import torch
except ImportError:
    torch = None

LECTURE = "(x^2 + 2x) * ln(y)"
UNARY = ("sin", "cos", "tanh")


# --- the graphs -------------------------------------------------------------------------------

@dataclass
class Program:
    """Node records in topological order: ("var", name), ("const", value), (op, a) or (op, a, b),
    where a and b index earlier records. No two records are alike, so sharing identical
    subexpressions (which the engine does) leaves every contestant with the same graph."""

    family: str
    nodes: list[tuple]
    values: dict[str, float]

    def __len__(self) -> int:
        return len(self.nodes)


def chain(n: int) -> Program:
    """Depth ~ n: each node uses the previous one (and x, y or a constant)."""
    nodes: list[tuple] = [("var", "x"), ("var", "y"), ("const", 2.0)]
    steps = [("mul", 1), ("add", 2), ("sin", None), ("sub", 0), ("tanh", None)]
    k = 0
    while len(nodes) < n:
        op, other = steps[k % len(steps)]
        prev = len(nodes) - 1
        nodes.append((op, prev) if other is None else (op, prev, other))
        k += 1
    return Program("chain", nodes, {"x": 0.5, "y": 0.9})


def wide(n: int, seed: int = 1) -> Program:
    """m ~ sqrt(n) inputs, each used by ~sqrt(n) products x_i * x_j, summed pairwise (depth log n)."""
    m = 2
    while m * (m - 1) // 2 < (n - m + 1) // 2:
        m += 1
    terms = max(1, (n - m + 1) // 2)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    random.Random(seed).shuffle(pairs)
    nodes: list[tuple] = [("var", f"x{i}") for i in range(m)]
    level = []
    for i, j in pairs[:terms]:
        nodes.append(("mul", i, j))
        level.append(len(nodes) - 1)
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level) - 1, 2):
            nodes.append(("add", level[k], level[k + 1]))
            nxt.append(len(nodes) - 1)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return Program("wide", nodes, {f"x{i}": 0.5 + 0.5 * math.sin(i) for i in range(m)})


def dag(n: int, seed: int = 2) -> Program:
    """8 inputs; each node takes an op at random and inputs mostly from recent nodes, reusing
    many of them. Every node feeds a later one, so all are ancestors of the output."""
    rng = random.Random(seed)
    nodes: list[tuple] = [("var", f"w{i}") for i in range(8)]
    seen: set[tuple] = set()
    unused = list(range(8))  # nodes no record reads yet, oldest first
    # cos keeps values away from 0 and products from underflowing; values stay within ~1e5.
    ops = ["add"] * 4 + ["sub"] * 2 + ["mul"] * 4 + ["sin"] * 3 + ["cos"] * 4 + ["tanh"] * 3
    while len(nodes) < n - len(unused) + 1 or len(unused) > 1:
        i = len(nodes)
        if len(nodes) >= n - len(unused) + 1:  # close: sum what no one uses yet
            rec = ("add", unused.pop(0), unused.pop(0))
        else:
            op = rng.choice(ops)
            a = unused.pop(0) if unused else i - 1 - min(i - 1, int(rng.expovariate(0.1)))
            b = i - 1 - min(i - 1, int(rng.expovariate(0.05)))
            rec = (op, a) if op in UNARY else (op, a, b)
            while rec in seen:
                b = rng.randrange(i)
                rec = (op, b) if op in UNARY else (op, a, b)
        for s in rec[1:]:
            if s in unused:
                unused.remove(s)
        seen.add(rec)
        nodes.append(rec)
        unused.append(i)
    return Program("dag", nodes, {f"w{i}": 0.3 * (i - 3.5) for i in range(8)})


FAMILIES: dict[str, Callable[[int], Program]] = {"chain": chain, "wide": wide, "dag": dag}


# --- the floor: a minimal reverse-mode tape ---------------------------------------------------

LEAF, ADD, SUB, MUL, SIN, COS, TANH = range(7)


class Tape:
    """A Wengert list: each op computes its float and appends an (op, a, b) record; backward
    walks the records once in reverse with the chain rule written inline. Nothing more."""

    __slots__ = ("records", "values")

    def __init__(self) -> None:
        self.values: list[float] = []
        self.records: list[tuple[int, int, int]] = []

    def leaf(self, value: float) -> None:
        self.values.append(value)
        self.records.append((LEAF, -1, -1))

    def add(self, a: int, b: int) -> None:
        v = self.values
        v.append(v[a] + v[b])
        self.records.append((ADD, a, b))

    def sub(self, a: int, b: int) -> None:
        v = self.values
        v.append(v[a] - v[b])
        self.records.append((SUB, a, b))

    def mul(self, a: int, b: int) -> None:
        v = self.values
        v.append(v[a] * v[b])
        self.records.append((MUL, a, b))

    def sin(self, a: int) -> None:
        v = self.values
        v.append(math.sin(v[a]))
        self.records.append((SIN, a, -1))

    def cos(self, a: int) -> None:
        v = self.values
        v.append(math.cos(v[a]))
        self.records.append((COS, a, -1))

    def tanh(self, a: int) -> None:
        v = self.values
        v.append(math.tanh(v[a]))
        self.records.append((TANH, a, -1))

    def backward(self) -> list[float]:
        """d last value / d every value."""
        vals, recs = self.values, self.records
        grads = [0.0] * len(vals)
        grads[-1] = 1.0
        for i in range(len(recs) - 1, -1, -1):
            op, a, b = recs[i]
            g = grads[i]
            if op == MUL:
                grads[a] += g * vals[b]
                grads[b] += g * vals[a]
            elif op == ADD:
                grads[a] += g
                grads[b] += g
            elif op == SUB:
                grads[a] += g
                grads[b] -= g
            elif op == SIN:
                grads[a] += g * math.cos(vals[a])
            elif op == COS:
                grads[a] -= g * math.sin(vals[a])
            elif op == TANH:
                y = vals[i]
                grads[a] += g * (1.0 - y * y)
        return grads


# --- contestants ------------------------------------------------------------------------------
# Each has a name and run() -> (forward seconds, reverse seconds, value, {variable: gradient});
# the baselines also record(): their forward alone, returning what holds their graph.

def clock() -> float:
    """This thread's CPU time: other processes on a shared machine do not count against a run."""
    return time.thread_time()


def calls(program: Program, table: dict[str, Callable]) -> list[tuple]:
    """(function, a, b) per record, b = -1 for one argument; leaves as ("var"|"const", x, 0)."""
    out = []
    for rec in program.nodes:
        if rec[0] in ("var", "const"):
            out.append((rec[0], rec[1], 0))
        else:
            out.append((table[rec[0]], rec[1], rec[2] if len(rec) == 3 else -1))
    return out


def build_engine(program: Program):
    """The engine's graph for a program, and the passes' plan for it (which the first pass
    would otherwise build): both count as building."""
    b = GraphBuilder(max_nodes=None)
    ids = []
    for rec in program.nodes:
        kind = rec[0]
        if kind == "var":
            ids.append(b.var(rec[1]))
        elif kind == "const":
            ids.append(b.const(rec[1]))
        else:
            ids.append(b.op(kind, *[ids[s] for s in rec[1:]]))
    graph = b.build(ids[-1])
    plan_of(graph)
    return graph


class Engine:
    def __init__(self, program: Program, trace: bool = False) -> None:
        self.graph = build_engine(program)
        self.values = program.values
        self.trace = trace
        self.name = "chainrule+trace" if trace else "chainrule"

    def run(self):
        g, trace = self.graph, self.trace
        t0 = clock()
        fwd = forward(g, self.values, trace=trace)
        t1 = clock()
        rev = reverse(g, fwd, trace=trace)
        t2 = clock()
        grads = {name: rev.grads[i] for name, i in zip(g.variables, g.var_nodes)}
        return t1 - t0, t2 - t1, fwd.values[g.output], grads


class Baseline:
    """A contestant that builds its graph while it computes (define-by-run)."""

    name = ""
    table: dict[str, Callable] = {}  # noqa: RUF012 (set per subclass)

    def __init__(self, program: Program) -> None:
        self.calls = calls(program, self.table)
        self.values = program.values
        self.vars = [(rec[1], i) for i, rec in enumerate(program.nodes) if rec[0] == "var"]

    def record(self):
        raise NotImplementedError

    def backward(self, graph) -> tuple[float, dict[str, float]]:
        raise NotImplementedError

    def run(self):
        t0 = clock()
        graph = self.record()
        t1 = clock()
        value, grads = self.backward(graph)
        t2 = clock()
        return t1 - t0, t2 - t1, value, grads


class TapeRun(Baseline):
    name = "tape"
    table = {"add": Tape.add, "sub": Tape.sub, "mul": Tape.mul, "sin": Tape.sin,  # noqa: RUF012
             "cos": Tape.cos, "tanh": Tape.tanh}

    def record(self) -> Tape:
        values, tape = self.values, Tape()
        for f, a, b in self.calls:
            if f == "var":
                tape.leaf(values[a])
            elif f == "const":
                tape.leaf(a)
            elif b < 0:
                f(tape, a)
            else:
                f(tape, a, b)
        return tape

    def backward(self, tape: Tape):
        grads = tape.backward()
        return tape.values[-1], {name: grads[i] for name, i in self.vars}


def _mg_unary(fn: Callable, deriv: Callable, label: str) -> Callable:
    """A unary op for micrograd in its own style (a closure holding its output)."""
    def op(v):
        out = micrograd.Value(fn(v.data), (v,), label)

        def _backward():
            v.grad += deriv(v.data, out.data) * out.grad
        out._backward = _backward
        return out
    return op


class MicrogradRun(Baseline):
    name = "micrograd"

    def __init__(self, program: Program) -> None:
        self.table = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                      "sin": _mg_unary(math.sin, lambda a, o: math.cos(a), "sin"),
                      "cos": _mg_unary(math.cos, lambda a, o: -math.sin(a), "cos"),
                      "tanh": _mg_unary(math.tanh, lambda a, o: 1.0 - o * o, "tanh")}
        super().__init__(program)

    def record(self) -> list:
        Value, values, v = micrograd.Value, self.values, []
        for f, a, b in self.calls:
            if f == "var":
                v.append(Value(values[a]))
            elif f == "const":
                v.append(Value(a))
            elif b < 0:
                v.append(f(v[a]))
            else:
                v.append(f(v[a], v[b]))
        return v

    def backward(self, v: list):
        v[-1].backward()  # a recursive topological sort: RecursionError on deep graphs
        return v[-1].data, {name: v[i].grad for name, i in self.vars}


class TorchRun(Baseline):
    name = "pytorch"

    def __init__(self, program: Program) -> None:
        self.table = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "sin": torch.sin,
                      "cos": torch.cos, "tanh": torch.tanh}
        super().__init__(program)
        # Ready tensors: leaves are made once, as a user's inputs would be.
        self.leaves = {}
        for i, rec in enumerate(program.nodes):
            if rec[0] == "var":
                self.leaves[i] = torch.tensor(program.values[rec[1]], dtype=torch.float64,
                                              requires_grad=True)
            elif rec[0] == "const":
                self.leaves[i] = torch.tensor(rec[1], dtype=torch.float64)

    def record(self) -> list:
        leaves, v = self.leaves, []
        for i, (f, a, b) in enumerate(self.calls):
            if f in ("var", "const"):
                v.append(leaves[i])
            elif b < 0:
                v.append(f(v[a]))
            else:
                v.append(f(v[a], v[b]))
        return v

    def backward(self, v: list):
        grads = torch.autograd.grad(v[-1], [v[i] for _, i in self.vars])
        return v[-1].item(), {name: g.item() for (name, _), g in zip(self.vars, grads)}


# --- measuring --------------------------------------------------------------------------------

@dataclass
class Figures:
    """Medians in seconds per run, or why the contestant could not run."""

    fwd: float = math.nan
    rev: float = math.nan
    total: float = math.nan
    error: str = ""
    samples: list[tuple[float, float]] = field(default_factory=list)

    def finish(self) -> None:
        if self.samples:
            self.fwd = statistics.median(s[0] for s in self.samples)
            self.rev = statistics.median(s[1] for s in self.samples)
            self.total = statistics.median(s[0] + s[1] for s in self.samples)


def agree(value: float, grads: dict[str, float], ref: tuple[float, dict[str, float]]) -> bool:
    """Same value and gradient as the reference, to 1e-6 of the largest: a random DAG's
    gradient is a sum over very many paths, where math's and PyTorch's last bits differ."""
    scale = max([abs(ref[0]), *map(abs, ref[1].values()), 1e-300])
    return abs(value - ref[0]) <= 1e-6 * max(abs(ref[0]), 1e-300) and all(
        abs(grads[k] - ref[1][k]) <= 1e-6 * scale for k in ref[1])


def race(contestants: list, rounds: int, block: int) -> dict[str, Figures]:
    """Time every contestant `rounds` × `block` times and check they all agree with the first.

    The contestants take turns by rounds, so that noise from other processes falls on all of
    them; within its turn each runs `block` times in a row after an untimed warm-up run, as a
    loop that evaluates a function again and again would: its own data in the CPU caches, its
    own garbage (micrograd's closures hold their outputs: reference cycles) collected during
    its own runs. The collector is emptied before each turn, and stays on.
    """
    figures = {c.name: Figures() for c in contestants}
    reference = None
    for _ in range(rounds):
        for c in contestants:
            fig = figures[c.name]
            if fig.error:
                continue
            gc.collect()
            for k in range(block + 1):
                try:
                    t_fwd, t_rev, value, grads = c.run()
                except RecursionError:
                    fig.error = "RecursionError"
                    break
                if reference is None:
                    reference = (value, grads)
                elif not agree(value, grads, reference):
                    fig.error = "disagrees"
                    break
                if k:
                    fig.samples.append((t_fwd, t_rev))
    for fig in figures.values():
        fig.finish()
    return figures


def time_build(program: Program, reps: int) -> float:
    """Building the graph (GraphBuilder, build) and the passes' plan for it."""
    gc.collect()
    times = []
    for k in range(reps + 1):
        t0 = clock()
        build_engine(program)
        if k:  # the first is a warm-up
            times.append(clock() - t0)
    return statistics.median(times)


def time_json_trace(engine: Engine, reps: int) -> float:
    """Forward + reverse with the trace, then the trace as JSON-ready dicts (engine.views)."""
    g, values = engine.graph, engine.values
    gc.collect()
    times = []
    for k in range(reps + 1):
        t0 = clock()
        fwd = forward(g, values, trace=True)
        rev = reverse(g, fwd, trace=True)
        forward_events(fwd)
        reverse_events(rev)
        if k:
            times.append(clock() - t0)
    return statistics.median(times)


def traced_bytes(make: Callable[[], object]) -> tuple[int, object]:
    """Bytes Python allocated for what `make` returns and keeps (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = make()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def malloc_bytes() -> int | None:
    """Bytes in use from C's malloc (glibc), which PyTorch allocates with; None elsewhere."""
    try:
        fn = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    info = fn()
    return info.uordblks + info.hblkhd


def memory(program: Program) -> dict[str, float]:
    """Bytes per node that each contestant keeps to be able to run its reverse pass; and, for
    the engine, what a forward and a reverse pass with the trace keep besides ("trace")."""
    n = len(program)
    out: dict[str, float] = {}
    size, graph = traced_bytes(lambda: build_engine(program))
    out["chainrule"] = size / n
    size, _ = traced_bytes(lambda: reverse(graph, forward(graph, program.values, trace=True),
                                           trace=True))
    out["trace"] = size / n
    tape = TapeRun(program)
    out["tape"] = traced_bytes(tape.record)[0] / n
    if micrograd is not None:
        mg = MicrogradRun(program)
        out["micrograd"] = traced_bytes(lambda: mg.record()[-1])[0] / n  # the output holds it all
    if torch is not None and malloc_bytes() is not None:
        # PyTorch allocates in C++, out of tracemalloc's sight: C's malloc counters for that,
        # and tracemalloc, in a second build, for its Python objects.
        pt = TorchRun(program)
        gc.collect()
        before = malloc_bytes()
        kept = pt.record()[-1]  # the output holds the autograd graph
        c_side = malloc_bytes() - before  # type: ignore[operator]
        del kept
        out["pytorch"] = (c_side + traced_bytes(lambda: pt.record()[-1])[0]) / n
    return out


def lecture(reps: int) -> dict[str, float]:
    """The lecture's example end to end, in seconds per call (medians of batches)."""
    point = {"x": 1.0, "y": 2.0}
    compiled = parse(LECTURE).graph  # what a cache of parsed expressions would hand back

    def eng():
        ev = evaluate(LECTURE, point)  # parse, build, forward, reverse, both traced
        return ev.value, ev.gradient

    def eng_json():
        ev = evaluate(LECTURE, point)
        return ev.value, ev.gradient, ev.trace()

    fns: dict[str, Callable] = {
        "chainrule evaluate": eng,
        "chainrule evaluate + trace() as dicts": eng_json,
        "  of which parsing (engine.parser.parse)": lambda: parse(LECTURE),
        "chainrule evaluate, graph already parsed": lambda: evaluate(compiled, point),
    }
    if torch is not None:
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)

        def pt():
            f = (x**2 + 2 * x) * torch.log(y)
            gx, gy = torch.autograd.grad(f, (x, y))
            return f.item(), {"x": gx.item(), "y": gy.item()}
        fns["pytorch eager, ready tensors"] = pt
        assert agree(*pt(), eng())
    samples: dict[str, list[float]] = {k: [] for k in fns}
    batch = 200
    for _ in range(reps):
        for k, f in fns.items():
            t0 = clock()
            for _ in range(batch):
                f()
            samples[k].append((clock() - t0) / batch)
    return {k: statistics.median(v) for k, v in samples.items()}


# --- report -----------------------------------------------------------------------------------

@dataclass
class Row:
    family: str
    n: int
    figs: dict[str, Figures]
    build: float
    json_trace: float
    mem: dict[str, float]

    def per_node(self, name: str, part: str = "total") -> str:
        fig = self.figs.get(name)
        if fig is None:
            return "-"
        return fig.error or f"{getattr(fig, part) / self.n * 1e6:.3f}"

    def ratio(self, a: str, b: str, part_a: str = "total", part_b: str = "total") -> float:
        return getattr(self.figs[a], part_a) / getattr(self.figs[b], part_b)


def print_engine_row(row: Row, header: bool) -> None:
    if header:
        print("chainrule, per node: us, and bytes (B)")
        print(f"{'family':6} {'nodes':>7} | {'build':>6} {'fwd':>6} {'rev':>6} {'f+r':>6} {'+trace':>6} "
              f"{'dicts':>6} | {'rev/fwd':>7} {'f+r/tape':>8} {'+trace/tape':>11} | {'graph B':>7} "
              f"{'trace B':>7}")
    e = row.figs["chainrule"]
    print(f"{row.family:6} {row.n:>7} | {row.build / row.n * 1e6:>6.3f} "
          f"{row.per_node('chainrule', 'fwd'):>6} {row.per_node('chainrule', 'rev'):>6} "
          f"{row.per_node('chainrule'):>6} "
          f"{row.per_node('chainrule+trace'):>6} {row.json_trace / row.n * 1e6:>6.3f} | "
          f"{e.rev / e.fwd:>7.2f} {row.ratio('chainrule', 'tape'):>8.2f} "
          f"{row.ratio('chainrule+trace', 'tape'):>11.2f} | {row.mem['chainrule']:>7.0f} "
          f"{row.mem['trace']:>7.0f}", flush=True)


def print_baselines(rows: list[Row]) -> None:
    print("\nbaselines, per node: us (their forward records the graph), and bytes (B) of graph")
    print(f"{'family':6} {'nodes':>7} | {'tape fwd':>8} {'rev':>6} {'f+r':>6} | {'micrograd':>14} | "
          f"{'pytorch fwd':>11} {'rev':>6} {'f+r':>6} | {'tape B':>6} {'mgrad B':>7} {'torch B':>7}")
    for r in rows:
        print(f"{r.family:6} {r.n:>7} | {r.per_node('tape', 'fwd'):>8} {r.per_node('tape', 'rev'):>6} "
              f"{r.per_node('tape'):>6} | {r.per_node('micrograd'):>14} | "
              f"{r.per_node('pytorch', 'fwd'):>11} {r.per_node('pytorch', 'rev'):>6} "
              f"{r.per_node('pytorch'):>6} | {r.mem['tape']:>6.0f} "
              f"{r.mem.get('micrograd', math.nan):>7.0f} {r.mem.get('pytorch', math.nan):>7.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes up to 10,000 and fewer repeats")
    ap.add_argument("--families", default="chain,wide,dag")
    ap.add_argument("--lecture", action="store_true",
                    help="only the lecture's example against PyTorch (a few seconds)")
    args = ap.parse_args()
    sizes = [100, 1_000, 10_000] if args.quick else [100, 1_000, 10_000, 100_000]
    # (rounds, runs per turn) by size: about the same time per size.
    reps = {100: (5, 20), 1_000: (5, 6), 10_000: (3, 3), 100_000: (3, 1)}
    if args.quick:
        reps = {100: (3, 10), 1_000: (3, 3), 10_000: (3, 1)}
    if torch is not None:
        torch.set_num_threads(1)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}; micrograd {'yes' if micrograd else 'not installed'}; "
          f"pytorch {torch.__version__ if torch else 'not installed'}")
    print("medians of the thread's CPU time, garbage collector on\n")

    rows: list[Row] = []
    for fam in args.families.split(",") if not args.lecture else []:
        for n in sizes:
            program = FAMILIES[fam](n)
            rounds, block = reps[n]
            engine = Engine(program)
            assert len(engine.graph) == len(program), "the engine merged or dropped nodes"
            contestants = [engine, Engine(program, trace=True), TapeRun(program)]
            if micrograd is not None:
                contestants.append(MicrogradRun(program))
            if torch is not None:
                contestants.append(TorchRun(program))
            figs = race(contestants, rounds, block)
            runs = max(3, rounds * block // 2)
            rows.append(Row(fam, len(program), figs, time_build(program, runs),
                            time_json_trace(engine, runs), memory(program)))
            print_engine_row(rows[-1], header=len(rows) == 1)
    if rows:
        print_baselines(rows)
    targets(rows, lecture(15 if not args.quick else 5))


def targets(rows: list[Row], lec: dict[str, float]) -> None:
    print("\nthe lecture's example end to end (parse, build, forward, reverse, trace), us per call:")
    for k, v in lec.items():
        print(f"  {k:42} {v * 1e6:8.1f}")
    print("\ntargets (issue 2, section 9), the worst family at 10,000 and 100,000 nodes:")

    def check(label: str, value: float, limit: float, where: str = "", at_least: bool = False) -> None:
        ok = value >= limit if at_least else value <= limit
        print(f"  [{'met' if ok else 'MISSED':6}] {label:50} {value:7.2f} "
              f"(target {'>=' if at_least else '<='} {limit:g}) {where}")

    def worst(label: str, of: Callable[[Row], float], limit: float) -> None:
        big = [r for r in rows if r.n >= 10_000]
        if big:
            r = max(big, key=of)
            check(label, of(r), limit, f"{r.family} {r.n}")

    worst("forward+reverse, no trace / tape", lambda r: r.ratio("chainrule", "tape"), 2)
    worst("forward+reverse with the trace / tape", lambda r: r.ratio("chainrule+trace", "tape"), 4)
    worst("reverse / forward, no trace", lambda r: r.ratio("chainrule", "chainrule", "rev", "fwd"), 1)
    worst("graph memory, bytes per node", lambda r: r.mem["chainrule"], 300)
    growth = {}
    for r in rows:
        if r.n >= 100_000:
            small = [q for q in rows if q.family == r.family and 10_000 <= q.n < 100_000]
            if small:
                growth[r.family] = (r.figs["chainrule"].total / r.n) / (small[0].figs["chainrule"].total
                                                                        / small[0].n)
    if growth:
        fam = max(growth, key=growth.__getitem__)
        check("per-node cost, 100,000 / 10,000 nodes", growth[fam], 1.5, fam)
    if "pytorch eager, ready tensors" in lec:
        check("lecture example, pytorch time / chainrule time",
              lec["pytorch eager, ready tensors"] / lec["chainrule evaluate"], 2, at_least=True)


if __name__ == "__main__":
    main()
