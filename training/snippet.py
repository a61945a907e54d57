"""The training loop as PyTorch code to copy: the same X, y, learning rate, steps and cost form,
w a leaf with requires_grad, backward() each step and the update under torch.no_grad(). Run, it
prints the same w as ours (float64 throughout)."""

from __future__ import annotations

import numpy as np

TORCH_COST = {"sum": "torch.sum", "mean": "torch.mean"}


def _literal(a: np.ndarray) -> str:
    return repr(np.asarray(a, dtype=np.float64).tolist())


def torch_training_snippet(X: np.ndarray, y: np.ndarray, lr: float, steps: int,
                           form: str = "sum") -> str:
    """PyTorch code for `steps` steps of gradient descent on C(w) in `form` ("sum" or "mean")."""
    reduce = TORCH_COST[form]
    return "\n".join([
        "import torch",
        "",
        "# rows xᵢ = [feature 1, feature 2, 1]: the last column of ones carries the bias",
        f"X = torch.tensor({_literal(X)}, dtype=torch.float64)",
        f"y = torch.tensor({_literal(y)}, dtype=torch.float64)",
        f"w = torch.zeros({X.shape[1]}, dtype=torch.float64, requires_grad=True)",
        f"lr, steps = {float(lr)!r}, {int(steps)}",
        "",
        "for step in range(steps):",
        "    s = torch.sigmoid(X @ w)",
        f"    C = -{reduce}(y * torch.log(s) + (1 - y) * torch.log(1 - s))",
        "    C.backward()            # w.grad = ∇C(w), by reverse mode",
        "    with torch.no_grad():   # the update is not part of the graph",
        "        w -= lr * w.grad",
        "    w.grad.zero_()          # backward() adds into .grad: start the next step from 0",
        "",
        "print(w.tolist())",
    ])
