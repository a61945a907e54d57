"""The parser's messages: what was wrong, where, and what would be accepted ("did you mean 'sin'?").

One function per case builds its ExpressionError from the reading it happened in (`engine.parser`:
the tokens, their places and their text as typed) and the token at fault; the parser raises it.
Codes, reasons and their params are listed in `engine.errors`. `at_node` puts an error the passes
raise about a node (a shape mismatch) under the operator in the text that made that node.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import TYPE_CHECKING

from .errors import ExpressionError, LimitExceeded, Locator
from .lexer import ASSIGN, END, NUM, SEP, tokenize
from .ops import CONSTANTS, FUNCTIONS

if TYPE_CHECKING:
    from .graph import Graph
    from .parser import Reading


def clip(text: str, limit: int = 24) -> str:
    """Long typed text shortened for a message (the error's `text` keeps all of it)."""
    return text if len(text) <= limit else f"{text[:limit - 4]}… ({len(text)} characters)"


def quoted(text: str) -> str:
    return f"'{clip(text)}'"


def nearest(name: str, known: list[str]) -> str | None:
    """The nearest known name (SIN and ReLU find theirs too), or None."""
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(name: str, known: list[str]) -> str:
    """" — did you mean 'sin'?" for the nearest known name."""
    close = nearest(name, known)
    return f" — did you mean '{close}'?" if close else ""


# --- the text as a whole ------------------------------------------------------------------------

def not_text() -> ExpressionError:
    return ExpressionError("the expression must be text", code="invalid_expression", reason="not_text",
                           params={})


def too_long(source: str, maximum: int) -> LimitExceeded:
    return LimitExceeded(f"the expression is {len(source)} characters long; at most {maximum} are allowed",
                         code="limit_exceeded", limit="max_length", maximum=maximum, actual=len(source))


def empty() -> ExpressionError:
    return ExpressionError("the expression is empty: type a function such as (x^2 + 2x) * ln(y)",
                           code="empty_expression", line=1, column=0, text="", position=0)


def unused_assignment(name: str) -> str:
    """The warning for a name that the output does not use."""
    return f"{quoted(name)} is assigned but the output does not use it"


def at_node(err: ExpressionError, graph: Graph, source: str) -> ExpressionError:
    """An error about a node (a shape mismatch, found by the forward pass) with its caret under
    the operator that made the node; as it is when the text does not say where that was."""
    token = graph.where.get(err.node) if err.node is not None else None
    if token is None:
        return err
    loc = Locator(source)
    position = tokenize(source, loc).pos(token)
    line, column = loc.where(position)
    return dataclasses.replace(err, line=line, column=column, position=position)


# --- statements ---------------------------------------------------------------------------------

def semicolon_in_brackets(p: Reading, i: int) -> ExpressionError:
    return p.error("';' inside brackets: close the bracket first", i, reason="semicolon_in_brackets")


def unused_statement(p: Reading, i: int) -> ExpressionError:
    line = p.where(i)[0]
    return p.error(f"line {line} is an expression whose value is never used: only the last statement "
                   "may be a bare expression (give it a name, as in a = ..., or join the lines)", i,
                   reason="unused_statement", line=line)


def taken(p: Reading, i: int, name: str) -> ExpressionError:
    """Assigning to a name that stands for something already."""
    if name in CONSTANTS or name in FUNCTIONS:
        what = "constant" if name in CONSTANTS else "function"
        return p.error(f"cannot assign to '{name}': it is a {what}", i, reason=f"assign_to_{what}", name=name)
    if name in p.assigned:
        line = p.where(p.assigned[name])[0]
        return p.error(f"{quoted(name)} is already assigned on line {line}; choose another name", i,
                       reason="already_assigned", name=name, line=line)
    line = p.where(p.variables_seen[name])[0]
    return p.error(f"{quoted(name)} is already used as a variable on line {line}; choose another name",
                   i, reason="already_a_variable", name=name, line=line)


def nothing_after_assign(p: Reading, i: int, name: str) -> ExpressionError:
    return p.error(f"nothing after '=': give {quoted(name)} a value, as in {clip(name)} = x + 1", i,
                   reason="nothing_after_assign", name=name)


def assign_with_outputs(p: Reading, name: str) -> ExpressionError:
    return p.error(f"{quoted(name)} takes one value: several outputs are listed as the last statement, "
                   "as in a, b, sin(x)", p.listed_at, reason="assign_with_outputs", name=name)


def self_reference(p: Reading, i: int, name: str) -> ExpressionError:
    return p.error(f"{quoted(name)} is used in its own definition: a name stands for one value, so give "
                   f"the result another name, as in {clip(name)}2 = ...", i, reason="self_reference",
                   name=name)


# --- operands -----------------------------------------------------------------------------------

def number_too_large(p: Reading, i: int, text: str) -> ExpressionError:
    return p.error(f"the number {clip(text)} is too large for a float64 (at most about 1.8e308)", i,
                   reason="number_too_large", number=text)


def unknown_function(p: Reading, i: int, name: str) -> ExpressionError:
    """A name called as a function that is none (`x(y+1)` multiplies only when x is also used
    bare: the parser asks that first)."""
    hint = f" (to multiply, write {name}*(...))" if len(name) <= 24 else ""
    near = nearest(name, sorted(FUNCTIONS))
    return p.error(f"unknown function {quoted(name)}{suggest(name, sorted(FUNCTIONS))}{hint}", i,
                   code="unknown_function", **({"reason": "did_you_mean", "name": name,
                                                "suggestion": near} if near else {}))


def not_an_operand(p: Reading, i: int) -> ExpressionError:
    """Token i where an operand should come."""
    kind = p.kinds[i]
    if kind is END or kind is SEP:  # at the statement's end, which the message does not show
        return p.loc.error(f"the expression ends too early after {quoted(p.typed(i - 1))}: a number, a "
                           "name or '(' should follow", p.toks.pos(p.index[i]), reason="ends_early",
                           after=p.typed(i - 1))
    if kind is ASSIGN:
        return p.error("'=' can only follow a name at the start of a statement", i, reason="misplaced_assign")
    return p.error(f"expected a number, a name or '(' but found {quoted(p.typed(i))}", i,
                   reason="expected_operand", found=p.typed(i))


# --- operators ----------------------------------------------------------------------------------

def not_an_operator(p: Reading, i: int) -> ExpressionError:
    """Token i where an operator, a closer or the statement's end should come."""
    kinds = p.kinds
    if kinds[i] is ASSIGN and p.listed:
        return p.error("several outputs are listed, not assigned: give each its own statement "
                       "(f = ...; g = ...) and list them last, as in f, g", i, reason="assign_after_outputs")
    if kinds[i] is NUM and kinds[i - 1] is NUM:
        return p.error(f"missing operator between {quoted(p.typed(i - 1))} and {quoted(p.typed(i))}", i,
                       reason="missing_operator", left=p.typed(i - 1), right=p.typed(i))
    if kinds[i] is NUM:
        return p.error(f"missing operator before the number {quoted(p.typed(i))} (write * to multiply)",
                       i, reason="number_needs_operator", number=p.typed(i))
    if kinds[i] is ASSIGN:
        return p.error("'=' can only follow a name at the start of a statement", i, reason="misplaced_assign")
    return p.error(f"unexpected {kinds[i]} '{p.typed(i)}'", i, reason="unexpected_token", token=p.typed(i))


def comma_in_brackets(p: Reading, i: int) -> ExpressionError:
    return p.error("',' inside brackets that are not a function's: several outputs are listed without "
                   "brackets, as in a, b, sin(x)", i, reason="comma_in_brackets")


# --- brackets and calls -------------------------------------------------------------------------

def unclosed_bracket(p: Reading, opened_at: int) -> ExpressionError:
    return p.error(f"the '{p.typed(opened_at)}' opened here is never closed", opened_at,
                   reason="unclosed_bracket", bracket=p.typed(opened_at))


def unmatched_closer(p: Reading, i: int) -> ExpressionError:
    return p.error(f"'{p.typed(i)}' without a matching opening bracket", i, reason="unmatched_closer",
                   bracket=p.typed(i))


def mismatched_bracket(p: Reading, i: int, opened_at: int) -> ExpressionError:
    opener, column = p.typed(opened_at), p.where(opened_at)[1]
    return p.error(f"'{p.typed(i)}' closes the '{opener}' opened at column {column}", i,
                   reason="mismatched_bracket", closer=p.typed(i), opener=opener, column=column)


def too_deep(p: Reading, i: int) -> LimitExceeded:
    depth, (line, column) = len(p.frames) + 1, p.where(i)
    return LimitExceeded(f"brackets are nested {depth} deep here; at most {p.max_depth} are allowed",
                         code="limit_exceeded", line=line, column=column, text=p.typed(i),
                         position=p.toks.pos(p.index[i]), limit="max_depth", maximum=p.max_depth,
                         actual=depth)


def function_without_brackets(p: Reading, i: int, function: str) -> ExpressionError:
    return p.error(f"'{function}' is a function: write {function}(...) with its argument in brackets", i,
                   reason="function_without_brackets", function=function)


def missing_argument(p: Reading, i: int, function: str) -> ExpressionError:
    return p.error(f"'{function}' needs an argument: {function}(x)", i, reason="missing_argument",
                   function=function)


def argument_count(p: Reading, i: int, function: str, given: int) -> ExpressionError:
    expected = sorted(FUNCTIONS[function])
    wanted = " or ".join(map(str, expected))
    return p.error(f"'{function}' takes {wanted} argument{'s' if wanted != '1' else ''}, not {given}", i,
                   reason="argument_count", function=function, expected=expected, given=given)
