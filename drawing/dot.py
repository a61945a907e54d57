"""DOT source for a computation graph: validation, the one quoting function, and the
fan-out copy trick. Pure string building; running Graphviz lives in drawing/graphviz.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "DEFAULT_FANOUT_THRESHOLD",
    "MAX_LABEL_CHARS",
    "NODE_KINDS",
    "NODE_STYLE",
    "DotGraph",
    "build_dot",
    "copy_id",
    "quote",
    "to_dot",
    "validate",
]

NODE_KINDS = frozenset({"input", "const", "op"})

# Fixed sizes (inches, Graphviz's unit) per kind, with fixedsize=true, so that neither
# a label nor a value shown in it can change the layout: layout depends on structure
# only and stays still while values change. Inputs are rounded boxes, constants smaller
# plain boxes, operations ellipses.
NODE_STYLE: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "input": MappingProxyType({"shape": "box", "style": "rounded", "width": "0.9", "height": "0.5"}),
        "const": MappingProxyType({"shape": "box", "width": "0.6", "height": "0.4"}),
        "op": MappingProxyType({"shape": "ellipse", "width": "0.8", "height": "0.5"}),
    }
)

DEFAULT_FANOUT_THRESHOLD = 8

#: Past this many nodes dot's crossing minimisation, network simplex and spline routing take
#: seconds (498 nodes: 8.7 s), so a keystroke would wait on them: larger graphs get fewer
#: crossing-minimisation and ranking iterations and straight edges (498 nodes: 0.3 s).
LARGE_GRAPH_NODES = 150
LARGE_GRAPH_ATTRS = (("mclimit", "0.1"), ("nslimit", "1"), ("nslimit1", "1"), ("searchsize", "10"),
                     ("splines", "line"), ("newrank", "true"))

# Labels are display text; longer ones are clipped (with an ellipsis) so a huge label
# cannot blow up the SVG export. The layout does not depend on labels at all.
MAX_LABEL_CHARS = 200

# Our own ids only. fullmatch with an explicit [0-9]: `\d` would accept other scripts'
# digits and `$` would accept a trailing newline.
_NODE_ID = re.compile(r"n[0-9]+")

# Characters that must not reach Graphviz or its SVG/JSON output: C0/C1 controls (XML
# 1.0 forbids most of them), lone surrogates (not encodable as UTF-8) and the
# non-characters U+FFFE/U+FFFF. Newline and tab are handled separately.
_UNSAFE_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# One pass over the text; the order of these does not matter because each character
# maps independently.
_ESCAPES = {
    "\\": "\\\\",  # a lone backslash would start an escString escape (\N, \G, \l, ...)
    '"': '\\"',  # ends the quoted string
    "\n": "\\n",  # a line break in the label
    "\t": " ",
    # Graphviz decodes HTML entities in plain labels (&#1; becomes U+0001, which is
    # invalid XML in the SVG); escaping the ampersand makes every label literal text.
    "&": "&amp;",
}
_ESCAPE_RE = re.compile(r'[\\"\n\t&]')


def quote(text: str) -> str:
    """Return `text` as a complete double-quoted DOT string, shown literally.

    The single escaping function for everything quoted in our DOT (labels are the only
    text not ours; other values are our ids and numbers, which it leaves unchanged).
    The result is an escString (the type of `label`): backslashes, quotes and `&` lose
    their meaning, newlines (any convention) become line breaks, a tab becomes a
    space, and control characters, lone surrogates and non-characters become U+FFFD.
    Because the result is always a quoted string, it can never be read as an HTML-like
    label, and no character in it (`]`, `;`, `{`, `<`, ...) can end the attribute list.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSAFE_CHAR.sub("\ufffd", text)
    return '"' + _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text) + '"'


def copy_id(node_id: str, k: int) -> str:
    """Id of copy `k` of a high fan-out leaf node, e.g. ``n3_c0``."""
    return f"{node_id}_c{k}"


@dataclass(frozen=True)
class DotGraph:
    """DOT source plus what is needed to map Graphviz's answer back to our graph.

    `copies` maps each original leaf id drawn as copies to its copy ids, in order.
    `edge_tails[i]` is the DOT node the i-th input edge leaves from (the source id or
    one of its copies); edge i carries the DOT attribute ``id="e<i>"``.
    """

    source: str
    copies: Mapping[str, tuple[str, ...]]
    edge_tails: tuple[str, ...]


def validate(nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str, int]]) -> None:
    """Raise ValueError unless nodes are (id, label, kind) with unique ids like 'n17'
    and a known kind, and edges are distinct (source, target, index) between known
    nodes with an int index >= 0."""
    seen: set[str] = set()
    for node in nodes:
        if len(node) != 3:
            raise ValueError(f"a node is (id, label, kind), got {node!r}")
        node_id, label, kind = node
        if not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
            raise ValueError(f"node id must look like 'n17', got {node_id!r}")
        if node_id in seen:
            raise ValueError(f"duplicate node id {node_id!r}")
        seen.add(node_id)
        if not isinstance(label, str):
            raise ValueError(f"label of {node_id} must be a str, got {label!r}")
        if kind not in NODE_KINDS:
            raise ValueError(f"kind of {node_id} must be one of {sorted(NODE_KINDS)}, got {kind!r}")
    seen_edges: set[tuple[str, str, int]] = set()
    for edge in edges:
        if len(edge) != 3:
            raise ValueError(f"an edge is (source, target, index), got {edge!r}")
        source, target, index = edge
        key = (source, target, index)
        for end in (source, target):
            if not isinstance(end, str) or end not in seen:
                raise ValueError(f"edge {edge!r} refers to unknown node {end!r}")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"edge index must be an int >= 0, got {index!r}")
        if key in seen_edges:
            raise ValueError(f"duplicate edge {edge!r}")
        seen_edges.add(key)


def _clip(label: str) -> str:
    if len(label) <= MAX_LABEL_CHARS:
        return label
    return label[: MAX_LABEL_CHARS - 1] + "\u2026"


def _plan_copies(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    threshold: int | None,
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Decide which leaves become copies and which copy each edge leaves from.

    A constant feeding several targets is drawn once per target, as the lecture draws
    the `1` of the neuron's `+ 1` and `1 /`: a number has no gradient to add up, and one
    node feeding both would draw long crossing edges. This holds with copies otherwise off.

    An input with more than `threshold` outgoing edges gets copies, each carrying at most
    `threshold` edges; all edges into the same target stay on the same copy (x*x keeps
    its two parallel edges together), so a target's group larger than the threshold makes
    one oversized copy. Groups are filled in the order targets first appear in `edges`,
    which keeps neighbouring terms on the same copy.
    """
    tails = [source for source, _, _ in edges]
    kinds = {node_id: kind for node_id, _, kind in nodes}
    out: dict[str, list[int]] = {}
    for i, (source, _, _) in enumerate(edges):
        if kinds[source] != "op":
            out.setdefault(source, []).append(i)
    copies: dict[str, tuple[str, ...]] = {}
    for source, edge_ids in out.items():
        per_target = kinds[source] == "const"
        if not per_target and (threshold is None or len(edge_ids) <= threshold):
            continue
        by_target: dict[str, list[int]] = {}
        for i in edge_ids:
            by_target.setdefault(edges[i][1], []).append(i)
        if per_target and len(by_target) < 2:
            continue
        chunks: list[list[int]] = [[]]
        for group in by_target.values():
            if chunks[-1] and (per_target or len(chunks[-1]) + len(group) > threshold):
                chunks.append([])
            chunks[-1].extend(group)
        names = tuple(copy_id(source, k) for k in range(len(chunks)))
        copies[source] = names
        for name, chunk in zip(names, chunks):
            for i in chunk:
                tails[i] = name
    return copies, tails


def _beside_siblings(
    nodes: Sequence[tuple[str, str, str]], edges: Sequence[tuple[str, str, int]], tails: Sequence[str]
) -> dict[str, list[str]]:
    """Constants (or their copies) to rank with an operation beside them: a constant feeding one
    target goes in the rank of that target's first argument that is an operation, so it sits
    just before its target, as the lecture draws `+ 1`, and not in an early column with a
    long edge (dot puts a node with no inputs as early as it can). {anchor: constants}."""
    kinds = {node_id: kind for node_id, _, kind in nodes}
    copy_kind = {tail: kinds[source] for (source, _, _), tail in zip(edges, tails)}
    targets: dict[str, set[str]] = {}
    first_op: dict[str, str] = {}
    for (source, target, _), tail in zip(edges, tails):
        if copy_kind[tail] == "const":
            targets.setdefault(tail, set()).add(target)
        elif kinds[source] == "op":
            first_op.setdefault(target, source)
    groups: dict[str, list[str]] = {}
    for const, fed in targets.items():
        target = next(iter(fed)) if len(fed) == 1 else None
        if target in first_op:
            groups.setdefault(first_op[target], []).append(const)
    return groups


def _attrs(pairs: Iterable[tuple[str, str]]) -> str:
    # Attribute names are ours; every value goes through quote().
    return "[" + " ".join(f"{k}={quote(v)}" for k, v in pairs) + "]"


def build_dot(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
) -> DotGraph:
    """Build the DOT source for `nodes` (id, label, kind) and `edges` (source, target,
    index), validating them (ValueError on a bad id, kind, label, edge end or index).

    Graph: left to right (rankdir=LR), every input node in one ``rank=source`` subgraph
    so inputs, and only inputs, form the leftmost column; fixed node sizes per kind
    (NODE_STYLE). Parallel edges (x*x) stay separate edges, each with ``id="e<i>"`` in
    input order. Node statements carry ``id`` (our id) so the SVG's groups are
    addressable.

    Copies: a constant feeding several targets, and an input with more than
    `fanout_threshold` outgoing edges (None turns this off), is emitted as copies
    ``<id>_c0``, ``<id>_c1``, ... (see `_plan_copies`).
    For an input only ``_c0`` is pinned to the leftmost rank; the other copies are free
    to sit next to their consumers. That is the point: a leaf pinned left and feeding
    nodes far to the right makes dot route each edge through one virtual node per rank
    crossed (quadratic in the size of a long sum), which is slow and exhausts
    Graphviz's recursion (a 100-term sum of x*y fails without copies). Op nodes are
    never copied: their fan-out is what the backward pass shows adding up.
    """
    if fanout_threshold is not None and (
        isinstance(fanout_threshold, bool) or not isinstance(fanout_threshold, int) or fanout_threshold < 1
    ):
        raise ValueError(f"fanout_threshold must be an int >= 1 or None, got {fanout_threshold!r}")
    validate(nodes, edges)
    copies, tails = _plan_copies(nodes, edges, fanout_threshold)

    lines = [
        "digraph G {",
        "graph " + _attrs([("rankdir", "LR"), ("nodesep", "0.25"), ("ranksep", "0.5"),
                           *(LARGE_GRAPH_ATTRS if len(nodes) > LARGE_GRAPH_NODES else ())]),
        "node "
        + _attrs([("fixedsize", "true"), ("fontname", "Helvetica,Arial,sans-serif"), ("fontsize", "14")]),
        "edge " + _attrs([("arrowsize", "0.7")]),
    ]
    sources: list[str] = []
    for node_id, label, kind in nodes:
        style = list(NODE_STYLE[kind].items())
        text = _clip(label)
        names = copies.get(node_id, (node_id,))
        for name in names:
            lines.append(f"{name} " + _attrs([("id", name), ("label", text), *style]))
        if kind == "input":
            # Only the first copy is pinned to the left; the others float next to
            # their consumers, which is what makes copying pay off (see build_dot).
            sources.append(names[0])
    if sources:
        lines.append("{rank=source; " + " ".join(f"{s};" for s in sources) + "}")
    lines += [f"{{rank=same; {anchor}; " + " ".join(f"{c};" for c in group) + "}"
              for anchor, group in _beside_siblings(nodes, edges, tails).items()]
    for i, ((_, target, _), tail) in enumerate(zip(edges, tails)):
        lines.append(f"{tail} -> {target} " + _attrs([("id", f"e{i}")]))
    lines.append("}")
    return DotGraph(
        source="\n".join(lines) + "\n",
        copies=MappingProxyType(copies),
        edge_tails=tuple(tails),
    )


def to_dot(
    nodes: Sequence[tuple[str, str, str]],
    edges: Sequence[tuple[str, str, int]],
    *,
    fanout_threshold: int | None = DEFAULT_FANOUT_THRESHOLD,
) -> str:
    """DOT source text only; see `build_dot`."""
    return build_dot(nodes, edges, fanout_threshold=fanout_threshold).source
