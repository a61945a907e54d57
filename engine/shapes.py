"""What a tensor op's arguments must be (a matrix product's inner sizes, an axis, numpy's
broadcasting rules, an array's bounds), and the messages when they are not: the op as typed, both
shapes, the caret under its operator. The op table's shape rules are written here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import ExpressionError, LimitExceeded

if TYPE_CHECKING:  # the op table reads its shape rules from here
    from .graph import Graph
    from .limits import Limits
    from .ops import Op


def matmul_shape(a: tuple, b: tuple) -> tuple:
    """The shape of a @ b (vectors and matrices, as numpy's matmul reads them)."""
    if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
        raise ValueError(f"{a} and {b}: @ multiplies vectors and matrices (1 or 2 dimensions)")
    if a[-1] != b[0]:
        raise ValueError(f"{a} and {b} do not fit: inner sizes {a[-1]} and {b[0]}")
    return a[:-1] + b[1:]


def axis_shape(a: tuple, axis: tuple, value: float) -> tuple:
    """The shape of a reduced along the axis `value` (a static argument: its own shape is ())."""
    if axis != () or value != int(value) or not -len(a) <= value < len(a):
        raise ValueError(f"the axis must be an integer from {-len(a)} to {len(a) - 1} for shape {a}")
    return a[:int(value) % len(a)] + a[int(value) % len(a) + 1:]


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


def check_size(graph: Graph, i: int, size: int, work: int, limits: Limits) -> None:
    """Node i's `size` elements, and the `work` of its pass so far (elements made, its own among
    them), within the limits; else the error that names the bound."""
    for limit, n, bound in (("max_elements", size, limits.max_elements), ("max_work", work, limits.max_work)):
        if bound is not None and n > bound:
            raise too_big(graph, i, limit, n, bound)


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
