"""What the four-ways endpoints compute, as plain data: symbolic derivatives, finite differences
and the error sweep, the comparison table, paths, check-my-derivative, the PyTorch snippet.
Engine errors gain the request field at fault; nothing here knows HTTP beyond that. Each body takes
a `checkpoint` (app.heavy) called between bounded steps: per variable, per sweep curve."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from functools import partial
from typing import TypeVar

from engine import Evaluation, ExpressionError, compile
from engine.jacobian import family, jacobian_both_ways
from engine.numeric import DEFAULT_STEPS, METHODS, ORDER, difference, error_sweep, steps_between
from engine.paths import approximate, decimal, paths
from engine.second import hessian, hessian_vector
from engine.snippet import torch_hessian_snippet, torch_jacobian_snippet, torch_snippet
from symbolic_pool import SymbolicResult, symbolic_derivatives
from symbolic_pool.compare import check_derivative, compare

from .graphs import evaluate_request
from .method_schemas import (
    CheckRequest,
    CompareRequest,
    HessianRequest,
    JacobianRequest,
    NumericRequest,
    PathsRequest,
    SnippetRequest,
    SymbolicRequest,
)
from .settings import Settings

T = TypeVar("T")
Checkpoint = Callable[[], None]


def _nothing() -> None:
    pass


def _field(name: str, fn: Callable[[], T]) -> T:
    """fn(), an engine error from it naming the request field `name` (unless it names one)."""
    try:
        return fn()
    except ExpressionError as err:
        if err.field is not None:
            raise
        raise err.with_field(name) from None


def _evaluated(expression: str, values: Mapping[str, float], settings: Settings,
               wrt: list[str] | None = None, numbers_only: bool = False) -> Evaluation:
    """Parse, check the point and run both passes once, reporting errors as POST /graph does
    (missing values, unknown `wrt` names); every body below reuses this evaluation. With
    `numbers_only`, a graph of tensor ops is refused: that method works on numbers."""
    ev = evaluate_request(expression, values, wrt=wrt, tangent=None, settings=settings)[0]
    if numbers_only and ev.graph.tensor_ops:
        op = next(op for op in ev.graph.ops if op is not None and not op.partials)
        raise ExpressionError(f"this method works on functions of numbers; '{op.label}' "
                              f"({op.name}) is an array operation: use POST /api/v1/graph for "
                              "its gradient", code="tensors_unsupported", field="expression",
                              text=op.spelling or op.symbol)
    return ev


def _budget(requested: float | None, settings: Settings) -> float:
    return min(requested or settings.symbolic_budget_s, settings.symbolic_budget_max_s)


def _derivatives(res: SymbolicResult, simplified: bool) -> dict:
    return {v: {"text": d.text, "latex": d.latex, "mathml": d.mathml, "value": d.value,
                **({"simplified": d.simplified} if simplified else {})}
            for v, d in res.derivatives.items()}


def symbolic_body(req: SymbolicRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    ev = _evaluated(req.expression, req.values, settings)
    checkpoint()
    res = symbolic_derivatives(ev.graph, req.values, ev.forward.values,
                               _budget(req.budget_s, settings), checkpoint=checkpoint)
    return {"status": res.status, "reason": res.reason, "notes": res.notes, "function": res.function,
            "derivatives": _derivatives(res, simplified=True), "seconds": res.seconds}


def numeric_body(req: NumericRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    ev = _evaluated(req.expression, req.values, settings, numbers_only=True)
    graph, exact = ev.graph, ev.gradient
    est = {}
    for v in graph.variables:  # the lecture's numer_deriv, a variable at a time
        checkpoint()
        est[v] = _field("h", partial(difference, graph, req.values, v, req.method, req.h, req.dtype))
    sweep = None
    if req.sweep:
        steps = (steps_between(req.steps.largest, req.steps.smallest, req.steps.count)
                 if req.steps is not None else list(DEFAULT_STEPS))
        curves = []
        for v in graph.variables:  # a curve at a time: 2 × len(steps) forward passes
            for m in METHODS:
                checkpoint()
                curves += _field("steps", partial(error_sweep, graph, req.values, exact, steps,
                                                  methods=[m], variables=[v], dtype=req.dtype))
        sweep = [asdict(c) | {"order": ORDER[c.method]} for c in curves]
    return {"method": req.method, "h": req.h, "dtype": req.dtype, "gradient": est, "exact": exact,
            "errors": {v: abs(est[v] - exact[v]) for v in est}, "sweep": sweep}


def compare_body(req: CompareRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    graph = _evaluated(req.expression, req.values, settings, numbers_only=True).graph
    c = compare(graph, req.values, req.method, req.h, _budget(req.budget_s, settings),
                checkpoint=checkpoint, pytorch=settings.pytorch_column)
    return {"method": c.method, "h": c.h, "rows": c.rows, "cost": asdict(c.cost),
            "symbolic_status": c.symbolic.status, "symbolic_reason": c.symbolic.reason,
            "symbolic": _derivatives(c.symbolic, simplified=False),
            "notes": c.notes}


def paths_body(req: PathsRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    ev = _evaluated(req.expression, req.values, settings, numbers_only=True)  # traced: locals kept
    checkpoint()
    limit = min(req.limit, settings.max_paths)
    p = _field("variable", lambda: paths(ev.graph, ev.reverse, req.variable, limit,
                                         max_edges=settings.max_path_edges, target=ev.target))
    # The bound that cut the list, by the name a client can change (the request's `limit`) or
    # read in the server's settings.
    by = {None: None, "max_edges": "max_path_edges",
          "limit": "limit" if req.limit <= settings.max_paths else "max_paths"}[p.truncated_by]
    return {"variable": p.variable, "count": decimal(p.count), "count_approx": approximate(p.count),
            "truncated": p.truncated, "truncated_by": by,
            "listed_sum": p.listed_sum, "gradient": p.gradient,
            "paths": [{"edges": [f"e{e}" for e in q.edges], "nodes": [f"n{n}" for n in q.nodes],
                       "locals": q.locals, "product": q.product} for q in p.paths]}


def check_body(req: CheckRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    graph = _evaluated(req.expression, req.values, settings, numbers_only=True).graph
    if req.variable not in graph.variables:
        raise ExpressionError(f"'{req.variable}' is not a variable of this expression",
                              code="unknown_variable", text=req.variable, field="variable")
    res = _field("derivative", lambda: check_derivative(
        graph, req.values, req.variable, req.derivative, _budget(req.budget_s, settings),
        limits=settings.limits, checkpoint=checkpoint))
    return asdict(res)


def snippet_body(req: SnippetRequest, settings: Settings) -> dict:
    graph = _evaluated(req.expression, req.values, settings, wrt=req.wrt).graph  # checks `wrt`
    return {"language": "python", "code": torch_snippet(graph, req.values, req.wrt)}


def hessian_body(req: HessianRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    """∇²f, or (∇²f) v, by forward mode over the reverse pass (engine.second)."""
    graph = _evaluated(req.expression, req.values, settings, numbers_only=True).graph
    checkpoint()
    if req.direction is not None:
        hv = _field("direction", lambda: hessian_vector(graph, req.values, req.direction or {},
                                                        settings.limits))
        names = list(hv.gradient)
        return {"value": hv.value, "variables": names, "gradient": list(hv.gradient.values()),
                "hessian": None, "direction": [hv.direction[k] for k in names],
                "product": [hv.product[k] for k in names], "passes": 1,
                "pytorch": torch_hessian_snippet(graph, req.values)}
    h = _field("variables", lambda: hessian(graph, req.values, req.variables, settings.limits,
                                            between=checkpoint))
    return {"value": h.value, "variables": h.variables, "gradient": h.gradient, "hessian": h.matrix,
            "direction": None, "product": None, "passes": len(h.variables),
            "pytorch": torch_hessian_snippet(graph, req.values, h.variables)}


def jacobian_body(req: JacobianRequest, settings: Settings, checkpoint: Checkpoint = _nothing) -> dict:
    """∂outputs/∂inputs built both ways, with each way's passes and local derivatives."""
    graph = _evaluated(req.expression, req.values, settings, numbers_only=True).graph
    j = jacobian_both_ways(graph, req.values, req.outputs, req.inputs,  # errors name their field
                           between=checkpoint)

    def build(b) -> dict:
        return {"matrix": b.matrix, "passes": b.passes, "locals_per_pass": b.locals_per_pass,
                "locals": b.locals}
    f, r = j.forward.locals, j.reverse.locals
    return {"outputs": j.outputs, "output_nodes": [f"n{i}" for i in j.output_nodes],
            "inputs": j.inputs, "forward": build(j.forward), "reverse": build(j.reverse),
            "cheaper": "equal" if f == r else "forward" if f < r else "reverse",
            "pytorch": torch_jacobian_snippet(graph, req.values, j.output_nodes, j.inputs)}


def family_body(inputs: int, outputs: int) -> dict:
    """The cost of each way on a generated program with `inputs` inputs and `outputs` outputs."""
    text = _field("inputs", lambda: family(inputs, outputs))
    graph = compile(text)
    point = {v: 0.1 * k for k, v in enumerate(graph.variables, 1)}
    j = jacobian_both_ways(graph, point, [f"o{i}" for i in range(1, outputs + 1)])
    f, r = j.forward.locals, j.reverse.locals
    return {"expression": text, "inputs": inputs, "outputs": outputs,
            "forward": {"passes": j.forward.passes, "locals": f},
            "reverse": {"passes": j.reverse.passes, "locals": r},
            "cheaper": "equal" if f == r else "forward" if f < r else "reverse"}
