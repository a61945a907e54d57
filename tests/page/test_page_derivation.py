"""The chain rule at a node (issue 13, "a derivation per node"), in real Chromium against a real
`chainrule serve`: choose a node, or step the backward pass onto it, and its line is staged
(formula, values, number); each term is linked to its edge on the graph; the line copies as
LaTeX. The numbers are the lecture's (tests/test_lecture.py) as the table shows them.
The server, browser and tab helpers are test_page.py's.
"""

from __future__ import annotations

import httpx
import test_page
from test_page import api_graph, hash_for

page = test_page.page

LECTURE = "(x^2 + 2x) * ln(y)"
AT = {"x": 1, "y": 2}

LINES = """() => [...document.querySelectorAll('#derivation .deriv-line')].map(l => ({
    stage: l.dataset.stage, known: l.classList.contains('known'), text: l.textContent.trim(),
    edges: [...l.querySelectorAll('.term')].map(t => t.dataset.edge) }))"""


def node_id(page, name: str) -> str:
    return page.p.get_attribute(f'.graph-svg .node[data-name="{name}"][data-copy="0"]', "data-id")


def table_grad(page, node: str) -> str:
    return page.p.inner_text(f'#table tr[data-id="{node}"] td.grad').strip()


def test_derivation_of_x_is_the_lectures_chain_rule_and_equals_the_tables_gradient(page):
    page.open(hash_for(LECTURE, AT))
    graph = api_graph(page.url, LECTURE, AT, layout=False)
    x = node_id(page, "x")
    # Nothing chosen yet: a hint.
    assert page.p.get_attribute("#derivation", "data-node") == ""
    page.p.click(f'.graph-svg .node[data-id="{x}"] .shape')
    page.wait_for(f"document.getElementById('derivation').dataset.node === '{x}'")
    lines = page.p.evaluate(LINES)
    assert [ln["stage"] for ln in lines] == ["formula", "values", "result"]
    assert all(ln["known"] for ln in lines)
    # Names as the graph and the table write them: x^2 bracketed, 2x one word.
    assert lines[0]["text"] == "∂f/∂x = ∂f/∂(x^2)·∂(x^2)/∂x + ∂f/∂2x·∂2x/∂x"
    # The lecture's numbers: ∂f/∂(x^2) = ∂f/∂(2x) = ln 2 = 0.6931, each local derivative 2.
    assert lines[1]["text"] == "= 0.6931 × 2 + 0.6931 × 2"
    assert lines[2]["text"] == "= 2.773"
    # The number is the gradient the table shows for x.
    assert table_grad(page, x).endswith("= 2.773") or table_grad(page, x) == "2.773"
    assert table_grad(page, x).split("= ")[-1] == lines[2]["text"].removeprefix("= ")
    # Each term names its edge: x → x^2 and x → 2x, in the graph's order.
    into = {e["target"]: e["id"] for e in graph["edges"] if e["source"] == x}
    x2, twox = node_id(page, "x^2"), node_id(page, "2x")
    assert lines[0]["edges"] == [into[x2], into[twox]] == lines[1]["edges"]

    # Korean: the same line, the title in Korean.
    page.p.click("#lang-ko")
    page.wait_for("document.documentElement.lang === 'ko'")
    assert page.p.inner_text("#derivation .deriv-title") == "x에서의 연쇄 법칙"
    assert page.p.evaluate(LINES)[2]["text"] == "= 2.773"
    assert page.p.inner_text("#derivation .deriv-copy") == "LaTeX로 복사"


def test_derivation_is_staged_while_stepping_the_backward_pass(page):
    page.open(hash_for(LECTURE, AT))
    x = node_id(page, "x")
    page.blur()
    page.p.keyboard.press("Home")
    # Step until the backward pass first works on x: its derivation follows the player.
    for _ in range(page.count()):
        page.p.keyboard.press("ArrowRight")
        if page.p.get_attribute("#derivation", "data-node") == x:
            break
    assert page.p.get_attribute("#derivation", "data-node") == x
    lines = page.p.evaluate(LINES)
    # The formula and the values are there; the number waits for the second term to arrive.
    assert [ln["known"] for ln in lines] == [True, True, False]
    assert page.p.locator("#derivation .deriv-line[data-stage=values] .term.current").count() == 1
    assert page.p.is_hidden("#derivation .deriv-copy")
    page.p.keyboard.press("End")
    page.wait_for("document.body.dataset.step === document.body.dataset.count")
    assert [ln["known"] for ln in page.p.evaluate(LINES)] == [True, True, True]
    # Enter on a focused node chooses it too.
    y = node_id(page, "y")
    page.p.focus(f'.graph-svg .node[data-id="{y}"][data-copy="0"]')
    page.p.keyboard.press("Enter")
    page.wait_for(f"document.getElementById('derivation').dataset.node === '{y}'")
    lines = page.p.evaluate(LINES)
    assert lines[0]["text"] == "∂f/∂y = ∂f/∂(ln(y))·∂(ln(y))/∂y"
    assert lines[1]["text"] == "= 3 × 0.5"
    assert lines[2]["text"] == "= 1.5"


def test_hovering_a_term_lights_its_edge_and_the_edge_lights_its_term(page):
    page.open(hash_for(LECTURE, AT))
    x = node_id(page, "x")
    page.p.click(f'.graph-svg .node[data-id="{x}"] .shape')
    page.wait_for(f"document.getElementById('derivation').dataset.node === '{x}'")
    edges = page.p.evaluate(LINES)[0]["edges"]
    # The passes note above this panel gains the server's counts when /compare answers (late on
    # a busy machine): wait for it, or the line would move from under the pointer mid-test.
    page.wait_for("document.getElementById('passes-note').dataset.cost === 'server'", timeout=60)
    lit = "() => [...document.querySelectorAll('.graph-svg .edge.on-path')].map(e => e.dataset.id)"
    for k, edge in enumerate(edges):
        page.p.hover(f"#derivation .deriv-line[data-stage=formula] .term >> nth={k}")
        assert page.p.evaluate(lit) == [edge]
        assert page.p.evaluate("document.querySelector('.graph-svg').classList.contains('tracing')")
    page.p.mouse.move(0, 0)
    assert page.p.evaluate(lit) == []
    # The other way: pointing at an edge's number on the graph lights its terms.
    page.p.hover(f'.graph-svg .edge[data-id="{edges[1]}"] .llabel')
    linked = page.p.evaluate(
        "() => [...document.querySelectorAll('#derivation .term.linked')].map(t => t.dataset.edge)")
    assert linked == [edges[1], edges[1]]  # its term in the formula and in the values


def test_copy_as_latex(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    tab = test_page.Page(context.new_page(), server)
    try:
        tab.open(hash_for(LECTURE, AT))
        x = node_id(tab, "x")
        tab.p.click(f'.graph-svg .node[data-id="{x}"] .shape')
        tab.wait_for(f"document.getElementById('derivation').dataset.node === '{x}'")
        tab.p.click("#derivation .deriv-copy")
        tab.wait_for("document.querySelector('#derivation .deriv-status').textContent !== ''")
        assert tab.p.inner_text("#derivation .deriv-status") == "Copied."
        copied = tab.p.evaluate("() => navigator.clipboard.readText()")
        assert copied == (
            r"\frac{\partial f}{\partial x} = "
            r"\frac{\partial f}{\partial (x^{2})} \cdot \frac{\partial (x^{2})}{\partial x} + "
            r"\frac{\partial f}{\partial 2x} \cdot \frac{\partial 2x}{\partial x} = "
            r"0.6931 \cdot 2 + 0.6931 \cdot 2 = 2.773")
        assert tab.errors == []
    finally:
        context.close()


def test_gallery_shows_the_lectures_examples_and_opens_one_on_click(page):
    """The examples as cards on the page from the first load (issue 13, "an examples gallery"),
    each with a small drawing of its graph from the server's layout; a click opens it."""
    page.open(hash_for(LECTURE, AT))
    body = httpx.get(f"{page.url}/api/v1/examples").json()
    examples = body if isinstance(body, list) else body["examples"]
    page.wait_for(f"document.querySelectorAll('#gallery .ex-card').length === {len(examples)}")
    cards = page.p.locator("#gallery .ex-card")
    shown = [cards.nth(k).get_attribute("data-id") for k in range(cards.count())]
    assert shown == [ex["id"] for ex in examples]
    unit = next(ex for ex in examples if ex["id"] == "unit-functions")
    card = page.p.locator('#gallery .ex-card[data-id="unit-functions"]')
    assert card.locator(".ex-title").inner_text() == unit["title"]["en"]
    card.scroll_into_view_if_needed()
    # Its drawing: the graph's nodes (x, y, 2 and the five operations) from the server's layout.
    graph = api_graph(page.url, unit["expression"], unit["values"])
    page.wait_for("document.querySelector('#gallery .ex-card[data-id=\"unit-functions\"] .ex-svg') !== null")
    assert card.locator(".ex-node").count() == len(graph["layout"]["nodes"])
    assert card.locator("ellipse.ex-node").count() == sum(n["kind"] == "op" for n in graph["nodes"])
    renders = int(page.p.get_attribute("body", "data-renders"))
    card.click()
    page.wait_for(f"Number(document.body.dataset.renders) > {renders}")
    page.wait_for("document.body.dataset.status === 'ready'")
    assert page.p.input_value("#expr") == unit["expression"]
    assert page.p.input_value("#preset") == "unit-functions"
    assert page.p.locator('.graph-svg .node[data-name="c"]').count() == 1
    # Korean titles.
    page.p.click("#lang-ko")
    page.wait_for("document.documentElement.lang === 'ko'")
    assert card.locator(".ex-title").inner_text() == unit["title"]["ko"]
    assert page.p.inner_text("#gallery-title") == "강의 예제"
