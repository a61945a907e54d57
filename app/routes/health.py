"""GET /healthz (liveness) and GET /readyz (readiness). Both are `async` and read only the
process's own state: they answer from the event loop, never waiting on a worker thread, however
busy the heavy requests keep them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from symbolic_pool import POOL

from .. import __version__
from ..encoding import EncodedJSON
from ..errors import error_response, error_responses
from ..schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    """The server is up and answering."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", response_model=Readiness, responses=error_responses(503))
async def readyz(request: Request) -> EncodedJSON:
    """Ready once warm-up is done (Graphviz compiled, a graph laid out, the SymPy workers warm):
    200 with the heavy requests in flight and the SymPy pool's state; 503 `not_ready` before
    that and while shutting down."""
    state = request.app.state
    if not state.ready:
        return error_response(503, "not_ready", "the server is warming up or shutting down",
                              headers={"Retry-After": "1"})
    return EncodedJSON({"status": "ready", "version": __version__, "heavy": state.admission.status(),
                        "symbolic": POOL.status(), "warm_up_s": state.warm_up_s})
