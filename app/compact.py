"""The compact body of POST /api/v1/graph (`"format": "compact"` in the request): the same answer
as the default ("objects") body, with its nodes and edges as columns and its trace as rows
(engine.columns), marked `"format": "compact/1"`. `decode` gives back the objects body exactly
(as parsed JSON); static/js/compact.js is the page's copy of it.

Why: on a text seen for the first time (every keystroke of a number typed), a dict per node,
edge and event and their keys were most of the body's time after the passes; columns and rows are
the passes' own lists and tuples, written by orjson as they are, in half the bytes.

Version 1 (`compact/1`), beside the head and tail fields of the objects body, unchanged:
- `nodes`: {field: [one per node]}, node i is "n<i>": name, kind, op, label, display, inputs
  (node indices), value, grad, shape; `tangent` with a tangent (set on every node); `aliases`
  and `composite` when some node has one (null: the node has no such key);
- `edges`: {field: [one per edge]}, edge k is "e<k>", the k-th (target, argument index) in the
  order of `nodes.inputs`, so its `source`, `target` and `index` come from there: local,
  contribution; on tensors `backward` (set on every edge), and `jacobian`, `grad_in`, `product`
  (null: the edge has no such key);
- `trace`: `fields` names, per pass and event type, the items of a row after its type;
  `forward`, `backward` (and `tangent`) are the rows `[type, ...]`; a `node`, `source` or
  `target` item is a node index, an `edge` item an edge index.
Numbers that are not finite are "inf", "-inf", "nan", as in the objects body.
"""

from __future__ import annotations

import math
from typing import Any

from engine import Evaluation
from engine.columns import EVENT_FIELDS, JACOBIAN_FIELDS, edge_columns, node_columns, trace_rows

from .encoding import dumps, dumps_orjson

FORMAT = "compact/1"
#: Fields that hold a node index, and the one that holds an edge index, in a trace's rows.
NODE_FIELDS = frozenset({"node", "source", "target"})
#: Nodes' columns whose null means "no such key" (the others are set on every node).
SPARSE_NODE_FIELDS = ("aliases", "composite")


def body(head: dict, tail: dict, ev: Evaluation, labels: list[str],
         marks: dict[int, tuple[int, str, bool]]) -> bytes:
    """The compact body: `head` and `tail` as in the objects body (app.graphs), nodes, edges and
    trace from engine.columns, composite marks (app.graphs.composite_marks) as a column."""
    plain = _finite_floats(ev)  # then orjson writes them as they are (it writes null for inf, nan)
    nodes = node_columns(ev, labels, plain or None)
    if marks:
        composite: list = [None] * len(nodes["kind"])
        for i, (of, op, is_expanded) in marks.items():
            composite[i] = {"of": f"n{of}", "op": op, "expanded": is_expanded}
        nodes["composite"] = composite
    trace: dict[str, Any] = {"fields": EVENT_FIELDS, **trace_rows(ev, plain or None)}
    out = {"format": FORMAT, **head, "nodes": nodes, "edges": edge_columns(ev, plain or None),
           "trace": trace, **tail}
    if plain:
        written = dumps_orjson(out)
        if written is not None:  # else a lone surrogate, an integer past 64 bits: json's way
            return written
    return dumps(out)  # arrays (already data()) and numbers that are not finite: "inf", "nan"


def _finite_floats(ev: Evaluation) -> bool:
    """Whether every number of the answer is a finite float (or None), checked in C a list at a
    time (once for the columns, rows and writer). The head's numbers and the backward pass's
    running sums come from these: a running sum past float64 stays inf or nan to the end, so its
    node's gradient is not finite."""
    fwd, rev, tan = ev.forward, ev.reverse, ev.tangent
    lists = [fwd.values, rev.grads, rev.edge_local, rev.edge_contribution]
    if tan is not None:
        lists += [tan.tangents, tan.edge_local, tan.edge_term, list(tan.direction.values())]
    plain = {float, type(None)}
    return all(xs is not None and set(map(type, xs)) <= plain and math.isfinite(sum(filter(None, xs)))
               for xs in lists)


def decode(compact: dict) -> dict:
    """The objects body that a compact/1 body (parsed) stands for: equal to it as parsed JSON,
    keys in the same order. The reference for clients (static/js/compact.js is the page's)."""
    if compact.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} body: format {compact.get('format')!r}")
    out = {}
    for key, v in compact.items():
        if key == "nodes":
            out[key] = _nodes(v)
        elif key == "edges":
            out[key] = _edges(v, compact["nodes"]["inputs"])
        elif key == "trace":
            out[key] = _trace(v)
        elif key != "format":
            out[key] = v
    return out


def _nodes(columns: dict[str, list]) -> list[dict]:
    out = []
    for i in range(len(columns["kind"])):
        node: dict[str, Any] = {"id": f"n{i}"}
        for key, column in columns.items():
            v = column[i]
            if key == "inputs":
                node[key] = [f"n{s}" for s in v]
            elif v is not None or key not in SPARSE_NODE_FIELDS:
                node[key] = v
        out.append(node)
    return out


def _edges(columns: dict[str, list], inputs: list[list[int]]) -> list[dict]:
    out = []
    for t, args in enumerate(inputs):
        for index, s in enumerate(args):
            k = len(out)
            edge: dict[str, Any] = {"id": f"e{k}", "source": f"n{s}", "target": f"n{t}", "index": index}
            for key, column in columns.items():
                if column[k] is not None or key not in JACOBIAN_FIELDS:
                    edge[key] = column[k]
            out.append(edge)
    return out


def _trace(trace: dict) -> dict[str, list[dict]]:
    fields = trace["fields"]
    return {name: [_event(row, fields[name][row[0]]) for row in rows]
            for name, rows in trace.items() if name != "fields"}


def _event(row: list, names: list[str]) -> dict:
    event: dict[str, Any] = {"type": row[0]}
    for name, v in zip(names, row[1:]):
        event[name] = f"n{v}" if name in NODE_FIELDS else f"e{v}" if name == "edge" else v
    return event
