"""The expression language, parsed without recursion straight into a graph.

Statements are separated by `;` or new lines: `a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d`.
Names given to intermediates become node names; the last statement is the output. A shunting-yard
loop reads an operand (`_operand`: signs, opening brackets, then a name or a number), then what
follows it (`_operator`: closing brackets, then an operator, a comma or the statement's end), in
turn. Open brackets are `_Frame` records on a stack, so a 10,000-deep `((((x))))` meets the depth
limit, not Python's recursion limit. Nothing typed reaches eval, exec or SymPy's parser. What
goes wrong is phrased in `engine.parse_errors`.

Precedence, loosest first: `+ -`; `* /` and implicit multiplication (`2x`, `x y`, `2(x+1)`);
unary `- +`; `^` (also `**`), right-associative, so `-x^2` is `-(x^2)` and `2^-3` is 2^(-3).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from itertools import chain

from . import parse_errors
from .errors import ExpressionError, Locator
from .fast.reading import read as read_statements
from .graph import Graph, GraphBuilder
from .lexer import ASSIGN, COMMA, END, LPAREN, NAME, NUM, OP, RPAREN, SEP, Tokens, tokenize
from .limits import DEFAULT_LIMITS, Limits
from .ops import CONSTANTS, FUNCTIONS, OPS

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
    toks = tokenize(source, loc)
    try:
        return Reading(source, limits, loc, toks).run()
    except ExpressionError:
        if SEP not in toks.kinds:
            raise
        # New lines inside brackets are spaces, and a ';' there is the first error to report
        # (`Reading.drop_inner_new_lines`): read again without them. Read first with them, as
        # most text has none: a reading that ends well met no separator inside brackets (one
        # there is an error, unclosed bracket or missing operand), so dropping would change
        # nothing; a reading that fails is read again (at most twice the work, only then).
        return Reading(source, limits, loc, toks, inner_new_lines=True).run()


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
    """One reading of the tokens. `kinds` and `texts` are the tokens read (all of them, or with
    `inner_new_lines` all but the new lines inside brackets), `index` their places among all the
    tokens; `i` is always a place in `kinds`. Its messages (engine.parse_errors) read its places
    and text as typed."""

    def __init__(self, source: str, limits: Limits, loc: Locator, toks: Tokens,
                 inner_new_lines: bool = False) -> None:
        self.source, self.limits, self.loc, self.toks = source, limits, loc, toks
        self.kinds, self.texts, self.index = toks.kinds, toks.texts, range(len(toks))
        if inner_new_lines:
            self.drop_inner_new_lines()
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

    def drop_inner_new_lines(self) -> None:
        """New lines inside brackets are spaces; a ';' there is an error (the first one
        reported: in the language's order, brackets come before statements). `parse` asks for
        this only when a reading without it failed (see there)."""
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
        if len(graph) == len(self.builder.ops):  # nothing pruned: every name assigned is kept
            return Parsed(graph, self.source, [])
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
        """The node of the expression from token i, and the token that ends it. The usual
        tokens are read in this loop, its lists at hand: a name met before, where an operand
        comes, and closing brackets and a binary operator after it. `_operand` and `_operator`
        read all the others (most of a long text's tokens are of those: a method call and its
        attribute loads fewer each)."""
        kinds, texts, bound = self.kinds, self.texts, self.bound
        operands, operators = self.operands, self.operators
        while True:
            if kinds[i] is NAME and (node := bound.get(texts[i])) is not None:
                operands.append(node)  # a variable, a constant or an assigned name, met before
                i += 1
            else:
                i = self._operand(i)
            while kinds[i] is RPAREN:  # (ᵀ, which may come among them, goes to `_operator`)
                self._close(i)
                i += 1
            if kinds[i] is OP and (binary := BINARY.get(texts[i])) is not None:
                op, prec, floor = binary
                if operators[-1][0] >= floor:
                    self._reduce(floor)
                operators.append((prec, op, i))
                i += 1
            else:
                i = self._operator(i)
                if i < 0:
                    return operands.pop(), ~i

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
        operators = self.operators
        if operators[-1][0] >= 0:
            self._reduce(0)
        if not self.frames:
            raise parse_errors.unmatched_closer(self, i)
        frame = self.frames.pop()
        operators.pop()  # the frame's wall
        # Only text typed other than canonically ([ ] { } among it) can mismatch.
        if self.toks.typed is not self.toks.texts and CLOSERS[self.typed(frame.opened_at)] != self.typed(i):
            raise parse_errors.mismatched_bracket(self, i, frame.opened_at)
        if frame.function is not None:
            by_arity, n, operands = FUNCTIONS[frame.function], frame.n_args, self.operands
            if n not in by_arity:
                raise parse_errors.argument_count(self, frame.function_at, frame.function, n)
            op, at = OPS[by_arity[n]], self.index[frame.function_at]
            if n == 1:  # most calls: the argument's place on the stack becomes the call's
                operands[-1] = self.builder.node(op, (operands[-1],), at)
            else:
                operands[-n:] = [self.builder.node(op, tuple(operands[-n:]), at)]

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
