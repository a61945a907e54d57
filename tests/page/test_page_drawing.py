"""How the graph is drawn step by step, in real Chromium against a real `chainrule serve` (issue 12,
item 6): what a step lights and hides, drawn without an opacity layer per element (faint states
are stroke-/fill-opacity, unknown numbers are not drawn at all), fades only at slow speeds, the
current node scrolled into view, and the box index the label and pill placement uses finding
what a scan of every box finds. The server, browser and tab helpers are test_page.py's."""

from __future__ import annotations

import re

import test_page

page = test_page.page

# The drawing at this step: anything with opacity below 1 (each would be a paint chunk and a
# compositing candidate of its own), numbers drawn or not against their being known, and the
# faint strengths of pending and carried edges and pending nodes.
STATE = """() => {
    const cs = (el) => getComputedStyle(el);
    const all = [...document.querySelectorAll('.graph-svg, .graph-svg *, .trace-table .local')];
    const numbers = [...document.querySelectorAll(
        '.graph-svg .vlabel, .graph-svg .llabel, .graph-svg .pill')];
    const values = (sel, prop) => [...new Set([...document.querySelectorAll(sel)].map((e) => cs(e)[prop]))];
    return {
        translucent: all.filter((e) => cs(e).opacity !== '1').map((e) => e.getAttribute('class')),
        wrongVisibility: numbers
            .filter((e) => (cs(e).visibility === 'visible') !== e.classList.contains('known'))
            .map((e) => e.getAttribute('class') + ' ' + e.textContent),
        knownStrength: values('.graph-svg .known', 'fillOpacity'),
        shown: numbers.filter((e) => e.classList.contains('known')).length,
        pendingWire: values('.graph-svg .edge.pending:not(.current) .wire', 'strokeOpacity'),
        carriedWire: values('.graph-svg .edge.carried:not(.current):not(.on-path) .wire', 'strokeOpacity'),
        pendingNode: values('.graph-svg .node.pending .shape', 'fillOpacity'),
        faintLocal: values('.trace-table .local:not(.known)', 'color'),
    };
}"""


def test_every_step_lights_and_hides_without_opacity_layers(page):
    page.open(test_page.hash_for(test_page.NAMED, {"x": 1, "y": 2}))
    page.blur()
    # Steps faster than a fade: every number shows at full strength at once.
    page.p.select_option("#speed", "16")
    page.blur()
    page.p.keyboard.press("Home")
    count = page.count()
    seen = {"pendingWire": set(), "carriedWire": set(), "pendingNode": set(), "faintLocal": set()}
    shown = []
    for _ in range(count):
        page.p.keyboard.press("ArrowRight")
        s = page.p.evaluate(STATE)
        assert s["translucent"] == [], f"step {page.step()}"
        assert s["wrongVisibility"] == [], f"step {page.step()}"
        assert s["knownStrength"] in ([], ["1"])
        shown.append(s["shown"])
        for k in seen:
            seen[k].update(s[k])
    assert page.step() == count
    # Numbers appear as the passes make them, and all of them are there at the end.
    assert shown == sorted(shown) and shown[0] < shown[-1]
    # Faint, by the strength of their strokes and fills.
    assert seen["pendingWire"] == {"0.55"}
    assert seen["carriedWire"] == {"0.75"}
    assert seen["pendingNode"] == {"0.6"}
    # A local derivative not yet known is written faint in the table, by its colour's alpha.
    assert len(seen["faintLocal"]) == 1 and seen["faintLocal"].pop().endswith(" / 0.45)")
    # Lighting a path still dims the rest (by opacity, for that moment only), then puts it back.
    page.p.evaluate("() => window.chainrule.renderer.highlight({edges: [], nodes: []})")
    page.wait_for("getComputedStyle(document.querySelector('.graph-svg .node')).opacity < 0.5")
    page.p.evaluate("() => window.chainrule.renderer.highlight(null)")
    page.wait_for("getComputedStyle(document.querySelector('.graph-svg .node')).opacity === '1'")


def test_numbers_fade_in_only_when_steps_are_slower_than_the_fade(page):
    page.open(test_page.hash_for(test_page.NAMED, {"x": 1, "y": 2}))
    page.blur()
    page.p.keyboard.press("Home")
    page.p.keyboard.press("ArrowRight")  # 1x: one step fades its number in
    fade = "getComputedStyle(document.querySelector('.graph-svg .vlabel.known')).transitionDuration"
    assert page.p.evaluate(f"() => {fade}") == "0.35s, 0.35s"  # fill and stroke (its halo)
    assert not page.p.evaluate("() => document.querySelector('.graph-svg').classList.contains('still')")
    page.p.select_option("#speed", "16")  # a step every 56 ms: the numbers show at once
    page.p.keyboard.press("Home")
    page.p.keyboard.press("Space")
    page.wait_for("Number(document.body.dataset.step) >= 4")
    assert page.p.evaluate(f"() => {fade}") == "0s"  # graph.css: .still .fade
    page.p.keyboard.press("Space")
    assert page.p.evaluate("() => document.querySelector('.graph-svg').classList.contains('still')")


def test_the_current_node_is_scrolled_into_view(page):
    page.open(test_page.hash_for(test_page.NAMED, {"x": 1, "y": 2}))
    page.blur()
    for _ in range(5):
        page.p.click("#zoom-in")
    page.wait_for("(() => { const g = document.getElementById('graph');"
                  " return g.scrollWidth > g.clientWidth; })()")
    inside = """(() => { const g = document.getElementById('graph').getBoundingClientRect();
        const n = document.querySelector('.graph-svg .node.current .shape');
        if (!n) return false; const b = n.getBoundingClientRect();
        return b.left >= g.left && b.right <= g.right && b.top >= g.top && b.bottom <= g.bottom; })()"""
    page.blur()
    # The output, at the far right, when the forward pass ends; then the first input, at the left.
    forward = page.p.evaluate("() => window.chainrule.app.timeline.forwardCount")
    page.p.evaluate(f"() => window.chainrule.player.seek({forward})")
    assert page.p.get_attribute(".graph-svg .node.current", "data-name") == "f"
    page.wait_for(inside)
    page.p.evaluate("() => window.chainrule.player.seek(1)")
    assert page.p.get_attribute(".graph-svg .node.current", "data-name") != "f"
    page.wait_for(inside)


def test_box_index_finds_what_a_scan_of_every_box_finds(page):
    page.open()
    mismatches = page.p.evaluate("""async () => {
        const { BoxIndex, hits, rect, fits, overlaps } = await import('/static/js/boxes.js');
        let seed = 7;
        const rnd = (a) => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * a; };
        const bad = [];
        for (let t = 0; t < 40; t++) {
            const boxes = [], index = new BoxIndex();
            const add = (b) => { boxes.push(b); index.push(b); };
            for (let i = 0; i < 200; i++) add(rect(rnd(2000) - 100, rnd(800) - 50, rnd(150), rnd(40)));
            // Boxes no grid cell holds: not a number, or wider than the drawing.
            add(rect(NaN, 0, 10, 10));
            add(rect(-1e9, rnd(800), 2e9, 10));
            for (let q = 0; q < 60; q++) {
                const r = q === 0 ? rect(-1e6, -1e6, 2e6, 2e6)
                    : rect(rnd(2200) - 200, rnd(900) - 100, rnd(300), rnd(60));
                const scan = boxes.filter((b) => hits(r, b)), found = index.hitBy(r);
                const same = scan.length === found.length && scan.every((b, i) => b === found[i]);
                if (!same) bad.push(['hitBy', t, q]);
                if (index.count(r) !== scan.length) bad.push(['count', t, q]);
                if (index.any(r) !== scan.length > 0) bad.push(['any', t, q]);
                const place = { x: r.x0, y: r.y0, w: r.x1 - r.x0, h: r.y1 - r.y0 };
                if (fits(place, boxes, 2000, 800) !== fits(place, index, 2000, 800)) bad.push(['fits', t, q]);
                if (overlaps(place, boxes) !== overlaps(place, index)) bad.push(['overlaps', t, q]);
            }
        }
        return bad;
    }""")
    assert mismatches == []


# A 233-node sum (the web example): fitted at the smallest zoom, its texts unreadable.
LARGE = " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, 30))
# Every text of the drawing by what it belongs to, and where it is: what a step shows.
TEXTS = """() => [...document.querySelectorAll('.graph-svg text')].map((t) => {
    const owner = t.closest('.node, .edge');
    return [owner.dataset.id ?? 'out', owner.dataset.copy ?? '', t.getAttribute('class') ?? '',
            t.textContent, t.getAttribute('x'), t.getAttribute('y'),
            t.closest('.pill')?.getAttribute('class') ?? ''];
}).sort()"""
FAR = "document.querySelector('.graph-svg').classList.contains('far')"


def test_a_large_drawing_too_small_to_read_gets_its_texts_when_zoomed_in(page):
    page.open(test_page.hash_for(LARGE, {"x": 0.5, "y": 2}))
    page.blur()
    shown = page.p.evaluate("""() => ({zoom: window.chainrule.renderer.zoom,
        nodes: window.chainrule.app.model.graph.nodes.length,
        edges: window.chainrule.app.model.graph.edges.length,
        shapes: document.querySelectorAll('.graph-svg .node[data-copy="0"] .shape').length,
        wires: document.querySelectorAll('.graph-svg .edge:not(.output-edge) .wire').length,
        texts: document.querySelectorAll('.graph-svg text').length,
        pills: document.querySelectorAll('.graph-svg .pill').length})""")
    # Shapes and wires only: every node and edge, no text (12 px at 0.2 is under 3 px).
    assert shown["zoom"] < 0.3 and page.p.evaluate(f"() => {FAR}")
    assert shown["nodes"] > 150 and shown["shapes"] == shown["nodes"] and shown["wires"] == shown["edges"]
    assert shown["texts"] == 0 and shown["pills"] == 0
    assert page.p.is_visible("#zoom-hint")  # and the page says how to read them
    # Halfway through the backward pass, zoomed in: the texts are made and show that step.
    middle = (page.count() + page.p.evaluate("() => window.chainrule.app.timeline.forwardCount")) // 2
    page.p.evaluate(f"() => window.chainrule.player.seek({middle})")
    for _ in range(2):
        page.p.click("#zoom-in")
    page.wait_for(f"!{FAR}")
    assert not page.p.is_visible("#zoom-hint")
    made = page.p.evaluate(TEXTS)
    # The same step reached by stepping with the texts there all along: the same texts, in the
    # same places.
    page.p.evaluate("() => window.chainrule.player.seek(0)")
    page.p.evaluate(f"() => window.chainrule.player.seek({middle})")
    assert page.p.evaluate(TEXTS) == made
    known = [t for t in made if "known" in t[2] or "known" in t[6]]
    assert len(known) > 300  # values and local derivatives on the edges, the gradients so far
    # Zoomed out again: hidden (not laid out), still written as the steps go.
    page.p.click("#zoom-fit")
    page.wait_for(FAR)
    assert page.p.is_visible("#zoom-hint")
    shown = "() => getComputedStyle(document.querySelector('.graph-svg .vlabel')).display"
    assert page.p.evaluate(shown) == "none"
    page.p.evaluate(f"() => window.chainrule.player.seek({page.count()})")
    assert page.p.evaluate(TEXTS) != made


def test_a_drawing_too_small_to_read_is_exported_with_its_texts(page):
    page.open(test_page.hash_for(test_page.NAMED, {"x": 1, "y": 2}))
    assert not page.p.evaluate(f"() => {FAR}") and not page.p.is_visible("#zoom-hint")  # a small one
    page.open(test_page.hash_for(LARGE, {"x": 0.5, "y": 2}))
    assert page.p.evaluate(f"() => {FAR}")
    doc = page.p.evaluate("""async () => {
        const { svgDocument } = await import('/static/js/exporter.js');
        return svgDocument(window.chainrule.renderer, '');
    }""")
    assert "far" not in re.search(r'<svg[^>]* class="([^"]*)"', doc).group(1).split()
    assert doc.count('class="vlabel fade known"') > 200  # every value, written at the step shown
    out = page.p.evaluate("() => window.chainrule.renderer.outputEdge.v.textContent")
    assert out.startswith("f = ") and f">{out}</text>" in doc
    # The page itself is as it was: too small to read, its texts made but not laid out.
    assert page.p.evaluate(f"() => {FAR}")
