"""The trace as plain data: each pass's recorded steps as JSON-ready dicts, and the lecture's
forward/backward table rebuilt from those dicts alone (which is what a viewer must be able to do).

Node ids are "n<i>", edge ids "e<k>" (edges numbered by target, then argument index). A number
is a float; an array is nested lists up to `shown` elements, and beyond that a summary
{"shape", "min", "max", "mean", "norm", "preview"} (see `data`).

Forward pass:  {"type": "evaluate", "node", "value"}
Reverse pass:  {"type": "seed", "node", "grad": 1}; then for each node, latest first,
               {"type": "visit", "node", "grad"} and for each incoming edge whose source
               needs a gradient: {"type": "local", "edge", "source", "target", "index", "local"}
               (d target / d source; null for an op that sends its vector-Jacobian product),
               {"type": "contribute", ..., "contribution"} (local × grad[target], or the VJP),
               on tensors {"type": "reduce", "edge", "node", "axes", "contribution"} where the
               source was broadcast (the contribution summed over those axes), and
               {"type": "accumulate", "edge", "node", "before", "grad"} (the source's running
               sum after adding it; `before` null for the first).
Forward mode:  {"type": "seed", "node", "tangent"} per seeded input; then per dependent node
               "local" and {"type": "term", ..., "term"} (local × tangent[source]) per edge,
               and {"type": "tangent", "node", "tangent"}.
"""

from __future__ import annotations

import numpy as np

from .graph import Graph
from .results import (
    ACCUMULATE,
    CONTRIBUTE,
    EVALUATE,
    LOCAL,
    REDUCE,
    SEED,
    TANGENT,
    Forward,
    Reverse,
    Tangents,
)

#: Arrays up to this many elements are sent whole; bigger ones as a summary.
SHOWN = 64
PREVIEW = 8


def nid(i: int) -> str:
    return f"n{i}"


def eid(e: int) -> str:
    return f"e{e}"


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
    """data() with its bound, or nothing to do for a pass over floats (most traces, and the
    hot path of a web response)."""
    return lambda v: v if v.__class__ is float else data(v, shown)


def forward_events(fwd: Forward, shown: int = SHOWN) -> list[dict]:
    if fwd.events is None:
        raise ValueError("run forward(..., trace=True) to record its events")
    d = converter(shown)
    return [{"type": EVALUATE, "node": f"n{i}", "value": d(v)} for _, i, v in fwd.events]


def _edge_event(ev: tuple, key: str, d) -> dict:
    _, e, s, t, *rest = ev
    out = {"type": ev[0], "edge": f"e{e}", "source": f"n{s}", "target": f"n{t}"}
    if ev[0] == LOCAL:
        out["index"], out["local"] = rest[0], d(rest[1])
    else:
        out[key] = d(rest[0])
    return out


def reverse_events(rev: Reverse, shown: int = SHOWN) -> list[dict]:
    if rev.events is None:
        raise ValueError("run reverse(..., trace=True) to record its events")
    out, d = [], converter(shown)
    for ev in rev.events:
        tag = ev[0]
        if tag is LOCAL or tag is CONTRIBUTE:
            out.append(_edge_event(ev, "contribution", d))
        elif tag is ACCUMULATE:
            _, e, s, before, after = ev
            out.append({"type": tag, "edge": f"e{e}", "node": f"n{s}", "before": d(before),
                        "grad": d(after)})
        elif tag is REDUCE:
            _, e, s, axes, c = ev
            out.append({"type": tag, "edge": f"e{e}", "node": f"n{s}", "axes": list(axes),
                        "contribution": d(c)})
        else:  # SEED, VISIT
            out.append({"type": tag, "node": f"n{ev[1]}", "grad": d(ev[2])})
    return out


def tangent_events(tan: Tangents, shown: int = SHOWN) -> list[dict]:
    if tan.events is None:
        raise ValueError("run tangent(..., trace=True) to record its events")
    out, d = [], converter(shown)
    for ev in tan.events:
        tag = ev[0]
        if tag in (SEED, TANGENT):
            out.append({"type": tag, "node": f"n{ev[1]}", "tangent": d(ev[2])})
        else:
            out.append(_edge_event(ev, "term", d))
    return out


def table_from_events(graph: Graph, forward: list[dict], backward: list[dict]) -> list[dict]:
    """The lecture's table (value, local derivatives, gradient per node) from the events alone.

    Rows follow the graph's order; `locals` lists d node / d input for each incoming edge
    the backward pass visited, in argument order.
    """
    rows = {}
    for ev in forward:
        i = int(ev["node"][1:])
        rows[ev["node"]] = {"node": ev["node"], "name": graph.display_name(i), "op": graph.op_name(i),
                            "value": ev["value"], "grad": None, "locals": []}
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
