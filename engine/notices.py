"""Gentle notices: text that parses, but perhaps not as its writer meant.

One so far, `product_after_division`: `a/2(z)` and `1/2x` read, as in Python and most
languages, as (a/2)·z and (1/2)·x, whereas many people mean a/(2z). A notice carries a code, the
place (line, column, position of the product's second factor) and parameters (the divisor and
the factor as typed), so that a page can phrase it in its own language; `message` is English.

Read from the tokens, not the graph (which no longer knows where brackets were): after a `/`,
skip its divisor (signs, then a name, a number, a bracket or a call, with any ^ powers and ᵀ);
if another operand follows with no operator between, that is an implicit product of the
quotient. One pass, with the brackets matched first by a stack (no recursion).
"""

from __future__ import annotations

from .errors import Locator
from .lexer import LPAREN, NAME, NUM, OP, RPAREN, SEP, tokenize
from .ops import FUNCTIONS

MAX_NOTICES = 10  # a page shows a few; the rest say nothing new


def notices(source: str) -> list[dict]:
    """The notices for `source`, which has parsed without error (so its brackets match)."""
    loc = Locator(source)
    toks = tokenize(source, loc)
    kinds, texts = toks.kinds, toks.texts
    # Tokens that matter here: new lines inside brackets are spaces (the parser drops them).
    keep, depth = [], 0
    for i, kind in enumerate(kinds):
        depth += (kind is LPAREN) - (kind is RPAREN)
        if not (kind is SEP and depth > 0):
            keep.append(i)
    kinds, texts = [kinds[i] for i in keep], [texts[i] for i in keep]
    closer: dict[int, int] = {}
    stack: list[int] = []
    for j, kind in enumerate(kinds):
        if kind is LPAREN:
            stack.append(j)
        elif kind is RPAREN and stack:
            closer[stack.pop()] = j

    def after_operand(j: int) -> int | None:
        """The token after the operand starting at j (its powers included), None if none starts."""
        while True:
            while kinds[j] is OP and texts[j] in "+-":
                j += 1
            if kinds[j] is NAME and texts[j] in FUNCTIONS and kinds[j + 1] is LPAREN:
                j = closer.get(j + 1, len(kinds) - 2) + 1
            elif kinds[j] is LPAREN:
                j = closer.get(j, len(kinds) - 2) + 1
            elif kinds[j] is NAME or kinds[j] is NUM:
                j += 1
            else:
                return None
            while texts[j] == "ᵀ":
                j += 1
            if texts[j] != "^":
                return j
            j += 1

    out: list[dict] = []
    for j, kind in enumerate(kinds):
        if not (kind is OP and texts[j] == "/"):
            continue
        end = after_operand(j + 1)
        if end is None or kinds[end] not in (NAME, NUM, LPAREN):
            continue
        factor_end = after_operand(end) or end + 1
        start, at = toks.pos(keep[j + 1]), toks.pos(keep[end])
        divisor = source[start:at].strip()
        factor = source[at:toks.pos(keep[factor_end - 1]) + len(toks.typed[keep[factor_end - 1]])].strip()
        line, column = loc.where(at)
        out.append({"code": "product_after_division", "line": line, "column": column, "position": at,
                    "text": factor, "params": {"divisor": divisor, "factor": factor},
                    "message": f"read as (…/{divisor})·{factor}: a product after a division "
                               f"multiplies the quotient; to divide by both, write /({divisor} {factor})"})
        if len(out) == MAX_NOTICES:
            break
    return out
