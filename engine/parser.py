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
import itertools
import math
import operator
from dataclasses import dataclass, field

from .errors import ExpressionError, LimitExceeded
from .graph import Graph, GraphBuilder
from .lexer import ASSIGN, COMMA, END, LPAREN, NAME, NUM, OP, RPAREN, SEP, Locator, Token, tokenize
from .limits import DEFAULT_LIMITS, Limits
from .ops import CONSTANTS, FUNCTIONS, OPS, Op

BINARY = {"+": (OPS["add"], 10), "-": (OPS["sub"], 10), "*": (OPS["mul"], 20), "/": (OPS["div"], 20),
          "^": (OPS["pow"], 40)}
MUL, NEG = OPS["mul"], OPS["neg"]
UNARY_PREC = 30
POW_PREC = 40
CLOSERS = {"(": ")", "[": "]", "{": "}"}
_kind = operator.attrgetter("kind")


@dataclass
class Parsed:
    """A compiled expression: its graph plus what the parser noticed on the way."""

    graph: Graph
    source: str
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Frame:
    """An open bracket on the operator stack; `call` is set for a function's brackets."""

    pos: int
    opener: str
    call: str | None = None
    call_pos: int = 0
    args: int = 1


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


class _Parser:
    def __init__(self, source: str, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.loc = Locator(source)
        self.builder = GraphBuilder(limits.max_nodes)
        # Offsets, not lines: a line number is worked out only for a message that shows it.
        self.assigned: dict[str, tuple[int, int]] = {}  # name -> (node, offset of the name)
        self.variables_seen: dict[str, int] = {}  # variable -> offset of its first use
        self._bare_names: set[str] | None = None  # see bare_names()
        self.tokens: list[Token] = []
        self.warnings: list[str] = []

    def error(self, message: str, tok: Token, code: str = "invalid_expression") -> ExpressionError:
        return self.loc.error(message, tok.pos, tok.shown or None, code)

    def run(self) -> Parsed:
        tokens = self.tokens = tokenize(self.source, self.loc)
        statements = self._split(tokens)
        if not statements:
            raise ExpressionError("the expression is empty: type a function such as (x^2 + 2x) * ln(y)",
                                  code="empty_expression", line=1, column=0, text="", position=0)
        output = -1
        for k, stmt in enumerate(statements):
            target = None
            if len(stmt) >= 2 and stmt[0].kind == NAME and stmt[1].kind == ASSIGN:
                target, equals, stmt = stmt[0], stmt[1], stmt[2:]
                self._check_target(target)
                if stmt[0].kind == END:
                    raise self.error(f"nothing after '=': give {_q(target.text)} a value, "
                                     f"as in {_clip(target.text)} = x + 1", equals)
            elif k < len(statements) - 1:
                line = self.loc.where(stmt[0].pos)[0]
                raise self.error(
                    f"line {line} is an expression whose value is never used: only the last statement "
                    "may be a bare expression (give it a name, as in a = ..., or join the lines)", stmt[0])
            node = self._expression(stmt)
            if target is not None and target.text in self.variables_seen:
                raise self.error(f"{_q(target.text)} is used in its own definition: a name stands for one "
                                 f"value, so give the result another name, as in {_clip(target.text)}2 = ...",
                                 target)
            if target is not None:
                self.builder.name(node, target.text)
                self.assigned[target.text] = (node, target.pos)
            output = node
        # An intermediate the output does not use is dropped from the graph, with a warning
        # (also when it merely names a variable or another intermediate, as in `a = x`).
        if self.assigned:
            used = self._used_by(output)
            for name, (node, _pos) in self.assigned.items():
                if not used[node]:
                    self.warnings.append(f"{_q(name)} is assigned but the output does not use it")
        return Parsed(self.builder.build(output), self.source, self.warnings)

    def bare_names(self) -> set[str]:
        """Names used anywhere without brackets after them: whether `w0(x+1)` multiplies must
        not depend on where else `w0` appears. Made when first asked (a rare question)."""
        if self._bare_names is None:
            self._bare_names = {t.text for t, nxt in itertools.pairwise(self.tokens)
                                if t.kind == NAME and nxt.kind != LPAREN}
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

    def _split(self, tokens: list[Token]) -> list[list[Token]]:
        """Statements between separators; new lines inside brackets are just spaces."""
        if len(tokens) > 1 and SEP not in map(_kind, tokens):
            return [tokens]  # one statement, already ending with END: the common case
        statements: list[list[Token]] = []
        current: list[Token] = []
        depth = 0
        for tok in tokens:
            if tok.kind == LPAREN:
                depth += 1
            elif tok.kind == RPAREN:
                depth = max(depth - 1, 0)
            if tok.kind == SEP and depth > 0:
                if tok.text == ";":
                    raise self.error("';' inside brackets: close the bracket first", tok)
                continue
            if tok.kind in (SEP, END):
                if current:
                    current.append(Token(END, "", tok.pos))
                    statements.append(current)
                current = []
            else:
                current.append(tok)
        return statements

    def _check_target(self, tok: Token) -> None:
        name = tok.text
        if name in CONSTANTS:
            raise self.error(f"cannot assign to '{name}': it is a constant", tok)
        if name in FUNCTIONS:
            raise self.error(f"cannot assign to '{name}': it is a function", tok)
        if name in self.assigned:
            line = self.loc.where(self.assigned[name][1])[0]
            raise self.error(f"{_q(name)} is already assigned on line {line}; "
                             "choose another name", tok)
        if name in self.variables_seen:
            raise self.error(f"{_q(name)} is already used as a variable on line "
                             f"{self.loc.where(self.variables_seen[name])[0]}; choose another name", tok)

    # --- one statement ------------------------------------------------------------
    def _expression(self, toks: list[Token]) -> int:
        b = self.builder
        operands: list[tuple[int, bool]] = []  # (node, is a bare number literal)
        stack: list[object] = []  # operator tuples ("bin"|"neg"|"pos", name, prec, token) and _Frames
        depth = 0
        max_depth = self.limits.max_depth
        expect_operand = True
        prev: Token | None = None
        i = 0
        n = len(toks)

        def reduce_top() -> None:
            kind, name, _prec, _tok = stack.pop()  # type: ignore[misc]
            if kind == "bin":
                right, _ = operands.pop()
                left, _ = operands.pop()
                operands.append((b.node(name, (left, right)), False))
            else:
                arg, literal = operands.pop()
                if kind == "pos":
                    operands.append((arg, False))
                elif literal:  # -2 is the constant -2, not neg(2)
                    value = -b.leaf[arg]  # type: ignore[operator]
                    operands.append((b.const(value, "-" + b.literals.get(arg, "")
                                             if arg in b.literals else None), False))
                else:
                    operands.append((b.node(NEG, (arg,)), False))

        def push_binary(name: Op, prec: int, tok: Token) -> None:
            right_assoc = prec == POW_PREC
            while stack and isinstance(stack[-1], tuple):
                top_prec = stack[-1][2]
                if top_prec > prec or (top_prec == prec and not right_assoc):
                    reduce_top()
                else:
                    break
            stack.append(("bin", name, prec, tok))

        while i < n:
            tok = toks[i]
            kind = tok.kind
            if expect_operand:
                if kind == NUM:
                    if i + 1 < n and toks[i + 1].kind == NUM:
                        raise self.error(f"missing operator between {_q(tok.shown)} and "
                                         f"{_q(toks[i + 1].shown)}", toks[i + 1])
                    value = float(tok.text)
                    if not math.isfinite(value):
                        raise self.error(f"the number {_clip(tok.text)} is too large for a float64 "
                                         "(at most about 1.8e308)", tok)
                    operands.append((b.const(value, tok.text), True))
                    expect_operand = False
                elif kind == NAME:
                    nxt = toks[i + 1] if i + 1 < n else None
                    node = self._name(tok, nxt, stack)
                    if node < 0:  # a function: its brackets open a frame
                        assert nxt is not None
                        depth += 1
                        if max_depth is not None and depth > max_depth:
                            raise self._depth_error(nxt, depth)
                        stack.append(_Frame(nxt.pos, nxt.shown, tok.text, tok.pos))
                        i += 2
                        if i < n and toks[i].kind == RPAREN:
                            raise self.error(f"'{tok.text}' needs an argument: {tok.text}(x)", toks[i])
                        prev = nxt
                        continue
                    operands.append((node, False))
                    expect_operand = False
                elif kind == LPAREN:
                    depth += 1
                    if max_depth is not None and depth > max_depth:
                        raise self._depth_error(tok, depth)
                    stack.append(_Frame(tok.pos, tok.shown))
                elif kind == OP and tok.text in "+-":
                    stack.append(("neg" if tok.text == "-" else "pos", NEG, UNARY_PREC, tok))
                else:
                    raise self._expected_operand(tok, prev)
            else:
                if kind == OP:
                    name, prec = BINARY[tok.text]
                    push_binary(name, prec, tok)
                    expect_operand = True
                elif kind in (NAME, LPAREN):
                    # Implicit multiplication: 2x, x y, 2(x+1), (x+1)(x-1), 2 sin(x).
                    push_binary(MUL, 20, tok)
                    expect_operand = True
                    continue  # read the same token again as an operand
                elif kind == NUM:
                    raise self.error(f"missing operator before the number {_q(tok.shown)} "
                                     "(write * to multiply)", tok)
                elif kind == RPAREN:
                    while stack and isinstance(stack[-1], tuple):
                        reduce_top()
                    if not stack:
                        raise self.error(f"'{tok.shown}' without a matching opening bracket", tok)
                    frame = stack.pop()
                    assert isinstance(frame, _Frame)
                    if CLOSERS[frame.opener] != tok.shown:
                        raise self.error(f"'{tok.shown}' closes the '{frame.opener}' opened at column "
                                         f"{self.loc.where(frame.pos)[1]}", tok)
                    depth -= 1
                    if frame.call is not None:
                        self._call(frame, operands, tok)
                    else:
                        node, _ = operands.pop()
                        operands.append((node, False))
                elif kind == COMMA:
                    while stack and isinstance(stack[-1], tuple):
                        reduce_top()
                    if not stack or stack[-1].call is None:  # type: ignore[union-attr]
                        raise self.error("',' outside a function's brackets", tok)
                    stack[-1].args += 1  # type: ignore[union-attr]
                    expect_operand = True
                elif kind == END:
                    while stack and isinstance(stack[-1], tuple):
                        reduce_top()
                    if stack:
                        frame = stack[-1]
                        assert isinstance(frame, _Frame)
                        raise self.loc.error(f"the '{frame.opener}' opened here is never closed",
                                             frame.pos, frame.opener)
                    break
                elif kind == ASSIGN:
                    raise self.error("'=' can only follow a name at the start of a statement", tok)
                else:
                    raise self.error(f"unexpected {tok.kind} '{tok.shown}'", tok)
            prev = tok
            i += 1
        assert len(operands) == 1, operands
        return operands[0][0]

    def _depth_error(self, tok: Token, depth: int) -> LimitExceeded:
        line, column = self.loc.where(tok.pos)
        return LimitExceeded(
            f"brackets are nested {depth} deep here; at most {self.limits.max_depth} are allowed",
            code="limit_exceeded", line=line, column=column, text=tok.shown, position=tok.pos,
            limit="max_depth", maximum=self.limits.max_depth or 0, actual=depth)

    def _expected_operand(self, tok: Token, prev: Token | None) -> ExpressionError:
        if tok.kind == END:
            after = f" after {_q(prev.shown)}" if prev is not None else ""
            return self.error(f"the expression ends too early{after}: a number, a name or '(' "
                              "should follow", tok)
        if tok.kind == ASSIGN:
            return self.error("'=' can only follow a name at the start of a statement", tok)
        return self.error(f"expected a number, a name or '(' but found {_q(tok.shown)}", tok)

    def _name(self, tok: Token, nxt: Token | None, stack: list) -> int:
        """The node a name stands for, or -1 for a function name (called when its brackets close)."""
        name = tok.text
        is_call = nxt is not None and nxt.kind == LPAREN
        if name in FUNCTIONS:
            if not is_call:
                raise self.error(f"'{name}' is a function: write {name}(...) with its argument "
                                 "in brackets", tok)
            return -1
        if name in CONSTANTS:
            return self.builder.const(CONSTANTS[name], name)
        if name in self.assigned:
            return self.assigned[name][0]
        if is_call and len(name) > 1 and name not in self.bare_names():
            # `x(y+1)` multiplies, but `sn(x)` is more likely a misspelt function.
            hint = f" (to multiply, write {name}*(...))" if len(name) <= 24 else ""
            raise self.error(f"unknown function {_q(name)}{suggest(name, sorted(FUNCTIONS))}{hint}",
                             tok, code="unknown_function")
        self.variables_seen.setdefault(name, tok.pos)
        return self.builder.var(name)

    def _call(self, frame: _Frame, operands: list[tuple[int, bool]], close: Token) -> None:
        by_arity = FUNCTIONS[frame.call]  # type: ignore[index]
        if frame.args not in by_arity:
            wanted = " or ".join(str(k) for k in sorted(by_arity))
            raise self.loc.error(f"'{frame.call}' takes {wanted} argument{'s' if wanted != '1' else ''}, "
                                 f"not {frame.args}", frame.call_pos, frame.call)
        op = OPS[by_arity[frame.args]]
        args = [operands.pop()[0] for _ in range(frame.args)][::-1]
        operands.append((self.builder.node(op, tuple(args)), False))
