"""POST /api/v1/graph: an expression and a point in; values, gradients, trace and layout out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request

from ..encoding import EncodedJSON
from ..errors import error_responses
from ..graphs import response_body
from ..heavy import Budget, Checkpoint, admission, run
from ..schemas import GRAPH_EXAMPLES, CompactGraphResponse, GraphRequest, GraphResponse
from .deps import JSONRoute, SettingsDep

router = APIRouter(tags=["graph"], route_class=JSONRoute)


@router.post("/graph", response_model=GraphResponse | CompactGraphResponse,
             responses=error_responses(400, 413, 415, 422, 503), summary="Evaluate and differentiate")
async def post_graph(body: Annotated[GraphRequest, Body(openapi_examples=GRAPH_EXAMPLES)],
                     settings: SettingsDep, request: Request) -> EncodedJSON:
    """Parse the expression, run the forward pass (values), the reverse pass (adjoints, edge by
    edge) and, when `tangent` is given, forward mode; lay the graph out with Graphviz.

    - `value`, `gradient` (every variable, or those of `requires_grad`), `gradient_wrt` (the
      `wrt` list, repeats included);
    - values may be arrays (nested lists): then `@`, `sum`, `mean`, `transpose` apply, every node
      has a `shape`, arrays come back as nested lists (or a summary past `shown_elements`), each
      edge says what its backward step is and, when small, carries its Jacobian (eq. 6.46);
    - `nodes` with `value`, `grad` (d output / d node) and `tangent`; `edges` with `local`
      (d target / d source) and `contribution` (local × grad[target]);
    - `trace`: each pass as the ordered events a viewer replays;
    - `layout`: positions in points, or `status: "skipped"` with the limit that stopped it
      (the rest of the answer still comes);
    - `warnings`: values given for names the expression lacks, unused intermediates, and the
      first node where a value, gradient or tangent stopped being finite;
    - with `target: "a"`, the named node a is differentiated instead of the output (its value
      is `value`, the gradients are ∂a/∂·, and the trace's backward pass starts at a);
    - with `derivative_of: "x"`, all of the above for the backward pass of ∂f/∂x drawn as a graph
      of its own (forward nodes, each edge's local derivative from the op table, each product
      and sum), so its `value` is ∂f/∂x and its `gradient` the second derivatives ∂²f/∂x∂·;
      `derivative_of.origin` says, per node, which node or edge of f's graph it came from.

    Numbers that are not finite are the strings `"inf"`, `"-inf"`, `"nan"`.

    With `format: "compact"`, the same answer marked `"format": "compact/1"`, with nodes and edges
    as columns and each pass's events as rows (CompactGraphResponse): about half the bytes, written
    faster; decoding it (node i is "n<i>", edge k the k-th input of `nodes.inputs`, a row's items
    named by `trace.fields`) gives the objects answer exactly.
    """
    def work(checkpoint: Checkpoint) -> EncodedJSON:
        return EncodedJSON(response_body(body.expression, body.values, wrt=body.wrt,
                                         tangent=body.tangent, with_layout=body.layout,
                                         settings=settings, requires_grad=body.requires_grad,
                                         derivative_of=body.derivative_of, target=body.target,
                                         expand=body.expand, body_format=body.format,
                                         checkpoint=checkpoint))

    # In a worker thread (the event loop stays free), under graph_cpu_s; with its layout it is a
    # heavy request (admitted up to max_heavy_requests in flight, else 503).
    if body.layout:
        return await admission(request).run(request, "graph_cpu_s", settings.graph_cpu_s, work)
    return await run(request, Budget("graph_cpu_s", settings.graph_cpu_s), work)
