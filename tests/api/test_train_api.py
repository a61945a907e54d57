"""The training routes in-process: POST /api/v1/train as JSON and as NDJSON (cancelled when the
client leaves), its bounds and errors in the one error shape, the data routes, and OpenAPI."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

import training
from app.main import create_app
from app.settings import Settings
from app.training import STREAMS


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(Settings(layout_warm_up=False, symbolic_warm_up=False,
                                          train_max_work=2_000_000)))


def test_builtin_run_as_json(client):
    r = client.post("/api/v1/train", json={"lr": 0.005, "steps": 200, "cost": "sum"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["steps_run"] == 200 and len(body["loss"]) == len(body["w"]) == len(body["grad_norm"]) == 201
    assert body["data"] == {"rows": 300, "names": ["body mass", "ear length"], "units": ["kg", "cm"],
                            "source": "builtin"}
    assert body["accuracy"] >= 0.95 and body["gradient_check"]["ok"]
    assert body["w"][0] == [0.0, 0.0, 0.0] and body["final_w"] == body["w"][-1]
    assert all(b <= a for a, b in zip(body["loss"], body["loss"][1:]))
    assert body["expression"].startswith("C = -sum(") and body["snippet"] is None
    ds = training.builtin()
    X = training.design_matrix(ds.features, training.Scaling.standard(ds.features))
    np.testing.assert_allclose(body["final_w"], training.train(X, ds.labels, 0.005, 200).final_w,
                               rtol=1e-15)


def test_own_data_unscaled_mean_with_snippet(client):
    data = {"features": [[4, 6], [5, 6.5], [12, 9], [15, 10.5], [6, 9]], "labels": [0, 0, 1, 1, 0],
            "names": ["mass", "ear"], "units": ["kg", "cm"]}
    r = client.post("/api/v1/train", json={"data": data, "lr": 0.01, "steps": 30, "cost": "mean",
                                           "standardize": False, "snippet": True})
    body = r.json()
    assert r.status_code == 200, body
    assert body["scaling"] == {"mean": [0.0, 0.0], "scale": [1.0, 1.0]}
    assert body["data"]["source"] == "request" and body["expression"].startswith("C = -mean(")
    assert "torch.mean(" in body["snippet"] and "lr, steps = 0.01, 30" in body["snippet"]


def test_stream_is_ndjson_progress_then_result(client):
    with client.stream("POST", "/api/v1/train", json={"steps": 500},
                       headers={"Accept": "application/x-ndjson"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert lines[0]["event"] == "start" and lines[0]["gradient_check"]["ok"]
    progress = [x for x in lines if x["event"] == "progress"]
    assert 50 <= len(progress) <= 100 and progress[0]["step"] == 0
    assert [x["step"] for x in progress] == sorted(x["step"] for x in progress)
    result = lines[-1]
    assert result["event"] == "result" and result["steps_run"] == 500 and len(result["loss"]) == 501
    plain = client.post("/api/v1/train", json={"steps": 500}).json()
    assert result["final_w"] == plain["final_w"]


def test_stream_chosen_in_the_body(client):
    r = client.post("/api/v1/train", json={"steps": 3, "stream": True})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert json.loads(r.text.splitlines()[-1])["event"] == "result"


@pytest.mark.parametrize(("body", "limit", "field"), [
    ({"steps": 30_000}, "train_max_steps", "steps"),
    ({"steps": 10_000}, "train_max_work", "steps"),  # 10,000 × 300 > 2,000,000
])
def test_bounds_are_422_naming_the_limit(client, body, limit, field):
    r = client.post("/api/v1/train", json=body)
    d = r.json()["detail"]
    assert r.status_code == 422 and d["limit"] == limit and d["field"] == field
    assert d["code"] == "limit_exceeded" and d["actual"] > d["maximum"]
    assert limit in d["message"]


def test_too_many_rows(client):
    app = create_app(Settings(layout_warm_up=False, symbolic_warm_up=False, train_max_rows=3))
    r = TestClient(app).post("/api/v1/train", json={"data": {"features": [[1, 2]] * 4,
                                                             "labels": [0, 1, 0, 1]}})
    assert r.status_code == 422 and r.json()["detail"]["limit"] == "train_max_rows"


@pytest.mark.parametrize(("body", "field"), [
    ({"data": {"features": [[1, 2], [3, 4]], "labels": [0, 2]}}, "data.labels[1]"),
    ({"data": {"features": [[1, 2], [3, 4]], "labels": [0]}}, "data.labels"),
    ({"data": {"features": [[1, 2, 3]], "labels": [0]}}, "data.features[0]"),
    ({"data": {"features": [[1, "a"]], "labels": [0]}}, "data.features[0][1]"),
    ({"data": {"features": [[1e308, 1], [-1e308, 2]], "labels": [0, 1]}}, "data.features"),
    ({"lr": 0}, "lr"), ({"lr": -1}, "lr"), ({"steps": -1}, "steps"), ({"cost": "max"}, "cost"),
    ({"steps": 1.5}, "steps"), ({"epochs": 3}, "epochs"),
])
def test_bad_requests_name_the_field(client, body, field):
    r = client.post("/api/v1/train", json=body)
    d = r.json()["detail"]
    assert r.status_code == 422 and d["field"] == field, d
    assert set(d) >= {"code", "message", "line", "column", "text"}


def test_dataset_and_csv_routes(client):
    ds = client.get("/api/v1/train/dataset").json()
    assert len(ds["features"]) == 300 and ds["names"] == ["body mass", "ear length"]
    r = client.post("/api/v1/train/csv", json={"csv": "mass,ear,label\n4,6,cat\n12,9,dog\n"})
    assert r.json() == {"features": [[4.0, 6.0], [12.0, 9.0]], "labels": [0.0, 1.0],
                        "names": ["mass", "ear"], "units": ["", ""], "source": "csv"}
    r = client.post("/api/v1/train/csv", json={"csv": "mass,ear,label\n4,6,cat\n12,9;,dog\n"})
    d = r.json()["detail"]
    assert r.status_code == 422 and d["code"] == "invalid_csv"
    assert (d["line"], d["column"], d["field"]) == (3, 3, "csv") and "row 3, column 2" in d["message"]


def test_openapi_documents_training(client):
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/api/v1/train"]["post"]
    assert "Gradient descent" in post["description"]
    assert "application/x-ndjson" in post["responses"]["200"]["content"]
    assert "422" in post["responses"]
    assert "/api/v1/train/dataset" in doc["paths"] and "/api/v1/train/csv" in doc["paths"]
    schema = doc["components"]["schemas"]["TrainRequest"]["properties"]
    assert {"data", "lr", "steps", "cost", "stream", "view"} <= set(schema)
    view = doc["components"]["schemas"]["View"]["properties"]
    assert {"x", "y", "columns", "rows", "boundary", "accuracy", "frames", "probability", "wrong",
            "design"} <= set(view)
    predict = doc["paths"]["/api/v1/train/predict"]["post"]
    assert "σ(xᵢ·w)" in predict["description"] and "422" in predict["responses"]
    out = doc["components"]["schemas"]["PredictResponse"]["properties"]
    assert {"probability", "dog", "grid", "boundary"} <= set(out)


def test_closing_the_connection_cancels_the_run():
    """The ASGI app driven by hand: read the first lines of a long stream, then disconnect; the
    run stops (STREAMS records where) long before its last step."""
    app = create_app(Settings(layout_warm_up=False, symbolic_warm_up=False))
    body = json.dumps({"steps": 20_000, "stream": True}).encode()  # ~seconds of work

    async def main() -> None:
        before = STREAMS.cancelled
        incoming: asyncio.Queue = asyncio.Queue()
        await incoming.put({"type": "http.request", "body": body, "more_body": False})
        chunks: list[bytes] = []
        got_two = asyncio.Event()

        async def receive():
            return await incoming.get()

        async def send(message):
            if message["type"] == "http.response.body" and message.get("body"):
                chunks.append(message["body"])
                if len(chunks) >= 2:
                    got_two.set()

        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
                 "method": "POST", "path": "/api/v1/train", "raw_path": b"/api/v1/train",
                 "query_string": b"", "root_path": "", "scheme": "http",
                 "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
                 "client": ("127.0.0.1", 1), "server": ("test", 80)}
        task = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(got_two.wait(), 30)
        await incoming.put({"type": "http.disconnect"})
        await asyncio.wait_for(task, 30)
        for _ in range(300):  # the step under way finishes, then the run sees the flag
            if STREAMS.cancelled > before:
                break
            await asyncio.sleep(0.05)
        assert STREAMS.cancelled == before + 1
        step, of = STREAMS.last_cancelled_at
        assert of == 20_000 and step < 20_000
        assert not any(b'"event":"result"' in c for c in chunks)

    asyncio.run(main())


# --- what the page draws: computed here, checked against numpy ------------------------------

def _sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def _centres(x, y, columns, rows):
    """Cell centres, row 0 the top (y[1]), each row left to right: as the View documents."""
    xs = x[0] + (np.arange(columns) + 0.5) * (x[1] - x[0]) / columns
    ys = y[1] - (np.arange(rows) + 0.5) * (y[1] - y[0]) / rows
    fx, fy = np.meshgrid(xs, ys)
    return np.column_stack([fx.ravel(), fy.ravel()])


def _rows(features, scaling):
    f = np.asarray(features, dtype=float)
    return np.column_stack([(f - scaling["mean"]) / scaling["scale"], np.ones(len(f))])


def test_the_view_is_sigma_of_x_dot_w_on_the_plots_domain(client):
    r = client.post("/api/v1/train", json={"lr": 0.005, "steps": 200, "view": True})
    body = r.json()
    v, sc = body["view"], body["scaling"]
    ds = training.builtin()
    f = ds.features
    # The domain: the data's range widened by 8% each side.
    span = f.max(axis=0) - f.min(axis=0)
    np.testing.assert_allclose([v["x"], v["y"]], np.column_stack([f.min(axis=0) - 0.08 * span,
                                                                   f.max(axis=0) + 0.08 * span]),
                               rtol=1e-12)
    assert (v["columns"], v["rows"]) == (40, 30)
    assert len(v["frames"]) == 51 and v["frames"][0] == 0 and v["frames"][-1] == 200
    assert v["frames"] == sorted(set(v["frames"])) and len(v["probability"]) == len(v["wrong"]) == 51
    X = _rows(f, sc)
    np.testing.assert_allclose(v["design"], X, rtol=1e-15)
    cells = _rows(_centres(v["x"], v["y"], 40, 30), sc)
    for frame, k in enumerate(v["frames"]):
        w = np.array(body["w"][k])
        p = _sigma(cells @ w)
        assert len(v["probability"][frame]) == 1200
        np.testing.assert_allclose(v["probability"][frame], p, atol=5.1e-5)  # 4 decimals
        assert v["wrong"][frame] == np.flatnonzero((X @ w > 0) != (ds.labels == 1)).tolist()
    assert v["probability"][0] == [0.5] * 1200  # w₀ = 0
    # Per step: accuracy as numpy counts it, the boundary on the domain's edges with x·w = 0.
    W = np.array(body["w"])
    np.testing.assert_allclose(v["accuracy"], np.mean((X @ W.T > 0) == (ds.labels == 1)[:, None], axis=0),
                               rtol=1e-15)
    assert v["accuracy"][-1] == body["accuracy"] >= 0.95
    assert v["boundary"][0] is None  # w = 0: no line
    for k in (1, 7, 100, 200):
        ends = np.array(v["boundary"][k])
        z = _rows(ends, sc) @ W[k]
        np.testing.assert_allclose(z, 0, atol=1e-9 * np.abs(W[k]).max() * 10)
        on_edge = [np.isclose(e[0], v["x"]).any() or np.isclose(e[1], v["y"]).any() for e in ends]
        assert all(on_edge), ends


def test_the_view_streams_in_the_result_line(client):
    with client.stream("POST", "/api/v1/train", json={"steps": 20, "view": True, "stream": True}) as r:
        lines = [json.loads(line) for line in r.iter_lines() if line]
    v = lines[-1]["view"]
    assert lines[-1]["event"] == "result" and v["frames"] == list(range(21))
    assert len(v["boundary"]) == len(v["accuracy"]) == 21
    assert client.post("/api/v1/train", json={"steps": 20}).json()["view"] is None  # asked for only


def test_view_of_a_diverged_run_and_of_one_point(client):
    body = client.post("/api/v1/train", json={"steps": 5, "lr": 1e6, "view": True}).json()
    assert body["stopped"] and len(body["view"]["boundary"]) == body["steps_run"] + 1
    one = {"features": [[5.0, 5.0]], "labels": [1]}
    v = client.post("/api/v1/train", json={"data": one, "steps": 3, "view": True,
                                           "standardize": False}).json()["view"]
    assert v["x"] == [4.6, 5.4] and v["y"] == [4.6, 5.4] and v["wrong"][0] == [0]
    huge = {"features": [[1e308, 0.0], [-1e308, 1.0]], "labels": [1, 0]}
    r = client.post("/api/v1/train", json={"data": huge, "steps": 2, "view": True, "standardize": False})
    v = r.json()["view"]
    assert r.status_code == 200 and v["x"] == [-1e308, 1e308]  # no padding past float64's limit


def test_predict_is_sigma_of_x_dot_w(client):
    run = client.post("/api/v1/train", json={"lr": 0.005, "steps": 60, "view": True}).json()
    v, sc = run["view"], run["scaling"]
    points = [[3.0, 5.0], [20.0, 12.0], [7.8, 7.6], [-1e3, 1e3]]
    for k in (60, 37):  # a frame's step and one between frames
        w = run["w"][k]
        grid = {"x": v["x"], "y": v["y"], "columns": 40, "rows": 30}
        r = client.post("/api/v1/train/predict", json={"w": w, "scaling": sc, "points": points,
                                                       "grid": grid})
        p = r.json()
        assert r.status_code == 200, p
        z = _rows(points, sc) @ np.array(w)
        np.testing.assert_allclose(p["probability"], _sigma(z), rtol=1e-12, atol=1e-300)
        assert p["dog"] == (z > 0).tolist()
        np.testing.assert_allclose(p["grid"]["probability"],
                                   _sigma(_rows(_centres(v["x"], v["y"], 40, 30), sc) @ np.array(w)),
                                   atol=5.1e-5)
        assert p["boundary"] == v["boundary"][k]
        if k in v["frames"]:
            assert p["grid"]["probability"] == v["probability"][v["frames"].index(k)]
    huge = {"x": [0.0, 1.0], "y": [0.0, 1.3407807929942597e+154], "columns": 1, "rows": 1}  # schemathesis'
    r = client.post("/api/v1/train/predict", json={"w": [1.0, 0.0, 0.0], "grid": huge})
    assert r.status_code == 200 and r.json()["boundary"] == [[0.0, 0.0], [0.0, 1.3407807929942597e+154]]
    r = client.post("/api/v1/train/predict", json={"w": [1e300, 1e300, 0.0], "points": [[1e300, -1e300]],
                                                   "grid": {"x": [-1e308, 1e308], "y": [-1e308, 1e308],
                                                            "columns": 3, "rows": 2}})
    assert r.status_code == 200, r.text  # inf and nan are answers ("nan"), never a 500
    r = client.post("/api/v1/train/predict", json={"w": [1, 0, 0], "points": [[800.0, 0.0], [-800.0, 0.0]]})
    assert r.json()["probability"] == [1.0, 0.0] and r.json()["grid"] is None  # no overflow


@pytest.mark.parametrize("body, field", [
    ({"w": [1, 2]}, "w"),
    ({"w": [1, 2, 3], "points": [[1, 2, 3]]}, "points[0]"),
    ({"w": [1, 2, 3], "scaling": {"mean": [0, 0], "scale": [1, 0]}}, "scaling.scale[1]"),
    ({"w": [1, 2, 3], "grid": {"x": [2, 1], "y": [0, 1], "columns": 4, "rows": 4}}, "grid.x"),
    ({"w": [1, 2, 3], "grid": {"x": [0, 1], "y": [0, 1], "columns": 41, "rows": 4}}, "grid.columns"),
    ({"w": [1, 2, 3], "grid": {"x": [0, 1], "y": [0, 1], "columns": 4, "rows": 31}}, "grid.rows"),
    ({"w": [1, 2, "inf"]}, "w[2]"),
])
def test_predict_bad_requests_name_the_field(client, body, field):
    r = client.post("/api/v1/train/predict", json=body)
    d = r.json()["detail"]
    assert r.status_code == 422 and d["field"] == field, d
