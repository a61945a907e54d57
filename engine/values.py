"""What a person gives the passes, checked: each variable's value (a number, or an array as nested
lists or numpy), and a direction for forward mode. A missing or ill-formed one is an
ExpressionError whose `field` names it, down to the element (`values.X[1][2]`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from .errors import ExpressionError, LimitExceeded
from .graph import Graph
from .limits import DEFAULT_LIMITS, Limits

Value = float | np.ndarray


def leaf_values(graph: Graph, values: Mapping[str, object],
                limits: Limits = DEFAULT_LIMITS) -> dict[str, Value]:
    """Each variable's value: a float, or a float64 array of at least one dimension. With
    `limits.finite_values`, inf and nan are refused (the library may pass them)."""
    finite = limits.finite_values
    out: dict[str, Value] = {}
    elements = 0
    for name in graph.variables:
        if name not in values:
            raise ExpressionError(f"no value given for the variable '{name}'",
                                  code="missing_value", text=name, field=f"values.{name}")
        v = values[name]
        if v.__class__ is float and (not finite or math.isfinite(v)):  # the usual case
            out[name] = v
            continue
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
            v = v.item()  # a number given as a 0-d array
        if isinstance(v, (list, tuple, np.ndarray)):
            v = _array(name, v, limits)
            elements += v.size
            if limits.max_elements is not None and elements > limits.max_elements:
                raise _too_many(name, elements, limits)
            if finite and not np.isfinite(v).all():
                j = int(np.flatnonzero(~np.isfinite(v))[0])
                raise _bad(name, _path(name, v.shape, j), f"is {v.flat[j]}: give finite numbers")
        else:
            v = _real(name, v, "value")
            if finite and not math.isfinite(v):
                raise _bad(name, name, f"is {v}: give a finite number")
        out[name] = v
    return out


def _bad(name: str, path: str, what: str) -> ExpressionError:
    return ExpressionError(f"the value of '{name}': {path} {what}", code="invalid_value",
                           text=name, field=f"values.{path}")


def _too_many(name: str, elements: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(f"the values have {elements:,} elements in all (at '{name}'); at most "
                         f"{limits.max_elements:,} are allowed", code="limit_exceeded", text=name,
                         field=f"values.{name}", limit="max_elements",
                         maximum=limits.max_elements or 0, actual=elements)


def _path(name: str, shape: tuple[int, ...], flat: int) -> str:
    return name + "".join(f"[{i}]" for i in np.unravel_index(flat, shape)) if shape else name


def _array(name: str, v: object, limits: Limits) -> np.ndarray:
    """Nested lists (or a numpy array) as a float64 array, level by level: every row the same
    length, every element a real number (not a bool), at most `max_dims` dimensions."""
    max_dims = limits.max_dims if limits.max_dims is not None else math.inf
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "iuf":
            raise _bad(name, name, f"is an array of {v.dtype}: give real numbers")
        shape = v.shape
        flat: list = []
    else:
        shape, level = (), [v]
        while level and isinstance(level[0], (list, tuple)):
            n = len(level[0])
            for j, row in enumerate(level):
                if not isinstance(row, (list, tuple)) or len(row) != n:
                    got = f"has {len(row)} items" if isinstance(row, (list, tuple)) else "is a number"
                    raise _bad(name, _path(name, shape, j), f"{got} where the rows before it have "
                               f"{n}: an array's rows must all be the same length")
            shape = (*shape, n)
            if len(shape) > max_dims or n == 0:
                break
            if limits.max_elements is not None and len(level) * n > limits.max_elements:
                raise _too_many(name, len(level) * n, limits)
            level = [x for row in level for x in row]
        flat = level
    if len(shape) > max_dims:
        raise LimitExceeded(f"the value of '{name}' has {len(shape)} dimensions; at most "
                            f"{limits.max_dims} are allowed", code="limit_exceeded", text=name,
                            field=f"values.{name}", limit="max_dims", maximum=limits.max_dims or 0,
                            actual=len(shape))
    if 0 in shape or not shape:
        raise _bad(name, name, "is empty: an array needs at least one element")
    if isinstance(v, np.ndarray):
        return np.asarray(v, dtype=np.float64)  # no copy of a float64 array: nothing writes to it
    kinds = set(map(type, flat))
    if not kinds <= {int, float}:  # bools, text, None, lists in a row of numbers
        j = next(j for j, x in enumerate(flat) if type(x) not in (int, float))
        x = flat[j]
        what = ("is a list where a number was expected: an array's rows must all be the same depth"
                if isinstance(x, (list, tuple)) else f"must be a number, not {x!r}")
        raise _bad(name, _path(name, shape, j), what)
    try:
        return np.array(flat, dtype=np.float64).reshape(shape)
    except OverflowError:
        j = next(j for j, x in enumerate(flat) if isinstance(x, int) and abs(x) > 1e308)
        raise _bad(name, _path(name, shape, j), "is too large for a float64") from None


def _real(name: str, v: object, what: str, field: str | None = None) -> float:
    """Any real number (int, float, numpy scalar; not a bool) as a float64."""
    if v.__class__ is float:
        return v  # type: ignore[return-value]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ExpressionError(f"the {what} of '{name}' must be a number, not {v!r}",
                              code="invalid_value", text=name, field=field or f"values.{name}")
    try:
        return float(v)
    except OverflowError:
        raise ExpressionError(f"the {what} of '{name}' is too large for a float64 (at most about "
                              f"1.8e308)", code="invalid_value", text=name,
                              field=field or f"values.{name}") from None


def direction_of(graph: Graph, tangent: str | Mapping[str, float]) -> dict[str, float]:
    """A variable name means the unit direction along it; a mapping gives a direction."""
    if isinstance(tangent, str):
        tangent = {tangent: 1.0}
    out = {}
    for name, v in tangent.items():
        if name not in graph.variables:
            raise ExpressionError(f"'{name}' is not a variable of this expression "
                                  f"(its variables: {', '.join(graph.variables) or 'none'})",
                                  code="unknown_variable", text=name, field="tangent")
        v = _real(name, v, "tangent", "tangent")
        if not math.isfinite(v):
            raise ExpressionError(f"the tangent of '{name}' must be a finite number, not {v!r}",
                                  code="invalid_value", text=name, field="tangent")
        out[name] = v
    return out
