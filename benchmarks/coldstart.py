"""Cold start (issue 12, item 5): how long `chainrule serve` takes to print its address, and the
first POST /api/v1/graph (with a layout never seen), the first layout-only change and the first
POST /api/v1/symbolic after that, against the tenth of each, in the same server.

Run from the repository root: `python benchmarks/coldstart.py [--starts 3] [--tree DIR ...]`.
Each start is a fresh `chainrule serve` (one worker) on a free port; requests are timed from the
moment the address is printed. `--tree DIR ...` runs each checkout's code with this interpreter
(e.g. a `git archive` of an older revision beside this one), alternating start by start, for a
before/after in the same conditions. Figures are medians over the starts; "tenth" is the median
of requests 2..10 of each kind. The load average is printed: on a shared machine start-up time
is mostly waiting for a CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LECTURE = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict) -> tuple[float, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        data = json.loads(r.read())
    return time.perf_counter() - t, data


def one_start(tree: Path) -> dict:
    port = free_port()
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the address line
            if f"127.0.0.1:{port}" in line:
                break
        printed = time.perf_counter() - t0
        while True:  # an older tree printed before listening: wait until it answers at all
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)
        listening = time.perf_counter() - t0
        graph, layout, symbolic = [], [], []
        for k in range(1, 11):
            # A new structure each time, so that each is laid out anew: k more terms (layouts are
            # cached by structure, constants' labels left out: a new constant alone is cached).
            body = {"expression": "sin(x*2) + (x^2 + 2x) * ln(y) - exp(-x) / y" + " + x*y" * k,
                    "values": {"x": 1.5, "y": 2.0}}
            graph.append(post(url + "/api/v1/graph", body)[0])
            body = {"expression": "tanh(x*y + 1) * ln(y + 2)" + " - y/x" * k, "values": {"x": 1, "y": 2}}
            layout.append(post(url + "/api/v1/graph", body)[0])
            seconds, answer = post(url + "/api/v1/symbolic", LECTURE)
            symbolic.append((seconds, answer["status"]))
        return {"printed": printed, "listening": listening, "graph": graph, "layout": layout,
                "symbolic": [s for s, _ in symbolic], "symbolic_status": [s for _, s in symbolic]}
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--tree", type=Path, nargs="+", default=[ROOT], help="checkouts to serve")
    args = ap.parse_args()
    trees = [t.resolve() for t in args.tree]
    runs: dict[Path, list[dict]] = {t: [] for t in trees}
    for _ in range(args.starts):
        for tree in trees:
            runs[tree].append(one_start(tree))
    med = statistics.median
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end, {os.cpu_count()} CPUs")
    for tree, rs in runs.items():
        print(f"tree {tree}, {args.starts} starts, medians")
        print(f"  address printed after    {med(r['printed'] for r in rs):7.2f} s")
        print(f"  answering after          {med(r['listening'] for r in rs):7.2f} s")
        for kind in ("graph", "layout", "symbolic"):
            first = med(r[kind][0] for r in rs) * 1e3
            tenth = med(med(r[kind][1:]) for r in rs) * 1e3
            print(f"  {kind:9s} first {first:8.1f} ms   tenth {tenth:8.1f} ms   "
                  f"first/tenth {first / tenth:5.2f}")
        print(f"  first symbolic status per start: {[r['symbolic_status'][0] for r in rs]}")


if __name__ == "__main__":
    main()
