"""Pure ASGI middleware: a request-body bound counted as the bytes stream in, and the
security headers every response carries."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTooLarge, error_body


class BodyLimit:
    """Refuse bodies over `max_bytes` without holding them in memory.

    A declared Content-Length over the bound is answered at once. Otherwise (chunked, or a
    Content-Length that lies) the bytes are counted as the app reads them, and the read
    that passes the bound raises BodyTooLarge, which the app's handlers render as 413.
    A URL whose query string is longer than `max_query` is refused with 414.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_query: int) -> None:
        self.app, self.max_bytes, self.max_query = app, max_bytes, max_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if len(query) > self.max_query:
            await _send_error(send, 414, "uri_too_long",
                              f"the query string is {len(query)} bytes long; at most {self.max_query} "
                              f"are allowed (POST the request instead)",
                              limit="max_query_chars", maximum=self.max_query, actual=len(query))
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_error(send, 413, "body_too_large",
                              f"the request body is {declared} bytes; at most {self.max_bytes} "
                              f"are allowed", limit="max_body_bytes", maximum=self.max_bytes,
                              actual=declared)
            return
        seen = 0
        maximum = self.max_bytes

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > maximum:
                    raise BodyTooLarge(maximum, seen)
            return message

        await self.app(scope, counted, send)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff`, `Referrer-Policy` and `X-Frame-Options: DENY` (for
    browsers without CSP's frame-ancestors) on every response; a redirect's `Location` made
    relative, so that the Host header a client sent is never echoed back (Starlette builds the
    trailing-slash redirect, e.g. /static → /static/, from it)."""

    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
               (b"x-frame-options", b"DENY"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if 300 <= message["status"] < 400:
                    headers = [(k, _relative(v) if k.lower() == b"location" else v) for k, v in headers]
                present = {k.lower() for k, _ in headers}
                extra = [(k, v) for k, v in self.HEADERS if k not in present]
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _relative(location: bytes) -> bytes:
    """A Location without scheme and host: `http://evil.example/static/` -> `/static/`. One
    leading slash only: `//evil.example/` would be read as another host."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_error(send: Send, status: int, code: str, message: str, **extra: object) -> None:
    body = json.dumps(error_body(code, message, **extra)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
