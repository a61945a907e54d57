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
    assert {"data", "lr", "steps", "cost", "stream"} <= set(schema)


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
