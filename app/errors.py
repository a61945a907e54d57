"""One error shape for every error the server returns, and the handlers that produce it:

    {"detail": {"code", "message", "line", "column", "text", "field"?, "limit"?, "maximum"?, "actual"?,
                "reason"?, "params"?}}

`line` is 1-based and `column` 0-based (as the engine reports them); both are null when the
error is not tied to a place in some text. No stack trace ever reaches a client.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from drawing import LayoutSkipped
from engine import ExpressionError

from .encoding import EncodedJSON, encode_number

log = logging.getLogger("chainrule")
#: uvicorn's own log (its level and format, beside its access lines): for what the server saw
#: happen, not for our bugs.
server_log = logging.getLogger("uvicorn.error")

MAX_TEXT = 200  # characters of offending input echoed back in `text`


class ErrorDetail(BaseModel):
    """What went wrong, where, and (for a bound) which limit, its maximum and the actual size."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "invalid_expression", "message": "unknown function 'sn' — did you mean 'sin'?",
        "line": 1, "column": 0, "text": "sn"}]})

    code: str = Field(description="machine-readable kind, e.g. invalid_expression, missing_value, "
                                  "invalid_value, limit_exceeded, body_too_large, not_found")
    message: str = Field(description="a sentence for people: what was wrong and what is accepted")
    line: int | None = Field(None, description="1-based line in the expression (or JSON body)")
    column: int | None = Field(None, description="0-based column within that line")
    text: str | None = Field(None, description="the offending text")
    field: str | None = Field(None, description="the request field at fault, e.g. values.x")
    limit: str | None = Field(None, description="the bound that was exceeded, e.g. max_nodes")
    maximum: float | None = Field(None, description="that bound's value")
    actual: float | None = Field(None, description="the size that exceeded it")
    reason: str | None = Field(None, description="under a broad code, which case: unclosed_bracket, "
                                                 "ends_early, ... (engine.errors.REASONS), or the limit")
    params: dict[str, Any] | None = Field(None, description="the reason's values (the bracket, the "
                                                             "token), for a message in any language")


class ErrorResponse(BaseModel):
    """The body of every 4xx (and, should one ever happen, 5xx) response."""

    detail: ErrorDetail


def error_body(code: str, message: str, **extra: Any) -> dict:
    detail = {"code": code, "message": message, "line": None, "column": None, "text": None}
    detail.update({k: v for k, v in extra.items() if v is not None})
    return {"detail": detail}


def error_response(status: int, code: str, message: str, headers: dict | None = None,
                   **extra: Any) -> EncodedJSON:
    return EncodedJSON(error_body(code, message, **extra), status_code=status, headers=headers)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once the body passes the bound (see middleware.BodyLimit).

    An HTTPException so that FastAPI's body reading passes it on instead of turning it into
    a 400; rendered as a 413 naming the limit.
    """

    def __init__(self, maximum: int, actual: int) -> None:
        super().__init__(413, f"the request body is larger than {maximum} bytes "
                              f"(at least {actual} arrived); send a shorter expression")
        self.maximum, self.actual = maximum, actual


class APIError(Exception):
    """An error the routes raise on purpose; rendered in the one shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra
        self.headers = headers  # e.g. Retry-After on a 503

    def body(self) -> dict:
        return error_body(self.code, self.message, **self.extra)


# --- pydantic / FastAPI validation errors -----------------------------------------------

_FRIENDLY = {
    "float_type": "must be a number (a JSON number, not a string, boolean or null)",
    "finite_number": "must be a finite number (not NaN, Infinity or beyond float64's range)",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
}


def field_path(loc: tuple | list) -> str:
    """('body', 'values', 'x') -> 'values.x'; list items as [i]."""
    parts: list[str] = []
    for item in loc:
        if item in ("body", "query", "path", "header") and not parts:
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "body"


def _describe(err: dict) -> tuple[str, str]:
    where = field_path(err.get("loc", ()))
    what = _FRIENDLY.get(err.get("type", ""), err.get("msg", "is invalid"))
    return where, f"{where} {what}"


def _input_text(value: Any) -> str | None:
    """The offending input as JSON text (non-finite numbers as "inf", "-inf", "nan")."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return encode_number(value)
    try:
        return _clip(json.dumps(value, ensure_ascii=False, allow_nan=False, default=str))
    except ValueError:  # a non-finite number inside a list or object
        return _clip(str(value))


def _invalid_json(error: dict, text: Any) -> dict:
    """FastAPI's `json_invalid` (its loc ends with the offset into `text`) with the place as the
    engine counts it: 1-based line, 0-based column. app.encoding.loads reports a body that is not
    UTF-8 or is nested too deeply with no text: its message says all there is."""
    message = (error.get("ctx") or {}).get("error", error.get("msg"))
    if not isinstance(text, str) or not text:
        return error_body("invalid_json", message)
    offset = error["loc"][-1]
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return error_body("invalid_json", f"the request body is not valid JSON: {message}",
                      line=line, column=column)


#: The tags pydantic puts after a field's place for each member of a union it tried (a value is a
#: number or an array): one failure of the field, said once, by its first member.
UNION_TAGS = {"float", "list[any]"}


def _without_union_tags(errors: list[dict]) -> list[dict]:
    out, seen = [], set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc and loc[-1] in UNION_TAGS:
            loc = loc[:-1]
            if loc in seen:
                continue
            err = {**err, "loc": loc}
        seen.add(loc)
        out.append(err)
    return out


def validation_detail(errors: list[dict], body: Any = None) -> tuple[int, dict]:
    """The first error names the field; the message mentions how many more there were.
    A body that is not JSON at all is a 400 saying where."""
    errors = _without_union_tags(errors)
    first = errors[0] if errors else {"loc": (), "type": "invalid", "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return 400, _invalid_json(first, body)
    where, message = _describe(first)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    code = "invalid_value" if where.startswith(("values", "tangent")) else "invalid_request"
    extra: dict[str, Any] = {"field": where}
    if first.get("type") != "missing":
        extra["text"] = _input_text(first.get("input"))
    return 422, error_body(code, message, **extra)


# --- handlers ---------------------------------------------------------------------------

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large",
                 414: "uri_too_long", 415: "unsupported_media_type", 422: "invalid_request",
                 429: "too_many_requests"}


def _http_message(status: int, detail: Any, request: Request) -> str:
    if status == 404:
        return f"there is nothing at {request.url.path}; the API lives under /api/v1 (see /docs)"
    if status == 405:
        return f"{request.method} is not allowed on {request.url.path}"
    return detail if isinstance(detail, str) else "the request could not be handled"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one shape."""

    @app.exception_handler(ExpressionError)
    async def expression_error(request: Request, exc: ExpressionError) -> EncodedJSON:
        detail = exc.to_dict()
        if detail.get("text") is not None:
            detail["text"] = _clip(detail["text"])
        return EncodedJSON({"detail": detail}, status_code=422)

    @app.exception_handler(LayoutSkipped)
    async def layout_skipped(request: Request, exc: LayoutSkipped) -> EncodedJSON:
        return EncodedJSON({"detail": {"line": None, "column": None, "text": None, **exc.to_dict()}},
                            status_code=422)

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> EncodedJSON:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def request_validation(request: Request, exc: RequestValidationError) -> EncodedJSON:
        status, body = validation_detail(list(exc.errors()), exc.body)
        return EncodedJSON(body, status_code=status)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> EncodedJSON:
        return error_response(413, "body_too_large", str(exc.detail), headers={"Connection": "close"},
                              limit="max_body_bytes", maximum=exc.maximum, actual=exc.actual)

    @app.exception_handler(ClientDisconnect)
    async def client_disconnect(request: Request, exc: ClientDisconnect) -> EncodedJSON:
        return _client_left(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> EncodedJSON:
        if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's 400 for a body cut short
            return _client_left(request)
        status = exc.status_code
        code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "bad_request")
        return error_response(status, code, _http_message(status, exc.detail, request),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> EncodedJSON:
        # A bug of ours: log it with its traceback, tell the client only that it happened.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side; the error "
                              "has been logged")


def _client_left(request: Request) -> EncodedJSON:
    """The client closed the connection before its body was complete: one line in the server's
    log (a traceback per aborted upload would let anyone fill the disk), and an answer that no
    one will read."""
    client = f"{request.client.host}:{request.client.port}" if request.client else "-"
    server_log.info('%s - "%s %s" closed before sending its whole body', client, request.method,
                    request.url.path)
    return error_response(400, "client_disconnected", "the connection closed before the request "
                          "body was complete")


#: For `responses=` on routes, so that OpenAPI documents the error shape per status.
def error_responses(*statuses: int) -> dict[int | str, dict]:
    text = {400: "The body is not valid JSON.", 404: "Not found.",
            413: "The request body (or URL) is larger than allowed.",
            415: "The body is not application/json.",
            422: "The expression, the values or the request are invalid, or a limit (or a CPU-time "
                 "budget, `budget_exceeded`) was exceeded.",
            503: "Too many heavy requests in flight (`overloaded`): retry after `Retry-After` "
                 "seconds."}
    return {s: {"model": ErrorResponse, "description": text.get(s, "Error.")} for s in statuses}
