"""The training page in a real browser: `chainrule serve` on a free loopback port, headless
Chromium driven by Playwright (as tests/page/test_page.py). Plays 50 steps, adds and removes a point
by clicking, loads a bad CSV and a good one, follows the step's graph link, restores a shared
link, keyboard, languages and themes. Every test checks the page logged no unexpected console
error; screenshots go to test-artifacts/."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import httpx
import numpy as np
import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
class TrainPage:
    def __init__(self, page, url: str) -> None:
        self.p, self.url = page, url
        self.errors: list[str] = []
        self.allowed = ("status of 422",)  # a bad CSV is answered 422 on purpose; Chromium logs it
        page.on("console", lambda m: m.type == "error" and not any(a in m.text for a in self.allowed)
                and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.set_default_timeout(15_000)

    def open(self, hash_: str = "") -> TrainPage:
        self.p.goto("about:blank")
        self.p.goto(f"{self.url}/train{('#' + hash_) if hash_ else ''}")
        self.wait_for("document.body.dataset.status === 'ready' "
                      "&& document.body.dataset.training === 'false'")
        return self

    def wait_for(self, js: str, timeout: float = 20.0) -> None:
        """Poll a JavaScript expression (the page's CSP forbids Playwright's string functions)."""
        deadline = time.monotonic() + timeout
        while not self.p.evaluate(f"() => !!({js})"):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {js}")
            time.sleep(0.05)

    def runs(self) -> int:
        return int(self.p.evaluate("() => document.body.dataset.runs || '0'"))

    def trained(self, after: int) -> None:
        """Wait for a run that ends after `after` runs had been shown."""
        self.wait_for(f"Number(document.body.dataset.runs || 0) > {after} "
                      "&& document.body.dataset.training === 'false'")

    def text(self, selector: str) -> str:
        return self.p.locator(selector).inner_text()

    def step(self) -> int:
        return int(self.p.locator("#scrubber").input_value())

    def boundary(self) -> tuple:
        return self.p.evaluate("() => ['x1','y1','x2','y2'].map(a => document.querySelector('.boundary')"
                               ".getAttribute(a))")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.p.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    p = TrainPage(context.new_page(), server)
    yield p
    context.close()
    assert not p.errors, p.errors


def test_plays_50_steps_and_the_boundary_and_loss_move(page):
    page.open("step=0")
    assert page.step() == 0 and page.text("#r-step") == "0 / 200"
    assert page.text("#data-count") == "300 points: 150 dogs, 150 cats"
    boundary0, loss0 = page.boundary(), page.text("#r-loss")
    assert loss0 == "207.944"  # 300 ln 2: σ(0) = 1/2 for every animal
    assert "They agree" in page.text("#check-verdict")
    assert "(body mass − 7.835) / 4.075" in page.text("#bias-note") and ", 1]" in page.text("#bias-note")
    page.shot("train-step-0.png")
    page.p.click("#play")
    page.wait_for("Number(document.querySelector('#scrubber').value) >= 50")
    page.p.click("#play")  # pause
    k = page.step()
    assert k >= 50 and page.text("#r-step") == f"{k} / 200"
    assert page.boundary() != boundary0 and page.text("#r-loss") != loss0
    assert float(page.text("#r-loss")) < 207.944
    assert f"step={k}" in page.p.url
    page.shot("train-step-50.png")


def test_the_shading_and_curves_are_drawn(page):
    page.open()
    alpha = page.p.evaluate("() => { const c = document.querySelector('#shade');"
                            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                            " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }")
    assert alpha == 40 * 30  # every cell of the server's grid
    assert page.p.locator("#curves path.line").count() == 2
    assert page.text("#r-acc") == "96.7%"


# --- the shading, the boundary and predictions are the server's: checked against numpy ----------

RUN = {"lr": 0.005, "steps": 200, "cost": "sum", "standardize": True, "view": True}  # the page's


def _run(server: str) -> dict:
    return httpx.post(f"{server}/api/v1/train", json=RUN, timeout=60).json()


def _sigma_at(run: dict, w, features) -> np.ndarray:
    """numpy's σ(x·w) with x = [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1]."""
    f = np.asarray(features, dtype=float)
    sc = run["scaling"]
    X = np.column_stack([(f - sc["mean"]) / sc["scale"], np.ones(len(f))])
    return 1.0 / (1.0 + np.exp(-(X @ np.asarray(w))))


def _cell_centres(v: dict) -> np.ndarray:
    xs = v["x"][0] + (np.arange(v["columns"]) + 0.5) * (v["x"][1] - v["x"][0]) / v["columns"]
    ys = v["y"][1] - (np.arange(v["rows"]) + 0.5) * (v["y"][1] - v["y"][0]) / v["rows"]
    fx, fy = np.meshgrid(xs, ys)
    return np.column_stack([fx.ravel(), fy.ravel()])


def _canvas(page) -> dict:
    return page.p.evaluate("() => { const c = document.querySelector('#shade');"
                           " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                           " const r = c.getBoundingClientRect();"
                           " return {w: c.width, h: c.height, data: Array.from(d),"
                           " box: [r.x, r.y, r.width, r.height]}; }")


def _assert_shading_is(canvas: dict, p: np.ndarray) -> None:
    """The canvas is the grid, one pixel a cell: opacity 90·|2p − 1| + 10 (±1 for p rounded to 4
    decimals by the server), dog's colour (red) where p ≥ 1/2, cat's (blue) below."""
    d = np.array(canvas["data"]).reshape(-1, 4)
    assert len(d) == len(p)
    np.testing.assert_allclose(d[:, 3], np.round(90 * np.abs(2 * p - 1) + 10), atol=1)
    sure = np.abs(p - 0.5) > 1e-3
    assert ((d[:, 0] > d[:, 2]) == (p >= 0.5))[sure].all()


def test_the_shading_and_boundary_are_the_servers_sigma(page, server):
    run = _run(server)
    v = run["view"]
    page.open()
    canvas = _canvas(page)
    assert (canvas["w"], canvas["h"]) == (v["columns"], v["rows"]) == (40, 30)
    p = _sigma_at(run, run["final_w"], _cell_centres(v))  # numpy, at the cells' centres
    _assert_shading_is(canvas, p)
    # The canvas covers the plotting area (the grid's domain is the plot's).
    svg = page.p.locator("#scatter").bounding_box()
    sx, sy = svg["width"] / 640, svg["height"] / 480
    np.testing.assert_allclose(canvas["box"], [svg["x"] + 56 * sx, svg["y"] + 12 * sy, 570 * sx, 422 * sy],
                               atol=1.0)
    # The boundary's ends are the server's, x·w = 0 by numpy, drawn where the axes put them.
    ends = np.array(v["boundary"][-1])
    np.testing.assert_allclose(_sigma_at(run, run["final_w"], ends), 0.5, atol=1e-12)
    px = 56 + (ends[:, 0] - v["x"][0]) / (v["x"][1] - v["x"][0]) * 570
    py = 480 - 46 - (ends[:, 1] - v["y"][0]) / (v["y"][1] - v["y"][0]) * 422
    drawn = [float(a) for a in page.boundary()]
    np.testing.assert_allclose(drawn, [px[0], py[0], px[1], py[1]], atol=0.01)
    # The points outlined are those numpy puts on the wrong side.
    ds = httpx.get(f"{server}/api/v1/train/dataset").json()
    dog = _sigma_at(run, run["final_w"], ds["features"]) > 0.5
    wrong = np.flatnonzero(dog != np.array(ds["labels"], bool))
    shown = page.p.evaluate("() => [...document.querySelectorAll('.points .wrong')]"
                            ".map(m => +m.dataset.index)")
    assert sorted(shown) == wrong.tolist() and len(shown) == 10


def test_a_step_between_frames_gets_its_own_grid_from_the_server(page, server):
    run = _run(server)
    v = run["view"]
    assert 7 not in v["frames"]  # frames every 4th step of 200
    asked = []
    page.p.on("request", lambda r: r.url.endswith("/api/v1/train/predict") and asked.append(r.post_data_json))
    page.open("step=7")
    page.wait_for("document.body.dataset.exact === '7'")
    assert any(a.get("grid") and a["w"] == run["w"][7] for a in asked)
    _assert_shading_is(_canvas(page), _sigma_at(run, run["w"][7], _cell_centres(v)))
    assert page.text("#r-acc") == f"{100 * v['accuracy'][7]:.3g}%"


def test_hover_reads_the_grid_drawn(page, server):
    run = _run(server)
    v = run["view"]
    page.open()
    box = page.p.locator("#shade").bounding_box()
    for col, row in ((30, 5), (8, 20), (21, 14)):
        page.p.mouse.move(box["x"] + (col + 0.5) * box["width"] / 40,
                          box["y"] + (row + 0.5) * box["height"] / 30)
        page.wait_for("!document.querySelector('#tooltip').hidden")
        shown = float(page.text("#tooltip").rsplit("≈ ", 1)[1])
        cell = v["probability"][-1][row * 40 + col]
        assert shown == pytest.approx(cell, rel=5e-3, abs=1e-6), (col, row, shown, cell)


def test_no_sigmoid_in_the_pages_scripts():
    """The page replays the server's numbers: no exp, sigmoid or boundary arithmetic in its JS."""
    for path in (ROOT / "static" / "js").glob("train*.js"):
        text = path.read_text()
        assert "Math.exp" not in text and "sigmoid" not in text.lower(), path.name


def test_a_click_adds_a_point_and_another_removes_it(page):
    page.open()
    box = page.p.locator("#scatter").bounding_box()
    x, y = box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.1  # top right: no animal there
    page.p.check("input[name=add-class][value='0']")  # a cat among the big dogs
    w_before, runs = page.text("#r-w"), page.runs()
    page.p.mouse.click(x, y)
    assert page.text("#data-count") == "301 points: 150 dogs, 151 cats"
    page.trained(runs)
    assert "pts=" in page.p.url and page.text("#r-w") != w_before
    assert page.p.locator(".points rect.cat").count() == 151
    runs = page.runs()
    page.p.mouse.click(x, y)  # the same place: the new point is removed
    assert page.text("#data-count") == "300 points: 150 dogs, 150 cats"
    page.trained(runs)
    assert page.text("#r-w") == w_before
    runs = page.runs()
    page.p.click("#undo")
    assert page.text("#data-count") == "301 points: 150 dogs, 151 cats"
    page.trained(runs)


def test_a_bad_csv_is_an_error_naming_row_and_column_and_nothing_is_lost(page):
    page.open()
    before = page.boundary()
    page.p.set_input_files("#csv-file", files=[{"name": "pets.csv", "mimeType": "text/csv",
                                                "buffer": b"mass,ear,label\n4,6,cat\n5,x,dog\n"}])
    page.wait_for("!document.querySelector('#csv-error').hidden")
    error = page.text("#csv-error")
    assert "pets.csv" in error and "row 3, column 2 (ear): 'x' is not a finite number" in error
    assert "Nothing was changed" in error
    assert page.text("#data-count") == "300 points: 150 dogs, 150 cats" and page.boundary() == before
    page.shot("train-csv-error.png")
    runs = page.runs()
    good = b"mass_kg,ear_cm,label\n4,6,cat\n5,6.5,cat\n12,9,dog\n15,10,dog\n6,9,dog\n"
    page.p.set_input_files("#csv-file", files=[{"name": "ok.csv", "mimeType": "text/csv", "buffer": good}])
    page.wait_for("document.querySelector('#data-count').textContent.startsWith('5 points')")
    page.trained(runs)
    assert page.p.locator("#csv-error").is_hidden()
    assert page.text("#f1-label") == "mass_kg" and "names=mass_kg|ear_cm" in urllib.parse.unquote(page.p.url)


def test_open_this_steps_graph(page, server):
    page.open("step=12")
    href = page.p.get_attribute("#open-graph", "href")
    params = urllib.parse.parse_qs(href.split("#", 1)[1])
    expression, at = params["f"][0], params["at"][0]
    values = {}
    for part in at.split(";"):
        name, _, text = part.partition("=")
        values[name] = __import__("json").loads(text)
    assert np.shape(values["X"]) == (300, 3) and np.shape(values["y"]) == (300,)
    assert all(row[2] == 1 for row in values["X"])  # the bias column
    w12 = [float(v) for v in page.text("#r-w").strip("[]").split(", ")]
    assert np.allclose(values["w"], w12, rtol=1e-3)
    # The viewer's request for that graph: tensor nodes with shapes, the backward pass.
    r = httpx.post(f"{server}/api/v1/graph", json={"expression": expression, "values": values,
                                                   "requires_grad": ["w"], "layout": False}, timeout=30)
    body = r.json()
    assert r.status_code == 200, body
    shapes = {n["name"]: n["shape"] for n in body["nodes"] if n["kind"] == "var"}
    assert shapes == {"X": [300, 3], "y": [300], "w": [3]}
    assert params["data"] == ["X;y"] and expression.startswith("C = -sum(y * ln(sigmoid(X @ w))")
    assert body["trace"]["backward"] and any(e.get("backward", "") and "vjp" in e["backward"]
                                             for e in body["edges"])
    page.p.click("#open-graph")
    page.p.wait_for_selector("body[data-status=ready]", state="attached", timeout=60_000)
    page.wait_for("document.querySelectorAll('.graph-svg .shape-text').length > 0")
    shapes_shown = page.p.evaluate("() => [...document.querySelectorAll('.graph-svg .shape-text')]"
                                   ".map(t => t.textContent)")
    assert any("300×3" in text for text in shapes_shown), shapes_shown
    page.shot("train-step-graph.png")


def test_a_link_reopens_data_settings_and_step(page):
    page.open("lr=0.5&steps=40&cost=mean&step=7&pts=4,6,0;5,6.5,0;12,9,1;15,10,1;6,9,1"
              "&names=mass|ear&units=kg|cm")
    assert page.p.input_value("#lr") == "0.5" and page.p.input_value("#steps") == "40"
    assert page.p.is_checked("input[name=cost][value=mean]")
    assert page.step() == 7 and page.text("#r-step") == "7 / 40"
    assert page.text("#data-count") == "5 points: 3 dogs, 2 cats"
    assert page.text("#f1-label") == "mass (kg)"
    assert page.text("#cost-formula").startswith("C(w) = −(1/n)")


def test_keyboard_steps_plays_and_jumps(page):
    page.open("step=0")
    page.p.locator("#plot-card").focus()
    for _ in range(3):
        page.p.keyboard.press("ArrowRight")
    assert page.step() == 3
    page.p.keyboard.press("Shift+ArrowRight")
    assert page.step() == 13
    page.p.keyboard.press("ArrowLeft")
    assert page.step() == 12
    page.p.keyboard.press("End")
    assert page.step() == 200
    page.p.keyboard.press("Home")
    assert page.step() == 0
    page.p.keyboard.press(" ")
    page.wait_for("Number(document.querySelector('#scrubber').value) >= 5")
    page.p.keyboard.press(" ")
    assert page.p.get_attribute("#play", "aria-pressed") == "false"
    assert page.p.get_attribute("#scatter", "role") == "img"
    page.p.locator("#points-panel summary").focus()
    page.p.keyboard.press("Enter")  # the table of points: each row's button removes it
    page.wait_for("document.querySelectorAll('#points-table tbody tr').length === 300")
    page.p.locator("#points-table tbody button").first.focus()
    page.p.keyboard.press("Enter")
    assert page.text("#data-count") == "299 points: 150 dogs, 149 cats"
    assert page.p.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Remove point 1"
    assert "300 points. Step" in page.p.locator("#plot-summary").text_content()


def test_prediction_typed_is_asked_of_the_server(page, server):
    run = _run(server)
    asked = []
    page.p.on("request", lambda r: r.url.endswith("/api/v1/train/predict") and asked.append(r.post_data_json))
    page.open()
    for f1, f2, label in (("3", "5", "cat"), ("20", "12", "dog"), ("8.1", "7.9", None)):
        page.p.fill("#p-f1", f1)
        page.p.fill("#p-f2", f2)
        page.wait_for(f"document.querySelector('#p-out').dataset.for === '{f1},{f2},200'")
        out = page.text("#p-out")
        p = _sigma_at(run, run["final_w"], [[float(f1), float(f2)]])[0]
        assert float(out.split(" ")[0]) == pytest.approx(p, rel=1e-3), (out, p)
        assert out.endswith(label or ("dog" if p > 0.5 else "cat"))
        assert {"w": run["final_w"], "scaling": run["scaling"], "points": [[float(f1), float(f2)]]} in asked
    page.p.click("#to-start")  # another step: the prediction follows it
    page.wait_for("document.querySelector('#p-out').dataset.for === '8.1,7.9,0'")
    assert page.text("#p-out") == "0.5 — cat"  # w₀ = 0: σ(0), and x·0 > 0 is false


def test_korean_dark_and_the_link_from_the_main_page(page, server):
    page.open()
    page.p.click("#lang-ko")
    assert page.text("#settings-title") == "경사 하강법으로 로지스틱 회귀"
    assert "lang=ko" in page.p.url and page.text("#data-count") == "점 300개: 개 150, 고양이 150"
    theme = page.p.evaluate("() => document.documentElement.dataset.theme")
    page.p.click("#theme")
    assert page.p.evaluate("() => document.documentElement.dataset.theme") != theme
    page.shot("train-ko-theme.png")
    page.p.click("#theme")
    page.p.goto(f"{server}/")
    # The viewer's first graph waits for Graphviz's WebAssembly to compile: a slow machine's minute.
    page.p.wait_for_selector("body[data-status=ready]", state="attached", timeout=60_000)
    page.p.click("#train-link")
    page.wait_for("document.body.dataset.status === 'ready'")
    assert page.p.url.endswith("/train")
