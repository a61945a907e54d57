"""An evaluation as JSON-ready data, for whoever shows it (the API, the command line): each value
as a float, nested lists or a big array's summary; the nodes; the edges with their backward
steps and a small edge's Jacobian (eq. 6.46); where inf or nan first appeared; the trace, each
pass's recorded steps as dicts from which a viewer replays the passes; and the lecture's
forward/backward table, rebuilt from the trace's events alone (as a viewer must be able to).

Node ids are "n<i>", edge ids "e<k>" (edges numbered by target, then argument index). A number
is a float; an array is nested lists up to `shown` elements, and beyond that a summary
{"shape", "min", "max", "mean", "norm", "preview"} (see `data`). The trace's events:

Forward pass:  {"type": "evaluate", "node", "value"}
Reverse pass:  {"type": "seed", "node", "grad": 1}; then for each node, latest first,
               {"type": "visit", "node", "grad"} and for each incoming edge whose source
               needs a gradient: {"type": "local", "edge", "source", "target", "index", "local"}
               (d target / d source; null for an op that sends its vector-Jacobian product),
               {"type": "contribute", ..., "contribution"} (local × grad[target], or the VJP),
               on tensors {"type": "reduce", "edge", "node", "axes", "contribution"} where the
               source was broadcast (the contribution summed over those axes), and
               {"type": "accumulate", "edge", "node", "before", "grad"} (the source's running
               sum before and after adding it; `before` 0 or null for the first).
Forward mode:  {"type": "seed", "node", "tangent"} per seeded input; then per dependent node
               "local" and {"type": "term", ..., "term"} (local × tangent[source]) per edge,
               and {"type": "tangent", "node", "tangent"}.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .graph import CONSTANT, VARIABLE, Edge, Graph, ancestors, needs_grad
from .jacobian import edge_jacobian
from .names import label
from .results import ACCUMULATE, CONTRIBUTE, EVALUATE, LOCAL, REDUCE, TERM, Forward, Reverse, Tangents

if TYPE_CHECKING:
    from .evaluation import Evaluation

#: Arrays up to this many elements are sent whole; bigger ones as a summary.
SHOWN = 64
PREVIEW = 8
#: An edge's Jacobian is sent when it has at most this many entries.
JACOBIAN_ENTRIES = 64


def nid(i: int) -> str:
    return f"n{i}"


def eid(e: int) -> str:
    return f"e{e}"


#: Ids made once for every body (a graph's nodes' and edges' are wanted by its nodes, edges, trace
#: and layout: 20 µs a use at 233 nodes), up to this many a kind: 0.25 MB each at most.
KEPT_IDS = 4096
_ids: dict[str, list[str]] = {"n": [], "e": []}


def ids(prefix: str, count: int) -> list[str]:
    """["n0", "n1", ...] (`prefix` "n" or "e"), `count` of them: a new list, from those made
    before. The kept list is replaced, never grown in place: another thread may be reading it."""
    kept = _ids[prefix]
    if count > len(kept):
        made = kept + [f"{prefix}{i}" for i in range(len(kept), count)]
        if len(kept) < KEPT_IDS:
            _ids[prefix] = made[:KEPT_IDS]
        return made
    return kept[:count]


def data(v: object, shown: int = SHOWN) -> object:
    """A value as JSON-ready data: a float, nested lists, or a big array's summary."""
    if v is None or isinstance(v, float):
        return v
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return float(a)
    if a.size <= shown:
        return a.tolist()
    with np.errstate(all="ignore"):
        return {"shape": list(a.shape), "min": float(a.min()), "max": float(a.max()),
                "mean": float(a.mean()), "norm": float(np.sqrt(np.sum(a * a))),
                "preview": a.ravel()[:PREVIEW].tolist()}


def converter(shown: int):
    """data() with its bound; nothing to do for a float or None, or for what a body's writer
    sets in a number's place (`AS_IS`)."""
    return lambda v: v if v.__class__ in AS_IS else data(v, shown)


#: The types of numbers given as they are: floats and None, and what a body's writer sets in a
#: number's place: str, a number's marker in a body template (app.body_templates); the app adds
#: orjson's Fragment, a number already written.
AS_IS: set[type] = {float, str, type(None)}


def as_is(*lists: list | None) -> bool:
    """Whether every number of these lists (None: no list) is given as it is (`AS_IS`): no array,
    so no call a number. One C pass a list."""
    return all(set(map(type, xs)) <= AS_IS for xs in lists if xs is not None)


def kinds_ops_names(g: Graph) -> tuple[list[str], list[str], list[str | None]]:
    """Each node's kind (op, var, const), op name (var and const for leaves) and given name (a
    variable's own name when it was given none): the structure's part of `nodes`."""
    names, leaf = g.names, g.leaf
    kinds, op_names, given = [], [], []
    for i, op in enumerate(g.ops):
        if op is not None:
            kinds.append("op")
            op_names.append(op.name)
            given.append(names[i])
        elif leaf[i].__class__ is str:
            kinds.append(VARIABLE)
            op_names.append(VARIABLE)
            given.append(names[i] or leaf[i])
        else:
            kinds.append(CONSTANT)
            op_names.append(CONSTANT)
            given.append(names[i])
    return kinds, op_names, given


def has_grad(ev: Evaluation) -> bytearray:
    """1 for the nodes whose `grad` is sent: those that need one (requires_grad) and, with a
    target, that the target depends on."""
    needs = needs_grad(ev.graph, ev.requires_grad)
    if ev.target is not None:  # nodes the target does not depend on have no gradient
        needs = ancestors(ev.graph.inputs, (ev.target,), needs)
    return needs


def nodes(ev: Evaluation, labels: list[str] | None = None) -> list[dict]:
    """Each node: id, given name, kind, op, label, display name, inputs, value, gradient (None
    where it needs none), shape; its aliases and tangent when it has them. (`labels`: each
    node's engine.names.label, when the caller has them.)"""
    g, vals, grads = ev.graph, ev.forward.values, ev.reverse.grads
    needs = has_grad(ev)
    tans = ev.tangent.tangents if ev.tangent is not None else None
    n = ids("n", len(g))
    labels = [label(g, i) for i in range(len(g))] if labels is None else labels
    kinds, op_names, given = kinds_ops_names(g)
    inputs = [[n[s] for s in args] for args in g.inputs]
    numbers = [vals, grads] if tans is None else [vals, grads, tans]
    if as_is(*numbers):  # floats (or markers): columns
        shape: list = []  # one empty list for all: nothing changes a node's dict once made
        out = [{"id": i, "name": name, "kind": kind, "op": op, "label": lab, "display": display,
                "inputs": args, "value": v, "grad": gr if need else None, "shape": shape}
               for i, name, kind, op, lab, display, args, v, gr, need
               in zip(n, given, kinds, op_names, labels, ev.names, inputs, vals, grads, needs)]
        tangent = tans
    else:  # arrays: as data() writes them
        d = converter(ev.shown)
        out = [{"id": n[i], "name": given[i], "kind": kinds[i], "op": op_names[i], "label": labels[i],
                "display": display, "inputs": inputs[i], "value": d(v),
                "grad": d(grads[i]) if needs[i] else None, "shape": list(np.shape(v))}
               for i, (display, v) in enumerate(zip(ev.names, vals))]
        tangent = None if tans is None else list(map(d, tans))
    for i, names_of in g.aliases.items():  # before the tangent, in each dict's order of keys
        out[i]["aliases"] = list(names_of)
    if tangent is not None:
        for node, t in zip(out, tangent):
            node["tangent"] = t
    return out


def edges(ev: Evaluation) -> list[dict]:
    """Edges with d target / d source (`local`) and local × grad[target] (`contribution`);
    both None on edges from constants, which need no gradient."""
    local, contrib = ev.reverse.edge_local, ev.reverse.edge_contribution
    if local is None or contrib is None:
        raise ValueError("evaluate with trace=True to record each edge's local derivative")
    d, g = converter(ev.shown), ev.graph
    if ev.tensors:  # what each backward step is, and a small one's Jacobian
        out = [{"id": eid(e.id), "source": nid(e.source), "target": nid(e.target), "index": e.index,
                "local": d(local[e.id]), "contribution": d(contrib[e.id])} for e in g.edges]
        for e, edge in zip(g.edges, out):
            if contrib[e.id] is None:  # from data or a constant (an axis): no backward step
                edge["backward"] = None
                continue
            op = g.ops[e.target]
            edge["backward"] = (f"vjp of {op.name}: {op.vjp_text[e.index]}" if not op.partials
                                else "local × grad")  # type: ignore[union-attr]
            edge.update(_jacobian(ev, e))
        return out
    # numbers: from the inputs, numbered as graph.edges (by target, then index), no Edge made
    if not as_is(local, contrib):
        local, contrib = list(map(d, local)), list(map(d, contrib))
    n, e = ids("n", len(g)), ids("e", len(local))
    out, k = [], 0
    add = out.append
    for t, args in enumerate(g.inputs):
        target = n[t]
        for index, s in enumerate(args):
            add({"id": e[k], "source": n[s], "target": target, "index": index, "local": local[k],
                 "contribution": contrib[k]})
            k += 1
    return out


def _jacobian(ev: Evaluation, e: Edge) -> dict:
    """Eq. 6.46 for one edge: ∂y/∂x (rows y's elements, columns x's, both flattened), the
    incoming gradient ∇y z and the product (∂y/∂x)ᵀ ∇y z, when the Jacobian is small."""
    vals, grads = ev.forward.values, ev.reverse.grads
    if np.size(vals[e.target]) * np.size(vals[e.source]) > JACOBIAN_ENTRIES:
        return {}
    jac = edge_jacobian(ev.graph, ev.forward, e.target, e.index)
    g = np.ravel(grads[e.target])
    with np.errstate(all="ignore"):
        return {"jacobian": jac.tolist(), "grad_in": g.tolist(), "product": (jac.T @ g).tolist()}


def nonfinite(ev: Evaluation) -> list[dict]:
    """Where inf or nan first appeared, in values and in gradients."""
    g, out = ev.graph, []
    i = ev.forward.first_nonfinite
    if i is not None:
        names = ev.names
        vals = ev.forward.values
        op = g.ops[i]
        if op is None:  # a variable given inf or nan
            what = f"{names[i]} is {_first_bad(vals[i])} (not finite), as given"
        else:
            at = _bad_index(vals[i]) if op.partials else None  # elementwise: the arguments there
            args = [format(_first_bad(vals[s]) if at is None else
                           float(np.broadcast_to(vals[s], np.shape(vals[i])).flat[at]), ".7g")
                    for s in g.inputs[i]]
            if op.symbol is not None and op.arity == 2:
                call = f" {op.symbol} ".join(args)
            elif op.symbol is not None:
                call = f"{op.symbol}{args[0]}"
            else:
                call = f"{op.spelling}({', '.join(args)})"
            what = f"{names[i]} = {call} is {_first_bad(vals[i])} (not finite)"
        out.append({"pass": "forward", "node": nid(i), "name": names[i],
                    "value": _first_bad(vals[i]), "message": what})
    j = ev.reverse.first_nonfinite
    if j is not None:
        names = ev.names
        grad = _first_bad(ev.reverse.grads[j])
        out.append({"pass": "backward", "node": nid(j), "name": names[j], "grad": grad,
                    "message": f"the gradient at {names[j]} is {grad} (not finite)"})
    return out


def _bad_index(v: float | np.ndarray) -> int | None:
    """An array's flat index of its first element that is not finite (None for a number)."""
    if v.__class__ is float:
        return None
    bad = np.flatnonzero(~np.isfinite(np.asarray(v)))
    return int(bad[0]) if len(bad) else None


def _first_bad(v: float | np.ndarray) -> float:
    """A number as it is; an array's first element that is not finite (else its first), for a
    message about it."""
    if v.__class__ is float:
        return v  # type: ignore[return-value]
    a = np.asarray(v)
    bad = np.flatnonzero(~np.isfinite(a))
    return float(a.flat[int(bad[0]) if len(bad) else 0])


# --- the trace: each pass's recorded steps as dicts (their form: the module's docstring) --------

def plain_events(events: list[tuple] | None, numbers: tuple, shown: int) -> list[tuple]:
    """The events with arrays as data(); as they are when every number of the pass (its lists
    `numbers`) is a float or None, the hot path of a web response: no call per number."""
    if events is None:
        raise ValueError("run the pass with trace=True to record its events")
    if as_is(*numbers):
        return events
    return [tuple(x if x.__class__ in (str, int, tuple) else data(x, shown) for x in ev) for ev in events]


#: Events made into dicts at a time by the *_parts generators: the JSON of a big trace is
#: written part by part (app.body_templates), never holding every event's dict at once.
PART = 1024


def forward_events(fwd: Forward, shown: int = SHOWN) -> list[dict]:
    return [d for part in forward_parts(fwd, shown, len(fwd.values) or 1) for d in part]


def reverse_events(rev: Reverse, shown: int = SHOWN) -> list[dict]:
    return [d for part in reverse_parts(rev, shown, len(rev.events or ()) or 1) for d in part]


def tangent_events(tan: Tangents, shown: int = SHOWN) -> list[dict]:
    return [d for part in tangent_parts(tan, shown, len(tan.events or ()) or 1) for d in part]


def forward_parts(fwd: Forward, shown: int = SHOWN, size: int = PART) -> Iterator[list[dict]]:
    """forward_events, `size` events at a time (each list made when the previous is done with)."""
    events, n = plain_events(fwd.events, (fwd.values,), shown), ids("n", len(fwd.values))
    for a in range(0, len(events), size):
        yield [{"type": EVALUATE, "node": n[i], "value": v} for _, i, v in events[a:a + size]]


def reverse_parts(rev: Reverse, shown: int = SHOWN, size: int = PART) -> Iterator[list[dict]]:
    events = plain_events(rev.events, (rev.grads, rev.edge_local, rev.edge_contribution), shown)
    return _dicts(events, len(rev.grads), len(rev.edge_local), "grad", CONTRIBUTE, "contribution", size)


def tangent_parts(tan: Tangents, shown: int = SHOWN, size: int = PART) -> Iterator[list[dict]]:
    events = plain_events(tan.events, (tan.tangents, tan.edge_local, tan.edge_term), shown)
    return _dicts(events, len(tan.tangents), len(tan.edge_local), "tangent", TERM, "term", size)


def _dicts(events: list[tuple], nodes: int, edges: int, key: str, send: str, sent: str, size: int
           ) -> Iterator[list[dict]]:
    """Events as dicts, `size` at a time: `key` names a node's number (grad, tangent), `sent`
    what an edge sends (contribution, term) in events tagged `send` (CONTRIBUTE, TERM)."""
    n, e = ids("n", nodes), ids("e", edges)
    for start in range(0, len(events), size):
        out: list[dict] = []
        add = out.append
        for ev in events[start:start + size]:  # a dict a tag, the most frequent tested first
            tag = ev[0]
            if tag is LOCAL:
                add({"type": tag, "edge": e[ev[1]], "source": n[ev[2]], "target": n[ev[3]],
                     "index": ev[4], "local": ev[5]})
            elif tag is send:
                add({"type": tag, "edge": e[ev[1]], "source": n[ev[2]], "target": n[ev[3]], sent: ev[4]})
            elif tag is ACCUMULATE:
                add({"type": tag, "edge": e[ev[1]], "node": n[ev[2]], "before": ev[3], "grad": ev[4]})
            elif tag is REDUCE:
                add({"type": tag, "edge": e[ev[1]], "node": n[ev[2]], "axes": list(ev[3]),
                     "contribution": ev[4]})
            else:  # SEED, VISIT, TANGENT
                add({"type": tag, "node": n[ev[1]], key: ev[2]})
        yield out


def table(graph: Graph, forward: list[dict], backward: list[dict]) -> list[dict]:
    """The lecture's table (value, local derivatives, gradient per node) from the events alone.

    Rows follow the graph's order; `locals` lists d node / d input for each incoming edge
    the backward pass visited, in argument order.
    """
    rows = {}
    for ev in forward:
        i, node = int(ev["node"][1:]), ev["node"]
        name = graph.names[i] or (label(graph, i) if graph.ops[i] is None else node)  # else its id
        rows[node] = {"node": node, "name": name, "op": graph.op_name(i), "value": ev["value"],
                      "grad": None, "locals": []}
    for ev in backward:
        if ev["type"] == "seed":
            rows[ev["node"]]["grad"] = ev["grad"]
        elif ev["type"] == "local":
            rows[ev["target"]]["locals"].append(
                {"source": ev["source"], "source_name": rows[ev["source"]]["name"],
                 "index": ev["index"], "local": ev["local"]})
        elif ev["type"] == "accumulate":
            rows[ev["node"]]["grad"] = ev["grad"]
    for row in rows.values():
        row["locals"].sort(key=lambda r: r["index"])
    return list(rows.values())
