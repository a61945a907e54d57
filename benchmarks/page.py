"""The page's speed in a real browser (headless Chromium through Playwright, the Performance API
inside the page), against a real `chainrule serve` on a free loopback port:

1. keystroke to graph, on the lecture's example and on a 500-node graph: a key typed into the
   expression (alternately adding and removing a digit, so each keystroke is a new graph) until
   the frame that shows the new graph. Reported from the request (the page's debounce excluded;
   the page's own `chainrule:request-to-graph` measure) and from the keydown (debounce
   included). Target: under 150 ms, debounce excluded.
2. frames per second while the backward pass plays at full speed on a graph of 200+ and of 500+
   nodes (requestAnimationFrame timestamps; long tasks from the Long Tasks API). Target: >= 50.

Run from the repository root:
`python benchmarks/page.py [--keystrokes 40] [--seconds 5] [--nodes 205 503]`.
The browser is CHAINRULE_CHROMIUM, else /usr/bin/chromium, else Playwright's own.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "(x^2 + 2x) * ln(y)"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    script = Path(sys.executable).with_name("chainrule")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
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


def big_expression(statements: int = 51) -> str:
    """A chain with fan-out: each statement reuses the previous one twice and x, y once each
    (four new nodes per statement: 4 * 51 - 1 + 2 = 205 nodes)."""
    lines = ["v0 = x*y"] + [f"v{i} = sin(v{i - 1})*x + v{i - 1}*y" for i in range(1, statements)]
    return "; ".join(lines)


def sized_expression(nodes: int) -> str:
    """`big_expression` with about `nodes` nodes, ending in `+ 2x` for the keystrokes to edit."""
    return f"{big_expression(max(1, (nodes - 4) // 4))} + 2x"


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


def keystrokes(page, url: str, n: int, expression: str = LECTURE) -> dict:
    page.goto(f"{url}/#{page_hash(expression, {'x': 0.5, 'y': 0.7})}")
    page.wait_for_selector("body[data-status=ready]")
    page.evaluate("""() => {
        window.__keydowns = [];
        document.getElementById('expr').addEventListener('keydown', () =>
            window.__keydowns.push(performance.now()), true);
        performance.clearMeasures('chainrule:request-to-graph');
    }""")
    page.click("#expr")
    # The caret after the first "2" of "2x": typing "2" makes "22x", Backspace undoes it.
    page.evaluate("() => { const t = document.getElementById('expr'); const i = t.value.indexOf('2x') + 1;"
                  " t.setSelectionRange(i, i); }")
    nodes = page.evaluate("() => document.querySelectorAll('.graph-svg .node').length")
    totals, requests = [], []
    for k in range(n):
        before = page.evaluate("() => performance.getEntriesByName('chainrule:request-to-graph').length")
        page.keyboard.press("2" if k % 2 == 0 else "Backspace")
        wait_for(page, f"performance.getEntriesByName('chainrule:request-to-graph').length > {before}")
        entry = page.evaluate("""() => { const m = performance.getEntriesByName('chainrule:request-to-graph');
            const e = m[m.length - 1]; return [e.duration, e.startTime + e.duration,
            window.__keydowns[window.__keydowns.length - 1]]; }""")
        duration, end, keydown = entry
        requests.append(duration)
        totals.append(end - keydown)
    expected = expression if n % 2 == 0 else expression.replace("2x", "22x", 1)
    assert page.input_value("#expr") == expected
    return {"nodes": nodes, "request_to_graph_ms": requests, "keystroke_to_graph_ms": totals,
            "debounce_ms": page.evaluate("() => window.chainrule.editor.debounceMs")}


def playback_fps(page, url: str, seconds: float, expression: str) -> dict:
    page.goto(f"{url}/#{page_hash(expression, {'x': 0.5, 'y': 0.7})}")
    page.wait_for_selector("body[data-status=ready]")
    nodes = page.evaluate("() => document.querySelectorAll('.graph-svg .node').length")
    count = int(page.get_attribute("body", "data-count"))
    forward = page.evaluate("() => window.chainrule.app.timeline.forwardCount")
    page.evaluate(f"() => {{ window.chainrule.player.seek({forward}); }}")
    page.select_option("#speed", "16")
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
    frames = result["frames"]
    gaps = sorted(b - a for a, b in itertools.pairwise(frames))
    elapsed = (frames[-1] - frames[0]) / 1000
    return {
        "nodes": nodes, "events": count, "steps_played": result["steps"],
        "fps": (len(frames) - 1) / elapsed,
        "frame_ms_p50": statistics.median(gaps), "frame_ms_p95": gaps[int(0.95 * (len(gaps) - 1))],
        "frame_ms_max": gaps[-1], "long_tasks": result["longTasks"], "longest_task_ms": result["longest"],
    }


def summary(values: list[float]) -> str:
    s = sorted(values)
    return (f"median {statistics.median(s):6.1f} ms   p90 {s[int(0.9 * (len(s) - 1))]:6.1f} ms   "
            f"max {s[-1]:6.1f} ms   (n={len(s)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keystrokes", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--nodes", type=int, nargs="+", default=[205, 503],
                        help="graph sizes to type into and to play (the lecture's example is always typed)")
    args = parser.parse_args(argv)
    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            # Warm up: Graphviz compiles on the first layout, the page's modules load once.
            page.goto(f"{url}/")
            page.wait_for_selector("body[data-status=ready]")
            keys, fpss = [keystrokes(page, url, args.keystrokes)], []
            for n in args.nodes:  # a new page each time: a hash change alone keeps the old graph a while
                page.close()
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                keys.append(keystrokes(page, url, args.keystrokes, sized_expression(n)))
            for n in args.nodes:
                page.close()
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                fpss.append(playback_fps(page, url, args.seconds, sized_expression(n)))
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    browser_name = chromium() or "Playwright's Chromium"
    print(f"server on localhost, browser {browser_name}, load average {os.getloadavg()[0]:.1f}")
    for k in keys:
        print(f"keystroke to graph, {k['nodes']} nodes")
        print(f"  request to graph on screen (debounce excluded): {summary(k['request_to_graph_ms'])}"
              "   target < 150 ms")
        print(f"  keydown to graph on screen (debounce of {k['debounce_ms']} ms included): "
              f"{summary(k['keystroke_to_graph_ms'])}")
    for fps in fpss:
        print(f"backward pass playing at 16x on {fps['nodes']} nodes ({fps['events']} trace events), "
              f"{args.seconds:g} s: {fps['steps_played']} steps")
        print(f"  {fps['fps']:.1f} frames/s (target >= 50); frame time median {fps['frame_ms_p50']:.1f} ms, "
              f"p95 {fps['frame_ms_p95']:.1f} ms, max {fps['frame_ms_max']:.1f} ms; "
              f"long tasks {fps['long_tasks']} (longest {fps['longest_task_ms']:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
