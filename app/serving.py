"""How `chainrule serve` runs the app with uvicorn (`serve`): connections that must send their
request in time, a cap on open connections, and the address printed once the server is warm and
listening.

uvicorn times out only idle keep-alive connections; a connection that never sends a request, or
sends its head or body a byte at a time, would be held forever (and ~20,000 of them exhaust the
file descriptors). `TimedH11Protocol` is uvicorn's h11 protocol with three more rules, from
Settings:

- the request head must be complete within `header_timeout_s` of the connection opening (or,
  on a kept-alive connection, of the next request's first byte): else `408` and close;
- the body must be complete within `body_timeout_s` of the head: else close (the app sees the
  client disconnect and stops);
- past `max_connections` open connections (bounded by the process's file-descriptor limit) a new
  connection takes the place of one kept alive idle, as nginx reuses them; with none idle it
  gets `503` with `Retry-After` and is closed at once.

Between requests a kept-alive connection is uvicorn's to time out (`keep_alive_s`), and nothing is
written to it: a 408 sent there could cross the client's next request, which would read it as its
answer. A server that closes idle connections early makes clients meet that race (a request sent
as the server closes: "connection reset"), so `keep_alive_s` is long, as nginx's 75 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import threading
import time
import urllib.request
from functools import cache

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from .errors import error_body
from .settings import Settings

FD_RESERVE = 128  # descriptors kept for files, the SymPy workers' pipes and the listener


def raise_fd_limit() -> int:
    """The soft limit on open files raised to the hard one (children inherit it); the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


@cache
def _rules() -> tuple[float, float, int, bytes]:
    """This process's header and body timeouts, connection cap and 503 answer (read once)."""
    settings = Settings()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = max(1, min(settings.max_connections, soft - FD_RESERVE))
    body = json.dumps(error_body("too_many_connections", f"the server has {cap} connections open; "
                                 f"try again in {settings.retry_after_s} s", limit="max_connections",
                                 maximum=cap)).encode()
    busy = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"retry-after: %d\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
            % (settings.retry_after_s, len(body), body))
    return settings.header_timeout_s, settings.body_timeout_s, cap, busy


_LATE = b"the request did not arrive in time (header_timeout_s)"
TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
               b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_LATE), _LATE))


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's head and body and a cap on
    open connections (see the module's docstring)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.header_timeout_s, self.body_timeout_s, self.cap, self.busy_answer = _rules()
        self.deadline: asyncio.TimerHandle | None = None
        self.waiting_for: object = None  # h11.IDLE (the head) or h11.SEND_BODY (the body)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.kept_idle = False  # between two requests of a kept-alive connection
        if len(self.connections) > self.cap and not self._reclaim_one():
            transport.write(self.busy_answer)
            transport.close()
            return
        self._follow()

    def _reclaim_one(self) -> bool:
        """Close one connection kept alive idle, so a new one can have its place."""
        for other in self.connections:
            if other is not self and getattr(other, "kept_idle", False) \
                    and not other.transport.is_closing():
                other.kept_idle = False
                other.transport.close()
                return True
        return False

    def data_received(self, data: bytes) -> None:
        self.kept_idle = False
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle now: uvicorn's keep-alive timer closes it; the next head's deadline starts with its
        # first byte (data_received).
        self._cancel()
        self.kept_idle = not self.transport.is_closing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Arm the deadline for what the client owes now (head or body), once per phase."""
        if self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        if state is self.waiting_for:
            return
        self._cancel()
        if state is h11.IDLE:
            self.deadline = self.loop.call_later(self.header_timeout_s, self._expired, state)
        elif state is h11.SEND_BODY:
            self.deadline = self.loop.call_later(self.body_timeout_s, self._expired, state)
        else:
            return
        self.waiting_for = state

    def _cancel(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.deadline, self.waiting_for = None, None

    def _expired(self, state: object) -> None:
        self.deadline = None
        if self.transport.is_closing() or self.conn.their_state is not state:
            return
        if state is h11.IDLE and self.conn.our_state is h11.IDLE:
            self.transport.write(TIMEOUT_408)  # no request under way: ours to answer
        self.transport.close()


def serve(settings: Settings, host: str, port: int, workers: int, log_level: str, announce: str) -> int:
    """Run the app until stopped; print `announce` once it is warm and listening."""
    raise_fd_limit()  # before any worker starts: they inherit it
    config = uvicorn.Config(
        "app.main:app", host=host, port=port, workers=workers, log_level=log_level,
        proxy_headers=False, server_header=False, timeout_graceful_shutdown=10,
        http=TimedH11Protocol, timeout_keep_alive=settings.keep_alive_s,
        h11_max_incomplete_event_size=settings.max_header_bytes, backlog=2048,
        timeout_worker_healthcheck=settings.worker_healthcheck_s)
    if config.workers > 1:  # as uvicorn.run does; each worker warms up before it accepts
        shown = f"[{host}]" if ":" in host else host
        loopback = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(shown, shown)
        announce_when_ready(f"http://{loopback}:{port}", announce)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    server = AnnouncingServer(config, announce)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else 3


class AnnouncingServer(uvicorn.Server):
    """Prints its line right after start-up (the lifespan's warm-up, then the socket bound),
    before the event loop handles any request."""

    def __init__(self, config: uvicorn.Config, line: str) -> None:
        super().__init__(config)
        self.line = line

    async def startup(self, sockets: list | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            print(self.line, flush=True)


def announce_when_ready(url: str, line: str, timeout_s: float = 600.0) -> threading.Thread:
    """Print `line` once GET `url`/readyz answers 200 (every worker warms up before it accepts
    connections, so this is after warm-up), from a daemon thread."""

    def wait() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        print(line, flush=True)
                        return
            except OSError:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=wait, name="announce", daemon=True)
    thread.start()
    return thread
