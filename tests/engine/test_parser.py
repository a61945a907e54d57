"""The expression language, as a table: each typed form against an explicit, fully bracketed
equivalent (same graph structure, same value and gradient at random points), and each
mistake against its message and exact place (1-based line, 0-based column)."""

from __future__ import annotations

import math
import random

import pytest
from conftest import same_structure
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    CONSTANTS,
    ExpressionError,
    LimitExceeded,
    Limits,
    compile,
    evaluate,
    grad,
    parse,
)


def points(graph, n: int = 4, seed: int = 0) -> list[dict[str, float]]:
    rng = random.Random(seed)
    return [{v: rng.uniform(0.5, 2.5) for v in graph.variables} for _ in range(n)]


def assert_equivalent(typed: str, explicit: str) -> None:
    a, b = compile(typed), compile(explicit)
    assert a.variables == b.variables
    assert same_structure(a, b), (typed, explicit)
    for point in points(a):
        ea, eb = evaluate(a, point), evaluate(b, point)
        assert ea.value == eb.value
        assert ea.gradient == eb.gradient


# --- precedence and implicit multiplication ------------------------------------------------

EQUIVALENT = [
    ("-x^2", "-(x^2)"),
    ("-2^2", "-(2^2)"),
    ("x^2+1", "(x^2)+1"),
    ("2^-3", "2^(-3)"),
    ("2^-x", "2^(-x)"),
    ("x^-y^z", "x^(-(y^z))"),
    ("a^b^c", "a^(b^c)"),
    ("a**b**c", "a^(b^c)"),
    ("x**2", "x^2"),
    ("x-y-z", "(x-y)-z"),
    ("x/y/z", "(x/y)/z"),
    ("x/y*z", "(x/y)*z"),
    ("1/2x", "(1/2)*x"),  # implicit multiplication binds like *, left to right
    ("2x/3y", "((2*x)/3)*y"),
    ("2x", "2*x"),
    ("2 x", "2*x"),
    ("2(x+1)", "2*(x+1)"),
    ("(x+1)(x-1)", "(x+1)*(x-1)"),
    ("2 sin(x)", "2*sin(x)"),
    ("2 sin(x)cos(x)", "(2*sin(x))*cos(x)"),
    ("x sin(x)", "x*sin(x)"),
    ("x(y+1)", "x*(y+1)"),
    ("x y", "x*y"),
    ("x y z", "(x*y)*z"),
    ("2x^2", "2*(x^2)"),
    ("x^2y", "(x^2)*y"),
    ("-x y", "(-x)*y"),
    ("sin(x)^2", "(sin(x))^2"),
    ("x*-y", "x*(-y)"),
    ("+x", "x"),
    ("--x", "-(-x)"),
    ("[x+1]{y}", "(x+1)*y"),
    ("2e", "2*e"),
    ("2pi x", "(2*pi)*x"),
    ("2π", "2*pi"),
    ("π", "pi"),
    ("1e-3x", "0.001*x"),
    ("1.5e+2", "150"),
    ("2E3", "2000"),
    (".5x", "0.5*x"),
    ("1.", "1"),
    ("x²", "x^2"),
    ("2x²", "2*(x^2)"),
    ("(x+1)²", "(x+1)^2"),
    ("x⁻¹", "x^(-1)"),
    ("x²y", "(x^2)*y"),
    ("x × y ÷ z − w", "((x*y)/z)-w"),
    ("x·y⋅z", "(x*y)*z"),
    ("x ‐ y – z", "(x - y) - z"),  # hyphen and en dash as minus
    ("（ｘ＋１）＊２／ｙ", "((x+1)*2)/y"),  # full-width forms from East Asian input methods
    ("ｘ　ｙ", "x*y"),  # ideographic space
    ("log(x)", "ln(x)"),
    ("(x +\n y)", "x + y"),
    ("max(x,\n y)", "max(x, y)"),
]


@pytest.mark.parametrize(("typed", "explicit"), EQUIVALENT)
def test_typed_form_equals_explicit_form(typed, explicit):
    assert_equivalent(typed, explicit)


@pytest.mark.parametrize(("text", "value"), [
    ("-x^2", -9.0),
    ("(-x)^2", 9.0),
    ("2^-3", 0.125),
    ("2^3^2", 512.0),
    ("(2^3)^2", 64.0),
    ("-2^2", -4.0),
    ("1/2x", 1.5),
    ("2e", 2 * math.e),
    ("1e-3", 0.001),
    (".5", 0.5),
    ("x⁻¹", 1 / 3),
    ("x²", 9.0),
])
def test_values(text, value):
    assert evaluate(text, {"x": 3}).value == pytest.approx(value, rel=1e-15, abs=0)


def test_structure_of_unary_minus_and_power():
    g = compile("-x^2")
    out = g.ops[g.output]
    assert out.name == "neg"
    [inner] = g.inputs[g.output]
    assert g.ops[inner].name == "pow"
    # A negative literal is one constant, not neg(2): 2^-3 has no neg node.
    g = compile("2^-3")
    assert [op.name for op in g.ops if op] == ["pow"]
    assert sorted(v for v in g.leaf if v is not None) == [-3.0, 2.0]


def test_names_are_whole_words():
    assert compile("xy").variables == ("xy",)
    assert compile("x y").variables == ("x", "y")
    assert compile("x2 + w0").variables == ("x2", "w0")
    assert compile("θ^2 + ω").variables == ("θ", "ω")
    assert compile("가 + 나").variables == ("가", "나")  # Korean names are letters too
    assert compile("ex + pi2").variables == ("ex", "pi2")  # not e*x, not pi*2
    assert compile("2ex").variables == ("ex",)


def test_constants():
    assert CONSTANTS["pi"] == CONSTANTS["π"] == math.pi
    assert CONSTANTS["e"] == math.e
    assert evaluate("pi", {}).value == math.pi
    assert evaluate("π", {}).value == math.pi
    assert evaluate("e", {}).value == math.e
    assert evaluate("e^x", {"x": 1}).gradient == {"x": pytest.approx(math.e, rel=1e-15, abs=0)}
    assert compile("pi*r^2").variables == ("r",)


def test_logarithms():
    value, g = grad("log(x, b)", x=8, b=2)
    assert value == pytest.approx(3.0, rel=1e-15, abs=0)
    assert g["x"] == pytest.approx(1 / (8 * math.log(2)), rel=1e-15, abs=0)
    assert g["b"] == pytest.approx(-math.log(8) / (2 * math.log(2) ** 2), rel=1e-15, abs=0)
    assert compile("log(x)").ops[-1].name == "ln"
    assert compile("log(x, 10)").ops[-1].name == "logb"
    assert grad("log10(x)", x=1000)[0] == pytest.approx(3.0, rel=1e-15, abs=0)
    assert grad("log2(x)", x=8)[0] == 3.0


def test_statements_with_semicolons_and_new_lines():
    text = "a = x*x\nb = 2*x; c = a + b\n\nd = ln(y)\nf = c*d\n"
    ev = evaluate(text, {"x": 1, "y": 2})
    names = {n["name"]: n for n in ev.nodes() if n["name"]}
    assert set(names) == {"x", "y", "a", "b", "c", "d", "f"}
    assert ev.graph.names[ev.graph.output] == "f"
    assert ev.value == pytest.approx(3 * math.log(2), rel=1e-15, abs=0)
    assert ev.gradient == {"x": pytest.approx(4 * math.log(2), rel=1e-15, abs=0), "y": 1.5}
    # Windows line ends and a trailing separator.
    assert evaluate("a = x\r\nf = a*2;", {"x": 3}).value == 6.0
    # The last statement may be an assignment or a bare expression.
    assert evaluate("a = x*x; a + 1", {"x": 3}).value == 10.0


def test_new_line_inside_brackets_is_a_space():
    assert evaluate("f = (x\n + 1) * 2", {"x": 1}).value == 4.0
    # Outside brackets a new line ends the statement, so a bare `* 2` line is an error.
    with pytest.raises(ExpressionError):
        parse("f = (x\n + 1)\n * 2")
    assert evaluate("max(x,\n y)", {"x": 1, "y": 5}).value == 5.0


# --- errors: message, code, line and column --------------------------------------------------

def error_of(text: str, limits: Limits | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text) if limits is None else parse(text, limits)
    return info.value


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("sn(x)", 1, 0, "unknown function 'sn' — did you mean 'sin'?"),
    ("x + sn(x)", 1, 4, "unknown function 'sn' — did you mean 'sin'?"),
    ("x + exq(x)", 1, 4, "did you mean 'exp'?"),
    ("sigmod(x)", 1, 0, "did you mean 'sigmoid'?"),
    ("SIN(x)", 1, 0, "did you mean 'sin'?"),
    ("ReLU(x)", 1, 0, "did you mean 'relu'?"),
    ("arctan(x)", 1, 0, "did you mean 'atan'?"),
    ("x + § 1", 1, 4, "'§' (U+00A7 SECTION SIGN)"),
    ("x\u200b+ 1", 1, 1, "U+200B"),
    ("x + 1 # note", 1, 6, "'#' (U+0023"),
    ("(x + 1", 1, 0, "never closed"),
    ("sin(x + 1", 1, 3, "never closed"),
    ("x + 1)", 1, 5, "without a matching opening bracket"),
    ("(x]", 1, 2, "closes the '(' opened at column 0"),
    ("2 3", 1, 2, "missing operator between '2' and '3'"),
    ("x 2", 1, 2, "missing operator before the number '2'"),
    ("(x+1)2", 1, 5, "missing operator before the number '2'"),
    ("x +", 1, 3, "ends too early after '+'"),
    ("x * / y", 1, 4, "found '/'"),
    ("sin(x, y)", 1, 0, "'sin' takes 1 argument, not 2"),
    ("max(x)", 1, 0, "'max' takes 2 arguments, not 1"),
    ("1 + log(x, y, z)", 1, 4, "'log' takes 1 or 2 arguments, not 3"),
    ("sin()", 1, 4, "'sin' needs an argument"),
    ("sin + 1", 1, 0, "'sin' is a function"),
    ("x + sin", 1, 4, "'sin' is a function"),
    ("[x, y]", 1, 2, "',' inside brackets that are not a function's: several outputs are listed "
                     "without brackets, as in a, b, sin(x)"),
    ("pi = 3", 1, 0, "cannot assign to 'pi': it is a constant"),
    ("π = 3", 1, 0, "cannot assign to 'π': it is a constant"),
    ("e = 3", 1, 0, "cannot assign to 'e': it is a constant"),
    ("sin = x", 1, 0, "cannot assign to 'sin': it is a function"),
    ("x = 1; y = 2; sin = x", 1, 14, "cannot assign to 'sin': it is a function"),
    ("a = 1\na = 2\na", 2, 0, "'a' is already assigned on line 1"),
    ("b = x + 1\nx = 2\nb", 2, 0, "'x' is already used as a variable on line 1"),
    ("y = 1; x = x + 1", 1, 7, "'x' is used in its own definition"),
    ("a = a", 1, 0, "'a' is used in its own definition"),
    ("x\n+ 1", 1, 0, "only the last statement may be a bare expression"),
    ("a = x\nx*x\na", 2, 0, "only the last statement may be a bare expression"),
    ("a = \nb", 1, 2, "nothing after '=': give 'a' a value"),
    ("x = 1; y =", 1, 9, "nothing after '=': give 'y' a value"),
    ("x == y", 1, 3, "'=' can only follow a name"),
    ("2 = x", 1, 2, "'=' can only follow a name"),
    ("max(x; y)", 1, 5, "';' inside brackets"),
    ("a = x*x\nb = 2*x\nc = a + § b", 3, 8, "'§'"),
    ("a = x\nb = y +", 2, 7, "ends too early"),
    ("a = x\n  b = (y\n\n + 1", 2, 6, "never closed"),
    ("x⁻", 1, 1, "superscript minus must be followed by superscript digits"),
    ("1e999", 1, 0, "too large"),
])
def test_error_message_and_place(text, line, column, words):
    err = error_of(text)
    assert words in err.message, err.message
    assert (err.line, err.column) == (line, column), err
    assert f"(line {line}, column {column})" in str(err)


def test_invisible_characters_are_named_by_code_point_only():
    for ch, code in [("\u200b", "U+200B"), ("\ufeff", "U+FEFF"), ("\u0000", "U+0000"),
                     ("\u00ad", "U+00AD")]:
        err = error_of(f"x{ch}")
        assert code in err.message and ch not in err.message, repr(err.message)
        assert err.code == "invalid_character" and err.text == ch and err.column == 1


def test_error_codes_and_offending_text():
    err = error_of("sn(x)")
    assert (err.code, err.text) == ("unknown_function", "sn")
    err = error_of("x + §")
    assert (err.code, err.text) == ("invalid_character", "§")
    assert err.to_dict() == {"code": "invalid_character", "message": err.message, "line": 1,
                             "column": 4, "text": "§"}


@pytest.mark.parametrize("text", ["", "   ", "\n\n", ";", " ; \n ;"])
def test_empty_input(text):
    err = error_of(text)
    assert err.code == "empty_expression"
    assert "empty" in err.message


def test_missing_value_names_the_variable():
    with pytest.raises(ExpressionError) as info:
        evaluate("x*y + z", {"x": 1, "z": 2})
    assert info.value.code == "missing_value"
    assert "'y'" in info.value.message and info.value.text == "y"
    with pytest.raises(ExpressionError, match="'x' must be a number"):
        evaluate("x", {"x": "1"})


def test_a_name_is_either_a_function_or_a_variable():
    # A known function without brackets is an error, whichever comes first.
    with pytest.raises(ExpressionError, match="'cos' is a function"):
        parse("cos(x) + cos")
    with pytest.raises(ExpressionError, match="'cos' is a function"):
        parse("cos + cos(x)")
    # An unknown longer name before brackets is a misspelt function ...
    with pytest.raises(ExpressionError, match="unknown function 'foo'"):
        parse("foo(x)")
    # ... unless the same name is a variable elsewhere: then it multiplies, in either order.
    assert same_structure(compile("w0 + w0(x+1)"), compile("w0 + w0*(x+1)"))
    assert same_structure(compile("w0(x+1) + w0"), compile("w0*(x+1) + w0"))
    # A one-letter name before brackets multiplies; an assigned name too.
    assert evaluate("x(x+1)", {"x": 2}).value == 6.0
    assert evaluate("ab = x + 1; ab(2)", {"x": 2}).value == 6.0


# --- limits ------------------------------------------------------------------------------------

def test_length_limit():
    ok = "x" + "+x" * 4999 + " "
    assert len(ok) == 10_000
    parse(ok)
    err = error_of(ok + "x")
    assert isinstance(err, LimitExceeded)
    assert (err.limit, err.maximum, err.actual) == ("max_length", 10_000, 10_001)
    assert err.code == "limit_exceeded"
    assert err.to_dict()["limit"] == "max_length"


def test_depth_limit_is_a_clear_error_not_recursion():
    deep = "(" * 10_000 + "x" + ")" * 10_000
    err = error_of(deep, Limits(max_length=None))
    assert isinstance(err, LimitExceeded)
    assert (err.limit, err.maximum, err.actual) == ("max_depth", 500, 501)
    assert (err.line, err.column) == (1, 500)
    # Function calls nest too.
    err = error_of("sin(" * 501 + "x" + ")" * 501)
    assert isinstance(err, LimitExceeded) and err.limit == "max_depth"
    # 500 is allowed, and with the bound off the parser itself is iterative.
    assert evaluate("(" * 500 + "x" + ")" * 500, {"x": 2}).value == 2.0
    unbounded = Limits(max_length=None, max_depth=None)
    assert evaluate(deep, {"x": 2}, limits=unbounded).gradient == {"x": 1.0}
    value = evaluate("sin(" * 5000 + "x" + ")" * 5000, {"x": 0.5}, limits=unbounded).value
    expected = 0.5
    for _ in range(5000):
        expected = math.sin(expected)
    assert value == expected


def test_node_limit():
    text = "+".join(f"x{i}" for i in range(10_001))  # 10,001 variables + 10,000 sums
    err = error_of(text, Limits(max_length=None))
    assert isinstance(err, LimitExceeded)
    assert (err.limit, err.maximum) == ("max_nodes", 20_000)
    parse("+".join(f"x{i}" for i in range(10_000)), Limits(max_length=None))  # 19,999 nodes
    err = error_of("x+y+z+w", Limits(max_nodes=5))
    assert isinstance(err, LimitExceeded) and err.limit == "max_nodes"


def test_limits_are_configurable():
    with pytest.raises(LimitExceeded):
        parse("x + y", Limits(max_length=3))
    with pytest.raises(LimitExceeded):
        parse("((x))", Limits(max_depth=1))
    parse("((x))", Limits(max_depth=2))


def test_not_text():
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        parse(b"x")  # type: ignore[arg-type]


def test_long_typed_text_is_shortened_in_messages():
    err = error_of("1" * 500)
    assert "500 characters" in err.message and len(err.message) < 120
    assert err.text == "1" * 500  # the error still carries all of it
    err = error_of("a" * 300 + "(x)")
    assert err.code == "unknown_function" and len(err.message) < 120
    err = error_of("x " + "y" * 200 + " 2")
    assert len(err.message) < 120


# --- the tokenizer's two paths agree ------------------------------------------------------------

def _cut(text: str, fast: bool):
    """Tokens as (kind, text, typed, offset) tuples, or the error's (message, position)."""
    from engine.lexer import Locator, _tokens_one_by_one, tokenize

    loc = Locator(text)
    try:
        toks = tokenize(text, loc) if fast else _tokens_one_by_one(text, loc)
    except ExpressionError as err:
        return (err.message, err.position)
    return [(toks.kinds[i], toks.texts[i], toks.typed[i], toks.pos(i)) for i in range(len(toks))]


ASCII_PIECES = ["x", "y1", "_a", "sin", "2", "1.5", ".5", "1.", "1e-3", "2e", "3E+2", "+", "-",
                "*", "**", "/", "^", "(", ")", "[", "]", "{", "}", ",", "=", ";", " ", "\t",
                "\n", "\r", "\r\n", "\x0c", ".", "#", "\x00", "$"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ASCII_PIECES), max_size=12))
def test_the_ascii_path_cuts_as_the_general_one(pieces):
    """ASCII text is cut by one findall, its offsets found only when asked; it must give the
    same tokens, offsets and errors as the path that reads one token at a time."""
    text = "".join(pieces)
    assert _cut(text, fast=True) == _cut(text, fast=False), repr(text)


def test_every_space_is_read_as_a_space():
    """The spaces pasted text may carry are the ones str.isspace knows (new lines apart)."""
    from engine.lexer import PASTED

    spaces = {cp for cp in range(0x80, 0x110000) if chr(cp).isspace()}
    assert spaces == {cp for cp, to in PASTED.items() if to == 0x20}


@pytest.mark.parametrize("text", ["x +;", "a = x^\nb = 1\nb", "x +\n"])
def test_a_statement_that_ends_too_early_shows_no_text(text):
    """The error sits where the statement ends; the separator there is not what was wrong."""
    err = error_of(text)
    assert "ends too early" in err.message and err.text is None, (err.message, err.text)
