"""Request and response models of the four-ways endpoints (symbolic, numeric, compare, paths,
check, snippet). Numbers out follow app/encoding.py: JSON numbers, or "inf"/"-inf"/"nan"."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from .schemas import FiniteFloat, Number

LECTURE = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}
Method = Literal["forward", "backward", "central"]


class PointRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [LECTURE]})

    expression: StrictStr = Field(description="the function, as for POST /api/v1/graph")
    values: dict[str, FiniteFloat] = Field(default_factory=dict, description="variable -> number")


class SymbolicRequest(PointRequest):
    budget_s: FiniteFloat | None = Field(None, gt=0, description="seconds SymPy may take "
                                         "(default and maximum are server settings)")


class StepRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    largest: FiniteFloat = Field(1e-1, gt=0)
    smallest: FiniteFloat = Field(1e-13, gt=0)
    count: StrictInt = Field(13, ge=2, description="steps, evenly spaced in log10")


class NumericRequest(PointRequest):
    method: Method = Field("central", description="forward (f(x+h)−f(x))/h, backward "
                           "(f(x)−f(x−h))/h, or central (f(x+h/2)−f(x−h/2))/h as in the lecture")
    h: FiniteFloat = Field(1e-3, gt=0, description="the step")
    dtype: Literal["float64", "float32"] = Field("float64", description="float32 repeats the "
                                                 "experiment in single precision")
    sweep: StrictBool = Field(False, description="also run the error-vs-h experiment for all three methods")
    steps: StepRange | None = Field(None, description="the sweep's steps (default 1e-1 ... 1e-13)")


class CompareRequest(PointRequest):
    method: Method = "central"
    h: FiniteFloat = Field(1e-3, gt=0)
    budget_s: FiniteFloat | None = Field(None, gt=0)


class PathsRequest(PointRequest):
    variable: StrictStr = Field(description="the input whose paths to the output are listed")
    limit: StrictInt = Field(100, ge=0, description="list at most this many paths (all are counted)")


class CheckRequest(PointRequest):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"expression": "(x^2+2x)*ln(x)", "values": {"x": 1}, "variable": "x",
         "derivative": "2*(x+1)*ln(x) + x + 2"}]})
    variable: StrictStr = Field(description="differentiate by this variable")
    derivative: StrictStr = Field(description="your d f / d variable, in the same language")
    budget_s: FiniteFloat | None = Field(None, gt=0)


class SnippetRequest(PointRequest):
    wrt: list[StrictStr] | None = Field(None, description="variables for torch.autograd.grad, "
                                        "repeats allowed (default: all)")


class Forms(BaseModel):
    text: str = Field(description="SymPy's text")
    latex: str
    mathml: str = Field(description="presentation MathML, a <math> element")


class SymbolicDerivative(Forms):
    value: Number | None = Field(description="evaluated at the point (30 digits, then float64)")
    simplified: Forms | None = Field(description="null when simplify did not finish in the budget")


Reason = Literal["timeout", "busy", "exact_arithmetic", "failed"] | None
REASON = Field(None, description="why the symbolic part is not ok: timeout (the budget ran out), "
               "busy (no free SymPy worker within the budget), exact_arithmetic (refused before "
               "trying), failed (SymPy raised)")


class SymbolicDerivativeValue(Forms):
    value: Number | None


class SymbolicResponse(BaseModel):
    status: Literal["ok", "partial", "skipped"] = Field(
        description="partial: the budget ran out (what arrived is kept); skipped: not attempted")
    reason: Reason = REASON
    notes: list[str]
    function: Forms | None
    derivatives: dict[str, SymbolicDerivative]
    seconds: float


class SweepCurve(BaseModel):
    variable: str
    method: Method
    order: int = Field(description="the truncation error's theoretical slope: 1 or 2")
    steps: list[float]
    estimates: list[Number]
    errors: list[Number] = Field(description="|estimate − exact| per step")
    slope: float | None = Field(description="fitted on the truncation region; null when there is none")
    best_step: float | None


class NumericResponse(BaseModel):
    method: Method
    h: float
    dtype: str
    gradient: dict[str, Number] = Field(description="the finite-difference estimate per variable")
    exact: dict[str, Number] = Field(description="reverse-mode AD, the reference for errors")
    errors: dict[str, Number | None]
    sweep: list[SweepCurve] | None


class CompareRow(BaseModel):
    variable: str
    symbolic: Number | None
    numeric: Number
    numeric_error: Number | None
    forward_mode: Number
    forward_mode_error: Number | None
    reverse_mode: Number
    reverse_mode_error: Number | None
    pytorch: Number | None = Field(None, description="PyTorch's autograd, present only when "
                                   "PyTorch is installed on the server (engine/pytorch.py)")
    pytorch_error: Number | None = None


class ModeCost(BaseModel):
    inputs: int
    outputs: int
    forward_passes: int = Field(description="forward mode: one tangent pass per input")
    reverse_passes: int = Field(description="reverse mode: one adjoint pass per output")
    forward_ops: dict[str, int] = Field(description="local derivatives each tangent pass evaluates")
    reverse_ops: int = Field(description="local derivatives the reverse pass evaluates")


class CompareResponse(BaseModel):
    method: Method
    h: float
    rows: list[CompareRow]
    cost: ModeCost
    symbolic_status: Literal["ok", "partial", "skipped"]
    symbolic_reason: Reason = REASON
    symbolic: dict[str, SymbolicDerivativeValue] = Field(
        default_factory=dict, description="SymPy's derivative per variable, unsimplified (the "
        "table skips simplify to answer fast; POST /symbolic simplifies)")
    notes: list[str]


class PathItem(BaseModel):
    edges: list[str]
    nodes: list[str]
    locals: list[Number]
    product: Number


class PathsResponse(BaseModel):
    variable: str
    count: str = Field(description="how many paths there are, exactly (a decimal string: it can be huge)")
    count_approx: float | None = Field(description="`count` as a number; null past float64's range "
                                       "(about 1.8e308): read `count`")
    truncated: bool = Field(description="true when not every path is listed")
    truncated_by: Literal["limit", "max_paths", "max_path_edges"] | None = Field(
        description="the bound that cut the list: the request's `limit`, or the server's `max_paths` "
        "(paths) or `max_path_edges` (edges of all the listed paths together); null when all are listed")
    listed_sum: Number = Field(description="sum of the listed products: the gradient when not truncated")
    gradient: Number
    paths: list[PathItem]


class CheckPoint(BaseModel):
    point: dict[str, float]
    expected: Number = Field(description="d f / d variable by reverse-mode AD")
    yours: Number
    agrees: bool


class CheckResponse(BaseModel):
    variable: str
    agrees: bool | None
    symbolic_equal: bool | None = Field(description="yours − true simplified to 0 (null: SymPy did "
                                        "not finish)")
    symbolic_difference: str | None
    points: list[CheckPoint]
    notes: list[str]


class SnippetResponse(BaseModel):
    language: Literal["python"]
    code: str



class HessianRequest(PointRequest):
    variables: list[StrictStr] | None = Field(None, description="the Hessian's rows and columns, "
                                              "in this order (default: every variable)")
    direction: dict[str, FiniteFloat] | None = Field(
        None, description="with a direction v, only the Hessian-vector product (∇²f) v is computed "
                          "(one forward and one reverse pass); variables left out have 0")


class HessianResponse(BaseModel):
    value: Number
    variables: list[str] = Field(description="the order of `gradient` and of the Hessian's rows and columns")
    gradient: list[Number]
    hessian: list[list[Number]] | None = Field(
        description="∂²f/∂variables[i]∂variables[j]; row i is one forward-over-reverse pass along "
                    "variable i; null when a direction was given")
    direction: list[float] | None = Field(description="the direction v, in the order of `variables`")
    product: list[Number] | None = Field(description="(∇²f) v, when a direction was given")
    passes: int = Field(description="forward-over-reverse passes made: one per row, or one for (∇²f) v")
    pytorch: str = Field(description="the same Hessian in PyTorch, to copy: "
                         "torch.autograd.functional.hessian, and double backward with create_graph=True")


class JacobianRequest(PointRequest):
    outputs: list[StrictStr] | None = Field(None, description="the rows: named nodes (intermediates, "
                                            "variables, or f for the output); default the output")
    inputs: list[StrictStr] | None = Field(None, description="the columns: variables (default all)")


class JacobianBuild(BaseModel):
    matrix: list[list[Number]] = Field(description="∂outputs[i]/∂inputs[j]")
    passes: int = Field(description="forward: one tangent pass per input (a column each); reverse: "
                                    "one adjoint pass per output (a row each)")
    locals_per_pass: list[int] = Field(description="local derivatives each pass evaluated, in order")
    locals: int = Field(description="their sum: the work of this way")


class JacobianResponse(BaseModel):
    outputs: list[str]
    output_nodes: list[str] = Field(description="the rows' node ids in POST /api/v1/graph's graph")
    inputs: list[str]
    forward: JacobianBuild
    reverse: JacobianBuild
    cheaper: Literal["forward", "reverse", "equal"] = Field(
        description="the way that evaluated fewer local derivatives here")
    pytorch: str = Field(description="the same Jacobian in PyTorch, to copy: "
                         "torch.autograd.functional.jacobian in reverse and forward mode")


class ModeCostPoint(BaseModel):
    passes: int
    locals: int = Field(description="local derivatives evaluated by all the passes")


class FamilyResponse(BaseModel):
    expression: str = Field(description="the generated program: s = Σ sin(xⱼ); oᵢ = exp(s / i)")
    inputs: int
    outputs: int
    forward: ModeCostPoint
    reverse: ModeCostPoint
    cheaper: Literal["forward", "reverse", "equal"]
