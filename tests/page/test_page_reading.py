"""The page reads the text back (issue 13), in real Chromium against a real `chainrule serve`:
under the field, the expression as typed math from the server's MathML (a/2(z) as a fraction
times z), a gentle notice for that form in the chosen language, and nothing of it once the text
does not parse. The server, browser and tab helpers are test_page.py's."""

from __future__ import annotations

import test_page

page = test_page.page

# The reading line as the page built it: each MathML element as [tag, text or children].
SHAPE = """() => {
    const shape = (el) => el.children.length
        ? [el.localName, ...[...el.children].map(shape)] : [el.localName, el.textContent];
    const math = document.querySelector('#expr-reading .reading-math math');
    return math ? shape(math) : null;
}"""


def test_the_line_under_the_field_reads_a_over_2_times_z(page):
    page.open()
    page.p.fill("#expr", "a/2(z)")
    page.wait_for("document.querySelector('#expr-reading .notice')")
    assert page.p.is_visible("#expr-reading .reading-math math")
    assert page.p.evaluate(SHAPE) == [
        "math", ["mrow", ["mfrac", ["mi", "a"], ["mn", "2"]], ["mo", "⋅"], ["mi", "z"]]]
    # Drawn as a fraction: a above 2, and z beside the fraction, level with its bar.
    boxes = page.p.evaluate("""() => Object.fromEntries(['mfrac', 'mfrac > mi', 'mfrac > mn',
        'mrow > mi:last-child'].map(s => [s, document.querySelector('#expr-reading math ' + s)
        .getBoundingClientRect().toJSON()]))""")
    a, two, z, frac = boxes["mfrac > mi"], boxes["mfrac > mn"], boxes["mrow > mi:last-child"], boxes["mfrac"]
    assert a["bottom"] <= two["top"] + 1
    assert z["left"] >= frac["right"] - 1 and frac["top"] < z["top"] + z["height"] / 2 < frac["bottom"]
    notice = page.p.locator("#expr-reading .notice")
    assert notice.get_attribute("data-code") == "product_after_division"
    assert notice.get_attribute("data-column") == "3"
    assert notice.inner_text().startswith("Line 1, column 4: read as (…/2)·(z)")
    # In Korean, the same notice in Korean words.
    page.p.click("#lang-ko")
    assert notice.inner_text().startswith("1행 4열: (…/2)·(z)(으)로 읽었습니다")
    page.p.click("#lang-en")
    # A form that reads plainly has no notice; text that does not parse has no reading.
    page.p.fill("#expr", "a/(2z)")
    page.wait_for("!document.querySelector('#expr-reading .notice')"
                  " && document.querySelector('#expr-reading mfrac mrow')")
    page.expect_422 = True
    page.p.fill("#expr", "(x+")
    page.wait_for("document.body.dataset.status === 'error'")
    assert page.p.is_hidden("#expr-reading")
    assert page.errors == []


def test_parser_errors_in_korean_by_reason(page):
    """Each parser error is phrased in Korean from its reason and params; the server's English
    stays beside it, marked as such."""
    page.open()
    page.p.click("#lang-ko")
    page.expect_422 = True
    message = page.p.locator("#expr-error .message")
    for text, where, korean in (
        ("(x+", "1행 4열", "'+' 뒤에서 식이 끝났습니다. 숫자, 이름 또는 '('가 와야 합니다."),
        ("(x + 1]", "1행 7열", "']'은(는) 1열에서 연 '('의 짝이 아닙니다."),
        ("sin(x, y, z)", "1행 1열", "'sin'은(는) 인수를 1개 받습니다. 3개가 아닙니다."),
        ("log(x, y, z)", "1행 1열", "'log'은(는) 인수를 1 또는 2개 받습니다. 3개가 아닙니다."),
        ("sn(x)", "1행 1열", "알 수 없는 함수 'sn'입니다. 'sin'을(를) 쓰려던 건가요?"),
    ):
        page.p.fill("#expr", text)
        shown = "document.querySelector('#expr-error .message').textContent"
        page.wait_for(f"document.querySelector('#expr-error .where').textContent === '{where}'"
                      f" && {shown}.includes({korean[:6]!r})")
        said = message.inner_text()
        assert said.startswith(korean), said
        assert message.locator(".server-words").get_attribute("lang") == "en"
    assert page.errors == []


def test_a_sigmoid_toggles_between_one_node_and_its_unit_functions(page):
    """The neuron's σ drawn as one node, then as the lecture's logistic graph (−, exp, +, ÷),
    then as one node again; the gradients shown for the inputs are the same each way."""
    page.open(test_page.hash_for("f = sigmoid(w0*x0 + w1*x1 + w2)",
                                 {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}))
    labels = """() => [...document.querySelectorAll('.graph-svg .node[data-copy="0"]')]
        .map(g => g.dataset.id)"""
    ops = """() => [...document.querySelectorAll('.graph-svg .node[data-copy="0"] text')]
        .map(t => t.textContent.trim())"""
    pressed = "document.querySelector('#composites .composite-toggle')?.getAttribute('aria-pressed') === "
    grads = "() => [...document.querySelectorAll('#variables .vgrad')].map(e => e.textContent)"
    toggle = page.p.locator("#composites .composite-toggle")
    assert toggle.count() == 1 and toggle.get_attribute("aria-pressed") == "false"
    assert "Show f as unit functions" in toggle.inner_text()
    one_nodes, one_grads = page.p.evaluate(labels), page.p.evaluate(grads)
    assert "σ" in page.p.evaluate(ops)
    before = page.renders()
    toggle.click()
    page.wait_render(before)
    page.wait_for(pressed + "'true'")
    shown = page.p.evaluate(ops)
    assert "σ" not in shown and {"−", "exp", "+", "÷"} <= set(shown)
    assert len(page.p.evaluate(labels)) == len(one_nodes) + 4
    assert page.p.evaluate(grads) == one_grads
    assert "Draw f as one node (sigmoid)" in toggle.inner_text()
    before = page.renders()
    toggle.click()
    page.wait_render(before)
    page.wait_for(pressed + "'false'")
    assert page.p.evaluate(labels) == one_nodes and "σ" in page.p.evaluate(ops)
    assert page.errors == []
