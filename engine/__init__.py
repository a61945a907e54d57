"""chainrule's engine: expressions -> computation graphs -> forward, reverse and forward-mode
passes recorded as a replayable trace. Pure Python + numpy; knows nothing of HTTP.

    >>> from engine import grad
    >>> grad("(x^2 + 2x) * ln(y)", x=1, y=2)[1]["y"]
    1.5
"""

from .errors import ExpressionError, LimitExceeded
from .evaluation import Evaluation, evaluate, grad
from .graph import Edge, Graph, GraphBuilder
from .limits import DEFAULT_LIMITS, UNLIMITED, Limits
from .ops import CONSTANTS, FUNCTIONS, OPS, Op, define
from .parser import Parsed, compile, parse
from .passes import forward, gradient, reverse, tangent
from .results import Forward, Reverse, Tangents

__all__ = [
    "CONSTANTS", "DEFAULT_LIMITS", "FUNCTIONS", "OPS", "UNLIMITED", "Edge", "Evaluation",
    "ExpressionError", "Forward", "Graph", "GraphBuilder", "LimitExceeded", "Limits", "Op",
    "Parsed", "Reverse", "Tangents", "compile", "define", "evaluate", "forward", "grad", "gradient",
    "parse", "reverse", "tangent",
]
