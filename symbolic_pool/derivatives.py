"""SymPy work under a time budget, in a worker process that can be stopped.

`simplify` can take minutes and exact arithmetic (9^9^9) can eat all memory, so SymPy never
runs in the caller's process: a small pool of warm workers (symbolic_pool.pool, SymPy already
imported) takes one job at a time and reports each result as soon as it has it;
a worker still busy when the budget runs out is killed and replaced. The caller keeps what
arrived: typically the derivatives and their values without the simplified forms, and a note.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.graph import Graph

from .jobs import graph_state
from .pool import POOL

DEFAULT_BUDGET_S = 2.0
MAX_EXACT_BITS = 100_000  # an exact constant power larger than this is not attempted
MAX_EXACT_EXPONENT = 10_000  # (3x)^(10^9) expands to 3^(10^9)·x^(10^9): refuse such exponents

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
                         simplify: bool = True,
                         checkpoint: Callable[[], None] | None = None) -> SymbolicResult:
    """SymPy's derivative of the output for every variable, evaluated at `point`, simplified if
    the budget allows (and `simplify`); and, for `candidates` (variable -> graph of a person's
    own derivative), whether candidate − derivative simplifies to 0. Never takes much longer
    than `budget_s`. `checkpoint` is called while waiting on SymPy; when it raises (the client
    left), the worker is killed and the exception passes on."""
    checkpoint = checkpoint or _nothing
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
    job = ("derivatives", graph_state(graph), {k: float(v) for k, v in point.items()}, cand_states,
           simplify)
    result = SymbolicResult("partial")
    done = False
    for attempt in range(2):  # a worker that died before answering anything: once more, another
        worker = POOL.acquire(budget_s - (time.perf_counter() - start))
        if worker is None:
            result.notes.append(f"all symbolic workers were busy for {budget_s:g} s")
            result.reason = "busy"
            break
        received = healthy = False
        try:
            worker.send(job)
            while True:
                msg = _next_message(worker, start + budget_s, checkpoint)
                received = True
                kind = msg[0]  # type: ignore[index]
                if kind == "function":
                    result.function = msg[1]  # type: ignore[index]
                elif kind == "derivative":
                    _, v, forms, value = msg  # type: ignore[misc]
                    result.derivatives[v] = Derivative(v, forms["text"], forms["latex"],
                                                       forms["mathml"], value)
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
            if not received and attempt == 0:
                continue  # (released in `finally`) the job never started: try a fresh worker
            result.notes.append("the symbolic worker stopped unexpectedly")
            result.reason = "failed"
        finally:
            POOL.release(worker, healthy)
        break
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


def _nothing() -> None:
    pass


def _next_message(worker, deadline: float, checkpoint: Callable[[], None]) -> object:
    """The worker's next message by `deadline` (else TimeoutError), calling `checkpoint` every
    0.1 s meanwhile: a request whose client left stops waiting (and the worker is killed)."""
    while True:
        checkpoint()
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError
        try:
            return worker.recv(min(left, 0.1))
        except TimeoutError:
            continue


def _constant_values(graph: Graph) -> list[float]:
    """Values of constant-only nodes (variables set to 1; only constant powers are read)."""
    from engine.passes import forward

    return forward(graph, dict.fromkeys(graph.variables, 1.0)).values
