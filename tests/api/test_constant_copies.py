"""A constant feeding several operations is drawn once per use (issue 13, defect 3), as the
lecture draws the CS231n neuron's `1` (of `+ 1` and of `1 /`) and the default example's `2` (of
x^2 and 2x): no long crossing edges from one constant node. A drawing matter only: the nodes,
edges, numbers and trace of the answer are those of the graph, with one node per constant.
Against a real server, with real Graphviz."""

from __future__ import annotations

import math

import httpx
import pytest

from drawing.dot import build_dot

NEURON = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
NEURON_AT = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
LECTURE = "(x^2 + 2x) * ln(y)"


def answer(server: str, expression: str, values: dict, layout: bool = True) -> dict:
    r = httpx.post(f"{server}/api/v1/graph", json={"expression": expression, "values": values,
                                                   "layout": layout}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def overlap(a: dict, b: dict) -> bool:
    return (abs(a["x"] - b["x"]) * 2 < a["width"] + b["width"]
            and abs(a["y"] - b["y"]) * 2 < a["height"] + b["height"])


@pytest.mark.parametrize("expression, values, constant, targets", [
    (NEURON, NEURON_AT, "1", {"+", "÷"}), (LECTURE, {"x": 1, "y": 2}, "2", {"^", "×"}),
])
def test_a_shared_constant_is_drawn_once_per_use(server, expression, values, constant, targets):
    body = answer(server, expression, values)
    nodes = {n["id"]: n for n in body["nodes"]}
    (const,) = [i for i, n in nodes.items() if n["kind"] == "const" and n["label"] == constant]
    layout = body["layout"]
    assert layout["status"] == "ok"
    edges = [(e, drawn) for e, drawn in zip(body["edges"], layout["edges"]) if e["source"] == const]
    assert {nodes[e["target"]]["label"] for e, _ in edges} == targets
    # One copy per target, each edge from its own copy: no constant node feeds two targets.
    copies = layout["copies"][const]
    assert len(copies) == len(targets)
    assert sorted(drawn["copy"] for _, drawn in edges) == list(range(len(targets)))
    for node, boxes in layout["copies"].items():
        for k, _ in enumerate(boxes):
            fed = {e["target"] for e, d in zip(body["edges"], layout["edges"])
                   if e["source"] == node and d["copy"] == k}
            assert len(fed) == 1 or nodes[node]["kind"] != "const"
    # Geometry stays sane: inside the drawing, no box over another, each copy next to its target
    # (its edge leaves from that copy's border and is short: one rank, not across the graph).
    boxes = [*(b for i, b in layout["nodes"].items() if i not in layout["copies"]),
             *(b for bs in layout["copies"].values() for b in bs)]
    for b in boxes:
        assert b["width"] / 2 <= b["x"] <= layout["width"] - b["width"] / 2 + 0.01
        assert b["height"] / 2 <= b["y"] <= layout["height"] - b["height"] / 2 + 0.01
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    for e, drawn in edges:
        box, target = copies[drawn["copy"]], layout["nodes"][e["target"]]
        start = drawn["points"][0]
        assert abs(start[0] - box["x"]) <= box["width"] / 2 + 1
        assert abs(start[1] - box["y"]) <= box["height"] / 2 + 1
        assert math.dist((box["x"], box["y"]), (target["x"], target["y"])) < 150  # pt
    # The numbers and the trace are the graph's: the same with and without a layout.
    bare = answer(server, expression, values, layout=False)
    for key in ("value", "gradient", "nodes", "edges", "trace"):
        assert body[key] == bare[key], key


def test_an_input_is_not_copied_below_the_threshold_and_parallel_edges_share_a_copy():
    nodes = [("n0", "x", "input"), ("n1", "2", "const"), ("n2", "×", "op"), ("n3", "^", "op"),
             ("n4", "+", "op"), ("n5", "×", "op")]
    edges = [("n0", "n2", 0), ("n1", "n2", 1), ("n0", "n3", 0), ("n1", "n3", 1), ("n2", "n4", 0),
             ("n3", "n4", 1), ("n1", "n5", 0), ("n1", "n5", 1)]  # 2*2: one copy, two edges
    for threshold in (None, 8):
        dot = build_dot(nodes, edges, fanout_threshold=threshold)
        assert dict(dot.copies) == {"n1": ("n1_c0", "n1_c1", "n1_c2")}
        assert dot.edge_tails == ("n0", "n1_c0", "n0", "n1_c1", "n2", "n3", "n1_c2", "n1_c2")
