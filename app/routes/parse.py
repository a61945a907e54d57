"""POST /api/v1/parse: an expression's variables and names, without values (nothing is evaluated)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from engine import parse

from ..encoding import dumps
from ..errors import error_responses
from ..schemas import ParseRequest, ParseResponse
from ..settings import Settings
from .graph import parse_request, require_json

router = APIRouter(tags=["graph"])


def parse_body(req: ParseRequest, settings: Settings) -> dict:
    try:
        parsed = parse(req.expression, settings.limits)
    except Exception as err:
        err.field = "expression"  # type: ignore[attr-defined]
        raise
    g = parsed.graph
    return {"variables": list(g.variables), "names": [n for n in g.names if n],
            "nodes": len(g), "edges": g.n_edges, "warnings": parsed.warnings}


@router.post("/parse", response_model=ParseResponse, responses=error_responses(400, 413, 415, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"$ref": "#/components/schemas/ParseRequest"}}}}},
             summary="Variables of an expression")
async def parse_expression(request: Request) -> Response:
    """Parse only: the variables (which need values), the named intermediates and the graph's
    size. Errors are those of POST /api/v1/graph (422 with line and column)."""
    require_json(request)
    req = parse_request(await request.body(), ParseRequest)
    # Parsing is bounded by the length and node limits: cheap enough for the event loop.
    return Response(dumps(parse_body(req, request.app.state.settings)), media_type="application/json")
