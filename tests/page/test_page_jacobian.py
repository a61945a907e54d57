"""Several outputs on the page (issue 15), in real Chromium against a real `chainrule serve`
(the server, browser and tab helpers are test_page.py's): the node differentiated chosen and
kept in the URL; the Jacobian of x*y, x + y, sin(x) filled column by column (forward mode) and
row by row (reverse mode) with each pass's count of local derivatives, a pass replayed on the
main graph; the cost of each mode on the generated family; the backward pass of the lecture's
f drawn as a graph beside f, linked to it, and stepped to ∂²f/∂x² = 2 ln 2 at (1, 2).
"""

from __future__ import annotations

import math
import urllib.parse

import httpx
import test_page
from test_page import ARTIFACTS, Page, api_graph, hash_for

page = test_page.page

THREE = "x*y, x + y, sin(x)"
AT = {"x": 1, "y": 2}
LECTURE = "(x^2 + 2x) * ln(y)"


def open_panel(page: Page, panel: str) -> None:
    page.p.click(f"#{panel} > summary")
    page.wait_for(f"document.getElementById('{panel}').dataset.state === 'ready'", timeout=20)


IDS = "els => els.map(e => e.dataset.id)"


def filled(page: Page) -> set[tuple[int, int]]:
    """The Jacobian's cells filled so far, as (row, column)."""
    cells = page.p.evaluate("""() => [...document.querySelectorAll('#jacobian-panel .jm-cell.filled')]
        .map(td => [Number(td.dataset.row), Number(td.dataset.col)])""")
    return {tuple(c) for c in cells}


def cell_texts(page: Page) -> list[list[str]]:
    return page.p.evaluate("""() => [...document.querySelectorAll('#jacobian-panel .jm-table tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))""")


def pass_counts(page: Page) -> list[int]:
    return [int(c) for c in page.p.eval_on_selector_all(
        "#jacobian-panel .jm-pass-count", "els => els.map(e => e.dataset.count)")]


def jm_step(page: Page) -> int:
    return int(page.p.get_attribute("#jacobian-panel", "data-step"))


def test_the_jacobian_fills_by_columns_forward_and_by_rows_in_reverse(page, server):
    page.open(hash_for(THREE, AT))
    open_panel(page, "jacobian-panel")
    answer = httpx.post(f"{server}/api/v1/jacobian", json={"expression": THREE, "values": AT}).json()
    # The lecture's arithmetic as the oracle: ∂(xy, x + y, sin x)/∂(x, y) at (1, 2).
    expected = [["2", "1"], ["1", "1"], [f"{math.cos(1):.4f}", "0"]]
    assert page.p.inner_text("#jacobian-panel .jm-caption") == "The Jacobian ∂(f1, f2, f3)/∂(x, y): 3 × 2"

    # Forward mode: one tangent pass per input, each filling a column.
    assert page.p.get_attribute("#jacobian-panel", "data-mode") in (None, "forward")
    assert page.p.inner_text("#jacobian-panel .jm-count") == "pass 0 of 2"
    assert filled(page) == set()
    assert pass_counts(page) == answer["forward"]["locals_per_pass"] == [3, 2]
    page.p.click("#jacobian-panel .jm-next")
    assert filled(page) == {(0, 0), (1, 0), (2, 0)}
    assert [row[0] for row in cell_texts(page)] == ["2", "1", expected[2][0]]
    assert [row[1] for row in cell_texts(page)] == ["·", "·", "·"]
    assert page.p.locator("#jacobian-panel .jm-pass.current").get_attribute("data-pass") == "1"
    page.p.click("#jacobian-panel .jm-next")
    assert filled(page) == {(i, j) for i in range(3) for j in range(2)}
    assert cell_texts(page) == expected
    assert page.p.inner_text("#jacobian-panel .jm-count") == "pass 2 of 2"
    assert page.p.is_disabled("#jacobian-panel .jm-next")

    # Reverse mode: one adjoint pass per output, each filling a row; played by its own timer.
    page.p.check('#jacobian-panel input[name="jm-mode"][value="reverse"]')
    assert filled(page) == set()
    assert pass_counts(page) == answer["reverse"]["locals_per_pass"] == [2, 2, 1]
    seen = []
    for k in range(1, 4):
        page.p.click("#jacobian-panel .jm-next")
        assert jm_step(page) == k
        seen.append(filled(page))
    assert seen == [{(0, 0), (0, 1)}, {(0, 0), (0, 1), (1, 0), (1, 1)},
                    {(i, j) for i in range(3) for j in range(2)}]
    assert cell_texts(page) == expected
    page.p.click("#jacobian-panel .jm-start")
    assert filled(page) == set()
    page.p.click("#jacobian-panel .jm-play")
    page.wait_for("document.getElementById('jacobian-panel').dataset.step === '3'", timeout=15)
    assert cell_texts(page) == expected
    # The costs as the server counted them: 5 local derivatives either way here.
    summary = page.p.inner_text("#jacobian-panel .jm-summary")
    assert "Forward mode: 2 passes, 5 local derivatives." in summary
    assert "Reverse mode: 3 passes, 5 local derivatives." in summary
    assert "Here both cost the same." in summary
    # Every word of the panel in Korean too, the numbers kept.
    page.p.click("#lang-ko")
    assert page.p.inner_text("#jacobian-panel .jm-caption") == "야코비안 ∂(f1, f2, f3)/∂(x, y): 3 × 2"
    assert "리버스 모드: 패스 3번, 국소 미분 5개." in page.p.inner_text("#jacobian-panel .jm-summary")
    assert page.p.inner_text("#jacobian-panel .jm-count") == "3번 중 3번째 패스"
    assert cell_texts(page) == expected
    page.p.click("#lang-en")
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.locator("#jacobian-panel").screenshot(path=str(ARTIFACTS / "page-jacobian-reverse.png"))

    # A reverse pass replayed on the main graph: f2 differentiated, played from its first step.
    before = page.renders()
    page.p.click('#jacobian-panel .jm-pass[data-pass="2"] .jm-replay')
    page.wait_render(before)
    assert "of=f2" in page.p.evaluate("location.hash")
    assert page.p.get_attribute("body", "data-pass") == "reverse"
    page.wait_for("document.body.dataset.step === document.body.dataset.count", timeout=30)
    assert page.pill("x") == "∂f2/∂x = 1"
    assert page.pill("y") == "∂f2/∂y = 1"
    # A forward pass: forward mode with y's tangent.
    page.p.check('#jacobian-panel input[name="jm-mode"][value="forward"]')
    before = page.renders()
    page.p.click('#jacobian-panel .jm-pass[data-pass="2"] .jm-replay')
    page.wait_render(before)
    assert page.p.get_attribute("body", "data-pass") == "forward"
    assert page.p.input_value("#tangent-var") == "y"
    page.wait_for("document.body.dataset.step === document.body.dataset.count", timeout=30)
    assert page.pill("f1") == "1"  # ∂(xy)/∂y = x
    assert page.pill("f2") == "1"  # ∂(x + y)/∂y


def test_the_family_shows_each_modes_cost_and_where_they_cross(page, server):
    page.open()
    page.p.click("#family-panel > summary")
    for key, value in (("n", 6), ("m", 3)):
        page.p.locator(f"#family-panel .fam-{key}").fill(str(value))
    page.wait_for("document.getElementById('family-panel').dataset.n === '6'"
                  " && document.getElementById('family-panel').dataset.m === '3'", timeout=20)
    row = [httpx.get(f"{server}/api/v1/jacobian/family", params={"inputs": n, "outputs": 3}).json()
           for n in range(1, 13)]
    now = row[5]
    assert now["forward"]["passes"] == 6 and now["reverse"]["passes"] == 3
    text = page.p.inner_text("#family-panel .fam-now")
    assert (f"n = 6, m = 3: forward mode 6 passes and {now['forward']['locals']} local derivatives, "
            f"reverse mode 3 passes and {now['reverse']['locals']}.") in text
    assert page.p.get_attribute("#family-panel", "data-cheaper") == now["cheaper"]
    cells = page.p.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#family-panel .fam-table tr')].map(tr => [
            tr.dataset.row, [...tr.querySelectorAll('td')].map(td => td.textContent)]))""")
    assert cells["famRowForward"] == [str(x["forward"]["locals"]) for x in row]
    assert cells["famRowReverse"] == [str(x["reverse"]["locals"]) for x in row]
    # The crossing is where the server's verdict turns: forward up to some n, reverse after.
    verdicts = [x["cheaper"] for x in row]
    assert verdicts[0] == "forward" and verdicts[-1] == "reverse"
    b = verdicts.index("reverse") + 1
    a = max(i + 1 for i, v in enumerate(verdicts[:b - 1]) if v == "forward")
    assert f"forward mode is cheaper up to n = {a}" in page.p.inner_text("#family-panel .fam-cross")
    assert f"reverse mode from n = {b}" in page.p.inner_text("#family-panel .fam-cross") \
        or f"reverse mode is cheaper from n = {b}" in page.p.inner_text("#family-panel .fam-cross")
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.locator("#family-panel").screenshot(path=str(ARTIFACTS / "page-jacobian-family.png"))
    # One output: reverse mode needs one pass, and wins for every n past 1.
    page.p.locator("#family-panel .fam-m").fill("1")
    page.wait_for("document.getElementById('family-panel').dataset.m === '1'", timeout=20)
    assert page.p.get_attribute("#family-panel", "data-cheaper") == httpx.get(
        f"{server}/api/v1/jacobian/family", params={"inputs": 6, "outputs": 1}).json()["cheaper"] == "reverse"


def test_the_derivative_graph_is_drawn_linked_and_stepped_to_the_second_derivative(page, server):
    page.open(hash_for(LECTURE, AT, digits=8))
    open_panel(page, "derivative-panel")
    answer = api_graph(server, LECTURE, AT, derivative_of="x")
    root = "#derivative-panel"
    drawn = page.p.eval_on_selector_all(f"{root} .dv-d .node[data-copy='0']", IDS)
    assert sorted(drawn) == sorted(n["id"] for n in answer["nodes"])
    # f beside it, drawn by the same renderer from the main graph's answer.
    f_nodes = page.p.eval_on_selector_all(f"{root} .dv-f .node[data-copy='0']", IDS)
    assert sorted(f_nodes) == sorted(n["id"] for n in api_graph(server, LECTURE, AT)["nodes"])

    # It opens at its start; stepping runs its forward pass (∂f/∂x) then its backward pass.
    assert page.p.get_attribute(root, "data-step") == "0"
    count = int(page.p.get_attribute(root, "data-count"))
    assert count == len(answer["trace"]["forward"]) + len(answer["trace"]["backward"])
    assert page.p.locator(f"{root} .dv-second").count() == 0
    for k in range(1, 4):
        page.p.click(f"{root} .dv-next")
        assert page.p.get_attribute(root, "data-step") == str(k)
    assert page.p.text_content(f"{root} .dv-phase") == "Forward pass"
    for _ in range(len(answer["trace"]["forward"]) - 3):
        page.p.click(f"{root} .dv-next")
    out = page.p.locator(f"{root} .dv-d .output-edge .vlabel").text_content()
    assert out == "(∂f/∂x) = 2.7725887"  # 2x·ln y + 2 ln y at (1, 2)
    page.p.click(f"{root} .dv-next")
    assert page.p.text_content(f"{root} .dv-phase") == "Backward pass"
    assert page.p.locator(f"{root} .dv-second").count() == 0
    page.p.click(f"{root} .dv-end")
    assert page.p.get_attribute(root, "data-step") == str(count)
    second = page.p.inner_text(f'{root} .dv-second[data-var="x"]')
    assert second == "∂²f/∂x² = 1.3862944"
    assert float(second.split("= ")[1]) == round(2 * math.log(2), 7)
    assert page.p.inner_text(f'{root} .dv-second[data-var="y"]') == "∂²f/∂x∂y = 2"  # (2x + 2)/y

    # Linked: a node made for an edge's local derivative lights up that edge of f, and back.
    origin = answer["derivative_of"]["origin"]
    i = next(k for k, o in enumerate(origin) if o["role"] == "local")
    node, edge = answer["nodes"][i]["id"], origin[i]["edge"]
    page.p.hover(f'{root} .dv-d .node[data-id="{node}"][data-copy="0"] .shape')
    f_edge = f'{root} .dv-f .edge[data-id="{edge}"]'
    assert "on-path" in page.p.get_attribute(f_edge, "class").split()
    assert "on-path" in page.p.get_attribute(f'{root} .dv-d .node[data-id="{node}"][data-copy="0"]', "class")
    page.p.mouse.move(0, 0)
    assert "on-path" not in page.p.get_attribute(f_edge, "class").split()
    made = sorted(answer["nodes"][k]["id"] for k, o in enumerate(origin) if o["edge"] == edge)
    page.p.dispatch_event(f_edge, "pointerenter")
    lit = page.p.eval_on_selector_all(f"{root} .dv-d .node.on-path[data-copy='0']", IDS)
    assert sorted(lit) == made
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.locator(root).screenshot(path=str(ARTIFACTS / "page-derivative-graph.png"))


def test_choosing_the_target_changes_the_gradient_and_the_link(page, server):
    page.open(hash_for(THREE, AT))
    assert page.p.is_visible("#target-field")
    options = page.p.eval_on_selector_all("#target-choice option", "els => els.map(e => e.value)")
    assert options == ["f1", "f2", "f3"]
    assert page.p.input_value("#target-choice") == "f1"  # the first output by default
    tags = page.p.eval_on_selector_all("#graph .node .tag", "els => els.map(e => e.textContent)")
    assert sorted(tags) == ["f1", "f2", "f3"]  # the outputs are called by their names
    assert page.pill("x") == "∂f1/∂x = 2"
    assert page.pill("y") == "∂f1/∂y = 1"
    before = page.renders()
    page.p.select_option("#target-choice", "f3")
    page.wait_render(before)
    assert page.pill("x") == "∂f3/∂x = 0.5403"
    assert page.output_label() == "f3 = 0.8415"
    assert "2.0" not in page.p.inner_text('#variables .var[data-name="x"] .vgrad')
    assert page.p.inner_text('#variables .var[data-name="x"] .vgrad') == "∂f3/∂x = 0.5403"
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.locator("#graph-panel").screenshot(path=str(ARTIFACTS / "page-target-f3.png"))
    hash_ = page.p.evaluate("location.hash")
    assert urllib.parse.parse_qs(hash_[1:])["of"] == ["f3"]
    # The link opens on the same choice.
    page.open(hash_[1:])
    assert page.p.input_value("#target-choice") == "f3"
    assert page.pill("x") == "∂f3/∂x = 0.5403"
    # Any named node, not only an output: a in a = x*y; b = a + y; f = sin(b).
    chain = "a = x*y; b = a + y; f = sin(b)"
    page.open(hash_for(chain, AT))
    options = page.p.eval_on_selector_all("#target-choice option", "els => els.map(e => e.value)")
    assert options == ["f", "a", "b"]
    before = page.renders()
    page.p.select_option("#target-choice", "a")
    page.wait_render(before)
    assert page.pill("x") == "∂a/∂x = 2"
    assert page.pill("y") == "∂a/∂y = 1"
    # "Differentiate this node": a double click on b on the graph.
    before = page.renders()
    page.p.dblclick('#graph .node[data-name="b"][data-copy="0"] .shape')
    page.wait_render(before)
    assert page.p.input_value("#target-choice") == "b"
    assert page.pill("x") == "∂b/∂x = 2"  # b = xy + y
    assert page.pill("y") == "∂b/∂y = 1 + 1 = 2"
    page.p.keyboard.press("Escape")
    # An edit that removes b: the program's output is differentiated, and the link forgets b.
    before = page.renders()
    page.p.fill("#expr", "c = x + y; f = sin(c)")
    page.wait_render(before)
    assert page.p.input_value("#target-choice") == "f"
    assert "of=" not in page.p.evaluate("location.hash")
    assert page.pill("y") == "∂f/∂y = −0.99"  # cos(3) = −0.98999 to four digits
    assert round(math.cos(3), 4) == -0.99
    # One output and no named node: nothing to choose.
    before = page.renders()
    page.p.fill("#expr", "x*y")
    page.wait_render(before)
    assert page.p.is_hidden("#target-field")
