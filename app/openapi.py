"""The OpenAPI document: FastAPI builds it from the typed routes; here are its prose (the API's
description: encodings, errors, limits) and the documented answer of POST /api/v1/graph."""

from __future__ import annotations

import json

from fastapi import FastAPI

from .graphs import response_body
from .settings import Settings


def describe(s: Settings) -> str:
    return f"""\
See automatic differentiation happen: `POST /api/v1/graph` with an expression and values
returns every node's value and gradient, every edge's local derivative, the forward,
backward and forward-mode passes as replayable events, and a Graphviz layout.

**Numbers.** Request values must be finite float64 JSON numbers: strings (`"3"`), booleans,
`null`, `NaN`, `Infinity` and numbers beyond float64 (`1e999`) are refused with 422 naming the
field. In responses, a value that is not finite (`ln 0`, `1/0`) is the string `"inf"`, `"-inf"`
or `"nan"`, everywhere a number may appear; `warnings` names the node where it first appeared.

**Two forms of the graph.** `POST /api/v1/graph` answers with a dict per node, edge and event
(`"format": "objects"`, the default) or, with `"format": "compact"`, the same answer marked
`"format": "compact/1"` with nodes and edges as columns (node i is `n<i>`; edge k is the k-th
input of `nodes.inputs`) and each pass's events as rows whose items `trace.fields` names
(CompactGraphResponse). Decoded, it is exactly the objects answer.

**Errors.** Every error, whatever its status (400, 404, 405, 413, 414, 415, 422), has one shape:
`{{"detail": {{"code", "message", "line", "column", "text"}}}}`, plus `field` when a request field
is at fault and `limit`, `maximum`, `actual` when a bound was exceeded. `line` is 1-based and
`column` 0-based.

**Limits** (settings, from `CHAINRULE_*` environment variables): request body
{s.max_body_bytes} bytes (counted as it arrives; 413), query string {s.max_query_chars} bytes
(414), expression {s.max_length} characters, graph {s.max_nodes} nodes, nesting depth
{s.max_depth} (422 naming the limit); layout up to {s.layout_max_nodes} nodes and
{s.layout_timeout_s:g} s, beyond which the layout is skipped and says why.
"""


def install_openapi(app: FastAPI) -> None:
    """Show the real answer to `z = x*y` at x = 3, y = 4 as the 200 of POST /api/v1/graph. It is
    computed when the document is first asked for (it needs a Graphviz layout) and put into the
    document FastAPI made, not declared on the route: FastAPI writes its document without nulls,
    and the answer's nulls (`"copy": null`, ...) are part of it."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            answer = response_body("z = x*y", {"x": 3.0, "y": 4.0}, settings=app.state.settings)
            ok = build()["paths"]["/api/v1/graph"]["post"]["responses"]["200"]
            ok["content"]["application/json"]["example"] = json.loads(answer)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
