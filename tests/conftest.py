"""Shared helpers: SymPy as the oracle and graph comparisons for the engine tests; a real
`chainrule serve` and a headless Chromium for the browser tests (test_page*.py, test_train_page.py).

SymPy is evaluated at a point by replacing each symbol with a 40-digit Float and asking
for 30 digits, which is exact enough to judge float64 results to 1e-9 (or 1e-12).
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sympy as sp

from engine import Graph


def sympy_at(expr: sp.Expr, point: dict[str, float], digits: int = 30) -> float | None:
    """The real value of `expr` at `point` as a float, or None where SymPy finds it complex,
    infinite, undefined or cannot evaluate it."""
    subs = {s: sp.Float(point[s.name], 40) for s in expr.free_symbols}
    try:
        value = expr.xreplace(subs).evalf(digits)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if value.is_real is not True or value.is_finite is not True:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def structures(graphs: list[Graph], nodes: list[int]) -> list[int]:
    """Canonical ids for the structure under each (graph, node), from one shared table: equal
    ids mean the same expression DAG (op names, argument order, variable names, constants
    including the sign of zero), whatever the node numbering."""
    table: dict[tuple, int] = {}
    out = []
    for graph, node in zip(graphs, nodes):
        ids: list[int] = []
        for i in range(len(graph)):
            op = graph.ops[i]
            if op is None:
                leaf = graph.leaf[i]
                key: tuple = ("var", leaf) if isinstance(leaf, str) else ("const", repr(leaf))
            else:
                key = (op.name, *(ids[s] for s in graph.inputs[i]))
            ids.append(table.setdefault(key, len(table)))
        out.append(ids[node])
    return out


def same_structure(a: Graph, b: Graph) -> bool:
    """The outputs of `a` and `b` are the same expression DAG, whatever the numbering."""
    sa, sb = structures([a, b], [a.output, b.output])
    return sa == sb


def same_graph(a: Graph, b: Graph) -> bool:
    """Identical node by node: same numbering, ops, inputs, leaves (sign of zero included),
    names and output."""
    return (len(a) == len(b)
            and [op.name if op else None for op in a.ops] == [op.name if op else None for op in b.ops]
            and a.inputs == b.inputs
            and [repr(v) for v in a.leaf] == [repr(v) for v in b.leaf]
            and a.names == b.names
            and a.output == b.output)


def close(actual: float, expected: float, rel: float, scale: float = 0.0) -> bool:
    """|actual - expected| <= rel * max(|expected|, scale)."""
    return abs(actual - expected) <= rel * max(abs(expected), scale)


ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# --- the server and the browser -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("chainrule")
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "app.cli", *args]


@contextmanager
def launched(log: Path, env: dict[str, str] | None = None, command: list[str] | None = None,
             port: int | None = None, cwd: Path = ROOT) -> Iterator[str]:
    """`chainrule serve` (or `command`, listening on `port`) on a free port, its output in `log`,
    with `env` added to the environment (CHAINRULE_* settings); yields its URL once /healthz
    answers, and stops it afterwards."""
    if command is None:
        port = free_port()
        command = serve_command(port)
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # warm-up runs before it listens; CI is busy
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def running_server(tmp_path_factory, env: dict[str, str] | None = None) -> Iterator[str]:
    """`chainrule serve` with these environment variables; yields its URL (a module fixture's body)."""
    with launched(tmp_path_factory.mktemp("page-server") / "serve.log", env=env) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with launched(tmp_path_factory.mktemp("page-server") / "serve.log") as url:
        # Graphviz compiles on first use; do it before any test's clock starts.
        httpx.post(f"{url}/api/v1/graph", json={"expression": "x", "values": {"x": 1}}, timeout=30)
        yield url


def chromium_path() -> str | None:
    explicit = os.environ.get("CHAINRULE_CHROMIUM")
    if explicit:
        return explicit
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser():
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


#: The slow lane: every browser test (tests/page/), schemathesis, the property tests, the
#: reliability floods and the recorded bytes.
SLOW_MODULES = ("test_schemathesis", "test_properties", "test_reliability", "test_graph_bytes")
PAGE = Path(__file__).resolve().parent / "page"


def pytest_collection_modifyitems(config, items):
    """`pytest -m "not slow"` is the fast lane (engine and API); the whole suite is the default."""
    for item in items:
        if item.module.__name__.startswith(SLOW_MODULES) or PAGE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)
