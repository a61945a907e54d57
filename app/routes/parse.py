"""POST /api/v1/parse: an expression's variables and names, without values (nothing is evaluated)."""

from __future__ import annotations

from fastapi import APIRouter

from engine import ExpressionError, parse
from engine.mathml import to_mathml
from engine.names import display_names
from engine.notices import notices

from ..encoding import EncodedJSON
from ..errors import error_responses
from ..schemas import ParseRequest, ParseResponse
from .deps import JSONRoute, SettingsDep

router = APIRouter(tags=["graph"], route_class=JSONRoute)


@router.post("/parse", response_model=ParseResponse, responses=error_responses(400, 413, 415, 422),
             summary="Variables of an expression")
def parse_expression(body: ParseRequest, settings: SettingsDep) -> EncodedJSON:
    """Parse only: the variables (which need values), the named intermediates, the outputs (the
    names a `target` may take besides those) and the graph's size; how the text was read, as
    MathML built from the parse, and notices of forms that may not read as meant (`a/2(z)` is
    (a/2)·z). Errors are those of POST /api/v1/graph (422 with line and column)."""
    # A plain `def`: parsing 10,000 characters is CPU work, done in the threadpool, never on the
    # event loop.
    try:
        parsed = parse(body.expression, settings.limits)
    except ExpressionError as err:
        raise err.with_field("expression") from None
    g = parsed.graph
    shown = display_names(g)
    return EncodedJSON({"variables": list(g.variables), "names": [n for n in g.names if n],
                        "outputs": [shown[n] for n in g.outputs],
                        "nodes": len(g), "edges": g.n_edges, "warnings": parsed.warnings,
                        "mathml": to_mathml(g), "notices": notices(body.expression)})
