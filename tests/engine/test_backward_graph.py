"""The backward pass as a graph of its own (engine.backward_graph, issue 15 item 4): its value
is the gradient, its gradient the second derivatives (checked against forward over reverse,
engine.second, and SymPy's on the lecture), every node traced to the edge it came from."""

from __future__ import annotations

import math

import pytest
from conftest import close
from hypothesis import assume, given, settings
from test_properties import SETTINGS, build, comparable, points, trees

from engine import UNLIMITED, ExpressionError, LimitExceeded, Limits, compile, evaluate, grad
from engine.backward_graph import backward_graph
from engine.names import display_names
from engine.printer import to_text
from engine.second import hessian

LECTURE = "(x^2 + 2x) * ln(y)"


def test_the_lectures_derivative_graph():
    d = backward_graph(compile(LECTURE), "x")
    value, second = grad(d.graph, x=1.0, y=2.0)
    assert round(value, 7) == 2.7725887  # ∂f/∂x = (2x + 2) ln y
    assert round(second["x"], 7) == 1.3862944 and second["x"] == pytest.approx(2 * math.log(2))  # 2 ln y
    assert second["y"] == pytest.approx(2.0)  # (2x + 2)/y
    assert d.graph.names[d.graph.output] == "∂f/∂x"
    assert to_text(d.graph) == "2 * ln(y) + 2 * x^(2 - 1) * ln(y)"  # b·a^(b−1) for x^2, as a textbook


def test_every_node_says_where_it_came_from():
    g = compile("a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d")
    d = backward_graph(g, "x")
    roles = {role for role, _ in d.origin}
    # every local derivative here is a forward node (d(c·d)/dc is d) or the constant 1
    assert roles == {"forward", "product", "sum"}
    lecture = backward_graph(compile(LECTURE), "x")
    assert {role for role, _ in lecture.origin} == {"forward", "local", "product", "sum", "seed"}
    edges = {e.id for e in g.edges}
    for node, (role, where) in enumerate(d.origin):
        assert where in (edges if role in ("local", "product", "sum") else range(len(g))), (node, role)
    forward = [i for i, (role, _) in enumerate(d.origin) if role == "forward"]
    assert {display_names(d.graph)[i] for i in forward} >= {"x", "d", "2"}
    # x*x sends b·grad and a·grad along its two edges: both sums land in x's gradient
    sums = [where for role, where in d.origin if role == "sum"]
    assert sums and all(g.edges[e].source == g.var_nodes[0] for e in sums)


def test_exp_reuses_the_forward_node():
    d = backward_graph(compile("exp(x) * y"), "x")
    assert sum(op is not None and op.name == "exp" for op in d.graph.ops) == 1
    assert grad(d.graph, x=0.5, y=3.0)[0] == pytest.approx(3 * math.exp(0.5))


@settings(SETTINGS, max_examples=200)
@given(tree=trees(max_ops=8), point=points)
def test_value_is_the_gradient_and_its_gradient_the_hessian(tree, point):
    graph = compile(to_text(build(tree)), UNLIMITED)
    ev = evaluate(graph, point)
    assume(graph.variables and comparable(graph, ev))
    h = hessian(graph, point)
    nudged = hessian(graph, {k: v * (1 + 1e-11) + 1e-13 for k, v in point.items()})
    for i, v in enumerate(graph.variables):
        d = backward_graph(graph, v, UNLIMITED)
        dev = evaluate(d.graph, {k: point[k] for k in d.graph.variables})
        g = ev.gradient[v]
        assume(math.isfinite(dev.value))
        # The textbook forms (1 − tanh², σ(1 − σ)) round differently from the rules: 1e-9 apart,
        # relative to the largest term summed into the gradient (paths may cancel to 0).
        scale = max((abs(c) for c in ev.reverse.edge_contribution if c is not None and math.isfinite(c)),
                    default=0.0)
        assert close(dev.value, g, 1e-9, scale), (to_text(graph), v, dev.value, g)
        for j, w in enumerate(graph.variables):
            got = dev.gradient.get(w, 0.0)
            if not (math.isfinite(got) and close(nudged.matrix[i][j], h.matrix[i][j], 1e-7, 1e-7)):
                continue
            assert close(got, h.matrix[i][j], 1e-8, 1e-10), (to_text(graph), v, w, got, h.matrix[i][j])


def test_errors():
    with pytest.raises(ExpressionError) as err:
        backward_graph(compile("x*y"), "z")
    assert err.value.code == "unknown_variable" and err.value.field == "variable"
    with pytest.raises(ExpressionError) as err:
        backward_graph(compile("sum(X @ w)"), "w")
    assert err.value.code == "tensors_unsupported"
    chain = "; ".join(["a0 = sin(x)"] + [f"a{i} = sin(a{i - 1})" for i in range(1, 40)])
    with pytest.raises(LimitExceeded) as err:
        backward_graph(compile(chain), "x", Limits(max_nodes=100))
    assert err.value.limit == "max_nodes"


def test_derivative_graph_api(server):
    import httpx
    body = {"expression": LECTURE, "values": {"x": 1, "y": 2}, "derivative_of": "x"}
    r = httpx.post(f"{server}/api/v1/graph", json=body, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert round(out["value"], 7) == 2.7725887 and round(out["gradient"]["x"], 7) == 1.3862944
    assert out["gradient"]["y"] == pytest.approx(2.0) and out["expression"] == LECTURE
    origin = out["derivative_of"]["origin"]
    assert out["derivative_of"]["variable"] == "x" and len(origin) == len(out["nodes"])
    assert out["layout"]["status"] == "ok" and len(out["layout"]["nodes"]) == len(out["nodes"])
    f = httpx.post(f"{server}/api/v1/graph", json={"expression": LECTURE, "values": {"x": 1, "y": 2}},
                   timeout=60).json()
    assert "derivative_of" not in f
    f_edges = {e["id"]: e for e in f["edges"]}
    locals_ = [o for o in origin if o["role"] == "local"]
    assert locals_ and all(o["edge"] in f_edges and o["node"] is None for o in locals_)
    by_id = {n["id"]: n for n in out["nodes"]}
    assert by_id[out["output"]]["name"] == "∂f/∂x"
    r = httpx.post(f"{server}/api/v1/graph", json={**body, "derivative_of": "q"}, timeout=60)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "derivative_of"
    r = httpx.post(f"{server}/api/v1/graph", json={**body, "expression": "x*"}, timeout=60)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "expression"
