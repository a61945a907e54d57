"""An evaluation's nodes and edges as columns and its trace as rows: the same information as
engine.views' dicts, as arrays (a compact answer for the web, app/compact.py; see the README's API
section).

A dict per node, edge and event is most of the time of a web answer's body after the passes
(building them and writing their keys); columns and rows are the passes' own lists and tuples,
which a JSON writer writes as they are. Node i is "n<i>", edge k is "e<k>" (edges numbered by
target, then argument index: the order of `nodes.inputs`), so neither carries an id:

- nodes: one list per field, node i at place i: `name`, `kind`, `op`, `label`, `display`,
  `inputs` (node indices), `value`, `grad`, `shape`; `tangent` when a tangent was asked;
  `aliases` when some node has one (null where a node has none);
- edges: `local` and `contribution`, edge k at place k; on tensors also `backward`, and
  `jacobian`, `grad_in`, `product` when some edge has them (null where an edge has none);
- trace: each pass's events as rows `[type, ...]`, the fields after the type named by
  `EVENT_FIELDS` (as engine.views names them in its dicts), node and edge fields as indices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .results import ACCUMULATE, CONTRIBUTE, EVALUATE, LOCAL, REDUCE, SEED, TANGENT, TERM, VISIT
from .views import as_is, converter, edges, has_grad, kinds_ops_names, plain_events

if TYPE_CHECKING:
    from .evaluation import Evaluation

_LOCAL = ["edge", "source", "target", "index", "local"]
#: Per pass, per event type: the names of a row's items after its type (engine.views' keys).
EVENT_FIELDS: dict[str, dict[str, list[str]]] = {
    "forward": {EVALUATE: ["node", "value"]},
    "backward": {SEED: ["node", "grad"], VISIT: ["node", "grad"], LOCAL: _LOCAL,
                 CONTRIBUTE: ["edge", "source", "target", "contribution"],
                 REDUCE: ["edge", "node", "axes", "contribution"],
                 ACCUMULATE: ["edge", "node", "before", "grad"]},
    "tangent": {SEED: ["node", "tangent"], LOCAL: _LOCAL, TERM: ["edge", "source", "target", "term"],
                TANGENT: ["node", "tangent"]},
}
#: Edges' columns that only tensors have, and those only small Jacobians have (null elsewhere).
TENSOR_EDGE_FIELDS = ("backward",)
JACOBIAN_FIELDS = ("jacobian", "grad_in", "product")


def node_columns(ev: Evaluation, labels: list[str], plain: bool | None = None) -> dict[str, list]:
    """The nodes as columns (the module's docstring). `labels`: each node's engine.names.label;
    `plain`: whether every number of `ev` is a float or None, when the caller knows."""
    g, vals, grads = ev.graph, ev.forward.values, ev.reverse.grads
    kinds, ops, given = kinds_ops_names(g)
    needs = has_grad(ev)
    tans = ev.tangent.tangents if ev.tangent is not None else None
    if plain or (plain is None and as_is(vals, grads, tans)):  # as they are: no call a number
        value, tangent = vals, tans
        grad = [gr if need else None for gr, need in zip(grads, needs)]
        shape: list = [[]] * len(vals)
    else:  # arrays: as data() writes them
        d = converter(ev.shown)
        value, tangent = list(map(d, vals)), None if tans is None else list(map(d, tans))
        grad = [d(gr) if need else None for gr, need in zip(grads, needs)]
        shape = [list(np.shape(v)) for v in vals]
    out = {"name": given, "kind": kinds, "op": ops, "label": labels, "display": ev.names,
           "inputs": g.inputs, "value": value, "grad": grad, "shape": shape}
    if g.aliases:
        aliases: list = [None] * len(vals)
        for i, names_of in g.aliases.items():
            aliases[i] = list(names_of)
        out["aliases"] = aliases
    if tangent is not None:
        out["tangent"] = tangent
    return out


def edge_columns(ev: Evaluation, plain: bool | None = None) -> dict[str, list]:
    """The edges as columns (the module's docstring): the pass's own lists for numbers; tensors'
    edges (a backward step and a Jacobian each) from engine.views' dicts, set in columns."""
    local, contrib = ev.reverse.edge_local, ev.reverse.edge_contribution
    if local is None or contrib is None:
        raise ValueError("evaluate with trace=True to record each edge's local derivative")
    if not ev.tensors and (plain or (plain is None and as_is(local, contrib))):
        return {"local": local, "contribution": contrib}
    dicts = edges(ev)
    out = {key: [e[key] for e in dicts] for key in ("local", "contribution")}
    for key in TENSOR_EDGE_FIELDS:
        if any(key in e for e in dicts):
            out[key] = [e.get(key) for e in dicts]
    for key in JACOBIAN_FIELDS:
        if any(key in e for e in dicts):
            out[key] = [e.get(key) for e in dicts]
    return out


def trace_rows(ev: Evaluation, plain: bool | None = None) -> dict[str, list[tuple]]:
    """Each pass's events as rows: the recorded tuples themselves (arrays as data())."""
    fwd, rev, tan, shown = ev.forward, ev.reverse, ev.tangent, ev.shown
    if plain:
        out = {"forward": fwd.events, "backward": rev.events}
        if tan is not None:
            out["tangent"] = tan.events
        if None not in out.values():
            return out  # type: ignore[return-value]
    out = {"forward": plain_events(fwd.events, (fwd.values,), shown),
           "backward": plain_events(rev.events, (rev.grads, rev.edge_local, rev.edge_contribution), shown)}
    if tan is not None:
        out["tangent"] = plain_events(tan.events, (tan.tangents, tan.edge_local, tan.edge_term), shown)
    return out
