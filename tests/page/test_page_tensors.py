"""Tensors on the page (issue 10, item 5), in a real browser against a real `chainrule serve`
(test_page.py's server, browser and tab): array values typed as nested lists, shapes and
heatmaps on the nodes, the VJP, reduce and first-accumulate steps narrated, and the Jacobian
view of an edge. Every number the page shows is compared with the server's JSON, formatted by
the page's own format.js (tested on its own in test_page.py). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
import test_page
from test_page import Page, api_graph

# conftest.py's server and browser (one per module); test_page.py's tab per test, used by name.
page = test_page.page

EXPR = "sum(w * x)"
W = [[1, 2, 3], [4, 5, 6]]
X = [1, 0, -1]


def tensor_hash(expression: str, values: dict, **extra) -> str:
    at = ";".join(f"{k}={json.dumps(v)}" for k, v in values.items())
    return urllib.parse.urlencode({"f": expression, "at": at, **extra}, quote_via=urllib.parse.quote)


def flat(v) -> list:
    return [y for x in v for y in flat(x)] if isinstance(v, list) else [v]


def fmt(page: Page, values: list) -> list[str]:
    """The numbers as the page writes them (its format.js, at its 4 digits)."""
    return page.p.evaluate("""async (xs) => {
        const { fmt } = await import('/static/js/format.js');
        return xs.map((x) => fmt(x));
    }""", values)


def node(page: Page, name: str):
    return page.p.locator(f'.graph-svg .node[data-name="{name}"][data-copy="0"]')


def cells(page: Page, selector: str) -> list[float]:
    return [float(x) for x in page.p.eval_on_selector_all(selector, "els => els.map(e => e.dataset.value)")]


def edge_from(graph: dict, source_name: str, target_op: str) -> dict:
    ids = {n["name"]: n["id"] for n in graph["nodes"] if n["name"]}
    ops = {n["id"]: n["op"] for n in graph["nodes"]}
    return next(e for e in graph["edges"] if e["source"] == ids.get(source_name, source_name)
                and ops[e["target"]] == target_op)


def type_array(page: Page, name: str, text: str) -> None:
    """Switch `name` to an array value (if it is a number) and type `text`, until the page draws it."""
    card = page.p.locator(f'#variables .var[data-name="{name}"]')
    if card.locator(".array-toggle").get_attribute("aria-pressed") != "true":
        before = page.renders()
        card.locator(".array-toggle").click()
        page.wait_render(before)
    before = page.renders()
    card.locator(".array-field").fill(text)
    page.wait_render(before)


def test_typed_arrays_show_shapes_heatmaps_and_the_servers_numbers(page):
    page.open()
    before = page.renders()
    page.p.fill("#expr", EXPR)
    page.wait_render(before)
    type_array(page, "w", "[[1, 2, 3], [4, 5, 6]]")
    type_array(page, "x", "[1, 0, -1]")
    graph = api_graph(page.url, EXPR, {"w": W, "x": X})
    # The value: the server's, as the page formats it (1·1 + 2·0 + 3·(−1) + 4·1 + 5·0 + 6·(−1)).
    assert graph["value"] == -4
    assert page.output_label() == f"f = {fmt(page, [graph['value']])[0]}"
    # Shapes on the tensor nodes, nothing extra on the scalar output.
    assert node(page, "w").locator(".shape-text").text_content() == "2×3"
    assert node(page, "x").locator(".shape-text").text_content() == "3"
    assert node(page, "f").locator(".shape-text").count() == 0
    # The heatmap of w's value: one cell per element, each the number the server sent.
    w_node = next(n for n in graph["nodes"] if n["name"] == "w")
    assert cells(page, '.graph-svg .node[data-name="w"] .heatmap.value rect.hm-cell') == flat(w_node["value"])
    assert len(flat(w_node["value"])) == 6
    # Diverging colours: x = [1, 0, −1] is red, neutral, blue.
    classes = page.p.eval_on_selector_all('.graph-svg .node[data-name="x"] .heatmap.value rect',
                                          "els => els.map(e => e.getAttribute('class'))")
    assert classes == ["hm-cell hm-p4", "hm-cell hm-0", "hm-cell hm-n4"]
    # The gradients, in the pills and in the variables panel.
    gx = graph["gradient"]["x"]
    assert gx == [5, 7, 9]
    assert page.pill("x") == f"∂f/∂x = [{', '.join(fmt(page, gx))}]"
    w_grad = '.graph-svg .node[data-name="w"] .pill .heatmap.grad rect.hm-cell'
    assert cells(page, w_grad) == flat(graph["gradient"]["w"])
    assert page.p.inner_text('#variables .var[data-name="x"] .vgrad') == "∂f/∂x = [5, 7, 9]"
    assert page.overlaps() == []
    # The table: arrays compactly (shape and a few numbers), never an unreadable blob.
    w_row = page.p.locator("#table tbody tr").first
    assert w_row.locator("td.value").inner_text().replace("\n", " ") == "[1, 2, 3, …] (2×3)"
    # The four ways wait on scalar values: their panels are replaced by a note (and ask nothing).
    assert page.p.is_visible("#tensor-note")
    assert not page.p.is_visible("#compare-panel")
    # The link holds the arrays.
    assert "w%3D%5B%5B1%2C2%2C3%5D%2C%5B4%2C5%2C6%5D%5D" in page.p.url


def test_stepping_narrates_vjp_reduce_and_the_first_contribution(page):
    graph = api_graph(page.url, EXPR, {"w": W, "x": X})
    page.open(tensor_hash(EXPR, {"w": W, "x": X}))
    forward, backward = graph["trace"]["forward"], graph["trace"]["backward"]
    assert page.count() == len(forward) + len(backward)
    page.blur()
    page.p.keyboard.press("Home")
    for _ in forward:
        page.p.keyboard.press("ArrowRight")
    # The forward pass is done: values (and their heatmaps) everywhere, no gradient yet.
    assert node(page, "w").locator(".heatmap.value rect").count() == 6
    assert node(page, "w").locator(".pill.known").count() == 0
    said = {}
    for ev in backward:
        page.p.keyboard.press("ArrowRight")
        said.setdefault((ev["type"], ev.get("edge"), ev.get("node")), page.narration())
    sum_edge = edge_from(graph, "n2", "sum")
    x_edge = edge_from(graph, "x", "mul")
    # The sum is not elementwise: a VJP step, said so, and what it sends back.
    local = said[("local", sum_edge["id"], None)]
    assert "not elementwise" in local and "vector-Jacobian product" in local
    assert said[("contribute", sum_edge["id"], None)].startswith("VJP: the sum sends g spread over")
    # x was broadcast along axis 0 of w * x: the reduce step sums it back.
    reduce = next(ev for ev in backward if ev["type"] == "reduce")
    assert reduce["axes"] == [0] and reduce["edge"] == x_edge["id"]
    assert said[("reduce", x_edge["id"], reduce["node"])] == (
        "Summed over axis 0, where x was broadcast in (w × x): x receives [5, 7, 9]")
    # The first contribution to a tensor's gradient (before: null) starts it.
    first = next(ev for ev in backward if ev["type"] == "accumulate" and ev["node"] == reduce["node"])
    assert first["before"] is None
    assert said[("accumulate", x_edge["id"], reduce["node"])] == (
        "x's gradient starts as this first contribution: [5, 7, 9]")
    # At the end: x's gradient [5, 7, 9] and w's as a heatmap, the server's numbers.
    assert page.step() == page.count()
    assert page.pill("x") == "∂f/∂x = [5, 7, 9]"
    w_grad = '.graph-svg .node[data-name="w"] .pill .heatmap.grad rect'
    assert cells(page, w_grad) == flat(graph["gradient"]["w"])
    # The table's local derivative of a VJP edge says so.
    assert "VJP" in page.p.inner_text("#table")


def test_jacobian_view_of_an_edge(page):
    graph = api_graph(page.url, EXPR, {"w": W, "x": X})
    page.open(tensor_hash(EXPR, {"w": W, "x": X}))
    x_edge = edge_from(graph, "x", "mul")
    # Enter on a focused edge opens the view: Jᵀ, the incoming gradient and the product, eq. 6.46.
    edge = page.p.locator(f'.graph-svg .edge[data-id="{x_edge["id"]}"]')
    assert edge.get_attribute("role") == "button"
    assert edge.get_attribute("aria-label") == "Edge from x to w × x: open its Jacobian"
    edge.focus()
    page.p.keyboard.press("Enter")
    page.wait_for("document.getElementById('jacobian').open")
    dialog = page.p.locator("#jacobian")
    assert dialog.locator(".jac-title").text_content() == "Jacobian of the edge x → w × x"
    caption = dialog.locator(".jac-caption").inner_text()
    assert "∇" in caption and "6.46" in caption and "flattening each tensor" in caption
    jac = x_edge["jacobian"]  # rows: w × x's 6 elements; columns: x's 3
    jt = [[row[i] for row in jac] for i in range(len(jac[0]))]
    assert cells(page, "#jacobian .jac-matrix.jt td.num") == flat(jt)
    assert cells(page, "#jacobian .jac-matrix.grad-in td.num") == x_edge["grad_in"]
    assert cells(page, "#jacobian .jac-matrix.product td.num") == x_edge["product"] == [5, 7, 9]
    assert dialog.locator(".jac-matrix.product td.num").all_inner_texts() == fmt(page, x_edge["product"])
    assert dialog.locator(".jac-matrix.jt").get_attribute("aria-label").startswith("Transposed Jacobian")
    page.screenshot("tensors-jacobian.png")
    # Escape closes it and gives the focus back to the edge.
    page.p.keyboard.press("Escape")
    page.wait_for("!document.getElementById('jacobian').open")
    assert page.p.evaluate("document.activeElement.dataset.id") == x_edge["id"]
    # A click on the edge into the sum opens its view too, in Korean when the page is.
    page.p.click("#lang-ko")
    sum_edge = edge_from(graph, "n2", "sum")
    # The mouse on the middle of the wire (a flat path has no box for Playwright's own click).
    x, y = page.p.evaluate("""(id) => {
        const wire = document.querySelector(`.graph-svg .edge[data-id="${id}"] .wire`);
        const p = wire.getPointAtLength(wire.getTotalLength() / 2);
        const m = wire.getScreenCTM();
        return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f];
    }""", sum_edge["id"])
    page.p.mouse.click(x, y)
    page.wait_for("document.getElementById('jacobian').open")
    assert "야코비안" in dialog.locator(".jac-title").text_content()
    assert "펼쳤다고" in dialog.locator(".jac-caption").inner_text()
    assert cells(page, "#jacobian .jac-matrix.product td.num") == sum_edge["product"]
    assert "vjp of sum" in dialog.locator(".jac-backward").text_content()
    page.p.click("#jacobian .jac-close")
    page.wait_for("!document.getElementById('jacobian').open")


def test_a_jacobian_too_big_says_so_and_shows_the_backward_step(page):
    w = [[(i * 10 + j) / 100 for j in range(10)] for i in range(10)]
    x = list(range(10))
    expression = "mean(w * x)"
    graph = api_graph(page.url, expression, {"w": w, "x": x})
    page.open(tensor_hash(expression, {"w": w, "x": x}))
    # 100 elements: the server sends a summary, shown as shape and statistics, no heatmap.
    assert node(page, "w").locator(".shape-text").text_content() == "10×10"
    assert node(page, "w").locator(".heatmap.value rect").count() == 0
    assert "min" in page.p.locator("#table tbody tr").first.locator("td.value").inner_text()
    big = edge_from(graph, "w", "mul")
    assert "jacobian" not in big
    page.p.locator(f'.graph-svg .edge[data-id="{big["id"]}"]').focus()
    page.p.keyboard.press("Enter")
    page.wait_for("document.getElementById('jacobian').open")
    text = page.p.inner_text("#jacobian .jac-body")
    assert "too big to show" in text and big["backward"] in text
    page.p.keyboard.press("Escape")


def test_bad_array_values_are_told_under_their_field(page):
    page.open(tensor_hash(EXPR, {"w": W, "x": X}))
    card = page.p.locator('#variables .var[data-name="w"]')
    # Syntax is checked on the page: nothing is sent.
    card.locator(".array-field").fill("[1, a]")
    assert card.locator(".var-error").is_visible()
    assert card.locator(".var-error").inner_text().startswith("Not a list of numbers")
    # A ragged array is the server's to name: its message, under w's field, with the element.
    page.expect_422 = True
    card.locator(".array-field").fill("[[1, 2, 3], [4, 5]]")
    page.wait_for("document.body.dataset.status === 'error'")
    error = card.locator(".var-error")
    assert error.is_visible() and error.get_attribute("data-field") == "values.w[1]"
    assert "w[1]" in error.inner_text()
    assert card.locator(".array-field").get_attribute("aria-invalid") == "true"
    assert not page.p.is_visible("#expr-error")
    # Mended, the error goes and the graph comes back.
    before = page.renders()
    card.locator(".array-field").fill("[[1, 2, 3], [4, 5, 7]]")
    page.wait_render(before)
    assert not error.is_visible()


def test_array_values_round_trip_through_the_link(page, browser):
    page.open(tensor_hash(EXPR, {"w": W, "x": X}, step="9"))
    assert page.step() == 9
    assert page.p.input_value('#variables .var[data-name="w"] .array-field') == "[[1, 2, 3], [4, 5, 6]]"
    assert not page.p.is_visible('#variables .var[data-name="w"] input[type=range]')
    shown = page.view()
    link = page.p.url
    other = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    try:
        tab = Page(other.new_page(), page.url)
        tab.p.goto(link)
        tab.p.wait_for_selector("body[data-status=ready]")
        tab.settle()
        assert tab.step() == 9
        assert tab.view() == shown
        assert tab.errors == []
    finally:
        other.close()
    result = page.p.evaluate("""async () => {
        const { toHash, fromHash, initialState } = await import('/static/js/state.js');
        const s = { ...initialState(''), expression: 'sum(X)', values: { X: [[1.5, -2], [3e-7, 4]], y: 2 } };
        return { back: fromHash('#' + toHash(s)).values,
                 junk: fromHash('#at=a=[1,"x"];b=[[1],[2];c=[];d=[1,2]').values };
    }""")
    assert result["back"] == {"X": [[1.5, -2], [3e-7, 4]], "y": 2}
    assert result["junk"] == {"d": [1, 2]}


@pytest.mark.parametrize(("width", "height", "scheme"),
                         [(1440, 900, "light"), (1440, 900, "dark"), (390, 844, "light")])
def test_tensor_graph_screenshots(browser, server, width, height, scheme):
    """What a student sees: heatmaps inside the nodes, never over a neighbour; pills clear."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US",
                                  color_scheme=scheme)
    try:
        tab = Page(context.new_page(), server)
        # The lecture's np.random.seed(0); rand(6).reshape(2, 3).
        values = {"w": [[0.5488135, 0.71518937, 0.60276338], [0.54488318, 0.4236548, 0.64589411]],
                  "x": [1, -2, 0.5]}
        tab.open(tensor_hash("mean(sigmoid(w * x))", values))
        assert tab.overlaps() == []
        # Each value heatmap lies inside its node's shape.
        outside = tab.p.evaluate("""() => [...document.querySelectorAll('.graph-svg .node')].flatMap(n => {
            const box = n.querySelector('.shape').getBoundingClientRect();
            return [...n.querySelectorAll('.heatmap.value rect')].filter(r => {
                const c = r.getBoundingClientRect();
                return c.left < box.left || c.right > box.right || c.top < box.top || c.bottom > box.bottom;
            }).map(() => n.dataset.name);
        })""")
        assert outside == []
        # No horizontal scrolling of the page.
        assert tab.p.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tab.screenshot(f"tensors-{width}x{height}-{scheme}.png")
        assert tab.errors == []
    finally:
        context.close()


def test_data_variables_get_no_gradient(page):
    """requires_grad off (the lecture's data X and y): no gradient for it, the rest unchanged."""
    page.open(tensor_hash(EXPR, {"w": W, "x": X}))
    before = page.renders()
    page.p.locator('#variables .var[data-name="x"] .needs-grad input').uncheck()
    page.wait_render(before)
    graph = api_graph(page.url, EXPR, {"w": W, "x": X}, requires_grad=["w"])
    assert "x" not in graph["gradient"]
    assert page.pill("x") == ""
    assert page.p.inner_text('#variables .var[data-name="x"] .vgrad').startswith("data: no gradient")
    w_grad = '.graph-svg .node[data-name="w"] .pill .heatmap.grad rect'
    assert cells(page, w_grad) == flat(graph["gradient"]["w"])
    assert "data=x" in page.p.url
    x_edge = edge_from(graph, "x", "mul")
    page.p.locator(f'.graph-svg .edge[data-id="{x_edge["id"]}"]').focus()
    page.p.keyboard.press("Enter")
    page.wait_for("document.getElementById('jacobian').open")
    assert "x is data" in page.p.inner_text("#jacobian .jac-body")
    page.p.keyboard.press("Escape")
    # Checked again, x has its gradient back.
    before = page.renders()
    page.p.locator('#variables .var[data-name="x"] .needs-grad input').check()
    page.wait_render(before)
    assert page.pill("x") == "∂f/∂x = [5, 7, 9]"
    assert "data=" not in page.p.url


def test_array_formatting(page):
    """arrays.js writes what the server sends; it computes nothing (the bins only scale colours)."""
    page.open()
    out = page.p.evaluate("""async () => {
        const a = await import('/static/js/arrays.js');
        const { fmt } = await import('/static/js/format.js');
        const summary = { shape: [10, 10], min: -0.3, max: 0.69, mean: 0.195, norm: 3.4836, preview: [1] };
        return {
            shapes: [a.shapeText(a.shapeOf([[1, 2, 3], [4, 5, 6]])), a.shapeText(a.shapeOf(2)),
                     a.shapeText(summary.shape)],
            compact: [a.compact([5, 7, 9], fmt), a.compact([[1, 2, 3], [4, 5, 6]], fmt, 3),
                      a.compact(summary, fmt), a.compact(-0.19661193, fmt)],
            brief: [a.brief([1, 0, -1], fmt), a.brief([[1, 2], [3, 4]], fmt), a.brief(summary, fmt)],
            grid: [a.grid([[1, 2, 3], [4, 5, 6]]), a.grid([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]
                .map(g => [g.rows, g.cols]),
            bins: a.bins([-2, -1, 0, 0.5, 2, NaN]),
            transposed: a.transposed([[1, 2, 3], [4, 5, 6]]),
            index: [a.indexLabel(4, [2, 3]), a.indexLabel(0, [])],
        };
    }""")
    assert out["shapes"] == ["2×3", "", "10×10"]
    assert out["compact"] == ["[5, 7, 9]", "[1, 2, 3, …] (2×3)",
                              "(10×10) min −0.3, max 0.69, mean 0.195, ‖·‖ 3.484", "−0.1966"]
    assert out["brief"] == ["[1, 0, −1]", "(2×2)", "(10×10)"]
    assert out["grid"] == [[2, 3], [2, 5]]
    assert out["bins"] == ["hm-n4", "hm-n2", "hm-0", "hm-p1", "hm-p4", "hm-nan"]
    assert out["transposed"] == [[1, 4], [2, 5], [3, 6]]
    assert out["index"] == ["[1,1]", ""]
