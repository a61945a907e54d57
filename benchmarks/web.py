"""The web response against the floor, in one process: building and encoding the body of
POST /api/v1/graph (text in, bytes out: parsing, the passes with their trace, nodes, edges, the
cached layout, JSON) per node, against a minimal tape's build + forward + backward of the same
graph (issue 12, item 4: at most 10x). Both forms of the body: the objects body (the default)
and the compact one (`format: "compact"`, app/compact.py: nodes and edges as columns, the trace
as rows), each for the same text again and for a text seen first.

    python3 benchmarks/web.py [--rounds 7]                 # this tree
    python3 benchmarks/web.py --before 9a1d5f0 [--rounds 7]  # a git revision against this tree
    python3 benchmarks/web.py --server [--before 9a1d5f0] [--rounds 3]  # a user's wait, over HTTP
    python3 benchmarks/web.py --memory [--before 9a1d5f0] [--rounds 5]  # a 1,000-node body's peak

The tape is the issue's: about sixty lines of pure Python that build the graph by operator
overloading (each op makes a `Var` and appends it to a list), then walk the list backwards with
the chain rule. It runs the engine's own graph (same ops, same order), so both compute the same
value and gradient (checked). The records tape of benchmarks/engine.py (flat tuples, no objects)
is shown too, as a lower floor.

Times are CPU time of the process (`time.process_time`), medians; contestants take turns in
rounds, each a few runs in a row after `gc.collect()`, the collector on. With `--before`, each
round runs one fresh process per side, in alternating order.

`--server` times what a user waits for instead: POST /api/v1/graph to a real `chainrule serve`
(httpx, wall time, medians) for the sum of 29 terms, each request with constants not seen
before (the layout made by Graphviz: uncached), the same structure again at a new point
(layout cached; the second sight of the text, which makes its body's template) and a third time
(a slider: the template kept). Each round starts each tree's server in turn (alternating order).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from programs import sized_expression  # benchmarks/: run as a script, its folder is on sys.path
from trees import unpack

ROOT = Path(__file__).resolve().parent.parent


def statements(n: int) -> str:
    lines = ["v0 = sin(x0)"] + [f"v{i} = v{i - 1} * 1.0001" if i % 2 else f"v{i} = sin(v{i - 1})"
                                for i in range(1, n)]
    return "; ".join(lines)


def terms(n: int) -> str:
    return " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, n + 1))


#: name, expression, point. "sum-233" is the issue's example (29 terms); "page-528" the page
#: benchmark's 528-node program (issue 12 item 6: each keystroke into it is a first sight).
CASES = [
    ("lecture", "(x^2 + 2x) * ln(y)", {"x": 1.0, "y": 2.0}),
    ("sum-233", terms(29), {"x": 0.5, "y": 2.0}),
    ("sum-953", terms(119), {"x": 0.5, "y": 2.0}),
    ("chain-600", statements(400), {"x0": 0.3}),
    ("page-528", sized_expression(503), {"x": 0.5, "y": 0.7}),
]


# --- the floor: a minimal tape, by operator overloading ---------------------------------------

class Var:
    """A value on the tape with its parents and each one's local derivative."""

    __slots__ = ("grad", "parents", "value")
    tape: list[Var] = []  # noqa: RUF012 (the one tape, reset per run)

    def __init__(self, value: float, parents: tuple = ()) -> None:
        self.value, self.grad, self.parents = value, 0.0, parents
        Var.tape.append(self)

    def __add__(self, o: Var) -> Var:
        return Var(self.value + o.value, ((self, 1.0), (o, 1.0)))

    def __sub__(self, o: Var) -> Var:
        return Var(self.value - o.value, ((self, 1.0), (o, -1.0)))

    def __mul__(self, o: Var) -> Var:
        return Var(self.value * o.value, ((self, o.value), (o, self.value)))

    def __truediv__(self, o: Var) -> Var:
        return Var(self.value / o.value, ((self, 1.0 / o.value), (o, -self.value / o.value ** 2)))

    def __pow__(self, o: Var) -> Var:
        v = self.value ** o.value
        return Var(v, ((self, o.value * self.value ** (o.value - 1)), (o, v * math.log(self.value))))

    def sin(self) -> Var:
        return Var(math.sin(self.value), ((self, math.cos(self.value)),))

    def ln(self) -> Var:
        return Var(math.log(self.value), ((self, 1.0 / self.value),))


def backward(out: Var) -> None:
    out.grad = 1.0
    for v in reversed(Var.tape):
        for p, local in v.parents:
            p.grad += local * v.grad


OO_OPS: dict[str, Callable] = {"add": Var.__add__, "sub": Var.__sub__, "mul": Var.__mul__,
                               "div": Var.__truediv__, "pow": Var.__pow__, "sin": Var.sin, "ln": Var.ln}


def program(graph, point: dict[str, float]) -> list[tuple]:
    """The engine's graph as records: ("leaf", value) or (op function name, argument indices)."""
    out = []
    for i in range(len(graph)):
        op = graph.op_name(i)
        if op in ("var", "const"):
            out.append(("leaf", point[graph.leaf[i]] if op == "var" else graph.leaf[i]))
        elif op not in OO_OPS:
            raise SystemExit(f"the tape has no {op}")
        else:
            out.append((op, *graph.inputs[i]))
    return out


def oo_tape(prog: list[tuple], variables: list[int]) -> tuple[float, list[float]]:
    """Build (and compute) by operator overloading, then backward: the issue's tape."""
    Var.tape = []
    made: list[Var] = []
    for rec in prog:
        if rec[0] == "leaf":
            made.append(Var(rec[1]))
        else:
            made.append(OO_OPS[rec[0]](*[made[a] for a in rec[1:]]))
    backward(made[-1])
    return made[-1].value, [made[i].grad for i in variables]


def records_tape(prog: list[tuple], variables: list[int]) -> tuple[float, list[float]]:
    """benchmarks/engine.py's kind: values and (op, a, b) records in flat lists, no objects."""
    vals: list[float] = []
    recs: list[tuple] = []
    for rec in prog:
        op = rec[0]
        if op == "leaf":
            vals.append(rec[1])
        else:
            a = vals[rec[1]]
            b = vals[rec[2]] if len(rec) > 2 else 0.0
            vals.append(a + b if op == "add" else a - b if op == "sub" else a * b if op == "mul"
                        else a / b if op == "div" else a ** b if op == "pow"
                        else math.sin(a) if op == "sin" else math.log(a))
        recs.append(rec)
    grads = [0.0] * len(vals)
    grads[-1] = 1.0
    for i in range(len(recs) - 1, -1, -1):
        rec, g = recs[i], grads[i]
        op = rec[0]
        if op == "leaf" or not g:
            continue
        a = vals[rec[1]]
        b = vals[rec[2]] if len(rec) > 2 else 0.0
        if op in ("add", "sub"):
            grads[rec[1]] += g
            grads[rec[2]] += g if op == "add" else -g
        elif op == "mul":
            grads[rec[1]] += g * b
            grads[rec[2]] += g * a
        elif op == "div":
            grads[rec[1]] += g / b
            grads[rec[2]] -= g * a / (b * b)
        elif op == "pow":
            grads[rec[1]] += g * b * a ** (b - 1)
            grads[rec[2]] += g * vals[i] * math.log(a) if a > 0 else 0.0
        else:
            grads[rec[1]] += g * (math.cos(a) if op == "sin" else 1.0 / a)
    return vals[-1], [grads[i] for i in variables]


# --- measuring ---------------------------------------------------------------------------------

def median_time(fn: Callable[[], object], runs: int) -> float:
    gc.collect()
    fn()
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def measure(rounds: int) -> dict[str, dict[str, float]]:
    """Per case: seconds per run of each contestant (medians over rounds of medians)."""
    os.environ.update(CHAINRULE_LAYOUT_WARM_UP="false", CHAINRULE_SYMBOLIC_WARM_UP="false")
    from app.encoding import dumps
    from app.graphs import response_body
    from app.settings import Settings
    from engine import evaluate

    settings = Settings(layout_warm_up=False)
    out: dict[str, dict[str, float]] = {}
    # a tree before session 12 has no compact body
    compact = "body_format" in inspect.signature(response_body).parameters
    for name, text, point in CASES:
        def body(text=text, point=point, **kw) -> bytes:
            b = response_body(text, point, settings=settings, **kw)
            return b if isinstance(b, bytes) else dumps(b)  # before session 4: a dict

        ev = evaluate(text, point)
        graph = ev.graph
        prog, variables = program(graph, point), list(graph.var_nodes)
        for got in (oo_tape(prog, variables), records_tape(prog, variables)):
            assert math.isclose(got[0], ev.value, rel_tol=1e-9), (name, got[0], ev.value)
            assert all(math.isclose(a, ev.gradient[v], rel_tol=1e-9, abs_tol=1e-12)
                       for a, v in zip(got[1], graph.variables)), name
        json.loads(body())  # and the layout cached
        runs = max(3, min(200, 20_000 // len(graph)))
        fresh = iter(range(10**9))

        def first_sight(text=text, point=point, fresh=fresh) -> bytes:
            # The same graph and layout, a text never seen (spaces after it): no template.
            return body(text + " " * (next(fresh) % 600), point)

        contestants = {"tape": lambda p=prog, v=variables: oo_tape(p, v),
                       "records tape": lambda p=prog, v=variables: records_tape(p, v),
                       "evaluate": lambda t=text, p=point: evaluate(t, p),
                       "body": body, "body first sight": first_sight}
        sizes = {"objects bytes": len(body())}
        if compact:
            def compact_first(text=text, point=point, fresh=fresh) -> bytes:
                return body(text + " " * (next(fresh) % 600), point, body_format="compact")

            contestants |= {"compact": lambda b=body: b(body_format="compact"),
                            "compact first sight": compact_first}
            sizes["compact bytes"] = len(body(body_format="compact"))
        seen: dict[str, list[float]] = {k: [] for k in contestants}
        for _ in range(rounds):
            for key, fn in contestants.items():
                seen[key].append(median_time(fn, runs))
        out[name] = {k: statistics.median(v) for k, v in seen.items()} | {"nodes": len(graph)} | sizes
    return out


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """Markdown, µs per node: each side's tapes, evaluate and body (the same text again: from its
    template where the tree keeps one) and the body of a text seen for the first time, each over
    its tape (measured in the same process); then the same two for the compact body, and both
    bodies' sizes."""
    sides = list(results)
    head = ["graph", "nodes"]
    for side in sides:
        head += [f"{side}: tape", "records tape", "evaluate", "body", "body / tape",
                 "(body − evaluate) / tape", "first sight", "first sight / tape",
                 "compact", "compact / tape", "compact first sight", "compact first sight / tape",
                 "kB objects / compact"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in results[sides[0]]:
        n = results[sides[0]][name]["nodes"]
        row = [name, f"{n:,}"]
        for side in sides:
            r = results[side][name]
            row += [f"{r[k] / n * 1e6:.2f}" for k in ("tape", "records tape", "evaluate", "body")]
            row += [f"{r['body'] / r['tape']:.1f}x", f"{(r['body'] - r['evaluate']) / r['tape']:.1f}x"]
            for key in ("body first sight", "compact", "compact first sight"):
                t = r.get(key)
                row += [f"{t / n * 1e6:.2f}", f"{t / r['tape']:.1f}x"] if t else ["", ""]
            row += [f"{r['objects bytes'] / 1e3:.0f} / {r['compact bytes'] / 1e3:.0f}"
                    if "compact bytes" in r else ""]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# --- memory: one thread's body of a 1,000-node graph (issue 14) --------------------------------

#: benchmarks/load.py's 1,000-node graph (the classroom's "sometimes a big graph").
BIG_1000 = "+".join(f"sin(x*{k}+y)" for k in range(1, 201))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def memory(which: int) -> dict[str, list[float]]:
    """For the 1st, 2nd and 3rd body of BIG_1000 in one process (layout cached by a text of the
    same graph): Python's peak while building it (tracemalloc, MB above what was allocated
    before); and the process's RSS growth (MiB) when a new thread builds body number `which`
    (glibc gives the thread an arena of its own, which keeps what the thread's peak left; a
    later thread takes over a finished one's arena, so one such thread a process)."""
    import threading
    import tracemalloc

    os.environ.update(CHAINRULE_LAYOUT_WARM_UP="false", CHAINRULE_SYMBOLIC_WARM_UP="false")
    from app.graphs import response_body
    from app.settings import Settings

    settings = Settings(layout_warm_up=False)
    point = {"x": 1.5, "y": 2.0}
    response_body(BIG_1000 + " ", point, settings=settings)  # imports, the layout (another text)
    out: dict[str, list[float]] = {"peak MB": [], "thread RSS MiB": []}
    text = BIG_1000 + "  "
    for _ in range(which):  # the 2nd body makes a template, the 3rd uses it
        response_body(text, point, settings=settings)
    gc.collect()
    before = rss_kib()
    t = threading.Thread(target=response_body, args=(text, point), kwargs={"settings": settings})
    t.start()
    t.join()
    gc.collect()
    out["thread RSS MiB"].append((rss_kib() - before) / 1024)
    for _ in range(3):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        response_body(BIG_1000, point, settings=settings)
        out["peak MB"].append((tracemalloc.get_traced_memory()[1] - base) / 1e6)
        tracemalloc.stop()
    return out


def server_times(tree: str, requests: int) -> dict[str, float]:
    """Start `chainrule serve` from `tree`, time POST /api/v1/graph as a client (medians, ms)."""
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": tree, "CHAINRULE_SYMBOLIC_WARM_UP": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], cwd=tree, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server of {tree} did not start")
            time.sleep(0.2)
        out: dict[str, list[float]] = {"uncached": [], "cached": [], "third": []}
        with httpx.Client(timeout=60) as client:
            def post(text: str, x: float) -> float:
                t0 = time.perf_counter()
                body = {"expression": text, "values": {"x": x, "y": 2.0}}
                r = client.post(url + "/api/v1/graph", json=body)
                elapsed = time.perf_counter() - t0
                assert r.status_code == 200 and len(r.json()["nodes"]) == 233, r.text[:300]
                return elapsed
            post(terms(29), 0.5)  # the process's first graph
            for k in range(requests):  # 29 new constants each time: a structure never laid out
                first = 1000 * (k + 1) + 1
                text = " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(first, first + 29))
                out["uncached"].append(post(text, 0.5))
                out["cached"].append(post(text, 0.25 + k / 1000))
                out["third"].append(post(text, 0.35 + k / 1000))  # a slider: a kept template
        return {k: statistics.median(v) * 1e3 for k, v in out.items()}
    finally:
        proc.terminate()
        proc.wait(10)


def memory_runs(args: argparse.Namespace) -> None:
    """`memory()` in a fresh process per run, this tree (and `--before`'s, in turns)."""
    trees = {"this tree": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            trees = {"before": unpack(args.before, tmp), "after": str(ROOT)}
        seen: dict[str, dict[str, list[list[float]]]] = {
            side: {"peak MB": [[], [], []], "thread RSS MiB": [[], [], []]} for side in trees}
        for r in range(args.rounds):
            for which in range(3):
                for side in list(trees) if r % 2 == 0 else list(trees)[::-1]:
                    done = subprocess.run([sys.executable, __file__, "--tree", trees[side], "--memory",
                                           "--which", str(which)],
                                          capture_output=True, text=True, cwd=tmp, check=True)
                    got = json.loads(done.stdout.strip().splitlines()[-1])
                    seen[side]["thread RSS MiB"][which] += got["thread RSS MiB"]
                    if which == 0:
                        for k, v in enumerate(got["peak MB"]):
                            seen[side]["peak MB"][k].append(v)
                    print(side, which, got, f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for side, figures in seen.items():
        print(side, {k: [round(statistics.median(v), 2) for v in vs] for k, vs in figures.items()},
              "(medians: 1st, 2nd, 3rd body of the text)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--before", help="git revision to compare with (this tree is after)")
    ap.add_argument("--tree", help=argparse.SUPPRESS)  # a child process: the tree to import
    ap.add_argument("--which", type=int, default=0, help=argparse.SUPPRESS)  # --memory's thread
    ap.add_argument("--server", action="store_true", help="time requests to a real server instead")
    ap.add_argument("--requests", type=int, default=15, help="with --server: requests of each kind a round")
    ap.add_argument("--memory", action="store_true",
                    help="the peak memory of a 1,000-node body instead (a fresh process per run)")
    args = ap.parse_args()
    if args.tree:
        sys.path.insert(0, args.tree)
        print(json.dumps(memory(args.which) if args.memory else measure(args.rounds)))
        return
    if args.memory:
        memory_runs(args)
        return
    if args.server and not args.before:
        print(server_times(str(ROOT), args.requests))
        return
    if not args.before:
        sys.path.insert(0, str(ROOT))
        print(table({"this tree": measure(args.rounds)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": unpack(args.before, tmp), "after": str(ROOT)}
        if args.server:
            seen: dict[str, list[dict]] = {"before": [], "after": []}
            for r in range(args.rounds):
                for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    seen[side].append(server_times(trees[side], args.requests))
                    print(side, seen[side][-1], f"load average {os.getloadavg()[0]:.1f}", flush=True)
            for side, got in seen.items():
                print(side, {k: round(statistics.median(g[k] for g in got), 1) for k in got[0]})
            return
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for r in range(args.rounds):
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                done = subprocess.run([sys.executable, __file__, "--tree", trees[side], "--rounds", "1"],
                                      capture_output=True, text=True, cwd=tmp, check=True)
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
        merged = {side: {name: {k: statistics.median(run[name][k] for run in got) for k in got[0][name]}
                         for name in got[0]} for side, got in runs.items()}
        print(table(merged))


if __name__ == "__main__":
    main()
