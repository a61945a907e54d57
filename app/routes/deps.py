"""What routes share besides their models: the app's Settings (a dependency), and how a JSON
body is read (a route class: the content type checked, the body decoded by app.encoding.loads)."""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from ..encoding import loads
from ..errors import APIError
from ..settings import Settings


async def get_settings(request: Request) -> Settings:
    # `async`: FastAPI runs it on the event loop instead of sending it to its threadpool.
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


class JSONRoute(APIRoute):
    """A route that takes a JSON body: 415 unless the request says it sends JSON (left alone,
    FastAPI would pass such a body on as bytes, to fail validation as a 422), and the body decoded
    by `loads`. This is FastAPI's way to change how a body is read: a Request subclass handed to
    the usual handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:  # a GET with query parameters only: nothing to read
            return handler

        async def json_body_handler(request: Request) -> Response:
            require_json(request.headers.get("content-type"))
            return await handler(JSONRequest(request.scope, request.receive))

        return json_body_handler


class JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


def require_json(content_type: str | None) -> None:
    """`application/json` or `application/*+json`, or a 415 naming what came."""
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        if message.get_content_maintype() == "application" and (subtype == "json"
                                                                 or subtype.endswith("+json")):
            return
    raise APIError(415, "unsupported_media_type",
                   f"send the body as JSON with 'Content-Type: application/json' "
                   f"(got {content_type or 'no Content-Type'})", text=content_type)
