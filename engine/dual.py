"""Dual numbers a + ȧε (ε² = 0) and `DUAL`, a third namespace for the op table's rules beside
SCALAR and NUMPY: a rule run on duals gives its value and its derivative along ȧ at once.

That is forward mode run *inside* the rules, so the reverse pass run on duals is forward mode
over the reverse pass: each adjoint comes out with its directional derivative, which for a
variable is a row of the Hessian times the direction (`engine.second`). Every function here is
made from the op table's own forward rule and partials (`OPS`), found by the op's name when a
rule first calls it (`xp.erf` is the op erf's), so a new elementwise op's second derivatives
need nothing added here.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable

import numpy as np

from .ops import OPS
from .xp import SCALAR_ERRORS, call_rule


def _ieee(f: Callable, *args: float) -> float:
    """f on floats; where Python raises (1/0, log 0, overflow) the IEEE inf or nan numpy gives."""
    try:
        return float(f(*args))
    except SCALAR_ERRORS:
        with np.errstate(all="ignore"):
            return float(f(*(np.float64(a) for a in args)))


class Dual:
    """A number and its derivative along one direction. Comparisons read the value only (a
    rule's branch is decided by the point, as the scalar rule decides it)."""

    __slots__ = ("d", "v")

    def __init__(self, v: float, d: float = 0.0) -> None:
        self.v, self.d = float(v), float(d)

    def __repr__(self) -> str:
        return f"Dual({self.v!r}, {self.d!r})"

    def __add__(self, o: object) -> Dual:
        o = lift(o)
        return Dual(_ieee(operator.add, self.v, o.v), _ieee(operator.add, self.d, o.d))

    __radd__ = __add__

    def __sub__(self, o: object) -> Dual:
        o = lift(o)
        return Dual(_ieee(operator.sub, self.v, o.v), _ieee(operator.sub, self.d, o.d))

    def __rsub__(self, o: object) -> Dual:
        return lift(o) - self

    def __mul__(self, o: object) -> Dual:
        o = lift(o)
        # a zero tangent adds nothing, even against inf (0 × inf would be nan)
        d = sum(_ieee(operator.mul, x, y) for x, y in ((self.d, o.v), (self.v, o.d)) if x != 0 and y != 0)
        return Dual(_ieee(operator.mul, self.v, o.v), d)

    __rmul__ = __mul__

    def __truediv__(self, o: object) -> Dual:
        o = lift(o)
        q = _ieee(operator.truediv, self.v, o.v)
        d = self.d if o.d == 0 else _ieee(operator.sub, self.d, _ieee(operator.mul, q, o.d))
        return Dual(q, _ieee(operator.truediv, d, o.v) if d != 0 else 0.0)

    def __rtruediv__(self, o: object) -> Dual:
        return lift(o) / self

    def __neg__(self) -> Dual:
        return Dual(-self.v, -self.d)

    def __eq__(self, o: object) -> bool:  # type: ignore[override]
        return self.v == lift(o).v

    def __hash__(self) -> int:
        return hash(self.v)

    def __lt__(self, o: object) -> bool:
        return self.v < lift(o).v

    def __le__(self, o: object) -> bool:
        return self.v <= lift(o).v

    def __gt__(self, o: object) -> bool:
        return self.v > lift(o).v

    def __ge__(self, o: object) -> bool:
        return self.v >= lift(o).v


def lift(x: object) -> Dual:
    """A constant as a dual with no derivative."""
    return x if isinstance(x, Dual) else Dual(float(x))  # type: ignore[arg-type]


def _of_op(name: str) -> Callable:
    """The namespace function of one op, made from its forward rule and partials:
    f(a + ȧε, b + ḃε) = f(a, b) + (∂f/∂a ȧ + ∂f/∂b ḃ)ε."""
    op = OPS[name]

    def f(*args: object) -> Dual:
        xs = [lift(a) for a in args]
        vs = [x.v for x in xs]
        out = call_rule(op.forward, *vs)
        d = 0.0
        for k, x in enumerate(xs):
            if x.d != 0:
                d += _ieee(operator.mul, call_rule(op.partials[k], out, *vs), x.d)
        return Dual(out, d)
    return f


# numpy's names (as the rules call them) that are not their op's; any other (xp.sin, xp.erf) is
# the op of that name, found when a rule first asks: a new row of the table needs nothing here.
_RENAMED = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "log": "ln", "power": "pow",
            "maximum": "max", "minimum": "min"}


class _Dual(types.ModuleType):
    def __getattr__(self, name: str) -> Callable:
        if name not in OPS or not OPS[name].partials:
            raise AttributeError(f"no function {name!r} on dual numbers")
        setattr(self, name, _of_op(name))
        return getattr(self, name)


DUAL = _Dual("engine.dual.DUAL", "the op table's functions on dual numbers")
vars(DUAL).update({np_name: _of_op(op) for np_name, op in _RENAMED.items()})
vars(DUAL).update(
    # Piecewise constant, so their derivative is 0 (away from the points the subgradients choose).
    sign=lambda a: Dual(float(np.sign(lift(a).v))),
    where=lambda cond, a, b: a if cond else b,
    log1p=lambda a: DUAL.log(1.0 + lift(a)),  # type: ignore[attr-defined]
)
