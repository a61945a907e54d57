"""The chain rule as a sum over paths: d f / d x is the sum, over every path from x to f, of
the product of the local derivatives along it. The lecture's example:
0.6931·1·1 + 0.6931·1·1 + 0.6931·1·2 = 2.7726.

Paths can be exponentially many, so they are counted exactly by dynamic programming (no
enumeration) and only the first `limit` are listed, by an explicit-stack walk; `max_edges`
bounds the listing by its size too (paths × their length: one long path can hold thousands of
edges).
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
    paths: list[Path]  # at most `limit` of them, with at most `max_edges` edges in all
    truncated: bool
    listed_sum: float  # sum of the listed products; the gradient when not truncated
    gradient: float
    truncated_by: str | None = None  # "limit" or "max_edges": the bound that cut the list


#: Digits converted at once by `decimal`: below CPython's int-to-str limit (4,300 digits).
_CHUNK_DIGITS = 1_000


def decimal(n: int) -> str:
    """`str(n)` for a count (n >= 0) of any size. CPython refuses to convert an int of more
    than 4,300 digits (a guard against quadratic time); a count of paths may be longer, so it
    is written in chunks of 1,000 digits, each under that limit."""
    chunk = 10**_CHUNK_DIGITS
    if n < chunk:
        return str(n)
    parts: list[int] = []
    while n:
        n, low = divmod(n, chunk)
        parts.append(low)
    return str(parts[-1]) + "".join(f"{p:0{_CHUNK_DIGITS}d}" for p in reversed(parts[:-1]))


def approximate(n: int) -> float | None:
    """`n` as a float, or None past float64's range (about 1.8e308, i.e. 2^1024)."""
    try:
        return float(n)
    except OverflowError:
        return None


def consumers(graph: Graph) -> list[list[int]]:
    """For each node, the edge ids that leave it (fan-out)."""
    out: list[list[int]] = [[] for _ in graph.ops]
    for edge in graph.edges:
        out[edge.source].append(edge.id)
    return out


def count_paths(graph: Graph, source: int, out_edges: list[list[int]] | None = None,
                target: int | None = None) -> int:
    """Number of distinct paths from `source` to the output, or to node `target` (exact integer).
    `out_edges` is `consumers(graph)`, when the caller already has it."""
    return _ways(graph, source, consumers(graph) if out_edges is None else out_edges, target)[source]


def _ways(graph: Graph, source: int, out_edges: list[list[int]], target: int | None) -> list[int]:
    """For each node from `source` on, how many paths lead from it to `target` (the output)."""
    end = graph.output if target is None else target
    edges = graph.edges
    ways = [0] * len(graph)
    ways[end] = 1
    for i in range(end - 1, source - 1, -1):
        ways[i] = sum(ways[edges[e].target] for e in out_edges[i])
    return ways


def paths(graph: Graph, rev: Reverse, variable: str, limit: int = DEFAULT_LIMIT,
          max_edges: int | None = None, target: int | None = None) -> Paths:
    """Paths from `variable` to the output with their products (needs a traced reverse pass
    for each edge's local derivative): the first `limit`, and only as many as hold at most
    `max_edges` edges in all (None: no such bound). The walk stops there, so its time is
    bounded by the listing's size, not by the number of paths. `target`: the node the reverse
    pass was seeded at, when not the output (one of several outputs, or a named node)."""
    if variable not in graph.variables:
        raise ExpressionError(f"'{variable}' is not a variable of this expression",
                              code="unknown_variable", text=variable)
    if rev.edge_local is None:
        raise ValueError("run reverse(..., trace=True) so that each edge's local is recorded")
    if limit < 0 or (max_edges is not None and max_edges < 0):
        raise ValueError("limit and max_edges must be >= 0")
    source = graph.var_nodes[graph.variables.index(variable)]
    out_edges = consumers(graph)
    edges = graph.edges
    local = rev.edge_local
    end = graph.output if target is None else target
    ways = _ways(graph, source, out_edges, target)
    # Only edges into nodes that reach the end are walked (with several outputs, or a target,
    # some do not), so a depth-first walk never dead-ends; the stack holds (node, next edge slot).
    listed: list[Path] = []
    trail: list[int] = []
    stack = [(source, 0)]
    room = max_edges
    cut_by_size = False
    while stack and len(listed) < limit:
        node, slot = stack.pop()
        if node == end:
            if room is not None:
                if len(trail) > room:
                    cut_by_size = True
                    break
                room -= len(trail)
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
            if not ways[edges[e].target]:
                continue
            trail.append(e)
            stack.append((edges[e].target, 0))
        elif trail:
            trail.pop()
    total = ways[source]
    truncated = len(listed) < total
    by = ("max_edges" if cut_by_size else "limit") if truncated else None
    return Paths(variable, total, listed, truncated, sum(p.product for p in listed),
                 rev.grads[source], by)
