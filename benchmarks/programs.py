"""Programs the benchmarks type, shared by page.py (in the browser) and web.py (the body alone)."""

from __future__ import annotations


def big_expression(statements: int = 51) -> str:
    """A chain with fan-out: each statement reuses the previous one twice and x, y once each
    (four new nodes per statement: 4 * 51 - 1 + 2 = 205 nodes). Its gradients fall to 1e-5 and
    below, numbers orjson spells otherwise than json ("0.00001", "1e-07")."""
    lines = ["v0 = x*y"] + [f"v{i} = sin(v{i - 1})*x + v{i - 1}*y" for i in range(1, statements)]
    return "; ".join(lines)


def sized_expression(nodes: int) -> str:
    """`big_expression` with about `nodes` nodes, ending in `+ 2x` for the keystrokes to edit."""
    return f"{big_expression(max(1, (nodes - 4) // 4))} + 2x"
