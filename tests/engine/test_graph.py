"""The graph and the passes over it: shared subexpressions and fan-out, deterministic ids,
pruning, constants, a 100,000-deep chain, and non-finite values named by their node."""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from engine import (
    GraphBuilder,
    compile,
    evaluate,
    forward,
    gradient,
    parse,
    reverse,
    tangent,
)
from engine.paths import consumers

ROOT = Path(__file__).resolve().parents[2]


def node_of(graph, op_name):
    [i] = [i for i in range(len(graph)) if graph.op_name(i) == op_name]
    return i


# --- shared subexpressions and fan-out -------------------------------------------------------

def test_x_in_x_times_x_plus_2x_is_one_node_with_three_edges_out():
    ev = evaluate("x*x + 2*x", {"x": 3})
    g = ev.graph
    [x] = g.var_nodes
    out_edges = [e for e in g.edges if e.source == x]
    assert len(out_edges) == 3
    mul_x_x = [e for e in out_edges if e.target == out_edges[0].target]
    assert [e.index for e in mul_x_x] == [0, 1]  # x*x: two edges into one node, args 0 and 1
    assert consumers(g)[x] == [e.id for e in out_edges]
    # The three contributions add up at x: 3 + 3 + 2 = 8 = d/dx (x² + 2x) at 3.
    contributions = [e["contribution"] for e in ev.edges() if e["source"] == "n0"]
    assert contributions == [3.0, 3.0, 2.0]
    assert ev.gradient == {"x": 8.0}


def test_identical_subexpressions_share_one_node():
    g = compile("sin(x) + sin(x)")
    sin = node_of(g, "sin")
    add = node_of(g, "add")
    assert g.inputs[add] == (sin, sin)
    assert len(g) == 3
    ev = evaluate(g, {"x": 0.5})
    assert ev.gradient["x"] == pytest.approx(2 * math.cos(0.5), rel=1e-15, abs=0)
    # Sharing goes through names too: `a` and `sin(x)` are the same node.
    assert len(compile("a = sin(x); a + sin(x)")) == 3
    # Different argument order is a different node (no algebra in the graph).
    assert len(compile("x*y + y*x")) == 5


def places(text: str) -> dict[str, list[int | None]]:
    """Each op node of `text`'s graph by name, with the offset of the token that made it."""
    from engine.errors import Locator
    from engine.lexer import tokenize

    graph, toks = compile(text), tokenize(text, Locator(text))
    out: dict[str, list[int | None]] = {}
    for i in range(len(graph)):
        token = graph.where.get(i)
        out.setdefault(graph.op_name(i), []).append(None if token is None else toks.pos(token))
    return out


def test_each_op_node_knows_the_token_that_made_it():
    """An operator's node points at the operator, a call's at the function's name; a node made
    twice at its first place; leaves and a unary minus nowhere. Pruning keeps the places."""
    text = "a = x * y\nc = x + 1\nb = a - sin(a) + x*y\n-b / b"
    assert places(text) == {"var": [None, None], "mul": [6], "sin": [28], "sub": [26], "add": [35],
                            "neg": [None], "div": [44]}  # c = x + 1 pruned
    assert [text[p] for p in (6, 28, 26, 35, 44)] == ["*", "s", "-", "+", "/"]
    g = compile(text)
    clones = (copy.copy(g.where), copy.deepcopy(g).where, pickle.loads(pickle.dumps(g.where)))
    assert all([c.get(i) for i in range(len(g))] == [g.where.get(i) for i in range(len(g))]
               for c in clones)
    b = GraphBuilder()
    g = b.build(b.op("mul", b.var("x"), b.var("y")))
    assert [g.where.get(i) for i in range(len(g))] == [None, None, None]


def test_edges_carry_source_target_and_index():
    g = compile("x - y")
    assert [(e.source, e.target, e.index) for e in g.edges] == [(0, 2, 0), (1, 2, 1)]
    ev = evaluate(g, {"x": 1, "y": 2})
    assert [e["local"] for e in ev.edges()] == [1.0, -1.0]


def test_node_ids_are_deterministic_across_runs():
    code = ("import json; from engine import evaluate\n"
            "ev = evaluate('a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d + sin(c) + max(a, y)', "
            "{'x': 1.5, 'y': 2})\n"
            "print(json.dumps([ev.nodes(), ev.edges(), ev.trace()]))")
    outputs = []
    for seed in ("1", "2", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                             check=True, cwd=ROOT)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    nodes = json.loads(outputs[0])[0]
    assert [n["id"] for n in nodes] == [f"n{i}" for i in range(len(nodes))]
    # Creation order is a topological order: every input precedes its consumer.
    for n in nodes:
        assert all(int(s[1:]) < int(n["id"][1:]) for s in n["inputs"])


# --- naming and pruning ----------------------------------------------------------------------

def test_unused_intermediate_is_pruned_with_a_warning():
    p = parse("a = x*x; b = sin(y); a + 1")
    assert p.warnings == ["'b' is assigned but the output does not use it"]
    assert "sin" not in [p.graph.op_name(i) for i in range(len(p.graph))]
    assert p.graph.variables == ("x",)  # y went with b, so no value is needed for it
    assert evaluate(p.source, {"x": 2}).value == 5.0
    # An intermediate that only renames a variable or a constant is reported too.
    assert parse("a = y; x").warnings == ["'a' is assigned but the output does not use it"]
    assert parse("a = 2; x").warnings == ["'a' is assigned but the output does not use it"]
    assert parse("a = x*x; b = a; b").warnings == []
    ev = evaluate("a = x*x; b = sin(y); a + 1", {"x": 2})
    assert ev.warnings == ["'b' is assigned but the output does not use it"]


def test_names_of_intermediates_and_aliases():
    g = compile("a = x*x; b = a; f = b + 1")
    mul = node_of(g, "mul")
    assert g.names[mul] == "a"
    assert g.aliases[mul] == ["b"]
    assert g.names[g.output] == "f"
    ev = evaluate(g, {"x": 1})
    assert [n.get("aliases") for n in ev.nodes() if n["op"] == "mul"] == [["b"]]


# --- constants ---------------------------------------------------------------------------------

def test_constants_get_no_gradient():
    ev = evaluate("x * (2 + 3) + pi", {"x": 2})
    by_op = {}
    for n in ev.nodes():
        by_op.setdefault(n["op"], []).append(n)
    assert all(n["grad"] is None for n in by_op["const"])
    [inner_add, outer_add] = by_op["add"]
    assert inner_add["grad"] is None  # 2 + 3 depends on no variable
    assert outer_add["grad"] == 1.0
    assert by_op["var"][0]["grad"] == 5.0
    const_edges = [e for e in ev.edges() if e["source"] in {n["id"] for n in by_op["const"]}]
    assert const_edges and all(e["local"] is None and e["contribution"] is None for e in const_edges)
    assert ev.gradient == {"x": 5.0}


def test_expression_without_variables():
    ev = evaluate("2^10 - 24", {})
    assert ev.value == 1000.0 and ev.gradient == {}
    assert all(n["grad"] is None for n in ev.nodes())
    assert ev.trace()["backward"] == []


# --- a 100,000-deep chain ---------------------------------------------------------------------

DEPTH = 100_000


def test_deep_affine_chain_forward_reverse_tangent():
    # v <- a*v + 1, 100,000 times: v_n = a^n x + (a^n - 1)/(a - 1), dv_n/dx = a^n.
    a = 1.00001
    b = GraphBuilder(max_nodes=None)
    x = b.var("x")
    ca, one = b.const(a), b.const(1.0)
    v = x
    for _ in range(DEPTH):
        v = b.op("add", b.op("mul", ca, v), one)
    g = b.build(v)
    assert len(g) == 2 * DEPTH + 3
    fwd = forward(g, {"x": 0.5})
    an = a ** DEPTH
    assert fwd.values[g.output] == pytest.approx(an * 0.5 + (an - 1) / (a - 1), rel=1e-9, abs=0)
    rev = reverse(g, fwd)
    assert gradient(g, rev)["x"] == pytest.approx(an, rel=1e-9, abs=0)
    tan = tangent(g, fwd, "x")
    assert tan.tangents[g.output] == pytest.approx(an, rel=1e-9, abs=0)
    # With the full trace as well.
    traced = reverse(g, forward(g, {"x": 0.5}, trace=True), trace=True)
    assert traced.grads == rev.grads
    assert len(traced.events) == 1 + 2 * DEPTH + 3 * 2 * DEPTH  # seed, visits, 3 per edge


def test_deep_sin_chain_matches_the_chain_rule_product():
    b = GraphBuilder(max_nodes=None)
    v = b.var("x")
    for _ in range(DEPTH):
        v = b.op("sin", v)
    g = b.build(v)
    ev = evaluate(g, {"x": 1.0}, tangent_of="x")
    value, derivative = 1.0, 1.0
    for _ in range(DEPTH):
        derivative *= math.cos(value)
        value = math.sin(value)
    assert ev.value == value
    assert ev.gradient["x"] == pytest.approx(derivative, rel=1e-12, abs=0)
    assert ev.tangent.tangents[g.output] == pytest.approx(derivative, rel=1e-12, abs=0)
    assert len(ev.trace()["backward"]) == 1 + 4 * DEPTH


def test_builder_checks_its_arguments():
    b = GraphBuilder()
    x = b.var("x")
    with pytest.raises(ValueError):
        b.op("mul", x)
    with pytest.raises(ValueError):
        b.op("sin", 5)
    with pytest.raises(KeyError):
        b.op("nosuchop", x)


@pytest.mark.parametrize("seed", range(12))
def test_build_drops_exactly_the_nodes_no_output_depends_on(seed):
    """build() keeps every node when each one but the outputs is some node's input (a set, no
    sweep), else drops those `ancestors` does not reach: random graphs with dead branches,
    nodes after the output and several outputs, against the sweep itself."""
    import random

    from engine.graph import ancestors

    rng = random.Random(seed)
    b = GraphBuilder(max_nodes=None)
    nodes = [b.var(f"x{k}") for k in range(3)] + [b.const(2.0)]
    for _ in range(rng.choice([5, 40, 200])):
        a = rng.choice(nodes[-6:]) if rng.random() < 0.8 else rng.choice(nodes)
        nodes.append(b.op(rng.choice(["sin", "tanh"]), a) if rng.random() < 0.4 else
                     b.op(rng.choice(["add", "mul", "sub"]), a, rng.choice(nodes)))
    outputs = tuple(sorted(rng.sample(nodes, rng.choice([1, 1, 3]))))
    output = outputs[-1] if len(outputs) > 1 or rng.random() < 0.5 else nodes[-1]
    listed = outputs if len(outputs) > 1 else ()
    inputs, leaf, ops = list(b.inputs), list(b.leaf), list(b.ops)
    keep = ancestors(inputs, (output, *listed))
    graph = b.build(output, outputs=listed)
    kept = [i for i in range(len(ops)) if keep[i]]
    assert len(graph) == len(kept)
    assert graph.ops == [ops[i] for i in kept] and graph.leaf == [leaf[i] for i in kept]
    new = {old: k for k, old in enumerate(kept)}
    assert graph.inputs == [tuple(new[s] for s in inputs[i]) for i in kept]
    assert graph.output == new[output]
    # Every node made an input of a later one (what nothing reads, summed): all kept, as they are.
    unread = sorted(set(range(len(ops))) - {s for args in inputs for s in args} - {output})
    total = output
    for i in unread:
        total = b.op("add", total, i)
    everything = b.build(total)
    assert sum(ancestors(b.inputs, (total,))) == len(b.ops) == len(everything)
    assert everything.inputs == b.inputs and everything.ops == b.ops
    # A node nothing reads is kept when it is listed as an output, dropped when it is not.
    side, top = b.op("tanh", total), b.op("sin", total)
    assert len(b.build(top, outputs=(side, top))) == len(b.ops)
    assert len(b.build(top)) == len(b.ops) - 1


# --- non-finite values ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "x", "op", "value"), [
    ("ln(x) + 1", 0.0, "ln", -math.inf),
    ("1/x + 1", 0.0, "div", math.inf),
    ("sqrt(x) + 1", -1.0, "sqrt", math.nan),
    ("exp(x) * 2", 1000.0, "exp", math.inf),
])
def test_nonfinite_values_name_the_first_node(text, x, op, value):
    ev = evaluate(text, {"x": x})  # never raises
    node = node_of(ev.graph, op)
    [forward_report, *_] = ev.nonfinite()
    assert forward_report["pass"] == "forward"
    assert forward_report["node"] == f"n{node}"
    got = forward_report["value"]
    assert (math.isnan(got) and math.isnan(value)) or got == value
    assert "not finite" in forward_report["message"]
    assert not math.isfinite(ev.value)


def test_nonfinite_gradient_only():
    ev = evaluate("sqrt(x)", {"x": 0})
    assert ev.value == 0.0 and ev.gradient == {"x": math.inf}
    [report] = ev.nonfinite()
    assert report["pass"] == "backward" and report["node"] == "n0"


def test_finite_evaluation_reports_nothing():
    assert evaluate("ln(x)", {"x": 1}).nonfinite() == []


def test_named_nonfinite_node():
    ev = evaluate("a = ln(x); f = a + 1", {"x": 0})
    report = ev.nonfinite()[0]
    assert report["name"] == "a"
    assert report["message"].startswith("a = ln(0) is -inf")


# --- big graphs against small ones --------------------------------------------------------------

EDGE_POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-300, 1e300, 800.0, -800.0, math.inf, math.nan]


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-13 * max(abs(a), abs(b))


def test_a_big_graph_gives_each_edge_the_same_local_derivative_as_the_op_table():
    """Thousands of terms op(a_k, b_k) summed: d sum / d a_k is the op's partial at that point,
    whatever strategy the passes use for big graphs, at kinks, poles and overflow too."""
    from engine import OPS
    from engine.xp import call_rule

    cases = []
    for name in sorted(n for n, op in OPS.items() if op.partials):
        op = OPS[name]
        for a in EDGE_POINTS:
            for b in EDGE_POINTS if op.arity == 2 else [None]:
                cases.append((op, (a,) if b is None else (a, b)))
    builder = GraphBuilder(max_nodes=None)
    point, total = {}, None
    for k, (op, args) in enumerate(cases):
        names = [f"v{k}_{j}" for j in range(op.arity)]
        point.update(zip(names, args))
        term = builder.op(op, *(builder.var(n) for n in names))
        total = term if total is None else builder.op("add", total, term)
    g = builder.build(total)
    assert g.n_edges > 5000
    for trace in (False, True):
        fwd = forward(g, point, trace=trace)
        grads = gradient(g, reverse(g, fwd, trace=trace))
        for k, (op, args) in enumerate(cases):
            out = call_rule(op.forward, *args)
            for j in range(op.arity):
                expected = call_rule(op.partials[j], out, *args)
                got = grads[f"v{k}_{j}"]
                assert _same(got, expected), (op.name, args, j, got, expected, trace)
    # Forward mode along a few inputs reads the same partials.
    fwd = forward(g, point)
    node_of_var = dict(zip(g.variables, g.var_nodes))
    for k in range(0, len(cases), 97):
        op, args = cases[k]
        out = call_rule(op.forward, *args)
        tan = tangent(g, fwd, f"v{k}_0")
        x = node_of_var[f"v{k}_0"]
        [term] = [i for i in range(len(g)) if g.inputs[i][:1] == (x,) and g.op_name(i) == op.name]
        assert _same(tan.tangents[term], call_rule(op.partials[0], out, *args)), (op.name, args)


# --- values from Python -----------------------------------------------------------------------

def test_numpy_scalars_are_numbers():
    """A notebook passes numpy scalars (np.int64 from an array of ints, np.float32)."""
    import numpy as np

    from engine import ExpressionError, grad

    for value in (np.int64(3), np.int32(3), np.float32(3.0), np.float64(3.0), 3, 3.0):
        try:
            result = grad("x*x", x=value)
        except ExpressionError as err:
            result = err
        assert result == (9.0, {"x": 6.0}), (
            f"BUG in engine/values.py leaf_values: the value {value!r} is refused ({result}); "
            "any real number (numbers.Real) should be accepted as a float")


def test_a_value_too_large_for_float64_is_an_expression_error():
    from engine import ExpressionError, grad

    try:
        grad("x + 1", x=10**400)
        outcome = "accepted"
    except ExpressionError:
        outcome = "ExpressionError"
    except OverflowError:
        outcome = "OverflowError"
    assert outcome == "ExpressionError", (
        f"BUG in engine/values.py leaf_values: x=10**400 gives {outcome}; float(v) overflows "
        "and must become an ExpressionError naming the variable")


def test_nonfinite_constant_from_the_builder_has_a_label():
    b = GraphBuilder()
    x = b.var("x")
    g = b.build(b.op("add", b.op("mul", x, b.const(math.inf)), b.const(math.nan)))
    try:
        labels = [n["label"] for n in evaluate(g, {"x": 1}).nodes()]
    except (OverflowError, ValueError) as err:
        labels = [repr(err)]
    assert labels == ["x", "inf", "×", "nan", "+"], (
        f"BUG in engine/graph.py format_number: int(v) on an inf or nan constant raises, so "
        f"Graph.label and Evaluation.nodes() crash: {labels}")


def test_grad_helper_arguments():
    from engine import grad

    assert grad("x*y", {"x": 3}, y=4) == (12.0, {"x": 4.0, "y": 3.0})
    assert grad("x*y", x=3, y=4, wrt=["y", "x", "y"]) == (12.0, [3.0, 4.0, 3.0])
    # Variables may be called `values` or `expression`; `wrt` comes in the mapping.
    assert grad("values*expression", values=2, expression=3) == (6.0, {"values": 3.0, "expression": 2.0})
    assert grad("wrt*2", {"wrt": 3}) == (6.0, {"wrt": 2.0})
    with pytest.raises(TypeError, match="list of variable names"):
        grad("xy*2", xy=1, wrt="xy")  # not ['x', 'y']


def test_sympy_expression_is_built_from_the_graph_exactly():
    import sympy as sp

    from engine.symbolic import to_sympy

    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    assert to_sympy(compile("(x^2 + 2x) * ln(y)")) == (x**2 + 2 * x) * sp.log(y)
    assert to_sympy(compile("pi*x + e^y + π")) == sp.pi * x + sp.exp(y) + sp.pi
    assert to_sympy(compile("x^2.0")) == x**2  # a whole number stays exact
    half = to_sympy(compile("x * 0.5")).coeff(x)
    assert half.is_Float and float(half) == 0.5
    assert to_sympy(compile("log(x, 2) + max(x, y) + relu(y)")) == (
        sp.log(x) / sp.log(2) + sp.Max(x, y) + sp.Max(0, y))
    # Non-recursive over a deep graph (SymPy's own operations may recurse; building does not).
    b = GraphBuilder(max_nodes=None)
    v = b.var("x")
    for _ in range(3000):
        v = b.op("add", v, b.const(1.0))
    assert to_sympy(b.build(v)) == x + 3000


# --- the trace, as a viewer replays it ------------------------------------------------------

def test_trace_events_of_x_times_x():
    ev = evaluate("x*x", {"x": 3}, tangent_of="x")
    t = ev.trace()
    assert t["forward"] == [{"type": "evaluate", "node": "n0", "value": 3.0},
                            {"type": "evaluate", "node": "n1", "value": 9.0}]
    edge = {"source": "n0", "target": "n1"}
    assert t["backward"] == [
        {"type": "seed", "node": "n1", "grad": 1.0},
        {"type": "visit", "node": "n1", "grad": 1.0},
        {"type": "local", "edge": "e0", **edge, "index": 0, "local": 3.0},
        {"type": "contribute", "edge": "e0", **edge, "contribution": 3.0},
        {"type": "accumulate", "edge": "e0", "node": "n0", "before": 0.0, "grad": 3.0},
        {"type": "local", "edge": "e1", **edge, "index": 1, "local": 3.0},
        {"type": "contribute", "edge": "e1", **edge, "contribution": 3.0},
        {"type": "accumulate", "edge": "e1", "node": "n0", "before": 3.0, "grad": 6.0},
    ]
    assert t["tangent"] == [
        {"type": "seed", "node": "n0", "tangent": 1.0},
        {"type": "local", "edge": "e0", **edge, "index": 0, "local": 3.0},
        {"type": "term", "edge": "e0", **edge, "term": 3.0},
        {"type": "local", "edge": "e1", **edge, "index": 1, "local": 3.0},
        {"type": "term", "edge": "e1", **edge, "term": 3.0},
        {"type": "tangent", "node": "n1", "tangent": 6.0},
    ]
    json.dumps(t, allow_nan=False)  # plain data


def test_replaying_the_backward_trace_rebuilds_every_gradient_and_the_table():
    ev = evaluate("a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d + sin(c)", {"x": 1.5, "y": 2})
    grads: dict[str, float] = {}
    for step in ev.trace()["backward"]:
        if step["type"] == "seed":
            grads[step["node"]] = step["grad"]
        elif step["type"] == "contribute":
            grads[step["source"]] = grads.get(step["source"], 0.0) + step["contribution"]
        elif step["type"] == "accumulate":
            assert grads[step["node"]] == step["grad"]  # the running sum, as shown
        elif step["type"] == "visit":
            assert grads[step["node"]] == step["grad"]  # complete before it is sent on
    by_id = {n["id"]: n for n in ev.nodes()}
    for node_id, g in grads.items():
        assert by_id[node_id]["grad"] == g
    rows = {r["name"]: r for r in ev.table()}
    assert rows["x"]["grad"] == ev.gradient["x"] and rows["y"]["grad"] == ev.gradient["y"]
    f = next(n for n in ev.nodes() if n["name"] == "f")
    assert [loc["source"] for loc in rows["f"]["locals"]] == f["inputs"]  # c*d and sin(c)
    assert [loc["local"] for loc in rows["f"]["locals"]] == [1.0, 1.0]


@pytest.mark.parametrize("seed", range(12))
def test_needs_and_variables_match_the_plain_sweep(seed):
    """Graph's needs_grad and var_nodes (leaves found by a scan for `()`, the sweep only from
    the first constant) are what the plain sweep over every node gives: graphs of variables
    alone, with constants first or late, and with constant subexpressions of any depth."""
    import random

    from engine.graph import _depends

    rng = random.Random(seed)
    b = GraphBuilder(max_nodes=None)
    nodes = [b.var(f"x{k}") for k in range(rng.choice([1, 3]))]
    for _ in range(rng.choice([5, 40, 200])):
        r = rng.random()
        if r < 0.05 * (seed % 3):  # seeds 0, 3, 6, 9: variables alone
            nodes.append(b.const(rng.choice([2.0, -0.0, 3.5, float(len(nodes))])))
        elif r < 0.1:
            nodes.append(b.var(f"y{len(nodes)}"))
        else:
            a = rng.choice(nodes[-6:])
            nodes.append(b.op(rng.choice(["sin", "tanh"]), a) if rng.random() < 0.4 else
                         b.op(rng.choice(["add", "mul", "sub"]), a, rng.choice(nodes)))
    g = b.build(nodes[-1], prune=False)
    assert bytes(g.needs_grad) == bytes(_depends(g.inputs, g.leaf, None))
    assert g.var_nodes == tuple(i for i, v in enumerate(g.leaf) if isinstance(v, str))
    assert g.variables == tuple(g.leaf[i] for i in g.var_nodes)
