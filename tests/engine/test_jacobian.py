"""Several outputs and the Jacobian both ways (engine.jacobian, issue 15 items 1-2, any named node
as an output): equal to SymPy's on generated programs, forward and reverse bit-identical where
their arithmetic is the same, and the passes and local derivatives each way costs."""

from __future__ import annotations

import importlib.util
import math

import pytest
import sympy as sp
from conftest import close, sympy_at
from hypothesis import assume, event, given, settings
from test_properties import SETTINGS, build, comparable, points, trees

from engine import UNLIMITED, ExpressionError, LimitExceeded, compile, evaluate
from engine.jacobian import MAX_JACOBIAN_SIDE, jacobian_both_ways
from engine.names import display_names
from engine.printer import to_text
from engine.symbolic import to_sympy

POINT = {"x": 2.0, "y": 3.0}


def test_a_three_by_two_jacobian_both_ways():
    g = compile("a = x*y; b = x + y; c = sin(x); f = a*b*c")
    j = jacobian_both_ways(g, POINT, ["a", "b", "c"])
    expected = [[3.0, 2.0], [1.0, 1.0], [math.cos(2.0), 0.0]]
    assert j.forward.matrix == expected and j.reverse.matrix == expected  # one local each: same bits
    assert (j.forward.passes, j.reverse.passes) == (2, 3)  # a column per input, a row per output
    assert j.reverse.locals_per_pass == [2, 2, 1]  # a row needs only its output's own edges
    assert j.forward.locals_per_pass == [3, 2]  # x feeds a, b, c; y feeds a, b (f is past the outputs)


def test_one_output_reverse_wins_one_input_forward_wins():
    wide = compile("f = " + " + ".join(f"sin(x{i})*x{i + 1}" for i in range(8)))
    point = {f"x{i}": 0.1 * i for i in range(9)}
    j = jacobian_both_ways(wide, point)
    assert j.reverse.passes == 1 and j.forward.passes == 9 and j.reverse.locals < j.forward.locals
    tall = compile("; ".join(f"o{i} = sin(x)^{i + 1}" for i in range(8)) + "; f = "
                   + " + ".join(f"o{i}" for i in range(8)))
    j = jacobian_both_ways(tall, {"x": 0.5}, [f"o{i}" for i in range(8)])
    assert j.forward.passes == 1 and j.reverse.passes == 8 and j.forward.locals < j.reverse.locals
    for i in range(8):
        assert j.forward.matrix[i][0] == pytest.approx((i + 1) * math.sin(0.5) ** i * math.cos(0.5))


@settings(SETTINGS, max_examples=150)
@given(first=trees(max_ops=6), second=trees(max_ops=6), point=points)
def test_jacobian_equals_sympy(first, second, point):
    text = f"o1 = {to_text(build(first))}; o2 = {to_text(build(second))}; f = o1 * o2"
    try:
        graph = compile(text, UNLIMITED)
    except ExpressionError:  # a name of no node (o1 pruned as a constant), or such: not this test
        assume(False)
    assume(graph.variables and "o1" in graph.names and "o2" in graph.names)
    ev = evaluate(graph, point)
    assume(comparable(graph, ev))
    j = jacobian_both_ways(graph, point, ["o1", "o2", "f"])
    for i, node in enumerate(j.output_nodes):
        expr = to_sympy(graph, node)
        for k, v in enumerate(j.inputs):
            fw, rv = j.forward.matrix[i][k], j.reverse.matrix[i][k]
            assume(math.isfinite(fw) and math.isfinite(rv))
            exact = sympy_at(sp.diff(expr, sp.Symbol(v, real=True)), point)
            scale = abs(ev.gradient[v]) + 1.0
            assert close(fw, rv, 1e-12, 1e-12 * scale), (text, i, v, fw, rv)
            if exact is None:
                event("SymPy: not finite")
                continue
            if not close(fw, exact, 1e-9, 1e-9):
                # only where float64 itself is unsure: the two ways disagree in the same digits
                assert not close(fw, rv, 1e-14, 0.0) or abs(exact) < 1e-6, (text, i, v, fw, exact)


def test_errors_name_the_field():
    g = compile("a = x*y; f = a + 1")
    with pytest.raises(ExpressionError) as err:
        jacobian_both_ways(g, POINT, ["a", "zz"])
    assert err.value.code == "unknown_node" and err.value.field == "outputs" and "a" in err.value.message
    with pytest.raises(ExpressionError) as err:
        jacobian_both_ways(g, POINT, ["a"], ["q"])
    assert err.value.code == "unknown_variable" and err.value.field == "inputs"
    with pytest.raises(LimitExceeded) as err:
        jacobian_both_ways(g, POINT, ["a"] * (MAX_JACOBIAN_SIDE + 1))
    assert err.value.field == "outputs"
    with pytest.raises(ExpressionError) as err:
        jacobian_both_ways(compile("sum(X @ w)"), {"X": [[1.0]], "w": [1.0]})
    assert err.value.code == "tensors_unsupported"


def test_jacobian_api(server):
    import httpx
    body = {"expression": "a = x*y; b = x + y; c = sin(x); f = a*b*c", "values": POINT,
            "outputs": ["a", "b", "c"]}
    r = httpx.post(f"{server}/api/v1/jacobian", json=body, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["forward"]["matrix"] == out["reverse"]["matrix"]
    assert out["forward"]["matrix"][2] == [math.cos(2.0), 0.0]
    assert out["forward"]["passes"] == 2 and out["reverse"]["passes"] == 3
    assert out["output_nodes"] == ["n2", "n3", "n4"] and out["cheaper"] == "equal"  # 5 locals each
    assert "return (a, b, c)" in out["pytorch"] and "strategy=mode" in out["pytorch"]
    r = httpx.post(f"{server}/api/v1/jacobian", json={**body, "outputs": ["nope"]}, timeout=60)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "outputs"


def test_any_named_node_is_a_differentiation_target():
    text = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"
    ev = evaluate(text, {"x": 1.0, "y": 2.0}, target="c")
    assert ev.value == 3.0 and ev.gradient == {"x": 4.0, "y": 0.0}  # ∂c/∂x = 2x + 2
    names = {n["name"]: n for n in ev.nodes()}
    assert names["d"]["grad"] is None and names["f"]["grad"] is None  # c depends on neither
    assert names["a"]["grad"] == 1.0 and names["x"]["grad"] == 4.0
    seeds = [e for e in ev.trace()["backward"] if e["type"] == "seed"]
    assert seeds == [{"type": "seed", "node": f"n{ev.output}", "grad": 1.0}]
    assert evaluate(text, {"x": 1.0, "y": 2.0}, target="f").gradient == evaluate(
        text, {"x": 1.0, "y": 2.0}).gradient
    with pytest.raises(ExpressionError) as err:
        evaluate(text, {"x": 1.0, "y": 2.0}, target="q")
    assert err.value.code == "unknown_node" and err.value.field == "target"


def test_target_in_the_api(server):
    import httpx
    body = {"expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d", "values": {"x": 1, "y": 2},
            "target": "c", "layout": False}
    out = httpx.post(f"{server}/api/v1/graph", json=body, timeout=60).json()
    assert out["value"] == 3.0 and out["gradient"] == {"x": 4.0, "y": 0.0}
    assert out["target"] != out["output"] and out["target"] in {n["id"] for n in out["nodes"]}
    r = httpx.post(f"{server}/api/v1/graph", json={**body, "target": "zz"}, timeout=60)
    assert r.status_code == 422 and r.json()["detail"]["field"] == "target"


def test_parse_names_the_outputs_a_target_may_be(server):
    """/parse lists the outputs by their display names (the page drops a chosen target an edit
    removed before asking /graph), and each is a target /graph accepts, giving its gradient."""
    import httpx

    def graph(text: str, name: str) -> dict:
        body = {"expression": text, "values": {"x": 1, "y": 2}, "target": name, "layout": False}
        return httpx.post(f"{server}/api/v1/graph", json=body, timeout=60).json()

    three = "x*y, x + y, sin(x)"
    cases = [(three, ["f1", "f2", "f3"]), ("a = x*y; b = x + y; a, b, sin(x)", ["a", "b", "f3"]),
             ("x*y", ["f"]), ("g = x*y", ["g"])]
    for text, outputs in cases:
        parsed = httpx.post(f"{server}/api/v1/parse", json={"expression": text}, timeout=60).json()
        assert parsed["outputs"] == outputs, text
        for name in outputs:
            out = graph(text, name)
            shown = {n["id"]: n["display"] for n in out["nodes"]}
            assert shown[out.get("target") or out["output"]] == name
    grads = {name: graph(three, name)["gradient"] for name in ("f1", "f2", "f3")}
    assert grads == {"f1": {"x": 2.0, "y": 1.0}, "f2": {"x": 1.0, "y": 1.0},
                     "f3": {"x": math.cos(1.0), "y": 0.0}}


JACOBIAN_CASES = [
    ("a = x*y; b = x + y; c = sin(x); f = a*b*c", {"x": 2.0, "y": 3.0}, ["a", "b", "c", "f"], None),
    ("u = exp(x)*y; v = u / (1 + x^2); f = u + v", {"x": 0.5, "y": -1.5}, ["v", "u"], ["y"]),
]


@pytest.mark.parametrize("text, point, outputs, inputs", JACOBIAN_CASES)
def test_torch_jacobian_snippet_is_python(text, point, outputs, inputs):
    import ast

    from engine.names import output_nodes
    from engine.snippet import torch_jacobian_snippet
    g = compile(text)
    code = torch_jacobian_snippet(g, point, output_nodes(g, outputs), inputs or list(g.variables))
    ast.parse(code)
    assert "torch.autograd.functional.jacobian(f, point, strategy=mode" in code


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="PyTorch is not installed (it is optional): the snippet's syntax is "
                           "checked by the test above")
@pytest.mark.parametrize("text, point, outputs, inputs", JACOBIAN_CASES)
def test_torch_jacobian_snippet_runs_under_pytorch_with_our_numbers(text, point, outputs, inputs):
    import ast
    import subprocess
    import sys

    import numpy as np

    from engine.names import output_nodes
    from engine.snippet import torch_jacobian_snippet
    g = compile(text)
    j = jacobian_both_ways(g, point, outputs, inputs)
    code = torch_jacobian_snippet(g, point, output_nodes(g, outputs), j.inputs)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True).stdout.split("\n")
    for line in out[:2]:
        np.testing.assert_allclose(ast.literal_eval(line), j.reverse.matrix, rtol=1e-12, atol=1e-15)


def test_the_family_shows_where_the_modes_cross(server):
    import httpx

    def cost(n, m):
        r = httpx.get(f"{server}/api/v1/jacobian/family", params={"inputs": n, "outputs": m}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()
    one_out, one_in = cost(16, 1), cost(1, 16)
    assert one_out["cheaper"] == "reverse" and one_out["reverse"]["passes"] == 1
    assert one_in["cheaper"] == "forward" and one_in["forward"]["passes"] == 1
    assert one_out["forward"]["passes"] == 16 and "o1 = exp(s / 1)" in one_out["expression"]
    wins = [cost(n, 8)["cheaper"] for n in (1, 4, 16, 32)]
    assert wins[0] == "forward" and wins[-1] == "reverse"  # more inputs than outputs: reverse
    r = httpx.get(f"{server}/api/v1/jacobian/family", params={"inputs": 65}, timeout=60)
    assert r.status_code == 422


def test_the_last_statement_may_list_several_outputs():
    g = compile("a = x*y; b = x + y; a, b, sin(x)")
    assert [g.names[o] or display_names(g)[o] for o in g.outputs] == ["a", "b", "f3"]
    j = jacobian_both_ways(g, POINT)  # the listed outputs by default: a 3×2 Jacobian
    assert j.outputs == ["a", "b", "f3"]
    assert j.forward.matrix == [[3.0, 2.0], [1.0, 1.0], [math.cos(2.0), 0.0]]
    assert (j.forward.passes, j.reverse.passes) == (2, 3)
    unnamed = compile("x*y, x + y, sin(x)")
    assert display_names(unnamed)[2:] == ["f1", "f2", "f3"]
    ev = evaluate(unnamed, POINT)  # the first output, unless another is chosen
    assert ev.value == 6.0 and ev.gradient == {"x": 3.0, "y": 2.0}
    assert evaluate(unnamed, POINT, target="f3").gradient == {"x": math.cos(2.0), "y": 0.0}
    for text, where, words in [("a = x, y", 5, "takes one value"), ("(x, y)", 2, "without brackets"),
                               ("f, g = x", 5, "not assigned")]:
        with pytest.raises(ExpressionError) as err:
            compile(text)
        assert err.value.column == where and words in err.value.message, text


def test_several_outputs_in_the_api(server):
    import httpx
    body = {"expression": "x*y, x + y, sin(x)", "values": POINT, "layout": False}
    out = httpx.post(f"{server}/api/v1/graph", json=body, timeout=60).json()
    assert len(out["outputs"]) == 3 and out["target"] == out["outputs"][0] and out["value"] == 6.0
    assert [n["display"] for n in out["nodes"] if n["id"] in out["outputs"]] == ["f1", "f2", "f3"]
    j = httpx.post(f"{server}/api/v1/jacobian", json={"expression": body["expression"],
                                                      "values": POINT}, timeout=60).json()
    assert j["outputs"] == ["f1", "f2", "f3"] and j["reverse"]["matrix"][2] == [math.cos(2.0), 0.0]
