"""The four-ways endpoints in-process: /symbolic, /numeric, /compare, /paths, /check, /snippet,
checked against the lecture's numbers and against their response models."""

from __future__ import annotations

import ast
import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.method_schemas import (
    CheckResponse,
    CompareResponse,
    NumericResponse,
    PathsResponse,
    SnippetResponse,
    SymbolicResponse,
)
from app.settings import Settings

LECTURE = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}
NAMED = {"expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d", "values": {"x": 1, "y": 2}}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(layout_warm_up=False, symbolic_budget_s=5.0))) as c:
        yield c


def post(client, path: str, model=None, status: int = 200, **body):
    r = client.post(f"/api/v1/{path}", json=body)
    assert r.status_code == status, r.text
    data = json.loads(r.text)
    if model is not None:
        model.model_validate(data)
    return data


def test_symbolic(client):
    d = post(client, "symbolic", SymbolicResponse, **LECTURE)
    assert d["status"] == "ok", d["notes"]
    assert d["function"]["text"] == "(x**2 + 2*x)*log(y)"
    assert d["derivatives"]["x"]["text"] == "(2*x + 2)*log(y)"
    assert round(d["derivatives"]["x"]["value"], 7) == 2.7725887
    assert d["derivatives"]["y"]["value"] == 1.5
    assert d["derivatives"]["y"]["simplified"]["text"] == "x*(x + 2)/y"
    assert d["derivatives"]["y"]["mathml"].startswith("<math")


def test_symbolic_exact_power_is_skipped(client):
    d = post(client, "symbolic", SymbolicResponse, expression="9^9^9 + x", values={"x": 1})
    assert d["status"] == "skipped" and "exact" in d["notes"][0]
    assert d["reason"] == "exact_arithmetic"


def test_symbolic_budget_is_capped(client):
    slow = "(sin(x)+cos(y))^12 * (tanh(x*y) + exp(x-y))^9 / (1 + x^2 + y^2)^7"
    d = post(client, "symbolic", SymbolicResponse, expression=slow, values={"x": 0.3, "y": 0.7},
             budget_s=0.8)
    assert d["status"] == "partial" and d["reason"] == "timeout" and d["seconds"] < 1.5


def test_numeric_and_sweep(client):
    d = post(client, "numeric", NumericResponse, **LECTURE, sweep=True)
    assert round(d["gradient"]["x"], 4) == 2.7726 and round(d["gradient"]["y"], 4) == 1.5
    assert d["errors"]["y"] == pytest.approx(0.75e-6 / 24, rel=0.01)
    curves = {(c["variable"], c["method"]): c for c in d["sweep"]}
    assert len(curves) == 6 and len(curves[("y", "central")]["steps"]) == 13
    assert curves[("y", "forward")]["slope"] == pytest.approx(1, abs=0.15)
    assert curves[("y", "central")]["slope"] == pytest.approx(2, abs=0.2)
    assert curves[("y", "central")]["order"] == 2
    f = post(client, "numeric", NumericResponse, **LECTURE, method="forward", h=0.5)
    assert f["h"] == 0.5 and f["gradient"]["y"] == pytest.approx((3 * 0.22314355131420976) / 0.5)
    custom = post(client, "numeric", NumericResponse, **LECTURE, sweep=True,
                  steps={"largest": 0.5, "smallest": 1e-4, "count": 5})
    assert custom["sweep"][0]["steps"][0] == 0.5 and len(custom["sweep"][0]["steps"]) == 5


def test_compare_table(client):
    d = post(client, "compare", CompareResponse, **LECTURE)
    rows = {r["variable"]: r for r in d["rows"]}
    for v, exact in (("x", 2.7726), ("y", 1.5)):
        for col in ("symbolic", "numeric", "forward_mode", "reverse_mode"):
            assert round(rows[v][col], 4) == exact
        assert rows[v]["reverse_mode_error"] == 0.0
    assert d["cost"]["forward_passes"] == 2 and d["cost"]["reverse_passes"] == 1
    assert d["symbolic_status"] == "ok" and d["symbolic_reason"] is None
    assert d["symbolic"]["x"]["text"] == "(2*x + 2)*log(y)" and d["symbolic"]["y"]["value"] == 1.5


def test_paths(client):
    d = post(client, "paths", PathsResponse, **NAMED, variable="x")
    assert d["count"] == "3" and not d["truncated"]
    assert sorted(round(p["product"], 7) for p in d["paths"]) == [0.6931472, 0.6931472, 1.3862944]
    assert round(d["listed_sum"], 7) == 2.7725887 == round(d["gradient"], 7)
    assert d["paths"][0]["nodes"][0] == "n0" and d["paths"][0]["edges"][0].startswith("e")
    deep = "t1 = x*x; t2 = t1*t1; t3 = t2*t2; t4 = t3*t3; t5 = t4*t4; t6 = t5*t5; f = t6*t6"
    cut = post(client, "paths", PathsResponse, expression=deep, values={"x": 1.01}, variable="x",
               limit=10)
    assert cut["count"] == str(2**7) and cut["truncated"] and len(cut["paths"]) == 10


def test_paths_of_several_outputs_end_at_the_one_differentiated(client):
    """a, b, sin(x) differentiates its first output (as POST /graph does): paths from x end
    there, none wanders into another output (it answered 500 on the edges no pass visited)."""
    d = post(client, "paths", PathsResponse, expression="x*y, x + y, sin(x)", values={"x": 1, "y": 2},
             variable="x")
    assert d["count"] == "1" and d["paths"] == [
        {"edges": ["e0"], "nodes": ["n0", "n2"], "locals": [2.0], "product": 2.0}]
    assert d["gradient"] == 2.0 == d["listed_sum"]  # ∂(xy)/∂x = y
    y = post(client, "paths", PathsResponse, expression="a = x*y; b = x + y; c = sin(x); a, b, c",
             values={"x": 1, "y": 2}, variable="y")
    assert y["count"] == "1" and y["gradient"] == 1.0  # ∂a/∂y = x


def test_check_my_derivative(client):
    base = {"expression": "(x^2+2x)*ln(x)", "values": {"x": 1}, "variable": "x"}
    ok = post(client, "check", CheckResponse, **base, derivative="2*(x+1)*ln(x) + x + 2")
    assert ok["agrees"] is True and ok["symbolic_equal"] is True
    bad = post(client, "check", CheckResponse, **base, derivative="2*x*ln(x)")
    assert bad["agrees"] is False and bad["points"][0]["expected"] == 3.0
    err = post(client, "check", None, 422, **base, derivative="2*(x+")
    assert err["detail"]["field"] == "derivative" and err["detail"]["column"] == 5


def test_snippet(client):
    d = post(client, "snippet", SnippetResponse, **NAMED, wrt=["x", "x"])
    ast.parse(d["code"])
    assert "torch.autograd.grad(f, (x, x))" in d["code"]
    err = post(client, "snippet", None, 422, **NAMED, wrt=["q"])
    assert err["detail"]["field"] == "wrt"


@pytest.mark.parametrize("path,extra,field", [
    ("paths", {"variable": "q"}, "variable"),
    ("numeric", {"h": 0}, "h"),
    ("numeric", {"method": "sideways"}, "method"),
    ("check", {"variable": "x"}, "derivative"),
    ("symbolic", {"values": {"x": 1}}, "values.y"),
    ("compare", {"expression": "x +"}, "expression"),
])
def test_errors_name_the_field(client, path, extra, field):
    d = post(client, path, None, 422, **{**LECTURE, **extra})
    assert d["detail"]["field"] == field, d


def test_parse_lists_variables_without_values(client):
    d = post(client, "parse", None, expression="a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d")
    assert d.pop("notices") == [] and d.pop("mathml").startswith("<math")  # tests/api/test_reading.py
    assert d == {"variables": ["x", "y"], "names": ["a", "b", "c", "d", "f"], "outputs": ["f"],
                 "nodes": 8, "edges": 9, "warnings": []}
    err = post(client, "parse", None, 422, expression="a = x*")
    assert err["detail"]["column"] == 6 and err["detail"]["field"] == "expression"


def test_functions_carry_their_local_derivatives(client):
    r = client.get("/api/v1/functions")
    fs = {f["name"]: f for f in r.json()["functions"]}
    assert fs["mul"]["partials"] == ["b", "a"]
    assert fs["ln"]["partials"] == ["1/a"]
    assert fs["div"]["partials"] == ["1/b", "-a/b^2"]
    assert fs["exp"]["partials"] == ["exp(a)"]
    # as a textbook writes them (issue 13, defect 5), not SymPy's x^2·2/x or exp(−a)/(1 + exp(−a))²
    assert fs["pow"]["partials"] == ["b*a^(b - 1)", "a^b*ln(a)"]
    assert fs["sigmoid"]["partials"] == ["out*(1 - out)"]
    assert fs["pow"]["partials_latex"] == ["a^{b - 1} b", r"a^{b} \log{\left(a \right)}"]
    assert fs["matmul"]["partials"] == ["vjp: g bᵀ", "vjp: aᵀ g"]
    assert all(len(f["partials"]) == f["arity"] == len(f["partials_latex"]) for f in fs.values())


@pytest.mark.parametrize("path, extra", [("compare", {}), ("paths", {"variable": "w"}),
                                         ("numeric", {}), ("check", {"variable": "w", "derivative": "x"})])
def test_methods_of_numbers_refuse_array_ops_clearly(client, path, extra):
    r = client.post(f"/api/v1/{path}", json={"expression": "sum(w * x)", "values": {"w": 2, "x": 3},
                                             **extra})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["code"] == "tensors_unsupported" and detail["field"] == "expression"
    assert "'Σ' (sum) is an array operation" in detail["message"]


def test_an_axis_edge_has_no_backward_step(client):
    r = client.post("/api/v1/graph", json={"expression": "sum(A, 0)", "values": {"A": [[1, 2], [3, 4]]},
                                           "layout": False})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == [4.0, 6.0] and body["gradient"]["A"] == [[1.0, 1.0], [1.0, 1.0]]
    assert [e["backward"] for e in body["edges"]] == ["vjp of sum_axis: g spread along the axis", None]
