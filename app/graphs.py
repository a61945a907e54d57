"""What POST /api/v1/graph and the exports compute: the engine's evaluation of a request,
its Graphviz layout, and the response body as plain data. No HTTP here beyond APIError."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from itertools import chain
from typing import Any

import numpy as np
import orjson

from drawing import Layout, LayoutCache, LayoutSkipped
from engine import Evaluation, ExpressionError, Graph, LimitExceeded, evaluate, parse, views
from engine.backward_graph import BackwardGraph, backward_graph
from engine.expand import Expanded, composites, expand
from engine.names import label
from engine.results import first_nonfinite
from engine.views import data

from . import body_templates, compact
from .encoding import RawJSON, dumps, dumps_json, dumps_orjson, numbers_text, spelt_otherwise
from .errors import APIError
from .settings import Settings

#: The engine's node kinds, as drawing/ names them.
LAYOUT_KIND = {"var": "input", "const": "const", "op": "op"}
#: Bodies of floats written by orjson with their numbers checked in C, nodes, edges and trace
#: part by part or from a template (app.body_templates); False: every number listed for dumps, as
#: before (for the tests' comparison: the bytes are the same).
FAST_BODY = True


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


def evaluate_request(expression: str | Graph, values: Mapping[str, object], *, wrt: list[str] | None = None,
                     tangent: str | Mapping[str, float] | None, settings: Settings,
                     requires_grad: list[str] | None = None,
                     target: str | None = None) -> tuple[Evaluation, list | None]:
    """Run the engine; errors keep the engine's message and place and gain the request field."""
    _check_sizes(values, wrt, tangent, settings)
    try:
        ev = evaluate(expression, values, tangent_of=tangent, limits=settings.limits,
                      requires_grad=requires_grad, shown=settings.shown_elements, target=target)
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


def layout_items(graph: Graph, labels: list[str] | None = None
                 ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, int]]]:
    """The graph as drawing/ wants it: (id, label, kind) nodes and (source, target, index)
    edges. Labels are op symbols, variable names and constants' text: structure, never values
    (`labels`, each node's, when the caller has them)."""
    ids, every = [f"n{i}" for i in range(len(graph))], range(len(graph))
    labels = [label(graph, i) for i in every] if labels is None else labels
    nodes = list(zip(ids, labels, [LAYOUT_KIND[k] for k in map(graph.kind, every)]))
    # from the inputs, in the order of graph.edges (by target, then index), no Edge made
    return nodes, [(ids[s], ids[t], k) for t, args in enumerate(graph.inputs) for k, s in enumerate(args)]


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


def graph_layout(graph: Graph, settings: Settings, labels: list[str] | None = None) -> Layout:
    """Graphviz's layout, from the cache when this structure was laid out before; raises
    LayoutSkipped over a bound, at once for a big structure that recently failed."""
    return layout_cache(settings).layout_of(layout_key(graph), lambda: layout_items(graph, labels))


def layout_key(graph: Graph) -> str:
    """What the layout depends on, as a digest made in C: every node's inputs in order (an op
    has at least one, a leaf none) and which leaves are variables; the ids are the positions.
    The same for the same `layout_items` but for their labels."""
    return "graph:" + hashlib.sha256(orjson.dumps((graph.inputs, graph.var_nodes))).hexdigest()


def layout_body(graph: Graph, settings: Settings, labels: list[str] | None = None) -> dict | RawJSON:
    """The answer's `layout`: a laid out graph as its JSON, made once per cached layout."""
    try:
        drawn = graph_layout(graph, settings, labels)
    except LayoutSkipped as skip:
        return {"status": "skipped", "reason": {"line": None, "column": None, "text": None,
                                                **skip.to_dict()},
                "unit": "pt", "width": None, "height": None, "nodes": {}, "copies": {}, "edges": []}
    return RawJSON(b'{"status":"ok","reason":null,"unit":"pt",' + drawn.encoded[1:])


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
            name, t = ev.names[i], np.asarray(tans[i], dtype=float)
            t = t.flat[int(np.flatnonzero(~np.isfinite(t))[0])]
            out.append({"code": "nonfinite_tangent", "node": f"n{i}", "name": name, "pass": "tangent",
                        "message": f"the tangent at {name} is {float(t)} (not finite)"})
    return out


def response_body(expression: str, values: Mapping[str, object], *, wrt: list[str] | None = None,
                  tangent: str | Mapping[str, float] | None = None, with_layout: bool = True,
                  settings: Settings, requires_grad: list[str] | None = None,
                  derivative_of: str | None = None, target: str | None = None,
                  expand: list[str] | None = None, body_format: str = "objects",
                  checkpoint: Callable[[], None] = lambda: None) -> bytes:
    """The body of POST /api/v1/graph (and GET /api/v1/graph.json), encoded by app.encoding.dumps
    (numbers that are not finite as "inf", "-inf", "nan"). With `derivative_of`, the body of the
    backward pass of ∂f/∂x drawn as a graph of its own. `checkpoint` is called between the
    stages (app.heavy: it stops a request over its budget or whose client left). `expand` lists
    composite nodes (ids of the graph as parsed) to draw as their unit functions. `body_format`
    "compact": the same answer with nodes, edges and trace as arrays (app.compact)."""
    backward, expanded, kept, key = None, None, None, None
    if derivative_of is not None:
        backward = derivative_graph(expression, values, derivative_of, settings)
        checkpoint()
    elif expand:
        expanded, warned = expanded_graph(expression, expand, settings)
    if FAST_BODY and backward is None:  # what a kept template of this structure holds
        key = (expression, _tuple(requires_grad), target, settings.shown_elements, settings.max_length,
               settings.max_nodes, settings.max_depth, settings.max_elements, settings.max_dims,
               settings.max_work, tangent if tangent is None or isinstance(tangent, str) else
               tuple(tangent), _tuple(expand), with_layout and layout_cache(settings),  # the limits: parse's
               body_format)  # a compact answer's entry keeps the parse alone (no template text)
        kept = body_templates.TEMPLATES.get(key)
    source = backward.graph if backward else expanded.graph if expanded else expression
    ev = None
    if kept is not None and kept.graph is not None:  # the text as parsed before
        try:
            ev, grads_wrt = evaluate_request(kept.graph, values, wrt=wrt, tangent=tangent,
                                             settings=settings, requires_grad=requires_grad, target=target)
            ev.warnings.extend(kept.warnings)
            if kept.names is not None:  # the display names, made once for the structure
                ev.names = kept.names  # (a cached_property: set, it is not made again)
        except ExpressionError:  # told as the text's own error, with its place
            ev = None
    if ev is None:
        ev, grads_wrt = evaluate_request(source, values, wrt=wrt, tangent=tangent, settings=settings,
                                         requires_grad=requires_grad, target=target)
    parsed_warnings = list(ev.warnings)
    if expanded:
        ev.warnings.extend(warned)
    checkpoint()
    shown = settings.shown_elements
    graph = ev.graph
    if kept is None:
        labels = [label(graph, i) for i in range(len(graph))]
    else:  # a template's text holds them; a compact answer's entry keeps them for its graph
        labels = kept.labels if graph is kept.graph else None
    warnings = warnings_of(ev, values)
    drawn = None
    if with_layout:
        drawn = kept.layout if kept is not None and kept.layout else layout_body(graph, settings, labels)
        if isinstance(drawn, dict):  # skipped
            warnings.append({"code": "layout_skipped", "message": drawn["reason"]["message"]})
        checkpoint()
    tangent_out = None
    if ev.tangent is not None:
        tangent_out = {"direction": ev.tangent.direction,
                       "output": data(ev.tangent.tangents[graph.output], shown)}
    head = {
        "expression": expression,
        "value": data(ev.value, shown),
        "output": f"n{graph.output}",
        "variables": list(graph.variables),
        "gradient": {name: data(g, shown) for name, g in ev.gradient.items()},
        "wrt": wrt,
        "gradient_wrt": None if grads_wrt is None else [data(g, shown) for g in grads_wrt],
        "tangent": tangent_out,
    }
    tail = {
        "layout": drawn,
        "warnings": warnings,
        **({} if len(graph.outputs) < 2 else {"outputs": [f"n{o}" for o in graph.outputs]}),
        **({} if ev.target is None else {"target": f"n{ev.output}"}),
        **({} if backward is None else {"derivative_of": {
            "variable": derivative_of, "function": expression,
            "origin": [{"role": role, "node": f"n{i}" if role in ("forward", "seed") else None,
                        "edge": f"e{i}" if role in ("local", "product", "sum") else None}
                       for role, i in backward.origin]}}),
    }
    marks = composite_marks(graph, expanded)
    if body_format == "compact":  # no template text: written from the pass's own lists at once
        labels = labels or [label(graph, i) for i in range(len(graph))]
        out = compact.body(head, tail, ev, labels, marks)
        if key is not None and kept is None and body_templates.TEMPLATES.seen_before(key):
            # a structure seen again (a slider): its parse, labels, names and layout kept
            body_templates.TEMPLATES.put(key, body_templates.parsed(
                None if expanded else graph, parsed_warnings, drawn, labels, ev.names))
        return out
    if FAST_BODY:  # most answers: every number a float that orjson writes as json does
        out = fast_body(head, tail, ev, labels, marks, key, kept,
                        (None if expanded else graph, parsed_warnings, drawn))
        if out is not None:
            return out
    labels = labels or [label(graph, i) for i in range(len(graph))]
    nodes = views.nodes(ev, labels)
    for i, (of, op, is_expanded) in marks.items():
        nodes[i]["composite"] = {"of": f"n{of}", "op": op, "expanded": is_expanded}
    trace = ev.trace()
    body = {**head, "nodes": nodes, "edges": ev.edges(), "trace": trace, **tail}
    return dumps(body, numbers=numbers(ev, trace))


def _tuple(xs: list | None) -> tuple | None:
    return None if xs is None else tuple(xs)


def fast_body(head: dict, tail: dict, ev: Evaluation, labels: list[str] | None,
              marks: dict[int, tuple[int, str, bool]], key: Hashable | None,
              kept: body_templates.Template | None, keep: tuple) -> bytes | None:
    """The body as `dumps` writes it when every number is finite (else None): by orjson, with
    json's spelling of the numbers orjson spells otherwise set in (app.body_templates.respelt);
    nodes, edges and trace from the template `kept` when it fits, else written part by part
    (app.body_templates; a small body in one orjson call). Whatever else orjson writes as json
    does, or cannot write (then None). The second time a structure is seen its template is
    made, and kept when it gives the bytes written the plain way, with `keep`: the graph as
    parsed (None when not parsed from the text alone), the parser's warnings and the layout."""
    numbers = body_templates.numbers(ev)

    def ends(write: Callable[[object], bytes | None]) -> tuple[bytes | None, bytes | None]:
        drawn = tail["layout"]  # head and tail written apart
        if isinstance(drawn, RawJSON):  # json: the layout's own text put in (orjson: a Fragment)
            rest = write({k: v for k, v in tail.items() if k != "layout"})
            return write(head), rest and b'{"layout":' + drawn.text + b"," + rest[1:]
        return write(head), write(tail)

    if kept is not None and kept.shape == body_templates.shape(ev):
        got = numbers_text(numbers)
        if got is None:
            return None
        written = ends(dumps_orjson if got[1] else dumps_json)
        return None if None in written else kept.fill(got[0], *written)  # type: ignore[arg-type]
    otherwise = spelt_otherwise(numbers)
    if otherwise is None:
        return None
    write = dumps_json if otherwise else dumps_orjson
    labels = labels or [label(ev.graph, i) for i in range(len(ev.graph))]
    written = None
    try:
        # the middle by orjson too, with json's text of those numbers set in
        view = body_templates.respelt(ev, otherwise) if otherwise else ev
        if not otherwise and len(ev.forward.values) + len(ev.reverse.events or ()) <= views.PART:
            body = dumps_orjson({**head, **body_templates.dicts(ev, labels, marks), **tail})
        else:
            written = ends(write)
            middle = list(body_templates.middle(view, labels, marks, dumps_orjson))
            if None in written or None in middle:
                return None
            body = b"".join([written[0][:-1], b",", *middle, b",", written[1][1:]])  # type: ignore[index, list-item]
            del middle
    except (orjson.JSONEncodeError, TypeError):  # text orjson cannot write: json's way
        return None
    if body is not None and key is not None and (
            kept is not None or body_templates.TEMPLATES.seen_before(key)):
        got = numbers_text(numbers)  # the numbers' text, which a template's requests set in
        written = written or ends(write)
        made = body_templates.template(ev, labels, marks, *keep)
        if got is not None and None not in written and made.fill(got[0], *written) == body:  # type: ignore[arg-type]
            body_templates.TEMPLATES.put(key, made)
        else:
            body_templates.TEMPLATES.drop(key)
    return body


def expanded_graph(expression: str, ids: list[str], settings: Settings) -> tuple[Expanded, list[str]]:
    """The parsed graph with the composite nodes `ids` (n7, ...) drawn as unit functions, and the
    parser's warnings."""
    try:
        parsed = parse(expression, settings.limits)
    except ExpressionError as err:
        raise err.with_field("expression") from None
    wanted = []
    for k, node in enumerate(ids):
        if not (node[:1] == "n" and node[1:].isascii() and node[1:].isdigit()):
            raise APIError(422, "invalid_request", f"expand[{k}] must be a node id such as n7, not "
                           f"{node[:40]!r}", field=f"expand[{k}]", text=node[:200])
        wanted.append(int(node[1:]))
    try:
        return expand(parsed.graph, set(wanted), settings.limits.max_nodes), parsed.warnings
    except ExpressionError as err:  # not a composite; too many nodes once expanded
        raise (err if err.field else err.with_field("expand")) from None


def composite_marks(graph: Graph, expanded: Expanded | None) -> dict[int, tuple[int, str, bool]]:
    """Nodes that are composites, or unit functions of an expanded one: node -> (the composite's
    id in the graph as parsed, its op, whether expanded); each such node's `composite` is
    {of, op, expanded}."""
    if expanded:
        return expanded.composite
    return {i: (i, graph.ops[i].name, False) for i in composites(graph)}  # type: ignore[union-attr]


def derivative_graph(expression: str, values: Mapping[str, object], variable: str,
                     settings: Settings) -> BackwardGraph:
    """f's backward pass for ∂f/∂`variable` as a graph (f's errors reported as POST /graph's)."""
    graph = evaluate_request(expression, values, tangent=None, settings=settings)[0].graph
    try:
        return backward_graph(graph, variable, settings.limits)
    except ExpressionError as err:
        raise err.with_field("derivative_of") from None


def numbers(ev: Evaluation, trace: dict[str, list[dict]]) -> Iterator:
    """Every number of the answer, for app.encoding.dumps to look at: values, gradients and
    tangents, each edge's local derivative and what it sent, the trace's running sums and the
    direction (tests/test_encoding.py checks that none is left out). Arrays are among them as
    arrays."""
    rev, tan = ev.reverse, ev.tangent
    lists = [ev.forward.values, rev.grads, rev.edge_local, rev.edge_contribution,
             [v for e in trace["backward"] if e["type"] == "accumulate" for v in (e["before"], e["grad"])]]
    if tan is not None:
        lists += [tan.tangents, tan.edge_local, tan.edge_term, tan.direction.values()]
    return chain.from_iterable(lists)
