"""JSON in and out. Numbers that are not finite leave the server as the strings "inf", "-inf"
and "nan" (everywhere a number may be: values, gradients, locals, trace events); JSON has no
spelling for them, and a string is unambiguous where null would not be.

Reading a body: integers with more digits than float64 can hold become inf before anything
converts them, so `1000...0` (even thousands of digits) is refused cheaply as "not finite",
naming its field, instead of costing a big-integer conversion or a generic parse error.
Routes read bodies through app.routes.deps.JSONRoute, which decodes them with `loads`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
from fastapi import Response

NONFINITE = {math.inf: "inf", -math.inf: "-inf"}

class RawJSON:
    """Text already encoded by `dumps`, put into a document as it is (a cached layout, sent with
    every request for its graph)."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


def encode_number(v: float) -> float | str:
    if v != v:
        return "nan"
    return NONFINITE.get(v, v)


def _encode(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else encode_number(obj)
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _fragment(obj: Any) -> orjson.Fragment:
    if isinstance(obj, RawJSON):
        return orjson.Fragment(obj.text)
    raise TypeError


def _parsed(obj: Any) -> Any:
    if isinstance(obj, RawJSON):
        return json.loads(obj.text)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def orjson_alike(numbers: Iterable[Any]) -> bool:
    """Whether orjson writes these numbers (floats, ints or None) as json does: all finite (orjson
    writes null for the others), none in [1e-9, 1e-4) (orjson writes "1e-7" and "0.00001" where json
    writes "1e-07" and "1e-05"; every other float alike, over all exponents: tests/test_encoding.py).
    An array among them answers False."""
    try:  # None, 0.0, -0.0 are written alike; what orjson cannot write (arrays) it refuses later
        a = np.abs(np.fromiter(filter(None, numbers), dtype=float))
    except (TypeError, ValueError):  # an array's truth, a value that is not a number
        return False
    return bool(np.isfinite(a).all()) and not bool(_spelt_otherwise(a).any())


def _spelt_otherwise(a: np.ndarray) -> np.ndarray:
    """Which of the magnitudes `a` orjson writes otherwise than json: those in [1e-9, 1e-4)."""
    return (a >= 1e-9) & (a < 1e-4)


def dumps(obj: Any, *, numbers: Iterable[Any] | None = None) -> bytes:
    """Compact UTF-8 JSON, as json.dumps writes it. Given `numbers`, every number that `obj` holds,
    and when orjson writes them alike (`orjson_alike`), orjson writes it, ten times faster,
    unless it cannot (a lone surrogate, an integer past 64 bits, a type it does not know).

    Otherwise json: the common case (all finite) is one pass of the C encoder; only when it
    refuses a non-finite float is the payload walked and re-encoded. Text with a lone surrogate
    (a request may carry "\\ud800", which UTF-8 cannot hold) is written with every non-ASCII
    character escaped, as JSON allows."""
    if numbers is not None and orjson_alike(numbers):
        try:
            return orjson.dumps(obj, default=_fragment)
        except orjson.JSONEncodeError:
            pass
    options: dict[str, Any] = {"allow_nan": False, "separators": (",", ":"), "default": _parsed}
    try:
        out = json.dumps(obj, ensure_ascii=False, **options)
    except ValueError:
        obj = _encode(obj)
        out = json.dumps(obj, ensure_ascii=False, **options)
    try:
        return out.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, **options).encode()


_FLOAT_OR_NONE = frozenset({float, type(None)})
#: orjson's spellings of floats in [1e-9, 1e-4): "0.00001", "1.5e-7" (json: "1e-05", "1.5e-07").
#: Searched for in orjson's text of numbers alone ("e-" is in no other token); a few other
#: numbers match too ("10.00001"): they only cost json's slower pass.
_SPELT_OTHERWISE = re.compile(rb"e-[5-9](?![0-9])")


def numbers_text(numbers: list) -> tuple[bytes, bool] | None:
    """The text of `numbers` (floats and None) as json writes them, and whether orjson writes
    every one of them alike (checked in C: the list's types and its sum, then orjson's text
    searched for its other spellings): orjson's text then, ten times faster; else that text
    with those few numbers respelt as json does. None when one is not a finite float."""
    if not set(map(type, numbers)) <= _FLOAT_OR_NONE or not math.isfinite(sum(filter(None, numbers))):
        return None
    text = orjson.dumps(numbers)
    if b"0.0000" in text or (b"e-" in text and _SPELT_OTHERWISE.search(text)):  # json's spelling:
        return _respelt(numbers, text), False  # repr's, of those few numbers
    return text, True


def spelt_otherwise(numbers: list) -> list[float] | None:
    """The numbers (floats and None) that orjson writes otherwise than json, each once; None when
    one is not finite. Checked in C, with no type checked and no text kept (`numbers_text` does
    both): what is not a float goes through (orjson writes None, ints and text as json does, and
    refuses the rest: numpy's numbers, arrays) or is refused here. A long list by numpy (a third
    of orjson's time); a short one on orjson's text first (numpy's fixed cost is more)."""
    if len(numbers) < 512:
        try:
            text = orjson.dumps(numbers)
        except orjson.JSONEncodeError:
            return None
        if text.count(b"null") != numbers.count(None):  # orjson writes inf and nan as null
            return None
        if not (b"0.0000" in text or (b"e-" in text and _SPELT_OTHERWISE.search(text))):
            return []
    try:
        a = np.array(numbers, dtype=float)  # None: nan
    except (TypeError, ValueError, OverflowError):  # arrays among them; an int past float64
        return None
    if a.shape != (len(numbers),):  # arrays all of one shape
        return None
    finite = np.isfinite(a)
    if not finite.all() and np.count_nonzero(finite) != len(numbers) - numbers.count(None):
        return None
    np.abs(a, out=a)
    return list(dict.fromkeys(map(numbers.__getitem__, np.flatnonzero(_spelt_otherwise(a)).tolist())))


def _respelt(numbers: list, text: bytes) -> bytes:
    """orjson's `text` of `numbers` with the numbers in [1e-9, 1e-4) written by repr, as json
    writes them. Found by numpy and set in by index: a regex calling back to Python for each
    cost 3.8 µs a number (6.7 ms for a 528-node program's 1,732, most of a keystroke's body)."""
    a = np.abs(np.array(numbers, dtype=float))  # None: nan, spelt alike
    at = np.flatnonzero(_spelt_otherwise(a))
    if not at.size:  # "10.00001" matched the search: orjson writes it as json does
        return text
    pieces = text[1:-1].split(b",")
    for i in at.tolist():
        pieces[i] = repr(numbers[i]).encode()
    return b"[" + b",".join(pieces) + b"]"


def dumps_orjson(obj: Any) -> bytes | None:
    """orjson's text of `obj` (RawJSON put in as it is), None where it cannot write it (a lone
    surrogate, an integer past 64 bits): for a caller that checked the numbers (`numbers_text`)."""
    try:
        return orjson.dumps(obj, default=_fragment)
    except orjson.JSONEncodeError:
        return None


def dumps_json(obj: Any) -> bytes | None:
    """json's text of `obj`, as `dumps` writes it when every number is finite (RawJSON is
    refused); None where UTF-8 cannot hold it (a lone surrogate: `dumps` escapes it)."""
    try:
        return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return None


class EncodedJSON(Response):
    """A response body written by `dumps` (or given as its bytes). Routes return it as is:
    FastAPI neither validates nor re-encodes a Response (the response models document it; the
    tests check it)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def _parse_int(text: str) -> int | float:
    # Short integers stay exact ints; longer ones become floats directly (inf past float64's
    # ~1.8e308), never a bignum whose conversion costs time quadratic in its digits.
    return int(text) if len(text) <= 300 else float(text)


def loads(body: bytes) -> Any:
    """A request body -> data. What is not JSON raises json.JSONDecodeError, which FastAPI
    reports as `json_invalid` with the text and the offset (app.errors answers 400 with line and
    column); a body that is not UTF-8, or nested too deeply, has no text to point into."""
    try:
        return json.loads(body.decode("utf-8"), parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"the request body is not UTF-8 (byte {exc.start})", "", 0) from None
    except RecursionError:
        raise json.JSONDecodeError("the request body is nested too deeply", "", 0) from None
