"""The trace as plain data: each pass's recorded steps as JSON-ready dicts, from which a viewer
replays the passes (`engine.views.table` rebuilds the lecture's table from them alone).

Node ids are "n<i>", edge ids "e<k>" (edges numbered by target, then argument index). A number
is a float; an array is nested lists up to `shown` elements, and beyond that a summary
{"shape", "min", "max", "mean", "norm", "preview"} (see `engine.views.data`).

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

from .results import ACCUMULATE, EVALUATE, LOCAL, REDUCE, Forward, Reverse, Tangents
from .views import SHOWN, data


def _plain(events: list[tuple] | None, numbers: tuple, shown: int) -> list[tuple]:
    """The events with arrays as data(); as they are when every number of the pass (its lists
    `numbers`) is a float or None, the hot path of a web response: no call per number."""
    if events is None:
        raise ValueError("run the pass with trace=True to record its events")
    if all(set(map(type, xs)) <= {float, type(None)} for xs in numbers):
        return events
    return [tuple(x if x.__class__ in (str, int, tuple) else data(x, shown) for x in ev) for ev in events]


def forward_events(fwd: Forward, shown: int = SHOWN) -> list[dict]:
    n = [f"n{i}" for i in range(len(fwd.values))]
    return [{"type": EVALUATE, "node": n[i], "value": v}
            for _, i, v in _plain(fwd.events, (fwd.values,), shown)]


def reverse_events(rev: Reverse, shown: int = SHOWN) -> list[dict]:
    events = _plain(rev.events, (rev.grads, rev.edge_local, rev.edge_contribution), shown)
    return _dicts(events, len(rev.grads), len(rev.edge_local), "grad", "contribution")


def tangent_events(tan: Tangents, shown: int = SHOWN) -> list[dict]:
    events = _plain(tan.events, (tan.tangents, tan.edge_local, tan.edge_term), shown)
    return _dicts(events, len(tan.tangents), len(tan.edge_local), "tangent", "term")


def _dicts(events: list[tuple], nodes: int, edges: int, key: str, sent: str) -> list[dict]:
    """Events as dicts: `key` names a node's number (grad, tangent), `sent` what an edge sends
    (contribution, term)."""
    n, e = [f"n{i}" for i in range(nodes)], [f"e{k}" for k in range(edges)]
    out = []
    add = out.append
    for ev in events:  # a dict display per tag: this loop is most of a big graph's response
        tag = ev[0]
        if tag is LOCAL:
            add({"type": tag, "edge": e[ev[1]], "source": n[ev[2]], "target": n[ev[3]], "index": ev[4],
                 "local": ev[5]})
        elif tag is ACCUMULATE:
            add({"type": tag, "edge": e[ev[1]], "node": n[ev[2]], "before": ev[3], "grad": ev[4]})
        elif len(ev) == 3:  # SEED, VISIT, TANGENT
            add({"type": tag, "node": n[ev[1]], key: ev[2]})
        elif tag is REDUCE:
            add({"type": tag, "edge": e[ev[1]], "node": n[ev[2]], "axes": list(ev[3]), "contribution": ev[4]})
        else:  # CONTRIBUTE, TERM
            add({"type": tag, "edge": e[ev[1]], "source": n[ev[2]], "target": n[ev[3]], sent: ev[4]})
    return out
