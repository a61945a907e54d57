"""Request and response models of the training routes (POST /api/v1/train, /train/csv and
GET /api/v1/train/dataset): logistic regression learned by gradient descent on C(w)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from .schemas import FiniteFloat, Number

Point = Annotated[list[FiniteFloat], Field(min_length=2, max_length=2,
                                           description="[feature 1, feature 2], e.g. [4.2, 6.1]")]


class TrainData(BaseModel):
    """Points and labels (1: dog, 0: cat), with what the two features are."""

    model_config = ConfigDict(extra="forbid")

    features: list[Point] = Field(min_length=1, description="one [feature 1, feature 2] per point")
    labels: list[FiniteFloat] = Field(min_length=1, description="1 (dog) or 0 (cat) per point")
    names: list[StrictStr] | None = Field(None, min_length=2, max_length=2,
                                          description='the features\' names, e.g. ["body mass", '
                                                      '"ear length"]')
    units: list[StrictStr] | None = Field(None, min_length=2, max_length=2,
                                          description='their units, e.g. ["kg", "cm"]')


TRAIN_EXAMPLES = {
    "builtin": {"summary": "the built-in dog/cat set, the lecture's sum, 200 steps",
                "value": {"lr": 0.005, "steps": 200, "cost": "sum"}},
    "mean": {"summary": "the mean cost, a bigger step",
             "value": {"lr": 1.0, "steps": 100, "cost": "mean"}},
    "own": {"summary": "your own points, streamed as NDJSON",
            "value": {"data": {"features": [[4, 6], [5, 6.5], [12, 9], [15, 10.5]],
                               "labels": [0, 0, 1, 1]}, "lr": 0.1, "steps": 50, "stream": True}},
}


class TrainRequest(BaseModel):
    """What to learn from and how: gradient descent w_{k+1} = w_k − lr ∇C(w_k) from w₀ = 0."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [e["value"] for e in TRAIN_EXAMPLES.values()]})

    data: TrainData | None = Field(None, description="the points; null or absent: the built-in "
                                                     "dog/cat set")
    lr: FiniteFloat = Field(0.005, gt=0, le=1e6, description="the learning rate")
    steps: StrictInt = Field(200, ge=0, description="gradient-descent steps (the answer has "
                                                    "steps + 1 entries: w₀ … w_steps)")
    cost: Literal["sum", "mean"] = Field("sum", description="C(w) as the lecture writes it (sum "
                                                            "over the points) or its mean")
    standardize: StrictBool = Field(True, description="columns of X as (feature − mean) / standard "
                                                      "deviation, so one learning rate suits both")
    stream: StrictBool = Field(False, description="answer as NDJSON (application/x-ndjson): a "
                               "`start` line, `progress` lines, then the `result` line; also "
                               "chosen by `Accept: application/x-ndjson`")
    snippet: StrictBool = Field(False, description="include the same loop as PyTorch code")
    view: StrictBool = Field(False, description="include what the /train page draws (`view`): the "
                             "plot's domain, the boundary and accuracy per step, probability grids")


class Scaling(BaseModel):
    mean: list[float] = Field(description="subtracted from each feature")
    scale: list[float] = Field(description="then divided by; X's rows are [(f₁ − m₁)/s₁, "
                                           "(f₂ − m₂)/s₂, 1]")


class GradientCheck(BaseModel):
    """Step 0's gradient, reverse mode against central differences (the lecture's 기울기 체크)."""

    w: list[Number]
    reverse: list[Number] = Field(description="∇C(w₀) by the engine's reverse mode")
    central: list[Number] = Field(description="(C(w + h/2 eᵢ) − C(w − h/2 eᵢ)) / h per component")
    h: float
    max_relative_error: Number = Field(description="max |reverse − central| / ‖reverse‖")
    ok: bool = Field(description="agreement to 1e-6 relative")


Segment = list[list[float]]


class View(BaseModel):
    """What the /train page draws, computed by the server (the page only replays it). The
    domain is the data's range widened by 8% on each side. A grid is P(dog) = σ(x·w) at the centre
    of each cell, `rows` × `columns` flattened row by row, the first row the top one (f₂ = y[1]),
    each row left to right (from f₁ = x[0]); rounded to 4 decimals."""

    x: list[float] = Field(description="[first, last] of feature 1 (the plot's horizontal range)")
    y: list[float] = Field(description="[first, last] of feature 2 (its vertical range)")
    columns: int = Field(description="cells across (setting `train_grid_columns`)")
    rows: int = Field(description="cells down (setting `train_grid_rows`)")
    boundary: list[Segment | None] = Field(description="per step, the line x·w_k = 0 (σ = 1/2) "
                                           "inside the domain as its two ends [[f₁, f₂], [f₁, f₂]]; "
                                           "null when it misses the domain")
    accuracy: list[float] = Field(description="per step, the share of points with x·w_k > 0 "
                                              "exactly when they are dogs")
    frames: list[int] = Field(description="the steps that carry a grid: all of them, or at most "
                              "`train_view_frames` evenly spread (first and last included); "
                              "others: POST /api/v1/train/predict")
    probability: list[list[Number]] = Field(description="per frame, its grid")
    wrong: list[list[int]] = Field(description="per frame, the indices of the points on the wrong "
                                               "side of its boundary")
    design: list[list[float]] | None = Field(description="X's rows [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1] "
                                             "(what the step's graph is given), up to 1,000 "
                                             "points; null beyond")


class DataInfo(BaseModel):
    rows: int
    names: list[str]
    units: list[str]
    source: Literal["builtin", "request"]


class TrainResponse(BaseModel):
    """The run: per step k = 0 … steps the cost, the weights and the gradient's norm."""

    expression: str = Field(description="C(w) as typed; POST it to /api/v1/graph with X, y, w")
    cost: Literal["sum", "mean"]
    lr: float
    steps: int = Field(description="steps asked for")
    steps_run: int = Field(description="steps taken (fewer when the cost stopped being finite)")
    data: DataInfo
    scaling: Scaling
    loss: list[Number] = Field(description="C(w_k) for k = 0 … steps_run")
    w: list[list[Number]] = Field(description="w_k = [w₀ (feature 1), w₁ (feature 2), w₂ (bias)]")
    grad_norm: list[Number] = Field(description="‖∇C(w_k)‖")
    final_w: list[Number]
    accuracy: float = Field(description="share of the points on the right side of xᵢ·w = 0")
    gradient_check: GradientCheck
    stopped: str | None = Field(None, description="why the run ended early, if it did")
    snippet: str | None = Field(None, description="the same loop in PyTorch, when asked")
    view: View | None = Field(None, description="what the /train page draws, when asked")


class GridSpec(BaseModel):
    """A grid of cells over [x[0], x[1]] × [y[0], y[1]] (feature units)."""

    model_config = ConfigDict(extra="forbid")

    x: list[FiniteFloat] = Field(min_length=2, max_length=2, description="[first, last] of feature 1")
    y: list[FiniteFloat] = Field(min_length=2, max_length=2, description="[first, last] of feature 2")
    columns: StrictInt = Field(ge=1, description="cells across (at most `train_grid_columns`)")
    rows: StrictInt = Field(ge=1, description="cells down (at most `train_grid_rows`)")


class ScalingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mean: list[FiniteFloat] = Field(min_length=2, max_length=2)
    scale: list[FiniteFloat] = Field(min_length=2, max_length=2, description="each nonzero")


class PredictRequest(BaseModel):
    """A weight vector (a step of a run) and where to evaluate the model it gives."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"w": [2.1, 0.9, 0.3], "scaling": {"mean": [7.8, 7.6], "scale": [4.1, 1.9]},
         "points": [[12.0, 9.5], [3.5, 6.0]]}]})

    w: list[FiniteFloat] = Field(min_length=3, max_length=3, description="[w₀, w₁, w₂ (bias)]")
    scaling: ScalingIn | None = Field(None, description="the run's `scaling` (absent: features as "
                                                        "measured)")
    points: list[Point] = Field(default_factory=list, description="[f₁, f₂] per point (at most "
                                                                  "`train_max_rows`)")
    grid: GridSpec | None = Field(None, description="also P(dog) on this grid, and the boundary "
                                                    "inside it")


class GridOut(BaseModel):
    x: list[float]
    y: list[float]
    columns: int
    rows: int
    probability: list[Number] = Field(description="rows × columns, the top row first (as in View)")


class PredictResponse(BaseModel):
    """P(dog) = σ(x·w) at each point, which side of the boundary it is on, and the grid."""

    probability: list[Number] = Field(description="σ(xᵢ·w) per point, xᵢ its row of X")
    dog: list[bool] = Field(description="xᵢ·w > 0 (the model says dog) per point")
    grid: GridOut | None = None
    boundary: Segment | None = Field(None, description="x·w = 0 inside the grid's domain")


class DatasetResponse(BaseModel):
    """Points to learn from, as read (the built-in set, or a CSV)."""

    features: list[list[float]]
    labels: list[float]
    names: list[str]
    units: list[str]
    source: Literal["builtin", "csv"]


class CSVRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"csv": "mass_kg,ear_cm,label\n4.2,6.1,cat\n12.5,9.8,dog\n"}]})

    csv: StrictStr = Field(description="rows of feature 1, feature 2, label (0/1 or cat/dog); an "
                                       "optional header row names the features")
