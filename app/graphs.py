"""What POST /api/v1/graph and the exports compute: the engine's evaluation of a request,
its Graphviz layout, and the response body as plain data. No HTTP here beyond APIError."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from drawing import Layout, LayoutCache, LayoutSkipped
from engine import Evaluation, ExpressionError, Graph, LimitExceeded, evaluate
from engine.results import first_nonfinite
from engine.trace import data

from .errors import APIError
from .settings import Settings

#: The engine's node kinds, as drawing/ names them.
LAYOUT_KIND = {"var": "input", "const": "const", "op": "op"}


def _check_sizes(values: Mapping, wrt: list | None, tangent: Any, settings: Settings) -> None:
    for field, size, maximum, limit in (
        ("values", len(values), settings.max_variables, "max_variables"),
        ("tangent", len(tangent) if isinstance(tangent, dict) else 0, settings.max_variables,
         "max_variables"),
        ("wrt", len(wrt or ()), settings.max_wrt, "max_wrt"),
    ):
        if size > maximum:
            raise APIError(422, "limit_exceeded", f"{field} has {size} entries; at most {maximum} are "
                           f"allowed", field=field, limit=limit, maximum=maximum, actual=size)


def evaluate_request(expression: str, values: Mapping[str, object], *, wrt: list[str] | None = None,
                     tangent: str | Mapping[str, float] | None, settings: Settings,
                     requires_grad: list[str] | None = None) -> tuple[Evaluation, list | None]:
    """Run the engine; errors keep the engine's message and place and gain the request field."""
    _check_sizes(values, wrt, tangent, settings)
    try:
        ev = evaluate(expression, values, tangent_of=tangent, limits=settings.limits,
                      requires_grad=requires_grad, shown=settings.shown_elements)
    except ExpressionError as err:
        if err.field is not None:  # the engine knew (values.X[1][2], requires_grad)
            raise
        if isinstance(err, LimitExceeded):
            raise err.with_field("expression") from None
        if err.code == "missing_value" and err.text:
            raise err.with_field(f"values.{err.text}") from None
        if err.code in ("unknown_variable", "invalid_value"):
            raise err.with_field("tangent") from None
        raise err.with_field("expression") from None
    grads_wrt = None
    if wrt is not None:
        try:
            grads_wrt = ev.gradient_wrt(wrt)
        except ExpressionError as err:
            raise err.with_field("wrt") from None
    return ev, grads_wrt


def layout_items(graph: Graph) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, int]]]:
    """The graph as drawing/ wants it: (id, label, kind) nodes and (source, target, index)
    edges. Labels are op symbols, variable names and constants' text: structure, never values."""
    kind = graph.kind
    nodes = [(f"n{i}", graph.label(i), LAYOUT_KIND[kind(i)]) for i in range(len(graph))]
    edges = [(f"n{e.source}", f"n{e.target}", e.index) for e in graph.edges]
    return nodes, edges


_caches: dict[tuple, LayoutCache] = {}
_caches_lock = threading.Lock()


def layout_cache(settings: Settings) -> LayoutCache:
    """The one layout cache for these settings' layout bounds and size, made on first use: every
    app in the process built with the same bounds shares it (tests build many apps)."""
    bounds = (settings.layout_cache_size, settings.layout_timeout_s, settings.layout_max_nodes,
              settings.layout_fanout_threshold)
    with _caches_lock:
        cache = _caches.get(bounds)
        if cache is None:
            cache = _caches[bounds] = LayoutCache(
                settings.layout_cache_size, timeout_s=settings.layout_timeout_s,
                max_nodes=settings.layout_max_nodes, fanout_threshold=settings.layout_fanout_threshold)
        return cache


def graph_layout(graph: Graph, settings: Settings) -> Layout:
    """Graphviz's layout, from the cache when this structure was laid out before; raises
    LayoutSkipped over a bound, at once for a big structure that recently failed."""
    return layout_cache(settings).layout(*layout_items(graph))


def layout_body(graph: Graph, settings: Settings) -> dict:
    try:
        drawn = graph_layout(graph, settings)
    except LayoutSkipped as skip:
        return {"status": "skipped", "reason": {"line": None, "column": None, "text": None,
                                                **skip.to_dict()},
                "unit": "pt", "width": None, "height": None, "nodes": {}, "copies": {}, "edges": []}
    return {"status": "ok", "reason": None, "unit": "pt", **drawn.to_dict()}


def warnings_of(ev: Evaluation, values: Mapping[str, float]) -> list[dict]:
    """Everything worth telling that is not an error: unused names and values, and where a
    value, gradient or tangent first stopped being finite."""
    graph = ev.graph
    out: list[dict] = [{"code": "unused_name", "message": text} for text in ev.warnings]
    known = set(graph.variables)
    for name in values:
        if name not in known:
            out.append({"code": "unused_value", "name": name,
                        "message": f"'{name}' is not a variable of this expression; its value was "
                                   f"ignored"})
    for item in ev.nonfinite():
        out.append({"code": "nonfinite_value" if item["pass"] == "forward" else "nonfinite_gradient",
                    "message": item["message"], "node": item["node"], "name": item["name"],
                    "pass": item["pass"]})
    if ev.tangent is not None:
        tans = ev.tangent.tangents
        i = first_nonfinite(tans, range(len(tans)))
        if i is not None:
            name, t = graph.display_name(i), np.asarray(tans[i], dtype=float)
            t = t.flat[int(np.flatnonzero(~np.isfinite(t))[0])]
            out.append({"code": "nonfinite_tangent", "node": f"n{i}", "name": name, "pass": "tangent",
                        "message": f"the tangent at {name} is {float(t)} (not finite)"})
    return out


def response_body(expression: str, values: Mapping[str, object], *, wrt: list[str] | None = None,
                  tangent: str | Mapping[str, float] | None = None, with_layout: bool = True,
                  settings: Settings, requires_grad: list[str] | None = None,
                  checkpoint: Callable[[], None] = lambda: None) -> dict:
    """The body of POST /api/v1/graph (and GET /api/v1/graph.json), as plain data with floats
    that may not be finite; app.encoding.dumps writes those as "inf", "-inf", "nan".
    `checkpoint` is called between the stages (app.heavy: it stops a request over its budget or
    whose client left)."""
    ev, grads_wrt = evaluate_request(expression, values, wrt=wrt, tangent=tangent, settings=settings,
                                     requires_grad=requires_grad)
    checkpoint()
    shown = settings.shown_elements
    graph = ev.graph
    warnings = warnings_of(ev, values)
    drawn = None
    if with_layout:
        drawn = layout_body(graph, settings)
        if drawn["status"] == "skipped":
            warnings.append({"code": "layout_skipped", "message": drawn["reason"]["message"]})
        checkpoint()
    tangent_out = None
    if ev.tangent is not None:
        tangent_out = {"direction": ev.tangent.direction,
                       "output": data(ev.tangent.tangents[graph.output], shown)}
    return {
        "expression": expression,
        "value": data(ev.value, shown),
        "output": f"n{graph.output}",
        "variables": list(graph.variables),
        "gradient": {name: data(g, shown) for name, g in ev.gradient.items()},
        "wrt": wrt,
        "gradient_wrt": None if grads_wrt is None else [data(g, shown) for g in grads_wrt],
        "tangent": tangent_out,
        "nodes": ev.nodes(),
        "edges": ev.edges(),
        "trace": ev.trace(),
        "layout": drawn,
        "warnings": warnings,
    }
