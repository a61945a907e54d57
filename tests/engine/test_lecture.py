"""Every number from the lecture (SPEC: 'Numbers the product must reproduce exactly')."""

import math

import pytest

from engine import evaluate, grad

LECTURE = "(x^2 + 2x) * ln(y)"
NAMED = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"


def test_single_variable_example():
    value, g = grad("(x^2 + 2x) * ln(x)", x=1)
    assert value == 0.0
    assert g == {"x": pytest.approx(3.0, rel=1e-15)}


@pytest.mark.parametrize("text", [LECTURE, NAMED, "(x**2 + 2*x)*log(y)", "(x² + 2x)·ln(y)"])
def test_two_variable_example(text):
    value, g = grad(text, x=1, y=2)
    assert round(value, 7) == 2.0794415
    assert round(g["x"], 7) == 2.7725887
    assert g["y"] == pytest.approx(1.5, rel=1e-15)
    assert g["x"] == pytest.approx(4 * math.log(2), rel=1e-15)


def test_named_intermediates_have_two_edges_from_x_into_a():
    ev = evaluate(NAMED, {"x": 1, "y": 2})
    nodes = {n["name"]: n for n in ev.nodes() if n["name"]}
    x, a, b = nodes["x"]["id"], nodes["a"]["id"], nodes["b"]["id"]
    into_a = [e for e in ev.edges() if e["target"] == a]
    assert [(e["source"], e["index"], e["local"]) for e in into_a] == [(x, 0, 1.0), (x, 1, 1.0)]
    [x_to_b] = [e for e in ev.edges() if e["target"] == b and e["source"] == x]
    assert x_to_b["local"] == 2.0
    # The lecture's sum: 0.6931472*1*1 + 0.6931472*1*1 + 0.6931472*1*2 = 2.7725887
    from_x = [e["contribution"] for e in ev.edges() if e["source"] == x]
    assert [round(c, 7) for c in from_x] == [0.6931472, 0.6931472, 1.3862944]
    assert sum(from_x) == pytest.approx(nodes["x"]["grad"], rel=1e-15)


def test_power_form_has_one_edge_with_local_2x():
    ev = evaluate(LECTURE, {"x": 1, "y": 2})
    nodes = ev.nodes()
    [square] = [n for n in nodes if n["op"] == "pow"]
    x = next(n["id"] for n in nodes if n["name"] == "x")
    into = [e for e in ev.edges() if e["target"] == square["id"] and e["source"] == x]
    assert len(into) == 1 and into[0]["local"] == 2.0


def test_forward_backward_table():
    rows = {r["name"]: r for r in evaluate(NAMED, {"x": 1, "y": 2}).table()}
    assert [rows[k]["value"] for k in "abc"] == [1.0, 2.0, 3.0]
    assert round(rows["d"]["value"], 7) == 0.6931472
    # The lecture prints 2.0794416 (3 × 0.6931472 rounded first); float64 rounds to ...415.
    assert round(rows["f"]["value"], 6) == 2.079442
    f_locals = {loc["source_name"]: loc["local"] for loc in rows["f"]["locals"]}
    assert round(f_locals["c"], 7) == 0.6931472  # df/dc = d
    assert f_locals["d"] == 3.0  # df/dd = c
    assert rows["d"]["locals"][0]["local"] == 0.5  # dd/dy = 1/y
    assert rows["d"]["grad"] == 3.0 and rows["y"]["grad"] == 1.5  # df/dy = 3 × 1/2


def test_z_equals_x_times_y():
    assert grad("z = x*y", x=3, y=4) == (12.0, {"x": 4.0, "y": 3.0})


def test_cs231n_neuron():
    value, g = grad("1/(1+exp(-(w0*x0 + w1*x1 + w2)))", w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
    assert round(value, 4) == 0.7311
    expected = {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}
    assert {k: round(v, 4) for k, v in g.items()} == expected
    assert grad("sigmoid(w0*x0 + w1*x1 + w2)", w0=2, x0=-1, w1=-3, x1=-2, w2=-3)[1] == pytest.approx(g)


def test_gradient_for_chosen_variables_with_repeats():
    _, g = grad(LECTURE, x=1, y=2, wrt=["y", "x", "y"])
    assert g == [1.5, pytest.approx(2.7725887, abs=1e-7), 1.5]


def test_forward_mode_matches_reverse_on_lecture():
    ev = evaluate(LECTURE, {"x": 1, "y": 2}, tangent_of="x")
    assert ev.tangent.tangents[ev.graph.output] == pytest.approx(ev.gradient["x"], rel=1e-15)
    ev = evaluate(LECTURE, {"x": 1, "y": 2}, tangent_of={"x": 1.0, "y": 2.0})
    assert ev.tangent.tangents[ev.graph.output] == pytest.approx(2.7725887 + 3.0, abs=1e-7)
