"""What routes ask FastAPI for besides their bodies: the app's Settings, and that a body be JSON.
Both are `async` so that FastAPI runs them on the event loop, not in its threadpool."""

from __future__ import annotations

import email.message
from typing import Annotated

from fastapi import Depends, Request

from ..errors import APIError
from ..settings import Settings


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def require_json(request: Request) -> None:
    """415 unless the body is declared JSON (`application/json` or `application/*+json`).
    FastAPI would otherwise pass another body on as bytes, to fail validation as a 422."""
    content_type = request.headers.get("content-type")
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
