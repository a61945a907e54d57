"""Against a real server: `chainrule serve` started on a free loopback port in a subprocess,
waited for on /healthz and stopped at the end. HTTP as a browser or script sends it, plus raw
sockets for bodies that are too large (declared, and streamed in chunks)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import free_port, serve_command

ROOT = Path(__file__).resolve().parents[2]
MAX_BODY = 64 * 1024
NAMED = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"


class Server:
    def __init__(self, port: int, log: Path, proc: subprocess.Popen) -> None:
        self.port, self.log, self.proc = port, log, proc
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    env = {**os.environ, "CHAINRULE_MAX_BODY_BYTES": str(MAX_BODY), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(serve_command(port), cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    srv = Server(port, log, proc)
    try:
        deadline = time.monotonic() + 300  # warm-up runs before it listens; CI is busy
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chainrule serve exited with {proc.returncode}:\n{srv.output()}")
            try:
                if httpx.get(srv.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chainrule serve did not answer /healthz in 300 s:\n{srv.output()}")
            time.sleep(0.1)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_serve_prints_its_address(server):
    assert f"http://127.0.0.1:{server.port}/" in server.output().splitlines()[0]


def test_lecture_numbers_over_http(http):
    r = http.post("/api/v1/graph", json={"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2},
                                         "wrt": ["x", "y"]})
    assert r.status_code == 200
    data = r.json()
    assert round(data["value"], 7) == 2.0794415
    assert [round(g, 7) for g in data["gradient_wrt"]] == [2.7725887, 1.5]
    assert data["layout"]["status"] == "ok"


def test_named_intermediates_over_http(http):
    data = http.post("/api/v1/graph", json={"expression": NAMED, "values": {"x": 1, "y": 2}}).json()
    nodes = {n["name"]: n for n in data["nodes"] if n["name"]}
    into_a = [e for e in data["edges"] if e["target"] == nodes["a"]["id"]]
    assert [(e["source"], e["local"]) for e in into_a] == [(nodes["x"]["id"], 1.0)] * 2
    assert round(nodes["x"]["grad"], 7) == 2.7725887


def test_nonfinite_over_http_is_strict_json(http):
    r = http.post("/api/v1/graph", json={"expression": "ln(x)", "values": {"x": 0}})
    data = json.loads(r.text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert data["value"] == "-inf" and data["gradient"]["x"] == "inf"


def test_svg_export_over_http(http):
    r = http.get("/api/v1/graph.svg", params={"expression": NAMED, "x": 1, "y": 2})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    root = ET.fromstring(r.content)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"2.0794415", "grad 2.7725887", "grad 1.5"} <= texts
    assert b"<script" not in r.content


def test_errors_over_http(http):
    r = http.post("/api/v1/graph", json={"expression": "x + sn(y)", "values": {"x": 1, "y": 2}})
    assert r.status_code == 422
    assert r.json()["detail"] | {} == {"code": "unknown_function", "message": r.json()["detail"]["message"],
                                       "line": 1, "column": 4, "text": "sn", "field": "expression",
                                       "reason": "did_you_mean",
                                       "params": {"name": "sn", "suggestion": "sin"}}
    r = http.post("/api/v1/graph", json={"expression": "x", "values": {"x": "3"}})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "values.x"
    r = http.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["detail"]["code"] == "not_found"


def _raw_response(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    while length is not None and len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, json.loads(body)


def test_declared_huge_body_is_refused_before_it_is_sent(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/graph HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000000000\r\n\r\n{\"expression\": \"")
        status, body = _raw_response(sock)
    assert status == 413
    assert body["detail"]["limit"] == "max_body_bytes" and body["detail"]["maximum"] == MAX_BODY
    assert body["detail"]["actual"] == 1_000_000_000


def test_chunked_huge_body_is_refused_while_it_streams(server):
    """Chunks keep coming until the server answers; it must answer long before 64 MiB."""
    chunk = b" " * 8192
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/graph HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sock.setblocking(False)
        answered = False
        while sent < 64 * 1024 * 1024:
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    answered = True
                    break
            except BlockingIOError:
                pass
            try:
                sock.send(frame)
                sent += len(chunk)
            except BlockingIOError:
                time.sleep(0.01)  # the server stopped reading: its answer is on the way
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        status, body = _raw_response(sock)
    assert answered or status == 413
    assert status == 413 and body["detail"]["limit"] == "max_body_bytes"
    assert sent < 16 * 1024 * 1024


def test_concurrent_clients(http, server):
    def one(k: int) -> tuple[int, float]:
        r = httpx.post(server.url + "/api/v1/graph",
                       json={"expression": NAMED, "values": {"x": k, "y": 2 + k}}, timeout=30)
        return r.status_code, r.json()["value"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(1, 65)))
    assert all(status == 200 for status, _ in results)
    assert len({value for _, value in results}) == 64


def test_a_big_request_does_not_stall_the_server(server):
    """A large graph (engine work in the threadpool, layout in WebAssembly) runs while small
    requests keep being answered."""
    expression = " + ".join(f"{k}*x*y" for k in range(1, 800))
    done = threading.Event()
    result: dict = {}

    def big() -> None:
        r = httpx.post(server.url + "/api/v1/graph", json={"expression": expression,
                                                          "values": {"x": 1, "y": 2}}, timeout=60)
        result["status"] = r.status_code
        result["layout"] = r.json()["layout"]["status"]
        done.set()

    thread = threading.Thread(target=big)
    thread.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while True:  # /healthz answers while the big request runs (no time asserted: load varies)
            assert client.get("/healthz").status_code == 200
            if done.wait(0.02):
                break
    thread.join()
    assert result["status"] == 200 and result["layout"] in ("ok", "skipped")


def test_server_is_still_healthy(server, http):
    assert server.proc.poll() is None
    assert http.get("/healthz").json() == {"status": "ok", "version": "0.1.0"}
    assert "Traceback" not in server.output()


def test_cli_lists_serve_and_keeps_the_engine_commands(capsys):
    from app.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "serve" in capsys.readouterr().out
    assert main(["grad", "(x^2+2x)*ln(y)", "--at", "x=1", "y=2", "--decimals", "7"]) == 0
    assert "2.7725887" in capsys.readouterr().out
    assert main(["grad", "sn(x)", "--at", "x=1"]) == 2
