"""Throughput and latency of the real server: POST /api/v1/graph on the lecture's example with
the layout cached and uncached (and with layout off), against the trivial JSON endpoint
GET /healthz of the same server, in the same run, with concurrent keep-alive clients.

Run from the repository root: `python benchmarks/api.py [--seconds 5] [--clients 8]`.
It starts `chainrule serve` on a free loopback port (one worker), drives it from this process
with a small asyncio HTTP/1.1 client (light, so the client does not starve the server), and
stops it at the end. Numbers are ratios against /healthz measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "(x^2 + 2x) * ln(y)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    script = Path(sys.executable).with_name("chainrule")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "CHAINRULE_LAYOUT_CACHE_SIZE": "4096"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def post(path: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def _client(port: int, make: Callable[[int], bytes], stop_at: float, counter: list[int],
                  latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            counter[0] += 1
            request = make(counter[0])
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[int] = []
        self.elapsed = 0.0
        self.counter = [0]

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        return {"requests": len(lat), "rps": len(lat) / self.elapsed,
                "p50_ms": statistics.median(lat) * 1e3,
                "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3,
                "errors": len(self.errors)}


async def _run(port: int, make: Callable[[int], bytes], seconds: float, clients: int,
               tally: Tally) -> None:
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(_client(port, make, stop_at, tally.counter, tally.latencies, tally.errors)
                           for _ in range(clients)))
    tally.elapsed += time.perf_counter() - start


def scenarios() -> dict[str, Callable[[int], bytes]]:
    values = {"x": 1, "y": 2}
    cached = post("/api/v1/graph", {"expression": LECTURE, "values": values})
    no_layout = post("/api/v1/graph", {"expression": LECTURE, "values": values, "layout": False})
    health = get("/healthz")
    return {
        "GET /healthz (trivial JSON)": lambda k: health,
        "POST /api/v1/graph, layout cached": lambda k: cached,
        # The same graph with a new constant each time (2.000001, 2.000002, ...): a structure
        # the layout cache has never seen, so Graphviz runs for every request.
        "POST /api/v1/graph, layout uncached": lambda k: post(
            "/api/v1/graph", {"expression": f"(x^2 + 2.{k:06d}x) * ln(y)", "values": values}),
        "POST /api/v1/graph, layout off": lambda k: no_layout,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="the scenarios take turns this many "
                        "times, so that a busy machine affects them alike (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    args = parser.parse_args()
    port = free_port()
    proc = start_server(port, args.workers)
    try:
        runs = scenarios()
        for make in runs.values():  # warm up: Graphviz compiled, lecture layout cached
            asyncio.run(_run(port, make, 0.5, 2, Tally()))
        tallies = {name: Tally() for name in runs}
        for _ in range(args.rounds):
            for name, make in runs.items():
                asyncio.run(_run(port, make, args.seconds / args.rounds, args.clients, tallies[name]))
        results = {name: tally.summary() for name, tally in tallies.items()}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    base = results["GET /healthz (trivial JSON)"]["rps"]
    print(f"chainrule API benchmark: {args.clients} concurrent clients, {args.seconds:g} s per scenario "
          f"in {args.rounds} turns, {args.workers} worker(s), loopback, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'scenario':40} {'req/s':>8} {'vs trivial':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, r in results.items():
        print(f"{name:40} {r['rps']:8.0f} {r['rps'] / base:9.0%} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['errors']:6d}")
    cached = results["POST /api/v1/graph, layout cached"]["rps"] / base
    print(f"target: cached-layout throughput >= 30% of the trivial endpoint's: {cached:.0%} "
          f"({'met' if cached >= 0.30 else 'NOT met'})")


if __name__ == "__main__":
    main()
