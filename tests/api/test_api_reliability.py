"""Faults found by attacking a running server (issue 14), each against a real `chainrule serve` on
a real port: /paths past 2^1024 paths and with very long paths, aborted uploads in the log, and
the security headers (framing, /docs's CSP, the Host header in redirects)."""

from __future__ import annotations

import itertools
import re
import socket
import string
import time

import httpx
import pytest
from conftest import free_port, launched, serve_command


def doubling_chain(statements: int) -> str:
    """`a0=x+x;a1=a0+a0;...`: 2^statements paths from x, in short names to stay under 10,000
    characters (the issue's 1,030 statements)."""
    firsts = "abcdfghjkmnqruvwzABCDEFGHIJKLMNOPQRSTUVWXYZ"  # no e, i, l, o, p, s, t, x: no clash
    names = ["".join(p) for p in itertools.product(firsts, string.digits + string.ascii_lowercase)]
    names = names[:statements]
    return ";".join([f"{names[0]}=x+x"] + [f"{n}={m}+{m}" for m, n in itertools.pairwise(names)])


def post_paths(url: str, expression: str, **extra) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/paths", timeout=120,
                      json={"expression": expression, "values": {"x": 1}, "variable": "x", **extra})


# --- /api/v1/paths ------------------------------------------------------------------------------

def test_paths_past_two_to_the_1024_are_counted_exactly(server):
    # float(2**1024) overflows: the count stays exact, its float form is null past float64.
    for statements, approx in ((1023, 2.0**1023), (1030, None)):
        text = doubling_chain(statements)
        assert len(text) <= 10_000
        r = post_paths(server, text)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["count"] == str(2**statements) and d["count_approx"] == approx
        assert d["truncated"] is True
        # every path has one edge a statement, so 50,000 edges hold 48 of them (not `limit`, 100)
        assert {len(p["edges"]) for p in d["paths"]} == {statements}
        assert len(d["paths"]) == 50_000 // statements and d["truncated_by"] == "max_path_edges"
        assert d["listed_sum"] == len(d["paths"])  # each path's product is 1
        assert d["gradient"] == (2.0**statements if approx else "inf")


def test_a_10_kb_paths_request_gets_a_bounded_answer(server):
    # The request: 2^11 paths, then 9,880 negations, so each path has 9,891 edges; a list
    # of 1,000 of them was 197 MiB. Now: as many paths as 50,000 edges hold, and it says so.
    text = doubling_chain(11) + ";f=" + "-" * 9880 + "aa"
    assert len(text) <= 10_000
    r = post_paths(server, text, limit=1000)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["count"] == "2048" and d["truncated"] and d["truncated_by"] == "max_path_edges"
    lengths = [len(p["edges"]) for p in d["paths"]]
    assert lengths == [9891] * 5 and sum(lengths) <= 50_000
    assert len(r.content) < 2 * 1024 * 1024  # about 20 bytes an edge
    assert d["gradient"] == 2048 and d["listed_sum"] == 5


def test_paths_say_which_count_bound_cut_the_list(server):
    text = doubling_chain(11)  # 2^11 paths
    by_request = post_paths(server, text, limit=10).json()
    assert len(by_request["paths"]) == 10 and by_request["truncated_by"] == "limit"
    by_server = post_paths(server, text, limit=5000).json()  # over the server's max_paths, 1,000
    assert len(by_server["paths"]) == 1000 and by_server["truncated_by"] == "max_paths"
    small = post_paths(server, "a=x+x;f=a*a").json()
    assert small["count"] == "4" and not small["truncated"] and small["truncated_by"] is None


def test_the_edge_bound_is_a_setting(tmp_path):
    text = "a=x+x;b=a+a;f=" + "-" * 40 + "b"  # 4 paths of 42 edges
    with launched(tmp_path / "serve.log", env={"CHAINRULE_MAX_PATH_EDGES": "100",
                                               "CHAINRULE_SYMBOLIC_WARM_UP": "false",
                                               "CHAINRULE_LAYOUT_WARM_UP": "false"}) as url:
        d = post_paths(url, text).json()
    assert [len(p["edges"]) for p in d["paths"]] == [42, 42] and d["truncated_by"] == "max_path_edges"


# --- aborted uploads ------------------------------------------------------------------------------

def test_an_aborted_upload_logs_one_short_line(tmp_path):
    # Headers saying 500 bytes, 110 of them sent, then the connection closed: each abort is one
    # line in the server's log, never a traceback.
    port = free_port()
    command = [*serve_command(port)[:-2], "--log-level", "info"]
    log = tmp_path / "serve.log"
    aborts = 12
    with launched(log, command=command, port=port,
                  env={"CHAINRULE_SYMBOLIC_WARM_UP": "false", "CHAINRULE_LAYOUT_WARM_UP": "false"}):
        before = log.read_text(errors="replace")
        body = b'{"expression": "x*y", "values": {"x": 1, "y": 2}, "wrt": ["x"], "padding": "' + b"a" * 200
        for k in range(aborts):
            path = ("/api/v1/graph", "/api/v1/paths", "/api/v1/train")[k % 3]
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          f"Content-Length: 500\r\n\r\n".encode() + body[:110])
        # Wait (a bounded while) until the server has answered every abort in its log.
        deadline = time.monotonic() + 60
        while True:
            added = log.read_text(errors="replace")[len(before):]
            posts = [line for line in added.splitlines() if "closed before sending its whole body" in line]
            if len(posts) >= aborts or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert "Traceback" not in added and "ClientDisconnect" not in added
    assert sorted(re.search(r'"POST (\S+)"', line)[1] for line in posts) == sorted(
        ("/api/v1/graph", "/api/v1/paths", "/api/v1/train")[k % 3] for k in range(aborts))
    assert all(len(line) < 120 for line in added.splitlines()), added


# --- headers ------------------------------------------------------------------------------------

def csp(response: httpx.Response) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in response.headers["content-security-policy"].split(";"))
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts if p and p[0]}


def test_the_page_cannot_be_framed(server):
    for path in ("/", "/train"):
        r = httpx.get(server + path)
        assert r.status_code == 200
        assert csp(r)["frame-ancestors"] == "'none'" and r.headers["x-frame-options"] == "DENY"
        assert csp(r)["script-src"] == "'self'"


def test_docs_have_a_csp_that_runs_only_their_own_scripts(server):
    r = httpx.get(server + "/docs")
    assert r.status_code == 200
    policy = csp(r)
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["object-src"] == "'none'"
    sources = policy["script-src"].split()
    assert sources[0] == "'self'" and "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    hashes = [s for s in sources[1:] if re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", s)]
    inline = re.findall(r"<script>(.*?)</script>", r.text, flags=re.S)
    assert len(hashes) == len(inline) == 1 == len(sources) - 1


def test_docs_work_under_their_csp(server, browser):
    # Swagger UI (vendored) lists the operations from /openapi.json, and the browser reports no
    # CSP violation and loads nothing from another host.
    page = browser.new_page()
    foreign: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
               else (foreign.append(route.request.url), route.abort()))
    page.add_init_script("window.__violations = []; document.addEventListener("
                         "'securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective "
                         "+ ' ' + e.blockedURI));")
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent)")
    assert "/api/v1/graph" in paths and "/api/v1/paths" in paths
    page.click(".opblock-post .opblock-summary-path[data-path='/api/v1/graph']")  # opens it
    page.wait_for_selector(".opblock.is-open .try-out__btn")
    assert page.evaluate("window.__violations") == [] and foreign == []
    page.close()


@pytest.mark.parametrize("method,path", [("GET", "/static"), ("POST", "/api/v1/graph/")])
def test_a_redirect_never_echoes_the_host_header(server, method, path):
    r = httpx.request(method, server + path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (307, 308), r.status_code
    location = r.headers["location"]
    assert location == path.rstrip("/") if path.endswith("/") else location == path + "/"
    assert "evil" not in r.text and "evil" not in "".join(r.headers.values())
    # a path that looks like another host stays a path on this one
    r = httpx.get(server + "//evil.example/static", follow_redirects=False)
    assert not r.headers.get("location", "/").startswith("//")
