"""Tokens of the expression language, cut by one regular expression.

Friendly to text pasted from slides: full-width forms, × · ÷ − and superscript digits (x², x⁻¹)
read as what they show, names in any alphabet; any other character is an error that names it.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from .errors import Locator, unexpected_character

NUM, NAME, OP, LPAREN, RPAREN, COMMA, ASSIGN, SEP, END = (
    "number", "name", "operator", "(", ")", ",", "=", "end of statement", "end of input",
)
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
# The same cut of ASCII text, the usual case: the pattern without what only other text holds
# (names' letters of other alphabets, × ÷ −, superscripts), a name's characters as a set (the
# Unicode pattern's `[^\W\d...]` is tried item by item): findall ~17 % faster.
# tests/engine/test_parser.py holds the two to the same tokens on ASCII text.
_ASCII_TOKEN = re.compile(rf"""
    {SPACE}*+
    ( [A-Za-z_][A-Za-z_0-9]*+
    | \*\*|[-+*/^@()\[\]{{}},=;]
    | {NUMBER_PATTERN}
    | \r\n?|\n
    | .
    )""", re.VERBOSE | re.DOTALL | re.ASCII)
# An ASCII character outside the grammar (the ASCII cut's last alternative, a token whose first
# character has no kind): its error comes from the cut one token at a time. A search in C, not a
# test a token.
_ASCII_OUTSIDE = re.compile(r"[^A-Za-z0-9_ \t\x0b\x0c\x1c-\x1f+\-*/^@()\[\]{},=;.\r\n]")
# A token's kind by its first character ("**" is an operator, "." a number only with digits);
# missing: a character outside the grammar, or a name in another alphabet.
_KIND_BY_FIRST = dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", NAME)
_KIND_BY_FIRST |= dict.fromkeys("0123456789.", NUM) | dict.fromkeys(OPERATOR_CHARS, OP)
_KIND_BY_FIRST |= dict.fromkeys("([{", LPAREN) | dict.fromkeys(")]}", RPAREN)
_KIND_BY_FIRST |= dict.fromkeys("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", SUPERSCRIPT)
_KIND_BY_FIRST |= {",": COMMA, "=": ASSIGN, ";": SEP, "\n": SEP, "\r": SEP}
_first = operator.itemgetter(0)
# Tokens whose canonical text differs from the typed one (`_uncanonical` finds them in ASCII).
_CANONICAL = {"**": "^", "[": "(", "{": "(", "]": ")", "}": ")", "\r": "\n", "\r\n": "\n"}
_CANONICAL |= {k: v for k, v in OPERATOR_CHARS.items() if k != v}


def _uncanonical(source: str) -> bool:
    """Whether ASCII text holds a token whose canonical text differs from the typed one (a few
    scans in C: ~10 times faster than one search for any of them)."""
    return ("**" in source or "[" in source or "{" in source or "]" in source or "}" in source
            or "\r" in source)


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
    if _ASCII_OUTSIDE.search(source) is not None:  # a character outside the grammar
        return _tokens_one_by_one(source, loc)  # which raises the error
    typed = _ASCII_TOKEN.findall(source.rstrip(_SPACES))
    if "." in source and "." in typed:  # a full stop that is not a number's
        return _tokens_one_by_one(source, loc)
    kinds = list(map(_KIND_BY_FIRST.__getitem__, map(_first, typed)))  # in C: no step a token
    kinds.append(END)
    typed.append("")
    if not _uncanonical(source):
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

