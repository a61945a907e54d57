"""The parser's every message, place and graph, frozen: a table of texts taken through each
error path (message, code, line, column, offending text, offset) and a table of graphs (node by
node, with names, aliases, literals and warnings). Recorded from the parser before it was
rewritten as named steps, and checked then against it by a differential fuzz; the rows under
"read again" were recorded from session 3's parser before session 4 made it read all the tokens
in one pass and read again only text with a new line inside brackets or an error."""

# ruff: noqa: E501 (a table: one case a line)

from __future__ import annotations

import pytest

from engine import ExpressionError, LimitExceeded, Limits, parse


def shape(parsed) -> tuple:
    """A graph as text, node by node ("x 2.0 pow(0,1)"), its output, and what else it carries."""
    g = parsed.graph
    parts = []
    for i, op in enumerate(g.ops):
        if op is None:
            leaf = g.leaf[i]
            parts.append(leaf if isinstance(leaf, str) else repr(leaf))
        else:
            parts.append(f"{op.name}({','.join(map(str, g.inputs[i]))})")
    extra = {k: v for k, v in [("names", {i: n for i, n in enumerate(g.names) if n}),
                               ("aliases", g.aliases), ("literals", g.literals),
                               ("warnings", parsed.warnings)] if v}
    return " ".join(parts), g.output, extra


ERRORS = [
    ('sn(x)', ("unknown function 'sn' — did you mean 'sin'? (to multiply, write sn*(...))", 'unknown_function', 1, 0, 'sn', 0)),
    ('x + exq(x)', ("unknown function 'exq' — did you mean 'exp'? (to multiply, write exq*(...))", 'unknown_function', 1, 4, 'exq', 4)),
    ('w0(x)', ("unknown function 'w0' (to multiply, write w0*(...))", 'unknown_function', 1, 0, 'w0', 0)),
    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa(x)', ("unknown function 'aaaaaaaaaaaaaaaaaaaa… (30 characters)'", 'unknown_function', 1, 0, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0)),
    ('x + § 1', ("unexpected character '§' (U+00A7 SECTION SIGN): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 4, '§', 4)),
    ('x\u200b+ 1', ('unexpected invisible character U+200B (ZERO WIDTH SPACE): delete it (pasted text often carries such characters)', 'invalid_character', 1, 1, '\u200b', 1)),
    ('x + 1 # note', ("unexpected character '#' (U+0023 NUMBER SIGN): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 6, '#', 6)),
    ('x\ufeff', ('unexpected invisible character U+FEFF (ZERO WIDTH NO-BREAK SPACE): delete it (pasted text often carries such characters)', 'invalid_character', 1, 1, '\ufeff', 1)),
    ('x\xad', ('unexpected invisible character U+00AD (SOFT HYPHEN): delete it (pasted text often carries such characters)', 'invalid_character', 1, 1, '\xad', 1)),
    ('x́', ('unexpected invisible character U+0301 (COMBINING ACUTE ACCENT): delete it (pasted text often carries such characters)', 'invalid_character', 1, 1, '́', 1)),
    ('éx', ('unexpected invisible character U+0301 (COMBINING ACUTE ACCENT): delete it (pasted text often carries such characters)', 'invalid_character', 1, 1, '́', 1)),
    ('x½', ("unexpected character '½' (U+00BD VULGAR FRACTION ONE HALF): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 1, '½', 1)),
    ('x٣ + 1', ("unexpected character '٣' (U+0663 ARABIC-INDIC DIGIT THREE): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 1, '٣', 1)),
    ('Ⅸ', ("unexpected character 'Ⅸ' (U+2168 ROMAN NUMERAL NINE): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 0, 'Ⅸ', 0)),
    ('x + ₂', ("unexpected character '₂' (U+2082 SUBSCRIPT TWO): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 4, '₂', 4)),
    ('x . y', ("unexpected character '.' (U+002E FULL STOP): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 2, '.', 2)),
    ('x.', ("unexpected character '.' (U+002E FULL STOP): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 1, '.', 1)),
    ('1..2', ("missing operator between '1.' and '.2'", 'invalid_expression', 1, 2, '.2', 2)),
    ('$', ("unexpected character '$' (U+0024 DOLLAR SIGN): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 0, '$', 0)),
    ('\x00', ('unexpected invisible character U+0000: delete it (pasted text often carries such characters)', 'invalid_character', 1, 0, '\x00', 0)),
    ('(x + 1', ("the '(' opened here is never closed", 'invalid_expression', 1, 0, '(', 0)),
    ('sin(x + 1', ("the '(' opened here is never closed", 'invalid_expression', 1, 3, '(', 3)),
    ('［x', ("the '[' opened here is never closed", 'invalid_expression', 1, 0, '[', 0)),
    ('x + 1)', ("')' without a matching opening bracket", 'invalid_expression', 1, 5, ')', 5)),
    ('(x]', ("']' closes the '(' opened at column 0", 'invalid_expression', 1, 2, ']', 2)),
    ('{x)', ("')' closes the '{' opened at column 0", 'invalid_expression', 1, 2, ')', 2)),
    ('max(x, (y})', ("'}' closes the '(' opened at column 7", 'invalid_expression', 1, 9, '}', 9)),
    ('2 3', ("missing operator between '2' and '3'", 'invalid_expression', 1, 2, '3', 2)),
    ('x 2', ("missing operator before the number '2' (write * to multiply)", 'invalid_expression', 1, 2, '2', 2)),
    ('(x+1)2', ("missing operator before the number '2' (write * to multiply)", 'invalid_expression', 1, 5, '2', 5)),
    ('x²2', ("missing operator between '²' and '2'", 'invalid_expression', 1, 2, '2', 2)),
    ('x +', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 1, 3, None, 3)),
    ('x +;', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 1, 3, None, 3)),
    ('x +\n', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 1, 3, None, 3)),
    ('a = x^\nb = 1\nb', ("the expression ends too early after '^': a number, a name or '(' should follow", 'invalid_expression', 1, 6, None, 6)),
    ('x * / y', ("expected a number, a name or '(' but found '/'", 'invalid_expression', 1, 4, '/', 4)),
    ('x × × y', ("expected a number, a name or '(' but found '×'", 'invalid_expression', 1, 4, '×', 4)),
    ('x − −', ("the expression ends too early after '−': a number, a name or '(' should follow", 'invalid_expression', 1, 5, None, 5)),
    ('sin(x, y)', ("'sin' takes 1 argument, not 2", 'invalid_expression', 1, 0, 'sin', 0)),
    ('max(x)', ("'max' takes 2 arguments, not 1", 'invalid_expression', 1, 0, 'max', 0)),
    ('1 + log(x, y, z)', ("'log' takes 1 or 2 arguments, not 3", 'invalid_expression', 1, 4, 'log', 4)),
    ('sin()', ("'sin' needs an argument: sin(x)", 'invalid_expression', 1, 4, ')', 4)),
    ('max(,x)', ("expected a number, a name or '(' but found ','", 'invalid_expression', 1, 4, ',', 4)),
    ('sin + 1', ("'sin' is a function: write sin(...) with its argument in brackets", 'invalid_expression', 1, 0, 'sin', 0)),
    ('x + sin', ("'sin' is a function: write sin(...) with its argument in brackets", 'invalid_expression', 1, 4, 'sin', 4)),
    # Session 4: a comma at the top of the last statement lists several outputs (issue 15).
    ('(x, y)', ("',' inside brackets that are not a function's: several outputs are listed without brackets, as in a, b, sin(x)", 'invalid_expression', 1, 2, ',', 2)),
    ('a = max(x, y), z', ("'a' takes one value: several outputs are listed as the last statement, as in a, b, sin(x)", 'invalid_expression', 1, 13, ',', 13)),
    ('f, g = x', ("several outputs are listed, not assigned: give each its own statement (f = ...; g = ...) and list them last, as in f, g", 'invalid_expression', 1, 5, '=', 5)),
    ('pi = 3', ("cannot assign to 'pi': it is a constant", 'invalid_expression', 1, 0, 'pi', 0)),
    ('π = 3', ("cannot assign to 'π': it is a constant", 'invalid_expression', 1, 0, 'π', 0)),
    ('sin = x', ("cannot assign to 'sin': it is a function", 'invalid_expression', 1, 0, 'sin', 0)),
    ('a = 1\na = 2\na', ("'a' is already assigned on line 1; choose another name", 'invalid_expression', 2, 0, 'a', 6)),
    ('b = x + 1\nx = 2\nb', ("'x' is already used as a variable on line 1; choose another name", 'invalid_expression', 2, 0, 'x', 10)),
    ('y = 1; x = x + 1', ("'x' is used in its own definition: a name stands for one value, so give the result another name, as in x2 = ...", 'invalid_expression', 1, 7, 'x', 7)),
    ('x\n+ 1', ('line 1 is an expression whose value is never used: only the last statement may be a bare expression (give it a name, as in a = ..., or join the lines)', 'invalid_expression', 1, 0, 'x', 0)),
    ('a = \nb', ("nothing after '=': give 'a' a value, as in a = x + 1", 'invalid_expression', 1, 2, '=', 2)),
    ('x = 1; y =', ("nothing after '=': give 'y' a value, as in y = x + 1", 'invalid_expression', 1, 9, '=', 9)),
    ('x == y', ("'=' can only follow a name at the start of a statement", 'invalid_expression', 1, 3, '=', 3)),
    ('2 = x', ("'=' can only follow a name at the start of a statement", 'invalid_expression', 1, 2, '=', 2)),
    ('max(x; y)', ("';' inside brackets: close the bracket first", 'invalid_expression', 1, 5, ';', 5)),
    ('a = x*x\r\nb = 2*x\r\nc = a + § b', ("unexpected character '§' (U+00A7 SECTION SIGN): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 3, 8, '§', 26)),
    ('a = x\rb = y +', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 2, 7, None, 13)),
    ('a = x\n  b = (y\n\n + 1', ("the '(' opened here is never closed", 'invalid_expression', 2, 6, '(', 12)),
    ('x⁻', ('a superscript minus must be followed by superscript digits', 'invalid_expression', 1, 1, '⁻', 1)),
    ('x⁻⁻¹', ('a superscript minus must be followed by superscript digits', 'invalid_expression', 1, 1, '⁻', 1)),
    ('1e999', ('the number 1e999 is too large for a float64 (at most about 1.8e308)', 'invalid_expression', 1, 0, '1e999', 0)),
    ('1111111111111111111111111111111111111111 2', ("missing operator between '11111111111111111111… (40 characters)' and '2'", 'invalid_expression', 1, 41, '2', 41)),
    ('x yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy 2', ("missing operator before the number '2' (write * to multiply)", 'invalid_expression', 1, 33, '2', 33)),
    ('', ('the expression is empty: type a function such as (x^2 + 2x) * ln(y)', 'empty_expression', 1, 0, '', 0)),
    ('   ', ('the expression is empty: type a function such as (x^2 + 2x) * ln(y)', 'empty_expression', 1, 0, '', 0)),
    ('\n\n', ('the expression is empty: type a function such as (x^2 + 2x) * ln(y)', 'empty_expression', 1, 0, '', 0)),
    (' ; \n ;', ('the expression is empty: type a function such as (x^2 + 2x) * ln(y)', 'empty_expression', 1, 0, '', 0)),
    ('（ｘ＋１', ("the '(' opened here is never closed", 'invalid_expression', 1, 0, '(', 0)),
    ('ｘ\u3000＃', ("unexpected character '#' (U+0023 NUMBER SIGN): expressions use numbers, names, + - * / ^, brackets and commas", 'invalid_character', 1, 2, '#', 2)),
    ('²x', ("expected a number, a name or '(' but found '²'", 'invalid_expression', 1, 0, '²', 0)),
    ('2 ** ** 3', ("expected a number, a name or '(' but found '**'", 'invalid_expression', 1, 5, '**', 5)),
    ('-', ("the expression ends too early after '-': a number, a name or '(' should follow", 'invalid_expression', 1, 1, None, 1)),
    ('x = ', ("nothing after '=': give 'x' a value, as in x = x + 1", 'invalid_expression', 1, 2, '=', 2)),
    # read again: the first error in the language's order, not the first one met
    ('a = +; (x;y)', ("';' inside brackets: close the bracket first", 'invalid_expression', 1, 9, ';', 9)),
    ('x + )\ny = 1', ('line 1 is an expression whose value is never used: only the last statement may be a bare expression (give it a name, as in a = ..., or join the lines)', 'invalid_expression', 1, 0, 'x', 0)),
    ('x\n(y; z)', ("';' inside brackets: close the bracket first", 'invalid_expression', 2, 2, ';', 4)),
    ('a = 1e999; b = (x;y)', ("';' inside brackets: close the bracket first", 'invalid_expression', 1, 17, ';', 17)),
    ('a = x\nb = y +\nc = (1\n+2)', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 2, 7, None, 13)),
    ('(x\n', ("the '(' opened here is never closed", 'invalid_expression', 1, 0, '(', 0)),
    ('a = sin(\n', ("the expression ends too early after '(': a number, a name or '(' should follow", 'invalid_expression', 2, 0, None, 9)),
    ('x +\n(y\n', ('line 1 is an expression whose value is never used: only the last statement may be a bare expression (give it a name, as in a = ..., or join the lines)', 'invalid_expression', 1, 0, 'x', 0)),
    ('a = (x\n+ y)\nb = a +', ("the expression ends too early after '+': a number, a name or '(' should follow", 'invalid_expression', 3, 7, None, 19)),
    ('a = x\nb\n= y', ('line 2 is an expression whose value is never used: only the last statement may be a bare expression (give it a name, as in a = ..., or join the lines)', 'invalid_expression', 2, 0, 'b', 6)),
]
LIMITED = [
    ('(((x)))', Limits(max_length=10000, max_nodes=20000, max_depth=2), ('brackets are nested 3 deep here; at most 2 are allowed', 1, 2, '(', 2, 'max_depth', 2, 3)),
    ('sin(sin(sin(x)))', Limits(max_length=10000, max_nodes=20000, max_depth=2), ('brackets are nested 3 deep here; at most 2 are allowed', 1, 11, '(', 11, 'max_depth', 2, 3)),
    ('x+y+z+w', Limits(max_length=10000, max_nodes=5, max_depth=500), ('the graph would have more than 5 nodes; simplify the expression', None, None, None, None, 'max_nodes', 5, 6)),
    ('x + y', Limits(max_length=3, max_nodes=20000, max_depth=500), ('the expression is 5 characters long; at most 3 are allowed', None, None, None, None, 'max_length', 3, 5)),
]
GRAPHS = [
    ('(x^2 + 2x) * ln(y)', ('x 2.0 pow(0,1) mul(1,0) add(2,3) y ln(5) mul(4,6)', 7, {'literals': {1: '2'}})),
    ('a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d', ('x mul(0,0) 2.0 mul(2,0) add(1,3) y ln(5) mul(4,6)', 7, {'names': {1: 'a', 3: 'b', 4: 'c', 6: 'd', 7: 'f'}, 'literals': {2: '2'}})),
    ('-x^2', ('x 2.0 pow(0,1) neg(2)', 3, {'literals': {1: '2'}})),
    ('-2^2', ('2.0 pow(0,0) neg(1)', 2, {'literals': {0: '2'}})),
    ('2^-3', ('2.0 -3.0 pow(0,1)', 2, {'literals': {0: '2', 1: '-3'}})),
    ('x^-y^z', ('x y z pow(1,2) neg(3) pow(0,4)', 5, {})),
    ('a**b**c', ('a b c pow(1,2) pow(0,3)', 4, {})),
    ('1/2x', ('1.0 2.0 div(0,1) x mul(2,3)', 4, {'literals': {0: '1', 1: '2'}})),
    ('2 sin(x)cos(x)', ('2.0 x sin(1) mul(0,2) cos(1) mul(3,4)', 5, {'literals': {0: '2'}})),
    ('x(y+1)', ('x y 1.0 add(1,2) mul(0,3)', 4, {'literals': {2: '1'}})),
    ('w0 + w0(x+1)', ('w0 x 1.0 add(1,2) mul(0,3) add(0,4)', 5, {'literals': {2: '1'}})),
    ('[x+1]{y}', ('x 1.0 add(0,1) y mul(2,3)', 4, {'literals': {1: '1'}})),
    ('2e', ('2.0 2.718281828459045 mul(0,1)', 2, {'literals': {0: '2', 1: 'e'}})),
    ('2pi x', ('2.0 3.141592653589793 mul(0,1) x mul(2,3)', 4, {'literals': {0: '2', 1: 'pi'}})),
    ('1e-3x', ('0.001 x mul(0,1)', 2, {'literals': {0: '1e-3'}})),
    ('.5x - 1.', ('0.5 x mul(0,1) 1.0 sub(2,3)', 4, {'literals': {0: '.5', 3: '1.'}})),
    ('x² + x⁻¹²', ('x 2.0 pow(0,1) -12.0 pow(0,3) add(2,4)', 5, {'literals': {1: '2', 3: '-12'}})),
    ('x × y ÷ z − w · v', ('x y mul(0,1) z div(2,3) w v mul(5,6) sub(4,7)', 8, {})),
    ('（ｘ＋１）＊２／ｙ', ('x 1.0 add(0,1) 2.0 mul(2,3) y div(4,5)', 6, {'literals': {1: '1', 3: '2'}})),
    ('θ^2 + ω + 가', ('θ 2.0 pow(0,1) ω add(2,3) 가 add(4,5)', 6, {'literals': {1: '2'}})),
    ('log(x, 2) + log(x) + max(x, y)', ('x 2.0 logb(0,1) ln(0) add(2,3) y max(0,5) add(4,6)', 7, {'literals': {1: '2'}})),
    ('a = x\r\nb = a; c = x + 1\nb', ('x', 0, {'aliases': {0: ['a', 'b']}, 'warnings': ["'c' is assigned but the output does not use it"]})),
    ('a = x*x; b = x; a + 1', ('x mul(0,0) 1.0 add(1,2)', 3, {'names': {1: 'a'}, 'aliases': {0: ['b']}, 'literals': {2: '1'}})),
    ('f = (x\n + 1) * 2', ('x 1.0 add(0,1) 2.0 mul(2,3)', 4, {'names': {4: 'f'}, 'literals': {1: '1', 3: '2'}})),
    ('-0.0 + 0.0 * x', ('-0.0 0.0 x mul(1,2) add(0,3)', 4, {'literals': {0: '-0.0', 1: '0.0'}})),
    ('-x + +y - -2', ('x neg(0) y add(1,2) -2.0 sub(3,4)', 5, {'literals': {4: '-2'}})),
    ('e^x + pi', ('2.718281828459045 x pow(0,1) 3.141592653589793 add(2,3)', 4, {'literals': {0: 'e', 3: 'pi'}})),
    ('x\xa0+\u2028y\u3000', ('x y add(0,1)', 2, {})),
    # read again: new lines inside brackets
    ('f = sin(\nx) * (y\n+ 1)\ng = f * f', ('x sin(0) y 1.0 add(2,3) mul(1,4) mul(5,5)', 6, {'names': {5: 'f', 6: 'g'}, 'literals': {3: '1'}})),
    ('a = max(x,\n y); b = [a\n]^2\nb + a', ('x y max(0,1) 2.0 pow(2,3) add(4,2)', 5, {'names': {2: 'a', 4: 'b'}, 'literals': {3: '2'}})),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_error(text, expected):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    err = info.value
    assert (err.message, err.code, err.line, err.column, err.text, err.position) == expected


@pytest.mark.parametrize(("text", "limits", "expected"), LIMITED)
def test_limit(text, limits, expected):
    with pytest.raises(LimitExceeded) as info:
        parse(text, limits)
    err = info.value
    assert err.code == "limit_exceeded"
    assert (err.message, err.line, err.column, err.text, err.position, err.limit, err.maximum,
            err.actual) == expected


@pytest.mark.parametrize(("text", "expected"), GRAPHS)
def test_graph(text, expected):
    assert shape(parse(text)) == expected
