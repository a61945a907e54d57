"""Benchmark of the Graphviz layout (drawing/): first-call and cached cost, a chain of
100/1000/3000 nodes, and a sum of 50/200/600 x*y terms with and without fan-out copies.
Run from the repository root: `python benchmarks/layout.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Importable without installing the project.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drawing import LayoutCache, LayoutSkipped, build_dot, layout, run_graphviz, warm_up

Graph = tuple[list[tuple[str, str, str]], list[tuple[str, str, int]]]


def chain(n: int) -> Graph:
    nodes = [("n0", "x", "input")] + [(f"n{i}", "sin", "op") for i in range(1, n)]
    return nodes, [(f"n{i - 1}", f"n{i}", 0) for i in range(1, n)]


def fanout_sum(terms: int) -> Graph:
    """x*y + x*y + ..., left-associated: x and y each feed every product."""
    nodes = [("n0", "x", "input"), ("n1", "y", "input")]
    edges: list[tuple[str, str, int]] = []
    total = None
    for _ in range(terms):
        prod = f"n{len(nodes)}"
        nodes.append((prod, "×", "op"))
        edges += [("n0", prod, 0), ("n1", prod, 1)]
        if total is not None:
            add = f"n{len(nodes)}"
            nodes.append((add, "+", "op"))
            edges += [(total, add, 0), (prod, add, 1)]
            prod = add
        total = prod
    return nodes, edges


def pinned_copies(graph: Graph) -> Callable[[], object]:
    """The copy trick done naively, for comparison: every copy of an input pinned to
    the leftmost rank (drawing.dot pins only the first). Graphviz time only."""
    source = build_dot(*graph).source
    copies = sorted(set(re.findall(r"\bn[01]_c\d+\b", source)))
    source = source.replace("{rank=source;", "{rank=source; " + " ".join(f"{c};" for c in copies))
    return lambda: run_graphviz(source, timeout_s=30)


def measure(fn: Callable[[], object], repeat: int) -> tuple[str, str]:
    """Median seconds over `repeat` runs (layout() is not cached), or why not."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            fn()
        except LayoutSkipped as exc:
            return "-", f"skipped ({exc.limit}) after {time.perf_counter() - start:.2f} s"
        times.append(time.perf_counter() - start)
    return f"{statistics.median(times) * 1e3:9.1f}", "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (median)")
    args = parser.parse_args()

    start = time.perf_counter()
    compile_s = warm_up()
    print(
        f"first call: compiling graphviz.wasm took {compile_s * 1e3:.0f} ms "
        f"(import + compile {time.perf_counter() - start:.2f} s)"
    )
    for name, graph in (("3-term sum", fanout_sum(2)), ("chain of 3000", chain(3000))):
        cache = LayoutCache()
        cache.layout(*graph)
        warm = []
        for _ in range(200):
            t = time.perf_counter()
            cache.layout(*graph)
            warm.append(time.perf_counter() - t)
        print(f"cached call, {name} (validation and key hashing): {statistics.median(warm) * 1e3:.3f} ms")
    print()

    rows: list[tuple[str, int, int, str, str, str]] = []
    for n in (100, 1000, 3000):
        graph = chain(n)
        ms, note = measure(lambda g=graph: layout(*g), args.repeat)
        rows.append((f"chain {n}", len(graph[0]), len(graph[1]), "-", ms, note))
    for terms in (50, 200, 600):
        graph = fanout_sum(terms)
        size = (len(graph[0]), len(graph[1]))
        variants: list[tuple[str, Callable[[], object]]] = [
            ("none", lambda g=graph: layout(*g, fanout_threshold=None, timeout_s=30)),
            ("8, first pinned", lambda g=graph: layout(*g, fanout_threshold=8)),
            ("1, first pinned", lambda g=graph: layout(*g, fanout_threshold=1)),
            ("8, all pinned", pinned_copies(graph)),
        ]
        for name, fn in variants:
            ms, note = measure(fn, args.repeat if terms < 600 else max(1, args.repeat // 2))
            rows.append((f"sum of {terms} x*y", *size, name, ms, note))

    header = ("graph", "nodes", "edges", "copies", "median ms", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(6)]
    for row in [header, *rows]:
        print(
            "  ".join(
                str(c).rjust(w) if i in (1, 2, 4) else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths))
            ).rstrip()
        )
    print("\n'all pinned' times Graphviz alone; the other rows are a full uncached layout()")


if __name__ == "__main__":
    main()
