"""Logistic regression learned by the engine's own gradients (the lecture's "어렵게 배운 자동 미분
어디 쓰지?"): the dog/cat data (`data`), gradient descent on C(w) built once as a graph (`descent`),
the same loop as PyTorch code (`snippet`), and what the page draws of a w (`view`). Imports only
the engine's public API; no HTTP."""

from .data import Dataset, Scaling, builtin, design_matrix, parse_csv
from .descent import (
    COSTS,
    GradientCheck,
    Run,
    Step,
    accuracy,
    check_gradient,
    cost_expression,
    cost_graph,
    descend,
    finish,
    train,
)
from .snippet import torch_training_snippet
from .view import Box, boundary, domain, frames, grid, probability

__all__ = [
    "COSTS", "Box", "Dataset", "GradientCheck", "Run", "Scaling", "Step", "accuracy", "boundary",
    "builtin", "check_gradient", "cost_expression", "cost_graph", "descend", "design_matrix", "domain",
    "finish", "frames", "grid", "parse_csv", "probability", "torch_training_snippet", "train",
]
