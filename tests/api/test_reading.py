"""How the text was read (issue 13): POST /api/v1/parse answers with the expression as MathML
built from our own parse (the order typed, a division as a fraction, one row per named
intermediate) and with notices for forms that may not read as meant, against a real server.
The MathML is parsed as XML and its structure checked; the page's side is in
test_page_reading.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from app.schemas import ParseResponse
from engine import parse
from engine.mathml import MAX_DEPTH, to_mathml
from engine.notices import notices

M = "{http://www.w3.org/1998/Math/MathML}"


def read(server: str, expression: str) -> dict:
    r = httpx.post(f"{server}/api/v1/parse", json={"expression": expression}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    ParseResponse.model_validate(body)
    return body


def tree(mathml: str) -> ET.Element:
    """The <math> element, with the one <mrow> around a single row taken off."""
    math = ET.fromstring(mathml)
    assert math.tag == f"{M}math"
    (row,) = list(math)
    return row


def shape(el: ET.Element) -> object:
    """An element as (tag, children...) or (tag, text): compact enough to compare whole."""
    tag = el.tag.removeprefix(M)
    kids = list(el)
    return (tag, *map(shape, kids)) if kids else (tag, el.text)


def test_a_product_after_a_division_reads_as_a_fraction_times_it(server):
    body = read(server, "a/2(z)")
    assert shape(tree(body["mathml"])) == (
        "mrow", ("mfrac", ("mi", "a"), ("mn", "2")), ("mo", "⋅"), ("mi", "z"))
    (notice,) = body["notices"]
    assert notice["code"] == "product_after_division"
    assert (notice["line"], notice["column"], notice["position"]) == (1, 3, 3)  # at "(z)"
    assert notice["params"] == {"divisor": "2", "factor": "(z)"}
    assert "(…/2)·(z)" in notice["message"]


def test_terms_keep_the_order_typed(server):
    body = read(server, "x^2 + 2*x")
    assert shape(tree(body["mathml"])) == (
        "mrow", ("msup", ("mi", "x"), ("mn", "2")), ("mo", "+"), ("mn", "2"), ("mo", "\u2062"),
        ("mi", "x"))
    assert body["notices"] == []
    # SymPy would write 2x + x²: ours keeps x² first, and 2*x + x^2 the other way round.
    again = tree(read(server, "2*x + x^2")["mathml"])
    assert [shape(k)[0] for k in again] == ["mn", "mo", "mi", "mo", "msup"]


def test_a_call_is_its_name_applied_to_its_bracketed_argument(server):
    call = tree(read(server, "sigmoid(x)")["mathml"])
    assert shape(call) == ("mrow", ("mrow", ("mi", "sigmoid"), ("mo", "\u2061"),
                                    ("mrow", ("mo", "("), ("mi", "x"), ("mo", ")"))))


def test_square_and_curly_brackets_group_as_round_ones(server):
    nested = tree(read(server, "[(x+1)*{y-2}]^2")["mathml"])
    group = ("mrow", ("mo", "("), ("mrow", ("mo", "("), ("mi", "x"), ("mo", "+"), ("mn", "1"), ("mo", ")")),
             ("mo", "⋅"), ("mrow", ("mo", "("), ("mi", "y"), ("mo", "−"), ("mn", "2"), ("mo", ")")),
             ("mo", ")"))
    assert shape(nested) == ("mrow", ("msup", group, ("mn", "2")))
    # The same reading as with round brackets only.
    assert read(server, "((x+1)*(y-2))^2")["mathml"] == read(server, "[(x+1)*{y-2}]^2")["mathml"]


def test_named_intermediates_are_one_row_each(server):
    table = tree(read(server, "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d")["mathml"])
    assert table.tag == f"{M}mtable"
    rows = [tr.find(f"{M}mtd/{M}mrow") for tr in table]
    firsts = [[shape(k) for k in row][:2] for row in rows]
    assert firsts == [[("mi", n), ("mo", "=")] for n in "abcdf"]
    # c = a + b: the names stand for their rows, not written out again.
    assert [shape(k) for k in rows[2]][2:] == [("mi", "a"), ("mo", "+"), ("mi", "b")]


@pytest.mark.parametrize("text, typed", [
    ("a-(b-c)", "a−(b−c)"), ("(a-b)-c", "a−b−c"), ("-x^2", "−x2"), ("(-x)^2", "(−x)2"),
    ("(x^2)^3", "(x2)3"), ("x^2^3", "x23"), ("2^-x", "2−x"), ("a, b, sin(x)", "a,b,sin\u2061(x)"),
])
def test_brackets_only_where_the_reading_needs_them(text, typed):
    math = ET.fromstring(to_mathml(parse(text).graph))
    assert "".join(math.itertext()) == typed


def test_too_deep_to_show_is_none_not_an_error(server):
    deep = "/".join(["x"] * (MAX_DEPTH + 5))  # fractions nested in fractions
    assert read(server, deep)["mathml"] is None
    long_sum = "+".join(["x"] * 3000)  # flat: one row, however long
    assert tree(read(server, long_sum)["mathml"]).tag == f"{M}mrow"


@pytest.mark.parametrize("text, column, divisor, factor", [
    ("1/2x", 3, "2", "x"), ("x/y^2 z", 6, "y^2", "z"), ("a/sin(x) y", 9, "sin(x)", "y"),
    ("f = (a/2\n z)", 1, "2", "z"),
])
def test_notice_place_and_parameters(text, column, divisor, factor):
    (n,) = notices(text)
    assert (n["column"], n["params"]) == (column, {"divisor": divisor, "factor": factor})
    assert text[n["position"]:].startswith(factor)


@pytest.mark.parametrize("text", ["a/2*z", "a/(2z)", "a/b", "2x/y", "(a/2)z", "a/2 + z"])
def test_no_notice_where_the_reading_is_plain(text):
    assert notices(text) == []
