"""Errors, limits and headers in-process: one error shape for every status, columns of
expression errors, strict finite values naming the field, bounds naming the limit, the body
bound counted while streaming, CORS closed by default and opened by a setting."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from app.errors import ErrorResponse
from app.main import create_app
from app.settings import Settings

SHAPE = {"code", "message", "line", "column", "text"}
LIMIT = {"limit", "maximum", "actual"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(layout_warm_up=False))) as c:
        yield c


def error(r, status: int) -> dict:
    """Check the one shape and return its detail."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    body = r.json()
    ErrorResponse.model_validate(body)
    assert set(body) == {"detail"}
    detail = body["detail"]
    assert SHAPE <= set(detail) <= SHAPE | LIMIT | {"field", "reason", "params"}
    assert ("reason" in detail) == ("params" in detail)
    assert detail["message"] and "Traceback" not in detail["message"]
    return detail


def graph(client, body):
    return client.post("/api/v1/graph", json=body)


# --- expression errors: message, line and 0-based column ---------------------------------

@pytest.mark.parametrize("expression, code, line, column, text", [
    ("sn(x)", "unknown_function", 1, 0, "sn"),
    ("x + sn(y)", "unknown_function", 1, 4, "sn"),
    ("a = x\nb = sn(a)", "unknown_function", 2, 4, "sn"),
    ("(x + 1", None, 1, 0, "("),
    ("x $ y", None, 1, 2, "$"),
])
def test_invalid_expression_has_line_and_column(client, expression, code, line, column, text):
    detail = error(graph(client, {"expression": expression, "values": {"x": 1, "y": 1}}), 422)
    if code:
        assert detail["code"] == code
    assert (detail["line"], detail["column"], detail["text"]) == (line, column, text)
    assert detail["field"] == "expression"


def test_missing_value_names_the_variable(client):
    detail = error(graph(client, {"expression": "x*y", "values": {"x": 1}}), 422)
    assert detail["code"] == "missing_value" and detail["text"] == "y"
    assert detail["field"] == "values.y" and "'y'" in detail["message"]


def test_unknown_wrt_and_tangent_name_their_field(client):
    detail = error(graph(client, {"expression": "x*y", "values": {"x": 1, "y": 2}, "wrt": ["z"]}), 422)
    assert detail["field"] == "wrt" and detail["text"] == "z"
    detail = error(graph(client, {"expression": "x*y", "values": {"x": 1, "y": 2}, "tangent": "q"}), 422)
    assert detail["field"] == "tangent" and detail["text"] == "q"


# --- values: strict finite float64 --------------------------------------------------------

@pytest.mark.parametrize("raw", ['"3"', "true", "false", "null", "NaN", "Infinity", "-Infinity",
                                 "1e999", "-1e999", "1" + "0" * 400, "1" + "0" * 5000, '{"a": 1}'])
def test_values_are_strict_finite_numbers(client, raw):
    body = '{"expression": "x*y", "values": {"x": ' + raw + ', "y": 2}}'
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    detail = error(r, 422)
    assert detail["field"] == "values.x"
    assert detail["code"] == "invalid_value"
    assert "values.x" in detail["message"]


@pytest.mark.parametrize("raw, field, words", [
    ("[[1, 2], [3]]", "values.x[1]", "has 1 items where the rows before it have 2"),
    ('[1, "2"]', "values.x[1]", "must be a number, not '2'"),
    ("[1, true]", "values.x[1]", "must be a number, not True"),
    ("[[1, null]]", "values.x[0][1]", "must be a number, not None"),
    ("[1, 1e999]", "values.x[1]", "is inf: give finite numbers"),
    ("[]", "values.x", "is empty"),
    ("[[[[[1]]]]]", "values.x", "has 5 dimensions; at most 4"),
])
def test_array_values_name_the_bad_element(client, raw, field, words):
    body = '{"expression": "x*y", "values": {"x": ' + raw + ', "y": 2}, "layout": false}'
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    detail = error(r, 422)
    assert detail["field"] == field and words in detail["message"], detail


@pytest.mark.parametrize("raw, value", [("3", 3.0), ("-0.0", -0.0), ("1e308", 1e308),
                                        ("1" + "0" * 300, 1e300), ("2.5e-3", 2.5e-3)])
def test_finite_numbers_are_accepted(client, raw, value):
    body = '{"expression": "x", "values": {"x": ' + raw + '}, "layout": false}'
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == value


@pytest.mark.parametrize("body, field", [
    ({"values": {"x": 1}}, "expression"),
    ({"expression": 3, "values": {}}, "expression"),
    ({"expression": "x", "values": [1]}, "values"),
    ({"expression": "x", "values": {"x": 1}, "wrt": "x"}, "wrt"),
    ({"expression": "x", "values": {"x": 1}, "wrt": [1]}, "wrt[0]"),
    ({"expression": "x", "values": {"x": 1}, "layout": "yes"}, "layout"),
    ({"expression": "x", "values": {"x": 1}, "tangent": {"x": "1"}}, "tangent"),
    ({"expression": "x", "values": {"x": 1}, "valeus": {}}, "valeus"),
])
def test_request_fields_are_validated_by_name(client, body, field):
    detail = error(graph(client, body), 422)
    assert detail["field"].startswith(field)


def test_body_that_is_not_an_object(client):
    r = client.post("/api/v1/graph", content="[1, 2]", headers={"Content-Type": "application/json"})
    assert error(r, 422)["field"] == "body"


# --- malformed bodies and media types ----------------------------------------------------

def test_malformed_json_is_400_with_line_and_column(client):
    r = client.post("/api/v1/graph", content='{"expression": "x",\n  "values": {"x": }}',
                    headers={"Content-Type": "application/json"})
    detail = error(r, 400)
    assert detail["code"] == "invalid_json" and (detail["line"], detail["column"]) == (2, 18)


@pytest.mark.parametrize("body", ["[" * 100_000, b"\xff\xfe"])
def test_deeply_nested_or_undecodable_json_is_400(client, body):
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    assert error(r, 400)["code"] == "invalid_json"


@pytest.mark.parametrize("body, message", [
    (b'{"expression": "\xff"}', "the request body is not UTF-8 (byte 16)"),
    ("[" * 100_000, "the request body is nested too deeply"),
])
def test_a_body_that_is_not_text_or_too_deep_has_no_place(client, body, message):
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    detail = error(r, 400)
    assert (detail["message"], detail["line"], detail["column"]) == (message, None, None)


@pytest.mark.parametrize("body, message", [(b"", "body is required"), (b"null", "body must be an object")])
def test_an_empty_body_is_a_missing_body(client, body, message):
    r = client.post("/api/v1/graph", content=body, headers={"Content-Type": "application/json"})
    detail = error(r, 422)
    assert (detail["field"], detail["message"]) == ("body", message)


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"},
                                     {"Content-Type": "application/x-www-form-urlencoded"}, {}])
def test_body_must_be_json(client, headers):
    r = client.post("/api/v1/graph", content=b'{"expression": "x"}', headers=headers)
    assert error(r, 415)["code"] == "unsupported_media_type"


def test_json_subtypes_are_accepted(client):
    r = client.post("/api/v1/graph", content=b'{"expression": "x", "values": {"x": 1}}',
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200


# --- 404, 405 ----------------------------------------------------------------------------

def test_not_found_and_method_not_allowed(client):
    assert error(client.get("/api/v1/nothing"), 404)["code"] == "not_found"
    r = client.put("/api/v1/graph", json={})
    assert error(r, 405)["code"] == "method_not_allowed"
    assert r.headers["allow"] == "POST"
    assert error(client.post("/healthz"), 405)["code"] == "method_not_allowed"


# --- limits ------------------------------------------------------------------------------

def test_expression_length_limit(client):
    detail = error(graph(client, {"expression": "x+" * 5001 + "x", "values": {"x": 1}}), 422)
    assert detail["limit"] == "max_length" and detail["maximum"] == 10_000 and detail["actual"] == 10_003


def test_depth_limit(client):
    detail = error(graph(client, {"expression": "(" * 600 + "x" + ")" * 600, "values": {"x": 1}}), 422)
    assert detail["code"] == "limit_exceeded" and detail["limit"] == "max_depth"
    assert detail["maximum"] == 500


def test_node_limit_and_settings():
    with TestClient(create_app(Settings(max_nodes=10, max_variables=2, max_wrt=3,
                                        layout_warm_up=False))) as small:
        expression = " + ".join(f"x*{k}" for k in range(2, 12))
        detail = error(small.post("/api/v1/graph", json={"expression": expression, "values": {"x": 1}}), 422)
        assert detail["limit"] == "max_nodes" and detail["maximum"] == 10 and detail["actual"] > 10
        detail = error(small.post("/api/v1/graph",
                                  json={"expression": "x", "values": {"x": 1, "y": 2, "z": 3}}), 422)
        assert (detail["limit"], detail["field"], detail["actual"]) == ("max_variables", "values", 3)
        detail = error(small.post("/api/v1/graph", json={"expression": "x", "values": {"x": 1},
                                                          "wrt": ["x"] * 4}), 422)
        assert (detail["limit"], detail["maximum"], detail["actual"]) == ("max_wrt", 3, 4)


def test_body_limit_by_content_length():
    with TestClient(create_app(Settings(max_body_bytes=2048, layout_warm_up=False))) as small:
        r = small.post("/api/v1/graph", json={"expression": "x" * 5000, "values": {}})
        detail = error(r, 413)
        assert detail["code"] == "body_too_large"
        assert (detail["limit"], detail["maximum"]) == ("max_body_bytes", 2048)
        assert detail["actual"] > 2048


def test_body_limit_counted_while_streaming():
    """No Content-Length (chunked): the app is driven over raw ASGI, 1 KiB per message; it must
    stop reading and answer 413 as soon as the bound is passed, not after the whole body."""
    app = create_app(Settings(max_body_bytes=4096, layout_warm_up=False))
    pulled, sent = 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 1024, "more_body": pulled < 1000}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/v1/graph", "raw_path": b"/api/v1/graph", "root_path": "",
             "query_string": b"", "headers": [(b"host", b"test"), (b"content-type", b"application/json"),
                                              (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("test", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert pulled == 5  # 5 KiB > 4 KiB: not one message more
    detail = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["detail"]
    assert (detail["limit"], detail["maximum"], detail["actual"]) == ("max_body_bytes", 4096, 5120)


def test_query_string_limit():
    with TestClient(create_app(Settings(max_query_chars=256, layout_warm_up=False))) as small:
        r = small.get("/api/v1/graph.svg", params={"expression": "x" * 300, "x": 1})
        detail = error(r, 414)
        assert detail["limit"] == "max_query_chars"


# --- export query values -----------------------------------------------------------------

@pytest.mark.parametrize("text", ["abc", "nan", "NaN", "inf", "-Infinity", "1e999", "0x10", "1_000", "",
                                  "1,5"])
def test_export_values_are_strict(client, text):
    r = client.get("/api/v1/graph.svg", params={"expression": "x*y", "x": text, "y": "2"})
    detail = error(r, 422)
    assert detail["field"] == "values.x" and detail["code"] == "invalid_value"


def test_export_missing_and_repeated_values(client):
    detail = error(client.get("/api/v1/graph.svg", params={"expression": "x*y", "x": "1"}), 422)
    assert detail["field"] == "values.y"
    detail = error(client.get("/api/v1/graph.svg?expression=x&x=1&x=2"), 422)
    assert detail["field"] == "values.x" and "more than once" in detail["message"]
    detail = error(client.get("/api/v1/graph.dot"), 422)
    assert detail["field"] == "expression"


def test_svg_export_over_the_layout_bound_names_it():
    with TestClient(create_app(Settings(layout_max_nodes=2, layout_warm_up=False))) as small:
        detail = error(small.get("/api/v1/graph.svg", params={"expression": "x*y", "x": 1, "y": 2}), 422)
        assert detail["code"] == "layout_skipped" and detail["limit"] == "max_nodes"


# --- headers and CORS --------------------------------------------------------------------

def test_nosniff_everywhere(client):
    for r in (client.get("/healthz"), client.get("/api/v1/functions"), client.get("/nope"), client.get("/"),
              client.get("/openapi.json")):
        assert r.headers["x-content-type-options"] == "nosniff"


def test_cross_origin_closed_by_default(client):
    r = client.post("/api/v1/graph", json={"expression": "x", "values": {"x": 1}},
                    headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    preflight = client.options("/api/v1/graph", headers={"Origin": "https://elsewhere.example",
                                                          "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    error(preflight, 405)


def test_cross_origin_opened_by_a_setting():
    app = create_app(Settings(cors_origins=["https://class.example"], layout_warm_up=False))
    with TestClient(app) as open_client:
        preflight = open_client.options("/api/v1/graph", headers={
            "Origin": "https://class.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://class.example"
        r = open_client.get("/healthz", headers={"Origin": "https://class.example"})
        assert r.headers["access-control-allow-origin"] == "https://class.example"
        r = open_client.get("/healthz", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in r.headers


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MAX_NODES", "123")
    monkeypatch.setenv("CHAINRULE_CORS_ORIGINS", '["https://a.example"]')
    settings = Settings()
    assert settings.max_nodes == 123 and settings.limits.max_nodes == 123
    assert settings.cors_origins == ["https://a.example"]


def test_an_unexpected_error_is_a_500_in_the_same_shape_without_a_traceback(monkeypatch):
    import app.routes.graph as graph_routes

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(graph_routes, "response_body", boom)
    with TestClient(create_app(Settings(layout_warm_up=False)), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/graph", json={"expression": "x", "values": {"x": 1}})
    assert r.status_code == 500
    detail = r.json()["detail"]
    assert detail["code"] == "internal_error" and "secret" not in r.text


def test_only_engine_errors_name_a_field(monkeypatch):
    """routes/parse.py names the field `expression` for the engine's errors; a bug of ours stays
    a 500 that names nothing."""
    import app.routes.parse as parse_routes

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(parse_routes, "parse", boom)
    with TestClient(create_app(Settings(layout_warm_up=False)), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/parse", json={"expression": "x"})
    assert r.status_code == 500
    assert "field" not in r.json()["detail"] and "secret" not in r.text


def test_a_shape_mismatch_is_a_422_with_its_place(client):
    body = {"expression": "X @ w", "values": {"X": [[1, 2, 3]] * 6, "w": [1, 2]}, "layout": False}
    detail = error(client.post("/api/v1/graph", json=body), 422)
    assert detail["message"] == "X @ w: (6, 3) and (2,) do not fit: inner sizes 3 and 2"
    assert (detail["code"], detail["line"], detail["column"], detail["text"], detail["field"]) == (
        "shape_mismatch", 1, 2, "@", "expression")


@pytest.mark.parametrize("path, body", [
    ("graph", '{"expression": "x\\ud800", "values": {"x": 1}}'),
    ("graph", '{"expression": "x", "values": {"x": 1, "q\\ud800": 2}, "layout": false}'),
    ("graph", '{"expression": "x*y", "values": {"x": 1, "y": 2}, "wrt": ["\\ud800"]}'),
    ("graph", '{"expression": "x*y", "values": {"x": 1, "y": 2}, "tangent": "\\udfff"}'),
    ("parse", '{"expression": "\\ud800"}'),
    ("symbolic", '{"expression": "x\\ud800", "values": {"x": 1}}'),
    ("snippet", '{"expression": "x", "values": {"x": 1}, "wrt": ["\\ud800"]}'),
])
def test_a_lone_surrogate_is_answered_not_a_500(client, path, body):
    """JSON may carry \\ud800, which UTF-8 cannot: the answer escapes it (JSON allows that)."""
    r = client.post(f"/api/v1/{path}", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 422), r.text
    r.json()  # valid JSON
    if r.status_code == 422:
        assert r.json()["detail"]["field"] in ("expression", "wrt", "tangent")
