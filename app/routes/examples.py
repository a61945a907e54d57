"""GET /api/v1/examples: the lecture's examples as presets."""

from __future__ import annotations

from fastapi import APIRouter

from ..examples import EXAMPLES
from ..schemas import ExamplesResponse

router = APIRouter(tags=["reference"])


@router.get("/examples", response_model=ExamplesResponse)
def examples() -> dict:
    """The lecture's examples, each a ready request body (`expression`, `values`, and `wrt` where
    the lecture picks variables) with a title and a description in English and Korean:
    z = x·y; (x² + 2x) ln x at 1; (x² + 2x) ln y at (1, 2), written with x² and with named
    intermediates a, b, c, d; the logistic function, whole and unit by unit; the CS231n neuron."""
    return {"examples": EXAMPLES}
