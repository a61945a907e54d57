"""A graph's reverse pass flattened once for numpy: its `Plan`, kept per graph, and `gradients`.

Step 1, the local derivatives: each (op, argument)'s rule runs once on numpy vectors of all its
edges. For the same bits as the scalar pass, the vectors' namespace `EXACT` keeps numpy only
where numpy rounds as Python does (arithmetic, sqrt, abs, where, ...); an elementary function
is libm's, mapped over the elements, as the scalar pass calls it. A declared constant partial
is written, not called; a group that meets a domain edge (log 0) is redone edge by edge as the
scalar pass does it.
Step 2, the sums: see `engine.fast.sweep` (a deep graph) and `_accumulate_runs` (a wide one).
"""

from __future__ import annotations

import types
import weakref
from itertools import pairwise

import numpy as np

from ..graph import Graph
from ..xp import SCALAR, SCALAR_ERRORS, call_rule, numpy_rule
from . import first
from .sweep import Sweep, accumulate

#: Adjoints are summed by runs of independent edges when the runs are this long on average.
NUMPY_RUN = 32


def _mapped(f):
    """libm's `f` over numpy arrays, element by element: the scalar pass's roundings."""
    def each(*args):
        arrays = np.broadcast_arrays(*args)
        return np.array(list(map(f, *(a.tolist() for a in arrays))), dtype=np.float64)
    return each


def _numpy_is_libm(name: str) -> bool:
    """Does numpy's `name` give the scalar namespace's bits? Where numpy calls libm it does,
    everywhere; where it has a SIMD version of its own (tanh here; sin, cos, exp, log on AVX-512
    machines) the last bit differs on a good share of inputs (tanh: one in eight), so 6,000
    probes over several magnitudes tell the two apart."""
    f, g = getattr(SCALAR, name), getattr(np, name, None)
    if g is None or name == "power":  # a two-argument function: always element by element
        return False
    rng = np.random.default_rng(0)
    probe = np.concatenate([rng.uniform(-1, 1, 2000), rng.uniform(-40, 40, 2000),
                            np.exp(rng.uniform(-30, 30, 2000))])
    with np.errstate(all="ignore"):
        ours = g(probe)
    for x, y in zip(probe.tolist(), ours.tolist()):
        try:
            expected = f(x)
        except SCALAR_ERRORS:  # outside libm's domain the scalar pass asks numpy anyway
            continue
        if expected != y and not (expected != expected and y != y):
            return False
    return True


class _Exact(types.ModuleType):
    """numpy where it gives Python's bits; any other function of the scalar namespace mapped
    over the elements. Each name is decided once, when a rule first asks for it."""

    def __getattr__(self, name: str):
        fn = getattr(np, name) if _numpy_is_libm(name) else _mapped(getattr(SCALAR, name))
        setattr(self, name, fn)
        return fn


EXACT = _Exact("engine.fast.EXACT", "numpy arithmetic, libm's elementary functions")
vars(EXACT).update({name: getattr(np, name)  # exact by IEEE (no rounding, or one correct one)
                    for name in ("abs", "sqrt", "sign", "maximum", "minimum", "where")})


class Plan:
    """Forward: the op nodes in order with their forward rule and one or two arguments (`arg1`
    is -1 for one). Reverse: the edges it reads (sources needing a gradient), in its order:
    targets latest first, arguments in order. `groups`: per (op, argument) its constant or
    rule, its edges' places in the locals array, and the nodes whose values the rule reads
    (target, arguments) as numpy index arrays. Then `runs` (a wide graph) or `sweep` (a deep
    one)."""

    __slots__ = ("__weakref__", "arg0", "arg1", "argpos", "consts", "fns", "groups", "op_nodes",
                 "runs", "size", "sources", "sweep", "targets")

    def __init__(self, graph: Graph) -> None:
        ops, inputs, needs = graph.ops, graph.inputs, graph.needs_grad
        # Reuse the int objects the graph's input tuples hold (above 256 each is 32 bytes).
        node: list[int] = list(range(len(ops)))
        for args in inputs:
            for s in args:
                node[s] = s
        self.op_nodes = [node[i] for i, op in enumerate(ops) if op is not None]
        self.consts = [(i, v) for i, v in enumerate(graph.leaf) if v is not None and v.__class__ is not str]
        self.fns = [ops[i].forward for i in self.op_nodes]  # type: ignore[union-attr]
        self.arg0 = [inputs[i][0] for i in self.op_nodes]
        self.arg1 = [inputs[i][1] if len(inputs[i]) == 2 else -1 for i in self.op_nodes]
        if any(len(inputs[i]) > 2 for i in self.op_nodes):
            raise NotImplementedError("engine.fast: ops of more than two arguments")
        sources: list[int] = []
        targets: list[int] = []
        argpos = bytearray()
        for t in range(graph.output, -1, -1):
            if ops[t] is not None and needs[t]:
                for k, s in enumerate(inputs[t]):
                    if needs[s]:
                        sources.append(s)
                        targets.append(node[t])
                        argpos.append(k)
        self.sources, self.targets, self.argpos = sources, targets, bytes(argpos)
        self.runs = _runs(sources, targets)
        self.sweep = None if self.runs is not None else Sweep(
            sources, targets, graph.var_nodes, len(ops), node)
        place = None if self.sweep is None else self.sweep.place
        self.size = len(sources) if self.sweep is None else self.sweep.size
        self.groups = _groups(graph, targets, self.argpos, place)


def _groups(graph: Graph, targets: list[int], argpos: bytes, place) -> list[tuple]:
    t = np.fromiter(targets, np.intp, len(targets))
    k = np.frombuffer(argpos, dtype=np.uint8).astype(np.intp)
    codes: dict[int, int] = {}  # op object's id -> its number here (ops are not hashable)
    ops = []
    for op in graph.ops:
        if op is not None and id(op) not in codes:
            codes[id(op)] = len(ops)
            ops.append(op)
    code = np.fromiter((codes[id(op)] if op is not None else -1 for op in graph.ops), np.intp,
                       len(graph.ops))
    # Each node's first and second argument (-1 for none), to gather the values a rule reads.
    args = [np.fromiter((a[m] if len(a) > m else -1 for a in graph.inputs), np.intp, len(graph.ops))
            for m in range(2)]
    width = max((op.arity for op in ops), default=1)
    key = code[t] * width + k  # one key per (op, argument)
    order = np.argsort(key, kind="stable")  # stable: each group's edges in the pass's order
    groups = []
    for pos in np.split(order, np.flatnonzero(np.diff(key[order])) + 1) if len(order) else []:
        op, j = ops[key[pos[0]] // width], int(key[pos[0]] % width)
        at = pos if place is None else place[pos].astype(np.intp)
        if op.constants and op.constants[j] is not None:
            groups.append((op.constants[j], at, None))
            continue
        tt = t[pos]
        index = [tt, *(args[m][tt] for m in range(op.arity))]
        rule = op.partials[j] if op.partials else _unit_jvp(op.jvp[j])
        groups.append((rule, at, index))
    return groups


def _unit_jvp(jvp):
    return lambda xp, out, *args: jvp(xp, 1.0, out, *args)


def _locals(graph: Graph, plan: Plan, values: list[float]) -> np.ndarray:
    """Every edge's d target / d source, at its place (others of a sweep's places hold 1.0)."""
    v = np.fromiter(values, np.float64, len(values))
    out = np.ones(plan.size)
    with np.errstate(all="ignore"):
        for rule, at, index in plan.groups:
            if index is None:
                out[at] = rule
                continue
            try:
                out[at] = rule(EXACT, *[v[i] for i in index])
            except SCALAR_ERRORS:  # a domain edge in this group: edge by edge, as the scalar pass
                out[at] = [call_rule(rule, *[values[i] for i in row])
                           for row in zip(*(i.tolist() for i in index))]
    return out


def _runs(sources: list[int], targets: list[int]) -> tuple | None:
    """Where the edges split into runs in which no edge adds to a grad that a later edge of the
    same run reads, each run's sums can be formed at once: the run starts, sources and targets;
    None when the runs are short (a deep graph)."""
    starts, written = [0], set()
    for e, (s, t) in enumerate(zip(sources, targets)):
        if t in written:
            if len(starts) * NUMPY_RUN > e + 1024:  # clearly short runs: a deep graph
                return None
            starts.append(e)
            written = set()
        written.add(s)
    starts.append(len(sources))
    if len(sources) < NUMPY_RUN * (len(starts) - 1):
        return None
    return starts, np.array(sources, dtype=np.intp), np.array(targets, dtype=np.intp)


def _accumulate_runs(runs: tuple, local: np.ndarray, n: int, out: int) -> list[float]:
    """np.add.at adds in the edges' order, so each sum is formed as the scalar pass forms it."""
    starts, sources, targets = runs
    grads = np.zeros(n)
    grads[out] = 1.0
    with np.errstate(all="ignore"):
        for a, b in pairwise(starts):
            np.add.at(grads, sources[a:b], local[a:b] * grads[targets[a:b]])
    return grads.tolist()


#: A graph of this many edges gets a plan when evaluated again and again (benchmarks/
#: fast_threshold.py: below, the plan's numpy calls cost more than the first pass's loops) ...
PLAN_EDGES = 1000
#: ... after this many first passes of a kind: making a plan costs about 2.5-6 first passes and
#: its pass saves 0.3-0.8 of one, so a graph evaluated any number of times pays at most about
#: twice what the best choice knowing that number would (the ski-rental rule); once, nothing.
PLAN_AFTER = 4
# A graph's plan, or (until it has one) its first passes so far: [values, gradients].
_PLANS: weakref.WeakKeyDictionary[Graph, Plan | list[int]] = weakref.WeakKeyDictionary()


def plan_of(graph: Graph) -> Plan:
    """The graph's plan, made on first use and kept while the graph lives."""
    plan = _PLANS.get(graph)
    if plan.__class__ is not Plan:
        plan = _PLANS[graph] = Plan(graph)
    return plan  # type: ignore[return-value]


def _again(graph: Graph, kind: int) -> Plan | None:
    """The graph's plan when it has one, or when it is big enough and this kind of pass (0
    values, 1 gradients) ran on it PLAN_AFTER times (the plan is made then); else None: the
    pass goes without (`engine.fast.first`)."""
    plan = _PLANS.get(graph)
    if plan.__class__ is not Plan:
        if graph.n_edges < PLAN_EDGES:
            return None
        if plan is None:
            plan = _PLANS[graph] = [0, 0]
        if plan[kind] < PLAN_AFTER:  # type: ignore[index]
            plan[kind] += 1  # type: ignore[index]
            return None
        plan = _PLANS[graph] = Plan(graph)
    return plan  # type: ignore[return-value]


def values(graph: Graph, leaves: dict[str, float]) -> list[float]:
    """Every node's value, given each variable's (checked) value: `forward(...).values`."""
    plan = _again(graph, 0)
    if plan is None:
        return first.values(graph, leaves)
    vals = [0.0] * len(graph)
    for i, v in plan.consts:
        vals[i] = v
    for name, i in zip(graph.variables, graph.var_nodes):
        vals[i] = leaves[name]
    S = SCALAR
    for i, f, a, b in zip(plan.op_nodes, plan.fns, plan.arg0, plan.arg1):
        try:
            vals[i] = f(S, vals[a]) if b < 0 else f(S, vals[a], vals[b])
        except SCALAR_ERRORS:  # a domain edge (log 0, 1/0): numpy gives inf or nan
            vals[i] = numpy_rule(f, vals[a]) if b < 0 else numpy_rule(f, vals[a], vals[b])
    return vals


def gradients(graph: Graph, values: list[float]) -> list[float]:
    """d output / d node for every node, given every node's value: `reverse(...).grads`."""
    plan = _again(graph, 1)
    if plan is None:
        return first.gradients(graph, values)
    local = _locals(graph, plan, values)
    if plan.sweep is not None:
        return accumulate(plan.sweep, local, len(graph), graph.output)
    return _accumulate_runs(plan.runs, local, len(graph), graph.output)
