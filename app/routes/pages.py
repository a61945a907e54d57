"""GET /: the page shell from templates/ (the front end proper comes in its own issue)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..assets import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))

router = APIRouter(include_in_schema=False)

#: The page runs only its own scripts and loads only its own assets (inline styles are allowed:
#: the graph is drawn by setting SVG styles); no other site may frame it (clickjacking).
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(request, "index.html", {"version": __version__})
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@router.get("/train", response_class=HTMLResponse)
def train(request: Request) -> HTMLResponse:
    """The training page: logistic regression on the dog/cat data, step by step."""
    response = templates.TemplateResponse(request, "train.html", {"version": __version__})
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
