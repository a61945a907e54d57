"""GET /api/v1/functions: the engine's op table and named constants, as the parser reads them."""

from __future__ import annotations

from functools import cache

import sympy as sp
from fastapi import APIRouter

from engine import CONSTANTS, FUNCTIONS, OPS, ExpressionError, Op, compile
from engine.symbolic import to_sympy

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
    """Each local derivative as the op table writes it (in a, b and out; tests/test_ops.py
    checks those texts against SymPy), and as LaTeX; for an op that sends a vector-Jacobian
    product instead, that product's rule."""
    texts, latex = [], []
    for k in range(op.arity):
        if op.partials:
            text = op.derivatives[k]
        else:
            text = f"vjp: {op.vjp_text[k]}" if op.vjp[k] else "none (a constant)"
        texts.append(text)
        try:
            latex.append(sp.latex(to_sympy(compile(text))))
        except ExpressionError:  # a subgradient's words ("1 if a > 0, else 0") or a VJP's rule
            latex.append(rf"\text{{{text}}}")
    return texts, latex


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
