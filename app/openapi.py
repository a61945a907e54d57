"""The OpenAPI document: the API's description (encodings, errors, limits) and the request
models that the POST routes read by hand (see routes/graph.py) added to its components."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .method_schemas import METHOD_REQUESTS
from .schemas import GraphRequest, ParseRequest
from .settings import Settings

#: Request models that routes read by hand (to control JSON parsing), so FastAPI does not
#: see them; their schemas are added to the components here.
REQUEST_MODELS = (GraphRequest, ParseRequest, *METHOD_REQUESTS)


def describe(s: Settings) -> str:
    return f"""\
See automatic differentiation happen: `POST /api/v1/graph` with an expression and values
returns every node's value and gradient, every edge's local derivative, the forward,
backward and forward-mode passes as replayable events, and a Graphviz layout.

**Numbers.** Request values must be finite float64 JSON numbers: strings (`"3"`), booleans,
`null`, `NaN`, `Infinity` and numbers beyond float64 (`1e999`) are refused with 422 naming the
field. In responses, a value that is not finite (`ln 0`, `1/0`) is the string `"inf"`, `"-inf"`
or `"nan"`, everywhere a number may appear; `warnings` names the node where it first appeared.

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


def _add_response_example(schema: dict, app: FastAPI) -> None:
    """The simplest lecture example's real answer, as the documented 200 of POST /api/v1/graph."""
    from .encoding import dumps
    from .graphs import response_body

    body = response_body("z = x*y", {"x": 3.0, "y": 4.0}, settings=app.state.settings)
    content = schema["paths"]["/api/v1/graph"]["post"]["responses"]["200"]["content"]
    content["application/json"]["example"] = json.loads(dumps(body))


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in REQUEST_MODELS:
                request = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(request.pop("$defs", {}))
                components[model.__name__] = request
            _add_response_example(schema, app)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
