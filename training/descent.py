"""Gradient descent on the lecture's cost C(w) = −Σ yᵢ log σ(xᵢ·w) + (1−yᵢ) log(1−σ(xᵢ·w)) (or its
mean), each step's gradient by the engine's reverse mode on one graph, built once and re-run:

    w₀ = 0,   w_{k+1} = w_k − lr ∇C(w_k)

At step 0 the gradient is checked against central differences, as the lecture recommends
("기울기 체크"): (C(w + h/2 eᵢ) − C(w − h/2 eᵢ)) / h for each component.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from engine import OPS, UNLIMITED, Graph, forward
from engine.fast import rerun

_BODY = "y * ln(sigmoid(X @ w)) + (1 - y) * ln(1 - sigmoid(X @ w))"
#: The cost as typed, per form: the sum (the lecture's C) or the mean (the sum over n).
COSTS = {"sum": f"C = -sum({_BODY})", "mean": f"C = -mean({_BODY})"}
CHECK_H = 1e-6  # central differences' step h at step 0
CHECK_TOLERANCE = 1e-6  # relative agreement expected of them
WRT = ["w"]


def cost_expression(form: str) -> str:
    """The expression typed for `form` ("sum" or "mean")."""
    if form not in COSTS:
        raise ValueError(f"the cost form is 'sum' or 'mean', not {form!r}")
    return COSTS[form]


#: The nodes of C(w) in the order the parser makes them from `COSTS`: a variable's name, a
#: number, or (op, its arguments' nodes), the form's reduction ("sum" or "mean") as None.
_COST_NODES = ("y", "X", "w", ("matmul", 1, 2), ("sigmoid", 3), ("ln", 4), ("mul", 0, 5),  # y ln σ(Xw)
               1.0, ("sub", 7, 0), ("sub", 7, 4), ("ln", 9), ("mul", 8, 10),  # (1 − y) ln(1 − σ(Xw))
               ("add", 6, 11), (None, 12), ("neg", 13))  # −Σ (or −mean) of their sum


def cost_graph(form: str) -> Graph:
    """The graph of `cost_expression(form)`, node for node the one the parser makes of that text
    (the same ops, inputs, leaves, names and literals: tests/engine/test_train.py), made from
    `_COST_NODES` without reading the text: a training run's first step then pays for its graph,
    not for parsing a text that never changes (about a fifth of that step)."""
    cost_expression(form)  # its error for another form
    ops: list = []
    inputs: list = []
    leaf: list = []
    for node in _COST_NODES:
        if node.__class__ is tuple:
            ops.append(OPS[node[0] or form])
            inputs.append(node[1:])
            leaf.append(None)
        else:
            ops.append(None)
            inputs.append(())
            leaf.append(node)
    names: list = [None] * len(ops)
    names[-1] = "C"
    return Graph(ops, inputs, leaf, names, len(ops) - 1, literals={7: "1"})


@dataclass(frozen=True)
class Step:
    """Step k: the weights w_k, the cost C(w_k), the gradient ∇C(w_k) and its norm."""

    index: int
    w: np.ndarray
    loss: float
    grad: np.ndarray
    grad_norm: float


@dataclass(frozen=True)
class GradientCheck:
    """Reverse mode against central differences at w₀, component by component."""

    w: np.ndarray
    reverse: np.ndarray
    central: np.ndarray
    h: float
    max_relative_error: float
    ok: bool


@dataclass
class Run:
    """A whole training run: every step (0 … steps), the step-0 gradient check, the accuracy of
    the final w on the data, and why it stopped early if it did."""

    steps: list[Step]
    check: GradientCheck
    accuracy: float
    stopped: str | None = None

    @property
    def final_w(self) -> np.ndarray:
        return self.steps[-1].w


def _evaluate(graph: Graph, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """C(w) and ∇C(w): the engine's forward pass, then its reverse pass with respect to w only
    (X and y are data, as tensors without requires_grad), by `engine.fast.rerun`: recorded on
    the first call for this graph and these shapes, replayed on later ones as numpy's array
    operations alone, to 1e-12 of the plain passes."""
    value, (grad,) = rerun(graph, {"X": X, "y": y, "w": w}, WRT, UNLIMITED)
    return float(value), grad


def check_gradient(graph: Graph, X: np.ndarray, y: np.ndarray, w: np.ndarray,
                   h: float = CHECK_H) -> GradientCheck:
    """∇C(w) by reverse mode next to central differences with step h, and whether they agree to
    CHECK_TOLERANCE relative (to the gradient's norm, so a zero component does not divide)."""
    _, rev = _evaluate(graph, X, y, w)
    central = np.empty_like(w)
    for i in range(len(w)):  # bounded: one pair of forward passes per weight
        e = np.zeros_like(w)
        e[i] = h / 2
        hi = forward(graph, {"X": X, "y": y, "w": w + e}, limits=UNLIMITED).values[graph.output]
        lo = forward(graph, {"X": X, "y": y, "w": w - e}, limits=UNLIMITED).values[graph.output]
        central[i] = (float(hi) - float(lo)) / h
    with np.errstate(over="ignore", invalid="ignore"):  # huge data: inf and nan say "not ok"
        scale = max(float(np.linalg.norm(rev)), 1e-300)
        err = float(np.max(np.abs(rev - central)) / scale)
    return GradientCheck(w.copy(), rev, central, h, err, bool(err < CHECK_TOLERANCE))


def descend(X: np.ndarray, y: np.ndarray, lr: float, steps: int, form: str = "sum",
            w0: np.ndarray | None = None, graph: Graph | None = None) -> Iterator[Step]:
    """Steps 0 … `steps` of gradient descent, one at a time (a caller may stop early: the loop
    ends with the iteration). The graph of C(w) is built once (`cost_graph`); each step re-runs it. A step
    whose loss or gradient is not finite is yielded and ends the run."""
    graph = graph or cost_graph(form)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    for k in range(steps + 1):
        loss, g = _evaluate(graph, X, y, w)
        # In Python floats: an overflowing square is inf, with no warning to silence (numpy's
        # errstate costs more than the sum of a few squares); the run then ends below.
        norm = math.sqrt(sum(v * v for v in g.tolist()))
        yield Step(k, w, loss, g, norm)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            return
        if k < steps:
            w = w - lr * g  # a new array: each Step keeps its own w


def accuracy(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The share of points on the right side of the boundary xᵢ·w = 0 (σ = 0.5)."""
    return float(np.mean((X @ w > 0) == (y > 0.5)))


def finish(steps: list[Step], check: GradientCheck, X: np.ndarray, y: np.ndarray,
           asked: int) -> Run:
    """The Run of `steps` (asked for `asked` steps): its accuracy, and why it ended early if it did."""
    last = steps[-1]
    stopped = None
    if len(steps) < asked + 1:
        stopped = (f"the cost or its gradient stopped being finite at step {last.index} "
                   "(σ rounded to 0 or 1 on a point): lower the learning rate or use the mean")
    return Run(steps, check, accuracy(X, y, last.w), stopped)


def train(X: np.ndarray, y: np.ndarray, lr: float, steps: int, form: str = "sum",
          on_step: Callable[[Step], None] | None = None) -> Run:
    """The whole run: the gradient check at w₀ = 0, then `descend`, then the accuracy."""
    graph = cost_graph(form)
    check = check_gradient(graph, X, y, np.zeros(X.shape[1]))
    out: list[Step] = []
    for step in descend(X, y, lr, steps, form, graph=graph):
        out.append(step)
        if on_step is not None:
            on_step(step)
    return finish(out, check, X, y, steps)
