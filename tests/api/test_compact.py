"""The compact body of POST /api/v1/graph (`format: "compact"`, app/compact.py): decoded by the
reference decoder, it is exactly the objects body (as parsed JSON, keys in the same order) that
the same request gets without `format`, from a real server: for every recorded request of
fixtures/graph_bodies.json (the lecture's examples, tensors, numbers that are not finite, lone
surrogates, a skipped layout), for tangents, derivative_of, expand, several outputs and a target,
and for random expressions at tiny, huge and non-finite points."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import running_server
from hypothesis import given, settings
from hypothesis import strategies as st
from test_encoding import NUMBERS, expressions
from test_graph_bytes import CASES, ENV

import app.body_templates
import app.graphs
from app.compact import FORMAT, decode
from app.schemas import CompactGraphResponse, GraphResponse
from app.settings import Settings
from engine import ExpressionError

RECORDED = [c for c in CASES if c["method"] == "POST" and c["status"] == 200]
MORE = {
    "tangent direction with a target": {"expression": "a = x*y; b = sin(a); f = b*x + a",
                                        "values": {"x": 0.5, "y": 2}, "target": "b",
                                        "tangent": {"x": 1, "y": -0.5}},
    "several outputs": {"expression": "a = x*y; b = sin(a); a, b, x^2", "values": {"x": 1, "y": 2}},
    "derivative_of": {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2},
                      "derivative_of": "x"},
    "expand": {"expression": "sigmoid(x*y) + softplus(x)", "values": {"x": 1, "y": 2},
               "expand": ["n3"]},
    "composites kept": {"expression": "sigmoid(x*y) + softplus(x)", "values": {"x": 1, "y": 2}},
    "tensor with a tangent and nan": {"expression": "sum(sqrt(X) * w) + mean(ln(X))",
                                      "values": {"X": [[1, 0], [4, -1]], "w": [2, 3]},
                                      "tangent": "w"},
    "requires_grad with wrt": {"expression": "x*y + sin(y)", "values": {"x": 2, "y": 3},
                               "requires_grad": ["x"], "wrt": ["x", "x"]},
    "1/0 with a tangent, no layout": {"expression": "1/x + x", "values": {"x": 0}, "tangent": "x",
                                      "layout": False},
}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    yield from running_server(tmp_path_factory, ENV)


def _strict(text: str):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"JSON must not contain {name}"))


def both(url: str, body_text: str) -> tuple[dict, dict, bytes]:
    """The objects body and the compact one (parsed), and the compact bytes, for a request's text
    (`"format": "compact"` set in as the first key: the text may hold a lone surrogate)."""
    headers = {"Content-Type": "application/json"}
    content = body_text.encode("utf-8", "surrogatepass")
    plain = httpx.post(url + "/api/v1/graph", content=content, headers=headers, timeout=60)
    asked = b'{"format": "compact", ' + content.lstrip()[1:]
    packed = httpx.post(url + "/api/v1/graph", content=asked, headers=headers, timeout=60)
    assert plain.status_code == packed.status_code == 200, packed.text[:300]
    return _strict(plain.text), _strict(packed.text), packed.content


def check(objects: dict, compact: dict) -> None:
    assert compact["format"] == FORMAT
    CompactGraphResponse.model_validate(compact)  # the documented contract, field by field
    GraphResponse.model_validate(objects)
    decoded = decode(compact)
    assert decoded == objects
    assert list(decoded) == list(objects)  # keys in the same order, in every node, edge, event
    for part in ("nodes", "edges"):
        assert [list(x) for x in decoded[part]] == [list(x) for x in objects[part]]
    assert {k: [list(e) for e in v] for k, v in decoded["trace"].items()} == \
        {k: [list(e) for e in v] for k, v in objects["trace"].items()}


@pytest.mark.parametrize("case", RECORDED, ids=[c["name"] for c in RECORDED])
def test_a_recorded_request_decodes_to_its_objects_body(url, case):
    objects, compact, raw = both(url, case["body"])
    check(objects, compact)
    if len(objects["nodes"]) > 100:  # the point of it (a small body is mostly its layout)
        assert len(raw) < 0.8 * len(json.dumps(objects, ensure_ascii=False, separators=(",", ":")))


@pytest.mark.parametrize("name", MORE)
def test_every_kind_of_answer_decodes_to_its_objects_body(url, name):
    objects, compact, _ = both(url, json.dumps(MORE[name]))
    check(objects, compact)
    marks = {"derivative_of": "derivative_of", "several outputs": "outputs",
             "tangent direction with a target": "target"}
    if name in marks:
        assert marks[name] in compact
    if name == "expand":
        assert any(compact["nodes"]["composite"])


def test_the_objects_body_is_the_default_and_the_format_is_checked(url):
    lecture = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}
    default = httpx.post(url + "/api/v1/graph", json=lecture, timeout=60)
    objects = httpx.post(url + "/api/v1/graph", json={**lecture, "format": "objects"}, timeout=60)
    assert default.content == objects.content and "format" not in default.json()
    bad = httpx.post(url + "/api/v1/graph", json={**lecture, "format": "columns"}, timeout=60)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "format"


def test_the_compact_trace_is_the_passes_own_rows():
    body = json.loads(app.graphs.response_body("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2},
                                               with_layout=False, body_format="compact",
                                               settings=Settings(layout_warm_up=False)))
    assert body["nodes"]["inputs"] == [[], [], [0, 1], [1, 0], [2, 3], [], [5], [4, 6]]
    assert body["nodes"]["op"] == ["var", "const", "pow", "mul", "add", "var", "ln", "mul"]
    assert body["edges"]["local"][:4] == [2.0, None, None, 2.0]  # e1, e2: from the constant 2
    assert body["trace"]["forward"][0] == ["evaluate", 0, 1.0]
    assert body["trace"]["fields"]["backward"]["local"] == ["edge", "source", "target", "index", "local"]
    assert body["trace"]["backward"][:3] == [["seed", 7, 1.0], ["visit", 7, 1.0],
                                             ["local", 7, 4, 7, 0, 0.6931471805599453]]


@settings(deadline=None, max_examples=200, derandomize=True)
@given(expressions(), NUMBERS, NUMBERS, st.booleans(), st.sampled_from([None, ["x"], ["y"]]))
def test_a_random_expression_decodes_to_its_objects_body(text, x, y, with_tangent, requires_grad):
    """Tiny, huge and non-finite numbers alike (orjson's fast path where all are finite, json's
    with "inf" and "nan" where not)."""
    def body(form: str) -> dict:
        return _strict(app.graphs.response_body(
            f"{text} + x*y", {"x": x, "y": y}, with_layout=False, tangent="x" if with_tangent else None,
            requires_grad=requires_grad, body_format=form, settings=Settings(layout_warm_up=False)))
    try:
        objects = body("objects")
    except ExpressionError:  # refused by the engine: nothing to encode
        return
    check(objects, body("compact"))


@pytest.mark.parametrize("kw", [{}, {"tangent": "x"}, {"expand": ["n3"], "target": "b"}],
                         ids=["plain", "tangent", "expand and target"])
def test_a_structure_seen_again_keeps_its_parse_and_decodes_alike(monkeypatch, kw):
    """From its second sight, a compact answer's structure keeps its parse, labels, display
    names and layout (app.body_templates.parsed); later answers are parsed and laid out no
    more, and still decode to the objects answer at their point."""
    monkeypatch.setattr(app.body_templates, "TEMPLATES", app.body_templates.Templates())
    text = "a = sigmoid(x*y); b = a*ln(y + 1); f = b + " + " + ".join(f"sin(x*{i})" for i in range(1, 9))

    def answer(form: str, x: float) -> dict:
        return _strict(app.graphs.response_body(text, {"x": x, "y": 2.0}, body_format=form,
                                                settings=Settings(layout_warm_up=False), **kw))
    for x in (0.5, 0.75):
        answer("compact", x)
    objects = answer("objects", 1.25)
    kept = app.body_templates.TEMPLATES.get(next(iter(app.body_templates.TEMPLATES._items)))
    assert kept.names is not None and (kept.graph is None) == ("expand" in kw)
    if "expand" not in kw:  # (an expanded graph is made again from the text: labelled again)
        monkeypatch.setattr("engine.evaluation.parse", lambda *a, **k: pytest.fail("parsed again"))
        monkeypatch.setattr(app.graphs, "label", lambda *a, **k: pytest.fail("labelled again"))
    monkeypatch.setattr(app.graphs, "layout_body", lambda *a, **k: pytest.fail("laid out again"))
    check(objects, answer("compact", 1.25))
