"""Finite differences, as the lecture computes them, and the error-versus-h experiment.

    forward   (f(x + h) − f(x)) / h
    backward  (f(x) − f(x − h)) / h
    central   (f(x + h/2) − f(x − h/2)) / h      (the lecture's form: half a step each side)

Values are always floats (the lecture's `np.array([1, 2])` is an integer array, where x + h
would be truncated back to x). `dtype="float32"` repeats the experiment in single precision,
which is what makes round-off visible at much larger h.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ExpressionError
from .graph import Graph
from .passes import forward
from .values import leaf_values
from .xp import NUMPY

METHODS = ("forward", "backward", "central")
#: Truncation-error order of each method: the slope of log(error) against log(h).
ORDER = {"forward": 1, "backward": 1, "central": 2}
DEFAULT_STEPS = tuple(10.0**-k for k in range(1, 14))  # 1e-1 ... 1e-13, as in the issue
MAX_STEPS = 200


def _check(method: str, h: float) -> None:
    if method not in METHODS:
        raise ExpressionError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}",
                              code="invalid_method", text=method)
    if not (isinstance(h, (int, float)) and math.isfinite(h) and h > 0):
        raise ExpressionError(f"the step h must be a positive finite number, not {h!r}",
                              code="invalid_step", text=str(h))


def value_at(graph: Graph, point: Mapping[str, float], dtype: str = "float64") -> float:
    """f at a point; in float32 every node is rounded to single precision, as numpy would."""
    if dtype == "float64":
        return forward(graph, point).values[graph.output]
    if dtype != "float32":
        raise ExpressionError(f"dtype must be float64 or float32, not {dtype!r}", code="invalid_dtype")
    env = leaf_values(graph, point)
    vals: list = [None] * len(graph)
    f32 = np.float32
    with np.errstate(all="ignore"):
        for i, op in enumerate(graph.ops):
            if op is None:
                leaf = graph.leaf[i]
                vals[i] = f32(env[leaf] if isinstance(leaf, str) else leaf)
            else:
                vals[i] = f32(op.forward(NUMPY, *(vals[s] for s in graph.inputs[i])))
    return float(vals[graph.output])


def difference(graph: Graph, point: Mapping[str, float], variable: str, method: str = "central",
               h: float = 1e-3, dtype: str = "float64") -> float:
    """d f / d variable by one finite-difference formula."""
    _check(method, h)
    if variable not in graph.variables:
        raise ExpressionError(f"'{variable}' is not a variable of this expression",
                              code="unknown_variable", text=variable)
    base = {k: float(v) for k, v in leaf_values(graph, point).items()}
    x = base[variable]

    def f(at: float) -> float:
        return value_at(graph, {**base, variable: at}, dtype)

    if dtype == "float32":  # the shifted point is itself a float32, as in numpy
        def shift(d: float) -> float:
            return float(np.float32(x) + np.float32(d))
    else:
        def shift(d: float) -> float:
            return x + d
    if method == "forward":
        return (f(shift(h)) - f(x)) / h
    if method == "backward":
        return (f(x) - f(shift(-h))) / h
    return (f(shift(h / 2)) - f(shift(-h / 2))) / h


def numeric_gradient(graph: Graph, point: Mapping[str, float], method: str = "central",
                     h: float = 1e-3, dtype: str = "float64") -> dict[str, float]:
    """The lecture's `numer_deriv`: one finite difference per variable."""
    return {v: difference(graph, point, v, method, h, dtype) for v in graph.variables}


@dataclass
class SweepCurve:
    variable: str
    method: str
    steps: list[float]
    estimates: list[float]
    errors: list[float]  # |estimate − exact|
    slope: float | None  # fitted on the truncation region; ORDER[method] in theory
    best_step: float | None  # the h with the smallest error


def steps_between(largest: float, smallest: float, count: int) -> list[float]:
    """`count` steps evenly spaced in log10 from `largest` down to `smallest`."""
    if not (0 < smallest < largest and math.isfinite(largest)):
        raise ExpressionError("the step range must satisfy 0 < smallest < largest",
                              code="invalid_step")
    if not 2 <= count <= MAX_STEPS:
        raise ExpressionError(f"between 2 and {MAX_STEPS} steps, not {count}",
                              code="invalid_step", text=str(count))
    hi, lo = math.log10(largest), math.log10(smallest)
    return [10.0 ** (hi + (lo - hi) * k / (count - 1)) for k in range(count)]


def _truncation_slope(steps: list[float], errors: list[float], exact: float) -> float | None:
    """Least-squares slope of log error vs log h over the truncation region: from the largest h
    down to the best h, keeping errors well above round-off (errors below ~1e-13·|f'| are noise)."""
    pts = [(math.log10(h), math.log10(e)) for h, e in zip(steps, errors)
           if math.isfinite(e) and e > 0]
    if not pts:
        return None
    best = min(range(len(pts)), key=lambda k: pts[k][1])
    if best < 2:  # no truncation region (a quadratic's central difference is exact, say)
        return None
    region = pts[: best + 1]
    floor = math.log10(max(abs(exact), 1.0) * 1e-12)
    region = [p for p in region if p[1] > floor + 1] or region
    if len(region) < 2:
        return None
    mx = sum(p[0] for p in region) / len(region)
    my = sum(p[1] for p in region) / len(region)
    sxx = sum((p[0] - mx) ** 2 for p in region)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in region) / sxx


def error_sweep(graph: Graph, point: Mapping[str, float], exact: Mapping[str, float],
                steps: Sequence[float] = DEFAULT_STEPS, methods: Sequence[str] = METHODS,
                variables: Sequence[str] | None = None, dtype: str = "float64") -> list[SweepCurve]:
    """For each variable and method, the absolute error against `exact` at each step h.

    Large h: truncation error, falling as h^1 (one-sided) or h^2 (central). Small h: round-off
    error, rising roughly as eps/h. The best h sits where the two meet.
    """
    if len(steps) > MAX_STEPS:
        raise ExpressionError(f"at most {MAX_STEPS} steps", code="invalid_step")
    curves = []
    for v in variables if variables is not None else graph.variables:
        for m in methods:
            est = [difference(graph, point, v, m, h, dtype) for h in steps]
            err = [abs(e - exact[v]) for e in est]
            finite = [(e, h) for e, h in zip(err, steps) if math.isfinite(e)]
            best = min(finite)[1] if finite else None
            curves.append(SweepCurve(v, m, list(steps), est, err,
                                     _truncation_slope(list(steps), err, exact[v]), best))
    return curves
