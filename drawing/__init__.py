"""Drawing a computation graph: DOT source (`dot`), Graphviz's dot run as WebAssembly in this
process (`graphviz`), the layout read from its answer (`layout`) and the one cache of layouts
by structure (`cache`). Beside `engine/`, which knows nothing of it.

    >>> from drawing import LayoutCache
    >>> layouts = LayoutCache(256, timeout_s=5.0, max_nodes=3000)
    >>> drawn = layouts.layout([("n0", "x", "input"), ("n1", "sin", "op")], [("n0", "n1", 0)])
    >>> sorted(drawn.nodes), drawn.nodes["n0"].x < drawn.nodes["n1"].x
    (['n0', 'n1'], True)
"""

from .cache import LayoutCache, structure_key
from .dot import DEFAULT_FANOUT_THRESHOLD, DotGraph, build_dot, quote, to_dot
from .errors import LayoutSkipped
from .graphviz import run_graphviz, warm_up
from .layout import EdgePath, Layout, NodeBox, layout, svg

__all__ = [
    "DEFAULT_FANOUT_THRESHOLD", "DotGraph", "EdgePath", "Layout", "LayoutCache", "LayoutSkipped",
    "NodeBox", "build_dot", "layout", "quote", "run_graphviz", "structure_key", "svg", "to_dot",
    "warm_up",
]
