"""The expression language, parsed without recursion straight into a graph.

Statements are separated by `;` or new lines: `a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d`.
Names given to intermediates become node names; the last statement is the output. Within a
statement, an operator-precedence (shunting-yard) loop with explicit stacks handles
precedence, unary signs, calls and implicit multiplication, so a 10,000-deep `((((x))))` is
refused by the depth limit rather than by Python's recursion limit. Nothing typed reaches
eval, exec or SymPy's parser.

Precedence, loosest first: `+ -`; `* /` and implicit multiplication (`2x`, `x y`, `2(x+1)`);
unary `- +`; `^` (also `**`), right-associative, so `-x^2` is `-(x^2)` and `2^-3` is 2^(-3).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import ExpressionError, LimitExceeded
from .graph import Graph, GraphBuilder
from .lexer import ASSIGN, COMMA, END, LPAREN, NAME, NUM, OP, RPAREN, SEP, Locator, Tokens, tokenize
from .limits import DEFAULT_LIMITS, Limits
from .ops import CONSTANTS, FUNCTIONS, OPS

# Binary operators: (op, precedence, floor), where an operator arriving reduces the operators
# on the stack that bind at least `floor` tightly: its own precedence, one more for the
# right-associative ^ (so a^b^c is a^(b^c)).
BINARY = {"+": (OPS["add"], 10, 10), "-": (OPS["sub"], 10, 10), "*": (OPS["mul"], 20, 20),
          "/": (OPS["div"], 20, 20), "^": (OPS["pow"], 40, 41)}
MUL, NEG = OPS["mul"], OPS["neg"]
UNARY_PREC = 30
CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class Parsed:
    """A compiled expression: its graph plus what the parser noticed on the way."""

    graph: Graph
    source: str
    warnings: list[str] = field(default_factory=list)


def parse(source: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse `source` into a graph, raising ExpressionError (with line and column) on bad input."""
    if not isinstance(source, str):
        raise ExpressionError("the expression must be text", code="invalid_expression")
    if limits.max_length is not None and len(source) > limits.max_length:
        raise LimitExceeded(
            f"the expression is {len(source)} characters long; at most {limits.max_length} are allowed",
            code="limit_exceeded", limit="max_length", maximum=limits.max_length, actual=len(source))
    return _Parser(source, limits).run()


def compile(source: str, limits: Limits = DEFAULT_LIMITS) -> Graph:
    """Parse `source` and return just its graph."""
    return parse(source, limits).graph


def _clip(text: str, limit: int = 24) -> str:
    """Long typed text shortened for a message (the error's `text` keeps all of it)."""
    return text if len(text) <= limit else f"{text[:limit - 4]}… ({len(text)} characters)"


def _q(text: str) -> str:
    return f"'{_clip(text)}'"


def suggest(name: str, known: list[str]) -> str:
    """" — did you mean 'sin'?" for the nearest known name (SIN and ReLU find theirs too)."""
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


# The operator stack holds operators as (precedence, op) (a unary plus's op is None) and open
# brackets as [FRAME, token, function name or None, function token, arguments so far], above
# a bottom entry: a bracket's precedence is below every operator's, and the bottom's below a
# bracket's, so reducing "while the top binds at least as tightly" stops at either with no
# type test and no check for an empty stack.
FRAME = -1
_BOTTOM = (-2, None, None)
_INF = math.inf


class _Parser:
    """One parse. Tokens are referred to by their index into `self.toks`; a statement is a
    view (kinds, texts, token indices) ending with END."""

    def __init__(self, source: str, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.loc = Locator(source)
        self.builder = GraphBuilder(limits.max_nodes)
        # Token indices, not offsets: an offset is worked out only for a message that shows it.
        self.assigned: dict[str, tuple[int, int]] = {}  # name -> (node, token of the name)
        self.variables_seen: dict[str, int] = {}  # variable -> token of its first use
        self.bound: dict[str, int] = {}  # name (variable, constant or assigned) -> its node
        self._bare_names: set[str] | None = None  # see bare_names()
        self.toks: Tokens | None = None
        self.max_depth = math.inf if limits.max_depth is None else limits.max_depth
        self.warnings: list[str] = []

    def error(self, message: str, tok: int, code: str = "invalid_expression") -> ExpressionError:
        """An error at token `tok` (an index into all the tokens)."""
        toks = self.toks
        assert toks is not None
        shown = toks.typed[tok] if toks.kinds[tok] is not END else ""
        return self.loc.error(message, toks.pos(tok), shown or None, code)

    def where(self, tok: int) -> tuple[int, int]:
        return self.loc.where(self.toks.pos(tok))  # type: ignore[union-attr]

    def run(self) -> Parsed:
        toks = self.toks = tokenize(self.source, self.loc)
        kinds = toks.kinds
        if len(kinds) > 1 and SEP not in kinds and kinds[1] is not ASSIGN:
            # One bare expression, the usual case: no statements to split, and no node made
            # that the output does not use, so nothing to prune.
            output = self._expression(kinds, toks.texts, range(len(kinds)))
            return Parsed(self.builder.build(output, prune=False), self.source, self.warnings)
        statements = self._split(toks)
        if not statements:
            raise ExpressionError("the expression is empty: type a function such as (x^2 + 2x) * ln(y)",
                                  code="empty_expression", line=1, column=0, text="", position=0)
        output = -1
        for k, (kinds, texts, index) in enumerate(statements):
            target = None
            if len(kinds) >= 2 and kinds[0] is NAME and kinds[1] is ASSIGN:
                target, equals = index[0], index[1]
                kinds, texts, index = kinds[2:], texts[2:], index[2:]
                self._check_target(target)
                if kinds[0] is END:
                    name = toks.texts[target]
                    raise self.error(f"nothing after '=': give {_q(name)} a value, "
                                     f"as in {_clip(name)} = x + 1", equals)
            elif k < len(statements) - 1:
                line = self.where(index[0])[0]
                raise self.error(
                    f"line {line} is an expression whose value is never used: only the last statement "
                    "may be a bare expression (give it a name, as in a = ..., or join the lines)", index[0])
            node = self._expression(kinds, texts, index)
            if target is not None:
                name = toks.texts[target]
                if name in self.variables_seen:
                    raise self.error(f"{_q(name)} is used in its own definition: a name stands for one "
                                     f"value, so give the result another name, as in {_clip(name)}2 = ...",
                                     target)
                self.builder.name(node, name)
                self.assigned[name] = (node, target)
                self.bound[name] = node
            output = node
        # An intermediate the output does not use is dropped from the graph, with a warning
        # (also when it merely names a variable or another intermediate, as in `a = x`).
        if self.assigned:
            used = self._used_by(output)
            for name, (node, _tok) in self.assigned.items():
                if not used[node]:
                    self.warnings.append(f"{_q(name)} is assigned but the output does not use it")
        # Only an assignment can leave a node the output does not use: prune only then.
        graph = self.builder.build(output, prune=bool(self.assigned))
        return Parsed(graph, self.source, self.warnings)

    def bare_names(self) -> set[str]:
        """Names used anywhere without brackets after them: whether `w0(x+1)` multiplies must
        not depend on where else `w0` appears. Made when first asked (a rare question)."""
        if self._bare_names is None:
            kinds, texts = self.toks.kinds, self.toks.texts  # type: ignore[union-attr]
            self._bare_names = {texts[i] for i in range(len(kinds) - 1)
                                if kinds[i] is NAME and kinds[i + 1] is not LPAREN}
        return self._bare_names

    def _used_by(self, output: int) -> bytearray:
        """1 for every node `output` depends on (inputs always precede their consumer)."""
        inputs = self.builder.inputs
        used = bytearray(len(inputs))
        used[output] = 1
        for i in range(output, -1, -1):
            if used[i]:
                for s in inputs[i]:
                    used[s] = 1
        return used

    def _split(self, toks: Tokens) -> list[tuple[list[str], list[str], Sequence[int]]]:
        """Statements between separators, each ending with END; new lines inside brackets are
        just spaces."""
        kinds = toks.kinds
        if SEP not in kinds:  # one statement, already ending with END: no copies
            return [(kinds, toks.texts, range(len(kinds)))] if len(kinds) > 1 else []
        statements = []
        current: list[int] = []
        depth = 0
        for i, kind in enumerate(kinds):
            if kind is LPAREN:
                depth += 1
            elif kind is RPAREN:
                depth = max(depth - 1, 0)
            if kind is SEP and depth > 0:
                if toks.texts[i] == ";":
                    raise self.error("';' inside brackets: close the bracket first", i)
                continue
            if kind is SEP or kind is END:
                if current:
                    statements.append(([*(kinds[j] for j in current), END],
                                       [*(toks.texts[j] for j in current), ""], [*current, i]))
                current = []
            else:
                current.append(i)
        return statements

    def _check_target(self, tok: int) -> None:
        name = self.toks.texts[tok]  # type: ignore[union-attr]
        if name in CONSTANTS:
            raise self.error(f"cannot assign to '{name}': it is a constant", tok)
        if name in FUNCTIONS:
            raise self.error(f"cannot assign to '{name}': it is a function", tok)
        if name in self.assigned:
            line = self.where(self.assigned[name][1])[0]
            raise self.error(f"{_q(name)} is already assigned on line {line}; "
                             "choose another name", tok)
        if name in self.variables_seen:
            raise self.error(f"{_q(name)} is already used as a variable on line "
                             f"{self.where(self.variables_seen[name])[0]}; choose another name", tok)

    # --- one statement ------------------------------------------------------------
    def _expression(self, kinds: list[str], texts: list[str], index: Sequence[int]) -> int:
        """The node of one statement: a shunting-yard loop with explicit stacks."""
        b = self.builder
        const, node = b.const, b.node
        texts_all, typed = self.toks.texts, self.toks.typed  # type: ignore[union-attr]
        operands: list[int] = []  # node ids
        stack: list = [_BOTTOM]  # operators and open brackets, see FRAME
        depth = 0
        max_depth = self.max_depth
        bound = self.bound
        expect_operand = True
        i = 0
        while True:
            kind = kinds[i]
            if expect_operand:
                if kind is NAME:
                    text = texts[i]
                    if text in FUNCTIONS:
                        if kinds[i + 1] is not LPAREN:
                            raise self.error(f"'{text}' is a function: write {text}(...) with its "
                                             "argument in brackets", index[i])
                        depth += 1
                        if depth > max_depth:
                            raise self._depth_error(index[i + 1], depth)
                        stack.append([FRAME, i + 1, text, i, 1])
                        i += 2
                        if kinds[i] is RPAREN:
                            raise self.error(f"'{text}' needs an argument: {text}(x)", index[i])
                        continue
                    n = bound.get(text)  # met before: a variable, a constant, an assigned name
                    if n is None:
                        n = self._name(text, index[i], kinds[i + 1] is LPAREN)
                    operands.append(n)
                    expect_operand = False
                elif kind is NUM:
                    text = texts[i]
                    value = float(text)
                    if value == _INF:
                        raise self.error(f"the number {_clip(text)} is too large for a float64 "
                                         "(at most about 1.8e308)", index[i])
                    if stack[-1][1] is NEG and texts[i + 1] != "^":
                        # A minus right before a number is the number's sign: -2 is the
                        # constant -2, not neg(2) (but -2^2 is -(2^2)).
                        stack.pop()
                        operands.append(const(-value, "-" + text))
                    else:
                        operands.append(const(value, text))
                    expect_operand = False
                elif kind is LPAREN:
                    depth += 1
                    if depth > max_depth:
                        raise self._depth_error(index[i], depth)
                    stack.append([FRAME, i, None, 0, 1])
                elif kind is OP and (texts[i] == "-" or texts[i] == "+"):
                    stack.append((UNARY_PREC, NEG if texts[i] == "-" else None))
                else:
                    raise self._expected_operand(i, kinds, index)
            else:
                # An operator's place: what comes first reduces the operators on the stack that
                # bind at least as tightly (a closer: all of them, down to its bracket).
                if kind is OP:
                    op, prec, floor = BINARY[texts[i]]
                elif kind is NAME or kind is LPAREN:  # implicit multiplication: 2x, 2(x+1), x y
                    op, prec, floor = MUL, 20, 20
                elif kind is RPAREN or kind is END or kind is COMMA:
                    floor = 0
                else:
                    raise self._misplaced(i, kinds, index)
                while stack[-1][0] >= floor:
                    top_prec, top = stack.pop()
                    if top_prec != UNARY_PREC:
                        right = operands.pop()
                        operands[-1] = node(top, (operands[-1], right))
                    elif top is not None:  # a unary minus (a plus leaves its operand be)
                        operands[-1] = node(top, (operands[-1],))
                if floor:
                    stack.append((prec, op))
                    expect_operand = True
                    if kind is not OP:
                        continue  # read the same token again, as an operand
                elif kind is RPAREN:
                    if stack[-1][0] != FRAME:
                        raise self.error(f"'{typed[index[i]]}' without a matching opening bracket",
                                         index[i])
                    _, opened, call, call_at, n_args = stack.pop()
                    # Only text typed other than canonically ([ ] { } among it) can mismatch.
                    if typed is not texts_all and CLOSERS[typed[index[opened]]] != typed[index[i]]:
                        raise self.error(f"'{typed[index[i]]}' closes the '{typed[index[opened]]}' "
                                         f"opened at column {self.where(index[opened])[1]}", index[i])
                    depth -= 1
                    if call is not None:
                        by_arity = FUNCTIONS[call]
                        if n_args == 1 and 1 in by_arity:  # the usual call, here rather than in _call
                            operands[-1] = node(OPS[by_arity[1]], (operands[-1],))
                        else:
                            operands.append(self._call(call, index[call_at], n_args, operands))
                elif kind is END:
                    if len(stack) > 1:
                        opened = index[stack[-1][1]]
                        raise self.loc.error(f"the '{typed[opened]}' opened here is never closed",
                                             self.toks.pos(opened), typed[opened])  # type: ignore[union-attr]
                    break
                else:  # a comma
                    if stack[-1][2] is None:
                        raise self.error("',' outside a function's brackets", index[i])
                    stack[-1][4] += 1
                    expect_operand = True
            i += 1
        assert len(operands) == 1, operands
        return operands[0]

    def _misplaced(self, i: int, kinds: list[str], index: Sequence[int]) -> ExpressionError:
        """The error for token i where an operator or a closer should come."""
        kind, typed = kinds[i], self.toks.typed  # type: ignore[union-attr]
        if kind is NUM:
            if kinds[i - 1] is NUM:
                return self.error(f"missing operator between {_q(typed[index[i - 1]])} and "
                                  f"{_q(typed[index[i]])}", index[i])
            return self.error(f"missing operator before the number {_q(typed[index[i]])} "
                              "(write * to multiply)", index[i])
        if kind is ASSIGN:
            return self.error("'=' can only follow a name at the start of a statement", index[i])
        return self.error(f"unexpected {kind} '{typed[index[i]]}'", index[i])

    def _depth_error(self, tok: int, depth: int) -> LimitExceeded:
        line, column = self.where(tok)
        return LimitExceeded(
            f"brackets are nested {depth} deep here; at most {self.limits.max_depth} are allowed",
            code="limit_exceeded", line=line, column=column, text=self.toks.typed[tok],  # type: ignore[union-attr]
            position=self.toks.pos(tok), limit="max_depth", maximum=self.limits.max_depth or 0,  # type: ignore[union-attr]
            actual=depth)

    def _expected_operand(self, i: int, kinds: list[str], index: Sequence[int]) -> ExpressionError:
        kind, tok = kinds[i], index[i]
        if kind is END:  # a statement's end: at its separator, which the message does not show
            after = f" after {_q(self.toks.typed[index[i - 1]])}" if i > 0 else ""  # type: ignore[union-attr]
            return self.loc.error(f"the expression ends too early{after}: a number, a name or '(' "
                                  "should follow", self.toks.pos(tok))  # type: ignore[union-attr]
        if kind is ASSIGN:
            return self.error("'=' can only follow a name at the start of a statement", tok)
        return self.error(f"expected a number, a name or '(' but found {_q(self.toks.typed[tok])}", tok)  # type: ignore[union-attr]

    def _name(self, name: str, tok: int, is_call: bool) -> int:
        """The node a name that is not a function's stands for, the first time it is met (the
        parser's loop finds it in `bound` after that); `tok` is its token."""
        if name in CONSTANTS:
            node = self.builder.const(CONSTANTS[name], name)
        else:
            if is_call and len(name) > 1 and name not in self.bare_names():
                # `x(y+1)` multiplies, but `sn(x)` is more likely a misspelt function.
                hint = f" (to multiply, write {name}*(...))" if len(name) <= 24 else ""
                raise self.error(f"unknown function {_q(name)}{suggest(name, sorted(FUNCTIONS))}{hint}",
                                 tok, code="unknown_function")
            self.variables_seen[name] = tok
            node = self.builder.var(name)
        self.bound[name] = node
        return node

    def _call(self, name: str, tok: int, n_args: int, operands: list[int]) -> int:
        """The node of function `name` (token `tok`) applied to its last `n_args` operands."""
        by_arity = FUNCTIONS[name]
        if n_args not in by_arity:
            wanted = " or ".join(str(k) for k in sorted(by_arity))
            raise self.error(f"'{name}' takes {wanted} argument{'s' if wanted != '1' else ''}, "
                             f"not {n_args}", tok)
        args = tuple(operands[-n_args:])
        del operands[-n_args:]
        return self.builder.node(OPS[by_arity[n_args]], args)
