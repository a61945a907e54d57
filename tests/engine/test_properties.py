"""Property tests: random expression trees drawn from the op table (a new op is covered as
soon as it is defined), printed to text and parsed back, against SymPy; forward mode against
reverse mode; and random text, which must never raise anything but ExpressionError.

Where the comparison with SymPy is made: every value and local derivative of our graph is
finite, no kink (abs, relu at 0, max/min at a tie) is within reach of rounding, SymPy's value
or derivative is a finite real, and the point is well conditioned (rounding in float64 cannot
move the result by more than 1e4 ulps: see `condition`). There the agreement is 1e-9 relative.
"""

from __future__ import annotations

import math

import sympy as sp
from conftest import close, same_graph, same_structure, sympy_at
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from engine import OPS, UNLIMITED, ExpressionError, GraphBuilder, compile, evaluate, parse
from engine.printer import to_text
from engine.symbolic import to_sympy

VARIABLES = ("x", "y", "z")
CONSTANTS = (1.0, 2.0, 3.0, 0.5, 1.5, 0.25, -1.0, -2.0, -0.5, 0.0, -0.0)
OP_NAMES = tuple(sorted(name for name, op in OPS.items() if op.partials))  # elementwise ops
SETTINGS = settings(deadline=None, max_examples=300, derandomize=True,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])

# --- random trees ------------------------------------------------------------------------------

variables = st.sampled_from(VARIABLES).map(lambda v: ("var", v))
leaves = st.one_of(variables, variables, st.sampled_from(CONSTANTS).map(lambda c: ("const", c)))


@st.composite
def trees(draw, max_ops: int = 10):
    """An expression over the op table with 1 to `max_ops` ops, every one of them used: each
    op takes the previous one as an argument, and its other arguments from a fresh leaf or
    from anything built so far (which gives shared nodes and fan-out)."""
    pool = [draw(leaves)]
    for _ in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(OP_NAMES))
        arity = OPS[name].arity
        chained = draw(st.integers(0, arity - 1))
        args = []
        for k in range(arity):
            if k == chained:
                args.append(pool[-1])
            elif draw(st.booleans()):
                args.append(draw(leaves))
            else:
                args.append(draw(st.sampled_from(pool)))
        pool.append((name, *args))
    return pool[-1]


# Points on a grid of 1/16 so that ties and zeros (kinks, poles) are actually hit.
coordinates = st.integers(-48, 48).map(lambda k: k / 16)
points = st.fixed_dictionaries(dict.fromkeys(VARIABLES, coordinates))


def build(tree, max_nodes=None):
    """The tree as a graph (post-order, sharing identical subtrees)."""
    b = GraphBuilder(max_nodes)
    stack, done = [(tree, False)], []
    while stack:
        node, expanded = stack.pop()
        if node[0] == "var":
            done.append(b.var(node[1]))
        elif node[0] == "const":
            done.append(b.const(node[1]))
        elif expanded:
            arity = OPS[node[0]].arity
            args = done[len(done) - arity:]
            del done[len(done) - arity:]
            done.append(b.op(node[0], *args))
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node[1:]))
    [out] = done
    return b.build(out)


# --- where a comparison with SymPy is meaningful ----------------------------------------------

def kink_free(graph, values) -> bool:
    for i, op in enumerate(graph.ops):
        if op is None:
            continue
        args = [values[s] for s in graph.inputs[i]]
        if op.name in ("abs", "relu") and abs(args[0]) < 1e-6:
            return False
        if op.name in ("max", "min") and abs(args[0] - args[1]) < 1e-6 * max(1.0, *map(abs, args)):
            return False
        if op.name == "pow" and abs(args[1]) > 16:  # SymPy would expand (3x)^(3^27) exactly
            return False
    return True


def condition(graph, point):
    """How far float64 rounding can move the value and each gradient, to first order.

    Every op rounds its result v_i by about eps |v_i|; that moves the output by
    |d out / d v_i| eps |v_i|. For the value the sum of those terms is returned (constants
    are turned into variables here so that constant subexpressions count too). For each
    gradient, the sum over paths of |product of local derivatives| bounds what rounding
    in the reverse pass and cancellation between paths can do.
    """
    b = GraphBuilder(None)
    ids = []
    constants = {}
    for i, op in enumerate(graph.ops):
        if op is None:
            leaf = graph.leaf[i]
            if isinstance(leaf, str):
                ids.append(b.var(leaf))
            else:
                name = f"_k{i}"
                constants[name] = leaf
                ids.append(b.var(name))
        else:
            ids.append(b.op(op, *(ids[s] for s in graph.inputs[i])))
    lifted = b.build(ids[graph.output], prune=False)
    ev = evaluate(lifted, {**point, **constants})
    value_spread = sum(abs(g * v) for op, g, v in zip(lifted.ops, ev.reverse.grads, ev.forward.values)
                       if op is not None)
    absolute = [0.0] * len(lifted)
    absolute[lifted.output] = 1.0
    for e in reversed(lifted.edges):
        local = ev.reverse.edge_local[e.id]
        absolute[e.source] += abs(local) * absolute[e.target]
    grad_spread = {v: absolute[i] for v, i in zip(lifted.variables, lifted.var_nodes) if v in point}
    return value_spread, grad_spread


def comparable(graph, ev) -> bool:
    values = ev.forward.values
    if not all(math.isfinite(v) and abs(v) < 1e12 for v in values):
        return False
    if not all(loc is None or math.isfinite(loc) for loc in ev.reverse.edge_local):
        return False
    return kink_free(graph, values)


def oracle(graph):
    """SymPy's expression and its derivatives, with every Float raised to 40 digits so that
    SymPy's own arithmetic is far below float64 rounding."""
    expr = to_sympy(graph)
    expr = expr.xreplace({f: sp.Float(f, 40) for f in expr.atoms(sp.Float)})
    syms = {s.name: s for s in expr.free_symbols}
    derivs = {v: (sp.diff(expr, syms[v]) if v in syms else sp.Integer(0)) for v in graph.variables}
    return expr, derivs


# --- the properties ------------------------------------------------------------------------------

@settings(SETTINGS, max_examples=500)
@given(tree=trees(), point=points)
@example(tree=("mul", ("pow", ("var", "x"), ("const", 2.0)), ("ln", ("var", "y"))),
         point={"x": 1.0, "y": 2.0, "z": 0.0})
@example(tree=("tanh", ("mul", ("var", "x"), ("const", 3.0))), point={"x": 3.0, "y": 0.0, "z": 0.0})
@example(tree=("sigmoid", ("mul", ("var", "x"), ("const", 3.0))), point={"x": 3.0, "y": 0.0, "z": 0.0})
@example(tree=("asin", ("div", ("var", "x"), ("const", 3.0))), point={"x": 2.9375, "y": 0.0, "z": 0.0})
def test_value_and_gradient_equal_sympy(tree, point):
    graph = compile(to_text(build(tree)), UNLIMITED)
    ev = evaluate(graph, point)
    assume(comparable(graph, ev))
    value_spread, grad_spread = condition(graph, point)
    expr, derivs = oracle(graph)
    exact = sympy_at(expr, point)
    assume(exact is not None)
    assume(value_spread <= 1e4 * abs(exact))
    assert close(ev.value, exact, 1e-9), (to_text(graph), point, ev.value, exact)
    compared = 0
    for v, g in ev.gradient.items():
        exact_g = sympy_at(derivs[v], point)
        if exact_g is None or grad_spread[v] > 1e4 * abs(exact_g):
            # SymPy finds no finite real derivative, or it is ill-conditioned here
            event("gradient skipped: " + ("SymPy: not finite" if exact_g is None else "ill-conditioned"))
            continue
        assert close(g, exact_g, 1e-9), (to_text(graph), point, v, g, exact_g)
        compared += 1
    event(f"ops: {sum(op is not None for op in graph.ops)}, gradients compared: {compared}")


@SETTINGS
@given(tree=trees(), point=points, direction=st.fixed_dictionaries(dict.fromkeys(VARIABLES, coordinates)))
def test_forward_mode_equals_reverse_mode(tree, point, direction):
    graph = build(tree)
    ev = evaluate(graph, point)
    assume(comparable(graph, ev))
    _, spread = condition(graph, point)
    grads = ev.gradient
    for v in graph.variables:
        tan = evaluate(graph, point, tangent_of=v).tangent
        assert close(tan.tangents[graph.output], grads[v], 1e-12, spread[v]), v
    # Along a direction: the tangent is the dot product with the gradient.
    if graph.variables:
        d = {v: direction[v] for v in graph.variables}
        tan = evaluate(graph, point, tangent_of=d).tangent.tangents[graph.output]
        dot = sum(d[v] * grads[v] for v in graph.variables)
        scale = sum(abs(d[v]) * spread[v] for v in graph.variables)
        assert close(tan, dot, 1e-12, scale)


@SETTINGS
@given(tree=trees(), point=points)
def test_traced_and_untraced_passes_give_the_same_numbers(tree, point):
    graph = build(tree)
    plain = evaluate(graph, point, trace=False, tangent_of=graph.variables[0] if graph.variables else None)
    traced = evaluate(graph, point, trace=True, tangent_of=graph.variables[0] if graph.variables else None)
    needed = [i for i in range(len(graph)) if graph.needs_grad[i]]  # grads elsewhere mean nothing
    assert [repr(plain.reverse.grads[i]) for i in needed] == [repr(traced.reverse.grads[i]) for i in needed]
    assert [repr(v) for v in plain.forward.values] == [repr(v) for v in traced.forward.values]
    assert plain.forward.first_nonfinite == traced.forward.first_nonfinite
    assert plain.reverse.first_nonfinite == traced.reverse.first_nonfinite
    if graph.variables:
        assert [repr(t) for t in plain.tangent.tangents] == [repr(t) for t in traced.tangent.tangents]
    # The events alone rebuild every gradient: the last "accumulate" per node, or the seed.
    rebuilt = {}
    for step in traced.trace()["backward"]:
        if step["type"] in ("seed", "accumulate"):
            rebuilt[step["node"]] = step["grad"]
    for n in traced.nodes():
        if n["grad"] is not None:
            assert repr(rebuilt[n["id"]]) == repr(n["grad"])


@SETTINGS
@given(tree=trees())
def test_print_then_parse_gives_the_same_graph(tree):
    graph = build(tree)
    text = to_text(graph)
    parsed = compile(text, UNLIMITED)
    assert same_structure(graph, parsed), (tree, text)
    again = to_text(parsed)
    assert again == text
    assert same_graph(parsed, compile(again, UNLIMITED))


# --- random text -------------------------------------------------------------------------------

PIECES = [*"xyzab0123456789.+-*/^()[]{},;= \n\r\teEπθ²³⁻¹×·÷−§#!\u200b\u00a0",
          "sin", "ln", "log", "max", "pow", "pi", "**", "sn", "1e-3", "2e", "w0", "\r\n", "가"]
texts = st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.text(max_size=40))


@settings(deadline=None, max_examples=1500, derandomize=True)
@given(text=texts)
@example(text="x⁻")
@example(text="(" * 600)
@example(text="a=")
@example(text="-(.5)")
@example(text="-0")
def test_random_text_raises_only_expression_error(text):
    try:
        parsed = parse(text)
    except ExpressionError as err:
        assert err.message
        if err.line is not None:
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            assert 1 <= err.line <= len(lines), err
            assert 0 <= err.column <= len(lines[err.line - 1]), err
            assert err.position is None or 0 <= err.position <= len(text)
        return
    # What parses evaluates (with every variable given), prints and parses back the same.
    graph = parsed.graph
    evaluate(graph, dict.fromkeys(graph.variables, 0.75))
    again = compile(to_text(graph), UNLIMITED)
    assert same_structure(graph, again), text
