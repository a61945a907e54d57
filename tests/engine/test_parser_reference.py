"""The parser against its reference (tests/engine/reference_parser.py: the parser, the lexer's
`tokenize` and `GraphBuilder` as they were before session 12 made them faster) on random text:
the same graph field by field (ops, inputs, leaves, names, aliases, literals, `where`, outputs)
and the same warnings, or the same error (its class and every field: message, code, line,
column, text, position, reason, params, limits). Programs drawn from the grammar (statements,
assignments, calls, signs, powers, implicit products, brackets of three kinds with new lines
inside, numbers spelt every way, text pasted from slides) and token soup, with and without
limits."""

from __future__ import annotations

import dataclasses

import reference_parser
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine import ExpressionError, Limits, parse
from engine.limits import DEFAULT_LIMITS

SETTINGS = settings(deadline=None, max_examples=1500, derandomize=True)


def outcome(parse_with, text: str, limits: Limits) -> tuple:
    """What a parser makes of `text`: its graph and warnings, field by field, or its error."""
    try:
        parsed = parse_with(text, limits)
    except ExpressionError as err:
        return ("error", type(err).__name__,
                {f.name: getattr(err, f.name) for f in dataclasses.fields(err)})
    g = parsed.graph
    return ("graph", [op.name if op else None for op in g.ops], g.inputs, [repr(v) for v in g.leaf],
            g.names, g.aliases, g.literals, g.where.tolist(), g.output, g.outputs, parsed.warnings)


def assert_as_reference(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    assert outcome(parse, text, limits) == outcome(reference_parser.parse, text, limits), repr(text)


# --- programs from the grammar ------------------------------------------------------------------

NAMES = ["x", "y", "z", "w0", "a", "b", "c", "θ", "pi", "e", "sn"]
NUMBERS = ["0", "1", "2", "2.5", ".5", "1.", "1e-3", "3E+2", "2e", "10", "0.0", "2", "3", "²"]
# Functions by the arguments they mostly get (and now and then another count: an error).
FUNCTIONS = {"sin": 1, "ln": 1, "exp": 1, "log": 2, "max": 2, "min": 2, "pow": 2, "sqrt": 1,
             "tanh": 1, "abs": 1, "sum": 1, "mean": 1}
BINARY = ["+", "-", "*", "/", "^", "**", "×", "·", "÷", "−", "@", " "]  # " ": implicit *
SPACES = ["", "", "", " ", "  ", "\t"]
BRACKETS = [("(", ")"), ("(", ")"), ("[", "]"), ("{", "}"), ("（", "）")]


@st.composite
def expressions(draw, depth: int = 0) -> str:
    """An expression, mostly well formed; without a loop over its own output (bounded depth)."""
    space = draw(st.sampled_from(SPACES))
    kind = draw(st.integers(0, 9 if depth < 4 else 1))
    if kind == 0:
        return draw(st.sampled_from(NAMES))
    if kind == 1:
        return draw(st.sampled_from(NUMBERS))
    if kind <= 4:
        left, right = draw(expressions(depth + 1)), draw(expressions(depth + 1))
        return f"{left}{space}{draw(st.sampled_from(BINARY))}{space}{right}"
    if kind == 5:
        return f"{draw(st.sampled_from(['-', '+', '−', '--']))}{draw(expressions(depth + 1))}"
    if kind == 6:
        opener, closer = draw(st.sampled_from(BRACKETS))
        inner = draw(expressions(depth + 1))
        new_line = draw(st.sampled_from(["", "", "", "", "\n", "\r\n", "", "", "", ";"]))
        return f"{opener}{inner}{new_line}{closer}{draw(st.sampled_from(['', '', 'ᵀ', '²', '⁻¹']))}"
    if kind == 7:
        function = draw(st.sampled_from(sorted(FUNCTIONS)))
        n = FUNCTIONS[function] if draw(st.integers(0, 9)) else draw(st.integers(0, 3))
        args = [draw(expressions(depth + 1)) for _ in range(n)]
        opener, closer = draw(st.sampled_from(BRACKETS))
        return f"{function}{opener}{(',' + space).join(args)}{closer}"
    if kind == 8:  # the same subexpression twice: shared nodes
        inner = draw(expressions(depth + 1))
        return f"({inner}){draw(st.sampled_from(BINARY))}({inner})"
    if draw(st.booleans()):
        return f"v{draw(st.integers(0, 3))}"  # a name assigned before (or not yet)
    return f"{draw(st.sampled_from(NUMBERS))}{draw(st.sampled_from(NAMES))}"  # 2x


@st.composite
def programs(draw) -> str:
    """Statements (assignments, then an output or several), joined by `;` or new lines."""
    lines = []
    for k in range(draw(st.integers(0, 4))):
        # A new name mostly; now and then one taken (a variable, a function, a constant, itself).
        target = f"v{k}" if draw(st.integers(0, 5)) else draw(st.sampled_from(["a", "v0", "x", "sin", "pi"]))
        lines.append(f"{target}{draw(st.sampled_from(SPACES))}={draw(st.sampled_from(SPACES))}"
                     f"{draw(expressions())}")
    outputs = draw(st.lists(expressions(), min_size=1, max_size=3))
    lines.append(", ".join(outputs))
    separators = st.sampled_from(["; ", ";", "\n", "\r\n", "\n\n", " ;\n"])
    text = lines[0]
    for line in lines[1:]:
        text += draw(separators) + line
    return draw(st.sampled_from(["", "", "\n", " "])) + text + draw(st.sampled_from(["", "", "\n", ";"]))


@SETTINGS
@given(text=programs())
@example(text="(x^2 + 2x) * ln(y)")
@example(text="v0 = x*y; v1 = sin(v0)*x + v0*y; v2 = sin(v1)*x + v1*y + 2x")
@example(text="a = x*x; b = -x; c = -x + a; a, b, -x")
@example(text="max(x,\n y) + (x\n+ 1)")
@example(text="x + * y; (a;b)")
@example(text="a = 1\na = 2\na")
@example(text="1e999 + x")
def test_programs_read_as_the_reference(text):
    assert_as_reference(text)


@SETTINGS
@given(text=programs(), nodes=st.integers(1, 12), depth=st.integers(0, 3))
def test_limits_are_met_as_the_reference(text, nodes, depth):
    assert_as_reference(text, Limits(max_nodes=nodes, max_depth=depth))


# --- token soup ---------------------------------------------------------------------------------

PIECES = [*"xyzab0123456789.+-*/^()[]{},;= \n\r\teEπθ²³⁻¹×·÷−§#!ᵀ\u200b\u00a0",
          "sin", "ln", "log", "max", "pow", "pi", "**", "sn", "1e-3", "2e", "w0", "\r\n", "가", "（", "）"]


@SETTINGS
@given(text=st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.text(max_size=30)))
def test_token_soup_reads_as_the_reference(text):
    assert_as_reference(text)


def test_long_texts_read_as_the_reference():
    """Past `FAST_LENGTH`, statements the reader declines; one long line; deep brackets."""
    statements = "; ".join(["v0 = x*y", *(f"v{i} = sin(v{i - 1})*x + v{i - 1}*y" for i in range(1, 130))])
    for text in [statements + " + 2x", " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, 60)),
                 "(" * 300 + "x" + ")" * 300, "(" * 300 + "x", "x" + ")" * 30,
                 statements.replace("; ", "\n") + "\n(v3 +\n v4)"]:
        assert_as_reference(text)
        assert_as_reference(text, Limits(max_nodes=100, max_depth=50))
