"""Tests generated from the op table: every op's forward rule against SymPy, every partial
rule against sympy.diff and central differences over the op's own test domain, the scalar
and numpy back ends against each other, and the documented subgradient choices.

Adding an op to engine.ops adds its rows here without touching this file.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from conftest import sympy_at

from engine import FUNCTIONS, OPS, compile, evaluate
from engine.symbolic import to_sympy
from engine.xp import NUMPY, SCALAR, call_rule, numpy_rule

NAMES = sorted(name for name, op in OPS.items() if op.partials)  # elementwise: tensor ops in test_tensors.py
POINTS = 20
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-310, 1e308, -1e308, 710.0, -710.0, 800.0,
           math.inf, -math.inf, math.nan]


def sample(op, n: int = POINTS, seed: int = 0) -> list[tuple[float, ...]]:
    """`n` points drawn from the op's domain with a fixed seed (per op, so runs repeat)."""
    rng = random.Random(f"{seed}:{op.name}")
    points = []
    for _ in range(n):
        point = []
        for intervals in op.domain:
            lo, hi = rng.choice(intervals)
            point.append(rng.uniform(lo, hi))
        points.append(tuple(point))
    return points


def symbols(op) -> list[sp.Symbol]:
    return [sp.Symbol(f"a{k}", real=True) for k in range(op.arity)]


def at(args: tuple[float, ...]) -> dict[str, float]:
    return {f"a{k}": v for k, v in enumerate(args)}


def same_number(a: float, b: float, rel: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b))


# --- the table itself ------------------------------------------------------------------

def documented_functions() -> set[str]:
    """The function names the README's language section lists (`sin` ... `pow(a, b)`)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    item = re.search(r"^- Functions: (.*?)^- ", readme, re.S | re.M)
    assert item, "README.md should list the functions in a '- Functions:' item"
    return set(re.findall(r"`([a-z][a-z0-9]*)[`(]", item.group(1)))


def test_the_table_has_the_documented_functions():
    assert sorted(FUNCTIONS) == sorted(documented_functions())
    assert FUNCTIONS["log"] == {1: "ln", 2: "logb"}
    assert {"add", "sub", "mul", "div", "neg", "pow"} <= set(OPS)


@pytest.mark.parametrize("name", NAMES)
def test_every_op_is_fully_described(name):
    op = OPS[name]
    assert op.name == name
    assert op.arity == len(op.partials or op.vjp) == len(op.domain) >= 1
    for intervals in op.domain:
        assert intervals and all(lo < hi for lo, hi in intervals)
    assert op.label.strip() and op.latex.strip() and op.description.strip()
    assert op.torch.count("{") == op.arity
    # Spelled either as an operator symbol or a function name that maps back to this op.
    assert op.symbol is not None or op.spelling
    if op.spelling:
        assert FUNCTIONS[op.spelling][op.arity] == name
    # Every function name reaches a defined op with that many arguments.
    for spelling, by_arity in FUNCTIONS.items():
        for arity, op_name in by_arity.items():
            assert OPS[op_name].arity == arity, spelling


# --- forward against SymPy -------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_sympy(name):
    op = OPS[name]
    syms = symbols(op)
    expr = op.sympy(sp, *syms)
    for args in sample(op):
        ours = call_rule(op.forward, *args)
        exact = sympy_at(expr, at(args))
        assert exact is not None, (name, args)
        assert ours == pytest.approx(exact, rel=1e-12, abs=1e-300), (name, args)


# --- partials against sympy.diff and central differences -------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_partials_match_sympy_diff(name):
    op = OPS[name]
    syms = symbols(op)
    expr = op.sympy(sp, *syms)
    for k, rule in enumerate(op.partials):
        derivative = sp.diff(expr, syms[k])
        for args in sample(op):
            out = call_rule(op.forward, *args)
            ours = call_rule(rule, out, *args)
            exact = sympy_at(derivative, at(args))
            assert exact is not None, (name, k, args)
            assert ours == pytest.approx(exact, rel=1e-9, abs=1e-300), (name, k, args)


@pytest.mark.parametrize("name", NAMES)
def test_partials_match_central_differences(name):
    op = OPS[name]
    for k, rule in enumerate(op.partials):
        for args in sample(op, seed=1):
            out = call_rule(op.forward, *args)
            ours = call_rule(rule, out, *args)
            h = 1e-5 * max(1.0, abs(args[k]))
            up, down = list(args), list(args)
            up[k] += h
            down[k] -= h
            numeric = (call_rule(op.forward, *up) - call_rule(op.forward, *down)) / (2 * h)
            # Round-off in the difference is about eps * |f| / h; allow for it beside 1e-6.
            scale = 1e-10 * max(1.0, abs(out)) / h
            assert ours == pytest.approx(numeric, rel=1e-6, abs=scale), (name, k, args)


def test_partials_receive_the_output_first():
    # d exp(a)/da is written as `out`: a rule that ignored its arguments would pass only
    # if it really read the output.
    assert OPS["exp"].partials[0](SCALAR, 123.0, 0.0) == 123.0
    assert OPS["sqrt"].partials[0](SCALAR, 2.0, 4.0) == 0.25


# --- the two back ends ------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_scalar_and_numpy_namespaces_agree_on_the_domain(name):
    op = OPS[name]
    points = sample(op)
    columns = [np.array(c) for c in zip(*points)]
    with np.errstate(all="raise"):  # inside the domain numpy must not need to warn
        array_out = np.broadcast_to(op.forward(NUMPY, *columns), columns[0].shape)
    for j, args in enumerate(points):
        scalar = call_rule(op.forward, *args)
        assert type(scalar) is float
        numpy_scalar = float(op.forward(NUMPY, *(np.float64(a) for a in args)))
        assert same_number(scalar, numpy_scalar, rel=1e-14), (name, args)
        assert same_number(scalar, float(array_out[j]), rel=1e-14), (name, args)
    for k, rule in enumerate(op.partials):
        outs = np.array([call_rule(op.forward, *args) for args in points])
        with np.errstate(all="raise"):
            array_local = np.broadcast_to(rule(NUMPY, outs, *columns), outs.shape)
        for j, args in enumerate(points):
            scalar = call_rule(rule, outs[j], *args)
            numpy_scalar = float(rule(NUMPY, np.float64(outs[j]), *(np.float64(a) for a in args)))
            assert same_number(scalar, numpy_scalar, rel=1e-14), (name, k, args)
            assert same_number(scalar, float(array_local[j]), rel=1e-14), (name, k, args)


@pytest.mark.parametrize("name", NAMES)
def test_scalar_rules_fall_back_to_ieee_at_domain_edges(name):
    # At 0, inf, nan, overflow the scalar path must give what numpy gives (inf or nan),
    # never raise and never a different number.
    op = OPS[name]
    rng = random.Random(name)
    points = {tuple(rng.choice(SPECIAL) for _ in range(op.arity)) for _ in range(60)}
    points |= {(v,) * op.arity for v in SPECIAL}
    for args in sorted(points, key=repr):
        out = call_rule(op.forward, *args)
        assert same_number(out, numpy_rule(op.forward, *args), rel=1e-14), (name, args)
        for k, rule in enumerate(op.partials):
            assert same_number(call_rule(rule, out, *args), numpy_rule(rule, out, *args),
                               rel=1e-14), (name, k, args)


@pytest.mark.parametrize(("text", "point", "value"), [
    ("ln(x)", {"x": 0.0}, -math.inf),
    ("1/x", {"x": 0.0}, math.inf),
    ("1/x", {"x": -0.0}, -math.inf),
    ("sqrt(x)", {"x": -1.0}, math.nan),
    ("exp(x)", {"x": 1000.0}, math.inf),
    ("x^y", {"x": 0.0, "y": -1.0}, math.inf),
    ("x^y", {"x": -8.0, "y": 1 / 3}, math.nan),
    ("sigmoid(x)", {"x": -1000.0}, 0.0),
    ("softplus(x)", {"x": 1000.0}, 1000.0),
    ("softplus(x)", {"x": -1000.0}, 0.0),
])
def test_values_at_domain_edges(text, point, value):
    assert same_number(evaluate(text, point).value, value)


def test_large_arguments_keep_full_precision():
    # 1 - tanh² and s(1 - s) lose every digit once tanh or the sigmoid rounds to 1.
    for a in (5.0, 10.0, 20.0, 30.0, -30.0):
        sech2 = 1 / math.cosh(a) ** 2
        assert call_rule(OPS["tanh"].partials[0], math.tanh(a), a) == pytest.approx(sech2, rel=1e-12, abs=0)
        s = 1 / (1 + math.exp(-a))
        exact = math.exp(-abs(a)) / (1 + math.exp(-abs(a))) ** 2
        assert call_rule(OPS["sigmoid"].partials[0], s, a) == pytest.approx(exact, rel=1e-12, abs=0)
    for a in (0.999999, -0.999999, 1 - 1e-12):
        exact = 1 / math.sqrt((1 - a) * (1 + a))
        assert call_rule(OPS["asin"].partials[0], math.asin(a), a) == pytest.approx(exact, rel=1e-12, abs=0)
        assert call_rule(OPS["acos"].partials[0], math.acos(a), a) == pytest.approx(-exact, rel=1e-12, abs=0)


# --- subgradients (README: "Where a derivative does not exist") ------------------------
# PyTorch is not a test dependency, so the documented (PyTorch) values are written here:
# torch.abs'(0) = 0, relu'(0) = 0, maximum/minimum at a tie give 0.5 to each argument,
# pow sends 0 to the exponent at base 0 (exponent >= 0) and 0 to the base at exponent 0.

def partial(name: str, k: int, *args: float, xp=None) -> float:
    op = OPS[name]
    if xp is None:
        return call_rule(op.partials[k], call_rule(op.forward, *args), *args)
    with np.errstate(all="ignore"):
        argv = [np.float64(a) for a in args]
        return float(op.partials[k](xp, op.forward(xp, *argv), *argv))


@pytest.mark.parametrize("xp", [None, np], ids=["scalar", "numpy"])
def test_documented_subgradients(xp):
    assert partial("abs", 0, 0.0, xp=xp) == 0.0
    assert partial("abs", 0, -0.0, xp=xp) == 0.0
    assert partial("relu", 0, 0.0, xp=xp) == 0.0
    for name in ("max", "min"):
        assert partial(name, 0, 1.5, 1.5, xp=xp) == 0.5
        assert partial(name, 1, 1.5, 1.5, xp=xp) == 0.5
    assert partial("max", 0, 2.0, 1.0, xp=xp) == 1.0 and partial("max", 1, 2.0, 1.0, xp=xp) == 0.0
    assert partial("min", 0, 2.0, 1.0, xp=xp) == 0.0 and partial("min", 1, 2.0, 1.0, xp=xp) == 1.0
    for b in (0.0, 0.5, 2.0, 3.0):
        assert partial("pow", 1, 0.0, b, xp=xp) == 0.0  # d/db at base 0, b >= 0
    assert partial("pow", 1, 0.0, -1.0, xp=xp) == -math.inf  # inf * log 0, as PyTorch
    for a in (0.0, 2.0, -3.0):
        assert partial("pow", 0, a, 0.0, xp=xp) == 0.0  # d/da where the exponent is 0
    assert partial("pow", 0, 0.0, 1.0, xp=xp) == 1.0
    assert partial("pow", 0, -2.0, 3.0, xp=xp) == 12.0
    assert math.isnan(partial("pow", 1, -2.0, 2.0, xp=xp))  # log of a negative base


def test_subgradients_through_the_whole_engine():
    assert evaluate("abs(x)", {"x": 0}).gradient == {"x": 0.0}
    assert evaluate("relu(x)", {"x": 0}).gradient == {"x": 0.0}
    assert evaluate("max(x, y)", {"x": 1, "y": 1}).gradient == {"x": 0.5, "y": 0.5}
    assert evaluate("min(x, y)", {"x": 1, "y": 1}).gradient == {"x": 0.5, "y": 0.5}
    assert evaluate("max(x, x)", {"x": 1}).gradient == {"x": 1.0}  # 0.5 along each edge
    assert evaluate("x^y", {"x": 0, "y": 2}).gradient == {"x": 0.0, "y": 0.0}
    assert evaluate("x^y", {"x": 0, "y": 0}).gradient == {"x": 0.0, "y": 0.0}
    log3 = pytest.approx(math.log(3), rel=1e-15, abs=0)
    assert evaluate("x^y", {"x": 3, "y": 0}).gradient == {"x": 0.0, "y": log3}
    doc = {name: OPS[name].subgradient for name in ("abs", "relu", "max", "min", "pow")}
    assert all(doc.values()), doc


@pytest.mark.parametrize("name", NAMES)
def test_derivative_text_is_the_partial(name):
    """The textbook text of each partial (what the page shows, and what engine.backward_graph
    builds the backward pass from) is that partial: read by our own parser, with `out` standing
    for the op's value, it equals sympy.diff of the op; where the derivative does not exist
    everywhere (a subgradient), it equals the partial rule at sampled points, kinks and ties
    included."""
    op = OPS[name]
    args = sp.symbols("a b", real=True)[: op.arity]
    value = op.sympy(sp, *args)
    for k, text in enumerate(op.derivatives):
        graph = compile(text)
        assert set(graph.variables) <= {"a", "b", "out"}, text
        if op.subgradient:
            kinks = [(0.0,) * op.arity, (1.5,) * op.arity, (-2.0,) * op.arity]
            for point in sample(op) + kinks:
                out = call_rule(op.forward, *point)
                env = {"a": point[0], "b": point[-1], "out": out}
                got = evaluate(graph, {v: env[v] for v in graph.variables}).value
                if not math.isfinite(got) and point in kinks:
                    continue  # pow at 0: the formula is 0·∞ there, and the subgradient says 0
                assert got == call_rule(op.partials[k], out, *point), (name, k, text, point)
            continue
        subs = {sp.Symbol(v, real=True): value if v == "out" else args["ab".index(v)]
                for v in graph.variables}
        got = to_sympy(graph).subs(subs)
        assert sp.simplify(got - sp.diff(value, args[k])) == 0, (name, k, text)
