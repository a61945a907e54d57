"""What the four-ways endpoints compute, as plain data: symbolic derivatives, finite differences
and the error sweep, the comparison table, paths, check-my-derivative, the PyTorch snippet.
Engine errors gain the request field at fault; nothing here knows HTTP beyond that."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TypeVar

from engine import ExpressionError, Graph, evaluate, forward
from engine.compare import check_derivative, compare
from engine.numeric import DEFAULT_STEPS, ORDER, error_sweep, numeric_gradient, steps_between
from engine.paths import paths
from engine.snippet import torch_snippet
from engine.symbolic_jobs import symbolic_derivatives

from .graphs import evaluate_request
from .method_schemas import (
    CheckRequest,
    CompareRequest,
    NumericRequest,
    PathsRequest,
    SnippetRequest,
    SymbolicRequest,
)
from .settings import Settings

T = TypeVar("T")


def _field(name: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ExpressionError as err:
        if getattr(err, "field", None) is None:
            err.field = name  # type: ignore[attr-defined]
        raise


def _graph(expression: str, values: Mapping[str, float], settings: Settings) -> Graph:
    """Parse and check the point once (missing values are reported like POST /graph does)."""
    ev, _ = evaluate_request(expression, values, tangent=None, settings=settings)
    return ev.graph


def _budget(requested: float | None, settings: Settings) -> float:
    return min(requested or settings.symbolic_budget_s, settings.symbolic_budget_max_s)


def _symbolic_dict(res) -> dict:
    return {"status": res.status, "reason": res.reason, "notes": res.notes, "function": res.function,
            "derivatives": {v: {"text": d.text, "latex": d.latex, "mathml": d.mathml,
                                "value": d.value, "simplified": d.simplified}
                            for v, d in res.derivatives.items()},
            "seconds": res.seconds}


def symbolic_body(req: SymbolicRequest, settings: Settings) -> dict:
    graph = _graph(req.expression, req.values, settings)
    fwd = forward(graph, req.values)
    return _symbolic_dict(symbolic_derivatives(graph, req.values, fwd.values,
                                               _budget(req.budget_s, settings)))


def numeric_body(req: NumericRequest, settings: Settings) -> dict:
    ev = evaluate(_graph(req.expression, req.values, settings), req.values, trace=False)
    exact = ev.gradient
    est = _field("h", lambda: numeric_gradient(ev.graph, req.values, req.method, req.h, req.dtype))
    sweep = None
    if req.sweep:
        steps = (steps_between(req.steps.largest, req.steps.smallest, req.steps.count)
                 if req.steps is not None else list(DEFAULT_STEPS))
        curves = _field("steps", lambda: error_sweep(ev.graph, req.values, exact, steps,
                                                     dtype=req.dtype))
        sweep = [asdict(c) | {"order": ORDER[c.method]} for c in curves]
    return {"method": req.method, "h": req.h, "dtype": req.dtype, "gradient": est, "exact": exact,
            "errors": {v: abs(est[v] - exact[v]) for v in est}, "sweep": sweep}


def compare_body(req: CompareRequest, settings: Settings) -> dict:
    graph = _graph(req.expression, req.values, settings)
    c = compare(graph, req.values, req.method, req.h, _budget(req.budget_s, settings))
    return {"method": c.method, "h": c.h, "rows": c.rows, "cost": asdict(c.cost),
            "symbolic_status": c.symbolic.status, "symbolic_reason": c.symbolic.reason,
            "symbolic": {v: {"text": d.text, "latex": d.latex, "mathml": d.mathml, "value": d.value}
                         for v, d in c.symbolic.derivatives.items()},
            "notes": c.notes}


def paths_body(req: PathsRequest, settings: Settings) -> dict:
    graph = _graph(req.expression, req.values, settings)
    ev = evaluate(graph, req.values)
    limit = min(req.limit, settings.max_paths)
    p = _field("variable", lambda: paths(graph, ev.reverse, req.variable, limit))
    return {"variable": p.variable, "count": str(p.count), "count_approx": float(p.count),
            "truncated": p.truncated, "listed_sum": p.listed_sum, "gradient": p.gradient,
            "paths": [{"edges": [f"e{e}" for e in q.edges], "nodes": [f"n{n}" for n in q.nodes],
                       "locals": q.locals, "product": q.product} for q in p.paths]}


def check_body(req: CheckRequest, settings: Settings) -> dict:
    graph = _graph(req.expression, req.values, settings)
    if req.variable not in graph.variables:
        _field("variable", lambda: check_derivative(graph, req.values, req.variable, "0"))
    res = _field("derivative", lambda: check_derivative(
        graph, req.values, req.variable, req.derivative, _budget(req.budget_s, settings),
        limits=settings.limits))
    return asdict(res)


def snippet_body(req: SnippetRequest, settings: Settings) -> dict:
    graph = _graph(req.expression, req.values, settings)
    if req.wrt is not None:
        _field("wrt", lambda: evaluate(graph, req.values, trace=False).gradient_wrt(req.wrt))
    return {"language": "python", "code": torch_snippet(graph, req.values, req.wrt)}
