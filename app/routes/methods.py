"""Four ways to the same derivative, one endpoint each: POST /api/v1/symbolic, /numeric,
/compare, /paths, /check and /snippet. Each takes the expression and point as POST /graph does.
All but /snippet are heavy requests (app.heavy): admitted up to `max_heavy_requests` in flight (else
503), run in a worker thread off the event loop under their CPU-time budget (`<name>_cpu_s`), and
stopped when the client disconnects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from .. import methods
from ..encoding import EncodedJSON
from ..errors import error_responses
from ..heavy import Checkpoint, admission
from ..method_schemas import (
    CheckRequest,
    CheckResponse,
    CompareRequest,
    CompareResponse,
    FamilyResponse,
    HessianRequest,
    HessianResponse,
    JacobianRequest,
    JacobianResponse,
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
from .deps import JSONRoute, SettingsDep

router = APIRouter(tags=["four ways"], route_class=JSONRoute)
ERRORS = error_responses(400, 413, 415, 422, 503)


async def _heavy(request: Request, limit: str, settings: Settings,
                 body_of: Callable[[Any, Settings, Checkpoint], dict], body: Any) -> EncodedJSON:
    return await admission(request).run(
        request, limit, getattr(settings, limit),
        lambda checkpoint: EncodedJSON(body_of(body, settings, checkpoint)))


@router.post("/symbolic", response_model=SymbolicResponse, responses=ERRORS,
             summary="SymPy's derivatives")
async def symbolic(body: SymbolicRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """SymPy's derivative for every variable, built from our own tree (the text is never given
    to SymPy's parser), as text, LaTeX and MathML, evaluated at the point, and simplified
    within a time budget. When the budget runs out, what arrived is kept (`status: partial`,
    with a note); exact arithmetic that could not finish (9^9^9) is not attempted (`skipped`)."""
    return await _heavy(request, "symbolic_cpu_s", settings, methods.symbolic_body, body)


@router.post("/numeric", response_model=NumericResponse, responses=ERRORS,
             summary="Finite differences and the error sweep")
async def numeric(body: NumericRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """Forward, backward or central differences for every variable with step `h` (the lecture's
    `numer_deriv`), their errors against reverse-mode AD, and with `sweep` the error of all
    three methods for h = 1e-1 ... 1e-13: slope about 1 (one-sided) or 2 (central) where
    truncation dominates, rising again where round-off does, and the best h."""
    return await _heavy(request, "numeric_cpu_s", settings, methods.numeric_body, body)


@router.post("/compare", response_model=CompareResponse, responses=ERRORS,
             summary="The comparison table")
async def compare(body: CompareRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """The lecture's table, extended: per variable the symbolic value, then finite differences,
    forward-mode and reverse-mode AD with their absolute errors against it; and how many passes
    (and local derivatives) each AD mode needs."""
    return await _heavy(request, "compare_cpu_s", settings, methods.compare_body, body)


@router.post("/paths", response_model=PathsResponse, responses=ERRORS,
             summary="The chain rule as a sum over paths")
async def paths(body: PathsRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """Every path from `variable` to the output with the product of the local derivatives along
    it; their sum is the gradient. Paths are counted exactly (without listing them; `count` is a
    decimal string of any length) and at most `limit` are listed, with at most the server's
    `max_path_edges` edges in all (`truncated` and `truncated_by` say when and why the list is cut)."""
    return await _heavy(request, "paths_cpu_s", settings, methods.paths_body, body)


@router.post("/check", response_model=CheckResponse, responses=ERRORS,
             summary="Check my derivative")
async def check(body: CheckRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """Does your `derivative` equal d f / d `variable`? Symbolically (yours − true simplifies to
    0 within the budget) and numerically at the point and at random points near it, against
    reverse-mode AD; `points` shows where they differ."""
    return await _heavy(request, "check_cpu_s", settings, methods.check_body, body)


@router.post("/snippet", response_model=SnippetResponse, responses=error_responses(400, 413, 415, 422),
             summary="The same in PyTorch")
def snippet(body: SnippetRequest, settings: SettingsDep) -> EncodedJSON:
    """PyTorch code for the expression at the point: leaf tensors with `requires_grad=True`, the
    expression (named intermediates on their own lines) and `torch.autograd.grad` over `wrt`."""
    return EncodedJSON(methods.snippet_body(body, settings))


@router.post("/hessian", response_model=HessianResponse, responses=ERRORS,
             summary="Second derivatives: the Hessian, or a Hessian-vector product")
async def hessian(body: HessianRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """∂²f/∂xᵢ∂xⱼ by forward mode over the reverse pass: the forward pass on dual numbers
    carries each value's derivative along a direction, and the reverse pass run on them gives
    every adjoint's derivative too, which for a variable is a row of the Hessian (as PyTorch's
    double backward or `jax.jvp(jax.grad(f))`). One pass per row; with `direction`, one pass
    for (∇²f) v. Functions of numbers only; at most 64 variables."""
    return await _heavy(request, "hessian_cpu_s", settings, methods.hessian_body, body)


@router.post("/jacobian", response_model=JacobianResponse, responses=ERRORS,
             summary="The Jacobian, built by forward mode and by reverse mode")
async def jacobian(body: JacobianRequest, settings: SettingsDep, request: Request) -> EncodedJSON:
    """∂outputs/∂inputs for any named nodes as outputs: forward mode fills it a column per
    input (one tangent pass each), reverse mode a row per output (one adjoint pass each); each
    way's passes and the local derivatives each pass evaluated, and which was cheaper here.
    With one output reverse mode needs one pass; with one input, forward mode does."""
    return await _heavy(request, "jacobian_cpu_s", settings, methods.jacobian_body, body)


@router.get("/jacobian/family", response_model=FamilyResponse, responses=ERRORS,
            summary="Forward or reverse: the cost of each on n inputs and m outputs")
def jacobian_family(inputs: Annotated[int, Query(ge=1, le=64)] = 4,
                    outputs: Annotated[int, Query(ge=1, le=64)] = 4) -> EncodedJSON:
    """A generated program with n inputs and m outputs, every output depending on every input
    (s = Σ sin(xⱼ); oᵢ = exp(s / i)), and the local derivatives its Jacobian costs by forward mode
    (n passes) and by reverse mode (m passes): where the two cross, measured."""
    return EncodedJSON(methods.family_body(inputs, outputs))
