"""POST /api/v1/graph: an expression and a point in; values, gradients, trace and layout out."""

from __future__ import annotations

import email.message
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from ..encoding import BodyError, dumps, loads
from ..errors import APIError, error_responses
from ..graphs import response_body
from ..schemas import GraphRequest, GraphResponse
from ..settings import Settings

router = APIRouter(tags=["graph"])

M = TypeVar("M", bound=BaseModel)

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/GraphRequest"},
            "examples": {
                "lecture": {"summary": "(x² + 2x) ln y at (1, 2)",
                            "value": {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}},
                "named": {"summary": "named intermediates, wrt with a repeat, forward mode along x",
                          "value": {"expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d",
                                    "values": {"x": 1, "y": 2}, "wrt": ["x", "x"], "tangent": "x"}},
                "neuron": {"summary": "the CS231n neuron, without layout",
                           "value": {"expression": "1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
                                     "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
                                     "layout": False}},
            },
        }},
    },
}


def require_json(request: Request) -> None:
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


def parse_request(body: bytes, model: type[M] = GraphRequest) -> M:  # type: ignore[assignment]
    """JSON -> a request model; a syntax error is a 400 with its line and column, a wrong field
    a 422 naming it (app.errors renders both)."""
    try:
        data = loads(body)
    except BodyError as err:
        raise APIError(400, "invalid_json", err.message, line=err.line, column=err.column) from None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in err.errors()]) from None


def compute(req: GraphRequest, settings: Settings) -> bytes:
    return dumps(response_body(req.expression, req.values, wrt=req.wrt, tangent=req.tangent,
                               with_layout=req.layout, settings=settings))


@router.post("/graph", response_model=GraphResponse, openapi_extra=REQUEST_BODY,
             responses=error_responses(400, 413, 415, 422), summary="Evaluate and differentiate")
async def post_graph(request: Request) -> Response:
    """Parse the expression, run the forward pass (values), the reverse pass (adjoints, edge by
    edge) and, when `tangent` is given, forward mode; lay the graph out with Graphviz.

    - `value`, `gradient` (every variable), `gradient_wrt` (the `wrt` list, repeats included);
    - `nodes` with `value`, `grad` (d output / d node) and `tangent`; `edges` with `local`
      (d target / d source) and `contribution` (local × grad[target]);
    - `trace`: each pass as the ordered events a viewer replays;
    - `layout`: positions in points, or `status: "skipped"` with the limit that stopped it
      (the rest of the answer still comes);
    - `warnings`: values given for names the expression lacks, unused intermediates, and the
      first node where a value, gradient or tangent stopped being finite.

    Numbers that are not finite are the strings `"inf"`, `"-inf"`, `"nan"`.
    """
    settings: Settings = request.app.state.settings
    require_json(request)
    req = parse_request(await request.body())
    # The engine is pure Python: run it in the threadpool so one big graph does not hold up
    # the event loop (Graphviz runs in WebAssembly there too, bounded in time).
    return Response(await run_in_threadpool(compute, req, settings), media_type="application/json")
