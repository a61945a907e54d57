"""Tensors: arrays as values, each tensor op's VJP and JVP against central differences and an
explicit Jacobian on random shapes (broadcasting included), the lecture's logistic cost and its
gradient Xᵀ(σ(Xw) − y), and the checks on what a person gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    OPS,
    ExpressionError,
    GraphBuilder,
    LimitExceeded,
    Limits,
    evaluate,
    forward,
    reverse,
    tangent,
)
from engine.jacobian import edge_jacobian

TENSOR_OPS = sorted(name for name, op in OPS.items() if not op.partials)
H = 1e-6


def central_jacobian(f, x: np.ndarray) -> np.ndarray:
    """∂f/∂x by central differences: rows f's elements, columns x's, both flattened."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = H
        up, down = f(x + step.reshape(x.shape)), f(x - step.reshape(x.shape))
        cols.append(np.ravel((np.asarray(up) - np.asarray(down)) / (2 * H)))
    return np.array(cols).T


def one_op(name: str, *args):
    """A graph applying one op to variables a, b (and a constant axis), and its point."""
    b = GraphBuilder()
    op = OPS[name]
    nodes, point = [], {}
    for k, v in enumerate(args):
        if k in op.static:
            nodes.append(b.const(float(v)))
        else:
            nodes.append(b.var("ab"[k]))
            point["ab"[k]] = v
    return b.build(b.op(name, *nodes)), point


def shapes_for(name: str, draw) -> list:
    """Argument values that fit the op: random shapes of 1 to 3 dimensions, sizes 1 to 4."""
    size = st.integers(1, 4)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if name == "matmul":
        m, k, n = draw(size), draw(size), draw(size)
        a = (k,) if draw(st.booleans()) else (m, k)
        b = (k,) if draw(st.booleans()) else (k, n)
        return [rng.normal(size=a), rng.normal(size=b)]
    shape = tuple(draw(st.lists(size, min_size=1, max_size=3)))
    a = rng.normal(size=shape)
    if OPS[name].arity == 2:  # an axis
        return [a, draw(st.integers(-len(shape), len(shape) - 1))]
    return [a]


@pytest.mark.parametrize("name", TENSOR_OPS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_each_tensor_op_vjp_and_jvp_against_central_differences(name, data):
    args = shapes_for(name, data.draw)
    graph, point = one_op(name, *args)
    fwd = forward(graph, point)
    out = np.asarray(fwd.values[graph.output])
    op = OPS[name]
    for k, arg in enumerate(args):
        if k in op.static:
            continue

        def f(x, k=k):
            xs = list(args)
            xs[k] = x
            return op.forward(np, *[np.asarray(v, dtype=float) if j not in op.static else v
                                    for j, v in enumerate(xs)])

        expected = central_jacobian(f, arg)
        jac = edge_jacobian(graph, fwd, graph.output, k)  # from the VJP, row by row
        np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-8)
        # The JVP of a random tangent is J t; the VJP of a random g is Jᵀ g.
        rng = np.random.default_rng(k)
        t = rng.normal(size=np.shape(arg))
        g = rng.normal(size=out.shape)
        xs = [fwd.values[s] for s in graph.inputs[graph.output]]
        np.testing.assert_allclose(np.ravel(op.jvp[k](np, t, out, *xs)), expected @ np.ravel(t),
                                   rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(np.ravel(op.vjp[k](np, g, out, *xs)), expected.T @ np.ravel(g),
                                   rtol=1e-6, atol=1e-8)


BROADCAST_OPS = ["add", "sub", "mul", "div", "max", "min", "pow"]


@pytest.mark.parametrize("name", BROADCAST_OPS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_elementwise_ops_broadcast_and_sum_back(name, data):
    """Shapes that broadcast by numpy's rules: the edge's Jacobian (local × g summed over the
    broadcast axes) against central differences, and the reverse pass's gradient against the
    central difference of sum(out)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    full = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    squeeze = [data.draw(st.booleans()) for _ in full]
    a_shape = tuple(1 if s else n for s, n in zip(squeeze, full))
    b_shape = full[data.draw(st.integers(0, len(full))):]  # a trailing part: fewer dimensions
    a = rng.uniform(0.5, 2.0, size=a_shape)
    b = rng.uniform(0.5, 2.0, size=b_shape) * (rng.choice([-1, 1]) if name != "pow" else 1)
    graph, point = one_op(name, a, b)
    fwd = forward(graph, point, trace=True)
    rev = reverse(graph, fwd, trace=True)
    op = OPS[name]
    for k, arg in enumerate((a, b)):
        def f(x, k=k):
            xs = [a, b]
            xs[k] = x
            return op.forward(np, *xs)

        expected = central_jacobian(f, arg)
        np.testing.assert_allclose(edge_jacobian(graph, fwd, graph.output, k), expected,
                                   rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(np.ravel(rev.grads[graph.var_nodes[k]]),
                                   expected.T @ np.ones(expected.shape[0]), rtol=1e-5, atol=1e-7)
        assert np.shape(rev.grads[graph.var_nodes[k]]) == np.shape(arg)
    reduced = [ev for ev in rev.events if ev[0] == "reduce"]
    assert bool(reduced) == (a_shape != np.broadcast_shapes(a_shape, b_shape)
                             or b_shape != np.broadcast_shapes(a_shape, b_shape))


# --- the lecture's logistic cost --------------------------------------------------------------

def logistic():
    """C(w) = −Σ y log σ(Xw) + (1 − y) log(1 − σ(Xw)), built op by op."""
    b = GraphBuilder()
    X, w, y = b.var("X"), b.var("w"), b.var("y")
    s = b.op("sigmoid", b.op("matmul", X, w))
    one = b.const(1.0)
    terms = b.op("add", b.op("mul", y, b.op("ln", s)),
                 b.op("mul", b.op("sub", one, y), b.op("ln", b.op("sub", one, s))))
    return b.build(b.op("neg", b.op("sum", terms)))


@pytest.mark.parametrize("rows, features", [(6, 3), (50, 4), (400, 20)])
def test_the_logistic_gradient_is_x_transpose_sigma_minus_y(rows, features):
    rng = np.random.default_rng(rows)
    X, w = rng.normal(size=(rows, features)), rng.normal(size=features) * 0.5
    y = (rng.random(rows) < 0.5).astype(float)
    ev = evaluate(logistic(), {"X": X, "w": w, "y": y}, requires_grad=["w"])
    p = 1 / (1 + np.exp(-X @ w))
    expected = X.T @ (p - y)
    np.testing.assert_allclose(ev.gradient["w"], expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    cost = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert ev.value == pytest.approx(cost, rel=1e-12)
    assert set(ev.gradient) == {"w"}  # X and y are data: no gradient flows to them
    nodes = ev.nodes()
    assert nodes[0]["shape"] == [rows, features] and nodes[0]["grad"] is None


def test_forward_mode_along_w_is_the_gradient_dotted_with_the_direction():
    rng = np.random.default_rng(1)
    X, w, y = rng.normal(size=(6, 3)), rng.normal(size=3), np.array([1.0, 0, 1, 1, 0, 0])
    graph = logistic()
    fwd = forward(graph, {"X": X, "w": w, "y": y})
    tan = tangent(graph, fwd, {"w": 0.5})  # the direction 0.5 (1, 1, 1)
    grad = reverse(graph, fwd).grads[graph.var_nodes[1]]
    assert float(tan.tangents[graph.output]) == pytest.approx(0.5 * float(np.sum(grad)), rel=1e-12)


def test_the_trace_and_json_of_a_small_tensor_graph():
    X = [[1.0, 2.0, 0.5], [0.0, -1.0, 1.5]]
    ev = evaluate(logistic(), {"X": X, "w": [0.1, -0.2, 0.3], "y": [1, 0]})
    nodes = {n["id"]: n for n in ev.nodes()}
    assert nodes["n0"]["value"] == X and nodes["n0"]["shape"] == [2, 3]
    out = nodes[f"n{ev.graph.output}"]
    assert out["shape"] == [] and isinstance(out["value"], float)
    edges = ev.edges()
    matmul = next(e for e in edges if e["backward"].startswith("vjp of matmul") and e["index"] == 1)
    # Eq. 6.46 on the edge w -> X @ w: the product (∂y/∂x)ᵀ ∇y z is what the edge sends.
    jac, g, product = np.array(matmul["jacobian"]), np.array(matmul["grad_in"]), matmul["product"]
    np.testing.assert_allclose(jac, np.array(X))  # ∂(Xw)/∂w = X
    np.testing.assert_allclose(product, jac.T @ g)
    np.testing.assert_allclose(product, matmul["contribution"])
    backward = ev.trace()["backward"]
    assert any(e["type"] == "reduce" for e in backward) is False  # no broadcasting here


def test_broadcasting_is_a_visible_step_of_the_backward_pass():
    b = GraphBuilder()
    x, w = b.var("x"), b.var("w")
    graph = b.build(b.op("sum", b.op("mul", x, w)))  # x: (3,), w: (2, 3)
    ev = evaluate(graph, {"x": [1.0, 2.0, 3.0], "w": [[1.0, 0.0, -1.0], [2.0, 2.0, 2.0]]})
    reduce = [e for e in ev.trace()["backward"] if e["type"] == "reduce"]
    assert len(reduce) == 1 and reduce[0]["node"] == "n0" and reduce[0]["axes"] == [0]
    assert reduce[0]["contribution"] == [3.0, 2.0, 1.0]
    assert ev.gradient["x"].tolist() == [3.0, 2.0, 1.0]


def test_big_arrays_are_summarised_in_json():
    x = np.arange(100.0).reshape(10, 10)
    b = GraphBuilder()
    graph = b.build(b.op("sum", b.op("mul", b.var("x"), b.var("x"))))
    ev = evaluate(graph, {"x": x}, shown=64)
    node = ev.nodes()[0]
    assert node["value"] == {"shape": [10, 10], "min": 0.0, "max": 99.0, "mean": 49.5,
                             "norm": pytest.approx(float(np.linalg.norm(x))),
                             "preview": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}
    assert node["grad"]["max"] == 198.0
    assert "jacobian" not in ev.edges()[0]  # 100 × 100 entries: not sent


# --- what a person gives -----------------------------------------------------------------------

def product_graph():
    b = GraphBuilder()
    return b.build(b.op("matmul", b.var("X"), b.var("w")))


@pytest.mark.parametrize("value, field, words", [
    ([[1, 2], [3]], "values.X[1]", "has 1 items where the rows before it have 2"),
    ([[1, 2], 3], "values.X[1]", "is a number where the rows before it have 2"),
    ([[1, "2"], [3, 4]], "values.X[0][1]", "must be a number, not '2'"),
    ([[1, True], [3, 4]], "values.X[0][1]", "must be a number, not True"),
    ([[1, None], [3, 4]], "values.X[0][1]", "must be a number, not None"),
    ([[1, [2]], [3, 4]], "values.X[0][1]", "is a list where a number was expected"),
    ([], "values.X", "is empty"),
    ([[1, 10**400], [3, 4]], "values.X[0][1]", "too large for a float64"),
])
def test_a_bad_array_names_the_element(value, field, words):
    with pytest.raises(ExpressionError) as err:
        evaluate(product_graph(), {"X": value, "w": [1.0, 2.0]})
    assert err.value.field == field and words in err.value.message, err.value.message
    assert err.value.code == "invalid_value"


def test_array_bounds_are_limits():
    with pytest.raises(LimitExceeded) as err:
        evaluate(product_graph(), {"X": np.zeros((2, 2, 2, 2, 2)), "w": [1.0, 2.0]})
    assert err.value.limit == "max_dims" and err.value.actual == 5
    with pytest.raises(LimitExceeded) as err:
        evaluate(product_graph(), {"X": [[1.0] * 30] * 30, "w": [1.0] * 30},
                 limits=Limits(max_elements=500))
    assert err.value.limit == "max_elements" and err.value.maximum == 500


def test_a_shape_mismatch_names_both_shapes():
    with pytest.raises(ExpressionError) as err:
        evaluate(product_graph(), {"X": np.ones((6, 3)), "w": np.ones(2)})
    assert err.value.message == "X @ w: (6, 3) and (2,) do not fit: inner sizes 3 and 2"
    assert err.value.code == "shape_mismatch"
    b = GraphBuilder()
    graph = b.build(b.op("add", b.var("a"), b.var("b")))
    with pytest.raises(ExpressionError, match=r"a \+ b: \(2, 3\) and \(2,\) do not broadcast"):
        evaluate(graph, {"a": np.ones((2, 3)), "b": np.ones(2)})


def test_numpy_arrays_and_nested_lists_give_the_same_numbers():
    X = np.random.default_rng(3).normal(size=(4, 2))
    a = evaluate(product_graph(), {"X": X, "w": np.array([1.0, -1.0])})
    b = evaluate(product_graph(), {"X": X.tolist(), "w": [1, -1]})
    assert a.nodes() == b.nodes() and a.trace() == b.trace()


def test_an_intermediate_array_is_bounded_too():
    """(1000, 1) * (1, 1000) broadcasts to a million elements: over max_elements, a 4xx naming the
    limit before numpy allocates it; and all the elements of one pass are bounded (max_work)."""
    b = GraphBuilder()
    graph = b.build(b.op("sum", b.op("mul", b.var("a"), b.var("b"))))
    point = {"a": np.ones((1000, 1)), "b": np.ones((1, 1000))}
    with pytest.raises(LimitExceeded) as err:
        evaluate(graph, point, limits=Limits(max_elements=100_000))
    assert err.value.limit == "max_elements" and err.value.actual == 1_000_000
    assert err.value.message == "a * b would have 1,000,000; at most 100,000 are allowed"
    with pytest.raises(LimitExceeded) as err:
        evaluate(graph, point, limits=Limits(max_work=500_000))
    assert err.value.limit == "max_work"
    assert evaluate(graph, point).value == 1_000_000.0


def test_an_axis_must_be_a_constant_integer():
    b = GraphBuilder()
    x, y = b.var("x"), b.var("y")
    with pytest.raises(ExpressionError, match=r"argument 2 of sum \(an axis\) must be a constant integer"):
        b.op("sum_axis", x, y)
    graph = b.build(b.op("sum_axis", x, b.const(1.5)))
    with pytest.raises(ExpressionError, match="the axis must be an integer from -2 to 1"):
        evaluate(graph, {"x": np.ones((2, 3))})
    graph = GraphBuilder()
    g = graph.build(graph.op("sum_axis", graph.var("x"), graph.const(-1)))
    assert evaluate(g, {"x": [[1.0, 2.0], [3.0, 4.0]]}).value.tolist() == [3.0, 7.0]


# --- typed: @, ᵀ, and the lecture's presets ----------------------------------------------------

def test_matrix_product_and_transpose_as_typed():
    X, w = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    a = evaluate("X @ w", {"X": X, "w": w})
    b = evaluate("matmul(X, w)", {"X": X, "w": w})
    assert a.value.tolist() == b.value.tolist() == (X @ w).tolist()
    assert a.graph.ops[a.graph.output].name == "matmul"
    # @ binds as * (left to right), ᵀ tightest: Xᵀ @ X @ w is ((Xᵀ) @ X) @ w; -Xᵀ is -(Xᵀ).
    ev = evaluate("sum(Xᵀ @ X @ w) + sum(-Xᵀ)", {"X": X, "w": w})
    assert ev.value == pytest.approx(float(np.sum(X.T @ X @ w) - np.sum(X)))
    assert evaluate("sum(transpose(X) * 2)", {"X": X}).value == 30.0
    # ᵀ is not part of a name: Xᵀ is X transposed, and `Xᵀ` alone has variable X.
    assert evaluate("sum(Xᵀ)", {"X": X}).graph.variables == ("X",)


def test_a_shape_mismatch_points_at_the_operator():
    with pytest.raises(ExpressionError) as err:
        evaluate("a = sum(X)\nf = a * (X @ w)", {"X": np.ones((6, 3)), "w": [1.0, 2.0]})
    e = err.value
    assert e.message == "X @ w: (6, 3) and (2,) do not fit: inner sizes 3 and 2"
    assert (e.line, e.column, e.text, e.code) == (2, 11, "@", "shape_mismatch")
    with pytest.raises(ExpressionError) as err:
        evaluate("sum(A, 2)", {"A": np.ones((2, 3))})
    assert err.value.column == 0 and "axis must be an integer from -2 to 1" in err.value.message


def test_the_lecture_tensor_preset_gives_f_prime_on_each_element():
    """sum((x² + 2x) ln x) on the 2×3 array of np.random.seed(0): x.grad = f'(x) elementwise,
    f'(x) = (2x + 2) ln x + x + 2 (the lecture's f'(1) = 3 for one element)."""
    from app.examples import EXAMPLES

    preset = next(e for e in EXAMPLES if e["id"] == "tensor-2x3")
    x = np.array(preset["values"]["x"])
    assert x.tolist() == [[0.5488135, 0.71518937, 0.60276338], [0.54488318, 0.4236548, 0.64589411]]
    ev = evaluate(preset["expression"], preset["values"])
    np.testing.assert_allclose(ev.gradient["x"], (2 * x + 2) * np.log(x) + x + 2, rtol=1e-13)
    assert evaluate(preset["expression"], {"x": [[1.0]]}).gradient["x"].tolist() == [[3.0]]


def test_the_logistic_cost_preset_gradient_is_x_transpose_sigma_minus_y():
    from app.examples import EXAMPLES

    preset = next(e for e in EXAMPLES if e["id"] == "logistic-cost")
    ev = evaluate(preset["expression"], preset["values"], requires_grad=preset["requires_grad"])
    X, y, w = (np.array(preset["values"][k]) for k in ("X", "y", "w"))
    p = 1 / (1 + np.exp(-X @ w))
    np.testing.assert_allclose(ev.gradient["w"], X.T @ (p - y), rtol=1e-12)
    assert ev.value == pytest.approx(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    assert list(ev.gradient) == ["w"]


def test_the_vector_neuron_gives_the_cs231n_numbers():
    from app.examples import EXAMPLES

    preset = next(e for e in EXAMPLES if e["id"] == "neuron-vector")
    ev = evaluate(preset["expression"], preset["values"])
    scalar = evaluate("1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
                      {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0})
    assert float(ev.value) == pytest.approx(scalar.value, rel=1e-15)
    g, s = ev.gradient, scalar.gradient
    np.testing.assert_allclose(g["w"], [s["w0"], s["w1"]], rtol=1e-15)
    np.testing.assert_allclose(g["x"], [s["x0"], s["x1"]], rtol=1e-15)
    assert float(g["b"]) == pytest.approx(s["w2"], rel=1e-15)
    assert round(float(ev.value), 4) == 0.7311 and np.round(g["w"], 4).tolist() == [-0.1966, -0.3932]
