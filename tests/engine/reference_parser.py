"""The general parser as it was before session 12 made it faster (engine/parser.py, the
lexer's `tokenize` and `GraphBuilder` at 5095ae2), frozen as the reference the parser is held
to (tests/engine/test_parser_reference.py): the same graph, field by field, and the same error,
on random text. Not to be edited but to fix an import; the messages are engine.parse_errors'.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import math
import operator
import re
import sys
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain

from engine import parse_errors
from engine.errors import ExpressionError, LimitExceeded, Locator, unexpected_character
from engine.fast.reading import read as read_statements
from engine.graph import Graph, Places, ancestors
from engine.limits import DEFAULT_LIMITS, Limits
from engine.ops import CONSTANTS, FUNCTIONS, OPS, Op

# --- engine/lexer.py ---------------------------------------------------------------------------

# The kinds are compared by identity (`is`), here and in engine.parse_errors: the lexer's own.
from engine.lexer import ASSIGN, COMMA, END, LPAREN, NAME, NUM, OP, RPAREN, SEP
SUPERSCRIPT = "superscript"  # cut by the pattern, then read as ^ and a number

# Characters that stand for an operator, as typed or as pasted from slides.
OPERATOR_CHARS = {
    "+": "+", "-": "-", "*": "*", "/": "/", "^": "^", "@": "@", "ᵀ": "ᵀ",
    "×": "*", "·": "*", "⋅": "*", "∙": "*", "∗": "*", "÷": "/", "∕": "/",
    "−": "-", "–": "-", "‐": "-", "‑": "-", "‒": "-",
}
# Full-width forms (U+FF01..U+FF5E, typed with East Asian input methods: （ｘ＋１）＊２) read as
# the ASCII they show, and every space (as str.isspace says) as " "; one character for one, so
# columns in messages stay right.
PASTED = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | dict.fromkeys(
    [0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000], 0x20)
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
SUPERSCRIPT_MINUS = "⁻"

# A name is letters of any alphabet, `_` and digits 0-9, not starting with a digit. `\w` also
# takes numerals that are not letters (½ Ⅸ ٣): `_named` refuses those where they stand.
_SPACES = " \t\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.isspace says of ASCII, but for new lines
# The tokens' patterns, by name: engine.fast.reading builds its statement pattern from them.
SPACE = r"[ \t\x0b\x0c\x1c-\x1f]"
NAME_PATTERN = r"[^\W\d⁰¹²³⁴-⁹ᵀ][^\W⁰¹²³⁴-⁹ᵀ]*+"  # Xᵀ: X, then ᵀ
NUMBER_PATTERN = r"(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?"  # `2e` is 2·e
_PATTERN = rf"""
    {SPACE}*+                                                   # spaces before a token: skipped
    ( {NAME_PATTERN}                                            # a name
    | \*\*|[-+*/^@ᵀ()\[\]{{}},=;×·⋅∙∗÷∕−–‐‑‒]                     # an operator or punctuation
    | {NUMBER_PATTERN}                                          # a number
    | ⁻[⁰¹²³⁴-⁹]*+|[⁰¹²³⁴-⁹]++                                  # x², x⁻¹
    | \r\n?|\n                                                  # a new line
    | .                                                         # anything else: an error
    )"""  # possessive (*+): nothing to backtrack into, a little faster
_TOKEN = re.compile(_PATTERN, re.VERBOSE | re.DOTALL)
# The same pattern for ASCII text, the usual case: its classes then test bits, not Unicode tables.
_ASCII_TOKEN = re.compile(_PATTERN, re.VERBOSE | re.DOTALL | re.ASCII)
# A token's kind by its first character ("**" is an operator, "." a number only with digits);
# missing: a character outside the grammar, or a name in another alphabet.
_KIND_BY_FIRST = dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", NAME)
_KIND_BY_FIRST |= dict.fromkeys("0123456789.", NUM) | dict.fromkeys(OPERATOR_CHARS, OP)
_KIND_BY_FIRST |= dict.fromkeys("([{", LPAREN) | dict.fromkeys(")]}", RPAREN)
_KIND_BY_FIRST |= dict.fromkeys("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", SUPERSCRIPT)
_KIND_BY_FIRST |= {",": COMMA, "=": ASSIGN, ";": SEP, "\n": SEP, "\r": SEP}
_first = operator.itemgetter(0)
# Tokens whose canonical text differs from the typed one, and a search for them.
_CANONICAL = {"**": "^", "[": "(", "{": "(", "]": ")", "}": ")", "\r": "\n", "\r\n": "\n"}
_CANONICAL |= {k: v for k, v in OPERATOR_CHARS.items() if k != v}
_UNCANONICAL = re.compile(r"\*\*|[][{}\r]")


@dataclass(slots=True)
class Tokens:
    """A text's tokens as parallel lists (kind, canonical text, text as typed); the last is END.
    Offsets are worked out only when asked (a message, a bracket's place): the usual parse never
    needs them, and ASCII text is then cut with no Python step per character."""

    source: str  # as cut (full-width forms read as ASCII)
    kinds: list[str]
    texts: list[str]  # "*" for "×", "^" for "**", "(" for "[", "2" for "²"
    typed: list[str]  # what was actually typed, for messages ("\n" for any new line)
    offsets: list[int] | None = None

    def pos(self, i: int) -> int:
        """The 0-based offset of token i in the source."""
        if self.offsets is None:
            self.offsets = [m.start(1) for m in _ASCII_TOKEN.finditer(self.source.rstrip(_SPACES))]
            self.offsets.append(len(self.source))
        return self.offsets[i]

    def __len__(self) -> int:
        return len(self.kinds)


def tokenize(source: str, loc: Locator) -> Tokens:
    """Split `source` into tokens; newlines become SEP (the parser drops those inside brackets)."""
    if not source.isascii():
        return _tokens_one_by_one(source.translate(PASTED), loc)
    typed = _ASCII_TOKEN.findall(source.rstrip(_SPACES))
    kinds = list(map(_KIND_BY_FIRST.get, map(_first, typed)))  # in C: no step per token here
    if None in kinds or ("." in source and "." in typed):  # a character outside the grammar
        return _tokens_one_by_one(source, loc)  # which raises the error
    kinds.append(END)
    typed.append("")
    if _UNCANONICAL.search(source) is None:
        return Tokens(source, kinds, typed, typed)  # as typed is canonical
    texts = list(map(_CANONICAL.get, typed, typed))
    if "\r" in source:  # a message shows any new line as "\n"
        typed = [t if k is not SEP or t == ";" else "\n" for k, t in zip(kinds, typed)]
    return Tokens(source, kinds, texts, typed)


def _tokens_one_by_one(text: str, loc: Locator) -> Tokens:
    """The same cut with a Python step per token, for what ASCII lacks: names in any alphabet,
    superscripts, errors."""
    out = []  # (kind, canonical text, typed text, offset)
    for m in _TOKEN.finditer(text.rstrip(_SPACES)):
        t, i = m.group(1), m.start(1)
        kind = _KIND_BY_FIRST.get(t[0])
        if kind is SUPERSCRIPT:  # x² is x^2; x⁻¹ is x^(-1): ^, a unary minus, then the digits
            if t == SUPERSCRIPT_MINUS:
                raise loc.error("a superscript minus must be followed by superscript digits", i, t,
                                reason="lone_superscript_minus")
            sign = [(OP, "-", t[0], i)] if t[0] == SUPERSCRIPT_MINUS else []
            digits = t[len(sign):]
            out += [(OP, "^", t[0], i), *sign, (NUM, digits.translate(SUPERSCRIPTS), digits, i + len(sign))]
            continue
        if kind is None or (kind is NAME and not t.isascii()):
            kind = _named(t, i, loc)
        elif t == ".":
            raise unexpected_character(t, i, loc)
        out.append((kind, _CANONICAL.get(t, t), "\n" if kind is SEP and t != ";" else t, i))
    out.append((END, "", "", len(text)))
    kinds, texts, typed, offsets = map(list, zip(*out))
    return Tokens(text, kinds, texts, typed, offsets)


def _named(t: str, i: int, loc: Locator) -> str:
    """NAME for a name in any alphabet; else the error for its first character that is neither
    a letter, `_` nor a digit 0-9 (a numeral such as ½, or any character outside the grammar)."""
    for k, ch in enumerate(t):
        if not (ch.isalpha() or ch == "_" or "0" <= ch <= "9"):
            raise unexpected_character(ch, i + k, loc)
    return NAME



# --- engine/graph.py: GraphBuilder ----------------------------------------------------------------

class GraphBuilder:
    """Builds a graph node by node, sharing identical subexpressions.

    >>> b = GraphBuilder()
    >>> x = b.var("x")
    >>> a = b.op("mul", x, x)          # two edges from x
    >>> g = b.build(b.op("add", a, b.op("mul", b.const(2), x)))
    >>> len(g), g.variables
    (5, ('x',))
    """

    def __init__(self, max_nodes: int | None = None) -> None:
        self.max_nodes = max_nodes
        self.ops: list[Op | None] = []
        self.inputs: list[tuple[int, ...]] = []
        # leaf, names and where as properties: `op` appends to ops and inputs alone (three appends
        # fewer: a sixth of a builder's node), and these three catch up with None, None and -1
        # when next read or written (`_level`).
        self._leaf: list[object] = []
        self._names: list[str | None] = []
        self._where = Places("q")
        self.aliases: dict[int, list[str]] = {}
        self.literals: dict[int, str] = {}
        # Nodes to share, by op name ("var", "const" for leaves) then by inputs (name, value):
        # the inputs' tuple, kept anyway, is the key; no key object is made per node.
        self._share: defaultdict[str, dict] = defaultdict(dict)
        # An op's name -> (op, its sharing table, no static argument to check): one lookup a node.
        self._spec: dict[str, tuple[Op, dict, bool]] = {}

    @property
    def leaf(self) -> list[object]:
        """Each node's variable name or constant value, None for an op."""
        self._level()
        return self._leaf

    @property
    def names(self) -> list[str | None]:
        """The name a person gave each node, or None."""
        self._level()
        return self._names

    @property
    def where(self) -> Places:
        """Each node's token in the text (`Graph.where`)."""
        self._level()
        return self._where

    def _level(self) -> None:
        """leaf, names and where as long as ops, in place (the reader holds their appends)."""
        k = len(self.ops) - len(self._leaf)
        if k:
            self._leaf += [None] * k
            self._names += [None] * k
            self._where += Places("q", (-1,)) * k

    def _new(self, op: Op | None, args: tuple[int, ...], leaf: object, shared: dict, key: object
             ) -> int:
        i = len(self.ops)  # this int object is the node's id wherever it is used
        if i == self.max_nodes:  # nodes come one at a time, so == is >=; never equal to None
            raise LimitExceeded(
                f"the graph would have more than {self.max_nodes} nodes; simplify the expression",
                code="limit_exceeded", limit="max_nodes", maximum=self.max_nodes, actual=i + 1)
        self._level()
        self.ops.append(op)
        self.inputs.append(args)
        self._leaf.append(leaf)
        self._names.append(None)
        self._where.append(-1)
        shared[key] = i
        return i

    def var(self, name: str) -> int:
        found = self._share["var"].get(name)
        return found if found is not None else self._new(None, (), name, self._share["var"], name)

    def const(self, value: float, literal: str | None = None) -> int:
        value = float(value)
        # -0.0 == 0.0 but they are different constants (1/-0.0 is -inf): a zero's key has its sign.
        key = value if value else (value, math.copysign(1.0, value))
        found = self._share["const"].get(key)
        if found is None:
            found = self._new(None, (), value, self._share["const"], key)
            if literal is not None:
                self.literals[found] = literal
        return found

    def op(self, name: str | Op, *args: int) -> int:
        spec = self._spec.get(name) if name.__class__ is str else None  # an Op hashes all its fields
        if spec is None:
            spec = self._spec_of(name)
        op, shared, lean = spec
        found = shared.get(args)  # only checked arguments are keys: a hit needs no check
        if found is None:
            n, arity = len(self.ops), op.arity
            if len(args) != arity:
                raise ValueError(f"{op.name} takes {arity} arguments, got {len(args)}")
            if arity == 2:  # most ops: two comparisons without a loop (2-9 % of the call)
                a, b = args
                if not (0 <= a < n and 0 <= b < n):
                    raise ValueError(f"no node {b if 0 <= a < n else a}")
            else:
                for a in args:
                    if not 0 <= a < n:
                        raise ValueError(f"no node {a}")
            if not lean or n == self.max_nodes:  # an axis to check, or the limit: as `node` does
                return self.node(op, args)
            self.ops.append(op)
            self.inputs.append(args)
            shared[args] = found = n
        return found

    def _spec_of(self, name: str | Op) -> tuple[Op, dict, bool]:
        op = name if isinstance(name, Op) else OPS[name]
        spec = (op, self._share[op.name], not op.static)
        if name.__class__ is str:
            self._spec[name] = spec
        return spec

    def node(self, op: Op, args: tuple[int, ...], at: int | None = None) -> int:
        """`op` applied to `args`, which the caller (the parser) knows are that many existing
        nodes: `op` without its checks. `at`: the token of the text that made it (its first
        one, when shared), for a message about it (engine.evaluation finds its line)."""
        shared = self._share[op.name]
        found = shared.get(args)
        if found is None:
            for k in op.static:  # an axis: a number, never something to differentiate
                if self.ops[args[k]] is not None or isinstance(self.leaf[args[k]], str):
                    raise ExpressionError(f"argument {k + 1} of {op.spelling or op.name} (an axis) "
                                          "must be a constant integer such as 0 or 1", code="invalid_axis")
            found = self._new(op, args, None, shared, args)
        if at is not None and self.where[found] < 0:
            self._where[found] = at
        return found

    def name(self, node: int, name: str) -> None:
        """Give `node` a name; a node named twice keeps the first and records the alias."""
        if self.names[node] is None and not isinstance(self.leaf[node], str):
            self.names[node] = name
        else:
            self.aliases.setdefault(node, []).append(name)

    def build(self, output: int, prune: bool = True, outputs: tuple[int, ...] = ()) -> Graph:
        """Finish the graph. With `prune`, nodes no output depends on are dropped. With several
        `outputs` (as listed), `output` is the latest of them."""
        self._share.clear()  # the finished graph does not need the sharing tables
        self._spec.clear()
        self._level()
        # Nothing to drop iff every node but the outputs is some node's input (the latest that is
        # not an output has no consumer): a set made in C, not a sweep in Python.
        if not prune or len({output, *outputs}.union(chain.from_iterable(self.inputs))) == len(self.ops):
            return Graph(self.ops, self.inputs, self.leaf, self.names, output, self.aliases,
                         self.literals, self.where, outputs)
        keep = ancestors(self.inputs, (output, *outputs))
        kept = [i for i, k in enumerate(keep) if k]
        new_id = dict(zip(kept, range(len(kept))))

        def moved(table: dict) -> dict:
            return {new_id[i]: v for i, v in table.items() if keep[i]}
        where = Places("q", map(self.where.__getitem__, kept))
        return Graph([self.ops[i] for i in kept], [tuple(map(new_id.get, self.inputs[i])) for i in kept],
                     [self.leaf[i] for i in kept], [self.names[i] for i in kept], new_id[output],
                     moved(self.aliases), moved(self.literals), where, tuple(map(new_id.get, outputs)))


# --- engine/parser.py ---------------------------------------------------------------------------

# Binary operators: (op, precedence, floor); an operator arriving reduces the operators on the
# stack that bind at least `floor` tightly: its own precedence, one more for the
# right-associative ^ (so a^b^c is a^(b^c)).
BINARY = {"+": (OPS["add"], 10, 10), "-": (OPS["sub"], 10, 10), "*": (OPS["mul"], 20, 20),
          "/": (OPS["div"], 20, 20), "@": (OPS["matmul"], 20, 20), "^": (OPS["pow"], 40, 41)}
_IMPLICIT = (OPS["mul"], 20, 20)
UNARY_PREC = 30
_NEG, _PLUS = (UNARY_PREC, OPS["neg"]), (UNARY_PREC, None)  # a unary sign on the operator stack
# Under the operators, a bottom entry; an open bracket adds a wall. Both bind more loosely than
# any operator, so "reduce while the top binds at least as tightly" stops at them unasked.
_BOTTOM, _WALL = (-2, None), (-1, None)
CLOSERS = {"(": ")", "[": "]", "{": "}"}
#: From this many characters text goes to `engine.fast.reading` first (the same graph, or it
#: declines). `benchmarks/text_gradient.py --threshold`: it reads statements faster at any length,
#: but a text that starts with statements and turns out otherwise costs it up to ~35 µs before
#: it declines; from 1,000 characters that is a few percent of the parser's time.
FAST_LENGTH = 1000


@dataclass
class Parsed:
    """A compiled expression: its graph plus what the parser noticed on the way."""

    graph: Graph
    source: str
    warnings: list[str] = field(default_factory=list)


def parse(source: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse `source` into a graph, raising ExpressionError (with line and column) on bad input.
    Long statement-shaped text is read by `engine.fast.reading` (the same graph, or it declines
    and the text is read here)."""
    if not isinstance(source, str):
        raise parse_errors.not_text()
    if limits.max_length is not None and len(source) > limits.max_length:
        raise parse_errors.too_long(source, limits.max_length)
    if len(source) >= FAST_LENGTH and (read := read_statements(source, limits)) is not None:
        return Parsed(read[0], source, read[1])
    loc = Locator(source)
    return Reading(source, limits, loc, tokenize(source, loc)).run()


def compile(source: str, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """Parse `source` and return just its graph."""
    return parse(source, limits).graph


@dataclass(slots=True)
class _Frame:
    """An open bracket at token `opened_at`; for a call, the function named at `function_at`."""

    opened_at: int
    function: str | None
    function_at: int
    n_args: int = 1  # arguments begun so far


class Reading:
    """One reading of the tokens. `kinds` and `texts` are the tokens read (all but the new lines
    inside brackets), `index` their places among all the tokens; `i` is always a place in
    `kinds`. Its messages (engine.parse_errors) read its places and text as typed."""

    def __init__(self, source: str, limits: Limits, loc: Locator, toks: Tokens) -> None:
        self.source, self.limits, self.loc, self.toks = source, limits, loc, toks
        self.kinds, self.texts, self.index = toks.kinds, toks.texts, range(len(toks))
        self._drop_inner_new_lines()
        self.builder = GraphBuilder(limits.max_nodes)
        self.max_depth = sys.maxsize if limits.max_depth is None else limits.max_depth
        self.assigned: dict[str, int] = {}  # name -> its token
        self.variables_seen: dict[str, int] = {}  # variable -> the token of its first use
        self.bound: dict[str, int] = {}  # name (variable, constant or assigned) -> its node
        self._bare_names: set[str] | None = None  # see bare_names()
        self.operands: list[int] = []  # node ids
        self.operators: list[tuple] = [_BOTTOM]  # (precedence, op[, token of a binary one])
        self.frames: list[_Frame] = []  # open brackets, innermost last
        self.listed: list[int] = []  # outputs before the last, when the last statement lists several
        self.listed_at = -1  # the first comma of that list

    def typed(self, i: int) -> str:
        return self.toks.typed[self.index[i]]

    def where(self, i: int) -> tuple[int, int]:
        return self.loc.where(self.toks.pos(self.index[i]))

    def error(self, message: str, i: int, code: str = "invalid_expression", reason: str | None = None,
              **params: object) -> ExpressionError:
        shown = self.typed(i) if self.kinds[i] is not END else ""
        return self.loc.error(message, self.toks.pos(self.index[i]), shown or None, code, reason, **params)

    def _drop_inner_new_lines(self) -> None:
        """New lines inside brackets are spaces; a ';' there is an error (the first one
        reported: in the language's order, brackets come before statements)."""
        if SEP not in self.kinds:  # one expression on one line: nothing to drop (a C-level scan)
            return
        index, depth = [], 0
        for i, kind in enumerate(self.kinds):
            if kind is LPAREN:
                depth += 1
            elif kind is RPAREN:
                depth = max(depth - 1, 0)
            elif kind is SEP and depth > 0:
                if self.texts[i] == ";":
                    raise parse_errors.semicolon_in_brackets(self, i)
                continue
            index.append(i)
        self.kinds, self.texts = [self.kinds[i] for i in index], [self.texts[i] for i in index]
        self.index = index

    # --- statements -------------------------------------------------------------------------
    def run(self) -> Parsed:
        kinds, i, output = self.kinds, 0, None
        while True:
            while kinds[i] is SEP:
                i += 1
            if kinds[i] is END:
                break
            output, i = self._statement(i)
        if output is None:
            raise parse_errors.empty()
        # Only an assignment can leave a node the output does not use: prune only then. A name
        # so dropped gets a warning (also when it merely names a variable, as in `a = x`).
        outputs: tuple[int, ...] = ()
        if self.listed:  # `a, b, sin(x)`: several outputs, the graph's own the latest of them
            outputs = (*self.listed, output)
            output = max(outputs)
        graph = self.builder.build(output, prune=bool(self.assigned), outputs=outputs)
        kept = {*graph.names, *chain.from_iterable(graph.aliases.values())}
        warnings = [parse_errors.unused_assignment(name) for name in self.assigned if name not in kept]
        return Parsed(graph, self.source, warnings)

    def _statement(self, i: int) -> tuple[int, int]:
        """The node of the statement at token i, named when it is an assignment `name = ...`;
        and the token that ends it."""
        kinds, name = self.kinds, self.texts[i]
        if kinds[i] is not NAME or kinds[i + 1] is not ASSIGN:
            rest = kinds[i:]
            if SEP in rest and set(rest[rest.index(SEP):]) != {SEP, END}:
                raise parse_errors.unused_statement(self, i)
            return self._expression(i)
        if name in self.bound or name in FUNCTIONS or name in CONSTANTS:
            raise parse_errors.taken(self, i, name)
        if kinds[i + 2] is END or kinds[i + 2] is SEP:
            raise parse_errors.nothing_after_assign(self, i + 1, name)
        node, end = self._expression(i + 2)
        if self.listed:
            raise parse_errors.assign_with_outputs(self, name)
        if name in self.variables_seen:
            raise parse_errors.self_reference(self, i, name)
        # A copy: a token kept by the graph would keep the memory of the tokens around it.
        self.builder.name(node, name.encode().decode())
        self.assigned[name] = i
        self.bound[name] = node
        return node, end

    def bare_names(self) -> set[str]:
        """Names used anywhere without brackets after them: whether `w0(x+1)` multiplies must
        not depend on where else `w0` appears. Made when first asked (a rare question)."""
        if self._bare_names is None:
            kinds, texts = self.toks.kinds, self.toks.texts
            self._bare_names = {texts[i] for i in range(len(kinds) - 1)
                                if kinds[i] is NAME and kinds[i + 1] is not LPAREN}
        return self._bare_names

    # --- one expression: an operand, then an operator, in turn ------------------------------
    def _expression(self, i: int) -> tuple[int, int]:
        """The node of the expression from token i, and the token that ends it."""
        while i >= 0:
            i = self._operator(self._operand(i))
        return self.operands.pop(), ~i

    def _operand(self, i: int) -> int:
        """Signs and opening brackets, then a name or a number onto the operand stack; returns
        the token after it."""
        kinds, texts = self.kinds, self.texts
        while True:
            kind, text = kinds[i], texts[i]
            if kind is NAME:
                node = self.bound.get(text)  # met before: a variable, a constant, an assigned name
                if node is not None or text not in FUNCTIONS:
                    self.operands.append(node if node is not None else self._name(text, i))
                    return i + 1
                self._open(i + 1, text, i)
                i += 1
            elif kind is NUM:
                value = float(text)
                if value == math.inf:
                    raise parse_errors.number_too_large(self, i, text)
                if self.operators[-1] is _NEG and texts[i + 1] != "^":
                    # A minus right before a number is its sign: -2 is the constant -2, not
                    # neg(2) (but -2^2 is -(2^2)).
                    self.operators.pop()
                    value, text = -value, "-" + text
                self.operands.append(self.builder.const(value, text))
                return i + 1
            elif kind is LPAREN:
                self._open(i)
            elif kind is OP and (text == "-" or text == "+"):
                self.operators.append(_NEG if text == "-" else _PLUS)
            else:
                raise parse_errors.not_an_operand(self, i)
            i += 1

    def _operator(self, i: int) -> int:
        """Closing brackets, then a binary operator (or an implicit *), a comma or the end;
        returns the token of the next operand, or ~(the end's token) at the end."""
        kinds, texts = self.kinds, self.texts
        while kinds[i] is RPAREN or texts[i] == "ᵀ":
            if kinds[i] is RPAREN:
                self._close(i)
            else:  # Aᵀ: on the operand just read
                self.operands[-1] = self.builder.node(OPS["transpose"], (self.operands[-1],), self.index[i])
            i += 1
        kind = kinds[i]
        if kind is OP or kind is NAME or kind is LPAREN:
            # A binary operator, or an implicit * (2x, 2(x+1), x y: read the token again).
            op, prec, floor = BINARY[texts[i]] if kind is OP else _IMPLICIT
            if self.operators[-1][0] >= floor:
                self._reduce(floor)
            self.operators.append((prec, op, i))
            return i + 1 if kind is OP else i
        if kind is not SEP and kind is not END and kind is not COMMA:
            raise parse_errors.not_an_operator(self, i)
        self._reduce(0)
        frame = self.frames[-1] if self.frames else None
        if kind is COMMA:
            if frame is None:  # the last statement lists several outputs: a, b, sin(x)
                self.listed.append(self.operands.pop())
                if self.listed_at < 0:
                    self.listed_at = i
                return i + 1
            if frame.function is None:
                raise parse_errors.comma_in_brackets(self, i)
            frame.n_args += 1
            return i + 1
        if frame is not None:  # the text ends inside brackets
            raise parse_errors.unclosed_bracket(self, frame.opened_at)
        return ~i

    def _reduce(self, floor: int) -> None:
        """Apply the operators on top of the stack that bind at least `floor` tightly."""
        operators, operands, node = self.operators, self.operands, self.builder.node
        while operators[-1][0] >= floor:
            top = operators.pop()
            if top[0] != UNARY_PREC:  # a binary operator, made where its token is
                right = operands.pop()
                operands[-1] = node(top[1], (operands[-1], right), self.index[top[2]])
            elif top[1] is not None:  # a unary minus (a plus leaves its operand be)
                operands[-1] = node(top[1], (operands[-1],))

    def _open(self, i: int, function: str | None = None, function_at: int = 0) -> None:
        """The opening bracket at i, of a call when `function` (at `function_at`) is given."""
        kinds = self.kinds
        if function is not None and kinds[i] is not LPAREN:
            raise parse_errors.function_without_brackets(self, function_at, function)
        if len(self.frames) >= self.max_depth:
            raise parse_errors.too_deep(self, i)
        self.frames.append(_Frame(i, function, function_at))
        self.operators.append(_WALL)
        if function is not None and kinds[i + 1] is RPAREN:
            raise parse_errors.missing_argument(self, i + 1, function)

    def _close(self, i: int) -> None:
        """The closing bracket at i: what is inside reduced, then the call if it is one."""
        if self.operators[-1][0] >= 0:
            self._reduce(0)
        if not self.frames:
            raise parse_errors.unmatched_closer(self, i)
        frame = self.frames.pop()
        self.operators.pop()  # the frame's wall
        # Only text typed other than canonically ([ ] { } among it) can mismatch.
        if self.toks.typed is not self.toks.texts and CLOSERS[self.typed(frame.opened_at)] != self.typed(i):
            raise parse_errors.mismatched_bracket(self, i, frame.opened_at)
        if frame.function is not None:
            by_arity, n, operands = FUNCTIONS[frame.function], frame.n_args, self.operands
            if n not in by_arity:
                raise parse_errors.argument_count(self, frame.function_at, frame.function, n)
            node = self.builder.node(OPS[by_arity[n]], tuple(operands[-n:]), self.index[frame.function_at])
            operands[-n:] = [node]

    def _name(self, name: str, i: int) -> int:
        """The node a name that is not a function's stands for, the first time it is met (the
        loop finds it in `bound` after that)."""
        if name in CONSTANTS:
            node = self.builder.const(CONSTANTS[name], name)
        else:
            if self.kinds[i + 1] is LPAREN and len(name) > 1 and name not in self.bare_names():
                # `x(y+1)` multiplies, but `sn(x)` is more likely a misspelt function.
                raise parse_errors.unknown_function(self, i, name)
            self.variables_seen[name] = i
            node = self.builder.var(name)
        self.bound[name] = node
        return node
