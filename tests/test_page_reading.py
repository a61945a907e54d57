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
