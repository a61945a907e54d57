"""engine.fast.tensors' contract: untraced tensor passes as fused kernels give the plain tensor
passes' values and gradients (every node's, the inlined ones computed on first access) to 1e-12
relative, inf and nan where they give them; with the plain passes' errors for shapes and bounds,
before any kernel runs; kernel text made of op-table templates and node indices only."""

from __future__ import annotations

import gc
import re
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OPS, UNLIMITED, GraphBuilder, compile, evaluate, forward, reverse
from engine.errors import ExpressionError, LimitExceeded
from engine.fast import kernels, rerun, tensors
from engine.fast import program as rerun_module
from engine.limits import Limits
from engine.passes import variable_nodes

ELEMENTWISE = sorted(name for name, op in OPS.items() if op.partials)
LOGISTIC = "C = -sum(y * ln(sigmoid(X @ w)) + (1 - y) * ln(1 - sigmoid(X @ w)))"


@pytest.fixture
def always_fused(monkeypatch):
    """The fused passes for every tensor graph, however small."""
    monkeypatch.setattr(tensors, "FAST_WORK", 0)


def same(fast, plain, what: str) -> None:
    """Equal to 1e-12 relative (of the array's largest finite magnitude), with the same shape
    and inf and nan in the same places."""
    assert (fast is None) == (plain is None), what
    if plain is None:
        return
    fast, plain = np.asarray(fast), np.asarray(plain)
    assert fast.shape == plain.shape, what
    assert np.array_equal(np.isnan(fast), np.isnan(plain)), f"{what}: nan in other places"
    inf = np.isinf(plain)
    assert np.array_equal(fast[inf], plain[inf]) and not np.isinf(fast[~inf]).any(), f"{what}: inf"
    ok = np.isfinite(plain)
    scale = np.abs(plain[ok]).max(initial=0.0)
    np.testing.assert_allclose(fast[ok], plain[ok], rtol=1e-12, atol=1e-12 * scale, err_msg=what)


def compare(graph, point, wrt=None) -> tuple:
    """The fused passes (untraced) against the plain ones (traced, so never fused), every node."""
    fwd = forward(graph, point)
    assert isinstance(fwd.values, tensors.Values), "the fused forward pass did not run"
    rev = reverse(graph, fwd, wrt=wrt)
    assert isinstance(rev.grads, tensors.Grads), "the fused reverse pass did not run"
    plain_fwd = forward(graph, point, trace=True)
    plain_rev = reverse(graph, plain_fwd, trace=True, wrt=wrt)
    for i in range(len(graph)):
        same(fwd.values[i], plain_fwd.values[i], f"value of node {i} ({graph.op_name(i)})")
    for i in range(len(graph)):
        same(rev.grads[i], plain_rev.grads[i], f"gradient of node {i} ({graph.op_name(i)})")
    assert rev.first_nonfinite == plain_rev.first_nonfinite
    assert fwd.first_nonfinite == plain_fwd.first_nonfinite
    return fwd, rev


@st.composite
def random_graphs(draw):
    """Elementwise ops of the whole table (erf among them, which numexpr lacks), @, sums and
    means, transposes, over variables whose shapes broadcast against (m, n)."""
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b = GraphBuilder()
    point, pool = {}, []
    shapes = [(m, n), (n,), (m, 1), (1, n), (), (n, m), (m,)]
    for k in range(draw(st.integers(1, 4))):
        shape = (m, n) if k == 0 else draw(st.sampled_from(shapes))
        point[f"x{k}"] = rng.uniform(0.2, 1.6, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        pool.append((b.var(f"x{k}"), shape))
    pool.append((b.const(float(draw(st.sampled_from([0.5, 2.0, -1.5, 3.0])))), ()))
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["elementwise"] * 6 + ["matmul", "sum", "sum_axis", "mean",
                                                           "transpose"]))
        if kind == "elementwise":
            op = OPS[draw(st.sampled_from(ELEMENTWISE))]
            args = [draw(st.sampled_from(pool)) for _ in range(op.arity)]
            try:
                shape = np.broadcast_shapes(*(s for _, s in args))
            except ValueError:
                continue
            pool.append((b.op(op.name, *(a for a, _ in args)), shape))
        elif kind == "matmul":
            pairs = [(a, c) for a in pool for c in pool if 1 <= len(a[1]) <= 2
                     and 1 <= len(c[1]) <= 2 and a[1][-1] == c[1][0]]
            if pairs:
                (a, sa), (c, sc) = draw(st.sampled_from(pairs))
                pool.append((b.op("matmul", a, c), sa[:-1] + sc[1:]))
        elif kind in ("sum", "mean"):
            a, _ = draw(st.sampled_from(pool))
            pool.append((b.op(kind, a), ()))
        elif kind == "sum_axis":
            a, sa = draw(st.sampled_from(pool))
            if sa:
                axis = draw(st.integers(0, len(sa) - 1))
                pool.append((b.op("sum_axis", a, b.const(float(axis))), sa[:axis] + sa[axis + 1:]))
        else:
            a, sa = draw(st.sampled_from(pool))
            pool.append((b.op("transpose", a), sa[::-1]))
    graph = b.build(pool[-1][0])
    names = list(graph.variables)
    wrt = draw(st.one_of(st.none(), st.lists(st.sampled_from(names), min_size=1, unique=True))) \
        if names else None
    return graph, {k: point[k] for k in names}, wrt


@pytest.mark.parametrize("bounds", ["numexpr's", "tiny"])
@settings(max_examples=60, deadline=None)
@given(case=random_graphs())
def test_random_graphs_equal_the_plain_passes(bounds, case):
    """With tiny kernel bounds, nearly every value and gradient is stored and sums of many
    arrivals are stored part by part: those paths give the same numbers too."""
    graph, point, wrt = case
    with pytest.MonkeyPatch.context() as m:
        m.setattr(tensors, "FAST_WORK", 0)
        if bounds == "tiny":
            m.setattr(kernels, "MAX_OPS", 3)
            m.setattr(kernels, "MAX_DEPTH", 2)
            m.setattr(kernels, "MAX_INPUTS", 4)
        if not any(np.ndim(v) for v in point.values()) and not graph.tensor_ops:
            return  # numbers only: the scalar passes, not these
        fwd, _ = compare(graph, point, wrt)
        assert most_inputs(fwd) <= kernels.MAX_INPUTS


def most_inputs(fwd) -> int:
    """The most inputs any kernel of the plans reads (numpy's iterator takes at most 64)."""
    plans = fwd.values.plan.reverse_plans.values()
    inputs = [len(k.inputs) for _, k in fwd.values.plan.steps if k is not None]
    inputs += [len(s[2].inputs) for p in plans for s in p.steps if s[0] == "kernel"]
    inputs += [len(g.names) for p in plans for g in p.grad if g is not None]
    return max(inputs, default=0)


def test_a_backward_step_reading_big_expressions_stores_them(always_fused, monkeypatch):
    """d (a^b)/da reads a and b, each an expression of two variables, times a gradient of two
    more: past the bound on inputs, the reverse pass stores the gradient, then the values."""
    monkeypatch.setattr(kernels, "MAX_INPUTS", 4)
    graph = compile("sum(((x0 + x1) ^ (x2 + x3)) * x4)")
    rng = np.random.default_rng(3)
    point = {f"x{k}": rng.uniform(0.5, 1.5, size=6) for k in range(5)}
    fwd, _ = compare(graph, point)
    assert most_inputs(fwd) <= 4


def test_domain_edges_give_the_plain_inf_and_nan(always_fused):
    """log 0, 1/0, sqrt of a negative, 0^0 and 0^-1, asin past 1, inf and nan given: the same
    inf, -inf and nan in values and gradients."""
    x = np.array([0.0, -0.0, -1.0, 1.0, 2.0, np.inf, -np.inf, np.nan, 1e-300, 1e300])
    y = np.array([0.0, -1.0, 2.0, 0.5, -0.0, 1.0, 3.0, 0.0, -2.0, 1.0])
    for text in ["sum(ln(x) * y + sqrt(x) / x)", "x ^ y + asin(x) * atan(y)",
                 "sum(relu(x) * abs(y) + max(x, y) - min(x, y) * tanh(x))",
                 "sigmoid(x) * softplus(y) + exp(x) / cosh(y) + erf(x)",
                 "log(x, y) + log10(x) * log2(y) + acos(x / 2) + tan(x) * sinh(y)"]:
        graph = compile(text, UNLIMITED)
        compare(graph, {"x": x, "y": y})


def test_the_logistic_gradient_is_one_backward_kernel(always_fused):
    """The lecture's cost: value and gradient equal the hand-written Xᵀ(σ(Xw) − y) to 1e-12,
    and every elementwise backward step between the sum and X @ w runs as a single kernel (the
    plain pass makes an array for each of about a dozen)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 7))
    w = rng.normal(size=7)
    y = (rng.random(3000) < 0.5).astype(float)
    graph = compile(LOGISTIC, UNLIMITED)
    ev = evaluate(graph, {"X": X, "w": w, "y": y}, trace=False, limits=UNLIMITED, requires_grad=["w"])
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    by_hand = X.T @ (p - y)
    np.testing.assert_allclose(ev.gradient["w"], by_hand, rtol=1e-12, atol=1e-12 * np.abs(by_hand).max())
    cost = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert abs(ev.value - cost) <= 1e-12 * abs(cost)
    plan = next(iter(ev.forward.values.plan.reverse_plans.values()))
    row_kernels = [s for s in plan.steps if s[0] == "kernel" and s[3] == (3000,)]
    assert len(row_kernels) == 1, [s[2].text for s in row_kernels]
    assert "exp(" in row_kernels[0][2].text  # σ's partial, out / (1 + e^a), from the op table
    compare(graph, {"X": X, "w": w, "y": y}, ["w"])


def test_bounds_are_the_plain_errors_before_any_kernel(always_fused, monkeypatch):
    def no_kernels(*args, **kw):
        raise AssertionError("a kernel ran before the bounds were checked")
    monkeypatch.setattr(kernels.Kernel, "run", no_kernels)
    X, w = np.ones((50, 40)), np.ones(40)
    for limits in (Limits(max_elements=1_000), Limits(max_work=2_100)):
        graph = compile("sum(exp(X) * 2 + X @ w)", UNLIMITED)
        errors = []
        for trace in (False, True):  # untraced: the fused pass; traced: the plain one
            with pytest.raises(LimitExceeded) as err:
                forward(graph, {"X": X, "w": w}, trace=trace, limits=limits)
            errors.append(err.value)
        fused, plain = errors
        assert (fused.limit, fused.actual, fused.maximum, fused.node, str(fused)) == \
            (plain.limit, plain.actual, plain.maximum, plain.node, str(plain))
    graph = compile("X @ X", UNLIMITED)
    with pytest.raises(ExpressionError, match=r"\(50, 40\) and \(50, 40\)"):
        forward(graph, {"X": X})


def test_kernel_text_holds_no_user_names_or_numbers(always_fused):
    b = GraphBuilder()
    evil = b.var("__import__('os')")
    k = b.const(12345.678)
    t = b.op("mul", b.op("exp", evil), k)
    graph = b.build(b.op("sum", b.op("add", b.op("ln", t), b.op("sigmoid", evil))))
    fwd = forward(graph, {"__import__('os')": np.linspace(0.5, 2.0, 30)})
    rev = reverse(graph, fwd)
    texts = [k.text for _, k in fwd.values.plan.steps if k is not None]
    texts += [s[2].text for p in fwd.values.plan.reverse_plans.values() for s in p.steps
              if s[0] == "kernel"]
    assert texts and rev.grads[graph.var_nodes[0]] is not None
    functions = {"exp", "log", "where", "abs", "sign"}
    for text in texts:
        assert "12345" not in text and "import" not in text and "os" not in text
        for word in re.findall(r"[A-Za-z_]\w*", text):
            assert re.fullmatch(r"[vgt]\d+", word) or word in functions, (word, text)


def test_stored_arrays_are_reused_only_when_nothing_holds_them():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60_000, 4))
    w1, w2 = rng.normal(size=4), rng.normal(size=4)
    graph = compile("sigmoid(X @ w) * 2", UNLIMITED)
    ev1 = evaluate(graph, {"X": X, "w": w1}, trace=False, limits=UNLIMITED)
    assert isinstance(ev1.forward.values, tensors.Values)  # big enough for the fused passes
    kept = ev1.value.copy()
    ev2 = evaluate(graph, {"X": X, "w": w2}, trace=False, limits=UNLIMITED)
    assert np.array_equal(ev1.value, kept) and not np.array_equal(ev2.value, kept)
    pool = ev1.forward.values.plan.pool
    out = f"v{graph.output}"
    assert ev2.value is pool[out] and ev1.value is not pool[out]
    first = id(ev2.value)
    del ev1, ev2
    ev3 = evaluate(graph, {"X": X, "w": w1}, trace=False, limits=UNLIMITED)
    assert id(ev3.value) == first and np.array_equal(ev3.value, kept)  # reused, and right


def test_a_small_graph_keeps_the_plain_passes():
    fwd = forward(compile("sum(x * y)"), {"x": np.ones(10), "y": np.ones(10)})
    assert isinstance(fwd.values, list)


def test_an_op_numexpr_lacks_runs_by_its_numpy_rule():
    assert tensors.reads(OPS["erf"]) is None  # numexpr has no erf
    assert tensors.reads(OPS["matmul"]) is None  # not elementwise
    assert tensors.reads(OPS["sigmoid"]) == (frozenset({"out", 0}),)
    assert tensors.reads(OPS["mul"]) == (frozenset({1}), frozenset({0}))
    assert tensors.reads(OPS["add"]) == (frozenset(), frozenset())


# The re-run entry (engine.fast.rerun): the passes recorded once per graph, shapes, wrt and
# limits, then replayed into the program's own arrays. Same contract as the fused passes.

def plain_answer(graph, point, wrt, limits=None):
    """The plain passes' value and gradients (traced, so never fused), or the error they raise."""
    kw = {} if limits is None else {"limits": limits}
    try:
        fwd = forward(graph, point, trace=True, **kw)
    except ExpressionError as e:
        return e
    rev = reverse(graph, fwd, trace=True, wrt=wrt)
    names = graph.variables if wrt is None else wrt
    return fwd.values[graph.output], [rev.grads[i] for i in variable_nodes(graph, names)]


def check_rerun(graph, point, wrt, limits=None) -> None:
    """rerun's answer equals the plain passes' to 1e-12 relative, or raises their error."""
    kw = {} if limits is None else {"limits": limits}
    plain = plain_answer(graph, point, wrt, limits)
    if isinstance(plain, ExpressionError):
        with pytest.raises(type(plain)) as err:
            rerun(graph, point, wrt, **kw)
        assert str(err.value) == str(plain) and err.value.code == plain.code
        return
    value, grads = rerun(graph, point, wrt, **kw)
    same(value, plain[0], "value")
    assert len(grads) == len(plain[1])
    for k, (g, p) in enumerate(zip(grads, plain[1])):
        same(g, p, f"gradient {k}")


def resized(graph, point, rng) -> dict:
    """New values for the same graph, each size in the values' shapes replaced by another, the
    same size by the same (shapes that fitted may no longer: then both must raise the same error)."""
    size = {d: int(rng.integers(1, 6)) for v in point.values() for d in np.shape(v)}
    return {k: rng.uniform(0.2, 1.6, size=tuple(size[d] for d in np.shape(v)))
            for k, v in point.items()}


@settings(max_examples=60, deadline=None)
@given(case=random_graphs(), seed=st.integers(0, 2**32 - 1))
def test_rerun_equals_the_plain_passes_again_and_at_new_shapes(case, seed):
    """The first call (recorded), a re-run with new values of the same shapes (replayed: the
    same program, no new one), new shapes (another program, or the plain passes' error), and
    the first shapes again (the first program)."""
    graph, point, wrt = case
    if not any(np.ndim(v) for v in point.values()) and not graph.tensor_ops:
        return  # numbers only
    rng = np.random.default_rng(seed)
    check_rerun(graph, point, wrt)
    programs = dict(rerun_module._plans[graph])
    again = {k: rng.uniform(-1.6, 1.6, size=np.shape(v)) for k, v in point.items()}
    check_rerun(graph, again, wrt)
    assert rerun_module._plans[graph] == programs  # replayed, not recorded again
    check_rerun(graph, resized(graph, point, rng), wrt)
    check_rerun(graph, point, wrt)
    assert all(rerun_module._plans[graph][k] is p for k, p in programs.items())


def test_rerun_gives_the_plain_inf_and_nan():
    x = np.array([0.0, -0.0, -1.0, 1.0, 2.0, np.inf, -np.inf, np.nan, 1e-300, 1e300, 709.5, -709.5,
                  745.0, -745.0])
    y = np.array([0.0, -1.0, 2.0, 0.5, -0.0, 1.0, 3.0, 0.0, -2.0, 1.0, 0.5, 2.0, -1.0, 1.0])
    for text in ["sum(ln(x) * y + sqrt(x) / x)", "x ^ y + asin(x) * atan(y)",
                 "sum(relu(x) * abs(y) + max(x, y) - min(x, y) * tanh(x))",
                 "sigmoid(x) * softplus(y) + exp(x) / cosh(y) + erf(x)",
                 "sum(sigmoid(x) + exp(-x) * exp(x) + exp(y) / exp(-y))",
                 "log(x, y) + log10(x) * log2(y) + acos(x / 2) + tan(x) * sinh(y)"]:
        graph = compile(text, UNLIMITED)
        for wrt in (None, ["x"], ["y"]):
            check_rerun(graph, {"x": x, "y": y}, wrt)
            check_rerun(graph, {"x": y, "y": x}, wrt)  # replayed on other values


def test_rerun_of_the_logistic_cost_writes_into_its_own_arrays():
    """The lecture's cost: the gradient equal to Xᵀ(σ(Xw) − y) by hand; one exponential in all
    (σ's partial reads the forward's e^−a); every array of the data's size written into one of
    the program's, none made per call; the arrays returned are the caller's."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(4000, 3)), (rng.random(4000) < 0.5).astype(float)
    graph = compile(LOGISTIC, UNLIMITED)
    for w in (np.zeros(3), rng.normal(size=3), rng.normal(size=3) / 2):
        _, (dw,) = rerun(graph, {"X": X, "y": y, "w": w}, ["w"], UNLIMITED)
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        by_hand = X.T @ (p - y)
        np.testing.assert_allclose(dw, by_hand, rtol=1e-12, atol=1e-12 * np.abs(by_hand).max())
        check_rerun(graph, {"X": X, "y": y, "w": w}, ["w"], UNLIMITED)
    (program,) = rerun_module._plans[graph].values()
    assert [s[0] for s in program.steps].count(np.exp) == 1
    rows = [s for s in program.steps if np.shape(program.slots[s[2]]) == (4000,)]
    assert len(rows) >= 20 and all(s[3] is not None for s in rows)  # each into a program array
    assert len({id(s[3]) for s in rows}) <= 10  # arrays shared once their values are dead
    v1, (g1,) = rerun(graph, {"X": X, "y": y, "w": np.ones(3)}, ["w"], UNLIMITED)
    kept = g1.copy()
    g1[:] = 7.0  # the caller's array: the program does not read it
    v2, (g2,) = rerun(graph, {"X": X, "y": y, "w": np.ones(3)}, ["w"], UNLIMITED)
    assert np.array_equal(g2, kept) and g2 is not g1 and v2 == v1


def test_rerun_keeps_no_callers_array():
    graph = compile("sum(sigmoid(X @ w))", UNLIMITED)
    X = np.ones((50, 2))
    ref = weakref.ref(X)
    rerun(graph, {"X": X, "w": np.ones(2)})
    rerun(graph, {"X": X, "w": np.ones(2)})
    del X
    gc.collect()
    assert ref() is None


def test_rerun_errors_are_the_plain_ones():
    graph = compile("sum(exp(X) * 2) + sum(X @ w)", UNLIMITED)
    X, w = np.ones((50, 40)), np.ones(40)
    for limits in (Limits(max_elements=1_000), Limits(max_work=2_100)):
        with pytest.raises(LimitExceeded) as fused:
            rerun(graph, {"X": X, "w": w}, limits=limits)
        with pytest.raises(LimitExceeded) as plain:
            forward(graph, {"X": X, "w": w}, trace=True, limits=limits)
        assert (fused.value.limit, fused.value.actual, fused.value.node, str(fused.value)) == \
            (plain.value.limit, plain.value.actual, plain.value.node, str(plain.value))
    rerun(graph, {"X": X, "w": w}, limits=UNLIMITED)  # recorded without bounds; not reused under them
    with pytest.raises(LimitExceeded):
        rerun(graph, {"X": X, "w": w}, limits=Limits(max_elements=1_000))
    with pytest.raises(ExpressionError, match="no value given for the variable 'w'"):
        rerun(graph, {"X": X})
    with pytest.raises(ExpressionError, match=r"\(50, 40\) and \(39,\)"):
        rerun(graph, {"X": X, "w": np.ones(39)})
    with pytest.raises(ExpressionError, match="not a variable"):
        rerun(graph, {"X": X, "w": w}, ["v"])
    finite = Limits(finite_values=True, max_elements=None, max_work=None)
    with pytest.raises(ExpressionError, match="give finite numbers"):
        rerun(graph, {"X": X, "w": np.full(40, np.inf)}, limits=finite)
    _, grads = rerun(graph, {"X": X.tolist(), "w": w.tolist()}, ["w", "X", "w"])  # lists; repeats
    check_rerun(graph, {"X": X, "w": w}, ["w", "X", "w"])
    assert len(grads) == 3 and np.array_equal(grads[0], grads[2])


def test_a_graph_of_the_same_structure_replays_the_same_recipe():
    """A training run compiles its own graph: one equal in ops, inputs and leaves (constants to
    the bit: -0.0 is not 0.0) gets the kept recipe, with arrays of its own; any other is recorded."""
    rng = np.random.default_rng(8)
    point = {"X": rng.normal(size=(30, 3)), "y": rng.random(30), "w": rng.normal(size=3)}
    first, second = compile(LOGISTIC, UNLIMITED), compile(LOGISTIC, UNLIMITED)
    check_rerun(first, point, ["w"])
    rerun(first, point, ["w"])
    rerun(second, point, ["w"])
    (p1,), (p2,) = rerun_module._plans[first].values(), rerun_module._plans[second].values()
    assert p1.recipe is p2.recipe and p1.slots is not p2.slots
    check_rerun(second, point, ["w"])
    for text in (LOGISTIC.replace("(1 - y)", "(2 - y)"), "sum(X @ w * 0.0)", "sum(X @ w * -0.0)",
                 "sum(X @ w * y)", "sum(y * (X @ w))"):
        other = compile(text, UNLIMITED)
        rerun(other, point, ["w"])
        (p3,) = rerun_module._plans[other].values()
        assert p3.recipe is not p1.recipe
        check_rerun(other, point, ["w"])
    neg, pos = (compile(t, UNLIMITED) for t in ("sum(X @ w * -0.0)", "sum(X @ w * 0.0)"))
    rerun(neg, point, ["w"]), rerun(pos, point, ["w"])
    assert next(iter(rerun_module._plans[neg].values())).recipe is not \
        next(iter(rerun_module._plans[pos].values())).recipe


def test_a_dead_programs_arrays_serve_the_next_graph_of_its_recipe():
    rng = np.random.default_rng(9)
    point = {"X": rng.normal(size=(40, 3)), "y": rng.random(40), "w": rng.normal(size=3)}
    first = compile(LOGISTIC, UNLIMITED)
    rerun(first, point, ["w"])
    (p1,) = rerun_module._plans[first].values()
    arrays = {id(s[3]) for s in p1.steps if s[3] is not None}
    del first, p1
    gc.collect()
    second = compile(LOGISTIC, UNLIMITED)
    check_rerun(second, point, ["w"])
    rerun(second, point, ["w"])
    (p2,) = rerun_module._plans[second].values()
    assert {id(s[3]) for s in p2.steps if s[3] is not None} == arrays
    third = compile(LOGISTIC, UNLIMITED)  # while the second lives: arrays of its own
    rerun(third, point, ["w"])
    (p3,) = rerun_module._plans[third].values()
    assert not arrays & {id(s[3]) for s in p3.steps if s[3] is not None}
    check_rerun(third, point, ["w"])


def test_forget_records_anew_with_the_same_answers():
    """A cold start (benchmarks/train.py): after `forget`, a graph of a kept structure is recorded
    again, result types and all, and answers as the plain passes do."""
    rng = np.random.default_rng(10)
    point = {"X": rng.normal(size=(25, 3)), "y": rng.random(25), "w": rng.normal(size=3)}
    first = compile(LOGISTIC, UNLIMITED)
    rerun(first, point, ["w"])
    (p1,) = rerun_module._plans[first].values()
    rerun_module.forget()
    assert not rerun_module._TYPES
    second = compile(LOGISTIC, UNLIMITED)
    check_rerun(second, point, ["w"])
    (p2,) = rerun_module._plans[second].values()
    assert p2.recipe is not p1.recipe and rerun_module._TYPES
    assert [s[0] for s in p2.recipe.steps] == [s[0] for s in p1.recipe.steps]
