"""The accelerator: a scalar graph's values and gradients, no trace, in the same bits as
`engine.passes`.

Its whole contract is that sentence (tests/test_fast.py holds it to it, -0.0, inf and nan
included). It reads only the op table and the graph. A graph's first pass runs lean loops
(`engine.fast.first`); a big graph (`plan.PLAN_EDGES`) evaluated again and again gets a plan,
made after a few first passes (`plan.PLAN_AFTER`: making one costs about as many) and kept here
for as long as the graph lives.

How (`engine.fast.plan`): the forward pass reads flat lists made once; the local derivatives of
all edges of one (op, argument) are formed at once with numpy; the sums grad[s] += local ×
grad[t] by runs of independent edges (a wide graph) or node by node, with chains as cumulative
products (`engine.fast.sweep`, a deep one).

Tensor graphs without a trace (`engine.fast.tensors`) run as fused numexpr kernels instead, to
1e-12 relative of the plain passes rather than bit for bit (that module says why). A graph whose
value and gradients are wanted again and again at the same shapes (a training loop) has the
re-run entry, `rerun` (`engine.fast.program`): the passes recorded once, then replayed as numpy's
array operations alone, into arrays it reuses.
"""

from __future__ import annotations

from .plan import gradients, values
from .program import rerun
from .tensors import tensor_forward, tensor_reverse

__all__ = ["gradients", "rerun", "tensor_forward", "tensor_reverse", "values"]
