"""Composite nodes drawn as their unit functions (issue 13): the op table declares each
expansion as text in our own language (sigmoid: 1/(1 + exp(-a))), engine/expand.py inlines it,
and POST /api/v1/graph takes `expand` (node ids of the graph as parsed). The numbers agree both
ways and with SymPy; against a real server."""

from __future__ import annotations

import httpx
import pytest
import sympy as sp
from conftest import close, same_structure, sympy_at

from engine import OPS, ExpressionError, evaluate, parse
from engine.expand import composites, expand, template
from engine.xp import SCALAR

NEURON = "f = sigmoid(w0*x0 + w1*x1 + w2)"
NEURON_AT = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
EXPANDABLE = [name for name, op in OPS.items() if op.expansion]


def post(server: str, **body) -> httpx.Response:
    return httpx.post(f"{server}/api/v1/graph", json=body, timeout=60)


def test_sigmoid_and_softplus_declare_their_unit_functions():
    assert {"sigmoid", "softplus"} <= set(EXPANDABLE)
    # The logistic graph of the lecture: the expansion is the function typed out.
    assert same_structure(template("sigmoid"), parse("1/(1 + exp(-a))").graph)


@pytest.mark.parametrize("name", EXPANDABLE)
def test_each_expansion_is_its_op_on_the_test_domain(name):
    op, tpl = OPS[name], template(name)
    for lo, hi in op.domain[0]:
        for k in range(7):
            a = lo + (hi - lo) * k / 6
            typed = evaluate(tpl, {"a": a})
            # Within rounding of numbers near 1 (1 + e^a is formed, so softplus's unit functions
            # lose the relative digits of a tiny result; the op keeps them, which is its point).
            assert close(typed.value, op.forward(SCALAR, a), 1e-12, scale=1.0), (name, a)
            # and its derivative: the unit functions' chain rule is the op's partial
            out = op.forward(SCALAR, a)
            assert close(typed.gradient["a"], op.partials[0](SCALAR, out, a), 1e-12, scale=1.0), (name, a)


def test_answers_agree_both_ways_and_with_sympy(server):
    one = post(server, expression=NEURON, values=NEURON_AT).json()
    (sig,) = [n for n in one["nodes"] if n.get("composite")]
    assert sig["composite"] == {"of": sig["id"], "op": "sigmoid", "expanded": False}
    units = post(server, expression=NEURON, values=NEURON_AT, expand=[sig["id"]])
    assert units.status_code == 200, units.text
    units = units.json()
    made = [n for n in units["nodes"] if n.get("composite")]
    assert {n["composite"]["of"] for n in made} == {sig["id"]}
    assert all(n["composite"]["expanded"] for n in made)
    # negate, exp, +1, reciprocal (1 ÷ ...), the last one keeping the composite's name f
    assert [n["label"] for n in made if n["kind"] == "op"] == ["−", "exp", "+", "÷"]
    assert made[-1]["display"] == "f" and made[-1]["id"] == units["output"]
    assert len(units["nodes"]) == len(one["nodes"]) + 4  # one σ became four ops and a 1
    w = sp.symbols("w0 x0 w1 x1 w2")
    z = w[0] * w[1] + w[2] * w[3] + w[4]
    f = 1 / (1 + sp.exp(-z))
    assert close(units["value"], one["value"], 1e-15)
    assert close(one["value"], sympy_at(f, NEURON_AT), 1e-15)
    for s in w:
        expected = sympy_at(sp.diff(f, s), NEURON_AT)
        assert close(one["gradient"][s.name], expected, 1e-13), s
        assert close(units["gradient"][s.name], expected, 1e-13), s
    # The composite's input receives the same gradient either way (the final gradient into
    # the rest of the graph is the composite's).
    inner_one = next(n for n in one["nodes"] if n["id"] == sig["inputs"][0])
    inner_units = next(n for n in units["nodes"] if n["id"] == inner_one["id"])
    assert inner_units["op"] == "add" and close(inner_units["grad"], inner_one["grad"], 1e-14)
    assert units["layout"]["status"] == "ok"


def test_expanding_again_is_collapsing_and_names_and_outputs_survive():
    g = parse("s = sigmoid(x); t = softplus(s); s, t").graph
    ex = expand(g, set(composites(g)))
    assert len(ex.graph.outputs) == 2 and ex.graph.names[ex.graph.outputs[0]] == "s"
    assert {of for of, _, _ in ex.composite.values()} == set(composites(g))
    plain = evaluate(g, {"x": 0.3})
    units = evaluate(ex.graph, {"x": 0.3})
    assert close(units.value, plain.value, 1e-15) and close(units.gradient["x"], plain.gradient["x"], 1e-14)
    same = expand(g, set())
    assert len(same.graph) == len(g) and all(not e for _, _, e in same.composite.values())


def test_a_node_that_is_not_composite_is_a_422_naming_it(server):
    r = post(server, expression=NEURON, values=NEURON_AT, expand=["n2"])
    assert r.status_code == 422
    d = r.json()["detail"]
    assert (d["code"], d["field"], d["text"]) == ("not_composite", "expand", "n2")
    r = post(server, expression=NEURON, values=NEURON_AT, expand=["x0"])
    assert r.status_code == 422 and r.json()["detail"]["field"] == "expand[0]"
    with pytest.raises(ExpressionError):
        expand(parse("sin(x)").graph, {0})
