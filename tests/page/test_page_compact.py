"""The page asks for the compact graph answer (static/js/api.js) and decodes it in one place
(static/js/compact.js): in a real browser against a real `chainrule serve`, the page's own
fetchGraph gives objects deep-equal to the server's objects answer for the same request, keys in
the same order (JSON.stringify alike), for the lecture, a tangent, tensors, an expanded composite
and a derivative graph."""

from __future__ import annotations

import json

import httpx
import pytest
import test_page

# conftest.py's server and browser (one per module); test_page.py's tab per test, used by name.
page = test_page.page

LOGISTIC_X = [[1.0, 0.5, 1.2], [1.0, 3.0, 0.6], [1.0, 0.8, 1.0]]
CASES = {
    "lecture": ("(x^2 + 2x) * ln(y)", {"x": 1, "y": 2}, {}),
    "tangent": ("a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d", {"x": 1, "y": 2}, {"tangent": "y"}),
    "tensor": ("C = -sum(y * ln(sigmoid(X @ w)) + (1 - y) * ln(1 - sigmoid(X @ w)))",
               {"X": LOGISTIC_X, "y": [1.0, 0.0, 1.0], "w": [0.1, -0.2, 0.3]},
               {"data": ["X", "y"], "tangent": "w"}),
    "expanded, not finite": ("sigmoid(x*y) + ln(x - 1)", {"x": 1, "y": 2}, {"expand": ["n3"]}),
}

FETCH = """async ([expression, values, options]) => {
    const { fetchGraph } = await import('/static/js/api.js');
    const { graph } = await fetchGraph(expression, values, options);
    return JSON.stringify(graph);
}"""


def objects_answer(url: str, expression: str, values: dict, options: dict) -> str:
    """The server's objects answer to the request fetchGraph makes, as the browser writes it."""
    payload: dict = {"expression": expression, "values": values}
    if options.get("data"):
        payload["requires_grad"] = [n for n in values if n not in options["data"]]
    payload.update({k: v for k, v in options.items() if k != "data"})
    r = httpx.post(f"{url}/api/v1/graph", json=payload, timeout=60)
    assert r.status_code == 200 and "format" not in r.json(), r.text[:300]
    return r.text


@pytest.mark.parametrize("name", CASES)
def test_the_pages_graph_is_the_objects_answer(page, name):
    page.open()
    expression, values, options = CASES[name]
    asked = []
    page.p.on("request", lambda r: asked.append(r.post_data) if r.url.endswith("/api/v1/graph") else None)
    got = page.p.evaluate(FETCH, [expression, values, options])
    assert any('"format":"compact"' in (body or "") for body in asked)  # it asked for compact
    same = page.p.evaluate("([a, b]) => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))",
                           [got, objects_answer(page.url, expression, values, options)])
    assert same
    assert json.loads(got) == json.loads(objects_answer(page.url, expression, values, options))


def test_the_derivative_graph_is_the_objects_answer(page):
    page.open()
    got = page.p.evaluate("""async () => {
        const { fetchDerivativeGraph } = await import('/static/js/api.js');
        return JSON.stringify(await fetchDerivativeGraph('(x^2 + 2x) * ln(y)', { x: 1, y: 2 }, 'x'));
    }""")
    r = httpx.post(f"{page.url}/api/v1/graph", json={"expression": "(x^2 + 2x) * ln(y)",
                                                     "values": {"x": 1, "y": 2}, "derivative_of": "x"})
    assert page.p.evaluate("([a, b]) => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))",
                           [got, r.text])
