"""Kernel text from the op table: `RECORD`, an array namespace whose values are `Sym`s
(expressions under construction), and numexpr's compiled kernels.

An op's rules are called on `RECORD` as they are on numpy, so the op table stays the single
source of truth: `lambda xp, out, a: out / (1.0 + xp.exp(a))` on Syms named v4 and v3 yields the
text `(v4 / (1.0 + exp(v3)))`. The text holds only what the op table's code writes (operators,
numpy's function names as numexpr spells them, numbers computed by that code) and names made
of node indices (`v4`, `g7`, `t2`): a person's names and numbers never reach it, a typed
constant being an input like any value. A rule that needs what numexpr lacks (a function
`RECORD` does not have, such as erf, or a branch on a value) raises `Unfusable`.
"""

from __future__ import annotations

import math
import numbers
import types
from collections.abc import Sequence

import numpy as np

#: Bounds on one kernel: operations (numexpr holds its registers in a byte), nesting (Python's
#: parser, which numexpr calls, refuses deep nesting) and inputs (numpy's iterator takes at most
#: 64 operands). An expression past one is stored, and named, instead of inlined.
MAX_OPS = 60
MAX_DEPTH = 24
MAX_INPUTS = 24


class Unfusable(Exception):
    """A rule that a numexpr kernel cannot express."""


class Sym:
    """An expression under construction: its numexpr text, size, nesting depth, `cost` (the
    calls of elementary functions in it, each worth many arithmetic operations) and the names
    it reads."""

    __slots__ = ("cost", "depth", "names", "ops", "text")
    __array_ufunc__ = None  # numpy's scalars defer to Sym's operators
    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def __init__(self, text: str, ops: int = 0, depth: int = 0, cost: int = 0,
                 names: frozenset[str] = frozenset()) -> None:
        self.text, self.ops, self.depth, self.cost, self.names = text, ops, depth, cost, names

    def __repr__(self) -> str:
        return f"Sym({self.text!r})"

    def fits(self) -> bool:
        return self.ops <= MAX_OPS and self.depth <= MAX_DEPTH and len(self.names) <= MAX_INPUTS

    def __bool__(self) -> bool:
        raise Unfusable("a rule that branches on a value")

    def __add__(self, o): return apply("({} + {})", self, o)
    def __radd__(self, o): return apply("({} + {})", o, self)
    def __sub__(self, o): return apply("({} - {})", self, o)
    def __rsub__(self, o): return apply("({} - {})", o, self)
    def __mul__(self, o): return apply("({} * {})", self, o)
    def __rmul__(self, o): return apply("({} * {})", o, self)
    def __truediv__(self, o): return apply("({} / {})", self, o)
    def __rtruediv__(self, o): return apply("({} / {})", o, self)
    def __pow__(self, o): return apply("({} ** {})", self, o, cost=1)
    def __rpow__(self, o): return apply("({} ** {})", o, self, cost=1)
    def __neg__(self): return apply("(-{})", self)
    def __pos__(self): return self
    def __lt__(self, o): return apply("({} < {})", self, o)
    def __le__(self, o): return apply("({} <= {})", self, o)
    def __gt__(self, o): return apply("({} > {})", self, o)
    def __ge__(self, o): return apply("({} >= {})", self, o)
    def __eq__(self, o): return apply("({} == {})", self, o)  # type: ignore[override]
    def __ne__(self, o): return apply("({} != {})", self, o)  # type: ignore[override]
    def __and__(self, o): return apply("({} & {})", self, o)
    def __rand__(self, o): return apply("({} & {})", o, self)
    def __or__(self, o): return apply("({} | {})", self, o)
    def __ror__(self, o): return apply("({} | {})", o, self)
    def __invert__(self): return apply("(~{})", self)


def name(text: str) -> Sym:
    """An input of a kernel, by a name made of a letter and a node (or step) index."""
    return Sym(text, names=frozenset((text,)))


def lift(x: object) -> Sym:
    """A Sym as it is; a number written by op-table code as a literal (finite ones only)."""
    if isinstance(x, Sym):
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise Unfusable(f"{x!r} in a rule")
    text = repr(float(x))
    return Sym(f"({text})" if text.startswith("-") else text)


def apply(template: str, *args: object, cost: int = 0) -> Sym:
    syms = [lift(a) for a in args]
    return Sym(template.format(*(s.text for s in syms)), 1 + sum(s.ops for s in syms),
               1 + max(s.depth for s in syms), cost + sum(s.cost for s in syms),
               frozenset().union(*(s.names for s in syms)))


def _function(ne_name: str, arity: int, cost: int):
    template = f"{ne_name}({', '.join(['{}'] * arity)})"

    def call(*args):
        if len(args) != arity:
            raise Unfusable(f"{ne_name} with {len(args)} arguments")
        return apply(template, *args, cost=cost)
    return call


#: numpy's names that numexpr computes, as numexpr spells them: (name, arguments, cost).
_FUNCTIONS = {
    **{f: (f, 1, 1) for f in ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
                              "tanh", "arcsinh", "arccosh", "arctanh", "exp", "expm1", "log",
                              "log2", "log10", "log1p", "sqrt")},
    "abs": ("abs", 1, 0), "absolute": ("abs", 1, 0), "sign": ("sign", 1, 0),
    "maximum": ("maximum", 2, 0), "minimum": ("minimum", 2, 0), "where": ("where", 3, 0),
    "power": ("pow", 2, 1), "arctan2": ("arctan2", 2, 1),
}

#: The recording namespace: the rules' `xp` when kernels are written. Any name it lacks raises
#: AttributeError, which makes the op unfusable.
RECORD = types.ModuleType("engine.fast.kernels.RECORD", "numpy's names, writing numexpr text")
for _np_name, (_ne_name, _arity, _cost) in _FUNCTIONS.items():
    setattr(RECORD, _np_name, _function(_ne_name, _arity, _cost))
RECORD.power = lambda a, b: apply("({} ** {})", a, b, cost=1)  # numexpr spells pow as **

#: What recording a rule may raise when numexpr cannot express it.
UNFUSABLE = (Unfusable, AttributeError, TypeError)

_COMPILED: dict[str, object] = {}  # text -> kernel, shared by every plan (texts repeat)
_CACHE = 1024


def _numexpr():
    import numexpr  # imported on first use: a scalar session never pays for it

    return numexpr


class Kernel:
    """One compiled expression: `run(arrays, out)` fills `out` with it, reading its inputs from
    `arrays` (name -> array)."""

    __slots__ = ("compiled", "inputs", "text")

    def __init__(self, sym: Sym) -> None:
        self.text = sym.text
        compiled = _COMPILED.get(sym.text)
        if compiled is None:
            if len(_COMPILED) >= _CACHE:
                _COMPILED.clear()
            signature = [(n, np.float64) for n in sorted(sym.names)]
            compiled = _COMPILED[sym.text] = _numexpr().NumExpr(sym.text, signature=signature)
        self.compiled = compiled
        self.inputs: Sequence[str] = compiled.input_names  # type: ignore[attr-defined]

    def run(self, arrays: dict, out: np.ndarray) -> np.ndarray:
        self.compiled(*(arrays[n] for n in self.inputs), out=out, order="K",  # type: ignore[operator]
                      casting="safe", ex_uses_vml=False)
        return out
