"""The op table: every primitive, once. The single source of truth for the parser, both
modes of AD, labels, SymPy conversion, PyTorch snippets and the generated tests.

A rule is written against an array namespace `xp`, so one formula serves two back ends:
`SCALAR` (Python floats and `math`, fast for the scalar graphs a person types) and `numpy`
(arrays, and the fallback when a scalar rule meets a domain edge such as log 0 or 1/0,
where numpy gives inf/nan instead of raising). Partial-derivative rules receive the op's
output first, so d exp(a)/da is simply `out`:

    define(Op("exp", 1, forward=lambda xp, a: xp.exp(a),
              partials=(lambda xp, out, a: out,), ...))

Reverse mode sends grad[out] * partial_k to input k; forward mode sums partial_k * tangent[k]
into the output: both read the same `partials`, so no formula is written twice.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# --- the scalar namespace -------------------------------------------------------------
# Names follow numpy so that a rule reads the same for both back ends. A function that
# cannot give the IEEE answer raises instead (ValueError etc.), which sends the caller to
# the numpy fallback; Python's own float operators already raise on 1/0.


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


#: A math-backed stand-in for numpy on Python floats. A module object rather than a class:
#: `xp.sin` in a rule is then a module attribute, which the interpreter looks up through a
#: specialized fast path (a class's staticmethod is not), ~10 ns less a lookup.
SCALAR = types.ModuleType("engine.ops.SCALAR", "math-backed stand-in for numpy on Python floats")
vars(SCALAR).update(
    sin=math.sin, cos=math.cos, tan=math.tan, arcsin=math.asin, arccos=math.acos,
    arctan=math.atan, sinh=math.sinh, cosh=math.cosh, tanh=math.tanh, exp=math.exp,
    log=math.log, log2=math.log2, log10=math.log10, log1p=math.log1p, sqrt=math.sqrt,
    abs=math.fabs,
    power=math.pow,  # never `**`: (-8.0) ** (1/3) is a complex number
    sign=_sign, maximum=_maximum, minimum=_minimum, where=_where)


#: What a scalar rule may raise at a domain edge; the caller then retries with numpy.
SCALAR_ERRORS = (ArithmeticError, ValueError)


def call_rule(rule: Callable, *args: float) -> float:
    """Run a rule on floats; at a domain edge, rerun it in numpy for IEEE inf/nan."""
    try:
        return float(rule(SCALAR, *args))
    except SCALAR_ERRORS:
        return numpy_rule(rule, *args)


def numpy_rule(rule: Callable, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(rule(np, *(np.float64(a) for a in args)))


# --- the table ------------------------------------------------------------------------

Interval = tuple[float, float]


@dataclass(frozen=True)
class Op:
    """One primitive. `partials[k](xp, out, *args)` is d out / d args[k]."""

    name: str
    arity: int
    forward: Callable
    partials: tuple[Callable, ...]
    label: str  # shown in the graph
    latex: str
    sympy: Callable  # (sympy module, *args) -> SymPy expression
    description: str
    # Test domain: for each argument, intervals to sample from (away from kinks and poles).
    domain: tuple[tuple[Interval, ...], ...] = ()
    symbol: str | None = None  # infix or prefix symbol in text; None means call syntax
    precedence: int = 100  # for printing infix ops back to text
    torch: str = ""  # PyTorch spelling, a format string over the argument texts
    spelling: str = ""  # the name typed to call it, when called as a function
    subgradient: str = ""  # the choice made where the derivative does not exist
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.partials) != self.arity:
            raise ValueError(f"op {self.name}: {self.arity} arguments, {len(self.partials)} partials")


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
define(Op("add", 2, lambda xp, a, b: a + b,
          (lambda xp, out, a, b: 1.0, lambda xp, out, a, b: 1.0),
          "+", "+", lambda sp, a, b: a + b, "sum a + b", (ANY, ANY), "+", 10, "{0} + {1}"))
define(Op("sub", 2, lambda xp, a, b: a - b,
          (lambda xp, out, a, b: 1.0, lambda xp, out, a, b: -1.0),
          "−", "-", lambda sp, a, b: a - b, "difference a − b", (ANY, ANY), "-", 10, "{0} - {1}"))
define(Op("mul", 2, lambda xp, a, b: a * b,
          (lambda xp, out, a, b: b, lambda xp, out, a, b: a),
          "×", r"\times", lambda sp, a, b: a * b, "product a × b", (ANY, ANY), "*", 20,
          "{0} * {1}"))
define(Op("div", 2, lambda xp, a, b: a / b,
          (lambda xp, out, a, b: 1.0 / b, lambda xp, out, a, b: -out / b),
          "÷", r"\div", lambda sp, a, b: a / b, "quotient a ÷ b", (ANY, NONZERO), "/", 20,
          "{0} / {1}"))
define(Op("neg", 1, lambda xp, a: -a, (lambda xp, out, a: -1.0,),
          "−", "-", lambda sp, a: -a, "negation −a", (ANY,), "-", 30, "-{0}"))
# PyTorch's pow: no gradient into the base where the exponent is 0, none into the
# exponent where the base is 0 and the exponent >= 0 (instead of 0 * log 0 = nan).
define(Op("pow", 2, lambda xp, a, b: xp.power(a, b),
          (lambda xp, out, a, b: xp.where(b == 0, 0.0, b * xp.power(a, b - 1.0)),
           lambda xp, out, a, b: xp.where((a == 0) & (b >= 0), 0.0, out * xp.log(a))),
          "^", "^", lambda sp, a, b: a**b, "power a^b (also pow(a, b))", (POSITIVE, ((-3.0, 3.0),)),
          "^", 40, "{0} ** {1}", "pow",
          "d/da is 0 where b = 0; d/db is 0 where a = 0 and b >= 0 (as PyTorch)"))

# Elementary functions.
define(Op("sin", 1, lambda xp, a: xp.sin(a), (lambda xp, out, a: xp.cos(a),),
          "sin", r"\sin", lambda sp, a: sp.sin(a), "sine", (ANY,), torch="torch.sin({0})",
          spelling="sin"))
define(Op("cos", 1, lambda xp, a: xp.cos(a), (lambda xp, out, a: -xp.sin(a),),
          "cos", r"\cos", lambda sp, a: sp.cos(a), "cosine", (ANY,), torch="torch.cos({0})",
          spelling="cos"))
define(Op("tan", 1, lambda xp, a: xp.tan(a), (lambda xp, out, a: 1.0 + out * out,),
          "tan", r"\tan", lambda sp, a: sp.tan(a), "tangent", (((-1.4, 1.4),),),
          torch="torch.tan({0})", spelling="tan"))
# 1 - a² is written (1 - a)(1 + a): near |a| = 1 the product keeps the digits a * a loses.
define(Op("asin", 1, lambda xp, a: xp.arcsin(a),
          (lambda xp, out, a: 1.0 / xp.sqrt((1.0 - a) * (1.0 + a)),),
          "asin", r"\arcsin", lambda sp, a: sp.asin(a), "inverse sine", (OPEN_UNIT,),
          torch="torch.asin({0})", spelling="asin"))
define(Op("acos", 1, lambda xp, a: xp.arccos(a),
          (lambda xp, out, a: -1.0 / xp.sqrt((1.0 - a) * (1.0 + a)),),
          "acos", r"\arccos", lambda sp, a: sp.acos(a), "inverse cosine", (OPEN_UNIT,),
          torch="torch.acos({0})", spelling="acos"))
define(Op("atan", 1, lambda xp, a: xp.arctan(a), (lambda xp, out, a: 1.0 / (1.0 + a * a),),
          "atan", r"\arctan", lambda sp, a: sp.atan(a), "inverse tangent", (WIDE,),
          torch="torch.atan({0})", spelling="atan"))
define(Op("sinh", 1, lambda xp, a: xp.sinh(a), (lambda xp, out, a: xp.cosh(a),),
          "sinh", r"\sinh", lambda sp, a: sp.sinh(a), "hyperbolic sine", (ANY,),
          torch="torch.sinh({0})", spelling="sinh"))
define(Op("cosh", 1, lambda xp, a: xp.cosh(a), (lambda xp, out, a: xp.sinh(a),),
          "cosh", r"\cosh", lambda sp, a: sp.cosh(a), "hyperbolic cosine", (ANY,),
          torch="torch.cosh({0})", spelling="cosh"))
# The textbook 1 - out² loses every digit once tanh(a) rounds to 1 (a > 19); 1/cosh² keeps them.
define(Op("tanh", 1, lambda xp, a: xp.tanh(a), (lambda xp, out, a: 1.0 / (xp.cosh(a) * xp.cosh(a)),),
          "tanh", r"\tanh", lambda sp, a: sp.tanh(a), "hyperbolic tangent", (WIDE,),
          torch="torch.tanh({0})", spelling="tanh"))
define(Op("exp", 1, lambda xp, a: xp.exp(a), (lambda xp, out, a: out,),
          "exp", r"\exp", lambda sp, a: sp.exp(a), "exponential e^a", (ANY,),
          torch="torch.exp({0})", spelling="exp"))
define(Op("ln", 1, lambda xp, a: xp.log(a), (lambda xp, out, a: 1.0 / a,),
          "ln", r"\ln", lambda sp, a: sp.log(a), "natural logarithm (also log(a))", (POSITIVE,),
          torch="torch.log({0})", spelling="ln"))
define(Op("logb", 2, lambda xp, a, b: xp.log(a) / xp.log(b),
          (lambda xp, out, a, b: 1.0 / (a * xp.log(b)),
           lambda xp, out, a, b: -out / (b * xp.log(b))),
          "log", r"\log", lambda sp, a, b: sp.log(a) / sp.log(b), "logarithm of a to base b: log(a, b)",
          (POSITIVE, ((1.5, 5.0),)), torch="torch.log({0}) / torch.log({1})", spelling="log"))
define(Op("log2", 1, lambda xp, a: xp.log2(a), (lambda xp, out, a: 1.0 / (a * math.log(2.0)),),
          "log₂", r"\log_2", lambda sp, a: sp.log(a, 2), "logarithm to base 2", (POSITIVE,),
          torch="torch.log2({0})", spelling="log2"))
define(Op("log10", 1, lambda xp, a: xp.log10(a),
          (lambda xp, out, a: 1.0 / (a * math.log(10.0)),),
          "log₁₀", r"\log_{10}", lambda sp, a: sp.log(a, 10), "logarithm to base 10", (POSITIVE,),
          torch="torch.log10({0})", spelling="log10"))
define(Op("sqrt", 1, lambda xp, a: xp.sqrt(a), (lambda xp, out, a: 0.5 / out,),
          "√", r"\sqrt{}", lambda sp, a: sp.sqrt(a), "square root", (POSITIVE,),
          torch="torch.sqrt({0})", spelling="sqrt"))
define(Op("abs", 1, lambda xp, a: xp.abs(a), (lambda xp, out, a: xp.sign(a),),
          "abs", r"\lvert\cdot\rvert", lambda sp, a: sp.Abs(a), "absolute value |a|", (NONZERO,),
          torch="torch.abs({0})", spelling="abs", subgradient="0 at a = 0 (as PyTorch)"))
# σ' = σ(a)·σ(−a) = out / (1 + e^a): the textbook out(1 − out) cancels to 0 once σ rounds to 1.
define(Op("sigmoid", 1, lambda xp, a: 1.0 / (1.0 + xp.exp(-a)),
          (lambda xp, out, a: out / (1.0 + xp.exp(a)),),
          "σ", r"\sigma", lambda sp, a: 1 / (1 + sp.exp(-a)), "logistic sigmoid 1 / (1 + e^−a)",
          (WIDE,), torch="torch.sigmoid({0})", spelling="sigmoid"))
define(Op("relu", 1, lambda xp, a: xp.maximum(a, 0.0),
          (lambda xp, out, a: xp.where(a > 0, 1.0, 0.0),),
          "relu", r"\operatorname{relu}", lambda sp, a: sp.Max(0, a), "rectifier max(a, 0)",
          (NONZERO,), torch="torch.relu({0})", spelling="relu",
          subgradient="0 at a = 0 (as PyTorch)"))
# log(1 + e^a) written so that large a neither overflows nor loses precision.
define(Op("softplus", 1,
          lambda xp, a: xp.maximum(a, 0.0) + xp.log1p(xp.exp(-xp.abs(a))),
          (lambda xp, out, a: 1.0 / (1.0 + xp.exp(-a)),),
          "softplus", r"\operatorname{softplus}", lambda sp, a: sp.log(1 + sp.exp(a)),
          "softplus ln(1 + e^a)", (WIDE,), torch="torch.nn.functional.softplus({0})",
          spelling="softplus"))
define(Op("max", 2, lambda xp, a, b: xp.maximum(a, b),
          (lambda xp, out, a, b: xp.where(a > b, 1.0, xp.where(a == b, 0.5, 0.0)),
           lambda xp, out, a, b: xp.where(b > a, 1.0, xp.where(a == b, 0.5, 0.0))),
          "max", r"\max", lambda sp, a, b: sp.Max(a, b), "larger of a and b", (ANY, ANY),
          torch="torch.maximum({0}, {1})", spelling="max",
          subgradient="at a tie each argument gets half (as PyTorch's maximum)"))
define(Op("min", 2, lambda xp, a, b: xp.minimum(a, b),
          (lambda xp, out, a, b: xp.where(a < b, 1.0, xp.where(a == b, 0.5, 0.0)),
           lambda xp, out, a, b: xp.where(b < a, 1.0, xp.where(a == b, 0.5, 0.0))),
          "min", r"\min", lambda sp, a, b: sp.Min(a, b), "smaller of a and b", (ANY, ANY),
          torch="torch.minimum({0}, {1})", spelling="min",
          subgradient="at a tie each argument gets half (as PyTorch's minimum)"))

# `log(a)` is the natural logarithm, as in numpy and PyTorch.
FUNCTIONS.setdefault("log", {})[1] = "ln"

#: Named constants a person may type.
CONSTANTS: dict[str, float] = {"pi": math.pi, "π": math.pi, "e": math.e}
