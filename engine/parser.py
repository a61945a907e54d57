"""The expression language, parsed without recursion straight into a graph.

Statements are separated by `;` or new lines: `a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d`.
Names given to intermediates become node names; the last statement is the output. A shunting-yard
loop reads an operand (`_operand`: signs, opening brackets, then a name or a number), then what
follows it (`_operator`: closing brackets, then an operator, a comma or the statement's end), in
turn. Open brackets are `_Frame` records on a stack, so a 10,000-deep `((((x))))` meets the depth
limit, not Python's recursion limit. Nothing typed reaches eval, exec or SymPy's parser.

Precedence, loosest first: `+ -`; `* /` and implicit multiplication (`2x`, `x y`, `2(x+1)`);
unary `- +`; `^` (also `**`), right-associative, so `-x^2` is `-(x^2)` and `2^-3` is 2^(-3).
"""

from __future__ import annotations

import difflib
import math
import sys
from dataclasses import dataclass, field
from itertools import chain

from .errors import ExpressionError, LimitExceeded, Locator
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


@dataclass
class Parsed:
    """A compiled expression: its graph plus what the parser noticed on the way."""

    graph: Graph
    source: str
    warnings: list[str] = field(default_factory=list)


def parse(source: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse `source` into a graph, raising ExpressionError (with line and column) on bad input.

    A first reading takes the tokens as they are. Text it cannot read so (a new line inside
    brackets, an error) is read again without the new lines inside brackets, which also puts
    the errors in the language's order: a `;` inside brackets first, then statement by statement."""
    if not isinstance(source, str):
        raise ExpressionError("the expression must be text", code="invalid_expression", reason="not_text",
                              params={})
    if limits.max_length is not None and len(source) > limits.max_length:
        raise LimitExceeded(
            f"the expression is {len(source)} characters long; at most {limits.max_length} are allowed",
            code="limit_exceeded", limit="max_length", maximum=limits.max_length, actual=len(source))
    loc = Locator(source)
    toks = tokenize(source, loc)
    try:
        return _Parser(source, limits, loc, toks, careful=False).run()
    except (ExpressionError, _ReadAgain):
        return _Parser(source, limits, loc, toks, careful=True).run()


def compile(source: str, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """Parse `source` and return just its graph."""
    return parse(source, limits).graph


def _clip(text: str, limit: int = 24) -> str:
    """Long typed text shortened for a message (the error's `text` keeps all of it)."""
    return text if len(text) <= limit else f"{text[:limit - 4]}… ({len(text)} characters)"


def _q(text: str) -> str:
    return f"'{_clip(text)}'"


def nearest(name: str, known: list[str]) -> str | None:
    """The nearest known name (SIN and ReLU find theirs too), or None."""
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(name: str, known: list[str]) -> str:
    """" — did you mean 'sin'?" for the nearest known name."""
    close = nearest(name, known)
    return f" — did you mean '{close}'?" if close else ""


class _ReadAgain(Exception):
    """A new line inside brackets, met by the first reading."""


@dataclass(slots=True)
class _Frame:
    """An open bracket at token `opened_at`; for a call, the function named at `function_at`."""

    opened_at: int
    function: str | None
    function_at: int
    n_args: int = 1  # arguments begun so far


class _Parser:
    """One reading. `kinds` and `texts` are the tokens read, `index` their places among all the
    tokens (all of them, or all but the new lines inside brackets); `i` is always a place in
    `kinds`."""

    def __init__(self, source: str, limits: Limits, loc: Locator, toks: Tokens, careful: bool) -> None:
        self.source, self.limits, self.loc, self.toks = source, limits, loc, toks
        self.kinds, self.texts, self.index = toks.kinds, toks.texts, range(len(toks))
        if careful:
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
        """New lines inside brackets are spaces; a ';' there is an error."""
        index, depth = [], 0
        for i, kind in enumerate(self.kinds):
            if kind is LPAREN:
                depth += 1
            elif kind is RPAREN:
                depth = max(depth - 1, 0)
            elif kind is SEP and depth > 0:
                if self.texts[i] == ";":
                    raise self.error("';' inside brackets: close the bracket first", i,
                                     reason="semicolon_in_brackets")
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
            raise ExpressionError("the expression is empty: type a function such as (x^2 + 2x) * ln(y)",
                                  code="empty_expression", line=1, column=0, text="", position=0)
        # Only an assignment can leave a node the output does not use: prune only then. A name
        # so dropped gets a warning (also when it merely names a variable, as in `a = x`).
        outputs: tuple[int, ...] = ()
        if self.listed:  # `a, b, sin(x)`: several outputs, the graph's own the latest of them
            outputs = (*self.listed, output)
            output = max(outputs)
        graph = self.builder.build(output, prune=bool(self.assigned), outputs=outputs)
        kept = {*graph.names, *chain.from_iterable(graph.aliases.values())}
        warnings = [f"{_q(name)} is assigned but the output does not use it"
                    for name in self.assigned if name not in kept]
        return Parsed(graph, self.source, warnings)

    def _statement(self, i: int) -> tuple[int, int]:
        """The node of the statement at token i, named when it is an assignment `name = ...`;
        and the token that ends it."""
        kinds, name = self.kinds, self.texts[i]
        if kinds[i] is not NAME or kinds[i + 1] is not ASSIGN:
            rest = kinds[i:]
            if SEP in rest and set(rest[rest.index(SEP):]) != {SEP, END}:
                raise self.error(f"line {self.where(i)[0]} is an expression whose value is never used: "
                                 "only the last statement may be a bare expression (give it a name, as "
                                 "in a = ..., or join the lines)", i, reason="unused_statement",
                                 line=self.where(i)[0])
            return self._expression(i)
        if name in self.bound or name in FUNCTIONS or name in CONSTANTS:
            raise self._taken(name, i)
        if kinds[i + 2] is END or kinds[i + 2] is SEP:
            raise self.error(f"nothing after '=': give {_q(name)} a value, as in {_clip(name)} = x + 1",
                             i + 1, reason="nothing_after_assign", name=name)
        node, end = self._expression(i + 2)
        if self.listed:
            raise self.error(f"{_q(name)} takes one value: several outputs are listed as the last "
                             "statement, as in a, b, sin(x)", self.listed_at, reason="assign_with_outputs",
                             name=name)
        if name in self.variables_seen:
            raise self.error(f"{_q(name)} is used in its own definition: a name stands for one value, "
                             f"so give the result another name, as in {_clip(name)}2 = ...", i,
                             reason="self_reference", name=name)
        # A copy: a token kept by the graph would keep the memory of the tokens around it.
        self.builder.name(node, name.encode().decode())
        self.assigned[name] = i
        self.bound[name] = node
        return node, end

    def _taken(self, name: str, i: int) -> ExpressionError:
        """The error for assigning to a name that stands for something already."""
        if name in CONSTANTS or name in FUNCTIONS:
            what = "constant" if name in CONSTANTS else "function"
            return self.error(f"cannot assign to '{name}': it is a {what}", i, reason=f"assign_to_{what}",
                              name=name)
        if name in self.assigned:
            line = self.where(self.assigned[name])[0]
            return self.error(f"{_q(name)} is already assigned on line {line}; choose another name", i,
                              reason="already_assigned", name=name, line=line)
        line = self.where(self.variables_seen[name])[0]
        return self.error(f"{_q(name)} is already used as a variable on line {line}; choose another name",
                          i, reason="already_a_variable", name=name, line=line)

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
                    raise self.error(f"the number {_clip(text)} is too large for a float64 "
                                     "(at most about 1.8e308)", i, reason="number_too_large", number=text)
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
                raise self._not_an_operand(i)
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
            if kind is ASSIGN and self.listed:
                raise self.error("several outputs are listed, not assigned: give each its own "
                                 "statement (f = ...; g = ...) and list them last, as in f, g", i,
                                 reason="assign_after_outputs")
            raise self._not_an_operator(i)
        self._reduce(0)
        frame = self.frames[-1] if self.frames else None
        if kind is COMMA:
            if frame is None:  # the last statement lists several outputs: a, b, sin(x)
                self.listed.append(self.operands.pop())
                if self.listed_at < 0:
                    self.listed_at = i
                return i + 1
            if frame.function is None:
                raise self.error("',' inside brackets that are not a function's: several outputs "
                                 "are listed without brackets, as in a, b, sin(x)", i,
                                 reason="comma_in_brackets")
            frame.n_args += 1
            return i + 1
        if frame is not None:  # the statement ends inside brackets
            if kind is SEP:
                raise _ReadAgain  # a new line there: the careful reading drops those
            raise self.error(f"the '{self.typed(frame.opened_at)}' opened here is never closed",
                             frame.opened_at, reason="unclosed_bracket", bracket=self.typed(frame.opened_at))
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
            raise self.error(f"'{function}' is a function: write {function}(...) with its "
                             "argument in brackets", function_at, reason="function_without_brackets",
                             function=function)
        if len(self.frames) >= self.max_depth:
            line, column = self.where(i)
            raise LimitExceeded(
                f"brackets are nested {len(self.frames) + 1} deep here; at most {self.max_depth} are "
                "allowed", code="limit_exceeded", line=line, column=column, text=self.typed(i),
                position=self.toks.pos(self.index[i]), limit="max_depth", maximum=self.max_depth,
                actual=len(self.frames) + 1)
        self.frames.append(_Frame(i, function, function_at))
        self.operators.append(_WALL)
        if function is not None and kinds[i + 1] is RPAREN:
            raise self.error(f"'{function}' needs an argument: {function}(x)", i + 1,
                             reason="missing_argument", function=function)

    def _close(self, i: int) -> None:
        """The closing bracket at i: what is inside reduced, then the call if it is one."""
        if self.operators[-1][0] >= 0:
            self._reduce(0)
        if not self.frames:
            raise self.error(f"'{self.typed(i)}' without a matching opening bracket", i,
                             reason="unmatched_closer", bracket=self.typed(i))
        frame = self.frames.pop()
        self.operators.pop()  # the frame's wall
        # Only text typed other than canonically ([ ] { } among it) can mismatch.
        opener = self.typed(frame.opened_at)
        if self.toks.typed is not self.toks.texts and CLOSERS[opener] != self.typed(i):
            column = self.where(frame.opened_at)[1]
            raise self.error(f"'{self.typed(i)}' closes the '{opener}' opened at column {column}", i,
                             reason="mismatched_bracket", closer=self.typed(i), opener=opener, column=column)
        if frame.function is not None:
            by_arity, n, operands = FUNCTIONS[frame.function], frame.n_args, self.operands
            if n not in by_arity:
                wanted = " or ".join(str(k) for k in sorted(by_arity))
                raise self.error(f"'{frame.function}' takes {wanted} argument"
                                 f"{'s' if wanted != '1' else ''}, not {n}", frame.function_at,
                                 reason="argument_count", function=frame.function,
                                 expected=sorted(by_arity), given=n)
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
                hint = f" (to multiply, write {name}*(...))" if len(name) <= 24 else ""
                near = nearest(name, sorted(FUNCTIONS))
                raise self.error(f"unknown function {_q(name)}{suggest(name, sorted(FUNCTIONS))}{hint}", i,
                                 code="unknown_function", **({"reason": "did_you_mean", "name": name,
                                                              "suggestion": near} if near else {}))
            self.variables_seen[name] = i
            node = self.builder.var(name)
        self.bound[name] = node
        return node

    # --- the messages for a token out of place ------------------------------------------------
    def _not_an_operator(self, i: int) -> ExpressionError:
        """The error for token i where an operator or a closer should come."""
        kinds = self.kinds
        if kinds[i] is NUM and kinds[i - 1] is NUM:
            return self.error(f"missing operator between {_q(self.typed(i - 1))} and {_q(self.typed(i))}",
                              i, reason="missing_operator", left=self.typed(i - 1), right=self.typed(i))
        if kinds[i] is NUM:
            return self.error(f"missing operator before the number {_q(self.typed(i))} (write * to "
                              "multiply)", i, reason="number_needs_operator", number=self.typed(i))
        if kinds[i] is ASSIGN:
            return self.error("'=' can only follow a name at the start of a statement", i,
                              reason="misplaced_assign")
        return self.error(f"unexpected {kinds[i]} '{self.typed(i)}'", i, reason="unexpected_token",
                          token=self.typed(i))

    def _not_an_operand(self, i: int) -> ExpressionError:
        """The error for token i where an operand should come."""
        kind = self.kinds[i]
        if kind is SEP and self.frames:
            raise _ReadAgain
        if kind is END or kind is SEP:  # at the statement's end, which the message does not show
            return self.loc.error(f"the expression ends too early after {_q(self.typed(i - 1))}: a "
                                  "number, a name or '(' should follow", self.toks.pos(self.index[i]),
                                  reason="ends_early", after=self.typed(i - 1))
        if kind is ASSIGN:
            return self.error("'=' can only follow a name at the start of a statement", i,
                              reason="misplaced_assign")
        return self.error(f"expected a number, a name or '(' but found {_q(self.typed(i))}", i,
                          reason="expected_operand", found=self.typed(i))
