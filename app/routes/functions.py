"""GET /api/v1/functions: the engine's op table and named constants, as the parser reads them."""

from __future__ import annotations

from functools import cache

import sympy as sp
from fastapi import APIRouter

from engine import CONSTANTS, FUNCTIONS, OPS, Op

from ..schemas import FunctionsResponse

router = APIRouter(tags=["reference"])

ARGS = ("a", "b", "c")


def _syntax(op: Op) -> str:
    args = ARGS[: op.arity]
    spellings = sorted(name for name, by_arity in FUNCTIONS.items() if by_arity.get(op.arity) == op.name)
    calls = [f"{name}({', '.join(args)})" for name in spellings]
    if op.symbol is not None:
        infix = f"{op.symbol}{args[0]}" if op.arity == 1 else f" {op.symbol} ".join(args)
        if op.symbol == "^":
            infix += " (also a ** b)"
        calls.insert(0, infix)
    return ", ".join(calls)


def _partials(op: Op) -> tuple[list[str], list[str]]:
    """Each local derivative as a formula in a, b, derived by SymPy from the op's counterpart
    (so it cannot disagree with the op table)."""
    syms = [sp.Symbol(name, real=True) for name in ARGS[: op.arity]]
    expr = op.sympy(sp, *syms)
    diffs = [sp.diff(expr, s) for s in syms]
    return [sp.sstr(d) for d in diffs], [sp.latex(d) for d in diffs]


@cache
def functions_body() -> dict:
    return {
        "functions": [{"name": op.name, "arity": op.arity, "label": op.label, "latex": op.latex,
                       "description": op.description, "syntax": _syntax(op),
                       "spelling": op.spelling or None, "symbol": op.symbol,
                       "subgradient": op.subgradient or None,
                       **dict(zip(("partials", "partials_latex"), _partials(op)))}
                      for op in OPS.values()],
        "constants": [{"name": name, "value": value} for name, value in CONSTANTS.items()],
    }


@router.get("/functions", response_model=FunctionsResponse)
def functions() -> dict:
    """Every primitive the expression language knows: its name in graphs, number of arguments,
    the label drawn in its node, how to type it, and its subgradient choice where the derivative
    does not exist. Plus the named constants (`pi`, `π`, `e`)."""
    return functions_body()
