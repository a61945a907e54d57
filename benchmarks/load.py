"""Load against a real `chainrule serve` with locust (`pip install -e '.[load]'`), issue 14's two
scenarios:

- `classroom`: students type a lecture-sized function character by character (each keystroke a
  POST /api/v1/graph with its layout; prefixes that do not parse are the expected 422), move a
  value's slider, open the methods panel (/compare, /numeric sweep, /symbolic, /paths,
  /snippet) and now and then draw a 1,000-node graph. Reports p50/p95/p99 per kind, errors other
  than the documented 503s, and the server's memory (RSS of all its processes) before, at the
  end and 60 s after.
- `heavy`: 50 clients sending heavy requests back to back (a 2,989-node graph with layout, a hard
  /symbolic, a /numeric sweep over 100 variables) and one client asking /healthz every 0.1 s:
  the /healthz percentiles, and how the heavy ones were answered (200, 503 overloaded, 422 over
  their CPU budget).
- `idle`: 20,000 connections opened and left idle (from several client processes, each within
  its own file-descriptor limit) while a probe asks /healthz on fresh connections: how many were
  refused at once (503 past `max_connections`), how many the header timeout closed, the server's
  open descriptors at their peak, and whether it still answers afterwards (no exhaustion).

Run from the repository root:

    python benchmarks/load.py classroom [--users 300] [--seconds 300] [--workers 2]
    python benchmarks/load.py heavy [--users 50] [--seconds 60] [--workers 1]
    python benchmarks/load.py idle [--users 20000] [--seconds 30] [--workers 1]

The script starts the server on a free loopback port, runs locust headless in a subprocess
(this file is also its locustfile: the user classes below), and prints the figures. The load
generator runs on the same machine as the server: on 2 cores it takes CPU from the server, so the
figures are pessimistic.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# --- what the simulated people send ---------------------------------------------------------

TYPED = ["(x^2 + 2x) * ln(y)", "sin(x) * cos(y) + x*y", "exp(-x^2) / (1 + y^2)",
         "a = x*y; b = sin(a); b + a^2", "sqrt(x^2 + y^2)", "ln(1 + exp(x*y)) - x",
         "tanh(x + 2y) * x", "x^3 - 3x*y + y^3"]
VALUES = {"x": 1.5, "y": 2.0}
#: A 1,000-node graph (the page's biggest everyday drawing).
BIG_1000 = "+".join(f"sin(x*{k}+y)" for k in range(1, 201))
#: The issue's 2,989-node graph with layout (just under layout_max_nodes).
BIG_2989 = "+".join(f"sin(x*{k}+y)" for k in range(1, 599))
HARD_SYMBOLIC = " * ".join(f"sin(x^{k} + y)" for k in range(1, 13))
SWEEP_100 = "+".join(f"sin(v{i})*v{(i + 1) % 100}" for i in range(100))
SWEEP_VALUES = {f"v{i}": 0.5 + i / 100 for i in range(100)}
DOCUMENTED = {503}  # overloaded: the answer admission control is meant to give


if __name__ != "__main__":  # imported by locust as the locustfile
    from locust import HttpUser, between, constant, task

    def _check(response, ok: tuple[int, ...] = (200,)) -> None:
        if response.status_code in ok:
            response.success()
        elif response.status_code in DOCUMENTED:
            response.failure(f"{response.status_code} overloaded (documented)")
        elif response.status_code == 422 and b"budget_exceeded" in response.content:
            response.failure("422 over its CPU budget (documented)")
        elif response.status_code == 0:  # no answer: the connection failed or was closed
            response.failure(f"no answer: {type(response.error).__name__}: {str(response.error)[:100]}")
        else:
            response.failure(f"{response.status_code} {response.text[:120]}")

    class Student(HttpUser):
        """One student in the lecture: types, looks, moves a slider, opens the panel."""

        wait_time = between(3, 10)

        def _graph(self, name: str, body: dict, ok: tuple[int, ...] = (200,)) -> None:
            with self.client.post("/api/v1/graph", json=body, name=name, catch_response=True) as r:
                _check(r, ok)

        @task(5)
        def type_a_function(self) -> None:
            text = random.choice(TYPED)
            for end in range(1, len(text) + 1):
                if text[end - 1] == " ":
                    continue
                # A prefix that does not parse yet is a 422 with the caret: expected.
                self._graph("graph keystroke", {"expression": text[:end], "values": VALUES},
                            ok=(200, 422))
                time.sleep(random.uniform(0.12, 0.35))  # typing speed (gevent's sleep)

        @task(3)
        def move_a_slider(self) -> None:
            text = random.choice(TYPED)
            for _ in range(5):
                values = {"x": round(random.uniform(0.5, 3), 2), "y": round(random.uniform(0.5, 3), 2)}
                self._graph("graph slider", {"expression": text, "values": values})
                time.sleep(random.uniform(0.1, 0.3))

        @task(2)
        def open_the_methods_panel(self) -> None:
            body = {"expression": random.choice(TYPED[:3] + TYPED[4:]), "values": VALUES}
            for path, extra in (("/api/v1/compare", {}), ("/api/v1/symbolic", {}),
                                ("/api/v1/numeric", {"sweep": True}),
                                ("/api/v1/paths", {"variable": "x"}), ("/api/v1/snippet", {})):
                with self.client.post(path, json={**body, **extra}, name=path,
                                      catch_response=True) as r:
                    _check(r)

        @task(1)
        def draw_a_big_graph(self) -> None:
            if random.random() < 0.25:
                self._graph("graph 1,000 nodes", {"expression": BIG_1000, "values": VALUES})

    class HeavyClient(HttpUser):
        """Heavy requests back to back; after a 503, it waits what Retry-After says."""

        wait_time = constant(0)

        def _heavy(self, path: str, body: dict, name: str) -> None:
            with self.client.post(path, json=body, name=name, catch_response=True) as r:
                _check(r)
                if r.status_code == 503:
                    time.sleep(float(r.headers.get("Retry-After", 1)))

        @task
        def big_graph(self) -> None:
            # A new structure each time (the last constant varies): the layout is never cached.
            body = {"expression": f"{BIG_2989}+{random.randint(1, 10**6)}*y", "values": VALUES}
            self._heavy("/api/v1/graph", body, "heavy graph 2,989 nodes")

        @task
        def hard_symbolic(self) -> None:
            self._heavy("/api/v1/symbolic", {"expression": HARD_SYMBOLIC, "values": {"x": 0.5, "y": 0.25}},
                        "heavy symbolic")

        @task
        def sweep(self) -> None:
            self._heavy("/api/v1/numeric", {"expression": SWEEP_100, "values": SWEEP_VALUES, "sweep": True},
                        "heavy numeric sweep")

    class HealthProbe(HttpUser):
        """What a load balancer does: /healthz every 0.1 s."""

        fixed_count = 1
        wait_time = constant(0.1)

        @task
        def healthz(self) -> None:
            with self.client.get("/healthz", name="healthz", catch_response=True) as r:
                _check(r)


# --- the runner -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mib(pid: int) -> float:
    return sum(tree_rss_by_process(pid).values())


def tree_rss_by_process(pid: int) -> dict[str, float]:
    """RSS in MiB of the server and each process under it, keyed by what it is and its pid."""
    import psutil

    root = psutil.Process(pid)
    found = {}
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            # With --workers the server's children are its web workers (uvicorn's), and theirs
            # the SymPy pool's processes; with one worker the server is the web worker.
            what = ("server" if p.pid == pid else "web worker" if p.ppid() == pid
                    else "sympy/helper process")
            found[f"{what} {p.pid}"] = p.memory_info().rss / 2**20
    return found


def start_server(port: int, workers: int, tree: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(tree)})
    assert proc.stdout is not None
    for line in proc.stdout:
        if f"127.0.0.1:{port}" in line:
            break
    else:
        raise SystemExit("chainrule serve did not start")
    while True:  # an older tree printed its address before it listened
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
            return proc
        time.sleep(0.1)


def read_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    with open(f"{prefix}_stats.csv") as f:
        stats = list(csv.DictReader(f))
    with open(f"{prefix}_failures.csv") as f:
        failures = list(csv.DictReader(f))
    return stats, failures


def _hold_idle(port: int, count: int, seconds: float, out: multiprocessing.Queue) -> None:
    """One client process: open `count` connections, send nothing, and after `seconds` say how
    each ended: refused at connect, answered at once (the 503 past the cap), closed by the
    server (the header timeout) or still open."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held, tally = [], {"refused": 0, "answered 503": 0, "closed by the server": 0, "still open": 0}
    for _ in range(count):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        except OSError:
            tally["refused"] += 1
    time.sleep(seconds)
    for s in held:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            tally["answered 503" if data.startswith(b"HTTP/1.1 503") else "closed by the server"] += 1
        except BlockingIOError:
            tally["still open"] += 1
        except OSError:
            tally["closed by the server"] += 1
        s.close()
    out.put(tally)


def idle(args: argparse.Namespace) -> None:
    """The idle-connection flood (see the module's docstring)."""
    import httpx
    import psutil

    total, seconds, workers = args.users or 20_000, args.seconds or 30, args.workers or 1
    per_process = 5_000  # well inside a client process's own descriptor limit
    port = free_port()
    server = start_server(port, workers, args.tree.resolve())
    tree = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    probes: list[tuple[float, int]] = []
    peak_fds = 0
    try:
        queue: multiprocessing.Queue = multiprocessing.Queue()
        clients = [multiprocessing.Process(target=_hold_idle, args=(port, min(per_process, total - k),
                                                                     seconds, queue))
                   for k in range(0, total, per_process)]
        for c in clients:
            c.start()
        end = time.monotonic() + seconds + 5
        while time.monotonic() < end:
            peak_fds = max(peak_fds, sum(p.num_fds() for p in tree if p.is_running()))
            t0 = time.perf_counter()
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
            except httpx.HTTPError:
                status = 0
            probes.append((time.perf_counter() - t0, status))
            time.sleep(0.5)
        tallies = [queue.get(timeout=120) for _ in clients]
        for c in clients:
            c.join(30)
        time.sleep(2)
        after = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(30)
    tally = {k: sum(t[k] for t in tallies) for k in tallies[0]}
    codes = sorted({s for _, s in probes})
    p99 = sorted(d for d, _ in probes)[int(0.99 * (len(probes) - 1))] * 1000
    print(f"idle: {total:,} connections held {seconds} s, {workers} worker(s), load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in tally.items()))
    print(f"  server descriptors at their peak: {peak_fds:,}; /healthz during the flood: "
          f"{len(probes)} probes, statuses {codes}, p99 {p99:.0f} ms; after: {after}; "
          f"server alive: {alive}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", choices=["classroom", "heavy", "idle"])
    ap.add_argument("--users", type=int)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--after", type=int, default=60, help="seconds to wait before the last RSS")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout to serve (a before/after)")
    args = ap.parse_args()
    if args.scenario == "idle":
        return idle(args)
    classroom = args.scenario == "classroom"
    users = args.users or (300 if classroom else 50)
    seconds = args.seconds or (300 if classroom else 60)
    workers = args.workers or (2 if classroom else 1)
    classes = ["Student"] if classroom else ["HeavyClient", "HealthProbe"]
    users += 0 if classroom else 1  # the probe

    port = free_port()
    server = start_server(port, workers, args.tree.resolve())
    out = ROOT / "test-artifacts" / f"load-{args.scenario}-w{workers}"
    out.parent.mkdir(exist_ok=True)
    try:
        by0 = tree_rss_by_process(server.pid)
        rss0 = sum(by0.values())
        cmd = [sys.executable, "-m", "locust", "-f", str(Path(__file__).resolve()), "--headless",
               "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s",
               "--host", f"http://127.0.0.1:{port}", "--csv", str(out), "--only-summary",
               "--stop-timeout", "30", "--exit-code-on-error", "0", *classes]
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss_end = tree_rss_mib(server.pid)
        time.sleep(args.after)
        by_after = tree_rss_by_process(server.pid)
        rss_after = sum(by_after.values())
    finally:
        server.terminate()
        server.wait(30)
    stats, failures = read_stats(out)
    print(f"{args.scenario}: {users} users, {seconds} s, {workers} worker(s), tree {args.tree}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'request':28s} {'count':>7s} {'fail':>6s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s}  (ms)")
    for row in stats:
        print(f"{row['Name']:28s} {row['Request Count']:>7s} {row['Failure Count']:>6s} "
              f"{row['50%']:>7s} {row['95%']:>7s} {row['99%']:>7s} {float(row['Max Response Time']):7.0f}")
    documented = sum(int(f["Occurrences"]) for f in failures if "(documented)" in f["Error"])
    other = [f for f in failures if "(documented)" not in f["Error"]]
    print(f"documented answers (503 overloaded, 422 over budget): {documented}")
    for f in failures:
        print(f"  {f['Name']}: {f['Error'][:100]} × {f['Occurrences']}")
    print(f"other errors: {sum(int(f['Occurrences']) for f in other)}")
    print(f"server RSS: {rss0:.0f} MiB before, {rss_end:.0f} MiB at the end, {rss_after:.0f} MiB "
          f"{args.after} s after ({(rss_after / rss0 - 1) * 100:+.0f}%)")
    for key in sorted(by0.keys() | by_after.keys()):
        print(f"  {key:32s} {by0.get(key, 0):7.0f} MiB before, {by_after.get(key, 0):7.0f} MiB after")


if __name__ == "__main__":
    main()
