"""The small-graph passes (under SMALL_EDGES edges, no plan) make their trace, and work out
first_nonfinite, only when read: what is read must be what a straightforward pass computes
eagerly, bit for bit, and what the planned (big-graph) passes give."""

from __future__ import annotations

import math
import random

import pytest

from engine import OPS, evaluate, forward, parse, passes, reverse
from engine.ops import call_rule
from engine.passes import Events, Forward, Reverse

POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-300, 1e300, -800.0, math.inf, -math.inf, math.nan]
INFIX = {"add": "({}+{})", "sub": "({}-{})", "mul": "({}*{})", "div": "({}/{})", "pow": "({}^{})",
         "neg": "(-{})"}


def _tree(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "z", "2", "0.5", "x", "y"])
    name = rng.choice(sorted(OPS))
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


def test_small_passes_read_as_a_plain_eager_pass_computes_them():
    checked = 0
    for text, graph, point in _cases():
        assert graph.n_edges < passes.SMALL_EDGES
        fwd = forward(graph, point, trace=True)
        got = _read(fwd, reverse(graph, fwd, trace=True))
        assert repr(got) == repr(_reference(graph, point)), (text, point)
        checked += 1
    assert checked > 400


def test_small_and_planned_passes_agree_bit_for_bit(monkeypatch):
    cases = list(_cases())
    small = []
    for _, graph, point in cases:
        fwd = forward(graph, point, trace=True)
        small.append(repr(_read(fwd, reverse(graph, fwd, trace=True))))
    monkeypatch.setattr(passes, "SMALL_EDGES", 0)  # every graph through the plan
    for (text, graph, point), expected in zip(cases, small):
        fwd = forward(graph, point, trace=True)
        assert repr(_read(fwd, reverse(graph, fwd, trace=True))) == expected, (text, point)
        assert graph._plan is not None


def test_reading_order_does_not_matter():
    """Events first, or locals first, or first_nonfinite alone: the same numbers."""
    graph = parse("(x^2 + 2x) * ln(y) + x*x").graph
    point = {"x": 1.5, "y": 0.0}  # ln 0: a non-finite value and gradient
    expected = _reference(graph, point)
    for order in (["events", "edge_local", "edge_contribution"],
                  ["edge_contribution", "events", "edge_local"], ["reverse_first"]):
        fwd = forward(graph, point, trace=True)
        rev = reverse(graph, fwd, trace=True)
        for name in order:
            got = _read(fwd, rev)[name]
            assert repr(got) == repr(expected[name]), name
        assert repr(_read(fwd, rev)) == repr(expected)
    assert expected["forward_first"] is not None and expected["reverse_first"] is not None


def test_untraced_passes_record_nothing_and_still_find_nonfinite():
    graph = parse("sqrt(x) + ln(y)").graph
    fwd = forward(graph, {"x": 0.0, "y": 1.0})
    rev = reverse(graph, fwd)
    assert fwd.events is None
    assert rev.edge_local is None and rev.edge_contribution is None and rev.events is None
    assert fwd.first_nonfinite is None
    assert rev.first_nonfinite == 0 and rev.grads[0] == math.inf


def test_events_are_an_events_sequence_and_are_made_once():
    ev = evaluate("(x^2 + 2x) * ln(y)", {"x": 1.0, "y": 2.0})
    for events in (ev.forward.events, ev.reverse.events):
        assert isinstance(events, Events)
        assert events is not None and len(events) > 0
    assert ev.forward.events is ev.forward.events and ev.reverse.events is ev.reverse.events
    assert ev.reverse.edge_local is ev.reverse.edge_local


def test_results_compare_and_print_as_the_dataclasses_did():
    graph = parse("x*y + sin(x)").graph
    a = evaluate(graph, {"x": 1.0, "y": 2.0})
    b = evaluate(graph, {"x": 1.0, "y": 2.0})
    assert a.forward == b.forward and a.reverse == b.reverse
    assert a.reverse != evaluate(graph, {"x": 2.0, "y": 2.0}).reverse
    assert repr(a.reverse).startswith("Reverse(grads=[") and "edge_local=[" in repr(a.reverse)
    assert repr(a.forward).startswith("Forward(values=[")
    # Built by hand, they hold what they are given.
    fwd = Forward([1.0, math.nan], 1, [("evaluate", 0, 1.0)])
    assert fwd.first_nonfinite == 1 and fwd.events == [("evaluate", 0, 1.0)]
    rev = Reverse([1.0, 2.0], None)
    assert rev.first_nonfinite is None and rev.events is None and rev.edge_local is None
    rev.edge_local = [None]
    assert rev.edge_local == [None]
    with pytest.raises(TypeError):
        hash(rev)


def test_a_missing_or_wrong_value_is_reported_as_before():
    graph = parse("x*y + z").graph
    with pytest.raises(Exception, match="no value given for the variable 'y'"):
        forward(graph, {"x": 1.0, "z": 2.0})
    with pytest.raises(Exception, match="the value of 'x' must be a number"):
        forward(graph, {"x": True, "y": 1.0, "z": 2.0})
    assert forward(graph, {"x": 2, "y": 3, "z": 1}).values[graph.output] == 7.0


def test_a_graph_built_without_pruning(monkeypatch):
    """Nodes past the output (one of them inf) get no gradient and no edge in the trace."""
    from engine import GraphBuilder

    b = GraphBuilder()
    x, y = b.var("x"), b.var("y")
    out = b.op("add", b.op("mul", x, x), b.op("sin", y))
    b.op("ln", b.op("sub", x, x))  # ln 0 = -inf, after the output and unused by it
    graph = b.build(out, prune=False)
    assert graph.output < len(graph) - 1
    point = {"x": 1.5, "y": -0.5}
    expected = repr(_reference(graph, point))
    for small_edges in (passes.SMALL_EDGES, 0):
        monkeypatch.setattr(passes, "SMALL_EDGES", small_edges)
        fwd = forward(graph, point, trace=True)
        rev = reverse(graph, fwd, trace=True)
        assert repr(_read(fwd, rev)) == expected
        assert fwd.first_nonfinite == len(graph) - 1 and rev.first_nonfinite is None


def test_evaluate_reads_as_the_passes_give_whatever_is_read_first():
    """evaluate() on a small graph keeps the numbers and makes `forward` and `reverse` when
    read: value and gradient read first, or the passes first, give the same."""
    for text, graph, point in list(_cases())[::7]:
        fwd = forward(graph, point, trace=True)
        expected = _read(fwd, reverse(graph, fwd, trace=True))
        value = fwd.values[graph.output]
        grads = {v: expected["grads"][i] for v, i in zip(graph.variables, graph.var_nodes)}
        first = evaluate(graph, point)
        assert repr((first.value, first.gradient)) == repr((value, grads)), text
        assert repr(_read(first.forward, first.reverse)) == repr(expected), text
        second = evaluate(graph, point)
        assert repr(_read(second.forward, second.reverse)) == repr(expected), text
        assert repr((second.value, second.gradient)) == repr((value, grads)), text
        plain = evaluate(graph, point, trace=False)
        assert plain.forward.events is None and plain.reverse.events is None
        assert repr(plain.reverse.grads) == repr(expected["grads"])


def test_evaluation_fields_can_be_set_and_compared():
    graph = parse("x*y").graph
    a, b = evaluate(graph, {"x": 2.0, "y": 3.0}), evaluate(graph, {"x": 2.0, "y": 3.0})
    assert a == b and repr(a).startswith("Evaluation(graph=")
    other = evaluate(graph, {"x": 5.0, "y": 3.0})
    a.forward = other.forward  # the reverse pass made first keeps its own numbers
    assert a.value == 15.0 and a.gradient == {"x": 3.0, "y": 2.0}
    b.reverse = other.reverse
    assert b.value == 6.0 and b.gradient == {"x": 3.0, "y": 5.0}
    assert evaluate(graph, {"x": 2.0, "y": 3.0}, tangent_of="x").tangent.tangents[graph.output] == 3.0


def test_untraced_results_survive_pickling_and_copying():
    """What is still to be worked out stays so through a copy (its marker is one object)."""
    import copy
    import pickle

    graph = parse("sqrt(x) * y").graph
    fwd = forward(graph, {"x": 0.0, "y": 2.0})
    rev = reverse(graph, fwd)
    for clone in (pickle.loads(pickle.dumps(rev)), copy.deepcopy(rev), copy.copy(rev)):
        assert clone.first_nonfinite == 0 and clone.grads == rev.grads and clone.events is None
    for clone in (pickle.loads(pickle.dumps(fwd)), copy.deepcopy(fwd)):
        assert clone.first_nonfinite is None and clone.values == fwd.values and clone.events is None
