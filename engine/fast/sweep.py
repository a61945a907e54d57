"""The reverse pass's accumulation for a deep graph, the same sums as the plain edge loop.

`engine.plan` accumulates adjoints edge by edge, `grad[s] += local × grad[t]`, latest
target first. A deep graph (a chain, a random DAG) gives numpy no runs of independent edges,
so that loop is Python's; this module does the same arithmetic, bit for bit, with less of it
in Python:

1. Node by node ("pull"). Each node's adjoint is formed at its turn (nodes latest first,
   after all its consumers), as ((0 + c1) + c2) + ... over its contributions in the pass's
   order: one assignment per node instead of a read-add-write per edge. Rewriting an adjoint
   several times is what made the edge loop slow on big graphs (the float it replaces is
   freed and the next one lands where it was): on the benchmark's random DAG of 100,000
   nodes, 75 against 100-130 ns per node.
2. Spines. A run of nodes each used once, by the node before it in the run (a chain),
   has adjoints g·l1, g·l1·l2, ...: a cumulative product in numpy.
3. Variables. Nothing reads a variable's adjoint during the pass, so their edges are summed
   after it with numpy (`np.add.at` adds in order, unbuffered).

Why each is exact: IEEE multiplication is commutative and rounded once, so ((g·l1)·l2) is
l2·(l1·g), the loop's product, and 1.0 × g is g. The loop's sum starts from 0.0, whose only
effect is that -0.0 becomes 0.0; `(c1 + c2) or 0.0` has the same effect (a zero of either
sign is false, so it becomes 0.0; nan is true), and so does adding 0.0 to a spine's products
at the end. Only a NaN's payload can differ, where two NaNs meet in a
spine (x86 keeps the first operand's), as in numpy's path for wide graphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

import numpy as np

#: A run of chained single-use nodes at least this long is a spine (a cumulative product);
#: a shorter one stays in the Python loop, where it costs less than numpy's calls (about
#: 3 µs a spine, against 55 ns a node in the loop).
SPINE_MIN = 64
#: Variables' edges are summed with numpy from this many; below, they join the loop.
LEAF_MIN = 64

LOOP, SPINE = 0, 1


class Sweep:
    """The plan's reverse edges as steps over nodes, built once per graph.

    The steps read the per-edge locals from an array of `size` places, edge e's at `place[e]`;
    the other places hold 1.0 (a node's own adjoint is carried over as 1.0 × g[node]). Steps:
    (LOOP, a, m, b, nodes, first, second): records node = l1 × g[first] (+ l2 × g[second]),
    l1 from [a, m), l2 from [m, b); (SPINE, a, b, consumer, nodes): a cumulative product of
    [a, b) from g[consumer], nodes a range when consecutive. Variables (when numpy sums them):
    `leaf_nodes`, and per edge its variable's index among them, its target (`leaf_targets`
    reads their adjoints) and its local in `leaf_at`.
    """

    __slots__ = ("leaf_at", "leaf_index", "leaf_nodes", "leaf_targets", "place", "size", "steps")

    def __init__(self, sources: Sequence[int], targets: Sequence[int], variables: Sequence[int],
                 n: int, node: Sequence[int]) -> None:
        e = len(sources)
        src = np.fromiter(sources, np.int64, e)
        dst = np.fromiter(targets, np.int64, e)
        is_var = np.zeros(n, dtype=bool)
        is_var[list(variables)] = True
        leaf = is_var[src]
        if np.count_nonzero(leaf) < LEAF_MIN:
            leaf[:] = False
        table = [*node, None]  # the plan's shared int objects, and None at -1

        def ints(index: np.ndarray) -> list:
            return list(map(table.__getitem__, index.tolist()))

        layout: list[np.ndarray] = []  # the edge read at each place, -1 for a 1.0
        size = 0

        def place(edges: np.ndarray) -> tuple[int, int]:
            nonlocal size
            layout.append(edges)
            size += len(edges)
            return size - len(edges), size

        rec_s, rec_c1, rec_e1, rec_c2, rec_e2 = _records(src, dst, np.flatnonzero(~leaf))
        self.steps: list[tuple] = []
        done = 0
        for a, b in [*_spines(rec_s, rec_c1, rec_c2 < 0), (len(rec_s), len(rec_s))]:
            if a > done:  # the records before this spine: the loop
                r = slice(done, a)
                at, mid = place(rec_e1[r])
                _, end = place(rec_e2[r])
                self.steps.append((LOOP, at, mid, end, ints(rec_s[r]), ints(rec_c1[r]), ints(rec_c2[r])))
            if b > a:
                at, end = place(rec_e1[a:b])
                hi, lo = int(rec_s[a]), int(rec_s[b - 1])
                nodes = range(lo, hi + 1) if hi - lo == b - a - 1 else ints(rec_s[a:b])
                self.steps.append((SPINE, at, end, table[int(rec_c1[a])], nodes))
            done = b
        # Variables' edges, in the pass's order.
        le = np.flatnonzero(leaf)
        self.leaf_nodes: list[int] = []
        self.leaf_index = self.leaf_targets = None
        self.leaf_at = (0, 0)
        if len(le):
            nodes_, index = np.unique(src[le], return_inverse=True)
            self.leaf_nodes = ints(nodes_)
            self.leaf_index = index.astype(np.intp)
            self.leaf_targets = itemgetter(*ints(dst[le]))
            self.leaf_at = place(le)
        order = np.concatenate(layout) if layout else np.zeros(0, np.int64)
        self.size = size
        self.place = np.zeros(e, dtype=np.int32)  # read only by the trace and forward mode
        real = order >= 0
        self.place[order[real]] = np.flatnonzero(real)


def _records(src: np.ndarray, dst: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """The loop's records for these edges (node, c1, e1, c2, e2 as arrays): nodes latest first,
    each node's first record l1 × g[c1] (+ l2 × g[c2]) from its first one or two edges, and a
    record 1.0 × g[node] + l2 × g[c2] for each further edge. e1 and e2 are the edges whose
    locals are l1 and l2, -1 for none (l1 is then 1.0, or c2 is none, -1: a single use)."""
    edge = edges[np.argsort(-src[edges], kind="stable")]  # stable: each node's in pass order
    s, t = src[edge], dst[edge]
    m = len(edge)
    new = np.ones(m, dtype=bool)
    new[1:] = s[1:] != s[:-1]
    start = np.flatnonzero(new)
    count = np.diff(np.append(start, m))  # each node's number of edges
    rank = np.arange(m) - np.repeat(start, count)  # each edge's number among its node's
    i = np.flatnonzero((rank == 0) | (rank >= 2))  # the edge that starts each record
    first = rank[i] == 0
    pair = first & (np.repeat(count, count)[i] >= 2)
    j = np.minimum(i + 1, m - 1)  # the next edge (the second of a pair)
    return (s[i], np.where(first, t[i], s[i]), np.where(first, edge[i], -1),
            np.where(pair, t[j], np.where(first, -1, t[i])),
            np.where(pair, edge[j], np.where(first, -1, edge[i])))


def _spines(node: np.ndarray, c1: np.ndarray, single: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of the runs of at least SPINE_MIN single-use records, each record after
    the first used by the one before it."""
    linked = np.zeros(len(node), dtype=bool)
    linked[1:] = single[1:] & single[:-1] & (c1[1:] == node[:-1])
    starts = np.flatnonzero(single & ~linked)
    if not len(starts):
        return []
    # A run ends at the next record not linked to the one before.
    not_linked = np.append(np.flatnonzero(~linked), len(node))
    ends = not_linked[np.searchsorted(not_linked, starts, side="right")]
    long = ends - starts >= SPINE_MIN
    return list(zip(starts[long].tolist(), ends[long].tolist()))


def accumulate(sweep: Sweep, local: np.ndarray, n: int, out: int) -> list[float]:
    """d output / d node for every node, from the locals at their places (see `Sweep`)."""
    grads = [0.0] * n
    grads[out] = 1.0
    with np.errstate(all="ignore"):  # inf and nan are results here
        for step in sweep.steps:
            if step[0] == LOOP:
                _, a, m, b, nodes, first, second = step
                _pull(grads, nodes, first, memoryview(local[a:m]), second, memoryview(local[m:b]))
            else:
                _, a, b, consumer, nodes = step
                g = local[a:b].copy()  # the locals stay as they are, for the trace
                g[0] *= grads[consumer]
                np.multiply.accumulate(g, out=g)
                g += 0.0  # the loop's 0.0 + c: -0.0 becomes 0.0
                if nodes.__class__ is range:
                    grads[nodes.start:nodes.stop] = g[::-1].tolist()
                else:
                    for i, v in zip(nodes, g.tolist()):
                        grads[i] = v
        if sweep.leaf_nodes:
            a, b = sweep.leaf_at
            contrib = local[a:b] * np.fromiter(sweep.leaf_targets(grads), np.float64, b - a)  # type: ignore[misc]
            sums = np.zeros(len(sweep.leaf_nodes))
            np.add.at(sums, sweep.leaf_index, contrib)
            for i, v in zip(sweep.leaf_nodes, sums.tolist()):
                grads[i] = v
    return grads


def _pull(grads: list[float], nodes: list[int], first: list[int], l1: Sequence[float],
          second: list[int | None], l2: Sequence[float]) -> None:
    # A node's later records (third contribution on) have first = the node and l1 = 1.0.
    # `or 0.0` gives what the edge loop's leading 0.0 + ... gives (a zero is +0.0, all else
    # as it is, nan included) without a float made for the addition: 5-9 ns a record less.
    for s, c1, a, c2, b in zip(nodes, first, l1, second, l2):
        if c2 is None:
            grads[s] = a * grads[c1] or 0.0
        else:
            grads[s] = a * grads[c1] + b * grads[c2] or 0.0
