"""Untraced tensor passes as fused kernels: each elementwise stretch of the forward pass, and of
the reverse pass, runs as one numexpr kernel (`engine.fast.kernels`), which reads and writes
memory once where op-by-op numpy makes an array per op and per backward step.

What is stored (computed into an array): a value that an op not fused (@, sum, an op numexpr
cannot express) or the caller reads; a costly one (an elementary function in its expression)
that a backward step reads or that has more than one consumer; one whose expression outgrows a
kernel's bounds. Every other value is inlined into its consumers' kernels and computed, when
somebody asks for it, on first access by the plain rules. Likewise a gradient is stored where
a rule run by numpy needs it, where a contribution must be summed over broadcast axes, where it
is a variable's or outgrows bounds; the others are computed on first access from their
expressions. The stored values' reverse-pass reads are judged with every variable needing a
gradient (forward does not know `wrt` yet).

Plans are made per graph and shapes, and kept while the graph lives, with the arrays their
kernels last wrote: a later call writes into one again where nothing holds it any more (its
reference count says so), because fresh memory costs a page fault per 4 KiB, about as much as
the kernel; so a live graph keeps one call's stored arrays.

Contract: values and gradients equal those of the plain tensor passes (`engine.passes`) to
1e-12 relative, but not bit for bit: the kernels evaluate the same formulas in the same order,
contributions summed in the same order of arrival, with IEEE inf and nan where the plain passes
give them; yet numexpr's elementary functions may differ in the last bit from numpy's, and a
chain of roundings can carry that further. tests/test_fast_tensors.py holds it to that.
"""

from __future__ import annotations

import math
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..graph import Graph, needs_grad
from ..limits import Limits
from ..ops import Op
from ..results import Forward, Reverse
from ..shapes import check_shapes, check_size
from ..xp import NUMPY
from .kernels import RECORD, UNFUSABLE, Kernel, Sym, name

#: The fused passes take a graph whose forward pass computes at least this many elements in all:
#: below it a new graph's plan is not paid back (benchmarks/tensors.py --threshold: the
#: logistic cost, a new graph each time, runs 1.2x the plain passes' time at 27,000 elements
#: and 0.7x at 90,000; a graph evaluated again gains from 9,000).
FAST_WORK = 50_000
_PLANS_PER_GRAPH = 8

_fusable: dict[str, tuple[frozenset, ...] | None] = {}


def reads(op: Op) -> tuple[frozenset, ...] | None:
    """For a fusable op (forward and partials expressible in a kernel), what each partial reads
    ("out" and argument indices); None for an op that is not."""
    if op.name not in _fusable:
        args = [name(f"a{k}") for k in range(op.arity)]
        try:
            if not op.partials:
                raise TypeError("not elementwise")
            op.forward(RECORD, *args)
            out = []
            for k in range(op.arity):
                if op.constants[k] is not None:
                    out.append(frozenset())
                    continue
                used = op.partials[k](RECORD, name("out"), *args)
                out.append(frozenset(int(n[1:]) if n != "out" else n
                                     for n in getattr(used, "names", ())))
            _fusable[op.name] = tuple(out)
        except UNFUSABLE:
            _fusable[op.name] = None
    return _fusable[op.name]


class _Shape:
    """A node's shape, standing in for its value while shapes are checked."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple) -> None:
        self.shape = shape


def checked_leaves(graph: Graph, env: Mapping, limits: Limits) -> tuple[list, list, int]:
    """The plain pass's shape checks and bounds, in its order and with its errors, before any
    work: the leaves' arrays, every node's shape, and the elements computed in all."""
    leaves: list = [None] * len(graph)
    shapes: list = []
    stand: list = []
    work = 0
    for i, (op, args, leaf) in enumerate(zip(graph.ops, graph.inputs, graph.leaf)):
        if op is None:
            v = leaves[i] = np.asarray(env[leaf] if leaf.__class__ is str else leaf, dtype=float)
            shapes.append(v.shape)
            stand.append(v)
            continue
        shape = node_shape(graph, i, op, [shapes[s] for s in args],
                           lambda args=args: [stand[s] for s in args])
        size = math.prod(shape)  # np.prod of a tuple costs 5 µs a node
        work += size
        check_size(graph, i, size, work, limits)
        shapes.append(shape)
        stand.append(_Shape(shape))
    return leaves, shapes, work


def node_shape(graph: Graph, i: int, op: Op, shapes: list, stand: Callable[[], list]) -> tuple:
    """Node i's shape from its arguments' `shapes`, or its error: numpy's broadcasting rules
    (slow) or the op's shape rule run on `stand()` (the leaves' values, other nodes' shapes)
    unless the arguments are of one shape and numbers."""
    shape = _same_shape(shapes) if op.shape is None else None
    if shape is None:
        shape = tuple(check_shapes(graph, i, op, stand()))
    return shape


def stand_in(shape: tuple) -> _Shape:
    """A node's shape standing in for its value, for `node_shape`."""
    return _Shape(shape)


def _same_shape(shapes: list) -> tuple | None:
    """What broadcasting makes of arguments of one shape and numbers (shape ()), nothing to
    check; None for any other mix."""
    shape = ()
    for s in shapes:
        if s != shape and s != ():
            if shape != ():
                return None
            shape = s
    return shape


def _buffer(pool: dict, key: str, shape: tuple) -> np.ndarray:
    """An array to write a kernel's result into: the one this plan wrote last time if nothing
    holds it any more (no value, gradient or view of it is alive; the reference count says so),
    else a new one. Fresh memory costs a page fault per 4 KiB, about as much as the kernel."""
    buf = pool.get(key)
    if buf is None or sys.getrefcount(buf) != 3 or buf.shape != shape:  # pool, buf, the call
        buf = pool[key] = np.empty(shape)
    return buf


@dataclass
class ForwardPlan:
    """Which nodes are stored, how (`steps`: (node, kernel or None for the op's numpy rule)),
    and what a kernel writes for each node (`ref`: its name when stored, else its expression)."""

    shapes: list
    ref: list
    stored: bytearray
    steps: list
    reverse_plans: dict = field(default_factory=dict)
    pool: dict = field(default_factory=dict)


def _forward_plan(graph: Graph, shapes: list) -> ForwardPlan:
    n, ops, inputs = len(graph), graph.ops, graph.inputs
    needs = graph.needs_grad  # the reverse pass's wrt is not known yet: all variables'
    uses = [0] * n
    read = bytearray(n)  # a value some backward step reads
    for t in range(n):
        for s in inputs[t]:
            uses[s] += 1
        op = ops[t]
        if op is None or not needs[t]:
            continue
        what = reads(op)
        for k, s in enumerate(inputs[t]):
            if needs[s] and what is not None:
                for r in what[k]:
                    read[t if r == "out" else inputs[t][r]] = 1
    ref: list = [None] * n
    expr: list = [None] * n
    stored = bytearray(n)

    def store(j: int) -> None:
        if not stored[j]:
            stored[j] = 1
            ref[j] = name(f"v{j}")

    for i in range(n):
        op = ops[i]
        if op is None:
            store(i)
            continue
        if reads(op) is None:  # @, sum, erf...: numpy's rule, on stored arguments
            for s in inputs[i]:
                store(s)
            store(i)
            continue
        e = op.forward(RECORD, *(ref[s] for s in inputs[i]))
        while not e.fits():
            loose = [s for s in inputs[i] if not stored[s]]
            if not loose:
                break
            store(max(loose, key=lambda s: ref[s].ops))
            e = op.forward(RECORD, *(ref[s] for s in inputs[i]))
        expr[i] = ref[i] = e
        if i == graph.output or (e.cost and (read[i] or uses[i] > 1)):
            store(i)
    steps = [(j, Kernel(expr[j]) if expr[j] is not None else None)
             for j in range(n) if stored[j] and ops[j] is not None]
    return ForwardPlan(shapes, ref, stored, steps)


_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan_of(graph: Graph, shapes: list) -> ForwardPlan:
    """The forward plan of a graph at these shapes, made once and kept while the graph lives."""
    per = _plans.setdefault(graph, {})
    key = tuple(shapes[i] for i in graph.var_nodes)
    plan = per.get(key)
    if plan is None:
        if len(per) >= _PLANS_PER_GRAPH:
            per.pop(next(iter(per)))
        plan = per[key] = _forward_plan(graph, shapes)
    return plan


class Values(Sequence):
    """Every node's value, as `Forward.values`: the stored ones computed, the others on first
    access (all at once) by the plain rules from the stored ones."""

    def __init__(self, graph: Graph, plan: ForwardPlan, vals: list) -> None:
        self.graph, self.plan, self._vals = graph, plan, vals
        self._missing = any(v is None for v in vals)

    def __len__(self) -> int:
        return len(self._vals)

    def __getitem__(self, i):  # type: ignore[override]
        if self._missing and (isinstance(i, slice) or self._vals[i] is None):
            self._fill()
        return self._vals[i]

    def stored(self, i: int) -> np.ndarray:
        return self._vals[i]

    def _fill(self) -> None:
        vals, ops, inputs = self._vals, self.graph.ops, self.graph.inputs
        with np.errstate(all="ignore"):
            for i, v in enumerate(vals):
                if v is None:
                    op = ops[i]
                    vals[i] = np.asarray(op.forward(NUMPY, *(vals[s] for s in inputs[i])), dtype=float)
        self._missing = False


def tensor_forward(graph: Graph, env: Mapping, limits: Limits) -> Forward | None:
    """`passes.forward(graph, values, trace=False)` in tensor mode, as fused kernels; None for
    a graph too small to gain (the plain pass then runs). Shapes and bounds are checked first,
    with the plain pass's errors."""
    leaves, shapes, work = checked_leaves(graph, env, limits)
    if work < FAST_WORK:
        return None
    plan = plan_of(graph, shapes)
    vals: list = list(leaves)
    arrays = {f"v{i}": v for i, v in enumerate(leaves) if v is not None}
    ops, inputs = graph.ops, graph.inputs
    with np.errstate(all="ignore"):
        for j, kernel in plan.steps:
            if kernel is None:
                v = np.asarray(ops[j].forward(NUMPY, *(vals[s] for s in inputs[j])),  # type: ignore[union-attr]
                               dtype=float)
            else:
                v = kernel.run(arrays, _buffer(plan.pool, f"v{j}", shapes[j]))
            vals[j] = arrays[f"v{j}"] = v
    return Forward(Values(graph, plan, vals))  # type: ignore[arg-type]


def _summed(c: np.ndarray, shape: tuple) -> np.ndarray:
    """c summed over the axes where an input of `shape` was broadcast (as the plain pass)."""
    lead = c.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, m in enumerate(shape)
                                      if m == 1 and c.shape[lead + i] != 1)
    return np.sum(c, axis=axes).reshape(shape) if axes else c


@dataclass
class ReversePlan:
    """The reverse pass's steps, in order, and each node's gradient: a name (stored), an
    expression (computed on first access), or None (no gradient needed, or none arrived)."""

    steps: list
    grad: list
    needs: bytearray
    pool: dict = field(default_factory=dict)


def _reverse_plan(graph: Graph, plan: ForwardPlan, needs: bytearray) -> ReversePlan:
    ops, inputs, shapes, ref = graph.ops, graph.inputs, plan.shapes, plan.ref
    out = graph.output
    grad: list = [None] * len(graph)
    steps: list = []
    count = [0]

    def temp(sym: Sym, shape: tuple, reduce_to: tuple | None = None) -> Sym:
        """A stored intermediate: the kernel's result (summed over broadcast axes)."""
        if sym.ops == 0 and reduce_to is None:
            return sym  # a name already
        t = f"t{count[0]}"
        count[0] += 1
        steps.append(("kernel", t, Kernel(sym), shape, reduce_to))
        return name(t)

    def stored_grad(t: int) -> Sym:
        g = grad[t]
        if g is None:  # nothing arrived: zeros, as the plain pass (local × 0 may be nan)
            steps.append(("zeros", f"g{t}", shapes[t]))
            g = grad[t] = name(f"g{t}")
        elif g.ops:
            steps.append(("kernel", f"g{t}", Kernel(g), shapes[t], None))
            g = grad[t] = name(f"g{t}")
        return g

    def arrive(s: int, term: Sym) -> None:
        before = grad[s]
        if before is None:
            grad[s] = term
            return
        total = before + term
        if not total.fits():
            total = temp(before, shapes[s]) + term
            if not total.fits():
                total = temp(before, shapes[s]) + temp(term, shapes[s])
        grad[s] = total

    value: dict[int, Sym] = {}  # forward values stored by the reverse pass, to keep kernels small

    def sent(op: Op, t: int, k: int, g: Sym) -> Sym:
        """What t's k-th edge sends back, as the plain pass: g itself for a partial of 1, -g for
        -1, else the partial (written by the op table's rule) times g."""
        c = op.constants[k]
        if c is None:
            return op.partials[k](RECORD, value.get(t, ref[t]),
                                  *(value.get(x, ref[x]) for x in inputs[t])) * g
        return g if c == 1.0 else -g if c == -1.0 else c * g

    steps.append(("seed", f"g{out}", shapes[out]))
    grad[out] = name(f"g{out}")
    for t in range(out, -1, -1):
        op = ops[t]
        if op is None or not needs[t]:
            continue
        edges = [(k, s) for k, s in enumerate(inputs[t]) if needs[s]]
        what = reads(op)
        if what is None:  # numpy's rule (a VJP, or a partial numexpr lacks) on stored arrays
            g = stored_grad(t)
            for k, s in edges:
                t_name = f"t{count[0]}"
                count[0] += 1
                steps.append(("rule", t_name, t, k, s, g.text))
                arrive(s, name(t_name))
            continue
        g = grad[t]
        if g is None or (g.cost and len(edges) > 1):
            g = stored_grad(t)
        for k, s in edges:
            term = sent(op, t, k, g)
            if not term.fits():  # too big for one kernel: the gradient, then the values read, stored
                if g.ops:
                    g = stored_grad(t)
                for j in (t, *inputs[t]):
                    if j not in value:
                        value[j] = temp(ref[j], shapes[j])
                term = sent(op, t, k, g)
            if shapes[s] != shapes[t]:  # broadcast: summed back over its axes, from an array
                term = temp(term, shapes[t], shapes[s])
            arrive(s, term)
    for i in graph.var_nodes:
        if needs[i]:
            stored_grad(i)
    return ReversePlan(steps, grad, needs)


class Grads(Sequence):
    """Every node's gradient, as `Reverse.grads`: the stored ones computed, the others on first
    access, each from its expression over the stored arrays."""

    def __init__(self, plan: ReversePlan, shapes: list, arrays: dict) -> None:
        self.plan, self.shapes, self.arrays = plan, shapes, arrays
        self._grads: list = [None] * len(shapes)

    def __len__(self) -> int:
        return len(self._grads)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        g = self._grads[i]
        if g is None and (self.plan.needs[i] or self.plan.grad[i] is not None):
            g = self._grads[i] = self._compute(i)
        return g

    def _compute(self, i: int) -> np.ndarray:
        sym = self.plan.grad[i]
        if sym is None:
            return np.zeros(self.shapes[i])
        if sym.ops == 0:
            return np.asarray(self.arrays[sym.text])
        return Kernel(sym).run(self.arrays, np.empty(self.shapes[i]))


def tensor_reverse(graph: Graph, fwd: Forward, wrt=None) -> Reverse | None:
    """`passes.reverse(graph, fwd, trace=False, wrt)` for a forward pass made by
    `tensor_forward`; None for any other (the plain pass then runs)."""
    values = fwd.values
    if not isinstance(values, Values) or values.graph is not graph:
        return None
    fplan = values.plan
    needs = needs_grad(graph, wrt)
    key = bytes(needs)
    plan = fplan.reverse_plans.get(key)
    if plan is None:
        if len(fplan.reverse_plans) >= _PLANS_PER_GRAPH:
            fplan.reverse_plans.pop(next(iter(fplan.reverse_plans)))
        plan = fplan.reverse_plans[key] = _reverse_plan(graph, fplan, needs)
    shapes, ops, inputs = fplan.shapes, graph.ops, graph.inputs
    arrays = {f"v{i}": values.stored(i) for i in range(len(graph)) if fplan.stored[i]}
    with np.errstate(all="ignore"):
        for step in plan.steps:
            kind, target = step[0], step[1]
            if kind == "kernel":
                _, _, kernel, shape, reduce_to = step
                v = kernel.run(arrays, _buffer(plan.pool, target, shape))
                arrays[target] = _summed(v, reduce_to) if reduce_to is not None else v
            elif kind == "rule":
                _, _, t, k, s, g_name = step
                op = ops[t]
                g, out = arrays[g_name], values.stored(t)
                xs = [values.stored(x) for x in inputs[t]]
                if not op.partials:  # type: ignore[union-attr]
                    c = op.vjp[k](NUMPY, g, out, *xs)  # type: ignore[union-attr,misc]
                else:
                    loc = op.constants[k]  # type: ignore[union-attr]
                    c = (g if loc == 1.0 else -g if loc == -1.0 else loc * g) if loc is not None \
                        else op.partials[k](NUMPY, out, *xs) * g  # type: ignore[union-attr]
                if np.shape(c) != shapes[s]:
                    c = _summed(np.asarray(c), shapes[s])
                arrays[target] = c
            elif kind == "seed":
                arrays[target] = np.ones(step[2])
            else:  # zeros
                arrays[target] = np.zeros(step[2])
    return Reverse(Grads(plan, shapes, arrays))  # type: ignore[arg-type]
