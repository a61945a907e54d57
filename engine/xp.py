"""The two array namespaces the op table's rules are written against, so one formula serves both:
`SCALAR` (Python floats and `math`: fast for the scalar graphs a person types) and `NUMPY`
(numpy arrays; and the fallback for a scalar rule at a domain edge such as log 0 or 1/0, where
`math` raises and numpy gives the IEEE inf or nan).

Names follow numpy. A function one of them lacks is added to both in one place, `provide`:

    provide("erf", scalar=math.erf, array=np.vectorize(math.erf, otypes=[float]))
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from functools import partial

import numpy as np

# What a scalar rule may raise at a domain edge; the caller then reruns it with NUMPY.
SCALAR_ERRORS = (ArithmeticError, ValueError)


def _sign(a: float) -> float:
    if a > 0:
        return 1.0
    if a < 0:
        return -1.0
    if a == 0:
        return 0.0
    raise ValueError("nan")


def _maximum(a: float, b: float) -> float:
    if a > b:
        return a
    if b > a or a == b:
        return b
    raise ValueError("nan")  # numpy propagates nan; Python's max does not


def _minimum(a: float, b: float) -> float:
    if a < b:
        return a
    if b < a or a == b:
        return b
    raise ValueError("nan")


def _where(cond: bool, a: float, b: float) -> float:
    return a if cond else b


# Module objects rather than classes: `xp.sin` in a rule is then a module attribute, which the
# interpreter looks up through its fast path.
SCALAR = types.ModuleType("engine.xp.SCALAR", "math-backed stand-in for numpy on Python floats")
vars(SCALAR).update(
    sin=math.sin, cos=math.cos, tan=math.tan, arcsin=math.asin, arccos=math.acos,
    arctan=math.atan, sinh=math.sinh, cosh=math.cosh, tanh=math.tanh, exp=math.exp,
    log=math.log, log2=math.log2, log10=math.log10, log1p=math.log1p, sqrt=math.sqrt,
    abs=math.fabs,
    power=math.pow,  # never `**`: (-8.0) ** (1/3) is a complex number
    sign=_sign, maximum=_maximum, minimum=_minimum, where=_where)

#: numpy, plus what `provide` adds; any other name is numpy's own.
NUMPY = types.ModuleType("engine.xp.NUMPY", "numpy, extended by engine.xp.provide")
NUMPY.__getattr__ = partial(getattr, np)  # type: ignore[attr-defined]  # PEP 562


def provide(name: str, scalar: Callable, array: Callable | None = None) -> None:
    """Make `xp.<name>` available to rules: `scalar` on floats (raising at a domain edge, which
    sends the call to the array version), `array` on numpy arrays (numpy's own by default)."""
    setattr(SCALAR, name, scalar)
    if array is not None:
        setattr(NUMPY, name, array)


def call_rule(rule: Callable, *args: float) -> float:
    """Run a rule on floats; at a domain edge, rerun it in numpy for IEEE inf/nan."""
    try:
        return float(rule(SCALAR, *args))
    except SCALAR_ERRORS:
        return numpy_rule(rule, *args)


def numpy_rule(rule: Callable, *args: float) -> float:
    """Run a rule on float64 scalars with numpy: inf and nan are answers, not errors."""
    with np.errstate(all="ignore"):
        return float(rule(NUMPY, *(np.float64(a) for a in args)))
