"""One call that runs what a viewer needs: forward values, reverse adjoints, optionally a
forward-mode pass, with traces; and its nodes, edges and events as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping

from .graph import Graph
from .limits import DEFAULT_LIMITS, Limits
from .parser import parse
from .passes import (
    SMALL_EDGES,
    _gradient_dict,
    _small_forward,
    _small_grads,
    _small_results,
    _small_traced,
    forward,
    gradient,
    reverse,
    tangent,
)
from .results import FieldwiseEq, Forward, Reverse, Tangents
from .trace import eid, forward_events, nid, reverse_events, table_from_events, tangent_events


class Evaluation(FieldwiseEq):
    """A graph evaluated at a point: `graph`, `forward` and `reverse` (the passes' results),
    `tangent` (forward mode, when asked), `warnings` (the parser's).

    >>> ev = evaluate("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2})
    >>> round(ev.value, 7), {k: round(v, 7) for k, v in ev.gradient.items()}
    (2.0794415, {'x': 2.7725887, 'y': 1.5})

    For a small graph evaluate() gives `_numbers` instead of `forward` and `reverse`: the
    values, adjoints, the reverse pass's trace record (None untraced) and whether to trace,
    as its passes left them. `value` and `gradient`
    read those numbers; `forward` and `reverse` are made from them when first read.
    """

    __slots__ = ("_forward", "_numbers", "_reverse", "graph", "tangent", "warnings")

    def __init__(self, graph: Graph, forward: Forward | None, reverse: Reverse | None,
                 tangent: Tangents | None = None, warnings: list[str] | None = None,
                 _numbers: tuple[list[float], list[float], tuple | None, bool] | None = None) -> None:
        self.graph = graph
        self._forward, self._reverse, self._numbers = forward, reverse, _numbers
        self.tangent = tangent
        self.warnings = [] if warnings is None else warnings

    def _make_passes(self) -> None:
        self._forward, self._reverse = _small_results(self.graph, *self._numbers)  # type: ignore[misc]
        self._numbers = None

    @property
    def forward(self) -> Forward:
        if self._forward is None:
            self._make_passes()
        return self._forward  # type: ignore[return-value]

    @forward.setter
    def forward(self, fwd: Forward) -> None:
        if self._numbers is not None:  # the reverse pass is still to be made from them
            self._make_passes()
        self._forward = fwd

    @property
    def reverse(self) -> Reverse:
        if self._reverse is None:
            self._make_passes()
        return self._reverse  # type: ignore[return-value]

    @reverse.setter
    def reverse(self, rev: Reverse) -> None:
        if self._numbers is not None:
            self._make_passes()
        self._reverse = rev

    def _fields(self) -> tuple:
        return self.graph, self.forward, self.reverse, self.tangent, self.warnings

    def __repr__(self) -> str:
        g, f, r, t, w = self._fields()
        return f"Evaluation(graph={g!r}, forward={f!r}, reverse={r!r}, tangent={t!r}, warnings={w!r})"

    @property
    def value(self) -> float:
        numbers = self._numbers
        values = self._forward.values if numbers is None else numbers[0]  # type: ignore[union-attr]
        return values[self.graph.output]

    @property
    def gradient(self) -> dict[str, float]:
        numbers = self._numbers
        return _gradient_dict(self.graph, self._reverse.grads if numbers is None  # type: ignore[union-attr]
                              else numbers[1])

    def gradient_wrt(self, wrt: list[str]) -> list[float]:
        return gradient(self.graph, self.reverse, wrt)  # type: ignore[return-value]

    def nonfinite(self) -> list[dict]:
        """Where inf or nan first appeared, in values and in gradients."""
        g, out = self.graph, []
        i = self.forward.first_nonfinite
        if i is not None:
            vals = self.forward.values
            op = g.ops[i]
            if op is None:  # a variable given inf or nan
                what = f"{g.display_name(i)} is {vals[i]} (not finite), as given"
            else:
                args = [_short(vals[s]) for s in g.inputs[i]]
                if op.symbol is not None and op.arity == 2:
                    call = f" {op.symbol} ".join(args)
                elif op.symbol is not None:
                    call = f"{op.symbol}{args[0]}"
                else:
                    call = f"{op.spelling}({', '.join(args)})"
                what = f"{g.display_name(i)} = {call} is {vals[i]} (not finite)"
            out.append({"pass": "forward", "node": nid(i), "name": g.display_name(i),
                        "value": vals[i], "message": what})
        j = self.reverse.first_nonfinite
        if j is not None:
            out.append({"pass": "backward", "node": nid(j), "name": g.display_name(j),
                        "grad": self.reverse.grads[j],
                        "message": f"the gradient at {g.display_name(j)} is "
                                   f"{self.reverse.grads[j]} (not finite)"})
        return out

    def nodes(self) -> list[dict]:
        g, vals, grads = self.graph, self.forward.values, self.reverse.grads
        tans = self.tangent.tangents if self.tangent is not None else None
        out = []
        for i in range(len(g)):
            node = {"id": nid(i), "name": g.names[i] or (g.leaf[i] if g.kind(i) == "var" else None),
                    "kind": g.kind(i), "op": g.op_name(i), "label": g.label(i),
                    "inputs": [nid(s) for s in g.inputs[i]], "value": vals[i],
                    "grad": grads[i] if g.needs_grad[i] else None, "shape": []}
            if i in g.aliases:
                node["aliases"] = list(g.aliases[i])
            if tans is not None:
                node["tangent"] = tans[i]
            out.append(node)
        return out

    def edges(self) -> list[dict]:
        """Edges with d target / d source (`local`) and local × grad[target] (`contribution`);
        both None on edges from constants, which need no gradient."""
        local, contrib = self.reverse.edge_local, self.reverse.edge_contribution
        if local is None or contrib is None:
            raise ValueError("evaluate with trace=True to record each edge's local derivative")
        return [{"id": eid(e.id), "source": nid(e.source), "target": nid(e.target), "index": e.index,
                 "local": local[e.id], "contribution": contrib[e.id]} for e in self.graph.edges]

    def trace(self) -> dict[str, list[dict]]:
        out = {"forward": forward_events(self.forward), "backward": reverse_events(self.reverse)}
        if self.tangent is not None:
            out["tangent"] = tangent_events(self.tangent)
        return out

    def table(self) -> list[dict]:
        """The lecture's forward/backward table, rebuilt from the trace."""
        t = self.trace()
        return table_from_events(self.graph, t["forward"], t["backward"])


def _short(v: float) -> str:
    return format(v, ".7g")


def evaluate(expression: str | Graph, values: Mapping[str, float], *,
             tangent_of: str | Mapping[str, float] | None = None, trace: bool = True,
             limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Parse (unless given a graph), then run the forward and reverse passes, and forward mode
    along `tangent_of` (a variable or a direction) when asked."""
    warnings: list[str]
    if isinstance(expression, Graph):
        graph, warnings = expression, []
    else:
        parsed = parse(expression, limits)
        graph, warnings = parsed.graph, parsed.warnings  # the Parsed is ours alone: no copy
    if tangent_of is None and graph.n_edges < SMALL_EDGES:
        # What forward() and reverse() compute, without their result objects until read.
        vals = _small_forward(graph, values)
        if trace:  # the trace's numbers are recorded now; its events made when first read
            grads, record = _small_traced(graph, vals)
            return Evaluation(graph, None, None, None, warnings, (vals, grads, record, True))
        return Evaluation(graph, None, None, None, warnings, (vals, _small_grads(graph, vals), None, False))
    fwd = forward(graph, values, trace)
    return Evaluation(graph, fwd, reverse(graph, fwd, trace),
                      None if tangent_of is None else tangent(graph, fwd, tangent_of, trace),
                      warnings)


def grad(expression: str | Graph, values: Mapping[str, float] | None = None, /,
         wrt: list[str] | None = None, **kw: float) -> tuple[float, dict[str, float] | list[float]]:
    """The value and gradient in one call: `grad("x*y", x=3, y=4)` gives (12.0, {'x': 4.0, 'y': 3.0});
    with `wrt=["x", "x"]` the gradient is a list in that order. (A variable named `wrt` takes
    its value from the `values` mapping.)"""
    if isinstance(wrt, str):
        raise TypeError(f"wrt must be a list of variable names, such as [{wrt!r}], not a string")
    point = dict(values or {}, **kw)
    ev = evaluate(expression, point, trace=False)
    return ev.value, (ev.gradient if wrt is None else ev.gradient_wrt(wrt))
