"""The plain passes against a reference written out here from their docstrings: values,
adjoints, each edge's local derivative and contribution, first_nonfinite and the events, bit for
bit, over generated expressions and special points (-0.0, inf, nan, overflow)."""

from __future__ import annotations

import math
import random

import pytest

from engine import OPS, evaluate, forward, parse, reverse, tangent
from engine.results import Forward, Reverse
from engine.xp import call_rule

POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-300, 1e300, -800.0, math.inf, -math.inf, math.nan]
INFIX = {"add": "({}+{})", "sub": "({}-{})", "mul": "({}*{})", "div": "({}/{})", "pow": "({}^{})",
         "neg": "(-{})"}


def _tree(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "z", "2", "0.5", "x", "y"])
    name = rng.choice(sorted(n for n, op in OPS.items() if op.partials))
    op = OPS[name]
    args = [_tree(rng, depth - 1) for _ in range(op.arity)]
    return INFIX[name].format(*args) if name in INFIX else f"{op.spelling}({', '.join(args)})"


def _expressions() -> list[str]:
    rng = random.Random(7)
    fixed = ["(x^2 + 2x) * ln(y)", "x*x", "x*x*x + y", "x - x", "2^10 - 24", "x", "x^0 + 0^y",
             "a = ln(x); f = a + 1", "sqrt(x) * ln(y) / x", "max(x, x) + min(y, x)"]
    return fixed + [_tree(rng, rng.randint(1, 6)) for _ in range(150)]


def _reference(graph, point: dict) -> dict:
    """Forward and reverse the plain way, everything computed at once."""
    ops, inputs, needs, out = graph.ops, graph.inputs, graph.needs_grad, graph.output
    values = []
    for i, op in enumerate(ops):
        leaf = graph.leaf[i]
        if op is None:
            values.append(float(point[leaf]) if isinstance(leaf, str) else leaf)
        else:
            values.append(call_rule(op.forward, *[values[s] for s in inputs[i]]))
    first_edge = graph.edge_ids()
    grads = [0.0] * len(ops)
    grads[out] = 1.0
    local: list = [None] * graph.n_edges
    contrib: list = [None] * graph.n_edges
    running = [0.0] * len(ops)
    events: list[tuple] = []
    if needs[out]:
        running[out] = 1.0
        events.append(("seed", out, 1.0))
    for t in range(out, -1, -1):
        op = ops[t]
        if op is None or not needs[t] or not any(needs[s] for s in inputs[t]):
            continue
        events.append(("visit", t, running[t]))
        for k, s in enumerate(inputs[t]):
            if not needs[s]:
                continue
            e = first_edge[t] + k
            loc = call_rule(op.partials[k], values[t], *[values[j] for j in inputs[t]])
            local[e] = loc
            contrib[e] = c = loc * grads[t]
            grads[s] += c
            before = running[s]
            running[s] = before + c
            events += [("local", e, s, t, k, loc), ("contribute", e, s, t, c),
                       ("accumulate", e, s, before, running[s])]

    def first(xs: list[float], order) -> int | None:
        return next((i for i in order if not math.isfinite(xs[i])), None)

    return {"values": values, "forward_first": first(values, range(len(values))),
            "forward_events": [("evaluate", i, v) for i, v in enumerate(values)],
            "grads": grads, "reverse_first": first(grads, range(out, -1, -1)),
            "edge_local": local, "edge_contribution": contrib, "events": events}


def _read(fwd: Forward, rev: Reverse) -> dict:
    return {"values": fwd.values, "forward_first": fwd.first_nonfinite,
            "forward_events": list(fwd.events), "grads": rev.grads,
            "reverse_first": rev.first_nonfinite, "edge_local": rev.edge_local,
            "edge_contribution": rev.edge_contribution, "events": list(rev.events)}


def _cases():
    rng = random.Random(11)
    for text in _expressions():
        graph = parse(text).graph
        for _ in range(3):
            yield text, graph, {v: rng.choice(POINTS) for v in graph.variables}


def test_the_passes_compute_what_the_reference_computes():
    checked = 0
    for text, graph, point in _cases():
        fwd = forward(graph, point, trace=True)
        got = _read(fwd, reverse(graph, fwd, trace=True))
        assert repr(got) == repr(_reference(graph, point)), (text, point)
        checked += 1
    assert checked > 400


def test_untraced_passes_record_nothing_and_still_find_nonfinite():
    graph = parse("sqrt(x) + ln(y)").graph
    fwd = forward(graph, {"x": 0.0, "y": 1.0})
    rev = reverse(graph, fwd)
    assert fwd.events is None
    assert rev.edge_local is None and rev.edge_contribution is None and rev.events is None
    assert fwd.first_nonfinite is None
    assert rev.first_nonfinite == 0 and rev.grads[0] == math.inf


def test_results_compare_and_print_as_the_dataclasses_did():
    graph = parse("x*y + sin(x)").graph
    a = evaluate(graph, {"x": 1.0, "y": 2.0})
    b = evaluate(graph, {"x": 1.0, "y": 2.0})
    assert a.forward == b.forward and a.reverse == b.reverse
    assert a.reverse != evaluate(graph, {"x": 2.0, "y": 2.0}).reverse
    assert repr(a.reverse).startswith("Reverse(grads=[") and "edge_local=[" in repr(a.reverse)
    assert repr(a.forward).startswith("Forward(values=[")
    # Built by hand, they hold what they are given.
    fwd = Forward([1.0, math.nan], [("evaluate", 0, 1.0)])
    assert fwd.first_nonfinite == 1 and fwd.events == [("evaluate", 0, 1.0)]
    rev = Reverse([1.0, 2.0])
    assert rev.first_nonfinite is None and rev.events is None and rev.edge_local is None
    with pytest.raises(AttributeError):  # frozen: a pass's record is what the pass made
        rev.edge_local = [None]  # type: ignore[misc]
    with pytest.raises(TypeError):  # frozen with lists inside: not hashable
        hash(rev)


def test_a_missing_or_wrong_value_is_reported_as_before():
    graph = parse("x*y + z").graph
    with pytest.raises(Exception, match="no value given for the variable 'y'"):
        forward(graph, {"x": 1.0, "z": 2.0})
    with pytest.raises(Exception, match="the value of 'x' must be a number"):
        forward(graph, {"x": True, "y": 1.0, "z": 2.0})
    assert forward(graph, {"x": 2, "y": 3, "z": 1}).values[graph.output] == 7.0


def test_a_graph_built_without_pruning():
    """Nodes past the output (one of them inf) get no gradient and no edge in the trace."""
    from engine import GraphBuilder

    b = GraphBuilder()
    x, y = b.var("x"), b.var("y")
    out = b.op("add", b.op("mul", x, x), b.op("sin", y))
    b.op("ln", b.op("sub", x, x))  # ln 0 = -inf, after the output and unused by it
    graph = b.build(out, prune=False)
    assert graph.output < len(graph) - 1
    point = {"x": 1.5, "y": -0.5}
    fwd = forward(graph, point, trace=True)
    rev = reverse(graph, fwd, trace=True)
    assert repr(_read(fwd, rev)) == repr(_reference(graph, point))
    assert fwd.first_nonfinite == len(graph) - 1 and rev.first_nonfinite is None


def test_untraced_results_survive_pickling_and_copying():
    import copy
    import pickle

    graph = parse("sqrt(x) * y").graph
    fwd = forward(graph, {"x": 0.0, "y": 2.0})
    rev = reverse(graph, fwd)
    for clone in (pickle.loads(pickle.dumps(rev)), copy.deepcopy(rev), copy.copy(rev)):
        assert clone.first_nonfinite == 0 and clone.grads == rev.grads and clone.events is None
    for clone in (pickle.loads(pickle.dumps(fwd)), copy.deepcopy(fwd)):
        assert clone.first_nonfinite is None and clone.values == fwd.values and clone.events is None


def test_an_op_declared_by_vjp_and_jvp_runs_in_both_modes():
    """A row may declare its vector-Jacobian and Jacobian-vector products instead of partials
    (as the tensor ops do): here a product written so, against the table's `mul`. Such a graph
    runs in tensor mode (numpy), with the same numbers."""
    from engine import GraphBuilder, Op

    mul = OPS["mul"]
    vjp_mul = Op(name="vjp_mul", arity=2, forward=mul.forward,
                 vjp=(lambda xp, g, out, a, b: g * b, lambda xp, g, out, a, b: g * a),
                 jvp=(lambda xp, t, out, a, b: t * b, lambda xp, t, out, a, b: a * t),
                 label="×", latex=r"\times", sympy=mul.sympy, torch=mul.torch,
                 description="product, by its VJP and JVP", domain=mul.domain)
    assert vjp_mul.constants == () and OPS["add"].constants == (1.0, 1.0)
    graphs = []
    for op in (mul, vjp_mul):
        b = GraphBuilder()
        x, y = b.var("x"), b.var("y")
        graphs.append(b.build(b.op("sin", b.op(op, b.op(op, x, x), y))))
    point = {"x": 1.5, "y": -0.25}
    results = []
    for graph in graphs:
        fwd = forward(graph, point, trace=True)
        rev = reverse(graph, fwd, trace=True)
        tan = tangent(graph, fwd, "x", trace=True)
        results.append([[float(v) for v in numbers] for numbers in (
            fwd.values, rev.grads, [c for c in rev.edge_contribution if c is not None],
            tan.tangents, [t for t in tan.edge_term if t is not None])])
    assert results[0] == results[1]
    assert rev.edge_local[:4] == [None] * 4  # a VJP's edge: no local number, its product instead
    with pytest.raises(ValueError, match="give partials, or a vjp and a jvp"):
        Op(name="bad", arity=1, forward=mul.forward, vjp=(mul.forward,), label="?", latex="?",
           sympy=mul.sympy, torch="{0}", description="?", domain=(((0.0, 1.0),),))
