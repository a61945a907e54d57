"""One display name per node (issue 13, defect 9): the server names every node once, and the
page, the table and the messages use that name."""

from __future__ import annotations

import pytest

from engine import UNLIMITED, compile, evaluate
from engine.names import NAME_MAX, display_names


@pytest.mark.parametrize("text, names", [
    ("(x^2 + 2x) * ln(y)", ["x", "2", "x^2", "2x", "x^2 + 2x", "y", "ln(y)", "f"]),
    ("a = x*x; f = a + 1", ["x", "a", "1", "f"]),
    ("x - (y - z)", ["x", "y", "z", "y − z", "f"]),
    ("-(x+y)^2", ["x", "y", "x + y", "2", "(x + y)^2", "f"]),
    ("f = 3; g = f * x", ["f", "x", "g"]),  # a constant named f keeps its name
    ("sum(X @ w)ᵀ", ["X", "w", "X @ w", "Σ(X @ w)", "f"]),
])
def test_display_names(text, names):
    assert display_names(compile(text)) == names


def test_the_output_is_f_unless_f_is_taken():
    assert display_names(compile("f * 2"))[-1] == "out"
    assert display_names(compile("x"))[-1] == "x"  # the output is the variable itself


def test_long_sub_expressions_are_called_by_id():
    names = display_names(compile("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))"))
    assert names[3] == "w0 × x0" and names[7] == "n7"
    assert all(len(n) <= NAME_MAX for n in names)


def test_a_deep_chain_is_named_without_long_texts():
    text = "x" + "".join(f" + sin(x{i})" for i in range(5000))
    names = display_names(compile(text, UNLIMITED))
    assert names[-1] == "f" and max(map(len, names)) <= NAME_MAX


def test_messages_use_the_display_name():
    ev = evaluate("(x^2 + 2x) * ln(y)", {"x": 1.0, "y": 0.0})
    forward = next(m for m in ev.nonfinite() if m["pass"] == "forward")
    assert forward["name"] == "ln(y)" and forward["message"].startswith("ln(y) = ln(0) is -inf")
    assert [n["display"] for n in ev.nodes()] == display_names(ev.graph)
