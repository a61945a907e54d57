"""What a tensor op's arguments must be (a matrix product's inner sizes, numpy's broadcasting
rules, an array's bounds), and the messages when they are not: the op as typed, both shapes, the
caret under its operator."""

from __future__ import annotations

import numpy as np

from .errors import ExpressionError, LimitExceeded
from .graph import Graph
from .ops import Op


def check_shapes(graph: Graph, i: int, op: Op, xs: list) -> tuple:
    """The shape of node i: its arguments must fit (a matrix product's inner sizes, broadcasting's
    rules), else an error with the caret under the operator and both shapes in the message."""
    shapes = [np.shape(x) for x in xs]
    try:
        if op.shape is not None:
            return op.shape(*shapes, *(float(xs[k]) for k in op.static))
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"{' and '.join(map(str, shapes))} do not broadcast: from the "
                             "right, each pair of sizes must be equal or one of them 1") from None
    except ValueError as e:
        raise ExpressionError(f"{_call_text(graph, i)}: {e}", code="shape_mismatch",
                              node=i, field="expression",
                              text=op.symbol or op.spelling) from None


def too_big(graph: Graph, i: int, limit: str, n: int, bound: int) -> LimitExceeded:
    what = "would have" if limit == "max_elements" else "would bring the elements computed to"
    return LimitExceeded(f"{_call_text(graph, i)} {what} {n:,}; at most {bound:,} are allowed",
                         code="limit_exceeded", node=i, field="expression",
                         limit=limit, maximum=bound, actual=n)


def _call_text(graph: Graph, i: int) -> str:
    """Node i as typed, its arguments shortened: `X @ w`, `sum(a, 1)`."""
    from .printer import to_text  # a message's need only

    op = graph.ops[i]
    args = [_clip(to_text(graph, s)) for s in graph.inputs[i]]
    return (f" {op.symbol} ".join(args) if op.symbol and op.arity == 2  # type: ignore[union-attr]
            else f"{op.spelling or op.name}({', '.join(args)})")  # type: ignore[union-attr]


def _clip(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"
