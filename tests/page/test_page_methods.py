"""The four ways on the page, in a real browser against a real `chainrule serve` (the server,
browser and tab helpers are test_page.py's): the comparison table with the lecture's numbers,
SymPy's formulas, "check my derivative", the error-vs-h plot, the paths view lighting up the
graph, the PyTorch snippet, the passes note, and no console error (no 422 while typing a new
variable either). Screenshots of the panels go to test-artifacts/.
"""

from __future__ import annotations

import importlib.util
import re

import httpx
import pytest
import test_page
from test_page import ARTIFACTS, NAMED, Page, api_graph, hash_for

# conftest.py's server and browser (one per module); test_page.py's tab per test, used by name.
page = test_page.page

LECTURE = "(x^2 + 2x) * ln(y)"
ONE_VARIABLE = "(x^2 + 2x) * ln(x)"
# Paths double at every squaring: 2^8 = 256 from x to k, more than the page lists.
SQUARINGS = "a = x*x; b = a*a; c = b*b; d = c*c; g = d*d; m = g*g; n = m*m; k = n*n"
# SymPy cannot simplify this within its 2 s budget: the page shows progress, then a note.
SLOW = "(sin(x)^3 + cos(y)^4)^5 * exp(x*y) / (1 + x^2 + y^4)^3 + tanh(x*y*z)^7"


def shot(page: Page, selector: str, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.locator(selector).screenshot(path=str(ARTIFACTS / name))


TORCH = importlib.util.find_spec("torch") is not None  # the server's PyTorch column


def compare_cells(page: Page) -> dict:
    """{variable: {column: shown value}} from the comparison table."""
    return page.p.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#compare-panel .compare-table tbody tr')].map(tr => [tr.dataset.var, Object.fromEntries(
        [...tr.querySelectorAll('td')].map(td => [td.className.split(' ').find(c => c.startsWith('m-')),
            td.querySelector('.v').textContent]))]))""")


def wait_compare(page: Page, js_condition: str = "true") -> None:
    page.wait_for("document.querySelectorAll('#compare-panel .compare-table tbody tr').length > 0"
                  f" && ({js_condition})")


# --- the comparison table (the lecture's, extended) ---------------------------------------------

def test_comparison_panel_shows_the_lectures_numbers_in_every_column(page):
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}, digits=5))
    wait_compare(page)
    cells = compare_cells(page)
    columns = ["m-symbolic", "m-numeric", "m-forward", "m-reverse"] + (["m-pytorch"] if TORCH else [])
    assert cells == {"x": dict.fromkeys(columns, "2.7726"), "y": dict.fromkeys(columns, "1.5")}
    table = page.p.locator("#compare-panel .compare-table")
    head = table.locator("thead").inner_text()
    assert "central, h = 0.001" in head
    assert "2 passes" in head and "1 pass" in head  # forward mode: one per input; reverse: one
    # Each method's absolute error against SymPy: AD exactly, finite differences nearly.
    errors = page.p.evaluate("""() => [...document.querySelectorAll('#compare-panel td .err')]
        .map(e => e.textContent)""")
    assert errors.count("reference") == 2
    assert errors.count("error 0") == (6 if TORCH else 4)  # and PyTorch's, when the server has it
    assert any(re.fullmatch(r"error \d(\.\d)?e-13", e) for e in errors)  # x, central, h = 1e-3
    assert any(re.fullmatch(r"error \d(\.\d)?e-8", e) for e in errors)  # y
    # At the page's usual 4 digits the same table reads 2.773.
    page.p.select_option("#digits", "4")
    assert compare_cells(page)["x"] == dict.fromkeys(columns, "2.773")

    # SymPy's derivatives as formulas: MathML, simplified, and their values at the point.
    page.wait_for("document.querySelectorAll('#compare-panel .formula[data-var] math').length === 2"
                  " && document.querySelector('#compare-panel .formulas').dataset.status === 'ok'")
    labels = page.p.evaluate("""() => [...document.querySelectorAll('#compare-panel .formula math')]
        .map(m => m.getAttribute('aria-label'))""")
    assert labels[0] == "f(x, y) = (x**2 + 2*x)*log(y)"
    assert labels[1] == "∂f/∂x = (2*x + 2)*log(y) = 2*(x + 1)*log(y)"
    assert labels[2] == "∂f/∂y = (x**2 + 2*x)/y = x*(x + 2)/y"
    assert page.p.locator("#compare-panel .formula[data-var=x] mfrac").count() == 1
    assert page.p.inner_text("#compare-panel .formula[data-var=x] .at b") == "2.773"
    # Chromium lays MathML out itself: a fraction is taller than a line of text.
    height = page.p.locator("#compare-panel .formula[data-var=y] math").bounding_box()["height"]
    assert height > 30
    shot(page, "#compare-panel", "methods-compare.png")


def test_method_and_h_change_the_numeric_column_and_the_link(page):
    page.open()
    wait_compare(page)
    page.p.check("#compare-panel input[name=fd-method][value=forward]", force=True)
    page.p.fill("#fd-h", "0.1")
    head = "document.querySelector('#compare-panel thead').textContent"
    wait_compare(page, f"{head}.includes('forward, h = 0.1')")
    # The lecture's point: a one-sided difference with a large step is visibly off.
    page.wait_for("document.querySelector('#compare-panel tr[data-var=y] .m-numeric .v')"
                  ".textContent === '1.464'")
    assert page.p.inner_text("#compare-panel tr[data-var=y] .m-numeric .err") == "error 0.036"
    assert page.p.inner_text("#compare-panel tr[data-var=y] .m-reverse .v") == "1.5"
    assert "method=forward" in page.p.url and "h=0.1" in page.p.url
    # The plot marks the chosen h.
    page.wait_for("document.querySelector('#plot-panel .chosen-h text')?.textContent === 'your h = 0.1'")
    # Something that is not a step is refused where it is typed, and nothing is asked.
    page.p.fill("#fd-h", "-3")
    assert page.p.get_attribute("#fd-h", "aria-invalid") is not None
    assert page.p.is_visible("#fd-h-error")
    page.p.fill("#fd-h", "1e-3")
    assert page.p.get_attribute("#fd-h", "aria-invalid") is None
    # A link with the method and the step opens with them.
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}, method="backward", h="0.01"))
    wait_compare(page, f"{head}.includes('backward, h = 0.01')")
    assert page.p.is_checked("#compare-panel input[name=fd-method][value=backward]")
    assert page.p.input_value("#fd-h") == "0.01"


def test_symbolic_budget_shows_progress_without_holding_up_the_graph(page):
    page.open(hash_for(SLOW, {"x": 1, "y": 2, "z": 0.5}))
    # The graph is on screen while SymPy is still at work (its budget is 2 s).
    assert page.output_label().startswith("f = ")
    page.wait_for("!document.querySelector('#compare-panel .symbolic-busy').hidden")
    assert "SymPy" in page.p.inner_text("#compare-panel .symbolic-busy")
    page.wait_for("document.querySelector('#compare-panel .symbolic-busy').hidden", timeout=20)
    wait_compare(page, "document.querySelectorAll('#compare-panel .formula[data-var]').length === 3")
    notes = page.p.inner_text("#compare-panel .formulas")
    assert "simplify did not finish" in notes
    assert page.p.locator("#compare-panel .formula .tag-note").count() == 3  # unsimplified, said so
    # The table has every method's number all the same.
    assert set(compare_cells(page)) == {"x", "y", "z"}


def test_formulas_come_with_the_table_then_simplified(page):
    """/compare answers at once with SymPy's unsimplified derivatives: they are shown while
    /symbolic simplifies, and its reason code (timeout here) says why simplify is missing."""
    page.open(hash_for(SLOW, {"x": 1, "y": 2, "z": 0.5}))
    page.wait_for("document.querySelector('#compare-panel .formulas').dataset.status === 'preview'")
    assert page.p.locator("#compare-panel .formula[data-var]").count() == 3
    assert page.p.locator("#compare-panel .formula[data-var] .at b").count() == 3  # values too
    page.wait_for("!document.querySelector('#compare-panel .symbolic-busy').hidden")
    assert "simplifying" in page.p.inner_text("#compare-panel .symbolic-busy")
    assert not page.p.locator("#compare-panel .formulas.stale").count()  # not dimmed: they are right
    page.wait_for("document.querySelector('#compare-panel .formulas').dataset.status === 'partial'",
                  timeout=20)
    assert page.p.get_attribute("#compare-panel .formulas", "data-reason") == "timeout"
    reason = page.p.locator("#compare-panel .formulas .note.reason")
    assert reason.inner_text() == "SymPy did not finish within its time budget."
    tags = [t.inner_text() for t in page.p.locator("#compare-panel .formula .tag-note").all()]
    assert tags == ["not simplified: the time budget ran out"] * 3
    page.p.click("#lang-ko")
    assert reason.inner_text() == "SymPy가 제한 시간 안에 끝내지 못했습니다."


def test_busy_sympy_is_told_by_its_reason_code_and_can_be_asked_again(page):
    """The page reads the server's reason codes, not its English notes: a /compare and a
    /symbolic whose SymPy workers were all busy are asked once more, then say so with a button."""
    asked = {"compare": 0, "symbolic": 0}

    def busy_compare(route):
        asked["compare"] += 1
        body = route.fetch().json()
        for row in body["rows"]:
            row["symbolic"] = None
        body.update(symbolic_status="partial", symbolic_reason="busy", symbolic={},
                    notes=["(a note the page does not read)"])
        route.fulfill(json=body)

    def busy_symbolic(route):
        asked["symbolic"] += 1
        route.fulfill(json={"status": "partial", "reason": "busy", "notes": ["(not read either)"],
                            "function": None, "derivatives": {}, "seconds": 2.0})

    page.p.route("**/api/v1/compare", busy_compare)
    page.p.route("**/api/v1/symbolic", busy_symbolic)
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}))
    page.wait_for("document.querySelector('#compare-panel .compare-notes').dataset.reason === 'busy'"
                  " && document.querySelector('#compare-panel .formulas').dataset.reason === 'busy'")
    assert asked == {"compare": 2, "symbolic": 2}  # each asked once more, a moment later
    assert page.p.inner_text("#compare-panel tr[data-var=x] .m-symbolic .v") == "—"
    notes = page.p.locator("#compare-panel .compare-notes .note.reason")
    assert notes.inner_text().startswith("All of SymPy's workers were busy.")
    assert page.p.locator("#compare-panel .formulas .note.reason .retry").count() == 1
    # Asked again by hand, with the workers free: the real answers.
    page.p.unroute("**/api/v1/compare")
    page.p.unroute("**/api/v1/symbolic")
    page.p.click("#compare-panel .compare-notes .retry")
    wait_compare(page, "document.querySelector('#compare-panel tr[data-var=x] .m-symbolic .v')"
                       ".textContent === '2.773'")
    assert page.p.locator("#compare-panel .compare-notes").is_hidden()
    page.p.click("#compare-panel .formulas .retry")
    page.wait_for("document.querySelector('#compare-panel .formulas').dataset.status === 'ok'")
    assert page.p.locator("#compare-panel .formulas .note").count() == 0
    assert page.p.locator("#compare-panel .formula.function").count() == 1


def test_symbolic_work_that_is_skipped_says_why(page):
    page.open(hash_for("9^9^9 * x", {"x": 1}))
    page.wait_for("document.querySelector('#compare-panel .formulas')?.dataset.status === 'skipped'")
    assert "skipped" in page.p.inner_text("#compare-panel .formulas")
    wait_compare(page)
    assert page.p.inner_text("#compare-panel tr[data-var=x] .m-symbolic .v") == "—"
    assert "skipped" in page.p.inner_text("#compare-panel .compare-notes")


# --- check my derivative ---------------------------------------------------------------------------

def test_check_my_derivative_agrees_and_differs(page):
    page.open(hash_for(ONE_VARIABLE, {"x": 1}))
    box = page.p.locator("#check-panel .check-item[data-var=x]")
    box.locator("input").fill("2*(x+1)*ln(x) + x + 2")
    box.locator("input").press("Enter")
    page.wait_for("document.querySelector('#check-panel .check-item[data-var=x] .check-result')"
                  ".dataset.verdict === 'agrees'")
    result = box.locator(".check-result").inner_text()
    assert "Agrees: this is ∂f/∂x." in result
    assert "simplifies to 0" in result and "Agrees at 5 of 5 points" in result
    shot(page, "#check-panel", "methods-check-agrees.png")

    box.locator("input").fill("2*x*ln(x)")
    box.locator("button").click()
    page.wait_for("document.querySelector('#check-panel .check-item[data-var=x] .check-result')"
                  ".dataset.verdict === 'differs'")
    result = box.locator(".check-result").inner_text()
    assert "Differs: this is not ∂f/∂x." in result
    assert "Yours − the true derivative = −x − 2·ln(x) − 2." in result
    # Where: expected against yours, the lecture's point first (f'(1) = 3, yours 0).
    first = box.locator(".check-points tbody tr").first
    assert [c.inner_text() for c in first.locator("td").all()] == ["1", "3", "0", "differs"]
    assert box.locator(".check-points tbody tr.bad").count() == 5
    shot(page, "#check-panel", "methods-check-differs.png")

    # A candidate that is not an expression gets the parser's message, not a verdict.
    page.expect_422 = True
    box.locator("input").fill("2*x +")
    box.locator("input").press("Enter")
    page.wait_for("document.querySelector('#check-panel .check-item[data-var=x] .check-result')"
                  ".dataset.verdict === 'error'")
    assert box.locator("input").get_attribute("aria-invalid") == "true"


# --- the error-vs-h plot ---------------------------------------------------------------------------

def plot_state(page: Page) -> dict:
    return page.p.evaluate("""() => {
        const svg = document.querySelector('#plot-panel svg.error-plot');
        return {
            variable: svg.dataset.variable, dtype: svg.dataset.dtype,
            curves: [...svg.querySelectorAll('.curve')].map(g => ({ method: g.dataset.method,
                points: g.querySelectorAll('.marks > *').length,
                d: g.querySelector('.line').getAttribute('d') })),
            slopes: Object.fromEntries([...svg.querySelectorAll('.slope-label')].map(t =>
                [t.dataset.method, Number(t.dataset.slope)])),
            slopeText: [...svg.querySelectorAll('.slope-label')].map(t => t.textContent),
            rings: svg.querySelectorAll('.best .ring').length,
            xTicks: [...svg.querySelectorAll('.tick-label.x')].map(t => t.textContent),
            yTicks: svg.querySelectorAll('.tick-label.y').length,
            titles: [...svg.querySelectorAll('.axis-title')].map(t => t.textContent),
        };
    }""")


def test_error_plot_draws_three_curves_with_their_slopes(page):
    page.open()
    page.wait_for("document.querySelector('#plot-panel svg.error-plot .curve')")
    state = plot_state(page)
    # For x, (x^2 + 2x) ln y is quadratic: central differences have no truncation error to fit,
    # so the plot opens on y, where all three have one.
    assert state["variable"] == "y" and state["dtype"] == "float64"
    assert [c["method"] for c in state["curves"]] == ["forward", "backward", "central"]
    assert all(c["points"] == 13 and c["d"].startswith("M") for c in state["curves"])
    assert 0.8 < state["slopes"]["forward"] < 1.2
    assert 0.8 < state["slopes"]["backward"] < 1.2
    assert 1.8 < state["slopes"]["central"] < 2.2
    assert all(re.fullmatch(r"slope \d\.\d+|slope \d", s) for s in state["slopeText"])
    assert state["rings"] == 3  # the best h of each method
    assert "10⁻¹²" in state["xTicks"] and state["yTicks"] >= 4
    assert state["titles"] == ["step h", "absolute error"]
    legend = page.p.inner_text("#plot-panel .plot-legend")
    assert "Central difference" in legend and "theory 2" in legend and "best h = 1e-5" in legend
    shot(page, "#plot-panel", "methods-error-plot.png")

    # float32: round-off takes over far sooner.
    page.p.check("#plot-f32")
    page.wait_for("document.querySelector('#plot-panel svg.error-plot')?.dataset.dtype === 'float32'")
    assert "dtype=float32" in page.p.url
    shot(page, "#plot-panel .plot-box", "methods-error-plot-float32.png")
    page.p.uncheck("#plot-f32")
    page.wait_for("document.querySelector('#plot-panel svg.error-plot')?.dataset.dtype === 'float64'")

    # A range of one's own: largest, smallest, how many.
    page.p.fill("#plot-panel .range-largest", "0.01")
    page.p.fill("#plot-panel .range-smallest", "1e-9")
    page.p.fill("#plot-panel .range-count", "8")
    page.p.locator("#plot-panel .range-count").press("Tab")
    page.wait_for("[...document.querySelectorAll('#plot-panel .curve')].every(g =>"
                  " g.querySelectorAll('.marks > *').length === 8)")
    assert plot_state(page)["xTicks"][-1] == "10⁻²"
    # A range upside down is refused where it is typed.
    page.p.fill("#plot-panel .range-smallest", "1")
    page.p.locator("#plot-panel .range-smallest").press("Tab")
    assert page.p.is_visible("#plot-panel .range-error")
    # Another variable, chosen by hand.
    page.p.select_option("#plot-var", "x")
    assert plot_state(page)["variable"] == "x"


# --- the paths view ------------------------------------------------------------------------------

def test_paths_view_lists_the_lectures_three_paths_and_lights_them_up(page):
    page.open(hash_for(NAMED, {"x": 1, "y": 2}))
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 3")
    assert page.p.input_value("#paths-var") == "x"
    assert page.p.inner_text("#paths-panel .paths-head").startswith("3 paths from x to f")
    routes = [r.inner_text() for r in page.p.locator("#paths-panel .path .route").all()]
    assert routes == ["1\nx → a → c → f", "2\nx → a → c → f", "3\nx → b → c → f"]
    chain = page.p.locator("#paths-panel .path").nth(2).locator(".chain")
    assert [v.inner_text() for v in chain.locator(".fval").all()] == ["0.6931", "1", "2"]
    assert [v.inner_text() for v in chain.locator(".fname").all()] == ["∂f/∂c", "∂c/∂b", "∂b/∂x"]
    assert chain.locator(".product").inner_text() == "1.386"
    # The lecture's sum, and that it is the gradient.
    assert page.p.inner_text("#paths-panel .paths-sum") == (
        "∂f/∂x = 0.6931 × 1 × 1 + 0.6931 × 1 × 1 + 0.6931 × 1 × 2 = 2.773")
    assert page.p.get_attribute("#paths-panel .paths-sum .total", "title") == "2.772588722239781"
    assert "backward pass's gradient ∂f/∂x = 2.773" in page.p.inner_text("#paths-panel .paths-grad")

    lit = """() => ({ tracing: document.querySelector('.graph-svg').classList.contains('tracing'),
        edges: [...document.querySelectorAll('.graph-svg .edge.on-path')].map(e => e.dataset.id),
        nodes: [...document.querySelectorAll('.graph-svg .node.on-path')].map(n => n.dataset.name) })"""
    assert page.p.evaluate(lit) == {"tracing": False, "edges": [], "nodes": []}
    body = httpx.post(f"{page.url}/api/v1/paths", json={"expression": NAMED, "values": {"x": 1, "y": 2},
                                                         "variable": "x"}).json()
    page.p.hover("#paths-panel .path[data-index='2']")
    shown = page.p.evaluate(lit)
    assert shown["tracing"] is True
    assert sorted(shown["edges"]) == sorted(body["paths"][2]["edges"])
    assert sorted(shown["nodes"]) == ["b", "c", "f", "x"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.screenshot(path=str(ARTIFACTS / "methods-paths-hover.png"))
    page.p.mouse.move(0, 0)
    assert page.p.evaluate(lit)["tracing"] is False
    # By keyboard: focusing a path lights it up as well.
    page.p.focus("#paths-panel .path[data-index='0']")
    assert sorted(page.p.evaluate(lit)["edges"]) == sorted(body["paths"][0]["edges"])
    page.p.keyboard.press("ArrowDown")  # the next path (the list is one tab stop)
    page.p.keyboard.press("ArrowDown")
    assert page.p.evaluate("document.activeElement.dataset.index") == "2"
    assert sorted(page.p.evaluate(lit)["edges"]) == sorted(body["paths"][2]["edges"])
    page.blur()
    assert page.p.evaluate(lit)["tracing"] is False
    shot(page, "#paths-panel", "methods-paths.png")

    # y has one path: ∂f/∂d · ∂d/∂y = 3 × 0.5.
    page.p.select_option("#paths-var", "y")
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 1")
    assert page.p.inner_text("#paths-panel .paths-sum") == "∂f/∂y = 3 × 0.5 = 1.5"


def test_paths_name_nodes_as_the_graph_does(page):
    """One name per node (issue 13): a factor is ∂f/∂(x^2 + 2x), the server's display name, as
    the graph, the table and the derivation write it (not ∂f/∂n4). Only a sub-expression the
    server itself calls by its id (a long one, n8) is an id: its whole expression on hover and
    in a "where" line, the id on the graph."""
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}))
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 2")
    chain = page.p.locator("#paths-panel .path").nth(0).locator(".chain")
    names = [v.inner_text() for v in chain.locator(".fname").all()]
    assert names == ["∂f/∂(x^2 + 2x)", "∂(x^2 + 2x)/∂(x^2)", "∂(x^2)/∂x"]
    assert [chain.locator(".fname").nth(k).get_attribute("title") for k in range(3)] == [None] * 3
    assert page.p.locator("#paths-panel .paths-where").count() == 0
    label = page.p.get_attribute("#paths-panel .path[data-index='0']", "aria-label")
    assert "∂f/∂(x^2 + 2x) = 0.6931" in label
    assert page.p.inner_text("#paths-panel .paths-sum") == "∂f/∂x = 0.6931 × 1 × 2 + 0.6931 × 1 × 2 = 2.773"

    long = "(x^2 + 2x + 3x^3) * ln(y)"
    graph = api_graph(page.url, long, {"x": 1, "y": 2}, layout=False)
    by_id = [n["id"] for n in graph["nodes"] if n["kind"] == "op" and n["display"] == n["id"]]
    assert len(by_id) == 1  # the server's own name for x^2 + 2x + 3x^3: too long to write
    n = by_id[0]
    page.open(hash_for(long, {"x": 1, "y": 2}))
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 3")
    first = page.p.locator("#paths-panel .path").nth(0).locator(".chain .fname").nth(0)
    assert first.inner_text() == f"∂f/∂{n}"
    # Spelt out over its inputs' names (no printing rules in the page: each operand bracketed).
    assert first.get_attribute("title") == "∂f/∂((x^2 + 2x) + (3x^3))"
    assert page.p.inner_text("#paths-panel .paths-where") == f"where {n} = (x^2 + 2x) + (3x^3)"
    assert page.p.text_content(f".graph-svg .node[data-id='{n}'] .tag") == n


GRAPH_SEEN = """() => {
    const r = document.getElementById('graph').getBoundingClientRect();
    return (Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) / Math.min(r.height, innerHeight);
}"""


def settled_scroll(tab, tries: int = 40) -> float:
    """The page's scrollY once two readings 250 ms apart agree (the page is not scrolling)."""
    last = tab.p.evaluate("scrollY")
    for _ in range(tries):
        tab.p.wait_for_timeout(250)
        now = tab.p.evaluate("scrollY")
        if now == last:
            return now
        last = now
    raise AssertionError("the page kept scrolling")


def test_lighting_a_path_brings_the_graph_into_view(browser, server):
    """Far down the page, a path lit from the paths view scrolls the graph back into view: on a
    laptop (the paths view is sticky beside it) by hovering, on a narrow screen by focus, the
    path staying on screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US",
                                  reduced_motion="reduce")
    try:
        tab = Page(context.new_page(), server).open(hash_for(NAMED, {"x": 1, "y": 2}))
        tab.wait_for("document.querySelectorAll('#paths-panel .path').length === 3")
        tab.p.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        tab.wait_for("scrollY > 600")
        assert tab.p.evaluate(GRAPH_SEEN) <= 0
        tab.p.hover("#paths-panel .path[data-index='2']")
        tab.wait_for(f"({GRAPH_SEEN})() > 0.95")
        tab.p.wait_for_timeout(500)
        # The path hovered stays lit, though the list may have slid under the still pointer.
        lit = tab.p.evaluate("[...document.querySelectorAll('.graph-svg .node.on-path')]"
                             ".map(n => n.dataset.name)")
        assert sorted(lit) == ["b", "c", "f", "x"]
        assert tab.p.locator("#paths-panel .path[data-index='2']").is_visible()
        tab.p.screenshot(path=str(ARTIFACTS / "methods-paths-hover-scrolled.png"))
        # Passing over a path on the way elsewhere does not move the page. First let the scroll
        # to the bottom settle (a reveal's smooth scroll may still be running on a busy machine).
        tab.p.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        tab.wait_for("scrollY > 600")
        before = settled_scroll(tab)
        # The pointer enters and leaves in one task (a real pass takes a few ms; on a loaded
        # machine Playwright's two moves could be far enough apart to count as a hover).
        tab.p.evaluate("""() => {
            const li = document.querySelector("#paths-panel .path[data-index='1']");
            li.dispatchEvent(new PointerEvent("pointerenter"));
            li.dispatchEvent(new PointerEvent("pointerleave"));
        }""")
        tab.p.wait_for_timeout(400)
        assert tab.p.evaluate("scrollY") == before
        assert tab.errors == []

        tab.p.set_viewport_size({"width": 800, "height": 900})  # the paths view is below the graph
        tab.p.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        tab.wait_for(f"({GRAPH_SEEN})() <= 0")
        tab.p.focus("#paths-panel .path[data-index='0']")
        tab.wait_for(f"({GRAPH_SEEN})() > 0")
        box = tab.p.locator("#paths-panel .path[data-index='0']").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900
        assert tab.errors == []
    finally:
        context.close()


def test_paths_view_says_when_the_list_is_cut(page):
    page.open(hash_for(SQUARINGS, {"x": 1}))
    page.wait_for("document.querySelector('#paths-panel .paths-box')?.dataset.truncated === 'true'")
    assert page.p.inner_text("#paths-panel .paths-head") == "Showing 100 of 256 paths from x to k."
    assert page.p.locator("#paths-panel .path").count() == 100
    assert "∂k/∂x = 256" in page.p.inner_text("#paths-panel .paths-grad")


# --- passes, narration, snippet, typing -------------------------------------------------------------

def test_passes_needed_are_shown_beside_the_pass(page):
    page.open(hash_for(NAMED, {"x": 1, "y": 2}))
    note = page.p.locator("#passes-note")
    page.wait_for("document.querySelector('#passes-note').textContent.includes('local derivatives')")
    text = note.inner_text()
    assert "reverse mode 1 (one per output, m = 1)" in text
    assert "forward mode 2 (one per input, n = 2)" in text
    assert note.locator(".mode.reverse.current").count() == 1
    page.p.check("input[name=pass][value=forward]")
    page.wait_for("document.body.dataset.pass === 'forward'")
    assert note.is_visible()
    assert note.locator(".mode.forward.current").count() == 1
    cost = httpx.post(f"{page.url}/api/v1/compare", json={"expression": NAMED, "values": {"x": 1, "y": 2}}
                      ).json()["cost"]
    assert f"{cost['forward_ops']['x']} local derivatives for x" in note.inner_text()
    shot(page, ".graph-card", "methods-forward-mode-passes.png")


def test_backward_narration_names_the_local_derivative(page):
    page.open(hash_for(NAMED, {"x": 1, "y": 2}, step=0))
    page.wait_for("window.chainrule.app.functions && window.chainrule.app.functions.size > 0")
    page.blur()
    seen = []
    for _ in range(page.count()):
        page.p.keyboard.press("ArrowRight")
        seen.append(page.narration())
    assert "∂f/∂c = d = 0.6931, so c's gradient += 1 × 0.6931" in seen
    assert "∂f/∂d = c = 3, so d's gradient += 1 × 3" in seen
    assert "∂d/∂y = 1/y = 0.5, so y's gradient += 3 × 0.5" in seen
    page.open(hash_for("f = sin(x) * y", {"x": 1, "y": 2}, step=0))
    page.blur()
    seen = []
    for _ in range(page.count()):
        page.p.keyboard.press("ArrowRight")
        seen.append(page.narration())
    assert any(s.startswith("∂f/∂(sin(x)) = y = 2, so sin(x)'s gradient += 1 × 2") for s in seen), seen
    assert any("= cos(x) = 0.5403" in s for s in seen), seen


def test_pytorch_snippet_and_copy(page):
    page.p.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.url)
    page.open(hash_for(NAMED, {"x": 1, "y": 2}))
    page.p.click("#snippet-panel summary")
    page.wait_for("document.querySelector('#snippet-panel')?.dataset.state === 'ready'")
    code = page.p.inner_text("#snippet-panel code")
    assert "x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)" in code
    assert "d = torch.log(y)" in code and "torch.autograd.grad(f, (x, y))" in code
    compile(code, "snippet.py", "exec")  # valid Python
    page.p.click("#snippet-panel .copy")
    page.wait_for("document.querySelector('#snippet-panel .copy-status').textContent !== ''")
    assert page.p.inner_text("#snippet-panel .copy-status") == "Copied."
    assert page.p.evaluate("navigator.clipboard.readText()") == code.strip() + "\n"
    shot(page, "#snippet-panel", "methods-snippet.png")
    # The lecture's torch.autograd.grad(f, (x, x)): chosen inputs, repeats allowed.
    page.p.fill("#snippet-wrt", "x, x")
    page.p.press("#snippet-wrt", "Enter")
    page.wait_for("document.querySelector('#snippet-panel code').textContent"
                  ".includes('torch.autograd.grad(f, (x, x))')")


def test_typing_a_new_variable_asks_parse_first_so_no_422(page):
    page.open()
    statuses: list[tuple[str, int]] = []
    page.p.on("response", lambda r: statuses.append((r.url.rsplit("/", 1)[-1], r.status)))
    before = page.renders()
    page.p.fill("#expr", "(x^2 + 2x) * ln(y) + z")
    page.wait_render(before)
    assert page.p.locator("#variables .var").count() == 3
    wait_compare(page, "document.querySelectorAll('#compare-panel .compare-table tbody tr').length === 3")
    assert ("parse", 200) in statuses and ("graph", 200) in statuses
    assert [s for s in statuses if s[1] >= 400] == []
    # Typing a longer name letter by letter, slowly enough for each to reach the server:
    # z, zw, zwq are each a new variable when they arrive.
    page.p.click("#expr")
    page.p.keyboard.press("End")
    page.p.keyboard.type("wq", delay=400)
    page.wait_for("document.querySelector('#variables .var[data-name=\"zwq\"]')")
    assert [s for s in statuses if s[1] >= 400] == []
    assert sum(1 for s in statuses if s == ("parse", 200)) >= 3
    # The panels follow the graph: a row and a check box for the new name.
    wait_compare(page, "document.querySelector('#compare-panel .compare-table tr[data-var=zwq]')")
    assert page.p.locator("#check-panel .check-item[data-var=zwq]").count() == 1


def test_panels_fetch_only_while_open(page):
    page.open()
    wait_compare(page, "document.querySelectorAll('#compare-panel .formula[data-var]').length === 2"
                       " && document.querySelector('#compare-panel .formulas').dataset.status === 'ok'")
    asked: list[str] = []
    page.p.on("request", lambda r: asked.append(r.url.rsplit("/", 1)[-1]))
    page.p.click("#compare-panel summary")  # close it
    before = page.renders()
    page.p.fill('#variables .var[data-name="y"] input[type=number]', "3")
    page.wait_render(before)
    page.p.wait_for_timeout(600)
    assert "compare" not in asked and "symbolic" not in asked
    assert "numeric" in asked and "paths" in asked  # the open panels follow the new point
    page.p.click("#compare-panel summary")  # open: it catches up
    wait_compare(page, "document.querySelector('#compare-panel tr[data-var=y] .m-reverse .v')"
                       ".textContent === '1'")
    assert "compare" in asked


def test_panels_in_korean(page):
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}, lang="ko"))
    wait_compare(page)
    head = page.p.inner_text("#compare-panel thead")
    assert "심파이 직접미분" in head and "수치미분" in head and "중앙, h = 0.001" in head
    assert page.p.inner_text("#compare-panel summary .card-title") == "미분 방식 결과 비교"
    page.wait_for("document.querySelector('#plot-panel svg.error-plot .axis-title')")
    titles = page.p.evaluate("() => [...document.querySelectorAll('#plot-panel .axis-title')]"
                             ".map(t => t.textContent)")
    assert titles == ["간격 h", "절대 오차"]
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 2")
    assert page.p.inner_text("#paths-panel .paths-head").startswith("x에서 f까지 경로 2개")
    assert "필요한 계산 횟수" in page.p.inner_text("#passes-note")
    page.p.click("#lang-en")
    assert "Symbolic" in page.p.inner_text("#compare-panel thead")
    assert page.p.inner_text("#paths-panel .paths-head").startswith("2 paths from x to f")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_shows_the_panels_within_its_width(browser, server, scheme):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-US",
                                  color_scheme=scheme, has_touch=True, is_mobile=True)
    try:
        tab = Page(context.new_page(), server).open()
        tab.p.click("#snippet-panel summary")
        tab.wait_for("document.querySelector('#plot-panel svg.error-plot .curve')"
                     " && document.querySelectorAll('#compare-panel .compare-table tbody tr').length === 2"
                     " && document.querySelector('#snippet-panel').dataset.state === 'ready'"
                     " && document.querySelectorAll('#paths-panel .path').length === 2")
        width = tab.p.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width}px wide on a 375px screen"
        plot = tab.p.locator("#plot-panel svg.error-plot").bounding_box()
        assert plot["width"] <= 360
        for panel in ("#compare-panel", "#plot-panel", "#paths-panel"):
            shot(tab, panel, f"methods-phone-{scheme}-{panel[1:]}.png")
        assert tab.errors == []
    finally:
        context.close()


def test_wide_projector_view(browser, server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    try:
        tab = Page(context.new_page(), server).open(hash_for(NAMED, {"x": 1, "y": 2}))
        tab.wait_for("document.querySelectorAll('#compare-panel .compare-table tbody tr').length === 2"
                     " && document.querySelector('#plot-panel svg.error-plot .curve')"
                     " && document.querySelectorAll('#paths-panel .path').length === 3")
        # The paths view sits beside the graph, the table above it.
        graph = tab.p.locator(".graph-card").bounding_box()
        paths = tab.p.locator("#paths-panel").bounding_box()
        assert paths["x"] > graph["x"] + graph["width"]
        ARTIFACTS.mkdir(exist_ok=True)
        tab.p.screenshot(path=str(ARTIFACTS / "methods-projector.png"), full_page=False)
        assert tab.errors == []
    finally:
        context.close()


@pytest.mark.skipif(not TORCH, reason="PyTorch is not installed: the table has no PyTorch column "
                                      "(test_comparison_panel_shows_the_lectures_numbers_in_every_column)")
def test_pytorch_column_when_the_server_has_pytorch(page):
    page.open(hash_for("1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
                       {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, digits=5))
    wait_compare(page)
    assert "PyTorch autograd" in page.p.locator("#compare-panel .compare-table thead").inner_text()
    cells = compare_cells(page)
    assert cells["w0"]["m-pytorch"] == cells["w0"]["m-reverse"] == "\u22120.19661"
    assert all(row["m-pytorch"] == row["m-reverse"] for row in cells.values())


def test_a_long_paths_factors_and_where_line_name_only_what_is_shown(page):
    """A path longer than nine edges shows its first and last three factors around "… k more";
    the "where" line defines exactly the ids those factors and the route show (the hidden
    middle's ids are neither named nor defined)."""
    expression = "sin(" * 12 + "x^2 + 2x + 3x^3" + ")" * 12 + " * ln(y)"
    page.open(hash_for(expression, {"x": 0.1, "y": 2}))
    page.wait_for("document.querySelectorAll('#paths-panel .path').length === 3")
    got = page.p.evaluate("""() => {
        const all = (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent);
        return {names: all('#paths-panel .path .fname'), routes: all('#paths-panel .path .route'),
                where: all('#paths-panel .paths-where .def b'),
                more: all('#paths-panel .factor.more .fname')};
    }""")
    # x → x^2 → x^2 + 2x → n → 12 sines → f: 16 edges, 10 of them in "… 10 more …", on each path.
    assert got["more"] == ["10 more factors"] * 3
    assert len(got["names"]) == 3 * 7  # six factors and the "more" one, a path
    shown = set(re.findall(r"\bn\d+\b", " ".join(got["names"] + got["routes"])))
    assert got["where"] and set(got["where"]) == shown
