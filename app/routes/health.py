"""GET /healthz: a liveness answer, and the cheapest JSON endpoint (the benchmark's baseline)."""

from __future__ import annotations

from fastapi import APIRouter

from .. import __version__
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict:
    """The server is up and answering."""
    return {"status": "ok", "version": __version__}
