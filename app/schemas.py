"""Request and response models, named by role. They are the API's contract in OpenAPI;
FastAPI validates requests with them, while responses are built as plain dicts by app/graphs.py
(written by app.encoding.dumps) and checked against these in tests.

Numbers in responses are JSON numbers, or one of the strings "inf", "-inf", "nan" where a
value is not finite (see app/encoding.py). Numbers in requests must be finite.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictStr

from .errors import ErrorDetail

#: A number sent to us: a JSON number that is finite in float64. Strings ("3"), booleans,
#: null, NaN, Infinity and numbers beyond float64's range (1e999) are refused.
FiniteFloat = Annotated[float, Strict(), AllowInfNan(False)]

#: A number we send: finite, or "inf" / "-inf" / "nan".
Number = Annotated[float | Literal["inf", "-inf", "nan"],
                   Field(description='a number; "inf", "-inf" or "nan" where it is not finite')]

#: A variable's value sent to us: a finite number, or an array as nested lists of them (checked
#: by the engine, which names a bad element as `values.X[1][2]`).
Value = FiniteFloat | list[Any]


class ArraySummary(BaseModel):
    """An array with more elements than the server sends whole (`shown_elements`)."""

    shape: list[int]
    min: Number
    max: Number
    mean: Number
    norm: Number = Field(description="the Euclidean (Frobenius) norm")
    preview: list[Number] = Field(description="the first elements, flattened in row-major order")


#: A number or an array we send: a number, nested lists of numbers, or a big array's summary.
Data = Annotated[Number | list[Any] | ArraySummary,
                 Field(description="a number, an array as nested lists, or a big array's summary")]

LECTURE = {"expression": "(x^2 + 2x) * ln(y)", "values": {"x": 1, "y": 2}}


# --- POST /api/v1/graph -----------------------------------------------------------------

#: Requests to try, named as the OpenAPI page offers them (and the model's schema examples).
GRAPH_EXAMPLES = {
    "lecture": {"summary": "(x² + 2x) ln y at (1, 2)", "value": LECTURE},
    "named": {"summary": "named intermediates, wrt with a repeat, forward mode along x",
              "value": {"expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d",
                        "values": {"x": 1, "y": 2}, "wrt": ["x", "x"], "tangent": "x"}},
    "neuron": {"summary": "the CS231n neuron, without layout",
               "value": {"expression": "1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
                         "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, "layout": False}},
    "compact": {"summary": "the lecture, compact: nodes and edges as columns, the trace as rows",
                "value": {**LECTURE, "format": "compact"}},
}


class GraphRequest(BaseModel):
    """An expression, a point, and what to compute there."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [example["value"] for example in GRAPH_EXAMPLES.values()]})

    expression: StrictStr = Field(description="the function, e.g. `(x^2 + 2x) * ln(y)`; statements "
                                              "separated by `;` or new lines name intermediates")
    values: dict[str, Value] = Field(default_factory=dict, description="variable -> number, or "
                                     "an array as nested lists ([[1, 2], [3, 4]]); names not in the "
                                     "expression are ignored (and warned of)")
    wrt: list[StrictStr] | None = Field(None, description="variables to differentiate by, in order; "
                                        "repeats allowed (as torch.autograd.grad(f, (x, x)))")
    tangent: StrictStr | dict[str, FiniteFloat] | None = Field(
        None, description="forward mode: a variable (unit direction) or a direction variable -> number")
    layout: StrictBool = Field(True, description="lay the graph out with Graphviz dot")
    requires_grad: list[StrictStr] | None = Field(
        None, description="the variables to differentiate by (PyTorch's requires_grad); the others "
                          "are data and get no gradient. Default: all")
    target: StrictStr | None = Field(
        None, description="the node to differentiate, by its name (an intermediate, or f): "
                          "`value` and the gradients are then that node's. Default: the output")
    derivative_of: StrictStr | None = Field(
        None, description="a variable x: answer for the backward pass of ∂f/∂x drawn as a graph of "
                          "its own (as PyTorch's create_graph=True builds it) instead of f's graph; "
                          "its value is ∂f/∂x and its gradient the second derivatives ∂²f/∂x∂·", )
    expand: list[StrictStr] | None = Field(
        None, max_length=1000, description="composite nodes to draw as their unit functions (σ as "
        "the lecture's logistic graph: negate, exp, +1, reciprocal), by their ids in the graph as "
        "parsed (a node's `composite.of`); the numbers agree either way")
    format: Literal["objects", "compact"] = Field(
        "objects", description="the answer's form: `objects` (a dict per node, edge and event) or "
        "`compact` (the same answer, marked `\"format\": \"compact/1\"`, with nodes and edges "
        "as columns and the trace as rows: see CompactGraphResponse)")


class Composite(BaseModel):
    of: str = Field(description="the composite's id in the graph as parsed: what `expand` takes")
    op: str = Field(description="the composite's op, e.g. sigmoid")
    expanded: bool = Field(description="true on the unit functions of an expanded composite")


class Node(BaseModel):
    id: str = Field(description="n0, n1, ... in topological order")
    name: str | None = Field(description="the name a person gave it (intermediates, variables)")
    kind: Literal["var", "const", "op"]
    op: str = Field(description="the op's name (see /api/v1/functions), or var / const")
    label: str = Field(description="what to draw inside the node")
    display: str = Field(description="its one name everywhere (graph, table, panels, messages): "
                                     "the given name, the variable or constant, f for the output, "
                                     "the sub-expression when short (x^2 + 2x), else its id")
    inputs: list[str] = Field(description="input node ids, in argument order")
    value: Data
    grad: Data | None = Field(description="the adjoint d output / d node; null for constants "
                                          "and nodes that do not depend on a variable")
    tangent: Data | None = Field(None, description="d node / d direction, when a tangent was asked")
    shape: list[int] = Field(description="[] for a scalar, [6, 3] for a 6×3 array")
    aliases: list[str] | None = Field(None, description="further names bound to the same node")
    composite: Composite | None = Field(None, description="a composite node (sigmoid), or a unit "
                                        "function of one drawn expanded")


class Edge(BaseModel):
    id: str = Field(description="e0, e1, ... numbered by target, then argument index")
    source: str
    target: str
    index: int = Field(description="which argument of target")
    local: Data | None = Field(description="d target / d source; null on edges from constants "
                                           "and for an op that sends a vector-Jacobian product")
    contribution: Data | None = Field(description="local × grad[target] (or the VJP of "
                                                  "grad[target]), sent to the source")
    backward: str | None = Field(None, description="tensors: what the backward step is, "
                                 "`local × grad` or `vjp of matmul: g bᵀ`")
    jacobian: list[list[Number]] | None = Field(
        None, description="tensors, when small: ∂target/∂source with rows the target's elements and "
                          "columns the source's, both flattened")
    grad_in: list[Number] | None = Field(None, description="with `jacobian`: ∇target z, flattened")
    product: list[Number] | None = Field(None, description="with `jacobian`: (∂target/∂source)ᵀ "
                                         "∇target z (eq. 6.46), what the edge sends, flattened")


# Trace events, exactly as engine/views.py writes them.
class EvaluateEvent(BaseModel):
    type: Literal["evaluate"]
    node: str
    value: Data


class SeedEvent(BaseModel):
    type: Literal["seed"]
    node: str
    grad: Data


class VisitEvent(BaseModel):
    type: Literal["visit"]
    node: str
    grad: Data


class LocalEvent(BaseModel):
    type: Literal["local"]
    edge: str
    source: str
    target: str
    index: int
    local: Data | None


class ContributeEvent(BaseModel):
    type: Literal["contribute"]
    edge: str
    source: str
    target: str
    contribution: Data


class ReduceEvent(BaseModel):
    """Tensors: a contribution summed over the axes where its source was broadcast."""

    type: Literal["reduce"]
    edge: str
    node: str
    axes: list[int]
    contribution: Data


class AccumulateEvent(BaseModel):
    type: Literal["accumulate"]
    edge: str
    node: str
    before: Data | None = Field(description="the running sum before; null for a tensor's first")
    grad: Data


class TangentSeedEvent(BaseModel):
    type: Literal["seed"]
    node: str
    tangent: Data


class TermEvent(BaseModel):
    type: Literal["term"]
    edge: str
    source: str
    target: str
    term: Data


class TangentEvent(BaseModel):
    type: Literal["tangent"]
    node: str
    tangent: Data


BackwardEvent = Annotated[SeedEvent | VisitEvent | LocalEvent | ContributeEvent | ReduceEvent
                          | AccumulateEvent, Field(discriminator="type")]
TangentPassEvent = Annotated[TangentSeedEvent | LocalEvent | TermEvent | TangentEvent,
                             Field(discriminator="type")]


class Trace(BaseModel):
    """Each pass as an ordered list of events a viewer replays one at a time."""

    forward: list[EvaluateEvent]
    backward: list[BackwardEvent]
    tangent: list[TangentPassEvent] | None = Field(None, description="when a tangent was asked")


class NodeBox(BaseModel):
    x: float = Field(description="centre")
    y: float = Field(description="centre (y grows downwards)")
    width: float
    height: float


class EdgePath(BaseModel):
    source: str
    target: str
    index: int
    points: list[list[float]] = Field(description="cubic B-spline control points [x, y], 1 + 3k of them")
    arrow_end: list[float] | None = Field(description="the arrowhead's tip, at the target's border")
    copy_: int | None = Field(alias="copy", description="which copy of a high fan-out source the edge "
                                                        "leaves from (index into copies[source])")


class GraphLayout(BaseModel):
    """Graphviz dot's drawing, left to right, inputs in the leftmost column, in points (1/72 in)
    with the origin top left. Node sizes do not depend on values, so the layout depends on the
    graph's structure only and is cached by it."""

    status: Literal["ok", "skipped"]
    reason: ErrorDetail | None = Field(None, description="why the layout was skipped (its limit)")
    unit: Literal["pt"] = "pt"
    width: float | None = None
    height: float | None = None
    nodes: dict[str, NodeBox] = Field(default_factory=dict, description="node id -> box")
    copies: dict[str, list[NodeBox]] = Field(default_factory=dict, description="a leaf with high "
                                             "fan-out drawn as several copies: node id -> their boxes")
    edges: list[EdgePath] = Field(default_factory=list, description="parallel to `edges`")


class GraphWarning(BaseModel):
    """Not an error: something worth knowing about the answer."""

    code: str = Field(description="nonfinite_value, nonfinite_gradient, nonfinite_tangent, "
                                  "unused_value, unused_name, layout_skipped")
    message: str
    node: str | None = Field(None, description="the node where it first happened")
    name: str | None = None
    pass_: Literal["forward", "backward", "tangent"] | None = Field(None, alias="pass")


class TangentResult(BaseModel):
    direction: dict[str, float] = Field(description="the seeded direction, variable -> number")
    output: Data = Field(description="d output / d direction")


class GraphResponse(BaseModel):
    """The graph evaluated at the point: values, gradients, trace and layout."""

    expression: str
    value: Data = Field(description="the output's value")
    output: str = Field(description="the output node's id")
    variables: list[str] = Field(description="in order of first appearance")
    gradient: dict[str, Data] = Field(description="variable -> d output / d variable (those that "
                                                  "require a gradient)")
    wrt: list[str] | None = None
    gradient_wrt: list[Data] | None = Field(None, description="when `wrt` was given: the gradient "
                                            "in its order, repeats included")
    tangent: TangentResult | None = None
    nodes: list[Node]
    edges: list[Edge]
    trace: Trace
    layout: GraphLayout | None = Field(description="null when `layout` was false")
    warnings: list[GraphWarning]
    outputs: list[str] | None = Field(None, description="when the program lists several outputs "
                                      "(its last statement `a, b, sin(x)`): their node ids, in order")
    target: str | None = Field(None, description="the node differentiated, when it is not `output`: "
                               "the `target` asked, or the first of several outputs")
    derivative_of: DerivativeOf | None = Field(None, description="when `derivative_of` was asked: "
                                               "the graph above is ∂f/∂x's, and where each node came from")


class NodeOrigin(BaseModel):
    role: Literal["forward", "local", "product", "sum", "seed"] = Field(
        description="a node of f's forward pass, an edge's local derivative (or a node inside it), "
                    "local × grad, the running sum of a gradient, or the seed 1")
    node: str | None = Field(description="for forward and seed: the node of f's graph")
    edge: str | None = Field(description="for local, product and sum: the edge of f's graph")


class DerivativeOf(BaseModel):
    variable: str
    function: str = Field(description="f's expression")
    origin: list[NodeOrigin] = Field(description="per node of this graph, in order")


class CompactNodes(BaseModel):
    """The nodes as columns: node i ("n<i>") at place i of each list."""

    name: list[str | None]
    kind: list[Literal["var", "const", "op"]]
    op: list[str]
    label: list[str]
    display: list[str]
    inputs: list[list[int]] = Field(description="input node indices, in argument order")
    value: list[Data]
    grad: list[Data | None]
    shape: list[list[int]]
    tangent: list[Data | None] | None = Field(None, description="when a tangent was asked")
    aliases: list[list[str] | None] | None = Field(None, description="when some node has aliases "
                                                   "(null: this node has none)")
    composite: list[Composite | None] | None = Field(None, description="when some node is a composite "
                                                     "(null: this node is not)")


class CompactEdges(BaseModel):
    """The edges as columns: edge k ("e<k>") at place k of each list, the k-th (target, argument
    index) in the order of `nodes.inputs` (its source, target and index)."""

    local: list[Data | None]
    contribution: list[Data | None]
    backward: list[str | None] | None = Field(None, description="tensors: each edge's backward step")
    jacobian: list[list[list[Number]] | None] | None = Field(None, description="tensors: small edges' "
                                                             "Jacobians (null: none sent)")
    grad_in: list[list[Number] | None] | None = None
    product: list[list[Number] | None] | None = None


class CompactTrace(BaseModel):
    """Each pass's events as rows `[type, ...]`; a `node`, `source` or `target` item is a node
    index, an `edge` item an edge index."""

    fields: dict[str, dict[str, list[str]]] = Field(
        description="per pass, per event type: the names of a row's items after its type")
    forward: list[list[Any]]
    backward: list[list[Any]]
    tangent: list[list[Any]] | None = Field(None, description="when a tangent was asked")


class CompactGraphResponse(GraphResponse):
    """The answer with `"format": "compact"` asked: the same head and tail fields as the objects
    answer, its nodes and edges as columns and its trace as rows (the README's API section; app.compact
    decodes it back into the objects answer exactly)."""

    format: Literal["compact/1"] = Field(description="this form and its version")
    nodes: CompactNodes  # type: ignore[assignment]
    edges: CompactEdges  # type: ignore[assignment]
    trace: CompactTrace  # type: ignore[assignment]


# --- POST /api/v1/parse ----------------------------------------------------------------

class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"}]})
    expression: StrictStr


class Notice(BaseModel):
    """A gentle notice: `code` and `params` for a page to phrase it, `message` in English."""

    code: Literal["product_after_division"] = Field(
        description="product_after_division: `a/2(z)` reads as (a/2)·z")
    message: str
    line: int
    column: int = Field(description="0-based, at the product's second factor")
    position: int = Field(description="0-based offset into the whole text")
    text: str
    params: dict[str, str] = Field(description="product_after_division: divisor, factor (as typed)")


class ParseResponse(BaseModel):
    """What an expression is, before any value: a page asks this to learn which variables need
    values without provoking an error for the ones it does not know yet."""

    variables: list[str] = Field(description="in order of first appearance")
    names: list[str] = Field(description="names given to intermediates, in order")
    outputs: list[str] = Field(description="the outputs' display names (a, b, sin(x) lists a, b "
                               "and f3): with `names` and `variables`, what POST /graph's "
                               "`target` accepts")
    nodes: int = Field(description="nodes in the graph")
    edges: int
    warnings: list[str]
    mathml: str | None = Field(description="how the text was read: presentation MathML built from "
                               "the parse, in the order typed, one row per named intermediate; null "
                               "when too deep or long to show")
    notices: list[Notice] = Field(description="forms that parse but may not read as meant")


# --- GET /api/v1/functions, /api/v1/examples, /healthz ----------------------------------

class Function(BaseModel):
    name: str = Field(description="the op's name in graphs (`op` of a node)")
    arity: int
    label: str = Field(description="drawn in the node")
    latex: str
    description: str
    syntax: str = Field(description="how to type it, e.g. `sin(a)`, `a ^ b`")
    spelling: str | None = Field(description="the function name to call it by, if any")
    symbol: str | None = Field(description="its operator symbol, if any")
    subgradient: str | None = Field(description="the choice made where the derivative does not exist")
    partials: list[str] = Field(description="d op / d each argument, in the arguments' names a, b "
                                            "(SymPy's text, derived from the op's SymPy counterpart)")
    partials_latex: list[str]


class Constant(BaseModel):
    name: str
    value: float


class FunctionsResponse(BaseModel):
    functions: list[Function]
    constants: list[Constant]


class Text(BaseModel):
    en: str
    ko: str


class Example(BaseModel):
    id: str
    title: Text
    description: Text
    expression: str
    values: dict[str, float | list[Any]] = Field(description="numbers, or arrays as nested lists")
    wrt: list[str] | None = None
    requires_grad: list[str] | None = Field(None, description="the variables differentiated by, "
                                            "when not all (the others are data)")


class ExamplesResponse(BaseModel):
    examples: list[Example]


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready"]
    version: str
    heavy: dict = Field(description="heavy requests in flight, the capacity, and how many were "
                                    "refused with 503 since start")
    symbolic: dict = Field(description="SymPy workers: size, idle, busy, starting, replaced")
    warm_up_s: dict = Field(description="seconds each part of the warm-up took")
