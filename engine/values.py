"""What a person gives the passes, checked: each variable's value, and a direction for forward
mode. A missing or ill-typed one is an ExpressionError that names it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from .errors import ExpressionError
from .graph import Graph


def leaf_values(graph: Graph, values: Mapping[str, float]) -> dict[str, float]:
    """Each variable's value as a float; a missing or ill-typed one is an error naming it."""
    out = {}
    for name in graph.variables:
        if name not in values:
            raise ExpressionError(f"no value given for the variable '{name}'",
                                  code="missing_value", text=name)
        out[name] = _real(name, values[name], "value")
    return out


def _real(name: str, v: object, what: str) -> float:
    """Any real number (int, float, numpy scalar; not a bool) as a float64."""
    if v.__class__ is float:
        return v  # type: ignore[return-value]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ExpressionError(f"the {what} of '{name}' must be a number, not {v!r}",
                              code="invalid_value", text=name)
    try:
        return float(v)
    except OverflowError:
        raise ExpressionError(f"the {what} of '{name}' is too large for a float64 (at most about "
                              f"1.8e308)", code="invalid_value", text=name) from None


def direction_of(graph: Graph, tangent: str | Mapping[str, float]) -> dict[str, float]:
    """A variable name means the unit direction along it; a mapping gives a direction."""
    if isinstance(tangent, str):
        tangent = {tangent: 1.0}
    out = {}
    for name, v in tangent.items():
        if name not in graph.variables:
            raise ExpressionError(f"'{name}' is not a variable of this expression "
                                  f"(its variables: {', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name)
        v = _real(name, v, "tangent")
        if not math.isfinite(v):
            raise ExpressionError(f"the tangent of '{name}' must be a finite number, not {v!r}",
                                  code="invalid_value", text=name)
        out[name] = v
    return out
