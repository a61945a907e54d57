"""SymPy beside the engine, never in the caller's process: a pool of warm worker processes
(`pool`, `worker`) running SymPy's differentiation (`jobs`) under a time budget
(`derivatives`), and the four ways to a derivative compared against SymPy's (`compare`).
`engine/` knows nothing of it; `engine.symbolic` is the graph-to-SymPy conversion it uses."""

from .derivatives import DEFAULT_BUDGET_S, Derivative, SymbolicResult, symbolic_derivatives
from .pool import POOL, WorkerPool

__all__ = ["DEFAULT_BUDGET_S", "POOL", "Derivative", "SymbolicResult", "WorkerPool",
           "symbolic_derivatives"]
