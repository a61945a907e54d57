"""SymPy work under a time budget, in a worker process that can be stopped.

`simplify` can take minutes and exact arithmetic (9^9^9) can eat all memory, so SymPy never
runs in the caller's process: a small pool of warm workers (`python -m engine.symbolic_worker`,
SymPy already imported) takes one job at a time and reports each result as soon as it has it;
a worker still busy when the budget runs out is killed and replaced. The caller keeps what
arrived: typically the derivatives and their values without the simplified forms, and a note.
"""

from __future__ import annotations

import math
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from .graph import Graph
from .ops import OPS

DEFAULT_BUDGET_S = 2.0
MAX_EXACT_BITS = 100_000  # an exact constant power larger than this is not attempted
MAX_EXACT_EXPONENT = 10_000  # (3x)^(10^9) expands to 3^(10^9)·x^(10^9): refuse such exponents
DIGITS = 30  # working precision for evaluating SymPy's derivative at the point

# --- graphs cross the process boundary as plain data (ops by name) -------------------------

def graph_state(graph: Graph) -> dict:
    return {"ops": [op.name if op is not None else None for op in graph.ops],
            "inputs": graph.inputs, "leaf": graph.leaf, "names": graph.names,
            "output": graph.output, "literals": graph.literals}


def graph_from_state(state: dict) -> Graph:
    return Graph([OPS[n] if n is not None else None for n in state["ops"]], state["inputs"],
                 state["leaf"], state["names"], state["output"], None, state["literals"])


# --- a quick look before any SymPy: exact powers that would never finish --------------------

def exact_power_problem(graph: Graph, values: list[float]) -> str | None:
    """Why exact arithmetic on this graph would not finish, or None. SymPy keeps integer
    constants exact, so 9^9^9 is a number with 370 million digits; refuse before trying."""
    needs = graph.needs_grad
    for i, op in enumerate(graph.ops):
        if op is None or op.name != "pow":
            continue
        base, exp = (values[s] for s in graph.inputs[i])
        if needs[i]:
            if (not needs[graph.inputs[i][1]] and math.isfinite(exp) and exp.is_integer()
                    and abs(exp) > MAX_EXACT_EXPONENT):
                return (f"the power at n{i} has the integer exponent {_short(exp)}; exact "
                        f"symbolic work is limited to exponents up to {MAX_EXACT_EXPONENT:,}")
            continue
        if not (math.isfinite(base) and math.isfinite(exp)):
            return f"the constant power at n{i} is too large to compute exactly"
        if abs(base) > 1 and exp > 0:
            bits = exp * math.log2(abs(base))
            if bits > MAX_EXACT_BITS:
                return (f"the constant power at n{i} ({_short(base)}^{_short(exp)}) would have about "
                        f"{bits * math.log10(2):.3g} digits; exact arithmetic is limited to "
                        f"{int(MAX_EXACT_BITS * math.log10(2)):,} digits")
    return None


def _short(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"


# --- the worker ---------------------------------------------------------------------------

def _number(value) -> float | str:
    """A SymPy number as a float, or 'inf'/'-inf'/'nan' when it is not a finite real."""
    import sympy as sp

    if value is sp.zoo or value is sp.nan:
        return "nan"
    if value is sp.oo:
        return "inf"
    if value is -sp.oo:
        return "-inf"
    try:
        c = complex(value)
    except (TypeError, ValueError):
        return "nan"
    if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        return "nan"
    return c.real if math.isfinite(c.real) else ("nan" if math.isnan(c.real) else
                                                  ("inf" if c.real > 0 else "-inf"))


def _value_at(expr, subs: dict) -> float | str:
    """Evaluate at the point; substituting first (not evalf's subs=) keeps 1/x at 0 a zoo
    instead of a ZeroDivisionError inside mpmath."""
    try:
        return _number(expr.xreplace(subs).evalf(DIGITS))
    except (ArithmeticError, ValueError, TypeError):
        return "nan"


def _forms(expr) -> dict:
    import sympy as sp

    return {"text": sp.sstr(expr), "latex": sp.latex(expr),
            "mathml": '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
                      + sp.mathml(expr, printer="presentation") + "</math>"}


def derivatives_job(state: dict, point: dict, candidates: dict, simplify: bool = True):
    """Runs in the worker, yielding: ("function", forms), then per variable ("derivative", ...),
    then ("simplified", ...) per variable (when `simplify`), then ("check", ...) per candidate."""
    import sympy as sp

    from .symbolic import symbols, to_sympy

    graph = graph_from_state(state)
    syms = symbols(graph)
    expr = to_sympy(graph)
    yield ("function", _forms(expr))
    subs = {syms[v]: sp.Float(repr(float(point[v])), DIGITS) for v in graph.variables}
    derivs = {}
    for v in graph.variables:
        d = sp.diff(expr, syms[v])
        derivs[v] = d
        yield ("derivative", v, _forms(d), _value_at(d, subs))
    for v, d in derivs.items() if simplify else ():
        yield ("simplified", v, _forms(sp.simplify(d)))
    for v, cand_state in candidates.items():
        cand = to_sympy(graph_from_state(cand_state))
        diff = sp.simplify(cand - derivs[v])
        yield ("check", v, bool(diff == 0), sp.sstr(diff))


# --- the pool -------------------------------------------------------------------------------

def write_frame(fd: int, obj: object) -> None:
    data = pickle.dumps(obj)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            raise EOFError("worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
        self.proc = subprocess.Popen([sys.executable, "-m", "engine.symbolic_worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.out_fd = self.proc.stdin.fileno()
        self.in_fd = self.proc.stdout.fileno()

    def send(self, job: tuple) -> None:
        write_frame(self.out_fd, job)

    def recv(self, timeout: float) -> object:
        """The next message, or raise TimeoutError."""
        ready, _, _ = select.select([self.in_fd], [], [], max(timeout, 0.0))
        if not ready:
            raise TimeoutError
        size = int.from_bytes(read_exactly(self.in_fd, 8), "little")
        return pickle.loads(read_exactly(self.in_fd, size))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()


class WorkerPool:
    """At most `size` warm workers; a job waits for a free one within its own budget."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.lock = threading.Lock()
        self.started = 0

    def warm(self) -> None:
        """Start the workers now, so the first request does not wait for SymPy's import."""
        with self.lock:
            while self.started < self.size:
                self.started += 1
                self.idle.put(_Worker())

    def acquire(self, timeout: float) -> _Worker | None:
        with self.lock:
            if self.idle.empty() and self.started < self.size:
                self.started += 1
                return _Worker()
        try:
            return self.idle.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None

    def release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.proc.poll() is None:
            self.idle.put(worker)
            return
        worker.kill()
        with self.lock:
            self.started -= 1

    def close(self) -> None:
        while not self.idle.empty():
            self.release(self.idle.get(), healthy=False)


POOL = WorkerPool()


@dataclass
class Derivative:
    variable: str
    text: str
    latex: str
    mathml: str
    value: float | str  # at the point; 'inf'/'-inf'/'nan' when not a finite real
    simplified: dict | None = None  # text/latex/mathml, when simplify finished in time


@dataclass
class SymbolicResult:
    status: str  # "ok", "partial" (budget ran out), "skipped" (not attempted)
    notes: list[str] = field(default_factory=list)
    # Why it is not "ok", for programs: "timeout", "busy" (no free worker within the budget),
    # "exact_arithmetic" (refused before trying), "failed" (SymPy raised or its worker died).
    reason: str | None = None
    function: dict | None = None  # text/latex/mathml of f
    derivatives: dict[str, Derivative] = field(default_factory=dict)
    checks: dict[str, dict] = field(default_factory=dict)  # variable -> {"equal", "difference"}
    seconds: float = 0.0


def symbolic_derivatives(graph: Graph, point: Mapping[str, float], values: list[float],
                         budget_s: float = DEFAULT_BUDGET_S,
                         candidates: Mapping[str, Graph] | None = None,
                         simplify: bool = True) -> SymbolicResult:
    """SymPy's derivative of the output for every variable, evaluated at `point`, simplified if
    the budget allows (and `simplify`); and, for `candidates` (variable -> graph of a person's
    own derivative), whether candidate − derivative simplifies to 0. Never takes much longer
    than `budget_s`."""
    start = time.perf_counter()
    problem = exact_power_problem(graph, values)
    if problem is None and candidates:
        for cand in candidates.values():
            cand_vals = _constant_values(cand)
            problem = exact_power_problem(cand, cand_vals)
            if problem:
                problem = "in your derivative: " + problem
                break
    if problem is not None:
        return SymbolicResult("skipped", [f"symbolic differentiation skipped: {problem}"],
                              reason="exact_arithmetic")
    cand_states = {v: graph_state(g) for v, g in (candidates or {}).items()}
    result = SymbolicResult("partial")
    worker = POOL.acquire(budget_s - (time.perf_counter() - start))
    if worker is None:
        result.notes.append(f"all symbolic workers were busy for {budget_s:g} s")
        result.reason = "busy"
        result.seconds = time.perf_counter() - start
        return result
    done = healthy = False
    try:
        worker.send(("derivatives", graph_state(graph), {k: float(v) for k, v in point.items()},
                     cand_states, simplify))
        while True:
            msg = worker.recv(budget_s - (time.perf_counter() - start))
            kind = msg[0]  # type: ignore[index]
            if kind == "function":
                result.function = msg[1]  # type: ignore[index]
            elif kind == "derivative":
                _, v, forms, value = msg  # type: ignore[misc]
                result.derivatives[v] = Derivative(v, forms["text"], forms["latex"], forms["mathml"],
                                                   value)
            elif kind == "simplified":
                result.derivatives[msg[1]].simplified = msg[2]  # type: ignore[index]
            elif kind == "check":
                result.checks[msg[1]] = {"equal": msg[2], "difference": msg[3]}  # type: ignore[index]
            elif kind == "error":
                result.notes.append(f"SymPy failed: {msg[1]}")  # type: ignore[index]
                result.reason = "failed"
                healthy = True
                break
            elif kind == "done":
                done = healthy = True
                break
    except TimeoutError:
        result.reason = "timeout"
    except (EOFError, OSError):
        result.notes.append("the symbolic worker stopped unexpectedly")
        result.reason = "failed"
    finally:
        POOL.release(worker, healthy)
    result.seconds = time.perf_counter() - start
    if done:
        result.status = "ok"
    else:
        missing = [v for v in graph.variables if v not in result.derivatives]
        if missing:
            result.notes.append(f"SymPy did not finish within {budget_s:g} s: no derivative for "
                                f"{', '.join(missing)}")
        unsimplified = [v for v, d in result.derivatives.items() if d.simplified is None]
        if unsimplified:
            result.notes.append(f"simplify did not finish within {budget_s:g} s: showing the "
                                f"unsimplified derivative for {', '.join(unsimplified)}")
        if candidates and not result.checks:
            result.notes.append("the symbolic check of your derivative did not finish in time; "
                                "see the numerical check")
    return result


def _constant_values(graph: Graph) -> list[float]:
    """Values of constant-only nodes (variables set to 1; only constant powers are read)."""
    from .passes import forward

    return forward(graph, dict.fromkeys(graph.variables, 1.0)).values
