"""Statement-shaped text read in one regular expression: the same graph as `engine.parser`, or
nothing.

A long program typed (or generated) one statement a node, `v9 = v8 * y; v10 = sin(v9)`, is
mostly statements of two shapes: `name = a op b` and `name = f(a)` (or `f(a, b)`), with a and b
names or numbers. `read` takes each statement's parts with a `findall` (piece by piece), whose
pattern matches any other character alone, as a row of empty parts; it builds the nodes directly,
in the order and with the places (`Graph.where`: token numbers) the parser would give them.
Anything else (a bracket, a unary minus, an error of any kind, text that is not ASCII) it
declines at the first such row, returning None, and the parser reads the text: every message,
place and code comes from the parser alone. Its patterns are the lexer's (`NUMBER_PATTERN`,
`SPACE`, and `NAME_PATTERN` as it reads ASCII); its operators and functions the op table's.
tests/engine/test_fast_reading.py holds it to "the parser's graph, field by field".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain

from ..graph import Graph, GraphBuilder
from ..lexer import NUMBER_PATTERN, SPACE
from ..limits import Limits
from ..ops import CONSTANTS, FUNCTIONS, OPS
from ..parse_errors import unused_assignment

_SP = f"{SPACE}*+"
#: The lexer's NAME_PATTERN on ASCII text (all `read` takes), as one set of characters each: the
#: lexer's `[^\W\d...]` is a negated class of categories and ranges, tried item by item; this is
#: a table lookup a character (`findall` 15-20 % faster). tests/engine/test_fast_reading.py
#: holds the two to the same matches on every ASCII character.
NAME = "[A-Za-z_][A-Za-z_0-9]*+"
_OPERAND = f"({NAME}|{NUMBER_PATTERN})"
_SEPARATORS = f"(?:[;\\n]{_SP})"  # `;` or a new line, each one token
_LEAD = re.compile(f"{_SP}{_SEPARATORS}*+", re.ASCII)  # separators (before the first statement)
_SEPARATOR = re.compile("[;\\n]")
#: Characters read by one `findall`: its rows are freed before the next piece's are made, so a
#: long text's peak (and the memory the allocator keeps after) is one piece's rows.
PIECE, FIRST_PIECE = 1 << 16, 256
# name = a op b | name = f(a) | name = f(a, b); then separators, or the end of the text. Or
# any one character (all groups empty): text that is not such statements, declined.
_STATEMENTS = re.compile(
    f"({NAME}){_SP}={_SP}"
    f"(?:{_OPERAND}{_SP}(\\*\\*|[-+*/^]){_SP}{_OPERAND}"
    f"|({NAME}){_SP}\\({_SP}{_OPERAND}{_SP}(?:,{_SP}{_OPERAND}{_SP})?\\))"
    f"{_SP}({_SEPARATORS}++|\\Z)|.", re.ASCII | re.DOTALL)

# The binary operators by their symbol in the op table; `**` is `^` (the lexer's reading).
BINARY = {op.symbol: op for op in OPS.values() if op.arity == 2 and op.symbol}
BINARY["**"] = BINARY["^"]
_TAKEN = -1  # in `bound`: a function's or a constant's name, not yet a node


class _Decline(Exception):
    """Something the parser should read (and may have a message for)."""


def read(source: str, limits: Limits) -> tuple[Graph, list[str]] | None:
    """The parser's graph of `source` and its warnings, or None for text not read here."""
    if not source.isascii() or "\r" in source:
        return None
    try:
        return _read(source, limits)
    except _Decline:
        return None


def _statements(source: str, start: int) -> Iterator[list[tuple[str, ...]]]:
    """`_STATEMENTS.findall` piece by piece, each piece ending after a run of separators; the
    first pieces short, so that text of another shape is declined before much is read."""
    piece = FIRST_PIECE
    while start < len(source):
        cut = _SEPARATOR.search(source, start + piece)
        end = len(source) if cut is None else _LEAD.match(source, cut.start()).end()  # type: ignore[union-attr]
        yield _STATEMENTS.findall(source, start, end)
        start, piece = end, min(2 * piece, PIECE)


def _read(source: str, limits: Limits) -> tuple[Graph, list[str]]:
    lead = _LEAD.match(source).group()  # type: ignore[union-attr]
    first = _STATEMENTS.match(source, len(lead))
    if first is None or not first.group(1):
        raise _Decline  # not even one statement of these shapes: no more to try
    at = lead.count(";") + lead.count("\n")  # the token number a statement starts at
    b = GraphBuilder()
    ops, names, aliases = b.ops, b.names, b.aliases
    add_op, add_inputs, add_leaf, add_name, add_where = (
        b.ops.append, b.inputs.append, b.leaf.append, names.append, b.where.append)
    # As GraphBuilder.node shares: by op, then inputs. Keyed here by the op's name (an Op's
    # hash is worked out from its fields at each call).
    shared: dict = {name: {} for name in OPS}
    binary = {symbol: (op, shared[op.name]) for symbol, op in BINARY.items()}
    # name -> node: variables, named constants, assigned names; a name here cannot be assigned.
    bound = dict.fromkeys([*FUNCTIONS, *CONSTANTS], _TAKEN)
    find = bound.get
    # f(a), f(a, b) by the function's name: (op, its sharing table); none where calls are too
    # deep, none for an op with an axis to check (the parser's).
    calls: tuple[dict, dict] = ({}, {})
    if limits.max_depth is None or limits.max_depth >= 1:
        for function, by_arity in FUNCTIONS.items():
            for n, name in by_arity.items():
                if n in (1, 2) and not OPS[name].static:
                    calls[n - 1][function] = (OPS[name], shared[name])
    call1, call2 = calls[0].get, calls[1].get

    def operand(text: str) -> int:
        """The node of a name or number met for the first time (as `Reading._operand`)."""
        if text[0] in "0123456789.":
            value = float(text)
            if value == float("inf"):
                raise _Decline  # the parser says the number is too large
            # Kept by its text too: the same text is the same constant (no name looks so).
            node = bound[text] = b.const(value, text)
            return node
        if text in FUNCTIONS:
            raise _Decline  # a function without brackets
        node = bound[text] = b.const(CONSTANTS[text], text) if text in CONSTANTS else b.var(text)
        return node

    node = -1
    rows = chain.from_iterable(_statements(source, len(lead)))  # one piece's rows at a time
    for target, x, symbol, y, function, arg, arg2, separators in rows:
        if symbol:
            first, second = find(x, _TAKEN), find(y, _TAKEN)
            if first < 0:
                first = operand(x)
            args = (first, second if second >= 0 else operand(y))
            op, same = binary[symbol]
            place = at + 3
            at += 5
        else:
            found = call2(function) if arg2 else call1(function)
            if found is None:
                raise _Decline  # not a statement; not a function (a product?) of so many arguments
            op, same = found
            first = find(arg, _TAKEN)
            args = (first if first >= 0 else operand(arg),)
            place = at + 2
            at += 6
            if arg2:
                second = find(arg2, _TAKEN)
                args = (args[0], second if second >= 0 else operand(arg2))
                at += 2
        if target in bound:
            raise _Decline  # taken, or used in its own definition
        at += 1 if len(separators) == 1 else separators.count(";") + separators.count("\n")
        node = same.get(args)
        if node is None:
            node = same[args] = len(ops)
            add_op(op)
            add_inputs(args)
            add_leaf(None)
            add_name(target)
            add_where(place)
        elif names[node] is None:
            names[node] = target
        else:
            aliases.setdefault(node, []).append(target)
        bound[target] = node
    if node < 0 or (limits.max_nodes is not None and len(ops) > limits.max_nodes):
        raise _Decline  # no statement (the parser says what is wrong); too many nodes
    graph = b.build(node)
    if len(graph) == len(ops):  # nothing pruned: every name assigned is kept
        return graph, []
    kept = {*graph.names, *(a for names in graph.aliases.values() for a in names)}
    assigned = [name for name, node in bound.items() if node >= 0 and ops[node] is not None]
    return graph, [unused_assignment(name) for name in assigned if name not in kept]
