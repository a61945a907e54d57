"""Training (training/): the learned w against gradient descent by hand in numpy, the loss going
down, the accuracy on the built-in set, the step-0 gradient check, the CSV reader's errors, and
the PyTorch snippet run under PyTorch when it is installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import training
from engine import UNLIMITED, ExpressionError, LimitExceeded
from engine import compile as compile_text


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_descent(X: np.ndarray, y: np.ndarray, lr: float, steps: int, form: str) -> np.ndarray:
    """Gradient descent by hand: ∇C(w) = Xᵀ(σ(Xw) − y) (over n for the mean)."""
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        g = X.T @ (sigmoid(X @ w) - y)
        w = w - lr * (g / len(y) if form == "mean" else g)
    return w


@pytest.fixture(scope="module")
def builtin_xy():
    ds = training.builtin()
    return training.design_matrix(ds.features, training.Scaling.standard(ds.features)), ds.labels


def test_builtin_set_is_seeded_readable_and_overlapping():
    a, b = training.builtin(), training.builtin()
    assert np.array_equal(a.features, b.features) and np.array_equal(a.labels, b.labels)
    assert len(a) == 300 and a.labels.sum() == 150
    assert a.names == ("body mass", "ear length") and a.units == ("kg", "cm")
    cats, dogs = a.features[a.labels == 0], a.features[a.labels == 1]
    assert 1 < cats[:, 0].mean() < 7 and 8 < dogs[:, 0].mean() < 15  # kg
    # overlap a little: some dog is lighter than the heaviest cat
    assert (dogs[:, 0] < cats[:, 0].max()).any()


def test_design_matrix_has_a_ones_column():
    X = training.design_matrix(np.array([[2.0, 3.0], [4.0, 5.0]]), training.Scaling())
    assert X.tolist() == [[2.0, 3.0, 1.0], [4.0, 5.0, 1.0]]


@pytest.mark.parametrize(("form", "lr", "steps"), [("sum", 0.005, 200), ("sum", 0.001, 57),
                                                   ("mean", 1.0, 300), ("mean", 0.3, 11)])
def test_learned_w_equals_numpy_by_hand(builtin_xy, form, lr, steps):
    X, y = builtin_xy
    run = training.train(X, y, lr, steps, form)
    expected = numpy_descent(X, y, lr, steps, form)
    assert len(run.steps) == steps + 1 and run.stopped is None
    np.testing.assert_allclose(run.final_w, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("form", ["sum", "mean"])
def test_the_cost_graph_is_the_parsers_graph_of_its_text(form):
    """training.cost_graph makes, without reading the text, the graph compile makes of it: the
    same nodes (ops, inputs, leaves to the bit), names, literals and outputs."""
    built, parsed = training.cost_graph(form), compile_text(training.cost_expression(form), UNLIMITED)
    assert [op and op.name for op in built.ops] == [op and op.name for op in parsed.ops]
    assert built.inputs == parsed.inputs and built.output == parsed.output
    assert [repr(v) for v in built.leaf] == [repr(v) for v in parsed.leaf]
    assert (built.names, built.literals, built.aliases, built.outputs, built.variables) == \
        (parsed.names, parsed.literals, parsed.aliases, parsed.outputs, parsed.variables)
    assert bytes(built.needs_grad) == bytes(parsed.needs_grad)
    with pytest.raises(ValueError, match="'sum' or 'mean'"):
        training.cost_graph("max")


@pytest.mark.parametrize("form", ["sum", "mean"])
def test_a_run_on_the_cost_graph_equals_one_on_the_compiled_text_bit_for_bit(builtin_xy, form):
    X, y = builtin_xy
    text = compile_text(training.cost_expression(form), UNLIMITED)
    ours = list(training.descend(X, y, 0.01, 20, form))
    compiled = list(training.descend(X, y, 0.01, 20, form, graph=text))
    assert all(a.loss == b.loss and np.array_equal(a.grad, b.grad) and np.array_equal(a.w, b.w)
               for a, b in zip(ours, compiled, strict=True))


def test_unscaled_user_data_equals_numpy_too():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(40, 2)) * [3.0, 0.5] + [1.0, 2.0]
    y = (f[:, 0] - f[:, 1] + rng.normal(size=40) > 0).astype(float)
    X = training.design_matrix(f, training.Scaling())
    run = training.train(X, y, 0.01, 100, "sum")
    np.testing.assert_allclose(run.final_w, numpy_descent(X, y, 0.01, 100, "sum"), rtol=1e-12)


@pytest.mark.parametrize(("form", "lr"), [("sum", 0.001), ("sum", 0.005), ("mean", 0.5)])
def test_loss_never_increases_for_a_small_learning_rate(builtin_xy, form, lr):
    X, y = builtin_xy
    losses = [s.loss for s in training.train(X, y, lr, 400, form).steps]
    assert all(b <= a for a, b in itertools.pairwise(losses))
    assert losses[-1] < losses[0] / 2


def test_accuracy_on_the_builtin_set_is_at_least_95_percent(builtin_xy):
    X, y = builtin_xy
    assert training.train(X, y, 0.005, 200, "sum").accuracy >= 0.95
    assert training.train(X, y, 1.0, 200, "mean").accuracy >= 0.95


def test_each_step_records_w_loss_and_gradient_norm(builtin_xy):
    X, y = builtin_xy
    run = training.train(X, y, 0.005, 3, "sum")
    first = run.steps[0]
    assert first.w.tolist() == [0.0, 0.0, 0.0]
    assert first.loss == pytest.approx(300 * np.log(2), rel=1e-15)  # σ(0) = 1/2 for every point
    np.testing.assert_allclose(first.grad, X.T @ (0.5 - y), rtol=1e-13)
    assert first.grad_norm == pytest.approx(np.linalg.norm(first.grad), rel=1e-15)
    np.testing.assert_allclose(run.steps[1].w, -0.005 * first.grad, rtol=1e-15)


def test_gradient_check_at_step_zero(builtin_xy):
    X, y = builtin_xy
    check = training.train(X, y, 0.005, 1, "sum").check
    assert check.ok and check.max_relative_error < 1e-6 and check.h == 1e-6
    exact = X.T @ (0.5 - y)
    # The bias's gradient is 0 exactly (as many 0s as 1s): central differences leave rounding
    # there (≈1e-8, by how numpy sums on this CPU), so the error is measured against the scale.
    np.testing.assert_allclose(check.central, exact, rtol=1e-6, atol=1e-6 * np.abs(exact).max())


def test_a_run_whose_cost_stops_being_finite_ends_and_says_why():
    X = training.design_matrix(np.array([[-1.0, 0.0], [1.0, 0.0]]), training.Scaling())
    run = training.train(X, np.array([0.0, 1.0]), 100.0, 1000, "sum")  # separable, huge steps
    assert run.stopped and "stopped being finite" in run.stopped
    assert len(run.steps) < 1001


# --- CSV ----------------------------------------------------------------------------------

def test_csv_with_header_and_word_labels():
    ds = training.parse_csv("mass_kg,ear_cm,label\n4.2, 6.1,cat\n12.5,9.8,Dog\n\n3,5,0\n", 100)
    assert ds.names == ("mass_kg", "ear_cm")
    assert ds.features.tolist() == [[4.2, 6.1], [12.5, 9.8], [3.0, 5.0]]
    assert ds.labels.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("m,e,label\n1,2,cat\n3,abc,dog\n", 3, 2, "row 3, column 2 (e): 'abc' is not a finite number"),
    ("1,2,cat\n3,4,horse\n", 2, 4, "row 2, column 3 (label): 'horse' is not a label"),
    ("1,2,cat\n3,4\n", 2, 2, "row 2 has 2 columns"),
    ("1,2,0\n1,nan,1\n", 2, 2, "row 2, column 2"),
    ("1,2,0\r0", 2, 0, "row 2 has 1 column;"),
    ("1,2,0\n1,\x002,1\n", 2, 2, "row 2, column 2 (feature 2): '\\x002' is not a finite number"),
])
def test_csv_errors_name_row_and_column(text, line, column, words):
    with pytest.raises(ExpressionError) as info:
        training.parse_csv(text, 100)
    err = info.value
    assert words in err.message and (err.line, err.column, err.field) == (line, column, "csv")


def test_csv_bounds():
    with pytest.raises(LimitExceeded) as info:
        training.parse_csv("1,2,0,9\n", 100)
    assert info.value.limit == "max_columns"
    with pytest.raises(LimitExceeded) as info:
        training.parse_csv("".join(f"{i},1,0\n" for i in range(12)), 10)
    assert info.value.limit == "train_max_rows" and info.value.line == 11
    with pytest.raises(ExpressionError, match="empty"):
        training.parse_csv("", 10)


# --- PyTorch --------------------------------------------------------------------------------

def test_torch_snippet_reads_as_the_lecture_writes_it(builtin_xy):
    X, y = builtin_xy
    code = training.torch_training_snippet(X[:4], y[:4], 0.1, 7, "mean")
    for words in ("requires_grad=True", "C.backward()", "with torch.no_grad():", "w -= lr * w.grad",
                  "w.grad.zero_()", "torch.mean(", "lr, steps = 0.1, 7"):
        assert words in code


def test_torch_snippet_gives_the_same_w(builtin_xy):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed here: the snippet is "
                                                "checked as text only")
    X, y = builtin_xy
    code = training.torch_training_snippet(X, y, 0.005, 50, "sum")
    scope: dict = {}
    exec(compile(code.replace("print(w.tolist())", ""), "<snippet>", "exec"), scope)  # our own code
    ours = training.train(X, y, 0.005, 50, "sum").final_w
    np.testing.assert_allclose(scope["w"].detach().numpy(), ours, rtol=1e-12)
    assert torch.is_tensor(scope["w"])


# --- training/view.py: what the page draws --------------------------------------------------------

def test_view_sigmoid_does_not_overflow_and_matches_numpy():
    z = np.array([-800.0, -30.0, -1.0, 0.0, 1e-3, 2.5, 40.0, 800.0])
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(training.view.sigmoid(z), sigmoid(z), rtol=1e-15, atol=0)
    assert training.view.sigmoid(np.array([-800.0]))[0] == 0.0  # no overflow warning, no nan


def test_view_domain_frames_and_grid_orientation():
    box = training.domain(np.array([[1.0, 10.0], [3.0, 20.0]]))
    assert (box.x0, box.x1, box.y0, box.y1) == pytest.approx((0.84, 3.16, 9.2, 20.8))
    assert training.frames(3, 51) == [0, 1, 2, 3]
    f = training.frames(1000, 51)
    assert len(f) == 51 and f[0] == 0 and f[-1] == 1000 and f == sorted(set(f))
    # w = [1, 0, 0] unscaled: P(dog) rises to the right, constant down each column; row 0 is the top.
    g = training.grid(np.array([1.0, 0.0, 0.0]), training.Scaling(), training.Box(-2, 2, 0, 1), 4, 2)
    np.testing.assert_allclose(g, np.round(sigmoid(np.array([[-1.5, -0.5, 0.5, 1.5]] * 2)), 4))
    g = training.grid(np.array([0.0, 1.0, 0.0]), training.Scaling(), training.Box(0, 1, -2, 2), 1, 4)
    np.testing.assert_allclose(g.ravel(), np.round(sigmoid(np.array([1.5, 0.5, -0.5, -1.5])), 4))


@pytest.mark.parametrize("w, ends", [
    ([1.0, 1.0, 0.0], [[-1.0, 1.0], [1.0, -1.0]]),  # through two corners
    ([1.0, 0.0, -0.5], [[0.5, -1.0], [0.5, 1.0]]),  # vertical
    ([0.0, 2.0, 1.0], [[-1.0, -0.5], [1.0, -0.5]]),  # horizontal
    ([1.0, 0.0, -5.0], None),  # outside the box
    ([0.0, 0.0, 1.0], None),  # no feature weight
])
def test_view_boundary_ends_on_the_box(w, ends):
    seg = training.boundary(w, training.Scaling(), training.Box(-1, 1, -1, 1))
    if ends is None:
        assert seg is None
    else:
        np.testing.assert_allclose(sorted(map(tuple, seg)), sorted(map(tuple, ends)), atol=1e-15)


def test_view_boundary_in_feature_units_with_scaling(builtin_xy):
    X, y = builtin_xy
    ds = training.builtin()
    sc = training.Scaling.standard(ds.features)
    w = training.train(X, y, 0.005, 50).final_w
    seg = np.array(training.boundary(w, sc, training.domain(ds.features)))
    np.testing.assert_allclose(training.design_matrix(seg, sc) @ w, 0, atol=1e-12)
