"""Four ways to the same derivative, one endpoint each: POST /api/v1/symbolic, /numeric,
/compare, /paths, /check and /snippet. Each takes the expression and point as POST /graph does.
The routes are plain `def`s: SymPy waits on its worker and the engine is pure Python, so FastAPI
runs them in its threadpool, off the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .. import methods
from ..encoding import EncodedJSON
from ..errors import error_responses
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
from .deps import JSONRoute, SettingsDep

router = APIRouter(tags=["four ways"], route_class=JSONRoute)
ERRORS = error_responses(400, 413, 415, 422)


@router.post("/symbolic", response_model=SymbolicResponse, responses=ERRORS,
             summary="SymPy's derivatives")
def symbolic(body: SymbolicRequest, settings: SettingsDep) -> EncodedJSON:
    """SymPy's derivative for every variable, built from our own tree (the text is never given
    to SymPy's parser), as text, LaTeX and MathML, evaluated at the point, and simplified
    within a time budget. When the budget runs out, what arrived is kept (`status: partial`,
    with a note); exact arithmetic that could not finish (9^9^9) is not attempted (`skipped`)."""
    return EncodedJSON(methods.symbolic_body(body, settings))


@router.post("/numeric", response_model=NumericResponse, responses=ERRORS,
             summary="Finite differences and the error sweep")
def numeric(body: NumericRequest, settings: SettingsDep) -> EncodedJSON:
    """Forward, backward or central differences for every variable with step `h` (the lecture's
    `numer_deriv`), their errors against reverse-mode AD, and with `sweep` the error of all
    three methods for h = 1e-1 ... 1e-13: slope about 1 (one-sided) or 2 (central) where
    truncation dominates, rising again where round-off does, and the best h."""
    return EncodedJSON(methods.numeric_body(body, settings))


@router.post("/compare", response_model=CompareResponse, responses=ERRORS,
             summary="The comparison table")
def compare(body: CompareRequest, settings: SettingsDep) -> EncodedJSON:
    """The lecture's table, extended: per variable the symbolic value, then finite differences,
    forward-mode and reverse-mode AD with their absolute errors against it; and how many passes
    (and local derivatives) each AD mode needs."""
    return EncodedJSON(methods.compare_body(body, settings))


@router.post("/paths", response_model=PathsResponse, responses=ERRORS,
             summary="The chain rule as a sum over paths")
def paths(body: PathsRequest, settings: SettingsDep) -> EncodedJSON:
    """Every path from `variable` to the output with the product of the local derivatives along
    it; their sum is the gradient. Paths are counted exactly (without listing them; `count` is a
    decimal string of any length) and at most `limit` are listed, with at most the server's
    `max_path_edges` edges in all (`truncated` and `truncated_by` say when and why the list is cut)."""
    return EncodedJSON(methods.paths_body(body, settings))


@router.post("/check", response_model=CheckResponse, responses=ERRORS,
             summary="Check my derivative")
def check(body: CheckRequest, settings: SettingsDep) -> EncodedJSON:
    """Does your `derivative` equal d f / d `variable`? Symbolically (yours − true simplifies to
    0 within the budget) and numerically at the point and at random points near it, against
    reverse-mode AD; `points` shows where they differ."""
    return EncodedJSON(methods.check_body(body, settings))


@router.post("/snippet", response_model=SnippetResponse, responses=ERRORS,
             summary="The same in PyTorch")
def snippet(body: SnippetRequest, settings: SettingsDep) -> EncodedJSON:
    """PyTorch code for the expression at the point: leaf tensors with `requires_grad=True`, the
    expression (named intermediates on their own lines) and `torch.autograd.grad` over `wrt`."""
    return EncodedJSON(methods.snippet_body(body, settings))


@router.post("/hessian", response_model=HessianResponse, responses=ERRORS,
             summary="Second derivatives: the Hessian, or a Hessian-vector product")
def hessian(body: HessianRequest, settings: SettingsDep) -> EncodedJSON:
    """∂²f/∂xᵢ∂xⱼ by forward mode over the reverse pass: the forward pass on dual numbers
    carries each value's derivative along a direction, and the reverse pass run on them gives
    every adjoint's derivative too, which for a variable is a row of the Hessian (as PyTorch's
    double backward or `jax.jvp(jax.grad(f))`). One pass per row; with `direction`, one pass
    for (∇²f) v. Functions of numbers only; at most 64 variables."""
    return EncodedJSON(methods.hessian_body(body, settings))


@router.post("/jacobian", response_model=JacobianResponse, responses=ERRORS,
             summary="The Jacobian, built by forward mode and by reverse mode")
def jacobian(body: JacobianRequest, settings: SettingsDep) -> EncodedJSON:
    """∂outputs/∂inputs for any named nodes as outputs: forward mode fills it a column per
    input (one tangent pass each), reverse mode a row per output (one adjoint pass each); each
    way's passes and the local derivatives each pass evaluated, and which was cheaper here.
    With one output reverse mode needs one pass; with one input, forward mode does."""
    return EncodedJSON(methods.jacobian_body(body, settings))


@router.get("/jacobian/family", response_model=FamilyResponse, responses=ERRORS,
            summary="Forward or reverse: the cost of each on n inputs and m outputs")
def jacobian_family(inputs: Annotated[int, Query(ge=1, le=64)] = 4,
                    outputs: Annotated[int, Query(ge=1, le=64)] = 4) -> EncodedJSON:
    """A generated program with n inputs and m outputs, every output depending on every input
    (s = Σ sin(xⱼ); oᵢ = exp(s / i)), and the local derivatives its Jacobian costs by forward mode
    (n passes) and by reverse mode (m passes): where the two cross, measured."""
    return EncodedJSON(methods.family_body(inputs, outputs))
