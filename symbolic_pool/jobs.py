"""What runs inside a SymPy worker (symbolic_pool.worker): the graph crossing the process
boundary as plain data (ops by name), and the job that differentiates it, yielding each result
as soon as it has it."""

from __future__ import annotations

import math

from engine.graph import Graph
from engine.ops import OPS

DIGITS = 30  # working precision for evaluating SymPy's derivative at the point

# --- graphs cross the process boundary as plain data (ops by name) -------------------------

def graph_state(graph: Graph) -> dict:
    return {"ops": [op.name if op is not None else None for op in graph.ops],
            "inputs": graph.inputs, "leaf": graph.leaf, "names": graph.names,
            "output": graph.output, "literals": graph.literals}


def graph_from_state(state: dict) -> Graph:
    return Graph([OPS[n] if n is not None else None for n in state["ops"]], state["inputs"],
                 state["leaf"], state["names"], state["output"], None, state["literals"])


# --- the job -----------------------------------------------------------------------------

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

    from engine.symbolic import symbols, to_sympy

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
