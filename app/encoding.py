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
from typing import Any

from fastapi import Response

NONFINITE = {math.inf: "inf", -math.inf: "-inf"}


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


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON. The common case (all finite) is one pass of the C encoder;
    only when it refuses a non-finite float is the payload walked and re-encoded. Text with a
    lone surrogate (a request may carry "\\ud800", which UTF-8 cannot hold) is written with
    every non-ASCII character escaped, as JSON allows."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        obj = _encode(obj)
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()



class EncodedJSON(Response):
    """A response body written by `dumps`. Routes return it as is: FastAPI neither validates
    nor re-encodes a Response (the response models document it; the tests check it)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


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
