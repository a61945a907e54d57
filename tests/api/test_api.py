"""The REST API in-process (Starlette's TestClient over ASGI): the lecture's numbers, the
fields of nodes, edges, trace and layout, warnings, the reference endpoints and the exports.
Errors, limits and headers are in test_api_errors.py."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.schemas import GraphResponse
from app.settings import Settings
from engine import OPS

LECTURE = "(x^2 + 2x) * ln(y)"
NAMED = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"
NEURON = "1/(1+exp(-(w0*x0 + w1*x1 + w2)))"
NEURON_AT = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}


def _no_constants(name: str) -> float:
    raise AssertionError(f"JSON must not contain {name}")


def strict_json(text: str):
    """Parse as strict JSON: NaN / Infinity tokens are a failure."""
    return json.loads(text, parse_constant=_no_constants)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(layout_warm_up=False))) as c:
        yield c


def post(client, **body):
    r = client.post("/api/v1/graph", json=body)
    assert r.status_code == 200, r.text
    data = strict_json(r.text)
    GraphResponse.model_validate(data)  # the documented contract, field by field
    return data


def by_name(data):
    return {n["name"]: n for n in data["nodes"] if n["name"]}


# --- the lecture's numbers ---------------------------------------------------------------

def test_single_variable_lecture_example(client):
    data = post(client, expression="(x^2 + 2x) * ln(x)", values={"x": 1})
    assert data["value"] == 0.0
    assert data["gradient"] == {"x": pytest.approx(3.0, rel=1e-15)}


@pytest.mark.parametrize("expression", [LECTURE, NAMED])
def test_two_variable_lecture_example(client, expression):
    data = post(client, expression=expression, values={"x": 1, "y": 2})
    assert round(data["value"], 7) == 2.0794415
    assert round(data["gradient"]["x"], 7) == 2.7725887
    assert data["gradient"]["y"] == pytest.approx(1.5, rel=1e-15)
    assert data["variables"] == ["x", "y"]
    assert data["output"] == data["nodes"][-1]["id"]
    assert data["warnings"] == []


def test_x_squared_is_one_edge_with_local_derivative_2x(client):
    data = post(client, expression=LECTURE, values={"x": 1, "y": 2})
    [square] = [n for n in data["nodes"] if n["op"] == "pow"]
    x = by_name(data)["x"]["id"]
    [edge] = [e for e in data["edges"] if e["target"] == square["id"] and e["source"] == x]
    assert edge["local"] == 2.0


def test_named_intermediates_two_edges_into_a_and_the_lecture_sum(client):
    data = post(client, expression=NAMED, values={"x": 1, "y": 2})
    nodes = by_name(data)
    assert set(nodes) == {"x", "y", "a", "b", "c", "d", "f"}
    x, a, b = nodes["x"]["id"], nodes["a"]["id"], nodes["b"]["id"]
    into_a = [e for e in data["edges"] if e["target"] == a]
    assert [(e["source"], e["index"], e["local"]) for e in into_a] == [(x, 0, 1.0), (x, 1, 1.0)]
    [x_to_b] = [e for e in data["edges"] if e["target"] == b and e["source"] == x]
    assert x_to_b["local"] == 2.0
    from_x = [e["contribution"] for e in data["edges"] if e["source"] == x]
    assert [round(c, 7) for c in from_x] == [0.6931472, 0.6931472, 1.3862944]
    assert sum(from_x) == pytest.approx(nodes["x"]["grad"], rel=1e-15)
    # The lecture's forward table.
    assert [round(nodes[k]["value"], 7) for k in "abcdf"] == [1, 2, 3, 0.6931472, 2.0794415]
    locals_into = {(e["source"], e["target"]): e["local"] for e in data["edges"]}
    f, c, d, y = nodes["f"]["id"], nodes["c"]["id"], nodes["d"]["id"], nodes["y"]["id"]
    assert round(locals_into[(c, f)], 7) == 0.6931472  # df/dc
    assert locals_into[(d, f)] == 3.0  # df/dd
    assert locals_into[(y, d)] == 0.5  # dd/dy


def test_cs231n_neuron(client):
    data = post(client, expression=NEURON, values=NEURON_AT)
    assert round(data["value"], 4) == 0.7311
    assert {k: round(v, 4) for k, v in data["gradient"].items()} == {
        "w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}


def test_wrt_list_in_order_with_repeats(client):
    data = post(client, expression="x*y", values={"x": 3, "y": 4}, wrt=["y", "x", "x"])
    assert data["wrt"] == ["y", "x", "x"]
    assert data["gradient_wrt"] == [3.0, 4.0, 4.0]
    assert data["gradient"] == {"x": 4.0, "y": 3.0}


def test_without_wrt_the_list_is_null(client):
    data = post(client, expression="x*y", values={"x": 3, "y": 4}, layout=False)
    assert data["wrt"] is None and data["gradient_wrt"] is None and data["tangent"] is None
    assert "tangent" not in data["trace"]


@pytest.mark.parametrize("tangent, expected", [
    ("x", 2.772588722239781), ({"x": 1, "y": 0}, 2.772588722239781), ({"x": 0, "y": 2}, 3.0), ("y", 1.5)])
def test_forward_mode_tangent(client, tangent, expected):
    data = post(client, expression=NAMED, values={"x": 1, "y": 2}, tangent=tangent, layout=False)
    assert data["tangent"]["output"] == pytest.approx(expected, rel=1e-15)
    out = next(n for n in data["nodes"] if n["id"] == data["output"])
    assert out["tangent"] == data["tangent"]["output"]
    assert all("tangent" in n for n in data["nodes"])
    assert data["trace"]["tangent"][0]["type"] == "seed"


# --- nodes, edges, trace -----------------------------------------------------------------

def test_node_and_edge_fields(client):
    data = post(client, expression=NAMED, values={"x": 1, "y": 2})
    for node in data["nodes"]:
        assert {"id", "name", "kind", "op", "label", "inputs", "value", "grad", "shape"} <= set(node)
        assert node["shape"] == []
        assert node["kind"] in ("var", "const", "op")
    ids = [n["id"] for n in data["nodes"]]
    assert ids == [f"n{i}" for i in range(len(ids))]
    const = next(n for n in data["nodes"] if n["kind"] == "const")
    assert const["grad"] is None and const["label"] == "2"
    for edge in data["edges"]:
        assert set(edge) == {"id", "source", "target", "index", "local", "contribution"}
    from_const = [e for e in data["edges"] if e["source"] == const["id"]]
    assert from_const and all(e["local"] is None and e["contribution"] is None for e in from_const)
    assert [e["id"] for e in data["edges"]] == [f"e{i}" for i in range(len(data["edges"]))]


def test_trace_replays_to_the_gradients(client):
    data = post(client, expression=NAMED, values={"x": 1, "y": 2})
    trace = data["trace"]
    assert [ev["node"] for ev in trace["forward"]] == [n["id"] for n in data["nodes"]]
    assert trace["backward"][0] == {"type": "seed", "node": data["output"], "grad": 1.0}
    grads: dict[str, float] = {}
    for ev in trace["backward"]:
        if ev["type"] == "seed":
            grads[ev["node"]] = ev["grad"]
        elif ev["type"] == "accumulate":
            assert ev["before"] == grads.get(ev["node"], 0.0)
            grads[ev["node"]] = ev["grad"]
    for node in data["nodes"]:
        if node["grad"] is not None:
            assert grads[node["id"]] == node["grad"]


# --- warnings and numbers that are not finite --------------------------------------------

@pytest.mark.parametrize("expression, values, value, grad", [
    ("ln(x)", {"x": 0}, "-inf", "inf"),
    ("1/x", {"x": 0}, "inf", "-inf"),
    ("sqrt(x)", {"x": -1}, "nan", "nan"),
])
def test_nonfinite_numbers_are_strings_and_warned(client, expression, values, value, grad):
    data = post(client, expression=expression, values=values)
    assert data["value"] == value
    assert data["gradient"]["x"] == grad
    codes = {w["code"]: w for w in data["warnings"]}
    assert codes["nonfinite_value"]["node"] == data["output"]
    assert codes["nonfinite_value"]["pass"] == "forward"
    assert "not finite" in codes["nonfinite_value"]["message"]
    assert "nonfinite_gradient" in codes


def test_nonfinite_everywhere_including_trace_and_edges(client):
    data = post(client, expression="a = ln(x); f = a*y", values={"x": 0, "y": 2}, tangent="x")
    assert by_name(data)["a"]["value"] == "-inf"
    assert any(ev.get("value") == "-inf" for ev in data["trace"]["forward"])
    assert any(e["local"] == "inf" for e in data["edges"])
    assert {w["code"] for w in data["warnings"]} >= {"nonfinite_value", "nonfinite_tangent"}


def test_values_for_unknown_names_are_ignored_and_listed(client):
    data = post(client, expression="x*y", values={"x": 3, "y": 4, "z": 1, "w": 2})
    unused = [w for w in data["warnings"] if w["code"] == "unused_value"]
    assert sorted(w["name"] for w in unused) == ["w", "z"]
    assert data["value"] == 12.0


def test_unused_intermediate_is_warned(client):
    data = post(client, expression="a = x*2; f = x + 1", values={"x": 1})
    assert [w["code"] for w in data["warnings"]] == ["unused_name"]


# --- layout ------------------------------------------------------------------------------

def test_layout_positions_every_node_and_edge_inputs_left(client):
    data = post(client, expression=NAMED, values={"x": 1, "y": 2})
    lay = data["layout"]
    assert lay["status"] == "ok" and lay["unit"] == "pt" and lay["reason"] is None
    assert set(lay["nodes"]) == {n["id"] for n in data["nodes"]}
    assert [(p["source"], p["target"], p["index"]) for p in lay["edges"]] == [
        (e["source"], e["target"], e["index"]) for e in data["edges"]]
    assert lay["width"] > 0 and lay["height"] > 0
    inputs = [lay["nodes"][n["id"]]["x"] for n in data["nodes"] if n["kind"] == "var"]
    ops = [lay["nodes"][n["id"]]["x"] for n in data["nodes"] if n["kind"] == "op"]
    assert max(inputs) < min(ops)
    for box in lay["nodes"].values():
        assert 0 <= box["x"] <= lay["width"] and 0 <= box["y"] <= lay["height"]
    for path in lay["edges"]:
        assert len(path["points"]) % 3 == 1


def test_layout_depends_on_structure_only(client):
    one = post(client, expression=LECTURE, values={"x": 1, "y": 2})["layout"]
    other = post(client, expression=LECTURE, values={"x": -123.456, "y": 1e300})["layout"]
    assert one == other


def test_layout_can_be_switched_off(client):
    assert post(client, expression="x*y", values={"x": 1, "y": 2}, layout=False)["layout"] is None


def test_layout_over_its_bound_is_skipped_and_the_answer_still_comes():
    with TestClient(create_app(Settings(layout_max_nodes=3, layout_warm_up=False))) as small:
        data = post(small, expression=LECTURE, values={"x": 1, "y": 2})
    assert round(data["value"], 7) == 2.0794415
    lay = data["layout"]
    assert lay["status"] == "skipped"
    assert lay["reason"]["limit"] == "max_nodes" and lay["reason"]["maximum"] == 3
    assert lay["nodes"] == {} and lay["edges"] == []
    assert any(w["code"] == "layout_skipped" for w in data["warnings"])


def test_high_fanout_sum_lays_out_with_copies(client):
    expression = " + ".join(f"{k}*x*y" for k in range(1, 61))
    data = post(client, expression=expression, values={"x": 1, "y": 2})
    lay = data["layout"]
    assert lay["status"] == "ok"
    x = by_name(data)["x"]["id"]
    assert len(lay["copies"][x]) > 1


# --- reference endpoints -----------------------------------------------------------------

def test_functions_are_the_op_table(client):
    r = client.get("/api/v1/functions")
    assert r.status_code == 200
    data = r.json()
    assert [f["name"] for f in data["functions"]] == list(OPS)
    sin = next(f for f in data["functions"] if f["name"] == "sin")
    assert sin["arity"] == 1 and sin["syntax"] == "sin(a)" and sin["description"]
    pow_ = next(f for f in data["functions"] if f["name"] == "pow")
    assert "a ^ b" in pow_["syntax"] and "pow(a, b)" in pow_["syntax"]
    assert {c["name"] for c in data["constants"]} >= {"pi", "e"}


def test_examples_are_the_lecture_presets_and_all_run(client):
    r = client.get("/api/v1/examples")
    assert r.status_code == 200
    examples = r.json()["examples"]
    expressions = {e["expression"] for e in examples}
    assert {"z = x*y", "(x^2 + 2x) * ln(x)", LECTURE, NAMED, "sigmoid(x)", "1/(1+exp(-x))",
            NEURON} <= expressions
    for example in examples:
        assert example["title"]["en"] and example["title"]["ko"]
        assert any("\uac00" <= ch <= "\ud7a3" for ch in example["title"]["ko"] + example["description"]["ko"])
        body = {k: example[k] for k in ("expression", "values", "wrt") if example.get(k) is not None}
        data = post(client, **body, layout=False)
        assert data["warnings"] == []
    neuron = next(e for e in examples if e["expression"] == NEURON)
    assert neuron["values"] == NEURON_AT


def test_health_docs_openapi_and_page(client):
    assert client.get("/healthz").json()["status"] == "ok"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"GraphRequest", "GraphResponse", "CompactGraphResponse", "ErrorResponse"} <= set(schemas)
    assert '"inf"' in spec["info"]["description"]
    post_op = spec["paths"]["/api/v1/graph"]["post"]
    assert {"200", "400", "413", "415", "422"} <= set(post_op["responses"])
    example = post_op["responses"]["200"]["content"]["application/json"]["example"]
    GraphResponse.model_validate(example)
    assert example == post(client, expression="z = x*y", values={"x": 3, "y": 4})  # the real answer
    assert set(post_op["requestBody"]["content"]["application/json"]["examples"]) == {
        "lecture", "named", "neuron", "compact"}
    for name in ("GraphRequest", "ParseRequest", "NumericRequest", "CheckRequest"):
        assert schemas[name]["additionalProperties"] is False
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "chainrule" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


# --- exports -----------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"


def test_svg_export_draws_values_and_gradients(client):
    r = client.get("/api/v1/graph.svg", params={"expression": NAMED, "x": 1, "y": 2})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    root = ET.fromstring(r.text)
    assert root.tag == f"{SVG_NS}svg"
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    for shown in ("2.0794415", "0.6931472", "grad 2.7725887", "grad 1.5", "3", "2"):
        assert shown in texts
    lowered = r.text.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "href" not in lowered
    assert not any(a.startswith("on") for el in root.iter() for a in el.attrib)
    assert len(list(root.iter(f"{SVG_NS}path"))) == 9  # one per edge


def test_svg_escapes_the_expression_text(client):
    expression = "a = x*x\n# <script>alert(1)</script> is not in the grammar, but names are text"
    r = client.get("/api/v1/graph.svg", params={"expression": expression, "x": 1})
    assert r.status_code == 422  # refused by the parser, never echoed into SVG
    r = client.get("/api/v1/graph.svg", params={"expression": "θ*θ + θ", "θ": "0.5"})
    assert r.status_code == 200
    root = ET.fromstring(r.text)
    assert root.find(f"{SVG_NS}title").text == "θ*θ + θ"


def test_dot_export(client):
    r = client.get("/api/v1/graph.dot", params={"expression": LECTURE, "x": 1, "y": 2})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/vnd.graphviz")
    assert r.text.startswith("digraph G {") and 'rankdir="LR"' in r.text
    assert "ln\\n0.6931" in r.text and "rank=source" in r.text


def test_json_export_is_the_post_body(client):
    r = client.get("/api/v1/graph.json", params={"expression": NAMED, "x": "1", "y": "2.0",
                                                 "wrt": ["x", "x"], "tangent": "y"})
    assert r.status_code == 200
    posted = post(client, expression=NAMED, values={"x": 1, "y": 2}, wrt=["x", "x"], tangent="y")
    assert strict_json(r.text) == posted


@pytest.mark.parametrize("text", ["1", "-0.5", "2e-3", "+3", ".5", "1E3"])
def test_export_query_numbers(client, text):
    r = client.get("/api/v1/graph.json", params={"expression": "x", "x": text, "layout": "false"})
    assert r.status_code == 200
    assert r.json()["value"] == float(text)


def test_math_is_not_recomputed_differently_by_exports(client):
    data = strict_json(client.get("/api/v1/graph.json",
                                  params={"expression": "ln(x)", "x": "0", "layout": "false"}).text)
    assert data["value"] == "-inf" and math.isinf(float(data["value"]))
