"""A training request run: its data checked against the settings' bounds, the run of
training/ turned into the response body, and the NDJSON lines of a streamed run (a `start` line,
`progress` lines, the `result`), which stop as soon as `cancel` is set (the client went away)."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

import training
from engine import ExpressionError, LimitExceeded

from .encoding import dumps
from .settings import Settings
from .train_schemas import PredictRequest, TrainRequest

PROGRESS_LINES = 100  # at most this many progress lines in a stream
DESIGN_ROWS = 1_000  # a view carries X's rows (for the step's graph) up to this many points
log = logging.getLogger("chainrule")


class _Streams:
    """Streamed runs cancelled by their client, and where the last one stopped (step, of steps),
    as tests look at them (each is also logged)."""

    cancelled = 0
    last_cancelled_at: tuple[int, int] | None = None


STREAMS = _Streams()


@dataclass
class Prepared:
    """A request made ready: X (with the ones column), y, and what to say about them."""

    X: np.ndarray
    y: np.ndarray
    scaling: training.Scaling
    info: dict
    features: np.ndarray
    grid: tuple[int, int, int]  # columns, rows and most frames of a `view`


def prepare(body: TrainRequest, settings: Settings) -> Prepared:
    """The data (the request's or the built-in set), checked: labels 0 or 1, as many as points,
    rows, steps and steps × rows within the settings' bounds (422 naming the limit)."""
    if body.data is None:
        ds = training.builtin()
        names, units, source = list(ds.names), list(ds.units), "builtin"
        features, labels = ds.features, ds.labels
    else:
        d = body.data
        if len(d.labels) != len(d.features):
            raise ExpressionError(f"data has {len(d.features)} points but {len(d.labels)} labels: "
                                  "give one label per point", code="invalid_request",
                                  field="data.labels")
        for i, label in enumerate(d.labels):
            if label not in (0.0, 1.0):
                raise ExpressionError(f"data.labels[{i}] is {label}: a label is 1 (dog) or 0 (cat)",
                                      code="invalid_value", field=f"data.labels[{i}]",
                                      text=str(label))
        features = np.array(d.features, dtype=np.float64)
        labels = np.array(d.labels, dtype=np.float64)
        names = d.names or ["feature 1", "feature 2"]
        units = d.units or ["", ""]
        source = "request"
    rows = len(labels)
    _bound("train_max_rows", rows, settings.train_max_rows, "data.features",
           f"the data has {rows:,} points")
    _bound("train_max_steps", body.steps, settings.train_max_steps, "steps",
           f"{body.steps:,} steps were asked for")
    _bound("train_max_work", body.steps * rows, settings.train_max_work, "steps",
           f"{body.steps:,} steps × {rows:,} points = {body.steps * rows:,}")
    scaling = training.Scaling.standard(features) if body.standardize else training.Scaling()
    X = training.design_matrix(features, scaling)
    # Features near float64's limit: their spread overflows.
    if not (np.isfinite(X).all() and np.isfinite(scaling.mean + scaling.scale).all()):
        raise ExpressionError("the features are too large to standardise (their spread overflows "
                              "float64): give them in smaller units", code="invalid_value",
                              field="data.features")
    info = {"rows": rows, "names": names, "units": units, "source": source}
    grid = (settings.train_grid_columns, settings.train_grid_rows, settings.train_view_frames)
    return Prepared(X, labels, scaling, info, features, grid)


def _bound(limit: str, actual: int, maximum: int, field: str, what: str) -> None:
    if actual > maximum:
        raise LimitExceeded(f"{what}; at most {maximum:,} are allowed ({limit}: steps × rows is "
                            "the work of a run)" if limit == "train_max_work" else
                            f"{what}; at most {maximum:,} are allowed ({limit})",
                            code="limit_exceeded", field=field, limit=limit, maximum=maximum,
                            actual=actual)


def _numbers(a: np.ndarray) -> list:
    return [float(v) for v in a]


def result_body(body: TrainRequest, prep: Prepared, run: training.Run) -> dict:
    check = run.check
    return {
        "expression": training.cost_expression(body.cost), "cost": body.cost, "lr": body.lr,
        "steps": body.steps, "steps_run": run.steps[-1].index, "data": prep.info,
        "scaling": {"mean": list(prep.scaling.mean), "scale": list(prep.scaling.scale)},
        "loss": [s.loss for s in run.steps], "w": [_numbers(s.w) for s in run.steps],
        "grad_norm": [s.grad_norm for s in run.steps], "final_w": _numbers(run.final_w),
        "accuracy": run.accuracy,
        "gradient_check": {"w": _numbers(check.w), "reverse": _numbers(check.reverse),
                           "central": _numbers(check.central), "h": check.h,
                           "max_relative_error": check.max_relative_error, "ok": check.ok},
        "stopped": run.stopped,
        "snippet": (training.torch_training_snippet(prep.X, prep.y, body.lr, body.steps, body.cost)
                    if body.snippet else None),
        "view": view_body(prep, run) if body.view else None,
    }


def view_body(prep: Prepared, run: training.Run) -> dict:
    """What the page draws of the run (train_schemas.View): per step the boundary and the
    accuracy, per frame the probability grid and the points on the wrong side."""
    columns, rows, most = prep.grid
    box = training.domain(prep.features)
    ws = np.array([s.w for s in run.steps])
    with np.errstate(all="ignore"):  # a run that diverged: inf in w, nan in x·w, both answers
        shown = training.frames(len(ws) - 1, most)
        grids = [training.grid(ws[k], prep.scaling, box, columns, rows).ravel().tolist() for k in shown]
        wrong = [training.view.wrong(prep.X, prep.y, ws[k]).tolist() for k in shown]
        accuracy = training.view.accuracies(prep.X, prep.y, ws).tolist()
    return {"x": [box.x0, box.x1], "y": [box.y0, box.y1], "columns": columns, "rows": rows,
            "boundary": [training.boundary(w, prep.scaling, box) for w in ws],
            "accuracy": accuracy, "frames": shown, "probability": grids, "wrong": wrong,
            "design": prep.X.tolist() if len(prep.X) <= DESIGN_ROWS else None}


def predict_body(body: PredictRequest, settings: Settings) -> dict:
    """σ(x·w) at the points (and on the grid, with the boundary inside it), after checking the
    request against the settings: 422 naming the field."""
    _bound("train_max_rows", len(body.points), settings.train_max_rows, "points",
           f"{len(body.points):,} points were given")
    scaling = training.Scaling()
    if body.scaling is not None:
        for i, s in enumerate(body.scaling.scale):
            if s == 0:
                raise ExpressionError(f"scaling.scale[{i}] is 0: a feature is divided by it",
                                      code="invalid_value", field=f"scaling.scale[{i}]", text="0")
        scaling = training.Scaling(tuple(body.scaling.mean), tuple(body.scaling.scale))  # type: ignore[arg-type]
    w = np.array(body.w, dtype=np.float64)
    features = np.array(body.points, dtype=np.float64).reshape(-1, 2)
    with np.errstate(all="ignore"):  # huge features or weights: inf and nan are answers
        X = training.design_matrix(features, scaling)
        out: dict = {"probability": training.probability(w, scaling, features).tolist(),
                     "dog": (X @ w > 0).tolist(), "grid": None, "boundary": None}
        g = body.grid
        if g is not None:
            _bound("train_grid_columns", g.columns, settings.train_grid_columns, "grid.columns",
                   f"{g.columns:,} columns were asked for")
            _bound("train_grid_rows", g.rows, settings.train_grid_rows, "grid.rows",
                   f"{g.rows:,} rows were asked for")
            for name, (lo, hi) in (("x", g.x), ("y", g.y)):
                if not lo < hi:
                    raise ExpressionError(f"grid.{name} is [{lo}, {hi}]: the first must be below "
                                          "the last", code="invalid_value", field=f"grid.{name}")
            box = training.Box(g.x[0], g.x[1], g.y[0], g.y[1])
            p = training.grid(w, scaling, box, g.columns, g.rows)
            out["grid"] = {"x": list(g.x), "y": list(g.y), "columns": g.columns, "rows": g.rows,
                           "probability": p.ravel().tolist()}
            out["boundary"] = training.boundary(w, scaling, box)
    return out


def _nothing() -> None:
    pass


def run_body(body: TrainRequest, prep: Prepared, checkpoint: Callable[[], None] = _nothing) -> dict:
    """training.train's run, `checkpoint` called before each step (app.heavy: it stops a run over
    its CPU-time budget or whose client left)."""
    graph = training.cost_graph(body.cost)
    check = training.check_gradient(graph, prep.X, prep.y, np.zeros(prep.X.shape[1]))
    steps: list[training.Step] = []
    for step in training.descend(prep.X, prep.y, body.lr, body.steps, body.cost, graph=graph):
        checkpoint()
        steps.append(step)
    return result_body(body, prep, training.finish(steps, check, prep.X, prep.y, body.steps))


def stream_lines(body: TrainRequest, prep: Prepared, cancel: threading.Event) -> Iterator[bytes]:
    """NDJSON: `start` (the gradient check already made), `progress` every 1% of the steps, then
    `result`. Each `next()` runs at most 1% of the steps; between steps `cancel` is looked at, so
    a closed connection stops the run within a step."""
    graph = training.cost_graph(body.cost)  # once, for the run
    check = training.check_gradient(graph, prep.X, prep.y, np.zeros(prep.X.shape[1]))
    yield _line({"event": "start", "steps": body.steps, "rows": prep.info["rows"],
                 "expression": training.cost_expression(body.cost),
                 "gradient_check": {"max_relative_error": check.max_relative_error, "ok": check.ok}})
    every = max(1, math.ceil(body.steps / PROGRESS_LINES))
    steps: list[training.Step] = []
    done = False
    try:
        for step in training.descend(prep.X, prep.y, body.lr, body.steps, body.cost, graph=graph):
            if cancel.is_set():
                return
            steps.append(step)
            if step.index % every == 0 and step.index < body.steps:
                yield _line({"event": "progress", "step": step.index, "steps": body.steps,
                             "loss": step.loss, "grad_norm": step.grad_norm})
        run = training.finish(steps, check, prep.X, prep.y, body.steps)
        done = True
        yield _line({"event": "result", **result_body(body, prep, run)})
    finally:  # returned on `cancel`, or closed while waiting at a yield
        if not done:
            STREAMS.cancelled += 1
            STREAMS.last_cancelled_at = (len(steps) - 1, body.steps)
            log.info("training run cancelled by its client at step %d of %d", len(steps) - 1,
                     body.steps)


def _line(obj: dict) -> bytes:
    return dumps(obj) + b"\n"
