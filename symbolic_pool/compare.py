"""Four ways to the same derivative, side by side (the lecture's comparison table, extended):
symbolic (SymPy, the reference), finite differences, forward-mode AD and reverse-mode AD,
each with its absolute error; the cost of each AD mode; and "check my derivative"."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.errors import ExpressionError
from engine.graph import Graph
from engine.limits import DEFAULT_LIMITS, Limits
from engine.numeric import difference
from engine.parser import parse
from engine.passes import forward, reverse, tangent
from engine.pytorch import torch_gradient
from engine.values import leaf_values

from .derivatives import DEFAULT_BUDGET_S, SymbolicResult, symbolic_derivatives


@dataclass
class ModeCost:
    """How many passes each mode needs for n inputs and m outputs, and what each pass costs
    (one local derivative per edge it visits)."""

    inputs: int
    outputs: int
    forward_passes: int  # one tangent pass per input
    reverse_passes: int  # one adjoint pass per output
    forward_ops: dict[str, int]  # per input: local derivatives its tangent pass evaluates
    reverse_ops: int  # local derivatives the reverse pass evaluates


def _nothing() -> None:
    pass


def mode_cost(graph: Graph, checkpoint: Callable[[], None] = _nothing) -> ModeCost:
    """Counts from the graph's structure: forward mode along x touches the edges whose source
    depends on x; the reverse pass touches every edge whose source needs a gradient.
    `checkpoint` is called before each input's count (it may raise to stop the work)."""
    n = len(graph)
    per_input = {}
    for name, node in zip(graph.variables, graph.var_nodes):
        checkpoint()
        dep = bytearray(n)
        dep[node] = 1
        count = 0
        for i, args in enumerate(graph.inputs):
            hits = sum(1 for s in args if dep[s])
            if hits:
                dep[i] = 1
                count += hits
        per_input[name] = count
    needs = graph.needs_grad
    rev = sum(1 for args in graph.inputs for s in args if needs[s])
    return ModeCost(len(graph.variables), 1, len(graph.variables), 1, per_input, rev)


def _abs_err(value: float, exact: float | str | None) -> float | None:
    if not isinstance(exact, float) or not math.isfinite(value):
        return None
    return abs(value - exact)


@dataclass
class Comparison:
    rows: list[dict]
    method: str
    h: float
    symbolic: SymbolicResult
    cost: ModeCost
    notes: list[str] = field(default_factory=list)


def compare(graph: Graph, point: Mapping[str, float], method: str = "central", h: float = 1e-3,
            budget_s: float = DEFAULT_BUDGET_S, symbolic: SymbolicResult | None = None,
            checkpoint: Callable[[], None] = _nothing, pytorch: bool = True) -> Comparison:
    """One row per variable: symbolic value, then numeric / forward-mode / reverse-mode values
    with their absolute errors against the symbolic one (None when SymPy gave no finite value),
    and PyTorch's autograd when PyTorch is installed and `pytorch` is true.
    `checkpoint` is called between variables (it may raise to stop the work)."""
    fwd = forward(graph, point)
    rev = reverse(graph, fwd)
    if symbolic is None:
        # The table needs the values only: simplify (often the slow part) is skipped.
        symbolic = symbolic_derivatives(graph, point, fwd.values, budget_s, simplify=False,
                                        checkpoint=checkpoint)
    rows = []
    # None without PyTorch (or when asked not to): the column is left out.
    by_torch = torch_gradient(graph, point) if pytorch else None
    for name, node in zip(graph.variables, graph.var_nodes):
        checkpoint()
        sym = symbolic.derivatives.get(name)
        exact = sym.value if sym is not None else None
        num = difference(graph, point, name, method, h)
        fm = tangent(graph, fwd, name).tangents[graph.output]
        rm = rev.grads[node]
        rows.append({"variable": name, "symbolic": exact,
                     "numeric": num, "numeric_error": _abs_err(num, exact),
                     "forward_mode": fm, "forward_mode_error": _abs_err(fm, exact),
                     "reverse_mode": rm, "reverse_mode_error": _abs_err(rm, exact)})
        if by_torch is not None:
            rows[-1].update(pytorch=by_torch[name], pytorch_error=_abs_err(by_torch[name], exact))
    return Comparison(rows, method, h, symbolic, mode_cost(graph, checkpoint), list(symbolic.notes))


@dataclass
class CheckResult:
    variable: str
    agrees: bool | None  # None when neither check could decide
    symbolic_equal: bool | None  # None when SymPy did not finish
    symbolic_difference: str | None  # SymPy's simplified (yours − true)
    points: list[dict]  # each: point, expected, yours, agrees
    notes: list[str] = field(default_factory=list)


def check_derivative(graph: Graph, point: Mapping[str, float], variable: str, candidate: str,
                     budget_s: float = DEFAULT_BUDGET_S, samples: int = 5,
                     limits: Limits = DEFAULT_LIMITS, seed: int = 0,
                     checkpoint: Callable[[], None] = _nothing) -> CheckResult:
    """Does `candidate` (text) equal d f / d `variable`? Symbolically (yours − true simplifies
    to 0 within the budget) and numerically, against reverse-mode AD at the point and at
    `samples` − 1 random points near it."""
    if variable not in graph.variables:
        raise ExpressionError(f"'{variable}' is not a variable of this expression",
                              code="unknown_variable", text=variable)
    parsed = parse(candidate, limits)
    cand = parsed.graph
    extra = [v for v in cand.variables if v not in graph.variables]
    if extra:
        raise ExpressionError(f"your derivative uses '{extra[0]}', which is not a variable of the "
                              f"function (its variables: {', '.join(graph.variables)})",
                              code="unknown_variable", text=extra[0])
    base = leaf_values(graph, point)
    node = graph.var_nodes[graph.variables.index(variable)]
    rng = random.Random(seed)
    points, tries = [], 0
    at = dict(base)
    while len(points) < samples and tries < 20 * samples:  # bounded: resample where undefined
        checkpoint()
        tries += 1
        expected = reverse(graph, fwd := forward(graph, at)).grads[node]
        yours = forward(cand, {v: at[v] for v in cand.variables}).values[cand.output]
        if math.isfinite(fwd.values[graph.output]) and math.isfinite(expected) and math.isfinite(yours):
            ok = abs(yours - expected) <= 1e-8 * max(1.0, abs(expected))
            points.append({"point": dict(at), "expected": expected, "yours": yours, "agrees": ok})
        at = {k: v + rng.uniform(-1, 1) * max(1.0, abs(v)) * 0.5 for k, v in base.items()}
    sym = symbolic_derivatives(graph, point, forward(graph, base).values, budget_s,
                               candidates={variable: cand}, checkpoint=checkpoint)
    check = sym.checks.get(variable)
    notes = list(sym.notes) + list(parsed.warnings)
    numeric_ok = all(p["agrees"] for p in points) if points else None
    # SymPy's verdict counts when it came in time; the sampled points can still refute it.
    agrees = numeric_ok if check is None else bool(check["equal"]) and numeric_ok is not False
    if not points:
        notes.append("no point near the given one where both are finite")
    return CheckResult(variable, agrees, check["equal"] if check else None,
                       check["difference"] if check else None, points, notes)
