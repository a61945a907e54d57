"""The page's speed in a real browser (headless Chromium through Playwright, the Performance API
inside the page, Chrome's tracing), against a real `chainrule serve` on a free loopback port:

1. keystroke to graph, on the lecture's example and on graphs of 200+ and 500+ nodes: a key typed
   into the expression until the frame that shows the new graph. Reported from the request (the
   page's debounce excluded; the page's own `chainrule:request-to-graph` measure) and from the
   keydown (debounce included), with its parts (the answer read, the page built, the frame).
   Three kinds of keystroke: "digit" types a digit into a constant and takes it out again (2x,
   22x: labels change, the structure does not; its layout is cached), "new structure" types an x
   after the 2 and takes it out again (2x, 2xx: a new variable, a graph of another structure,
   against a server keeping one layout, so each is laid out anew), "new digits" writes a
   number never typed before in place of that 2 (10, 11, 12, ...: each keystroke a text the
   server has not seen, so no body template is kept for it, as when one types a number). Target: under 150 ms,
   debounce excluded. The times come from keystrokes made without Chrome's trace, the main
   thread's CPU from as many more made with it (so that no tracing overhead is in the times).
2. playing the backward pass at full speed (16x) on each graph: frames per second
   (requestAnimationFrame), and from Chrome's trace the renderer's main-thread CPU time per
   frame, by phase (scripts, style and layout, paint, layerize), which moves less with the load
   of the machine than the frame rate does. Target: >= 50 frames/s.

`--before DIR` runs every measurement also against a server started from DIR (another checkout,
e.g. `git worktree add /tmp/page-base <rev>`), in turns with this one, in the same browser.

Run from the repository root:
`python benchmarks/page.py [--keystrokes 20] [--seconds 4] [--nodes 205 503] [--before DIR]`.
The browser is CHAINRULE_CHROMIUM, else /usr/bin/chromium, else Playwright's own.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright
from programs import sized_expression  # benchmarks/: run as a script, its folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "(x^2 + 2x) * ln(y)"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, root: Path = ROOT, env: dict | None = None) -> subprocess.Popen:
    """`chainrule serve` of the checkout at `root` (its own app, engine and static files)."""
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chainrule serve did not start") from None
            time.sleep(0.1)


def chromium() -> str | None:
    explicit = os.environ.get("CHAINRULE_CHROMIUM")
    if explicit:
        return explicit
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def page_hash(expression: str, values: dict, **extra) -> str:
    params = {"f": expression, "at": ";".join(f"{k}={v}" for k, v in values.items()), **extra}
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def wait_for(page, js: str, timeout: float = 30.0) -> None:
    # Polled from here: the page's Content-Security-Policy forbids the eval that
    # Playwright's wait_for_function uses.
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => !!({js})"):
        if time.monotonic() > deadline:
            raise TimeoutError(js)
        page.wait_for_timeout(5)


def keystrokes(page, url: str, n: int, expression: str = LECTURE, key: str = "2") -> dict:
    page.goto(f"{url}/#{page_hash(expression, {'x': 0.5, 'y': 0.7})}")
    page.wait_for_selector("body[data-status=ready]")
    # The first graph's panels (a page that builds some after the graph's frame measures them).
    page.wait_for_timeout(300)
    page.evaluate("""() => {
        window.__keydowns = [];
        document.getElementById('expr').addEventListener('keydown', () =>
            window.__keydowns.push(performance.now()), true);
        performance.clearMeasures('chainrule:request-to-graph');
        performance.clearMeasures('chainrule:panels');
        performance.setResourceTimingBufferSize(100000);
    }""")
    page.click("#expr")
    # The caret after the first "2" of "2x": typing "2" makes "22x", Backspace undoes it.
    page.evaluate("() => { const t = document.getElementById('expr'); const i = t.value.indexOf('2x') + 1;"
                  " t.setSelectionRange(i, i); }")
    nodes = page.evaluate("() => document.querySelectorAll('.graph-svg .node').length")
    totals, requests, parts = [], [], {}
    # Whether this page measures its panels apart (session 8 on): it says so in its source.
    later = "chainrule:panels" in page.evaluate("() => fetch('/static/js/loader.js').then((r) => r.text())")
    at = page.evaluate("() => document.getElementById('expr').value.indexOf('2x')")
    written = ["2"]  # the constant in place of that 2 ("new digits")

    def press(k: int) -> None:  # a key (even k) or Backspace, until its graph is on screen
        before = page.evaluate("() => performance.getEntriesByName('chainrule:request-to-graph').length")
        if key == "new digits":  # the constant selected and typed over: one request (debounced)
            end = at + len(written[0])
            page.evaluate(f"() => document.getElementById('expr').setSelectionRange({at}, {end})")
            written[0] = str(10 + k) if k < 2 * n else "2"
            page.keyboard.type(written[0])
        else:
            page.keyboard.press(key if k % 2 == 0 else "Backspace")
        wait_for(page, f"performance.getEntriesByName('chainrule:request-to-graph').length > {before}")

    # The times from n keystrokes without Chrome's trace (none of its overhead in them), then
    # the main thread's CPU from n more with it.
    for k in range(n):
        press(k)
        entry = page.evaluate("""() => { const last = (n) => { const m = performance.getEntriesByName(n);
            return m[m.length - 1]; };
            const e = last('chainrule:request-to-graph');
            // The server's part: from sending /graph to its last byte (resource timing).
            const g = performance.getEntriesByType('resource')
                .filter((r) => r.name.endsWith('/api/v1/graph'));
            const r = g[g.length - 1];
            return [e.duration, e.startTime + e.duration, window.__keydowns[window.__keydowns.length - 1],
                    // (a checkout from before these parts were measured has none of them)
                    { answer: last('chainrule:answer')?.duration,
                      server: r ? r.responseEnd - r.requestStart : null,
                      build: last('chainrule:build')?.duration,
                      frame: last('chainrule:frame')?.duration }]; }""")
        duration, end, keydown, split = entry
        requests.append(duration)
        totals.append(end - keydown)
        for part, v in split.items():
            if v is not None:
                parts.setdefault(part, []).append(v)
    if later:
        # The panels built after each graph's frame (session 8 on; the next key does not wait
        # for them, as a typist would not): the last one's too.
        wait_for(page, f"performance.getEntriesByName('chainrule:panels').length >= {n}")
        parts["panels"] = page.evaluate(
            "() => performance.getEntriesByName('chainrule:panels').map((m) => m.duration)")
    trace = Trace(page)
    for k in range(n, 2 * n):
        press(k)
    if later:  # the traced keystrokes' panels too, before the trace stops
        wait_for(page, f"performance.getEntriesByName('chainrule:panels').length >= {2 * n}")
    cpu = trace.stop()
    if key == "new digits":  # the 2 written back
        press(2 * n)
    assert page.input_value("#expr") == expression  # 2n keys: typed and taken out again
    page.evaluate("() => performance.clearResourceTimings()")
    return {"nodes": nodes, "request_to_graph_ms": requests, "keystroke_to_graph_ms": totals, "parts": parts,
            "debounce_ms": page.evaluate("() => window.chainrule.editor.debounceMs"),
            "cpu": {k: v * cpu["frames"] / n if k != "frames" else v for k, v in cpu.items()}}


class Trace:
    """Chrome's trace of the page from now to stop(): the renderer's main-thread CPU per frame."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.events, self.done = [], []
        self.cdp.on("Tracing.dataCollected", lambda e: self.events.extend(e["value"]))
        self.cdp.on("Tracing.tracingComplete", lambda e: self.done.append(True))
        self.cdp.send("Tracing.start", {"traceConfig": {"includedCategories": TRACE_CATEGORIES},
                                        "transferMode": "ReportEvents"})

    def stop(self) -> dict:
        self.cdp.send("Tracing.end")
        deadline = time.monotonic() + 60
        while not self.done and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        self.cdp.detach()
        return main_thread_per_frame(self.events)


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc"]
# Phases of the renderer's main thread, by trace event (CPU time, `tdur`; forced style and layout
# inside scripts included in style and layout).
PHASES = {"style": ("UpdateLayoutTree",), "layout": ("Layout",), "paint": ("PrePaint", "Paint"),
          "layerize": ("Layerize",)}


def main_thread_per_frame(events: list[dict]) -> dict:
    """CPU ms per frame on the renderer's main thread while the trace ran: busy, and its phases."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    cpu, count = collections.Counter(), collections.Counter()
    ends = {}  # phase -> end of its last outermost event: events nested in it are counted in it
    phase_of = {name: phase for phase, names_ in PHASES.items() for name in names_}
    main = [e for e in events if e.get("ph") == "X" and "dur" in e
            and names.get((e["pid"], e["tid"])) == "CrRendererMain"]
    for e in sorted(main, key=lambda e: e["ts"]):
        phase = phase_of.get(e["name"], e["name"])
        if e["ts"] < ends.get(phase, -1):
            continue
        ends[phase] = e["ts"] + e["dur"]
        cpu[e["name"]] += e.get("tdur", e["dur"]) / 1000
        count[e["name"]] += 1
    frames = max(1, count["ProxyMain::BeginMainFrame"])
    out = {"frames": frames, "busy": cpu["RunTask"] / frames}
    for phase, names_ in PHASES.items():
        out[phase] = sum(cpu[n] for n in names_) / frames
    out["scripts and other"] = out["busy"] - sum(out[p] for p in PHASES)
    return out


def playback_fps(page, url: str, seconds: float, expression: str) -> dict:
    page.goto(f"{url}/#{page_hash(expression, {'x': 0.5, 'y': 0.7})}")
    page.wait_for_selector("body[data-status=ready]")
    nodes = page.evaluate("() => document.querySelectorAll('.graph-svg .node').length")
    count = int(page.get_attribute("body", "data-count"))
    forward = page.evaluate("() => window.chainrule.app.timeline.forwardCount")
    page.evaluate(f"() => {{ window.chainrule.player.seek({forward}); }}")
    page.select_option("#speed", "16")
    cdp = page.context.new_cdp_session(page)
    events, done = [], []
    cdp.on("Tracing.dataCollected", lambda e: events.extend(e["value"]))
    cdp.on("Tracing.tracingComplete", lambda e: done.append(True))
    cdp.send("Tracing.start", {"traceConfig": {"includedCategories": TRACE_CATEGORIES},
                               "transferMode": "ReportEvents"})
    result = page.evaluate(f"""() => new Promise((resolve) => {{
        const frames = [];
        let longTasks = 0, longest = 0;
        let observer = null;
        try {{
            observer = new PerformanceObserver((list) => {{
                for (const e of list.getEntries()) {{ longTasks++; longest = Math.max(longest, e.duration); }}
            }});
            observer.observe({{ type: 'longtask', buffered: false }});
        }} catch (e) {{ observer = null; }}
        const startStep = window.chainrule.player.step;
        window.chainrule.player.play();
        const t0 = performance.now();
        const tick = (now) => {{
            frames.push(now);
            if (now - t0 < {seconds * 1000}) requestAnimationFrame(tick);
            else {{
                window.chainrule.player.pause();
                observer && observer.disconnect();
                resolve({{ frames, steps: window.chainrule.player.step - startStep, longTasks, longest }});
            }}
        }};
        requestAnimationFrame(tick);
    }})""")
    cdp.send("Tracing.end")
    deadline = time.monotonic() + 60
    while not done and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    cdp.detach()
    frames = result["frames"]
    gaps = sorted(b - a for a, b in itertools.pairwise(frames))
    elapsed = (frames[-1] - frames[0]) / 1000
    return {
        "nodes": nodes, "events": count, "steps_played": result["steps"],
        "fps": (len(frames) - 1) / elapsed,
        "frame_ms_p50": statistics.median(gaps), "frame_ms_p95": gaps[int(0.95 * (len(gaps) - 1))],
        "frame_ms_max": gaps[-1], "long_tasks": result["longTasks"], "longest_task_ms": result["longest"],
        "cpu": main_thread_per_frame(events),
    }


def summary(values: list[float]) -> str:
    s = sorted(values)
    return (f"median {statistics.median(s):6.1f} ms   p90 {s[int(0.9 * (len(s) - 1))]:6.1f} ms   "
            f"max {s[-1]:6.1f} ms   (n={len(s)})")


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keystrokes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--nodes", type=int, nargs="+", default=[205, 503],
                        help="graph sizes to type into and to play (the lecture's example is always typed)")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout to measure in turns with this one (its server, its page)")
    args = parser.parse_args(argv)
    sides = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    servers = {}  # (side, cached) -> (process, url)
    try:
        for side, root in sides:
            for cached in (True, False):
                port = free_port()
                # Uncached: one layout kept, and keystrokes alternate between two structures.
                env = {} if cached else {"CHAINRULE_LAYOUT_CACHE_SIZE": "1"}
                servers[side, cached] = (start_server(port, root, env), f"http://127.0.0.1:{port}")
        rows = []  # (what, side, result)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=ARGS)

            def fresh(url):  # a new page each time: a hash change alone keeps the old graph a while
                return browser.new_page(viewport={"width": 1440, "height": 900})

            for _, url in servers.values():  # warm-up: Graphviz compiles on the first layout
                page = fresh(url)
                page.goto(f"{url}/")
                page.wait_for_selector("body[data-status=ready]")
                page.close()

            cases = [("digit", LECTURE, "2", True)]
            for n in args.nodes:
                cases += [("digit", sized_expression(n), "2", True),
                          ("new digits", sized_expression(n), "new digits", True),
                          ("new structure", sized_expression(n), "x", False)]
            for c, (kind, expression, key, cached) in enumerate(cases):
                # In turns, which side goes first alternating from case to case: at this noise
                # a fixed order read one side's new structure 50 ms slower three runs in a row.
                for side, _ in sides[::1 if c % 2 == 0 else -1]:
                    page = fresh(servers[side, cached][1])
                    r = keystrokes(page, servers[side, cached][1], args.keystrokes, expression, key)
                    page.close()
                    rows.append((f"keystroke ({kind})", side, r, load()))
                    print(f"{side:6s} keystroke ({kind}), {r['nodes']} nodes: "
                          f"{summary(r['request_to_graph_ms'])}, "
                          f"main thread {r['cpu']['busy']:.0f} ms a keystroke {load()}", flush=True)
            for c, n in enumerate(args.nodes):
                for side, _ in sides[::1 if c % 2 == 0 else -1]:
                    page = fresh(servers[side, True][1])
                    r = playback_fps(page, servers[side, True][1], args.seconds, sized_expression(n))
                    page.close()
                    rows.append(("playing", side, r, load()))
                    print(f"{side:6s} playing {r['nodes']} nodes: {r['fps']:.1f} frames/s, "
                          f"main thread {r['cpu']['busy']:.1f} ms a frame {load()}", flush=True)
            browser.close()
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    print(f"\nserver on localhost, browser {chromium() or 'Playwright' + chr(39) + 's Chromium'}")
    for what, side, k, at in rows:
        if what.startswith("keystroke"):
            print(f"{side}: {what}, {k['nodes']} nodes ({at})")
            print(f"  request to graph on screen (debounce excluded): {summary(k['request_to_graph_ms'])}"
                  "   target < 150 ms")
            print(f"  keydown to graph on screen (debounce of {k['debounce_ms']} ms included): "
                  f"{summary(k['keystroke_to_graph_ms'])}")
            print("  medians of its parts: " + ", ".join(f"{name} {statistics.median(v):.0f} ms"
                                                         for name, v in k["parts"].items()))
            c = k["cpu"]
            print(f"  main thread CPU per keystroke (all the page did for it): busy {c['busy']:.0f} ms = "
                  + ", ".join(f"{name} {c[name]:.0f}" for name in (*PHASES, "scripts and other")))
        else:
            print(f"{side}: backward pass playing at 16x on {k['nodes']} nodes ({k['events']} trace events), "
                  f"{args.seconds:g} s: {k['steps_played']} steps ({at})")
            print(f"  {k['fps']:.1f} frames/s (target >= 50); frame time median {k['frame_ms_p50']:.1f} ms, "
                  f"p95 {k['frame_ms_p95']:.1f} ms, max {k['frame_ms_max']:.1f} ms; "
                  f"long tasks {k['long_tasks']} (longest {k['longest_task_ms']:.0f} ms)")
            c = k["cpu"]
            print(f"  main thread CPU per frame ({c['frames']} frames): busy {c['busy']:.1f} ms = "
                  + ", ".join(f"{name} {c[name]:.1f}" for name in (*PHASES, "scripts and other")))
    print("\nparts: answer = request to JSON read (/parse included), server = /graph sent to its last"
          " byte, build = model, timeline, SVG (and before session 8 every panel), frame = to the next frame;"
          " panels = request to the frame after the table and reading, built after the graph's frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
