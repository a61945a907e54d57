"""engine.fast.reading's contract: on statement-shaped text the parser's graph, field by field;
on anything else it declines, and what the user sees (graph or error) is the parser's alone.

The parser is run with its fast lane shut (`FAST_LENGTH` past any text), the reader directly;
generated programs mix the shapes the reader takes (`v = a op b`, `v = f(a)`, `v = f(a, b)`,
numbers in every spelling the lexer reads, spaces and separators of every kind) with what it
must decline (brackets, signs, copies, products, misspelt functions, reused names, errors)."""

from __future__ import annotations

import math
import re
import struct

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from test_parser_equivalence import ERRORS, GRAPHS

from engine import UNLIMITED, ExpressionError, Limits, evaluate, parser
from engine.fast import reading
from engine.fast.reading import read
from engine.lexer import NAME_PATTERN


def fields(graph, warnings) -> tuple:
    """Everything a Graph holds that the parser sets; constants by their bits (-0.0 is not 0.0)."""
    leaf = [v if isinstance(v, str) or v is None else struct.pack("<d", v) for v in graph.leaf]
    return (graph.ops, graph.inputs, leaf, graph.names, graph.aliases, graph.literals,
            list(graph.where), graph.output, graph.outputs, graph.variables, graph.var_nodes,
            bytes(graph.needs_grad), graph.n_edges, warnings)


def _parsed(text: str, limits: Limits, fast_length: float):
    """`parse` with its fast lane open to text of `fast_length` characters or more: its graph's
    fields, or its error's every detail."""
    saved, parser.FAST_LENGTH = parser.FAST_LENGTH, fast_length
    try:
        parsed = parser.parse(text, limits)
    except ExpressionError as err:
        return ("error", type(err), err.message, err.code, err.line, err.column, err.text,
                err.position, err.to_dict() if hasattr(err, "to_dict") else None)
    finally:
        parser.FAST_LENGTH = saved
    return fields(parsed.graph, parsed.warnings)


def careful(text: str, limits: Limits = UNLIMITED):
    """The parser alone."""
    return _parsed(text, limits, math.inf)


def through_parse(text: str, limits: Limits = UNLIMITED):
    """What `parse` gives with its fast lane open to any text (by default only to long ones)."""
    return _parsed(text, limits, 0)


# --- generated programs ----------------------------------------------------------------------

NUMBERS = st.sampled_from(["0", "2", "00", "2.", ".5", "2.50", "1e3", "1E+3", "2.5e-3", "0.0",
                           "7e0", "1.0001", "3.141592653589793", "123456789012345678"])
SPACES = st.sampled_from(["", "", " ", "  ", "\t", "\x0b", "\x0c", "\x1c", "\x1f"])
SEPARATORS = st.sampled_from(["\n", "\n", ";", "; ", " ;\n", "\n\n", ";;", "\n \t\n"])
FUNCTIONS1 = st.sampled_from(["sin", "cos", "tanh", "exp", "ln", "sqrt", "sigmoid", "log", "sum",
                              "transpose", "erf"])
FUNCTIONS2 = st.sampled_from(["max", "min", "log", "pow", "matmul"])
BINARY = st.sampled_from(["+", "-", "*", "/", "^", "**"])
# Declined shapes (or errors): what the parser alone reads.
ODD_TARGETS = st.sampled_from(["x", "pi", "sin", "v0", "θ"])
ODD_NUMBERS = st.sampled_from(["1e400", "2e", "1.2.3"])
ODD_SEPARATORS = st.sampled_from(["\r\n", "\r", "", " ", "\u2028"])
ODD = st.sampled_from(["-{a}", "{a} * -{b}", "({a} + {b})", "{a}", "{a} {b}", "2{a}", "sn({a})",
                       "sin {a}", "sin({a}", "{a} +", "{a} @ {b}", "sin({a}, {b})", "sum({a}, 0)",
                       "{a} # note", "[{a}]", "sin[{a}]", "{a}ᵀ", "{a}²", "{a} × {b}", "θ * {a}",
                       "sin", "max({a})", "{a} + sin", "w({a})", "{a}({b} + 1)"])


@st.composite
def programs(draw, odd: bool) -> str:
    """Statements `v<k> = ...` over variables x, y, z, the constants pi and e, numbers and the
    names assigned before; with `odd`, sometimes a shape the reader declines."""
    n = draw(st.integers(1, 12))
    names = ["x", "y", "z", "pi", "e"]
    text = draw(st.sampled_from(["", "", "\n", ";", " \n;\t"]))

    def operand() -> str:
        if odd and draw(st.integers(0, 20)) == 0:
            return draw(ODD_NUMBERS)
        return draw(st.one_of(st.sampled_from(names), NUMBERS))

    for k in range(n):
        target = f"v{k}" if not odd or draw(st.integers(0, 15)) else draw(ODD_TARGETS)
        shape = draw(st.integers(0, 9 if odd else 7))
        sp = [draw(SPACES) for _ in range(6)]
        a, b = operand(), operand()
        if shape <= 3:
            rhs = f"{a}{sp[0]}{draw(BINARY)}{sp[1]}{b}"
        elif shape <= 5:
            rhs = f"{draw(FUNCTIONS1)}{sp[0]}({sp[1]}{a}{sp[2]})"
        elif shape <= 7:
            rhs = f"{draw(FUNCTIONS2)}({sp[1]}{a}{sp[2]},{sp[3]}{b})"
        else:
            rhs = draw(ODD).format(a=a, b=b)
        text += f"{sp[4]}{target}{sp[5]}={draw(SPACES)}{rhs}"
        names.append(target)
        if k < n - 1 or draw(st.booleans()):
            text += draw(ODD_SEPARATORS if odd and draw(st.integers(0, 20)) == 0 else SEPARATORS)
    return text + draw(SPACES)


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(programs(odd=False))
def test_read_is_the_parsers_graph(text):
    """Whatever the reader reads is the parser's graph; what it declines the parser reads."""
    got = read(text, UNLIMITED)
    expected = careful(text)
    event("read" if got is not None else "declined")
    if got is not None:
        assert fields(*got) == expected
    assert through_parse(text) == expected


@SETTINGS
@given(programs(odd=True), st.sampled_from([UNLIMITED, Limits(), Limits(max_nodes=5),
                                            Limits(max_depth=0), Limits(max_depth=1)]))
def test_declined_text_gets_the_parsers_answer(text, limits):
    """Odd shapes and limits: the same graph or the same error, every detail of it."""
    got = read(text, limits)
    expected = careful(text, limits)
    event("read" if got is not None else "declined")
    if got is not None:
        assert fields(*got) == expected
    assert through_parse(text, limits) == expected


@SETTINGS
@given(programs(odd=True), st.integers(1, 40))
def test_pieces(text, piece):
    """Read piece by piece (a piece ends after a run of separators): the same answer."""
    whole = read(text, UNLIMITED)
    saved = reading.PIECE, reading.FIRST_PIECE
    reading.PIECE = reading.FIRST_PIECE = piece
    try:
        pieces = read(text, UNLIMITED)
    finally:
        reading.PIECE, reading.FIRST_PIECE = saved
    assert (whole is None) == (pieces is None)
    if whole is not None:
        assert fields(*whole) == fields(*pieces)


@settings(max_examples=150, deadline=None)
@given(programs(odd=False), st.floats(-3, 3), st.floats(0.1, 3), st.floats(-3, 3))
def test_gradients_are_the_same_bits(text, x, y, z):
    """The passes on the reader's graph and on the parser's give the same bits."""
    got = read(text, UNLIMITED)
    assume(got is not None and not got[0].tensor_ops)
    saved, parser.FAST_LENGTH = parser.FAST_LENGTH, math.inf
    try:
        ref = evaluate(text, {"x": x, "y": y, "z": z}, trace=False, limits=UNLIMITED)
    finally:
        parser.FAST_LENGTH = saved
    ev = evaluate(got[0], {"x": x, "y": y, "z": z}, trace=False)
    bits = lambda d: {k: struct.pack("<d", v) for k, v in d.items()}
    assert struct.pack("<d", ev.value) == struct.pack("<d", ref.value)
    assert bits(ev.gradient) == bits(ref.gradient)


# --- cases, one by one ---------------------------------------------------------------------------

READ = [
    "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d",
    "\n\n a = x ** 2 ;; \n b = sin(a)\n  ",
    "a = x*y; b = x*y; c = a+b",  # b is a's node: an alias
    "a = x*y; b = 3*x; c = a*a",  # b unused: pruned, with a warning
    "a = max(x, 2); b = log(a, 2.5e3) ; c = pi * e",
    "a = 1. / .5; b = a - 0; c = b * 0.0",
    "a = x + 1; b = x + 1.0",  # one constant, its first spelling kept
    "v0 = sin(x0)\nv1 = v0 * 1.0001\nv2 = sin(v1)",
]
DECLINED = [
    "a = -x", "a = x*y; a = 2*x", "a = a*2", "x = 2e*y", "a = sn(x)", "a = sin(x, y)", "a = x@y",
    "a = sin*2", "pi = 2*x", "sin = x*2", "a = x*y b = 2*y", "a = x*y\r\nb = a*a", "a = x*y;\nb = a",
    "a = x*y; 2*a", "a = (x)*y", "a = 1e400*x", "θ = x*y", "a = sum(x, 0)", "", " ;\n", "a = x*y;;b",
]


@pytest.mark.parametrize("text", READ)
def test_read(text):
    got = read(text, UNLIMITED)
    assert got is not None
    assert fields(*got) == careful(text)


def test_read_details():
    """What the field-by-field comparison covers, seen once: names, aliases, places, warnings."""
    graph, warnings = read("a = x*y; b = x*y; c = 3*x; d = sin(a)", UNLIMITED)
    assert [op.name if op else leaf for op, leaf in zip(graph.ops, graph.leaf)] == ["x", "y", "mul", "sin"]
    assert graph.names == [None, None, "a", "d"] and graph.aliases == {2: ["b"]}
    assert list(graph.where) == [-1, -1, 3, 20]  # the tokens of `*` and of `sin`
    assert warnings == ["'c' is assigned but the output does not use it"]


def test_names_are_the_lexers_on_ascii():
    """The reader's name pattern matches what the lexer's does on every ASCII character, first
    and later in a name (and the reader takes ASCII text alone)."""
    for code in range(128):
        for text in (chr(code), "a" + chr(code)):
            assert (re.fullmatch(reading.NAME, text, re.ASCII) is None) == (
                re.fullmatch(NAME_PATTERN, text) is None), repr(text)


@pytest.mark.parametrize("text", DECLINED)
def test_declined(text):
    assert read(text, UNLIMITED) is None
    assert through_parse(text) == careful(text)


def test_limits_decline():
    """Past a limit the reader declines and the parser's error (its numbers) is what is raised."""
    text = "a = x*y; b = sin(a); c = a*b"
    assert read(text, Limits(max_nodes=4)) is None
    assert read(text, Limits(max_depth=0)) is None
    assert read(text, Limits(max_nodes=5)) is not None
    assert through_parse(text, Limits(max_nodes=4))[3] == "limit_exceeded"


def test_long_text_through_parse():
    """Past `FAST_LENGTH` characters `parse` itself takes the reader's graph: the parser's."""
    lines = ["v0 = sin(x0)"] + [f"v{k} = v{k - 1} * 1.0001" if k % 2 else f"v{k} = sin(v{k - 1})"
                                for k in range(1, 300)]
    text = "\n".join(lines)
    assert len(text) >= parser.FAST_LENGTH and read(text, UNLIMITED) is not None
    parsed = parser.parse(text, UNLIMITED)
    assert fields(parsed.graph, parsed.warnings) == careful(text)


@pytest.mark.parametrize("text", [text for text, _ in [*GRAPHS, *ERRORS]])
def test_the_frozen_tables(text):
    """The parser's frozen graphs and errors (test_parser_equivalence): read the same, or declined."""
    got = read(text, UNLIMITED)
    if got is not None:
        assert fields(*got) == careful(text)
    assert through_parse(text) == careful(text)
