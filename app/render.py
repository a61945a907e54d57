"""The exports' drawings: an SVG of the laid-out graph with each node's value and gradient and
each edge's local derivative, and DOT source. Every piece of user text goes through one
escaping function per format (`_x` here for XML, drawing.dot.quote for DOT); the SVG has no
scripts, no event attributes and no external references.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from drawing import Layout, NodeBox, to_dot
from engine import Evaluation

from .graphs import layout_items
from .settings import Settings

MARGIN = 8.0
BELOW = 14.0  # room under the lowest nodes for their gradient line
STYLE = {
    "input": ('fill="#e8f1fb" stroke="#2f5d8a"', "rect", 6),
    "const": ('fill="#f2f2f2" stroke="#777777"', "rect", 0),
    "op": ('fill="#fff6e0" stroke="#8a6a2f"', "ellipse", 0),
}
CSS = ("text{font-family:Helvetica,Arial,sans-serif;fill:#111}"
       ".label{font-size:11px;font-weight:bold}.value{font-size:10px}"
       ".grad{font-size:9px;fill:#b3261e}.local{font-size:9px;fill:#555;font-style:italic;"
       "paint-order:stroke;stroke:#fff;stroke-width:3px}"
       ".edge{fill:none;stroke:#555;stroke-width:1}.arrow{fill:#555;stroke:none}")


def fmt(v: float | None) -> str:
    """Up to 7 decimals as the lecture shows them (2.0794415, 0.6931472, 1.5)."""
    if v is None:
        return "–"
    if not math.isfinite(v):
        return "nan" if v != v else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "0"
    if abs(v) < 1e-4 or abs(v) >= 1e7:
        return f"{v:.4g}"
    text = f"{v:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def short(v: float) -> str:
    """Four significant digits, to fit inside a node of fixed size."""
    return fmt(v) if not math.isfinite(v) or v == 0 else f"{v:.4g}"


def _clean(text: str) -> str:
    """Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD."""
    return "".join(c if c in "\t\n" or (c >= " " and c not in "\ufffe\uffff" and not
                                       "\ud800" <= c <= "\udfff") else "\ufffd" for c in text)


def _x(text: str) -> str:
    """XML text content: & < > escaped."""
    return escape(_clean(text))


def _attr(text: str) -> str:
    """A quoted XML attribute value."""
    return quoteattr(_clean(text))


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _path(points: list[list[float]] | tuple) -> str:
    """Graphviz's spline control points (1 + 3k) as cubic Bézier segments."""
    p = [(float(a), float(b)) for a, b in points]
    if not p:
        return ""
    d = [f"M{_n(p[0][0] + MARGIN)},{_n(p[0][1] + MARGIN)}"]
    for k in range(1, len(p) - 2, 3):
        d.append("C" + " ".join(f"{_n(x + MARGIN)},{_n(y + MARGIN)}" for x, y in p[k:k + 3]))
    return "".join(d)


def _arrow(tail: tuple[float, float], tip: tuple[float, float]) -> str:
    (x0, y0), (x1, y1) = tail, tip
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = x1 - 7 * ux, y1 - 7 * uy
    pts = [(x1, y1), (bx - 3 * uy, by + 3 * ux), (bx + 3 * uy, by - 3 * ux)]
    return " ".join(f"{_n(x + MARGIN)},{_n(y + MARGIN)}" for x, y in pts)


def _node(box: NodeBox, kind: str, node: dict, title: str) -> list[str]:
    attrs, shape, radius = STYLE[kind]
    cx, cy = box.x + MARGIN, box.y + MARGIN
    w, h = box.width, box.height
    if shape == "ellipse":
        outline = f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(w / 2)}" ry="{_n(h / 2)}" {attrs}/>'
    else:
        outline = (f'<rect x="{_n(cx - w / 2)}" y="{_n(cy - h / 2)}" width="{_n(w)}" height="{_n(h)}" '
                   f'rx="{radius}" {attrs}/>')
    name, label = node["name"], node["label"]
    head = f"{name} {label}" if node["kind"] == "op" and name else (name or label)
    out = [f'<g class="node" id={_attr(node["id"])}><title>{_x(title)}</title>', outline]
    if node["kind"] == "const":  # its label is its value
        out.append(f'<text class="label" x="{_n(cx)}" y="{_n(cy + 4)}" text-anchor="middle">'
                   f'{_x(head)}</text>')
    else:
        out += [f'<text class="label" x="{_n(cx)}" y="{_n(cy - 2)}" text-anchor="middle">{_x(head)}</text>',
                f'<text class="value" x="{_n(cx)}" y="{_n(cy + 10)}" text-anchor="middle">'
                f'{_x(fmt(node["value"]))}</text>']
    if node["grad"] is not None:
        out.append(f'<text class="grad" x="{_n(cx)}" y="{_n(cy + h / 2 + 10)}" text-anchor="middle">'
                   f'grad {_x(fmt(node["grad"]))}</text>')
    out.append("</g>")
    return out


def svg(ev: Evaluation, drawn: Layout, expression: str) -> str:
    """The graph as drawn by Graphviz, with value (inside), gradient (below, red) and each
    edge's local derivative (grey, mid-edge). Coordinates are Graphviz's points."""
    nodes = ev.nodes()
    edges = ev.edges()
    kinds = {nid: kind for nid, _, kind in layout_items(ev.graph)[0]}
    width, height = drawn.width + 2 * MARGIN, drawn.height + 2 * MARGIN + BELOW
    summary = f"value {fmt(ev.value)}; " + ", ".join(
        f"∂/∂{name} = {fmt(g)}" for name, g in ev.gradient.items())
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}pt" height="{_n(height)}pt" '
           f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label={_attr(expression)}>',
           f"<title>{_x(expression)}</title>", f"<desc>{_x(summary)}</desc>",
           f"<style>{CSS}</style>",
           f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>']
    for edge, path in zip(edges, drawn.edges):
        title = (f"{edge['id']}: ∂{edge['target']}/∂{edge['source']} = {fmt(edge['local'])}, "
                 f"contribution {fmt(edge['contribution'])}")
        out.append(f'<g class="edgegroup" id={_attr(edge["id"])}><title>{_x(title)}</title>')
        out.append(f'<path class="edge" d="{_path(path.points)}"/>')
        if path.arrow_end is not None and path.points:
            out.append(f'<polygon class="arrow" points="{_arrow(path.points[-1], path.arrow_end)}"/>')
        if edge["local"] is not None and path.points:
            mx, my = path.points[len(path.points) // 2]
            out.append(f'<text class="local" x="{_n(mx + MARGIN)}" y="{_n(my + MARGIN - 3)}" '
                       f'text-anchor="middle">{_x(fmt(edge["local"]))}</text>')
        out.append("</g>")
    for node in nodes:
        nid = node["id"]
        title = f"{nid} {node['name'] or node['label']}: value {fmt(node['value'])}" + (
            f", grad {fmt(node['grad'])}" if node["grad"] is not None else "")
        for box in drawn.copies.get(nid, (drawn.nodes[nid],)):
            out.extend(_node(box, kinds[nid], node, title))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def dot(ev: Evaluation, settings: Settings) -> str:
    """Graphviz source: the same DOT chainrule lays out, each label followed by the node's
    value (node sizes are fixed, so values never move the drawing)."""
    nodes, edges = layout_items(ev.graph)
    values = ev.forward.values
    labelled = [(nid, f"{label}\n{short(values[i])}", kind) for i, (nid, label, kind) in enumerate(nodes)]
    return to_dot(labelled, edges, fanout_threshold=settings.layout_fanout_threshold)
