"""Errors the engine raises: one type for anything wrong with what a person typed.

Every error carries a short machine-readable `code`, a polite message, and where it
happened (1-based line, 0-based column, the offending text) so that a UI can draw a caret.
A program that passed the text on (a web request, say) may name its `field`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import KW_ONLY, dataclass, replace


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

    def __post_init__(self) -> None:
        super().__init__(self.message)

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
              code: str = "invalid_expression") -> ExpressionError:
        line, column = self.where(pos)
        return ExpressionError(message, code=code, line=line, column=column, text=text, position=pos)
