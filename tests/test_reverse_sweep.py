"""The reverse pass on deep graphs (engine.sweep: nodes one at a time, spines as cumulative
products, variables' edges summed by numpy) against the plain loop written out here, bit for
bit: the same adjoints to the last bit and the sign of zero, with -0.0, inf and nan about."""

from __future__ import annotations

import math
import random
import struct

import pytest

from engine import GraphBuilder, forward, reverse, tangent
from engine.plan import prepare
from engine.sweep import LEAF_MIN, LOOP, SPINE, SPINE_MIN

SPECIAL = [-0.0, 0.0, math.inf, -math.inf, math.nan, 1e-300, 1e300, -1.0]


def plain_reverse(graph, local):
    """grad[s] += local × grad[t] over every edge whose source needs a gradient, targets latest
    first, arguments in order: the pass as its docstring states it."""
    grads = [0.0] * len(graph)
    grads[graph.output] = 1.0
    first = graph.edge_ids()
    for t in range(graph.output, -1, -1):
        if graph.ops[t] is None or not graph.needs_grad[t]:
            continue
        for k, s in enumerate(graph.inputs[t]):
            if graph.needs_grad[s]:
                grads[s] += local[first[t] + k] * grads[t]
    return grads


def bits(x: float) -> bytes:
    # Any NaN is a NaN: which payload survives where two meet depends on operand order.
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def check(graph, point):
    fwd = forward(graph, point)
    traced = reverse(graph, fwd, trace=True)  # its edge_local: the locals the pass used
    expected = plain_reverse(graph, traced.edge_local)
    for rev in (reverse(graph, fwd), traced):
        bad = [i for i, (a, b) in enumerate(zip(rev.grads, expected)) if bits(a) != bits(b)]
        assert not bad, (
            f"BUG in engine/sweep.py: node {bad[0]}'s adjoint is {rev.grads[bad[0]]!r}, the plain "
            f"edge loop gives {expected[bad[0]]!r} ({len(bad)} nodes differ)")
        first = next((i for i in range(graph.output, -1, -1) if not math.isfinite(expected[i])), None)
        assert rev.first_nonfinite == first
    # Forward mode reads the same locals, in the edges' order.
    used = tangent(graph, fwd, graph.variables[0], trace=True).edge_local
    assert all(bits(a) == bits(b) for a, b in zip(used, traced.edge_local) if None not in (a, b))
    return prepare(graph).sweep


def steps(sweep):
    return {step[0] for step in sweep.steps}


def chain(length, special=None, at=0, interleave=False):
    """A deep chain t = op(t, v_k) over a few variables (many edges from variables), and with
    `interleave` a fresh constant between its nodes (a spine whose nodes are not consecutive)."""
    b = GraphBuilder(max_nodes=None)
    names = [f"v{k}" for k in range(4)]
    point = {name: 0.9 + 0.15 * k for k, name in enumerate(names)}  # adjoints stay near 1
    if special is not None:
        point["v3"] = special
    t = b.var("x")
    point["x"] = 0.75
    for k in range(length):
        if interleave:
            t = b.op("mul", t, b.const(1.0 + k / 1024))
        op = ("mul", "sin", "add", "tanh", "sub")[k % 5]
        v = b.var(names[3] if k == at else names[k % 3])
        t = b.op(op, t) if op in ("sin", "tanh") else b.op(op, t, v)
    return b.build(t), point


@pytest.mark.parametrize("special", [None, *SPECIAL])
def test_a_long_chain_matches_the_plain_loop_bit_for_bit(special):
    """Its interior is one spine (a cumulative product) and its variables' edges go to numpy;
    a special value enters as a local derivative partway down (mul by v3 = -0.0: a -0.0 local)."""
    graph, point = chain(600, special, at=300)
    sweep = check(graph, point)
    # One spine: every op node but the first, whose input is the variable x.
    assert [step[2] - step[1] for step in sweep.steps if step[0] == SPINE] == [599], (
        "the chain should take the spine and variables paths of engine/sweep.py")


@pytest.mark.parametrize("special", [None, -0.0, math.inf, math.nan])
def test_a_spine_of_non_consecutive_nodes(special):
    graph, point = chain(300, special, at=100, interleave=True)
    sweep = check(graph, point)
    spines = [step for step in sweep.steps if step[0] == SPINE]
    assert spines and spines[0][2] - spines[0][1] >= SPINE_MIN
    assert not isinstance(spines[0][4], range)


def dag(n, seed, point_values):
    """A random DAG in the benchmark's style: inputs mostly recent nodes, reused, ops of one
    and two arguments, variables now and then."""
    rng = random.Random(seed)
    b = GraphBuilder(max_nodes=None)
    names = [f"w{k}" for k in range(6)]
    point = {name: rng.choice(point_values) for name in names}
    nodes = [b.var(name) for name in names]
    for _ in range(n):
        op = rng.choice(["add", "sub", "mul", "mul", "sin", "cos", "tanh"])
        a = nodes[-1]
        c = nodes[-1 - min(len(nodes) - 1, int(rng.expovariate(0.2)))]
        if rng.random() < 0.05:
            c = b.var(rng.choice(names))
        nodes.append(b.op(op, a) if op in ("sin", "cos", "tanh") else b.op(op, a, c))
    return b.build(nodes[-1]), point


@pytest.mark.parametrize("seed", range(6))
def test_a_random_dag_matches_the_plain_loop_bit_for_bit(seed):
    ordinary = [0.3, -0.7, 1.2, 0.05]
    graph, point = dag(800, seed, ordinary if seed < 2 else ordinary + SPECIAL)
    sweep = check(graph, point)
    assert LOOP in steps(sweep)


def test_a_dag_whose_nodes_have_many_consumers():
    """Nodes used five and more times: records past a node's second contribution."""
    b = GraphBuilder(max_nodes=None)
    x = b.var("x")
    hubs = [x]
    t = x
    for i in range(400):
        hub = hubs[-1 - i % min(len(hubs), 7)]
        t = b.op(("mul", "add", "sub")[i % 3], t, hub)
        if i % 9 == 0:
            t = b.op("sin", t)
            hubs.append(t)
    sweep = check(b.build(t), {"x": 0.4})
    assert max(sweep.steps[0][4].count(s) for s in set(sweep.steps[0][4])) >= 3


def test_a_node_whose_two_contributions_are_both_minus_zero():
    """The loop's 0.0 + -0.0 + -0.0 is 0.0; the two products summed alone would give -0.0."""
    b = GraphBuilder(max_nodes=None)
    t, z = b.var("x"), b.var("z")
    for k in range(500):
        if k == 250:
            s = b.op("sin", t)
            t = b.op("add", b.op("mul", s, z), b.op("mul", b.op("cos", s), z))
        t = b.op(("sin", "tanh")[k % 2], t)
    sweep = check(b.build(t), {"x": 0.5, "z": -0.0})
    assert LOOP in steps(sweep)


@pytest.mark.parametrize("zero", [-0.0, 0.0])
def test_a_dag_whose_adjoints_are_all_zero(zero):
    """A random DAG scaled by a zero at the end: every adjoint is ±0 in the node-by-node loop,
    +0.0 in the plain loop (its sums start at 0.0). Many zeros: put right in numpy."""
    graph, point = dag(800, 7, [0.3, -0.7, 1.2])
    b = GraphBuilder(max_nodes=None)
    ids = []
    for i in range(len(graph)):  # the same graph again, then × z
        op = graph.ops[i]
        ids.append(b.var(graph.leaf[i]) if op is None else b.op(op, *[ids[s] for s in graph.inputs[i]]))
    scaled = b.build(b.op("mul", b.op("neg", ids[graph.output]), b.var("z")))
    grads = reverse(scaled, forward(scaled, {**point, "z": zero})).grads
    assert sum(g == 0.0 for g in grads) > len(grads) // 2
    assert LOOP in steps(check(scaled, {**point, "z": zero}))


def test_few_variable_edges_stay_in_the_loop_and_many_go_to_numpy():
    graph, point = chain(600)
    assert len(check(graph, point).leaf_nodes) == 5  # x and v0 ... v3
    b = GraphBuilder(max_nodes=None)
    t, y = b.var("x"), b.var("y")
    for k in range(600):
        t = b.op("mul", t, y) if k % 100 == 50 else b.op("sin", t)
    sweep = check(b.build(t), {"x": 0.5, "y": -2.0})  # y: 6 edges, fewer than LEAF_MIN
    assert LEAF_MIN > 6 and not sweep.leaf_nodes and steps(sweep) == {LOOP, SPINE}


def test_a_graph_not_pruned_past_its_output():
    """Nodes after the output carry no gradient; an output that is a variable has no edges."""
    b = GraphBuilder(max_nodes=None)
    x, y = b.var("x"), b.var("y")
    t = x
    for k in range(200):
        t = b.op("mul", t, y) if k % 2 else b.op("sin", t)
    middle = t
    for _ in range(100):
        t = b.op("add", t, x)
    assert b.build(middle, prune=False).output == middle
    check(b.build(middle, prune=False), {"x": 0.3, "y": 1.1})
    graph = b.build(y, prune=False)
    fwd = forward(graph, {"x": 0.3, "y": 1.1})
    rev = reverse(graph, fwd)
    assert rev.grads[y] == 1.0 and sum(rev.grads) == 1.0
