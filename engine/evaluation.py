"""One call that runs what a viewer needs: forward values, reverse adjoints, optionally a
forward-mode pass, with their traces; and its nodes, edges and events as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .graph import Graph
from .limits import DEFAULT_LIMITS, Limits
from .parser import parse
from .passes import forward, gradient, reverse, tangent
from .results import Forward, Reverse, Tangents
from .trace import eid, forward_events, nid, reverse_events, table_from_events, tangent_events


@dataclass
class Evaluation:
    """A graph evaluated at a point: `forward` and `reverse` (the passes' results), `tangent`
    (forward mode, when asked) and the parser's `warnings`.

    >>> ev = evaluate("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2})
    >>> round(ev.value, 7), {k: round(v, 7) for k, v in ev.gradient.items()}
    (2.0794415, {'x': 2.7725887, 'y': 1.5})
    """

    graph: Graph
    forward: Forward
    reverse: Reverse
    tangent: Tangents | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.forward.values[self.graph.output]

    @property
    def gradient(self) -> dict[str, float]:
        return gradient(self.graph, self.reverse)  # type: ignore[return-value]

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
                args = [format(vals[s], ".7g") for s in g.inputs[i]]
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
            grad = self.reverse.grads[j]
            out.append({"pass": "backward", "node": nid(j), "name": g.display_name(j), "grad": grad,
                        "message": f"the gradient at {g.display_name(j)} is {grad} (not finite)"})
        return out

    def nodes(self) -> list[dict]:
        g, vals, grads = self.graph, self.forward.values, self.reverse.grads
        tans = self.tangent.tangents if self.tangent is not None else None
        out = []
        for i in range(len(g)):
            kind = g.kind(i)
            node = {"id": nid(i), "name": g.names[i] or (g.leaf[i] if kind == "var" else None),
                    "kind": kind, "op": g.op_name(i), "label": g.label(i),
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


def evaluate(expression: str | Graph, values: Mapping[str, float], *,
             tangent_of: str | Mapping[str, float] | None = None, trace: bool = True,
             limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Parse (unless given a graph), then run the forward and reverse passes, and forward mode
    along `tangent_of` (a variable or a direction) when asked."""
    if isinstance(expression, Graph):
        graph, warnings = expression, []
    else:
        parsed = parse(expression, limits)
        graph, warnings = parsed.graph, parsed.warnings
    fwd = forward(graph, values, trace)
    tan = None if tangent_of is None else tangent(graph, fwd, tangent_of, trace)
    return Evaluation(graph, fwd, reverse(graph, fwd, trace), tan, warnings)


def grad(expression: str | Graph, values: Mapping[str, float] | None = None, /,
         wrt: list[str] | None = None, **kw: float) -> tuple[float, dict[str, float] | list[float]]:
    """The value and gradient in one call: `grad("x*y", x=3, y=4)` gives (12.0, {'x': 4.0, 'y': 3.0});
    with `wrt=["x", "x"]` the gradient is a list in that order. (A variable named `wrt` takes
    its value from the `values` mapping.)"""
    if isinstance(wrt, str):
        raise TypeError(f"wrt must be a list of variable names, such as [{wrt!r}], not a string")
    ev = evaluate(expression, dict(values or {}, **kw), trace=False)
    return ev.value, (ev.gradient if wrt is None else ev.gradient_wrt(wrt))
