"""One call that runs what a viewer needs: forward values, reverse adjoints, optionally a
forward-mode pass, with their traces; and its nodes, edges and events as plain dicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import ExpressionError, Locator
from .graph import Graph, ancestors, needs_grad
from .lexer import tokenize
from .limits import DEFAULT_LIMITS, Limits
from .names import display_names, output_nodes, variable_nodes
from .parser import parse
from .passes import forward, gradient, jacobian, reverse, tangent
from .results import Forward, Reverse, Tangents
from .trace import (
    SHOWN,
    converter,
    eid,
    forward_events,
    nid,
    reverse_events,
    table_from_events,
    tangent_events,
)

#: An edge's Jacobian is sent when it has at most this many entries.
JACOBIAN_ENTRIES = 64


@dataclass
class Evaluation:
    """A graph evaluated at a point: `forward` and `reverse` (the passes' results), `tangent`
    (forward mode, when asked), the parser's `warnings`, the variables whose gradients were
    asked (`requires_grad`, all when None) and how many elements of an array to send whole
    (`shown`).

    >>> ev = evaluate("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2})
    >>> round(ev.value, 7), {k: round(v, 7) for k, v in ev.gradient.items()}
    (2.0794415, {'x': 2.7725887, 'y': 1.5})
    """

    graph: Graph
    forward: Forward
    reverse: Reverse
    tangent: Tangents | None = None
    warnings: list[str] = field(default_factory=list)
    requires_grad: list[str] | None = None
    shown: int = SHOWN
    target: int | None = None  # the node differentiated, when not the output

    @property
    def output(self) -> int:
        """The node whose value and gradient this is: the output, or the target chosen."""
        return self.graph.output if self.target is None else self.target

    @cached_property
    def names(self) -> list[str]:
        """Each node's one display name (engine.names)."""
        return display_names(self.graph)

    @property
    def tensors(self) -> bool:
        return isinstance(self.forward.values[self.output], np.ndarray)

    @property
    def value(self) -> float | np.ndarray:
        """The output's value: a float, or an array (a 0-d one given back as a float)."""
        v = self.forward.values[self.output]
        return float(v) if v.__class__ is np.ndarray and v.ndim == 0 else v

    @property
    def gradient(self) -> dict[str, float]:
        """d output / d variable, for the variables that require a gradient."""
        grads = gradient(self.graph, self.reverse)
        keep = self.requires_grad
        return {k: v for k, v in grads.items() if keep is None or k in keep}  # type: ignore[union-attr]

    def gradient_wrt(self, wrt: list[str]) -> list[float]:
        return gradient(self.graph, self.reverse, wrt)  # type: ignore[return-value]

    def nonfinite(self) -> list[dict]:
        """Where inf or nan first appeared, in values and in gradients."""
        g, names, out = self.graph, self.names, []
        i = self.forward.first_nonfinite
        if i is not None:
            vals = self.forward.values
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
        j = self.reverse.first_nonfinite
        if j is not None:
            grad = self.reverse.grads[j]
            grad = _first_bad(grad)
            out.append({"pass": "backward", "node": nid(j), "name": names[j], "grad": grad,
                        "message": f"the gradient at {names[j]} is {grad} (not finite)"})
        return out

    def nodes(self) -> list[dict]:
        g, vals, grads, d = self.graph, self.forward.values, self.reverse.grads, converter(self.shown)
        needs = needs_grad(g, self.requires_grad)
        if self.target is not None:  # nodes the target does not depend on have no gradient
            needs = ancestors(g.inputs, (self.target,), needs)
        tans = self.tangent.tangents if self.tangent is not None else None
        out = []
        for i, display in enumerate(self.names):
            kind = g.kind(i)
            node = {"id": nid(i), "name": g.names[i] or (g.leaf[i] if kind == "var" else None),
                    "kind": kind, "op": g.op_name(i), "label": g.label(i), "display": display,
                    "inputs": [nid(s) for s in g.inputs[i]], "value": d(vals[i]),
                    "grad": d(grads[i]) if needs[i] else None,
                    "shape": [] if vals[i].__class__ is float else list(np.shape(vals[i]))}
            if i in g.aliases:
                node["aliases"] = list(g.aliases[i])
            if tans is not None:
                node["tangent"] = d(tans[i])
            out.append(node)
        return out

    def edges(self) -> list[dict]:
        """Edges with d target / d source (`local`) and local × grad[target] (`contribution`);
        both None on edges from constants, which need no gradient."""
        local, contrib = self.reverse.edge_local, self.reverse.edge_contribution
        if local is None or contrib is None:
            raise ValueError("evaluate with trace=True to record each edge's local derivative")
        d, g = converter(self.shown), self.graph
        out = [{"id": eid(e.id), "source": nid(e.source), "target": nid(e.target), "index": e.index,
                "local": d(local[e.id]), "contribution": d(contrib[e.id])} for e in g.edges]
        if self.tensors:  # what each backward step is, and a small one's Jacobian
            for e, edge in zip(g.edges, out):
                if contrib[e.id] is None:  # from data or a constant (an axis): no backward step
                    edge["backward"] = None
                    continue
                op = g.ops[e.target]
                edge["backward"] = (f"vjp of {op.name}: {op.vjp_text[e.index]}" if not op.partials
                                    else "local × grad")  # type: ignore[union-attr]
                edge.update(self._jacobian(e))
        return out

    def _jacobian(self, e) -> dict:
        """Eq. 6.46 for one edge: ∂y/∂x (rows y's elements, columns x's, both flattened), the
        incoming gradient ∇y z and the product (∂y/∂x)ᵀ ∇y z, when the Jacobian is small."""
        vals, grads = self.forward.values, self.reverse.grads
        if np.size(vals[e.target]) * np.size(vals[e.source]) > JACOBIAN_ENTRIES:
            return {}
        jac = jacobian(self.graph, self.forward, e.target, e.index)
        g = np.ravel(grads[e.target])
        with np.errstate(all="ignore"):
            return {"jacobian": jac.tolist(), "grad_in": g.tolist(), "product": (jac.T @ g).tolist()}

    def trace(self) -> dict[str, list[dict]]:
        out = {"forward": forward_events(self.forward, self.shown),
               "backward": reverse_events(self.reverse, self.shown)}
        if self.tangent is not None:
            out["tangent"] = tangent_events(self.tangent, self.shown)
        return out

    def table(self) -> list[dict]:
        """The lecture's forward/backward table, rebuilt from the trace."""
        t = self.trace()
        return table_from_events(self.graph, t["forward"], t["backward"])


def evaluate(expression: str | Graph, values: Mapping[str, object], *,
             tangent_of: str | Mapping[str, float] | None = None, trace: bool = True,
             limits: Limits = DEFAULT_LIMITS, requires_grad: list[str] | None = None,
             shown: int = SHOWN, target: str | None = None) -> Evaluation:
    """Parse (unless given a graph), then run the forward and reverse passes, and forward mode
    along `tangent_of` (a variable or a direction) when asked. `requires_grad` names the
    variables to differentiate with respect to (all by default): others are data, as a tensor
    without requires_grad in PyTorch, and no gradient flows to them. `target` names the node
    to differentiate (an intermediate's name; default the output)."""
    if isinstance(expression, Graph):
        graph, warnings = expression, []
    else:
        parsed = parse(expression, limits)
        graph, warnings = parsed.graph, parsed.warnings
    try:
        fwd = forward(graph, values, trace, limits)
    except ExpressionError as err:  # about a node: put the caret under the operator that made it
        token = graph.where.get(err.node) if err.node is not None else None
        if token is None or isinstance(expression, Graph):
            raise
        loc = Locator(expression)
        position = tokenize(expression, loc).pos(token)
        line, column = loc.where(position)
        raise dataclasses.replace(err, line=line, column=column, position=position) from None
    tan = None if tangent_of is None else tangent(graph, fwd, tangent_of, trace)
    if requires_grad is not None:  # a name that is not a variable: an error that says so
        variable_nodes(graph, requires_grad, "requires_grad")
    node = None if target is None else output_nodes(graph, [target], "target")[0]
    if node is None and len(graph.outputs) > 1:  # several outputs listed: the first, unless chosen
        node = graph.outputs[0]
    rev = reverse(graph, fwd, trace, requires_grad, target=node)
    return Evaluation(graph, fwd, rev, tan, warnings, requires_grad, shown, node)


def grad(expression: str | Graph, values: Mapping[str, float] | None = None, /,
         wrt: list[str] | None = None, **kw: float) -> tuple[float, dict[str, float] | list[float]]:
    """The value and gradient in one call: `grad("x*y", x=3, y=4)` gives (12.0, {'x': 4.0, 'y': 3.0});
    with `wrt=["x", "x"]` the gradient is a list in that order. (A variable named `wrt` takes
    its value from the `values` mapping.)"""
    if isinstance(wrt, str):
        raise TypeError(f"wrt must be a list of variable names, such as [{wrt!r}], not a string")
    ev = evaluate(expression, dict(values or {}, **kw), trace=False, requires_grad=wrt)
    return ev.value, (ev.gradient if wrt is None else ev.gradient_wrt(wrt))


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
