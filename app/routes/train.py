"""POST /api/v1/train (logistic regression by gradient descent on C(w), as JSON or streamed as
NDJSON), GET /api/v1/train/dataset (the built-in dog/cat set), POST /api/v1/train/csv (a CSV
read into points, or an error naming its row and column) and POST /api/v1/train/predict (what a
step's w says at points and on a grid)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

import training

from ..encoding import EncodedJSON, dumps
from ..errors import error_responses
from ..heavy import BudgetExceeded, admission
from ..train_schemas import (
    TRAIN_EXAMPLES,
    CSVRequest,
    DatasetResponse,
    PredictRequest,
    PredictResponse,
    TrainRequest,
    TrainResponse,
)
from ..training import predict_body, prepare, run_body, stream_lines
from .deps import JSONRoute, SettingsDep

router = APIRouter(tags=["training"], route_class=JSONRoute)
NDJSON = "application/x-ndjson"

STREAM_DOC = {"200": {"description": "The run, as JSON; or, with `stream: true` or `Accept: "
                      "application/x-ndjson`, as NDJSON lines: `{\"event\": \"start\", ...}`, "
                      "`{\"event\": \"progress\", \"step\", \"steps\", \"loss\", \"grad_norm\"}` "
                      "and last `{\"event\": \"result\", ...the JSON answer}` (or, past "
                      "train_cpu_s, `{\"event\": \"error\", \"detail\": {...}}`).",
                      "content": {NDJSON: {"schema": {"type": "string"}}}}}


def _dataset_body(ds: training.Dataset) -> dict:
    return {"features": ds.features.tolist(), "labels": ds.labels.tolist(), "names": list(ds.names),
            "units": list(ds.units), "source": ds.source}


def dataset() -> EncodedJSON:
    """The built-in data: 300 animals (150 cats, 150 dogs) by body mass (kg) and ear length (cm),
    seeded, the classes overlapping a little. Label 1 is a dog, 0 a cat."""
    return EncodedJSON(_dataset_body(training.builtin()))


# A GET has no body: a plain route, not JSONRoute's content-type check.
router.add_api_route("/train/dataset", dataset, methods=["GET"], response_model=DatasetResponse,
                     summary="The built-in dog/cat set", route_class_override=APIRoute)


@router.post("/train/csv", response_model=DatasetResponse, responses=error_responses(400, 413, 415, 422),
             summary="Read a CSV of points")
def read_csv(body: CSVRequest, settings: SettingsDep) -> EncodedJSON:
    """Rows of feature 1, feature 2, label (1 or dog, 0 or cat), with an optional header naming
    the features. A bad cell is a 422 whose message names the row and column (`line` the 1-based
    row, `column` the 0-based character where the cell starts, `field` "csv"); more than
    `train_max_rows` rows or 3 columns is a 422 naming the limit."""
    return EncodedJSON(_dataset_body(training.parse_csv(body.csv, settings.train_max_rows)))


@router.post("/train/predict", response_model=PredictResponse,
             responses=error_responses(400, 413, 415, 422), summary="Predict with a step's w")
def predict(body: PredictRequest, settings: SettingsDep) -> EncodedJSON:
    """P(dog) = σ(xᵢ·w) at each point, xᵢ = [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1] with the run's
    `scaling`, and whether xᵢ·w > 0 (dog); with `grid`, σ at the centre of each of its cells and
    the boundary x·w = 0 inside it. The /train page asks this for a typed point and for a step
    whose grid the run did not carry. Bounds: `train_max_rows` points, `train_grid_columns` ×
    `train_grid_rows` cells (422 naming the limit)."""
    return EncodedJSON(predict_body(body, settings))


@router.post("/train", response_model=TrainResponse, responses={
                 **error_responses(400, 413, 415, 422, 503), **STREAM_DOC},
             summary="Train the classifier")
async def train(body: Annotated[TrainRequest, Body(openapi_examples=TRAIN_EXAMPLES)], request: Request,
                settings: SettingsDep) -> EncodedJSON | StreamingResponse:
    """Gradient descent on the lecture's cost C(w) = −Σ yᵢ log σ(xᵢ·w) + (1−yᵢ) log(1−σ(xᵢ·w))
    (or its mean, `cost: "mean"`), from w₀ = 0: w_{k+1} = w_k − lr ∇C(w_k), full batch. Each
    step's gradient is the engine's reverse mode on one graph of C(w), built once and re-run.
    X has rows xᵢ = [feature 1, feature 2, 1] (the ones carry the bias), standardised unless
    `standardize` is false. `data` absent: the built-in dog/cat set.

    The answer: per step k = 0 … steps the cost, w_k and ‖∇C(w_k)‖; the final w; the accuracy;
    step 0's gradient against central differences (`gradient_check`); with `snippet`, the same
    loop in PyTorch; with `view`, what the /train page draws (the boundary and accuracy per
    step, probability grids over the plot's domain for up to `train_view_frames` steps). A run
    whose cost stops being finite ends there and says why (`stopped`).

    Long runs: `stream: true` (or `Accept: application/x-ndjson`) answers as NDJSON, progress
    first, the result last; closing the connection cancels the run. Bounds: `train_max_rows`
    points, `train_max_steps` steps and `train_max_work` steps × rows (422 naming the limit).
    """
    prep = prepare(body, settings)  # bad data and bounds: a 422 before anything is streamed
    slots = admission(request)  # a heavy request: 503 when max_heavy_requests are in flight
    if not (body.stream or NDJSON in request.headers.get("accept", "")):
        return await slots.run(request, "train_cpu_s", settings.train_cpu_s,
                               lambda checkpoint: EncodedJSON(run_body(body, prep, checkpoint)))
    slots.enter()
    cancel = threading.Event()
    lines = stream_lines(body, prep, cancel)
    return HeldStream(_streamed(lines, request, cancel, settings.train_cpu_s), release=slots.leave,
                      media_type=NDJSON,
                      headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


class HeldStream(StreamingResponse):
    """A stream that holds a heavy slot until it has been sent or abandoned (`release` runs
    whether or not the body iterator ever started)."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


async def _streamed(lines: Iterator[bytes], request: Request, cancel: threading.Event,
                    cpu_s: float) -> AsyncIterator[bytes]:
    """Each line computed in the threadpool (the event loop stays free); a client that went away
    sets `cancel`, which the run looks at between steps. Past `cpu_s` CPU seconds in all, the
    stream ends with an `error` line naming the budget (train_cpu_s)."""
    used = [0.0]
    try:
        while True:
            if await request.is_disconnected():
                return
            line = await run_in_threadpool(_timed_next, lines, used)
            if line is None:
                return
            yield line
            if used[0] > cpu_s:
                yield dumps({"event": "error", **BudgetExceeded("train_cpu_s", cpu_s, used[0]).body()}
                            ) + b"\n"
                return
    finally:
        cancel.set()  # finished, or the client left: either way nothing more is computed
        # Waiting at a yield: closed now. Running in the threadpool (ValueError): it sees
        # `cancel` after the step under way.
        with contextlib.suppress(ValueError):
            lines.close()


def _timed_next(lines: Iterator[bytes], used: list[float]) -> bytes | None:
    """The next line, its CPU time (this thread's) added to used[0]."""
    start = time.thread_time()
    try:
        return next(lines, None)
    finally:
        used[0] += time.thread_time() - start
