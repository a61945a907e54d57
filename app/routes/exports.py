"""Exports that work as a link or an `<img src>`: GET /api/v1/graph.svg, .dot and .json with the
expression and the variables' values in the query string (`?expression=x*y&x=3&y=4`)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..encoding import EncodedJSON
from ..errors import APIError, error_responses
from ..graphs import evaluate_request, graph_layout, response_body
from ..heavy import Budget, Checkpoint, admission, run
from ..render import dot, svg
from ..schemas import GraphResponse
from .deps import SettingsDep

router = APIRouter(tags=["exports"])

#: Query parameters that are not variables. A variable with one of these names can only be
#: given through POST /api/v1/graph.
RESERVED = frozenset({"expression", "wrt", "tangent", "layout"})

# A decimal number as JSON writes it (an optional sign and exponent); no "nan", "inf", hex or _.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

#: Content-Security-Policy of the SVG: no scripts, nothing loaded, inline styles only.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"

VALUES_PARAM = {
    "parameters": [{
        "name": "values", "in": "query", "required": False, "style": "form", "explode": True,
        "description": "each variable's value as its own parameter, e.g. `x=1&y=2` (finite decimal "
                       "numbers; every query parameter other than expression, wrt, tangent and "
                       "layout is a variable)",
        "schema": {"type": "object", "additionalProperties": {"type": "number"}},
        "example": {"x": 1, "y": 2},
    }],
}

Expression = Annotated[str, Query(description="the function, e.g. `(x^2 + 2x) * ln(y)`",
                                  examples=["(x^2 + 2x) * ln(y)"])]


def query_values(request: Request) -> dict[str, float]:
    """Every non-reserved query parameter as a finite float, refused by name otherwise."""
    values: dict[str, float] = {}
    for name, text in request.query_params.multi_items():
        if name in RESERVED:
            continue
        if name in values:
            raise APIError(422, "invalid_value", f"the value of '{name}' is given more than once",
                           field=f"values.{name}", text=text)
        number = float(text) if NUMBER.fullmatch(text.strip()) else None
        if number is None or number != number or number in (float("inf"), float("-inf")):
            raise APIError(422, "invalid_value", f"the value of '{name}' must be a finite decimal "
                           f"number such as 1, -0.5 or 2e-3, not {text!r}", field=f"values.{name}",
                           text=text[:200])
        values[name] = number
    return values


@router.get("/graph.json", response_model=GraphResponse, openapi_extra=VALUES_PARAM,
            responses=error_responses(413, 414, 422, 503), summary="The POST body, as a link")
async def graph_json(request: Request, settings: SettingsDep, expression: Expression,
               wrt: Annotated[list[str] | None, Query(description="repeatable: wrt=x&wrt=x")] = None,
               tangent: Annotated[str | None, Query(description="forward mode along a variable")] = None,
               layout: Annotated[bool, Query(description="lay the graph out")] = True) -> EncodedJSON:
    """The same body as POST /api/v1/graph, for `?expression=...&x=1&y=2`."""
    values = query_values(request)

    def work(checkpoint: Checkpoint) -> EncodedJSON:
        return EncodedJSON(response_body(expression, values, wrt=wrt, tangent=tangent,
                                         with_layout=layout, settings=settings, checkpoint=checkpoint))

    # As POST /api/v1/graph: heavy with its layout (app.heavy), in a worker thread either way.
    if layout:
        return await admission(request).run(request, "graph_cpu_s", settings.graph_cpu_s, work)
    return await run(request, Budget("graph_cpu_s", settings.graph_cpu_s), work)


@router.get("/graph.svg", response_class=Response, openapi_extra=VALUES_PARAM,
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}},
                             "description": "the drawing"}, **error_responses(413, 414, 422, 503)},
            summary="The graph drawn, with values and gradients")
async def graph_svg(request: Request, settings: SettingsDep, expression: Expression) -> Response:
    """An SVG of the graph as Graphviz lays it out: each node's value inside it, its gradient
    (d output / d node) below it in red, each edge's local derivative on it. Usable as
    `<img src>`; served with a Content-Security-Policy that forbids scripts. A graph over the
    layout bounds is a 422 naming the limit."""
    values = query_values(request)

    def work(checkpoint: Checkpoint) -> str:
        ev, _ = evaluate_request(expression, values, tangent=None, settings=settings)
        checkpoint()
        return svg(ev, graph_layout(ev.graph, settings), expression)

    drawing = await admission(request).run(request, "graph_cpu_s", settings.graph_cpu_s, work)
    return Response(drawing, media_type="image/svg+xml",
                    headers={"Content-Security-Policy": SVG_CSP,
                             "Content-Disposition": 'inline; filename="chainrule.svg"'})


@router.get("/graph.dot", response_class=Response, openapi_extra=VALUES_PARAM,
            responses={200: {"content": {"text/vnd.graphviz": {"schema": {"type": "string"}}},
                             "description": "Graphviz source"}, **error_responses(413, 414, 422)},
            summary="The graph as Graphviz DOT")
def graph_dot(request: Request, settings: SettingsDep, expression: Expression) -> Response:
    """The DOT source chainrule lays out (left to right, inputs in the leftmost column), each
    node labelled with its op or name and its value; render it with `dot -Tsvg`."""
    ev, _ = evaluate_request(expression, query_values(request), tangent=None, settings=settings)
    return Response(dot(ev, settings), media_type="text/vnd.graphviz; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="chainrule.gv"'})
