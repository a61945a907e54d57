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
