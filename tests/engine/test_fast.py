"""engine.fast's contract: the same bits as the plain reverse pass of engine.passes, to the last
bit and the sign of zero, with -0.0, inf and nan about; on deep graphs (engine.fast.sweep: nodes
one at a time, spines as cumulative products, variables' edges summed by numpy), wide ones
(runs of independent edges) and random graphs of every op in the table."""

from __future__ import annotations

import math
import random
import struct

import numpy as np
import pytest

from engine import OPS, GraphBuilder, forward, reverse
from engine.fast import gradients, values
from engine.fast.plan import _PLANS, PLAN_AFTER, PLAN_EDGES, Plan, plan_of
from engine.fast.sweep import LEAF_MIN, LOOP, SPINE, SPINE_MIN

SPECIAL = [-0.0, 0.0, math.inf, -math.inf, math.nan, 1e-300, 1e300, -1.0]
ELEMENTWISE = sorted(name for name, op in OPS.items() if op.partials)  # what fast/ takes


def bits(x: float) -> bytes:
    # Any NaN is a NaN: which payload survives where two meet depends on operand order.
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def check(graph, point):
    """A graph's first passes (engine.fast.first: no plan yet), its passes with a plan (made as
    for a graph evaluated again) and the untraced passes, against the plain passes (traced, so
    never through fast/), bit for bit; returns the plan's sweep."""
    new = graph not in _PLANS  # else evaluated before (untraced): the plan may be made here
    fwd = forward(graph, point, trace=True)
    expected = reverse(graph, fwd, trace=True)
    runs = [(values(graph, point), gradients(graph, fwd.values))]
    assert not (new and isinstance(_PLANS.get(graph), Plan)), "a first pass should make no plan"
    sweep = plan_of(graph).sweep
    runs.append((values(graph, point), gradients(graph, fwd.values)))
    untraced = reverse(graph, fwd)
    runs.append((forward(graph, point).values, untraced.grads))
    for vals, grads in runs:
        assert [bits(v) for v in vals] == [bits(v) for v in fwd.values], "BUG in engine/fast: values"
        bad = [i for i, (a, b) in enumerate(zip(grads, expected.grads)) if bits(a) != bits(b)]
        assert not bad, (
            f"BUG in engine/fast: node {bad[0]}'s adjoint is {grads[bad[0]]!r}, the plain pass "
            f"gives {expected.grads[bad[0]]!r} ({len(bad)} nodes differ)")
    assert untraced.first_nonfinite == expected.first_nonfinite
    return sweep


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
        "the chain should take the spine and variables paths of engine/fast/sweep.py")


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


def every_op_graph(n, seed, values):
    """A random graph of every op in the table, inputs near and far, over the given values."""
    rng = random.Random(seed)
    b = GraphBuilder(max_nodes=None)
    names = [f"u{k}" for k in range(5)]
    point = {name: rng.choice(values) for name in names}
    nodes = [b.var(name) for name in names] + [b.const(rng.choice([0.5, -0.0, 2.0]))]
    for _ in range(n):
        op = OPS[rng.choice(ELEMENTWISE)]
        # Half the inputs are leaves, so values stay mostly finite and a special one stays local.
        args = [rng.choice(nodes[:6]) if rng.random() < 0.5 else
                nodes[-1 - min(len(nodes) - 1, int(rng.expovariate(0.3)))] for _ in range(op.arity)]
        nodes.append(b.op(op, *args))
    return b.build(nodes[-1]), point


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_of_every_op_match_the_plain_pass_bit_for_bit(seed):
    """Every op's partials formed with numpy (fast.plan.EXACT): the same roundings as the scalar
    rules, domain edges (log 0, 1/0, asin 2) included, where a group is redone edge by edge."""
    values = [0.3, -0.7, 1.2, 0.05, 2.0] + ([*SPECIAL, 0.0, 1.0, 710.0] if seed % 2 else [])
    graph, point = every_op_graph(1500, seed, values)
    check(graph, point)


def test_a_wide_sum_is_summed_by_runs():
    """A sum of many terms added pairwise (runs of independent edges): np.add.at in the edges'
    order."""
    b = GraphBuilder(max_nodes=None)
    xs = [b.var(f"x{k}") for k in range(80)]
    pairs = [(i, j) for i in range(80) for j in range(i + 1, 80)]
    products = [b.op("mul", xs[i], xs[j]) for i, j in pairs]  # each level's nodes together
    level = [b.op(("sin", "tanh", "exp")[k % 3], p) for k, p in enumerate(products)]
    while len(level) > 1:
        level = [b.op("add", *level[k:k + 2]) if k + 1 < len(level) else level[k]
                 for k in range(0, len(level), 2)]
    graph = b.build(level[0])
    point = {f"x{k}": 0.02 * k - 0.9 for k in range(80)}
    assert check(graph, point) is None and plan_of(graph).runs is not None


def test_a_plan_is_made_for_a_big_graph_evaluated_again_and_again():
    """Issue 12: a plan never costs more than the pass it serves unless the graph is evaluated
    again. A graph evaluated once makes none; its first PLAN_AFTER forward and reverse passes
    make none (they cost about what making it does); the next makes it and uses it; a graph
    below PLAN_EDGES never gets one; a traced pass never goes through fast/."""
    graph, point = chain(700)
    assert graph.n_edges >= PLAN_EDGES
    first = reverse(graph, forward(graph, point))
    assert _PLANS[graph] == [1, 1]  # a forward and a reverse pass made, no plan
    for _ in range(PLAN_AFTER - 1):
        reverse(graph, forward(graph, point))
    assert _PLANS[graph] == [PLAN_AFTER, PLAN_AFTER]
    again = reverse(graph, forward(graph, point))
    assert isinstance(_PLANS[graph], Plan)
    assert [bits(g) for g in first.grads] == [bits(g) for g in again.grads]
    small, point = chain(100)
    for _ in range(PLAN_AFTER + 2):
        reverse(small, forward(small, point))
    assert small not in _PLANS
    traced, point = chain(700)
    reverse(traced, forward(traced, point, trace=True), trace=True)
    assert traced not in _PLANS


def test_the_plan_lives_as_long_as_its_graph():
    import gc

    graph, point = chain(300)
    gradients(graph, forward(graph, point).values)
    plan_of(graph)
    assert isinstance(_PLANS[graph], Plan)
    del graph
    gc.collect()
    assert all(len(g) != 301 + 4 for g in list(_PLANS))


def test_a_domain_edge_redoes_its_group_edge_by_edge():
    """cos(inf) raises in libm: the group of sin's partials is redone edge by edge, as the scalar
    pass does it (numpy's nan there), and its other edges keep their finite locals."""
    b = GraphBuilder(max_nodes=None)
    level = [b.op("sin", b.var(f"x{k}")) for k in range(600)]
    while len(level) > 1:
        level = [b.op("add", *level[k:k + 2]) if k + 1 < len(level) else level[k]
                 for k in range(0, len(level), 2)]
    graph = b.build(level[0])
    point = {f"x{k}": 1.0 + k / 600 for k in range(600)}
    point["x7"] = math.inf
    check(graph, point)
    grads = reverse(graph, forward(graph, point)).grads
    assert sum(math.isfinite(g) and g != 0.0 for g in grads) > 1000


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "arcsin", "arctan", "sinh", "cosh", "tanh",
                                  "exp", "log", "log1p", "power", "erf"])
def test_exact_namespace_rounds_as_the_scalar_one(name):
    """fast.plan.EXACT gives each function's scalar bits on arrays: numpy's own where it calls
    libm, libm's mapped over the elements where numpy has a SIMD version (tanh here)."""
    from engine.fast.plan import EXACT
    from engine.xp import SCALAR

    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-0.99, 0.99, 3000), rng.uniform(0.01, 20, 3000)])
    if name in ("arcsin", "log", "log1p"):  # inside libm's domain (outside, numpy answers anyway)
        x = np.abs(x) % 0.99 if name == "arcsin" else np.abs(x) + 1e-3
    args = (x, rng.uniform(-3, 3, x.size)) if name == "power" else (x,)
    if name == "power":
        args = (np.abs(x) + 0.1, args[1])
    got = getattr(EXACT, name)(*args)
    scalar = getattr(SCALAR, name)
    want = [scalar(*row) for row in zip(*(a.tolist() for a in args))]
    assert [bits(v) for v in np.asarray(got, dtype=float).tolist()] == [bits(v) for v in want]
