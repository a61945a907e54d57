"""One call that runs what a viewer needs: forward values, reverse adjoints, optionally a
forward-mode pass, with their traces (their nodes, edges and events as plain dicts come from
engine.views)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import parse_errors, views
from .errors import ExpressionError
from .graph import Graph
from .limits import DEFAULT_LIMITS, Limits
from .names import display_names, output_nodes, variable_nodes
from .parser import parse
from .passes import forward, gradient, reverse, tangent
from .results import Forward, Reverse, Tangents


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
    shown: int = views.SHOWN
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
        """Where inf or nan first appeared, in values and in gradients (engine.views)."""
        return views.nonfinite(self)

    def nodes(self) -> list[dict]:
        """Each node as a dict: id, names, op, label, inputs, value, grad, shape (engine.views)."""
        return views.nodes(self)

    def edges(self) -> list[dict]:
        """Each edge as a dict, with its local derivative and contribution (engine.views)."""
        return views.edges(self)

    def trace(self) -> dict[str, list[dict]]:
        out = {"forward": views.forward_events(self.forward, self.shown),
               "backward": views.reverse_events(self.reverse, self.shown)}
        if self.tangent is not None:
            out["tangent"] = views.tangent_events(self.tangent, self.shown)
        return out

    def table(self) -> list[dict]:
        """The lecture's forward/backward table, rebuilt from the trace (engine.views)."""
        t = self.trace()
        return views.table(self.graph, t["forward"], t["backward"])


def evaluate(expression: str | Graph, values: Mapping[str, object], *,
             tangent_of: str | Mapping[str, float] | None = None, trace: bool = True,
             limits: Limits = DEFAULT_LIMITS, requires_grad: list[str] | None = None,
             shown: int = views.SHOWN, target: str | None = None) -> Evaluation:
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
        if isinstance(expression, Graph):
            raise
        raise parse_errors.at_node(err, graph, expression) from None
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
