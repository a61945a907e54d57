"""A server that sheds load instead of stalling (issue 14 part B), each against a real
`chainrule serve` started with its own settings: heavy requests admitted up to a number in flight
(then 503 with Retry-After), CPU-time budgets that name themselves, work that stops when its
client leaves, slow clients timed out and connections capped, SymPy workers replaced before they
are needed, and a server that is warm before it says so.

Requests are held in flight by a mechanism the tests control: a numeric sweep that would run for
hours (a 200-step sweep over 1,000 variables under 5,000 negations) sent on a raw socket, released
by closing that socket. No test asserts elapsed time: deadlines below are generous bounds on
waiting for something that must happen, never a measure of speed."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port, serve_command
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
START_S = 300  # a generous bound on start-up (warm-up included) on a loaded machine
WAIT_S = 120  # likewise for anything a test waits to happen

# 1,000 variables under 5,000 negations (9,891 characters): a 200-step sweep is 1.2 million
# forward passes of 7,000 nodes, hours of work unless something stops it.
N = 1000
ENDLESS_EXPRESSION = "-" * 5000 + "(" + "+".join(f"x{i}" for i in range(N)) + ")"
ENDLESS_VALUES = {f"x{i}": 1.0 + i / N for i in range(N)}
ENDLESS_SWEEP = {"expression": ENDLESS_EXPRESSION, "values": ENDLESS_VALUES, "sweep": True,
                 "steps": {"largest": 0.1, "smallest": 1e-13, "count": 200}}
LECTURE = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}


class Server:
    def __init__(self, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.port, self.proc, self.log = port, proc, log
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self) -> dict:
        return httpx.get(self.url + "/readyz", timeout=30).json()

    def wait_for(self, what: str, check, timeout: float = WAIT_S) -> dict:
        """Poll /readyz until check(body) holds; fail naming `what` after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.ready()
            if check(body):
                return body
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not happen within {timeout} s; /readyz says {body}")
            time.sleep(0.05)

    def held(self, payload: dict, path: str = "/api/v1/numeric") -> socket.socket:
        """Send a request on a raw socket and leave it open: it stays in flight until closed."""
        body = json.dumps(payload).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        return sock

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=WAIT_S)


@contextlib.contextmanager
def started(tmp_path: Path, *args: str, **settings: object) -> Iterator[Server]:
    """`chainrule serve` with `args` and CHAINRULE_<NAME> settings, once it has printed its
    address."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           **{f"CHAINRULE_{k.upper()}": str(v) for k, v in settings.items()}}
    with log.open("wb") as out:
        proc = subprocess.Popen([*serve_command(port), *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + START_S
        while f"127.0.0.1:{port}" not in server.output():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chainrule serve did not start:\n{server.output()}")
            time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed the connection (fails if it never does)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        except TimeoutError:
            pytest.fail(f"the server kept the connection open for {WAIT_S} s (got {data[:200]!r})")
        if not chunk:
            return data
        data += chunk


# --- admission control, CPU-time budgets, cancellation --------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two heavy requests at most; a numeric budget big enough that held sweeps never end on
    their own; tiny /compare, /check and /train budgets."""
    with started(tmp_path_factory.mktemp("small"), max_heavy_requests=2, retry_after_s=7,
                 numeric_cpu_s=1e6, compare_cpu_s=0.05, check_cpu_s=0.05,
                 train_cpu_s=0.05) as server:
        yield server


def test_past_the_cap_heavy_requests_get_503_at_once_and_light_ones_still_answer(small):
    held = [small.held(ENDLESS_SWEEP), small.held(ENDLESS_SWEEP)]
    try:
        small.wait_for("two sweeps in flight", lambda b: b["heavy"]["in_flight"] == 2)
        with httpx.Client(base_url=small.url, timeout=WAIT_S) as http:
            for path, payload in (("/api/v1/graph", LECTURE), ("/api/v1/symbolic", LECTURE),
                                  ("/api/v1/numeric", LECTURE), ("/api/v1/compare", LECTURE),
                                  ("/api/v1/paths", {**LECTURE, "variable": "x"}),
                                  ("/api/v1/check", {**LECTURE, "variable": "x", "derivative": "x"}),
                                  ("/api/v1/train", {"steps": 5})):
                r = http.post(path, json=payload)
                assert r.status_code == 503, path
                assert r.headers["retry-after"] == "7"
                detail = r.json()["detail"]
                assert detail["code"] == "overloaded" and detail["limit"] == "max_heavy_requests"
                assert detail["maximum"] == 2 and detail["actual"] == 3
                assert {"message", "line", "column", "text"} <= detail.keys()
            assert http.get("/api/v1/graph.svg", params={"expression": "x*y", "x": 1, "y": 2}
                            ).status_code == 503
            # Light requests are not counted: no layout, parse, snippet, the docs, the probes.
            r = http.post("/api/v1/graph", json={**LECTURE, "layout": False})
            assert r.status_code == 200 and r.json()["gradient"]["y"] == 1.5
            assert http.post("/api/v1/parse", json={"expression": "x*y"}).json()["variables"] == ["x", "y"]
            assert http.post("/api/v1/snippet", json=LECTURE).status_code == 200
            assert http.get("/healthz").json()["status"] == "ok"
            ready = http.get("/readyz").json()
            assert ready["heavy"]["in_flight"] == 2 and ready["heavy"]["refused"] >= 8
    finally:
        for sock in held:
            sock.close()
    # The sweeps stop when their clients leave (else they would hold the slots for hours) ...
    small.wait_for("the abandoned sweeps to stop", lambda b: b["heavy"]["in_flight"] == 0)
    # ... and heavy requests are admitted again.
    r = httpx.post(small.url + "/api/v1/graph", json=LECTURE, timeout=WAIT_S)
    assert r.status_code == 200 and r.json()["layout"]["status"] == "ok"


def test_a_request_over_its_cpu_budget_is_stopped_with_a_422_naming_it(small):
    body = {"expression": ENDLESS_EXPRESSION, "values": ENDLESS_VALUES}
    for path, limit, extra in (("/api/v1/compare", "compare_cpu_s", {}),
                               ("/api/v1/check", "check_cpu_s",
                                {"variable": "x0", "derivative": "ln(-1 - x0^2)"})):
        r = httpx.post(small.url + path, json={**body, **extra}, timeout=WAIT_S)
        assert r.status_code == 422, (path, r.text[:300])
        detail = r.json()["detail"]
        assert detail["code"] == "budget_exceeded" and detail["limit"] == limit
        assert detail["maximum"] == 0.05 and detail["actual"] > 0.05
        assert limit in detail["message"]
    assert small.ready()["heavy"]["in_flight"] == 0
    # The lecture's example is well within the budgets.
    r = httpx.post(small.url + "/api/v1/compare", json=LECTURE, timeout=WAIT_S)
    assert r.status_code == 200 and [row["variable"] for row in r.json()["rows"]] == ["x", "y"]


def test_a_training_run_over_its_budget_is_stopped_streamed_or_not(small):
    run = {"steps": 20_000, "lr": 0.01}  # 20,000 steps × 300 points: seconds of CPU
    r = httpx.post(small.url + "/api/v1/train", json=run, timeout=WAIT_S)
    assert r.status_code == 422
    assert (r.json()["detail"]["code"], r.json()["detail"]["limit"]) == ("budget_exceeded", "train_cpu_s")
    r = httpx.post(small.url + "/api/v1/train", json={**run, "stream": True}, timeout=WAIT_S)
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert r.status_code == 200 and lines[0]["event"] == "start"
    assert lines[-1]["event"] == "error" and lines[-1]["detail"]["limit"] == "train_cpu_s"
    assert all(line["event"] != "result" for line in lines)
    small.wait_for("the stream's slot to be freed", lambda b: b["heavy"]["in_flight"] == 0)


def test_a_numeric_sweep_over_its_budget_is_stopped(tmp_path):
    with started(tmp_path, numeric_cpu_s=0.5) as server:
        r = httpx.post(server.url + "/api/v1/numeric", json=ENDLESS_SWEEP, timeout=WAIT_S)
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert (detail["code"], detail["limit"], detail["maximum"]) == ("budget_exceeded",
                                                                        "numeric_cpu_s", 0.5)
        assert server.ready()["heavy"]["in_flight"] == 0
        r = httpx.post(server.url + "/api/v1/numeric", json={**LECTURE, "sweep": True}, timeout=WAIT_S)
        assert r.status_code == 200 and len(r.json()["sweep"]) == 6


def test_a_symbolic_job_is_abandoned_and_its_worker_replaced_when_the_request_stops():
    """symbolic_derivatives calls its checkpoint while it waits on SymPy; when that raises (the
    client left, or the CPU budget ran out), the worker holding the job is killed and replaced."""
    from engine import parse
    from symbolic_pool import POOL, symbolic_derivatives

    class Stop(Exception):
        pass

    def stop() -> None:
        raise Stop

    assert POOL.warm()
    graph = parse("(x^2 + 2x) * ln(y)").graph
    before = POOL.status()["replaced"]
    with pytest.raises(Stop):
        symbolic_derivatives(graph, {"x": 1, "y": 2}, [0.0] * len(graph), 10.0, checkpoint=stop)
    deadline = time.monotonic() + WAIT_S
    while not (POOL.status()["replaced"] == before + 1 and POOL.status()["idle"] == POOL.size):
        assert time.monotonic() < deadline, POOL.status()
        time.sleep(0.05)
    result = symbolic_derivatives(graph, {"x": 1, "y": 2}, [0.0] * len(graph), 10.0)
    assert result.status == "ok" and result.derivatives["y"].value == pytest.approx(1.5)


# --- the probes ---------------------------------------------------------------------------

def test_probes_and_parse_do_not_run_on_the_wrong_side_of_the_event_loop():
    from app.routes import health, parse

    # The probes answer from the event loop (a coroutine: never the threadpool) ...
    assert inspect.iscoroutinefunction(health.healthz)
    assert inspect.iscoroutinefunction(health.readyz)
    # ... and parsing 10,000 characters is CPU work: a plain def, which FastAPI sends to its
    # threadpool.
    assert not inspect.iscoroutinefunction(parse.parse_expression)


def test_readyz_is_503_until_warm_up_is_done():
    app = create_app(Settings(layout_warm_up=False, symbolic_warm_up=False))
    cold = TestClient(app)  # no `with`: the lifespan (the warm-up) has not run
    r = cold.get("/readyz")
    assert r.status_code == 503 and r.json()["detail"]["code"] == "not_ready"
    assert r.headers["retry-after"] == "1"
    assert cold.get("/healthz").status_code == 200  # alive all the same
    with TestClient(app) as warm:
        body = warm.get("/readyz").json()
        assert body["status"] == "ready" and body["heavy"] == {"in_flight": 0, "capacity": 16,
                                                               "refused": 0, "running": 0}


# --- slow clients -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    with started(tmp_path_factory.mktemp("strict"), header_timeout_s=1, body_timeout_s=1,
                 keep_alive_s=1) as server:
        yield server


def test_a_connection_that_sends_nothing_is_closed(strict):
    with strict.connect() as sock:
        data = closed_by_server(sock)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_a_head_sent_a_byte_at_a_time_is_cut_off(strict):
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 10_000
    with strict.connect() as sock:
        sent = 0
        try:
            while sent < len(head):  # 0.05 s a byte: 500 s for the whole head, if allowed
                sock.send(head[sent:sent + 1])
                sent += 1
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = closed_by_server(sock)
    assert sent < len(head)
    assert data == b"" or data.startswith(b"HTTP/1.1 408 ")


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_that_stalls_is_cut_off(strict, chunked):
    framing = b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"exp" if chunked else \
        b"Content-Length: 100\r\n\r\n{\"exp"
    with strict.connect() as sock:
        sock.sendall(b"POST /api/v1/parse HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     + framing)
        closed_by_server(sock)
    assert httpx.get(strict.url + "/healthz", timeout=WAIT_S).status_code == 200


def test_an_idle_keep_alive_connection_is_closed(strict):
    with strict.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        data = closed_by_server(sock)
    assert data.startswith(b"HTTP/1.1 200 ") and b'"status":"ok"' in data


def test_a_kept_alive_connection_gets_no_408_between_requests(tmp_path):
    # The head's deadline (1 s) is for a request under way: an idle kept-alive connection is
    # uvicorn's to close (60 s here), and a 408 written to it could cross the next request.
    with started(tmp_path, header_timeout_s=1, keep_alive_s=60) as server, server.connect() as sock:
        request = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        for _ in range(2):
            sock.sendall(request)
            head = b""
            while b'"status":"ok"' not in head:
                chunk = sock.recv(65536)
                assert chunk, f"closed after {head[:200]!r}"
                head += chunk
            assert head.startswith(b"HTTP/1.1 200 ")
            time.sleep(2.5)  # past the head's deadline, idle


def test_past_the_cap_a_new_connection_takes_an_idle_kept_alive_ones_place(tmp_path):
    with started(tmp_path, max_connections=2, header_timeout_s=600, keep_alive_s=600) as server:
        kept = server.connect()
        waiting = server.connect()  # opened, no request yet: not idle, it is owed a request
        try:
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = b""
            while b'"status":"ok"' not in answer:
                answer += kept.recv(65536)
            with server.connect() as new:  # the third: the kept-alive idle one makes room
                new.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                data = closed_by_server(new)
            assert data.startswith(b"HTTP/1.1 200 ")
            assert closed_by_server(kept) == b""  # closed without a word: it was idle
            # (With none idle, the cap refuses: test_connections_past_the_cap_are_refused_at_once.)
        finally:
            kept.close()
            waiting.close()


def test_connections_past_the_cap_are_refused_at_once(tmp_path):
    with started(tmp_path, max_connections=3, header_timeout_s=600, retry_after_s=3) as server:
        held = [server.connect() for _ in range(3)]
        try:
            with server.connect() as extra:
                data = closed_by_server(extra)
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503 ") and b"retry-after: 3" in head.lower()
            detail = json.loads(body)["detail"]
            assert detail["code"] == "too_many_connections" and detail["maximum"] == 3
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + WAIT_S
        while True:  # the held connections' slots come back once they are closed
            try:
                if httpx.get(server.url + "/healthz", timeout=WAIT_S).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.05)


# --- SymPy workers and warm-up ---------------------------------------------------------------

def children(pid: int, running: bytes) -> list[int]:
    """Live child processes of `pid` whose command line contains `running`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            state, ppid = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z" and running in proc.joinpath("cmdline").read_bytes():
                pids.append(int(proc.name))
    return pids


def worker_pids(server: Server) -> list[int]:
    """The server's SymPy worker processes."""
    return children(server.proc.pid, b"symbolic_pool.worker")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers through /proc (Linux)")
def test_first_symbolic_answer_is_complete_and_a_dead_idle_worker_costs_nothing(tmp_path):
    with started(tmp_path) as server:
        # Warm before the address was printed: the first answer is complete, not partial.
        body = server.ready()
        assert body["symbolic"]["idle"] == 2 and set(body["warm_up_s"]) == {"graphviz", "graph",
                                                                            "symbolic"}
        r = httpx.post(server.url + "/api/v1/symbolic", json={**LECTURE, "budget_s": 10},
                       timeout=WAIT_S).json()
        assert r["status"] == "ok" and r["reason"] is None
        assert r["derivatives"]["y"]["value"] == pytest.approx(1.5)
        assert r["derivatives"]["x"]["simplified"] is not None

        # A worker dies while idle: the next request still gets its whole answer ...
        victim = worker_pids(server)[0]
        os.kill(victim, signal.SIGKILL)
        r = httpx.post(server.url + "/api/v1/symbolic", json={**LECTURE, "budget_s": 10},
                       timeout=WAIT_S).json()
        assert r["status"] == "ok" and r["derivatives"]["x"]["value"] == pytest.approx(4 * 0.6931471805599453)
        # ... and it is replaced without being asked for.
        body = server.wait_for("the dead worker's replacement",
                               lambda b: b["symbolic"]["idle"] == 2 and b["symbolic"]["replaced"] >= 1)
        assert victim not in worker_pids(server) and len(worker_pids(server)) == 2


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers through /proc (Linux)")
def test_a_killed_server_worker_is_replaced(tmp_path):
    with started(tmp_path, "--workers", "2") as server:
        workers = children(server.proc.pid, b"spawn_main")
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + START_S
        while True:  # the other worker answers meanwhile; the supervisor starts a new one
            assert httpx.post(server.url + "/api/v1/graph", json=LECTURE, timeout=WAIT_S
                              ).json()["gradient"]["y"] == 1.5
            now = children(server.proc.pid, b"spawn_main")
            if len(now) == 2 and workers[0] not in now:
                break
            assert time.monotonic() < deadline, now
            time.sleep(0.2)
