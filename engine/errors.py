"""Errors the engine raises: one type for anything wrong with what a person typed.

Every error carries a short machine-readable `code`, a polite message, and where it
happened (1-based line, 0-based column, the offending text) so that a UI can draw a caret.
A program that passed the text on (a web request, say) may name its `field`. A `code` as broad
as invalid_expression also has a `reason` (unclosed_bracket, ends_early, ...) and `params`
(the bracket, the token), so that a page can say it in its own language: CODES and REASONS
list them all (tests check that the page has a phrase for each, in every language).
"""

from __future__ import annotations

import unicodedata
from dataclasses import KW_ONLY, dataclass, replace

#: Every code the engine raises.
CODES = frozenset({
    "invalid_expression", "invalid_character", "unknown_function", "empty_expression", "limit_exceeded",
    "invalid_axis", "shape_mismatch", "missing_value", "invalid_value", "unknown_variable",
    "unknown_node", "tensors_unsupported", "invalid_method", "invalid_step", "invalid_dtype",
    "not_composite",
})

#: The reasons under a code, each with the names of its params. A LimitExceeded's reason is its
#: limit, with params maximum and actual.
REASONS: dict[str, tuple[str, ...]] = {
    # invalid_expression, from the parser
    "not_text": (), "semicolon_in_brackets": (), "unused_statement": ("line",),
    "nothing_after_assign": ("name",), "assign_with_outputs": ("name",),
    "assign_after_outputs": (), "self_reference": ("name",), "assign_to_constant": ("name",),
    "assign_to_function": ("name",), "already_assigned": ("name", "line"),
    "already_a_variable": ("name", "line"), "number_too_large": ("number",),
    "comma_in_brackets": (), "unclosed_bracket": ("bracket",), "unmatched_closer": ("bracket",),
    "mismatched_bracket": ("closer", "opener", "column"), "function_without_brackets": ("function",),
    "missing_argument": ("function",), "argument_count": ("function", "expected", "given"),
    "missing_operator": ("left", "right"), "number_needs_operator": ("number",),
    "misplaced_assign": (), "unexpected_token": ("token",), "ends_early": ("after",),
    "expected_operand": ("found",), "lone_superscript_minus": (),
    # unknown_function: a near name to suggest
    "did_you_mean": ("name", "suggestion"),
    # limit_exceeded: the limit
    **dict.fromkeys(("max_length", "max_nodes", "max_depth", "max_elements", "max_dims", "max_work",
                     "max_jacobian_side", "max_hessian_variables"), ("maximum", "actual")),
}


@dataclass(eq=False)  # exceptions compare and hash by identity (sets of them, tracebacks)
class ExpressionError(Exception):
    """Something is wrong with the expression or the values given for it.

    `line` is 1-based, `column` 0-based within that line; both are None when the
    error is not tied to a place in the text (a missing value, say). `field` names where the
    text came from in a request (`expression`, `values.x`); None when nobody said.
    """

    message: str
    code: str = "invalid_expression"
    line: int | None = None
    column: int | None = None
    text: str | None = None
    position: int | None = None  # 0-based offset into the whole source
    _: KW_ONLY
    field: str | None = None
    node: int | None = None  # the graph node at fault (a shape mismatch): its place is found from it
    reason: str | None = None  # under a broad code, which case (see REASONS)
    params: dict | None = None  # the reason's values, for a message in another language

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if self.reason is not None and set(self.params or ()) != set(REASONS[self.reason]):
            raise ValueError(f"reason {self.reason!r} takes params {REASONS[self.reason]}")

    def __str__(self) -> str:
        if self.line is None or self.column is None:
            return self.message
        return f"{self.message} (line {self.line}, column {self.column})"

    def with_field(self, field: str) -> ExpressionError:
        """The same error, naming the request field it is about (a copy: `raise err.with_field(...)`)."""
        return replace(self, field=field)

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message, "line": self.line, "column": self.column,
               "text": self.text, **self.bound()}
        if self.field is not None:
            out["field"] = self.field
        if self.reason is not None:
            out["reason"], out["params"] = self.reason, dict(self.params or {})
        return out

    def bound(self) -> dict:
        """The limit that was exceeded, for LimitExceeded; nothing here."""
        return {}


@dataclass(eq=False)
class LimitExceeded(ExpressionError):
    """A configured bound (length, node count, nesting depth, ...) was exceeded."""

    limit: str = ""
    maximum: int | float = 0
    actual: int | float = 0

    def __post_init__(self) -> None:
        if self.reason is None and self.limit in REASONS:  # the limit is the reason
            self.reason, self.params = self.limit, {"maximum": self.maximum, "actual": self.actual}
        super().__post_init__()

    def bound(self) -> dict:
        return {"limit": self.limit, "maximum": self.maximum, "actual": self.actual}


def source_lines(source: str) -> list[str]:
    """The lines of `source` as the parser counts them: split at "\r\n", "\r" or "\n" only
    (not at the other characters str.splitlines() breaks on), so line numbers agree."""
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def caret_excerpt(source: str, line: int | None, column: int | None) -> str:
    """The offending line of `source` with a caret under `column`, for terminals: tabs are
    kept and wide (East Asian) characters count two cells, so the caret lines up."""
    if line is None or column is None:
        return ""
    lines = source_lines(source)
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    pad = []
    for ch in text[:column]:
        if ch == "\t":
            pad.append("\t")
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
            continue
        else:
            pad.append("  " if unicodedata.east_asian_width(ch) in ("W", "F") else " ")
    return f"{text}\n{''.join(pad)}^"


# --- where in the text: for the lexer's and the parser's messages ----------------------------

def describe_char(ch: str) -> str:
    """"character '§' (U+00A7 SECTION SIGN)"; an invisible one by code point only:
    "invisible character U+200B (ZERO WIDTH SPACE)"."""
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    visible = (ch.isprintable() and not ch.isspace()
               and unicodedata.category(ch) not in ("Cf", "Mn", "Me", "Co", "Cn", "Cs"))
    if visible:
        return f"character '{ch}' ({code}{' ' + name if name else ''})"
    return f"invisible character {code}{' (' + name + ')' if name else ''}"


def unexpected_character(ch: str, pos: int, loc: Locator) -> ExpressionError:
    """The lexer's error for a character outside the grammar."""
    what = describe_char(ch)
    hint = ("delete it (pasted text often carries such characters)" if what.startswith("invisible")
            else "expressions use numbers, names, + - * / ^, brackets and commas")
    return loc.error(f"unexpected {what}: {hint}", pos, ch, code="invalid_character")


class Locator:
    """Turns offsets into (1-based line, 0-based column) for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._starts: list[int] | None = None  # made on first use: most parses never ask

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            source = self.source
            starts = [0]
            for i, ch in enumerate(source):  # a line ends at "\n", "\r\n" or a lone "\r"
                if ch == "\n" or (ch == "\r" and not source.startswith("\n", i + 1)):
                    starts.append(i + 1)
            self._starts = starts
        return self._starts

    def where(self, pos: int) -> tuple[int, int]:
        starts = self.starts
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # last line start <= pos
            mid = (lo + hi + 1) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, pos - starts[lo]

    def error(self, message: str, pos: int, text: str | None = None,
              code: str = "invalid_expression", reason: str | None = None,
              **params: object) -> ExpressionError:
        line, column = self.where(pos)
        return ExpressionError(message, code=code, line=line, column=column, text=text, position=pos,
                               reason=reason, params=params if reason else None)
