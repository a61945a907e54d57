"""Tokens of the expression language: ASCII text cut by one regular expression, any other
read one character class at a time.

Friendly to text pasted from slides: × · ÷ − and superscript digits (x²) read as the
operators they show; any other character outside the grammar is an error that names it.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from typing import NamedTuple

from .errors import ExpressionError

NUM, NAME, OP, LPAREN, RPAREN, COMMA, ASSIGN, SEP, END = (
    "number", "name", "operator", "(", ")", ",", "=", "end of statement", "end of input",
)

# Characters that stand for an operator, as typed or as pasted from slides.
OPERATOR_CHARS = {
    "+": "+", "-": "-", "*": "*", "/": "/", "^": "^",
    "×": "*", "·": "*", "⋅": "*", "∙": "*", "∗": "*", "÷": "/", "∕": "/",
    "−": "-", "–": "-", "‐": "-", "‑": "-", "‒": "-",
}
# Full-width forms (U+FF01..U+FF5E, typed with East Asian input methods: （ｘ＋１）＊２) read as
# the ASCII they show; one character for one, so columns in messages stay right.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
    "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
}
SUPERSCRIPT_MINUS = "⁻"


class Token(NamedTuple):
    """A tuple, not a dataclass: a parse makes one per token, and a tuple is made 2-3x faster."""

    kind: str
    text: str  # the canonical text: "*" for "×", "2" for "²"
    pos: int  # 0-based offset into the source
    source_text: str = ""  # what was actually typed, when it differs

    @property
    def shown(self) -> str:
        return self.source_text or self.text


def _is_name_start(ch: str) -> bool:
    return ch == "_" or (ch.isalpha() and ch not in SUPERSCRIPTS)


def _is_name_char(ch: str) -> bool:
    return _is_name_start(ch) or ("0" <= ch <= "9")


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


class Tokens:
    """A text's tokens as parallel lists (kind, canonical text, text as typed); the last is END.

    Offsets are worked out only when asked (a message, a bracket's place): the usual parse
    never needs them, and ASCII text is then cut with no Python step per character."""

    __slots__ = ("_pos", "kinds", "source", "texts", "typed")

    def __init__(self, source: str, kinds: list[str], texts: list[str], typed: list[str],
                 pos: list[int] | None = None) -> None:
        self.source = source
        self.kinds = kinds
        self.texts = texts  # "*" for "×", "^" for "**", "(" for "[", "2" for "²"
        self.typed = typed  # what was actually typed, for messages
        self._pos = pos

    def pos(self, i: int) -> int:
        """The 0-based offset of token i in the source."""
        if self._pos is None:
            self._pos = [m.start(1) for m in _ASCII_TOKEN.finditer(self.source.rstrip(_SPACES))]
            self._pos.append(len(self.source))
        return self._pos[i]

    def __len__(self) -> int:
        return len(self.kinds)


# ASCII text, the usual case, is cut into tokens by one regular expression (in C, rather than a
# Python step per character), each then told apart by its text or first character. It must cut
# exactly as `_tokenize_any` does; characters outside the grammar come out one by one as errors.
_SPACES = " \t\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.isspace says, but for new lines
_ASCII_TOKEN = re.compile(r"""
    [ \t\x0b\x0c\x1c-\x1f]*+                                 # spaces before a token: skipped
    ( [A-Za-z_][A-Za-z_0-9]*+                               # a name
    | [-+/^()\[\]{},=;]|\*\*?                                 # an operator or punctuation
    | (?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?  # a number; `2e` is 2·e
    | \r\n?|\n                                                # a new line
    | .                                                     # anything else: an error
    )""", re.VERBOSE | re.DOTALL)  # possessive (*+): nothing to backtrack into, a little faster
# A token's kind by its first character ("**" is an operator, "\r\n" a new line, "." a number
# only with digits); missing: a character outside the grammar.
_KIND_BY_FIRST = dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", NAME)
_KIND_BY_FIRST |= dict.fromkeys("0123456789.", NUM) | dict.fromkeys("+-*/^", OP)
_KIND_BY_FIRST |= dict.fromkeys("([{", LPAREN) | dict.fromkeys(")]}", RPAREN)
_KIND_BY_FIRST |= {",": COMMA, "=": ASSIGN, ";": SEP, "\n": SEP, "\r": SEP}
_first = operator.itemgetter(0)
# Tokens whose canonical text differs from the typed one, and a search for them.
_CANONICAL = {"**": "^", "[": "(", "{": "(", "]": ")", "}": ")", "\r": "\n", "\r\n": "\n"}
_UNCANONICAL = re.compile(r"\*\*|[][{}\r]")


def tokenize(source: str, loc: Locator) -> Tokens:
    """Split `source` into tokens; newlines become SEP (the parser drops those inside brackets)."""
    if not source.isascii():
        return _tokens_of(source, _tokenize_any(source, loc))
    typed = _ASCII_TOKEN.findall(source.rstrip(_SPACES))
    kinds = list(map(_KIND_BY_FIRST.get, map(_first, typed)))  # in C: no step per token here
    if None in kinds or ("." in source and "." in typed):  # a character outside the grammar
        toks = Tokens(source, kinds, typed, typed)
        i = next(i for i, (k, t) in enumerate(zip(kinds, typed)) if k is None or t == ".")
        raise _unexpected(typed[i], toks.pos(i), loc)
    kinds.append(END)
    if _UNCANONICAL.search(source) is None:
        typed.append("")
        return Tokens(source, kinds, typed, typed)  # as typed is canonical
    texts = list(map(_CANONICAL.get, typed, typed))
    if "\r" in source:  # a message shows any new line as "\n"
        typed = [t if k is not SEP or t == ";" else "\n" for k, t in zip(kinds, typed)]
    texts.append("")
    typed.append("")
    return Tokens(source, kinds, texts, typed)


def _tokens_of(source: str, tokens: list[Token]) -> Tokens:
    return Tokens(source, [t.kind for t in tokens], [t.text for t in tokens],
                  [t.shown for t in tokens], [t.pos for t in tokens])


def _unexpected(ch: str, pos: int, loc: Locator) -> ExpressionError:
    what = describe_char(ch)
    hint = ("delete it (pasted text often carries such characters)" if what.startswith("invisible")
            else "expressions use numbers, names, + - * / ^, brackets and commas")
    return loc.error(f"unexpected {what}: {hint}", pos, ch, code="invalid_character")


def _tokenize_any(source: str, loc: Locator) -> list[Token]:
    """The general tokenizer, one character class at a time: full-width forms, superscripts,
    operators pasted from slides, names in any alphabet."""
    tokens: list[Token] = []
    source = source.translate(FULLWIDTH)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\n" or ch == "\r":
            tokens.append(Token(SEP, "\n", i))
            i += 2 if source.startswith("\r\n", i) else 1
        elif ch.isspace():
            i += 1
        elif ch == ";":
            tokens.append(Token(SEP, ";", i))
            i += 1
        elif "0" <= ch <= "9" or (ch == "." and i + 1 < n and "0" <= source[i + 1] <= "9"):
            j = i
            while j < n and "0" <= source[j] <= "9":
                j += 1
            if j < n and source[j] == ".":
                j += 1
                while j < n and "0" <= source[j] <= "9":
                    j += 1
            # An exponent only when digits follow: `2e` is 2·e, `1e-3` is 0.001.
            if j < n and source[j] in "eE":
                k = j + 1
                if k < n and source[k] in "+-":
                    k += 1
                if k < n and "0" <= source[k] <= "9":
                    while k < n and "0" <= source[k] <= "9":
                        k += 1
                    j = k
            tokens.append(Token(NUM, source[i:j], i))
            i = j
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(source[j]):
                j += 1
            tokens.append(Token(NAME, source[i:j], i))
            i = j
        elif ch in SUPERSCRIPTS or ch == SUPERSCRIPT_MINUS:
            # x² is x^2; x⁻¹ is x^(-1): emit ^, an optional unary minus, then the digits.
            tokens.append(Token(OP, "^", i, ch))
            j = i
            if ch == SUPERSCRIPT_MINUS:
                tokens.append(Token(OP, "-", i, ch))
                j += 1
            k = j
            while k < n and source[k] in SUPERSCRIPTS:
                k += 1
            if k == j:
                raise loc.error("a superscript minus must be followed by superscript digits", i, ch)
            digits = "".join(SUPERSCRIPTS[c] for c in source[j:k])
            tokens.append(Token(NUM, digits, j, source[j:k]))
            i = k
        elif ch == "*" and source.startswith("**", i):
            tokens.append(Token(OP, "^", i, "**"))
            i += 2
        elif ch in OPERATOR_CHARS:
            canon = OPERATOR_CHARS[ch]
            tokens.append(Token(OP, canon, i, "" if canon == ch else ch))
            i += 1
        elif ch in "([{":
            tokens.append(Token(LPAREN, "(", i, "" if ch == "(" else ch))
            i += 1
        elif ch in ")]}":
            tokens.append(Token(RPAREN, ")", i, "" if ch == ")" else ch))
            i += 1
        elif ch == ",":
            tokens.append(Token(COMMA, ",", i))
            i += 1
        elif ch == "=":
            tokens.append(Token(ASSIGN, "=", i))
            i += 1
        else:
            raise _unexpected(ch, i, loc)
    tokens.append(Token(END, "", n))
    return tokens
