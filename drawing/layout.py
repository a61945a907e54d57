"""A computation graph's layout: positions of its nodes and the curves of its edges, read
from Graphviz's answer (drawing.graphviz) to the DOT of drawing.dot, bounded in size first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

from .dot import DEFAULT_FANOUT_THRESHOLD, build_dot, validate
from .errors import LayoutSkipped
from .graphviz import MEMORY_LIMIT_BYTES, run_graphviz

__all__ = ["EdgePath", "Layout", "NodeBox", "check_size", "layout", "render_layout", "svg"]

# Edges beyond this multiple of max_nodes are refused before any work is done: binary
# ops give at most 2 edges per node, an n-ary sum 3 per term.
_EDGES_PER_NODE = 4
_PT_PER_INCH = 72.0


@dataclass(frozen=True)
class NodeBox:
    """A node's centre and size in points, y pointing down."""

    x: float
    y: float
    width: float
    height: float

    def to_dict(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class EdgePath:
    """One input edge as drawn: cubic B-spline control points (1 + 3k of them) from
    the source's border to the end of the line, then `arrow_end`, the arrowhead's tip
    at the target's border. `copy` is which copy of the source it leaves from (an index
    into Layout.copies[source]), or None when the source was not copied."""

    source: str
    target: str
    index: int
    points: tuple[tuple[float, float], ...]
    arrow_end: tuple[float, float] | None
    copy: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "index": self.index,
            "points": [list(p) for p in self.points],
            "arrow_end": list(self.arrow_end) if self.arrow_end else None,
            "copy": self.copy,
        }


@dataclass(frozen=True)
class Layout:
    """Positions for a graph, in points, origin top-left, y down (as in SVG).

    `nodes` has every node; a node drawn as copies is at its first copy there, and
    `copies` lists all its copies' boxes in order (`<id>_c0`, `<id>_c1`, ...).
    `edges` is parallel to the input edges. Immutable: cached results are shared (`encoded`
    included).
    """

    width: float
    height: float
    nodes: Mapping[str, NodeBox]
    copies: Mapping[str, tuple[NodeBox, ...]]
    edges: tuple[EdgePath, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists, ready for JSON."""
        return {
            "width": self.width,
            "height": self.height,
            "nodes": {k: v.to_dict() for k, v in self.nodes.items()},
            "copies": {k: [b.to_dict() for b in v] for k, v in self.copies.items()},
            "edges": [e.to_dict() for e in self.edges],
        }

    @cached_property
    def encoded(self) -> bytes:
        """to_dict() as compact UTF-8 JSON, made once: a cached layout is sent with every request
        for its structure."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------
# Layout: check bounds, render json0, parse.


def check_size(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    max_nodes: int,
) -> None:
    if len(nodes) > max_nodes:
        raise LayoutSkipped(
            f"graph too large to lay out: max_nodes is {max_nodes}, the graph has {len(nodes)} nodes",
            limit="max_nodes",
            maximum=max_nodes,
            actual=len(nodes),
        )
    max_edges = _EDGES_PER_NODE * max_nodes
    if len(edges) > max_edges:
        raise LayoutSkipped(
            f"graph too large to lay out: max_edges is {max_edges} "
            f"({_EDGES_PER_NODE} x max_nodes), the graph has {len(edges)} edges",
            limit="max_edges",
            maximum=max_edges,
            actual=len(edges),
        )


def _parse_point(text: str) -> tuple[float, float]:
    x, y = text.split(",")
    return float(x), float(y)


def _parse_json(
    raw: bytes,
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    copies: Mapping[str, tuple[str, ...]],
    edge_tails: Sequence[str],
) -> Layout:
    doc = json.loads(raw)
    x0, y0, x1, y1 = (float(v) for v in doc["bb"].split(","))

    def flip(p: tuple[float, float]) -> tuple[float, float]:
        # Graphviz's y axis points up from the bottom of the bounding box.
        return (round(p[0] - x0, 3), round(y1 - p[1], 3))

    boxes: dict[str, NodeBox] = {}
    for obj in doc.get("objects", ()):
        if "pos" not in obj:  # the rank=source subgraph
            continue
        x, y = flip(_parse_point(obj["pos"]))
        boxes[obj["name"]] = NodeBox(
            x=x,
            y=y,
            width=round(float(obj["width"]) * _PT_PER_INCH, 3),
            height=round(float(obj["height"]) * _PT_PER_INCH, 3),
        )

    copy_index = {name: k for names in copies.values() for k, name in enumerate(names)}
    paths: list[EdgePath | None] = [None] * len(edges)
    for obj in doc.get("edges", ()):
        i = int(obj["id"][1:])  # our id="e<i>"
        points: list[tuple[float, float]] = []
        arrow_end = None
        # "e,x,y" is the arrowhead tip, "s,x,y" an arrowtail (we draw none);
        # several splines are separated by ";" (not produced with our attributes).
        for spline in obj["pos"].split(";"):
            for token in spline.split():
                if token.startswith("e,"):
                    arrow_end = flip(_parse_point(token[2:]))
                elif not token.startswith("s,"):
                    points.append(flip(_parse_point(token)))
        source, target, index = edges[i]
        copy = copy_index.get(edge_tails[i])  # None when the source was not copied
        paths[i] = EdgePath(source, target, index, tuple(points), arrow_end, copy)

    node_boxes: dict[str, NodeBox] = {}
    copy_boxes: dict[str, tuple[NodeBox, ...]] = {}
    for node_id, _, _ in nodes:
        if node_id in copies:
            copy_boxes[node_id] = tuple(boxes[c] for c in copies[node_id])
            node_boxes[node_id] = copy_boxes[node_id][0]
        else:
            node_boxes[node_id] = boxes[node_id]
    if any(p is None for p in paths):
        raise RuntimeError("Graphviz's output lacks an edge")  # a bug of ours, not input
    return Layout(
        width=round(x1 - x0, 3),
        height=round(y1 - y0, 3),
        nodes=MappingProxyType(node_boxes),
        copies=MappingProxyType(copy_boxes),
        edges=tuple(p for p in paths if p is not None),
    )


def layout(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    timeout_s: float = 5.0,
    max_nodes: int = 3000,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
) -> Layout:
    """Lay out `nodes` (id, label, kind) and `edges` (source, target, index) with dot,
    left to right, inputs in the leftmost column. See drawing.dot for the DOT and the
    fan-out copies (fanout_threshold=None turns them off).

    Not cached: drawing.cache.LayoutCache keeps layouts by structure. Raises ValueError
    for malformed input and LayoutSkipped when a bound is exceeded (max_nodes,
    4 x max_nodes edges, timeout_s, memory_bytes) or Graphviz gives up.
    """
    check_size(nodes, edges, max_nodes)
    validate(nodes, edges)
    return render_layout(nodes, edges, timeout_s=timeout_s, fanout_threshold=fanout_threshold,
                         memory_bytes=memory_bytes)


def render_layout(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    timeout_s: float,
    fanout_threshold: int | None,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
) -> Layout:
    """`layout` after its size check: build the DOT, run Graphviz, read its json0."""
    dot = build_dot(nodes, edges, fanout_threshold=fanout_threshold)
    raw = run_graphviz(dot.source, "json0", timeout_s=timeout_s, memory_bytes=memory_bytes)
    return _parse_json(raw, nodes, edges, dot.copies, dot.edge_tails)


def svg(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    timeout_s: float = 5.0,
    max_nodes: int = 3000,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
    memory_bytes: int = MEMORY_LIMIT_BYTES,
) -> str:
    """Graphviz's own SVG drawing of the same DOT as `layout` (labels drawn as given,
    so they may carry values; not cached). Same bounds and errors as `layout`."""
    check_size(nodes, edges, max_nodes)
    dot = build_dot(nodes, edges, fanout_threshold=fanout_threshold)
    return run_graphviz(dot.source, "svg", timeout_s=timeout_s, memory_bytes=memory_bytes).decode("utf-8")
