"""The op table: every primitive, once. The single source of truth for the parser, both modes of
AD, labels, SymPy conversion, PyTorch snippets and the generated tests; defining an op registers
it, and adding one is adding one row here (and its name to the README's list of functions).

Rules are written against an array namespace `xp` (`engine.xp`: SCALAR on floats, NUMPY on
arrays), so one formula serves both. An elementwise op declares `partials`: `partials[k](xp, out,
*args)` is d out / d args[k], given the op's output first so that d exp(a)/da is simply `out`;
a partial that is a constant is declared as the number itself:

    Op("exp", arity=1, forward=lambda xp, a: xp.exp(a), derivatives=("exp(a)",),
       partials=(lambda xp, out, a: out,), ...)
    Op("sub", arity=2, forward=lambda xp, a, b: a - b, derivatives=("1", "-1"), partials=(1.0, -1.0), ...)

Each partial also comes as text, as a textbook writes it (σ' as out(1 − out), not SymPy's
exp(−a)/(1 + exp(−a))²): the page shows it with node names for a, b and out.

Reverse mode sends grad[out] × partial_k to input k; forward mode sums partial_k × tangent[k]
into the output: both read the same partials. An op that is not elementwise (a matrix product,
a sum) declares instead, per argument, a vector-Jacobian product `vjp[k](xp, g, out, *args)` and
a Jacobian-vector product `jvp[k](xp, t, out, *args)`, the two faces of one linear map.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .shapes import axis_shape, matmul_shape
from .xp import provide

Interval = tuple[float, float]


def _constant(c: float) -> Callable:
    return lambda xp, out, *args: c


@dataclass(frozen=True, kw_only=True)
class Op:
    """One primitive (see the module's docstring for its rules)."""

    name: str
    arity: int
    forward: Callable  # (xp, *args) -> out
    partials: tuple[Callable | float, ...] = ()  # elementwise: d out / d args[k]
    # ... and each as a textbook writes it, in a, b and out (our own expression language where
    # it can say it; tests check those against SymPy): what the page shows for a local derivative
    derivatives: tuple[str, ...] = ()
    vjp: tuple[Callable | None, ...] = ()  # otherwise: (xp, g, out, *args) -> g pulled back to args[k]
    jvp: tuple[Callable | None, ...] = ()  # and (xp, t, out, *args) -> out's tangent from args[k]'s t
    vjp_text: tuple[str, ...] = ()  # each VJP as a textbook writes it, in terms of g, a, b
    shape: Callable | None = None  # (*shapes, *static values) -> out's shape; None: broadcasting
    static: tuple[int, ...] = ()  # arguments that must be constants (an axis): no gradient
    label: str = ""  # drawn in the graph; its name when not given
    latex: str
    sympy: Callable  # (sympy module, *args) -> SymPy expression
    torch: str  # PyTorch spelling: a format string over the argument texts
    description: str
    # Test domain: for each argument, intervals to sample from (away from kinks and poles).
    domain: tuple[tuple[Interval, ...], ...]
    symbol: str | None = None  # infix or prefix symbol in text; None means call syntax
    precedence: int = 100  # for printing infix ops back to text
    spelling: str = ""  # the name typed to call it; its name when it has no symbol
    subgradient: str = ""  # the choice made where the derivative does not exist
    # A composite's unit functions, in our own expression language over a and b (σ is
    # 1/(1 + exp(-a)), the lecture's logistic graph): engine/expand.py draws a node so on request.
    expansion: str = ""
    constants: tuple[float | None, ...] = field(init=False)  # the partials that are numbers

    def __post_init__(self) -> None:
        if self.partials:
            if not len(self.partials) == len(self.derivatives) == self.arity or self.vjp or self.jvp:
                raise ValueError(f"op {self.name}: one partial and its text per argument, no vjp or jvp")
        elif not (len(self.vjp) == len(self.jvp) == self.arity) or any(
                (self.vjp[k] is None or self.jvp[k] is None) != (k in self.static) for k in range(self.arity)):
            raise ValueError(f"op {self.name}: give partials, or a vjp and a jvp per argument "
                             "(None for a static one)")
        object.__setattr__(self, "label", self.label or self.name)
        if not self.spelling and self.symbol is None:
            object.__setattr__(self, "spelling", self.name)
        consts = tuple(float(p) if isinstance(p, (int, float)) else None for p in self.partials)
        object.__setattr__(self, "constants", consts)
        object.__setattr__(self, "partials", tuple(
            _constant(c) if c is not None else p for c, p in zip(consts, self.partials)))


OPS: dict[str, Op] = {}
#: text function name -> {number of arguments: op name}
FUNCTIONS: dict[str, dict[int, str]] = {}


def define(op: Op) -> Op:
    """Register an op: the parser, passes, labels and tests all read OPS."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} defined twice")
    OPS[op.name] = op
    if op.spelling:
        FUNCTIONS.setdefault(op.spelling, {})[op.arity] = op.name
    return op


ANY = ((-3.0, 3.0),)
POSITIVE = ((0.1, 5.0),)
NONZERO = ((-5.0, -0.1), (0.1, 5.0))
OPEN_UNIT = ((-0.999, 0.999),)
WIDE = ((-30.0, 30.0),)  # where tanh and σ saturate, so precision there is tested too

# Arithmetic. Precedences: + - 10, * / 20, unary - 30, ^ 40 (the parser uses the same).
define(Op(name="add", arity=2, forward=lambda xp, a, b: a + b, derivatives=("1", "1"),
          partials=(1.0, 1.0),
          label="+", latex="+", sympy=lambda sp, a, b: a + b, torch="{0} + {1}",
          description="sum a + b", domain=(ANY, ANY), symbol="+", precedence=10))
define(Op(name="sub", arity=2, forward=lambda xp, a, b: a - b, derivatives=("1", "-1"),
          partials=(1.0, -1.0),
          label="−", latex="-", sympy=lambda sp, a, b: a - b, torch="{0} - {1}",
          description="difference a − b", domain=(ANY, ANY), symbol="-", precedence=10))
define(Op(name="mul", arity=2, forward=lambda xp, a, b: a * b,
          derivatives=("b", "a"),
          partials=(lambda xp, out, a, b: b, lambda xp, out, a, b: a),
          label="×", latex=r"\times", sympy=lambda sp, a, b: a * b, torch="{0} * {1}",
          description="product a × b", domain=(ANY, ANY), symbol="*", precedence=20))
define(Op(name="div", arity=2, forward=lambda xp, a, b: a / b,
          derivatives=("1/b", "-a/b^2"),
          partials=(lambda xp, out, a, b: 1.0 / b, lambda xp, out, a, b: -out / b),
          label="÷", latex=r"\div", sympy=lambda sp, a, b: a / b, torch="{0} / {1}",
          description="quotient a ÷ b", domain=(ANY, NONZERO), symbol="/", precedence=20))
define(Op(name="neg", arity=1, forward=lambda xp, a: -a, derivatives=("-1",),
          partials=(-1.0,),
          label="−", latex="-", sympy=lambda sp, a: -a, torch="-{0}",
          description="negation −a", domain=(ANY,), symbol="-", precedence=30))
# PyTorch's pow: no gradient into the base where the exponent is 0, none into the
# exponent where the base is 0 and the exponent >= 0 (instead of 0 * log 0 = nan).
define(Op(name="pow", arity=2, forward=lambda xp, a, b: xp.power(a, b),
          derivatives=("b*a^(b - 1)", "a^b*ln(a)"),
          partials=(lambda xp, out, a, b: xp.where(b == 0, 0.0, b * xp.power(a, b - 1.0)),
                    lambda xp, out, a, b: xp.where((a == 0) & (b >= 0), 0.0, out * xp.log(a))),
          label="^", latex="^", sympy=lambda sp, a, b: a**b, torch="{0} ** {1}",
          description="power a^b (also pow(a, b))", domain=(POSITIVE, ((-3.0, 3.0),)),
          symbol="^", precedence=40, spelling="pow",
          subgradient="d/da is 0 where b = 0; d/db is 0 where a = 0 and b >= 0 (as PyTorch)"))

# Elementary functions (called by name, drawn by name unless a row says otherwise).
define(Op(name="sin", arity=1, forward=lambda xp, a: xp.sin(a),
          derivatives=("cos(a)",),
          partials=(lambda xp, out, a: xp.cos(a),), latex=r"\sin", sympy=lambda sp, a: sp.sin(a),
          torch="torch.sin({0})", description="sine", domain=(ANY,)))
define(Op(name="cos", arity=1, forward=lambda xp, a: xp.cos(a),
          derivatives=("-sin(a)",),
          partials=(lambda xp, out, a: -xp.sin(a),), latex=r"\cos", sympy=lambda sp, a: sp.cos(a),
          torch="torch.cos({0})", description="cosine", domain=(ANY,)))
define(Op(name="tan", arity=1, forward=lambda xp, a: xp.tan(a),
          derivatives=("1 + tan(a)^2",),
          partials=(lambda xp, out, a: 1.0 + out * out,), latex=r"\tan", sympy=lambda sp, a: sp.tan(a),
          torch="torch.tan({0})", description="tangent", domain=(((-1.4, 1.4),),)))
# 1 - a² is written (1 - a)(1 + a): near |a| = 1 the product keeps the digits a * a loses.
define(Op(name="asin", arity=1, forward=lambda xp, a: xp.arcsin(a),
          derivatives=("1/sqrt(1 - a^2)",),
          partials=(lambda xp, out, a: 1.0 / xp.sqrt((1.0 - a) * (1.0 + a)),), latex=r"\arcsin",
          sympy=lambda sp, a: sp.asin(a), torch="torch.asin({0})", description="inverse sine",
          domain=(OPEN_UNIT,)))
define(Op(name="acos", arity=1, forward=lambda xp, a: xp.arccos(a),
          derivatives=("-1/sqrt(1 - a^2)",),
          partials=(lambda xp, out, a: -1.0 / xp.sqrt((1.0 - a) * (1.0 + a)),), latex=r"\arccos",
          sympy=lambda sp, a: sp.acos(a), torch="torch.acos({0})", description="inverse cosine",
          domain=(OPEN_UNIT,)))
define(Op(name="atan", arity=1, forward=lambda xp, a: xp.arctan(a),
          derivatives=("1/(1 + a^2)",),
          partials=(lambda xp, out, a: 1.0 / (1.0 + a * a),), latex=r"\arctan",
          sympy=lambda sp, a: sp.atan(a), torch="torch.atan({0})", description="inverse tangent",
          domain=(WIDE,)))
define(Op(name="sinh", arity=1, forward=lambda xp, a: xp.sinh(a),
          derivatives=("cosh(a)",),
          partials=(lambda xp, out, a: xp.cosh(a),), latex=r"\sinh", sympy=lambda sp, a: sp.sinh(a),
          torch="torch.sinh({0})", description="hyperbolic sine", domain=(ANY,)))
define(Op(name="cosh", arity=1, forward=lambda xp, a: xp.cosh(a),
          derivatives=("sinh(a)",),
          partials=(lambda xp, out, a: xp.sinh(a),), latex=r"\cosh", sympy=lambda sp, a: sp.cosh(a),
          torch="torch.cosh({0})", description="hyperbolic cosine", domain=(ANY,)))
# The textbook 1 - out² loses every digit once tanh(a) rounds to 1 (a > 19); 1/cosh² keeps them.
define(Op(name="tanh", arity=1, forward=lambda xp, a: xp.tanh(a),
          derivatives=("1 - tanh(a)^2",),
          partials=(lambda xp, out, a: 1.0 / (xp.cosh(a) * xp.cosh(a)),), latex=r"\tanh",
          sympy=lambda sp, a: sp.tanh(a), torch="torch.tanh({0})", description="hyperbolic tangent",
          domain=(WIDE,)))
define(Op(name="exp", arity=1, forward=lambda xp, a: xp.exp(a),
          derivatives=("exp(a)",),
          partials=(lambda xp, out, a: out,), latex=r"\exp", sympy=lambda sp, a: sp.exp(a),
          torch="torch.exp({0})", description="exponential e^a", domain=(ANY,)))
define(Op(name="ln", arity=1, forward=lambda xp, a: xp.log(a),
          derivatives=("1/a",),
          partials=(lambda xp, out, a: 1.0 / a,), latex=r"\ln", sympy=lambda sp, a: sp.log(a),
          torch="torch.log({0})", description="natural logarithm (also log(a))", domain=(POSITIVE,)))
define(Op(name="logb", arity=2, forward=lambda xp, a, b: xp.log(a) / xp.log(b),
          derivatives=("1/(a*ln(b))", "-ln(a)/(b*ln(b)^2)"),
          partials=(lambda xp, out, a, b: 1.0 / (a * xp.log(b)),
                    lambda xp, out, a, b: -out / (b * xp.log(b))),
          label="log", latex=r"\log", sympy=lambda sp, a, b: sp.log(a) / sp.log(b),
          torch="torch.log({0}) / torch.log({1})",
          description="logarithm of a to base b: log(a, b)", domain=(POSITIVE, ((1.5, 5.0),)),
          spelling="log"))
define(Op(name="log2", arity=1, forward=lambda xp, a: xp.log2(a),
          derivatives=("1/(a*ln(2))",),
          partials=(lambda xp, out, a: 1.0 / (a * math.log(2.0)),), label="log₂",
          latex=r"\log_2", sympy=lambda sp, a: sp.log(a, 2), torch="torch.log2({0})",
          description="logarithm to base 2", domain=(POSITIVE,)))
define(Op(name="log10", arity=1, forward=lambda xp, a: xp.log10(a),
          derivatives=("1/(a*ln(10))",),
          partials=(lambda xp, out, a: 1.0 / (a * math.log(10.0)),), label="log₁₀",
          latex=r"\log_{10}", sympy=lambda sp, a: sp.log(a, 10), torch="torch.log10({0})",
          description="logarithm to base 10", domain=(POSITIVE,)))
define(Op(name="sqrt", arity=1, forward=lambda xp, a: xp.sqrt(a),
          derivatives=("1/(2*sqrt(a))",),
          partials=(lambda xp, out, a: 0.5 / out,), label="√", latex=r"\sqrt{}",
          sympy=lambda sp, a: sp.sqrt(a), torch="torch.sqrt({0})",
          description="square root", domain=(POSITIVE,)))
define(Op(name="abs", arity=1, forward=lambda xp, a: xp.abs(a),
          derivatives=("sign(a)",),
          partials=(lambda xp, out, a: xp.sign(a),), latex=r"\lvert\cdot\rvert",
          sympy=lambda sp, a: sp.Abs(a), torch="torch.abs({0})", description="absolute value |a|",
          domain=(NONZERO,), subgradient="0 at a = 0 (as PyTorch)"))
define(Op(name="sign", arity=1, forward=lambda xp, a: xp.sign(a), derivatives=("0",),
          partials=(0.0,), latex=r"\operatorname{sign}", sympy=lambda sp, a: sp.sign(a),
          torch="torch.sign({0})", description="sign of a: −1, 0 or 1", domain=(NONZERO,),
          subgradient="0 everywhere, at 0 too (as PyTorch)"))
# σ' = σ(a)·σ(−a) = out / (1 + e^a): the textbook out(1 − out) cancels to 0 once σ rounds to 1.
define(Op(name="sigmoid", arity=1, forward=lambda xp, a: 1.0 / (1.0 + xp.exp(-a)),
          derivatives=("out*(1 - out)",),
          partials=(lambda xp, out, a: out / (1.0 + xp.exp(a)),), label="σ", latex=r"\sigma",
          sympy=lambda sp, a: 1 / (1 + sp.exp(-a)), torch="torch.sigmoid({0})",
          description="logistic sigmoid 1 / (1 + e^−a)", domain=(WIDE,), expansion="1/(1 + exp(-a))"))
define(Op(name="relu", arity=1, forward=lambda xp, a: xp.maximum(a, 0.0),
          derivatives=("sign(relu(a))",),
          partials=(lambda xp, out, a: xp.where(a > 0, 1.0, 0.0),), latex=r"\operatorname{relu}",
          sympy=lambda sp, a: sp.Max(0, a), torch="torch.relu({0})", description="rectifier max(a, 0)",
          domain=(NONZERO,), subgradient="0 at a = 0 (as PyTorch)"))
# log(1 + e^a) written so that large a neither overflows nor loses precision.
define(Op(name="softplus", arity=1,
          forward=lambda xp, a: xp.maximum(a, 0.0) + xp.log1p(xp.exp(-xp.abs(a))),
          derivatives=("sigmoid(a)",),
          partials=(lambda xp, out, a: 1.0 / (1.0 + xp.exp(-a)),), latex=r"\operatorname{softplus}",
          sympy=lambda sp, a: sp.log(1 + sp.exp(a)), torch="torch.nn.functional.softplus({0})",
          description="softplus ln(1 + e^a)", domain=(WIDE,), expansion="ln(1 + exp(a))"))
define(Op(name="max", arity=2, forward=lambda xp, a, b: xp.maximum(a, b),
          derivatives=("(1 + sign(a - b))/2", "(1 + sign(b - a))/2"),
          partials=(lambda xp, out, a, b: xp.where(a > b, 1.0, xp.where(a == b, 0.5, 0.0)),
                    lambda xp, out, a, b: xp.where(b > a, 1.0, xp.where(a == b, 0.5, 0.0))),
          latex=r"\max", sympy=lambda sp, a, b: sp.Max(a, b), torch="torch.maximum({0}, {1})",
          description="larger of a and b", domain=(ANY, ANY),
          subgradient="at a tie each argument gets half (as PyTorch's maximum)"))
define(Op(name="min", arity=2, forward=lambda xp, a, b: xp.minimum(a, b),
          derivatives=("(1 + sign(b - a))/2", "(1 + sign(a - b))/2"),
          partials=(lambda xp, out, a, b: xp.where(a < b, 1.0, xp.where(a == b, 0.5, 0.0)),
                    lambda xp, out, a, b: xp.where(b < a, 1.0, xp.where(a == b, 0.5, 0.0))),
          latex=r"\min", sympy=lambda sp, a, b: sp.Min(a, b), torch="torch.minimum({0}, {1})",
          description="smaller of a and b", domain=(ANY, ANY),
          subgradient="at a tie each argument gets half (as PyTorch's minimum)"))

# numpy has no erf: libm's, element by element.
provide("erf", scalar=math.erf, array=np.vectorize(math.erf, otypes=[float]))
define(Op(name="erf", arity=1, forward=lambda xp, a: xp.erf(a),
          derivatives=("2/sqrt(pi)*exp(-a^2)",),
          partials=(lambda xp, out, a: 2.0 / math.sqrt(math.pi) * xp.exp(-a * a),),
          latex=r"\operatorname{erf}", sympy=lambda sp, a: sp.erf(a), torch="torch.erf({0})",
          description="error function", domain=(ANY,)))

# Tensor ops: not elementwise, so each declares its VJP and JVP (a matrix product's are g bᵀ
# and aᵀ g; a sum's pulls g back by broadcasting it). Vectors and matrices for @, as numpy's
# matmul reads them; an axis is a static argument, a constant integer (shapes: engine.shapes).


def _unreduce(xp, g, a, axis):
    """g, the gradient of a sum over `axis`, spread back over a's shape."""
    return xp.broadcast_to(g if axis is None else xp.expand_dims(g, int(axis)), xp.shape(a))


define(Op(name="matmul", arity=2, forward=lambda xp, a, b: xp.matmul(a, b),
          vjp=(lambda xp, g, out, a, b: (g * b if a.ndim == 1 else xp.multiply.outer(g, b))
               if b.ndim == 1 else xp.matmul(g, b.T),
               lambda xp, g, out, a, b: (g * a if b.ndim == 1 else xp.multiply.outer(a, g))
               if a.ndim == 1 else xp.matmul(a.T, g)),
          jvp=(lambda xp, t, out, a, b: xp.matmul(t, b), lambda xp, t, out, a, b: xp.matmul(a, t)),
          vjp_text=("g bᵀ", "aᵀ g"), shape=matmul_shape, label="@", latex=r"\mathbin{@}",
          sympy=lambda sp, a, b: a * b, torch="{0} @ {1}",
          description="matrix product a @ b (vectors and matrices; also matmul(a, b))",
          domain=(ANY, ANY), symbol="@", precedence=20, spelling="matmul"))
define(Op(name="sum", arity=1, forward=lambda xp, a: xp.sum(a),
          vjp=(lambda xp, g, out, a: _unreduce(xp, g, a, None),),
          jvp=(lambda xp, t, out, a: xp.sum(t),), vjp_text=("g spread over a's shape",),
          shape=lambda a: (), label="Σ", latex=r"\sum", sympy=lambda sp, a: a,
          torch="torch.sum({0})", description="sum of all elements", domain=(ANY,)))
define(Op(name="sum_axis", arity=2, forward=lambda xp, a, axis: xp.sum(a, axis=int(axis)),
          vjp=(lambda xp, g, out, a, axis: _unreduce(xp, g, a, axis), None),
          jvp=(lambda xp, t, out, a, axis: xp.sum(t, axis=int(axis)), None),
          vjp_text=("g spread along the axis",), shape=axis_shape, static=(1,), label="Σ",
          latex=r"\sum", sympy=lambda sp, a, axis: a, torch="torch.sum({0}, dim={1})",
          description="sum along an axis: sum(a, axis)", domain=(ANY, ((0.0, 0.0),)),
          spelling="sum"))
define(Op(name="mean", arity=1, forward=lambda xp, a: xp.mean(a),
          vjp=(lambda xp, g, out, a: _unreduce(xp, g / xp.size(a), a, None),),
          jvp=(lambda xp, t, out, a: xp.mean(t),), vjp_text=("g / n spread over a's shape",),
          shape=lambda a: (), latex=r"\operatorname{mean}", sympy=lambda sp, a: a,
          torch="torch.mean({0})", description="mean of all elements", domain=(ANY,)))
define(Op(name="mean_axis", arity=2, forward=lambda xp, a, axis: xp.mean(a, axis=int(axis)),
          vjp=(lambda xp, g, out, a, axis: _unreduce(xp, g / xp.shape(a)[int(axis)], a, axis), None),
          jvp=(lambda xp, t, out, a, axis: xp.mean(t, axis=int(axis)), None),
          vjp_text=("g / n spread along the axis",), shape=axis_shape, static=(1,),
          label="mean", latex=r"\operatorname{mean}", sympy=lambda sp, a, axis: a,
          torch="torch.mean({0}, dim={1})", description="mean along an axis: mean(a, axis)",
          domain=(ANY, ((0.0, 0.0),)), spelling="mean"))
define(Op(name="transpose", arity=1, forward=lambda xp, a: xp.transpose(a),
          vjp=(lambda xp, g, out, a: xp.transpose(g),), jvp=(lambda xp, t, out, a: xp.transpose(t),),
          vjp_text=("gᵀ",), shape=lambda a: a[::-1], label="ᵀ", latex=r"^\top",
          sympy=lambda sp, a: a, torch="{0}.T", description="transpose (also aᵀ)", domain=(ANY,)))

# `log(a)` is the natural logarithm, as in numpy and PyTorch.
FUNCTIONS.setdefault("log", {})[1] = "ln"

#: Named constants a person may type.
CONSTANTS: dict[str, float] = {"pi": math.pi, "π": math.pi, "e": math.e}
