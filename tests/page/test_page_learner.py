"""The page as a learner uses it (issue 13), in real Chromium against a real `chainrule serve`:
an error dims only the graph, player icons that can be told apart, forward mode's narration
that never reads as circular, the graph fitted on every screen and moved by hand, edge numbers
that never stack on each other or under a pill, the large digit settings, Korean that renders.
The server, browser and tab helpers are test_page.py's. Geometry is asserted on bounding boxes,
pixels on the screenshots' own PNG data.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib

import httpx
import pytest
import test_page
from test_page import ARTIFACTS, NAMED, Page, hash_for

page = test_page.page

LECTURE = "(x^2 + 2x) * ln(y)"
UNIT = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"  # "Split into unit functions"
NEURON = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
NEURON_AT = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA bytes) of a non-interlaced 8-bit RGB(A) PNG: Chromium's."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line) if bpp == 4 else bytes(
            x for k in range(width) for x in (*line[k * 3:k * 3 + 3], 255)))
    return width, height, rows


def ink(data: bytes) -> set[tuple[int, int]]:
    """The pixels of a screenshot that differ clearly from its top-left corner (the background)."""
    w, h, rows = png_pixels(data)
    bg = rows[0][:3]
    return {(x, y) for y in range(h) for x in range(w)
            if sum(abs(rows[y][4 * x + k] - bg[k]) for k in range(3)) > 120}


# --- defect 1: an error dims the graph, not the page ------------------------------------------

def test_an_error_dims_only_the_graph(page):
    page.open()
    page.expect_422 = True
    page.p.fill("#expr", "(x+")
    page.wait_for("document.body.dataset.status === 'error'")
    page.wait_for("!document.getElementById('expr-error').hidden")
    # The kept graph fades (a 0.2 s transition) to show it is not the text's.
    page.wait_for("Number(getComputedStyle(document.querySelector('#graph svg')).opacity) < 0.7")
    opacity = page.p.evaluate("""() => {
        const o = (s) => Number(getComputedStyle(document.querySelector(s)).opacity);
        return {body: o('body'), field: o('#expr'), error: o('#expr-error'), main: o('main'),
                svg: o('#graph svg'), table: o('#table')};
    }""")
    # The field, its error and the table stay fully bright; only the kept graph dims.
    assert opacity["body"] == opacity["main"] == opacity["field"] == opacity["error"] == 1
    assert opacity["table"] == 1
    assert opacity["svg"] < 0.7
    page.p.fill("#expr", "x+1")
    page.wait_for("document.body.dataset.status === 'ready'")
    svg = "() => Number(getComputedStyle(document.querySelector('#graph svg')).opacity)"
    assert page.p.evaluate(svg) == 1


# --- defect 8: the player's four arrows are four different icons ------------------------------

def test_player_icons_are_told_apart(page):
    page.open()
    page.blur()
    page.p.keyboard.press("Home")
    page.p.keyboard.press("ArrowRight")  # every button enabled: the same opacity for each
    shots = {b: page.p.locator(f"#{b} svg").screenshot()
             for b in ("to-start", "step-back", "step-forward", "to-end")}
    marks = {b: ink(d) for b, d in shots.items()}
    for b, m in marks.items():
        assert len(m) > 20, f"{b}: no icon drawn"
    for jump, step in (("to-start", "step-back"), ("to-end", "step-forward")):
        a, b = marks[jump], marks[step]
        # "To the start" has a filled bar beside its triangle: clearly more ink, and different pixels.
        assert len(a) > 1.5 * len(b), (jump, len(a), step, len(b))
        assert len(a ^ b) > 0.3 * len(a | b)


# --- defect 4: forward mode's narration writes the tangent apart from the partial ------------

def forward_sentences(page: Page, expression: str, values: dict) -> list[str]:
    page.open(hash_for(expression, values, **{"pass": "forward"}))
    if page.p.get_attribute("body", "data-pass") != "forward":
        page.p.check("input[name=pass][value=forward]")
        page.wait_for("document.body.dataset.pass === 'forward'")
    page.blur()
    page.p.keyboard.press("Home")
    out = []
    for _ in range(page.count()):
        page.p.keyboard.press("ArrowRight")
        if page.p.get_attribute("#phase", "data-phase") == "tangent":
            # Compared decomposed: ẋ is one code point, ȧ a letter and a combining dot.
            out.append(unicodedata.normalize("NFD", page.narration()))
    return out


def test_forward_mode_narration_is_not_circular(page):
    said = forward_sentences(page, LECTURE, {"x": 1, "y": 2})
    graph = httpx.post(f"{page.url}/api/v1/graph",
                       json={"expression": LECTURE, "values": {"x": 1, "y": 2}, "tangent": "x"}).json()
    assert len(said) == len(graph["trace"]["tangent"])
    assert said[0] == "Forward mode for x: start with its tangent x\u0307 = ∂x/∂x = 1"
    terms = [s for s in said if " gets " in s]
    assert terms
    for s in terms:
        # "tangent of (x^2) gets ∂(x^2)/∂x × ẋ = 2 × 1 = 2": what is accumulated (left) is
        # a tangent, never the partial derivative written on the right.
        left, right = s.split(" gets ")
        assert left.startswith("tangent of ") or "\u0307" in left, s
        partial = right.split(" × ")[0]
        assert partial.startswith("∂") and partial not in left, s
        assert "tangent of" in right or "\u0307" in right, s
    assert "tangent of (x^2) gets ∂(x^2)/∂x × x\u0307 = 2 × 1 = 2" in said
    # The sum at a node reads "ẏ-like = ∂·/∂x = …": the tangent, then what it means.
    assert any(s.startswith("tangent of ") and " = ∂" in s and "/∂x = " in s for s in said)
    page.p.click("#lang-ko")
    page.blur()
    while not page.narration().startswith("(x^2)의 접선값에"):
        assert page.step() > 0
        page.p.keyboard.press("ArrowLeft")
    assert page.narration() == "(x^2)의 접선값에 ∂(x^2)/∂x × ẋ = 2 × 1 = 2 더하기"


def test_forward_mode_narration_names_dotted_variables(page):
    said = forward_sentences(page, NAMED, {"x": 1, "y": 2})
    # Plain names take a dot: ȧ gets ∂a/∂x (argument 1) × ẋ = …
    assert any(s.startswith("a\u0307 gets ∂a/∂x (argument 1) × x\u0307 = ") for s in said), said
    assert any(s.startswith("f\u0307 = ∂f/∂x = ") for s in said), said
    assert not any("/∂x × ∂x/∂x" in s for s in said)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.p.screenshot(path=str(ARTIFACTS / name), full_page=False)


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US",
                                  has_touch=True, is_mobile=True, device_scale_factor=2)
    tab = Page(context.new_page(), server)
    yield tab
    errors = list(tab.errors)
    context.close()
    assert errors == [], f"console errors: {errors}"


# --- defect 7: fitted on load on every screen; pan by dragging, pinch to zoom -----------------

INSIDE = """(sel) => {
    const g = document.getElementById('graph').getBoundingClientRect();
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
        const b = el.getBoundingClientRect();
        if (!b.width) continue;
        if (b.left < g.left - 0.5 || b.right > g.right + 0.5 || b.top < g.top - 0.5
            || b.bottom > g.bottom + 0.5) out.push([el.closest('[data-name]')?.dataset.name ?? el.textContent,
                                                   [b.left, b.top, b.right, b.bottom]]);
    }
    return out;
}"""
SCROLL = "(() => { const g = document.getElementById('graph'); return [g.scrollLeft, g.scrollTop]; })()"
SHOWN = ".graph-svg .node .shape, .graph-svg .output-edge .vlabel, .graph-svg .pill.known rect"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (768, 1024), (1440, 900), (1920, 1080)])
def test_graph_is_fitted_on_load_on_every_screen(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US",
                                  has_touch=width < 800, is_mobile=width < 800)
    try:
        tab = Page(context.new_page(), server).open()
        # Every node, every pill and the output's value inside the graph's box: nothing to scroll to.
        assert tab.p.evaluate(INSIDE, SHOWN) == []
        out = tab.p.locator(".graph-svg .node.output .shape").bounding_box()
        label = tab.p.locator(".graph-svg .output-edge .vlabel").bounding_box()
        assert tab.output_label() == "f = 2.079"
        for b in (out, label):  # and on the screen as the page opens
            assert b["x"] >= 0 and b["x"] + b["width"] <= width
            assert b["y"] >= 0 and b["y"] + b["height"] <= height
        overflow = tab.p.evaluate("(() => { const g = document.getElementById('graph'); return"
                                  " [g.scrollWidth - g.clientWidth, g.scrollHeight - g.clientHeight]; })()")
        assert overflow[0] <= 1 and overflow[1] <= 1
        tab.p.screenshot(path=str(ARTIFACTS / f"page-fit-{width}x{height}.png"))
        assert tab.errors == []
    finally:
        context.close()


def test_pinch_zooms_about_the_fingers_and_drag_pans(phone):
    phone.open()
    graph = phone.p.locator("#graph").bounding_box()
    svg = phone.p.locator("#graph svg").bounding_box()
    zoom0 = phone.p.evaluate("window.chainrule.renderer.zoom")
    cx, cy = graph["x"] + graph["width"] / 2, graph["y"] + graph["height"] / 2
    cdp = phone.p.context.new_cdp_session(phone.p)

    def touch(kind: str, spread: float) -> None:
        points = [] if kind == "touchEnd" else [
            {"x": cx - spread, "y": cy, "id": 1}, {"x": cx + spread, "y": cy, "id": 2}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 30)
    for k in range(1, 11):
        touch("touchMove", 30 + 9 * k)  # the fingers 60 px apart, then 240: four times the zoom
    touch("touchEnd", 0)
    zoom1 = phone.p.evaluate("window.chainrule.renderer.zoom")
    assert zoom1 == pytest.approx(min(4, zoom0 * 4), rel=0.08)
    # The page itself was not zoomed, and the drawing grew by the same factor.
    assert phone.p.evaluate("window.visualViewport.scale") == 1
    assert phone.p.locator("#graph svg").bounding_box()["width"] == pytest.approx(
        svg["width"] * zoom1 / zoom0, rel=0.02)
    # The point between the fingers stayed under them: the graph now scrolls, about its centre.
    left = phone.p.evaluate("document.getElementById('graph').scrollLeft")
    assert left > 0


def test_mouse_drag_pans_and_plus_zooms_about_the_centre(page):
    page.open()
    for _ in range(4):
        page.p.click("#zoom-in")
    g = page.p.locator("#graph").bounding_box()
    before = page.p.evaluate(SCROLL)
    assert before[0] > 0  # zoomed about the centre: scrolled to keep it there
    # Drag from an empty spot (not on a node) to the right and down: the drawing follows the mouse.
    x, y = g["x"] + 12, g["y"] + 12
    page.p.mouse.move(x, y)
    page.p.mouse.down()
    page.p.mouse.move(x + 60, y + 30, steps=6)
    page.p.mouse.up()
    after = page.p.evaluate(SCROLL)
    assert after[0] == pytest.approx(before[0] - 60, abs=2)
    assert after[1] == pytest.approx(max(0, before[1] - 30), abs=2)
    # The fit button shows the whole graph again.
    page.p.click("#zoom-fit")
    assert page.p.evaluate(INSIDE, SHOWN) == []


# --- defects 2 and 3: every number on an edge readable ---------------------------------------

# Every edge number shown against every other, every shown pill, every node and node name.
LABEL_CLASHES = """() => {
    const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
        && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const who = (el) => el.closest('.edge')?.dataset.id ?? el.closest('.node')?.dataset.name;
    const labels = [...document.querySelectorAll('.graph-svg .edge text.known')]
        .map(t => [who(t) + ' ' + t.textContent, t.getBoundingClientRect()]);
    const pills = [...document.querySelectorAll('.graph-svg .pill.known > rect')]
        .map(r => ['pill of ' + who(r), r.getBoundingClientRect()]);
    const nodes = [...document.querySelectorAll('.graph-svg .node .shape, .graph-svg .node .tag:not(.ref)')]
        .map(r => ['node ' + who(r), r.getBoundingClientRect()]);
    const found = [];
    labels.forEach(([n, a], i) => {
        labels.forEach(([m, b], j) => { if (i < j && hit(a, b)) found.push([n, m]); });
        for (const [m, b] of [...pills, ...nodes]) if (hit(a, b)) found.push([n, m]);
    });
    return found;
}"""


def settle(tab: Page, step: int) -> None:
    """Wait until step `step` is drawn: the page's step, then two frames (pills and labels are
    placed in the frame that draws the step; on a busy machine a key press can run ahead of it)."""
    tab.p.wait_for_function(f"document.body.dataset.step === '{step}'")
    tab.p.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def label_clashes(tab: Page) -> list:
    return tab.p.evaluate(LABEL_CLASHES)


def lecture_graphs(url: str) -> list[tuple[str, str, dict]]:
    examples = httpx.get(f"{url}/api/v1/examples").json()
    examples = examples if isinstance(examples, list) else examples["examples"]
    # Scalar graphs (tensor graphs: test_heatmap_pills_keep_clear_of_the_numbers_on_edges).
    scalar = [ex for ex in examples if not any(isinstance(v, list) for v in ex["values"].values())]
    return [(ex["id"], ex["expression"], ex["values"]) for ex in scalar] + [
        ("unit functions", UNIT, {"x": 1, "y": 2}), ("neuron", NEURON, NEURON_AT)]


def test_edge_numbers_never_stack_or_hide_under_pills(page):
    graphs = lecture_graphs(page.url)
    assert len(graphs) >= 8
    for name, expression, values in graphs:
        page.open(hash_for(expression, values))
        assert page.step() == page.count()
        assert page.p.locator(".graph-svg .edge text.known").count() > 0, name
        assert label_clashes(page) == [], name
        assert page.overlaps() == [], name
    # Step by step on the graphs with fan-out: a sum as it is made moves or wraps around them.
    for expression, values in ((LECTURE, {"x": 1, "y": 2}), (UNIT, {"x": 1, "y": 2}), (NEURON, NEURON_AT)):
        page.open(hash_for(expression, values))
        page.blur()
        page.p.keyboard.press("Home")
        for k in range(1, page.count() + 1):
            page.p.keyboard.press("ArrowRight")
            settle(page, k)
            assert label_clashes(page) == [], (expression, page.step())


def test_edge_numbers_readable_on_a_phone(phone):
    for name, expression, values in lecture_graphs(phone.url):
        phone.open(hash_for(expression, values))
        assert label_clashes(phone) == [], name
        assert phone.overlaps() == [], name


def test_heatmap_pills_keep_clear_of_the_numbers_on_edges(page, phone):
    """A tensor graph's pills hold a heatmap and are wide: none covers an edge's "VJP" or
    number (the vector neuron's ∂f/∂x pill once touched w's VJP at 1280 px)."""
    examples = httpx.get(f"{page.url}/api/v1/examples").json()
    examples = examples if isinstance(examples, list) else examples["examples"]
    tensor = [ex for ex in examples if any(isinstance(v, list) for v in ex["values"].values())]
    assert {"tensor-2x3", "neuron-vector", "logistic-cost"} <= {ex["id"] for ex in tensor}
    for tab in (page, phone):
        for ex in tensor:
            tab.open(hash_for(ex["expression"], ex["values"]))
            assert tab.p.locator(".graph-svg .pill.known .heatmap rect").count() > 0, ex["id"]
            assert label_clashes(tab) == [], ex["id"]


def test_parallel_edges_are_drawn_apart_and_named_by_argument(page):
    page.open(hash_for(UNIT, {"x": 1, "y": 2}))
    # x*x: two edges from x into a, far enough apart at their middles for a number under each.
    gap = page.p.evaluate("""() => {
        const a = document.querySelector('.graph-svg .node[data-name="a"]').dataset.id;
        const x = document.querySelector('.graph-svg .node[data-name="x"]').dataset.id;
        const m = window.chainrule.app.model;
        const ids = m.graph.edges.filter(e => e.source === x && e.target === a).map(e => e.id);
        const mid = (id) => {
            const p = document.querySelector(`.graph-svg .edge[data-id="${id}"] .wire`);
            const pt = p.getPointAtLength(p.getTotalLength() / 2);
            return pt.y;
        };
        const local = (id) => document.querySelector(`.graph-svg .edge[data-id="${id}"] .llabel`).textContent;
        return {n: ids.length, gap: Math.abs(mid(ids[0]) - mid(ids[1])), locals: ids.map(local)};
    }""")
    assert gap["n"] == 2
    assert gap["gap"] >= 30  # drawing units; Graphviz left them about 13 apart
    assert gap["locals"] == ["1", "1"]  # each written, under its own edge (no stack: test above)
    page.p.hover('.graph-svg .node[data-name="a"]')
    page.wait_for("!document.getElementById('tooltip').hidden")
    text = page.p.inner_text("#tooltip")
    assert "∂a/∂x (argument 1) = 1" in text and "∂a/∂x (argument 2) = 1" in text


# --- defect 6: ten and seventeen digits keep the layout ---------------------------------------

@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_many_digits_keep_the_layout(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US",
                                  has_touch=width < 800, is_mobile=width < 800)
    try:
        tab = Page(context.new_page(), server).open()
        for digits, f in (("10", "f = 2.079441542"), ("17", "f = 2.0794415416798357")):
            tab.p.select_option("#digits", digits)
            tab.wait_for(f"document.querySelector('.graph-svg .output-edge .vlabel').textContent === '{f}'")
            # f's value whole inside the graph's box; no number over another, a pill or a node.
            assert tab.p.evaluate(INSIDE, SHOWN) == [], digits
            assert label_clashes(tab) == [], digits
            assert tab.overlaps() == [], digits
            # The table's every column on its card: nothing to scroll sideways to.
            fit = tab.p.evaluate("""() => {
                const box = document.getElementById('table');
                const card = document.querySelector('.table-card').getBoundingClientRect();
                const cells = [...box.querySelectorAll('td, th')];
                const right = Math.max(...cells.map(c => c.getBoundingClientRect().right));
                return {over: box.scrollWidth - box.clientWidth, right, card: card.right};
            }""")
            assert fit["over"] <= 1 and fit["right"] <= fit["card"], (digits, fit)
            grad = tab.p.inner_text("#table tbody tr:first-child td.grad")
            assert grad.replace("\n", " ").replace("  ", " ").endswith("= 2.772588722239781" if digits == "17"
                                                                    else "= 2.772588722")
            tab.p.screenshot(path=str(ARTIFACTS / f"page-digits-{digits}-{width}.png"), full_page=True)
        assert tab.errors == []
    finally:
        context.close()


# --- defect 11: the small things ---------------------------------------------------------------

def test_paths_panel_writes_an_empty_path_once(page):
    page.open(hash_for("x", {"x": 3}))
    page.wait_for("document.querySelectorAll('#paths-panel .path').length > 0", timeout=20)
    text = page.p.inner_text("#paths-panel .paths-sum")
    assert text == "∂x/∂x = 1"
    assert "= =" not in page.p.inner_text("#paths-panel")


def test_escape_closes_the_tooltip(page):
    page.open()
    page.p.focus('.graph-svg .node[data-name="x"]')
    page.wait_for("!document.getElementById('tooltip').hidden")
    page.p.keyboard.press("Escape")
    page.wait_for("document.getElementById('tooltip').hidden")


def test_an_emptied_value_field_says_so(page):
    page.open()
    field = page.p.locator('#variables .var[data-name="x"] input[type=number]')
    field.fill("")
    error = page.p.locator('#variables .var[data-name="x"] .var-error')
    assert error.is_visible()
    assert error.inner_text() == "Type a number for x: the graph keeps x = 1 until then."
    assert field.get_attribute("aria-invalid") == "true"
    before = page.renders()
    field.fill("2")
    page.wait_render(before)
    assert not error.is_visible()
    assert page.output_label() == "f = 5.545"


def test_a_broken_link_leaves_the_player_off(page):
    page.expect_422 = True
    page.p.goto(f"{page.url}/#{hash_for('(x+', {'x': 1})}")
    page.wait_for("document.body.dataset.status === 'error'")
    for control in ("#play", "#step-forward", "#step-back", "#to-start", "#to-end", "#scrubber"):
        assert page.p.locator(control).is_disabled(), control
    assert not page.p.locator("#phase").is_visible()
    page.p.fill("#expr", "x*2")
    page.wait_for("document.body.dataset.status === 'ready'")
    assert not page.p.locator("#play").is_disabled()
    assert page.p.locator("#phase").is_visible()


def test_step_zero_gives_no_final_answer_away(page):
    page.open(hash_for(LECTURE, {"x": 1, "y": 2}, step=0))
    assert page.step() == 0
    grads = page.p.locator("#variables .vgrad b").all_inner_texts()
    assert grads == ["…", "…"]
    assert page.p.locator("#paths-panel .ahead-note").is_visible()
    page.blur()
    page.p.keyboard.press("End")
    page.wait_for("document.body.dataset.step === document.body.dataset.count")
    assert page.p.locator("#variables .vgrad b").all_inner_texts() == ["2.773", "1.5"]
    page.wait_for("!document.body.classList.contains('midway')")


def test_no_ring_around_the_graph_card_after_click_and_arrow(page):
    page.open()
    box = page.p.locator("#graph").bounding_box()
    page.p.mouse.click(box["x"] + 6, box["y"] + box["height"] - 6)
    page.p.keyboard.press("ArrowLeft")
    style = page.p.evaluate("""() => { const c = document.getElementById('graph-panel');
        const s = getComputedStyle(c); return [s.outlineStyle, s.outlineWidth]; }""")
    assert style[0] == "none" or style[1] == "0px"


def test_plot_caption_points_the_right_way_and_rings_clear_the_frame(page):
    page.open()
    page.wait_for("document.querySelector('#plot-panel svg.error-plot .curve')", timeout=20)
    assert page.p.text_content("#plot-panel .region.right") == "truncation grows →"
    assert page.p.text_content("#plot-panel .region.left") == "← round-off grows"
    clear = page.p.evaluate("""() => {
        const frame = document.querySelector('#plot-panel svg.error-plot .frame');
        const f = frame.getBoundingClientRect();
        return [...document.querySelectorAll('#plot-panel .ring')].map(r => {
            const b = r.getBoundingClientRect();
            return b.bottom <= f.bottom - 1 && b.top >= f.top + 1;
        });
    }""")
    assert clear and all(clear)


# --- defect 10: Korean, rendered and complete ------------------------------------------------

# Widths of one character in the page's own font, in spans beside each other: two Hangul
# syllables, and a private-use character no font draws (the box a missing glyph gets).
GLYPHS = """() => {
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:0;top:0;font-size:40px;font-family:var(--sans)';
    for (const ch of ['한', '국', '\\uE000', '\\uE001']) {
        const s = document.createElement('span');
        s.textContent = ch;
        s.className = 'glyph-probe';
        box.appendChild(s);
    }
    document.body.appendChild(box);
    return [...box.children].map(s => s.getBoundingClientRect().width);
}"""


def test_korean_renders_with_a_hangul_font(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ko-KR")
    try:
        tab = Page(context.new_page(), server).open()
        assert tab.p.get_attribute("html", "lang") == "ko"
        han, guk, tofu, tofu2 = tab.p.evaluate(GLYPHS)
        assert tofu == tofu2  # the missing-glyph box: the same for any character
        assert han != tofu and guk != tofu, (han, guk, tofu)
        # And drawn as two different glyphs, not two boxes: their pixels differ.
        probes = tab.p.locator(".glyph-probe")
        a, b = ink(probes.nth(0).screenshot()), ink(probes.nth(1).screenshot())
        assert len(a) > 50 and len(a ^ b) > 0.2 * len(a | b)
        assert tab.p.inner_text("#lang-ko") == "한국어"
        tab.p.screenshot(path=str(ARTIFACTS / "page-korean.png"))
        assert tab.errors == []
    finally:
        context.close()


def test_server_errors_in_korean(page):
    page.open()
    page.p.click("#lang-ko")
    page.expect_422 = True
    page.p.fill("#expr", "foo(x)")
    page.wait_for("!document.getElementById('expr-error').hidden")
    message = page.p.locator("#expr-error .message")
    assert message.inner_text().startswith("알 수 없는 함수 'foo'입니다. 곱셈이라면 foo*(...)처럼 쓰세요.")
    # The server's own words stay beside it, marked as English.
    words = message.locator(".server-words")
    assert words.get_attribute("lang") == "en" and "unknown function 'foo'" in words.inner_text()
    assert page.p.inner_text("#expr-error .where") == "1행 1열"
    page.p.fill("#expr", "(x+")
    page.wait_for("document.querySelector('#expr-error .where').textContent === '1행 4열'")
    assert message.inner_text().startswith("'+' 뒤에서 식이 끝났습니다. 숫자, 이름 또는 '('가 와야 합니다.")
    # Back to English: the server's message alone.
    page.p.click("#lang-en")
    assert message.inner_text() == ("the expression ends too early after '+': a number, a name or '(' "
                                    "should follow")
