"""Four ways to the same derivative, one endpoint each: POST /api/v1/symbolic, /numeric,
/compare, /paths, /check and /snippet. Each takes the expression and point as POST /graph does."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from .. import methods
from ..encoding import dumps
from ..errors import error_responses
from ..method_schemas import (
    CheckRequest,
    CheckResponse,
    CompareRequest,
    CompareResponse,
    NumericRequest,
    NumericResponse,
    PathsRequest,
    PathsResponse,
    SnippetRequest,
    SnippetResponse,
    SymbolicRequest,
    SymbolicResponse,
)
from ..settings import Settings
from .graph import parse_request, require_json

router = APIRouter(tags=["four ways"])
ERRORS = error_responses(400, 413, 415, 422)


def _body(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


async def _run(request: Request, model: type[BaseModel], compute: Callable) -> Response:
    settings: Settings = request.app.state.settings
    require_json(request)
    req = parse_request(await request.body(), model)
    # SymPy waits on its worker and the engine is pure Python: keep both off the event loop.
    return Response(dumps(await run_in_threadpool(compute, req, settings)),
                    media_type="application/json")


@router.post("/symbolic", response_model=SymbolicResponse, responses=ERRORS,
             openapi_extra=_body(SymbolicRequest), summary="SymPy's derivatives")
async def symbolic(request: Request) -> Response:
    """SymPy's derivative for every variable, built from our own tree (the text is never given
    to SymPy's parser), as text, LaTeX and MathML, evaluated at the point, and simplified
    within a time budget. When the budget runs out, what arrived is kept (`status: partial`,
    with a note); exact arithmetic that could not finish (9^9^9) is not attempted (`skipped`)."""
    return await _run(request, SymbolicRequest, methods.symbolic_body)


@router.post("/numeric", response_model=NumericResponse, responses=ERRORS,
             openapi_extra=_body(NumericRequest), summary="Finite differences and the error sweep")
async def numeric(request: Request) -> Response:
    """Forward, backward or central differences for every variable with step `h` (the lecture's
    `numer_deriv`), their errors against reverse-mode AD, and with `sweep` the error of all
    three methods for h = 1e-1 ... 1e-13: slope about 1 (one-sided) or 2 (central) where
    truncation dominates, rising again where round-off does, and the best h."""
    return await _run(request, NumericRequest, methods.numeric_body)


@router.post("/compare", response_model=CompareResponse, responses=ERRORS,
             openapi_extra=_body(CompareRequest), summary="The comparison table")
async def compare(request: Request) -> Response:
    """The lecture's table, extended: per variable the symbolic value, then finite differences,
    forward-mode and reverse-mode AD with their absolute errors against it; and how many passes
    (and local derivatives) each AD mode needs."""
    return await _run(request, CompareRequest, methods.compare_body)


@router.post("/paths", response_model=PathsResponse, responses=ERRORS,
             openapi_extra=_body(PathsRequest), summary="The chain rule as a sum over paths")
async def paths(request: Request) -> Response:
    """Every path from `variable` to the output with the product of the local derivatives along
    it; their sum is the gradient. Paths are counted exactly (without listing them) and at most
    `limit` are listed (`truncated` says when the list is cut)."""
    return await _run(request, PathsRequest, methods.paths_body)


@router.post("/check", response_model=CheckResponse, responses=ERRORS,
             openapi_extra=_body(CheckRequest), summary="Check my derivative")
async def check(request: Request) -> Response:
    """Does your `derivative` equal d f / d `variable`? Symbolically (yours − true simplifies to
    0 within the budget) and numerically at the point and at random points near it, against
    reverse-mode AD; `points` shows where they differ."""
    return await _run(request, CheckRequest, methods.check_body)


@router.post("/snippet", response_model=SnippetResponse, responses=ERRORS,
             openapi_extra=_body(SnippetRequest), summary="The same in PyTorch")
async def snippet(request: Request) -> Response:
    """PyTorch code for the expression at the point: leaf tensors with `requires_grad=True`, the
    expression (named intermediates on their own lines) and `torch.autograd.grad` over `wrt`."""
    return await _run(request, SnippetRequest, methods.snippet_body)
