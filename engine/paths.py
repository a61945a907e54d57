"""The chain rule as a sum over paths: d f / d x is the sum, over every path from x to f, of
the product of the local derivatives along it. The lecture's example:
0.6931·1·1 + 0.6931·1·1 + 0.6931·1·2 = 2.7726.

Paths can be exponentially many, so they are counted exactly by dynamic programming (no
enumeration) and only the first `limit` are listed, by an explicit-stack walk.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ExpressionError
from .graph import Graph
from .results import Reverse

DEFAULT_LIMIT = 100


@dataclass
class Path:
    edges: list[int]  # edge ids from the input to the output
    nodes: list[int]  # node ids, input first
    locals: list[float]  # d target / d source along each edge
    product: float


@dataclass
class Paths:
    variable: str
    count: int  # how many paths there are in all (exact, may be huge)
    paths: list[Path]  # at most `limit` of them
    truncated: bool
    listed_sum: float  # sum of the listed products; the gradient when not truncated
    gradient: float


def count_paths(graph: Graph, source: int, out_edges: list[list[int]] | None = None) -> int:
    """Number of distinct paths from `source` to the output (exact integer).
    `out_edges` is `graph.consumers()`, when the caller already has it."""
    out_edges = graph.consumers() if out_edges is None else out_edges
    edges = graph.edges
    ways = [0] * len(graph)
    ways[graph.output] = 1
    for i in range(graph.output - 1, source - 1, -1):
        ways[i] = sum(ways[edges[e].target] for e in out_edges[i])
    return ways[source]


def paths(graph: Graph, rev: Reverse, variable: str, limit: int = DEFAULT_LIMIT) -> Paths:
    """Paths from `variable` to the output with their products (needs a traced reverse pass
    for each edge's local derivative)."""
    if variable not in graph.variables:
        raise ExpressionError(f"'{variable}' is not a variable of this expression",
                              code="unknown_variable", text=variable)
    if rev.edge_local is None:
        raise ValueError("run reverse(..., trace=True) so that each edge's local is recorded")
    if limit < 0:
        raise ValueError("limit must be >= 0")
    source = graph.var_nodes[graph.variables.index(variable)]
    out_edges = graph.consumers()
    edges = graph.edges
    local = rev.edge_local
    # Reaching the output is guaranteed for every node (the graph is pruned to the output's
    # ancestors), so a depth-first walk never dead-ends; the stack holds (node, next edge slot).
    listed: list[Path] = []
    trail: list[int] = []
    stack = [(source, 0)]
    while stack and len(listed) < limit:
        node, slot = stack.pop()
        if node == graph.output:
            locs = [float(local[e]) for e in trail]  # type: ignore[arg-type]
            product = 1.0
            for v in locs:
                product *= v
            listed.append(Path(list(trail), [source, *(edges[e].target for e in trail)], locs, product))
            if trail:
                trail.pop()
            continue
        if slot < len(out_edges[node]):
            stack.append((node, slot + 1))
            e = out_edges[node][slot]
            trail.append(e)
            stack.append((edges[e].target, 0))
        elif trail:
            trail.pop()
    total = count_paths(graph, source, out_edges)
    return Paths(variable, total, listed, len(listed) < total,
                 sum(p.product for p in listed), rev.grads[source])
