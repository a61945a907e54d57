"""How the text was read: a parsed program written as presentation MathML, from our own graph.

The page shows it under the expression field, so that `a/2(z)` visibly reads as a fraction
times z. Built from the parse (never from SymPy, which would reorder terms, and nothing typed
reaches a SymPy parser): operands keep the order typed, a division is a fraction, named
intermediates are one row each (`c = a + b`), and a name used later stands as its name.

Markup is built bottom-up over the topologically ordered nodes, as engine.printer writes text,
so there is no recursion; each node's markup is a run of sibling elements, flattened into its
consumer's run where no element needs to hold it (a 10,000-term sum is one flat row, not
10,000 nested rows). What must be one element (a fraction's part, a base, a root) is wrapped
in <mrow>. Nesting deeper than MAX_DEPTH, or markup longer than `max_length`, is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from .graph import Graph
from .names import format_number

NS = "http://www.w3.org/1998/Math/MathML"
MAX_DEPTH = 60  # nested fractions, powers and calls a reader can still follow
ATOM = 100
# A fraction or a power needs no brackets as a factor or after a unary minus; as a base, it does.
_FRACTION = 35
_INVISIBLE_TIMES, _APPLY = "&#x2062;", "&#x2061;"
_SYMBOLS = {"+": "+", "-": "\u2212", "*": "\u22c5", "@": "@"}
_NAMED = {"pi": "π", "π": "π", "e": "e"}


Parts = tuple  # strings and _Runs, written out in order


@dataclass(slots=True)
class _Run:
    """A node written out: its sibling elements as parts (markup strings and the runs of its
    operands, shared rather than copied, so a long sum costs no quadratic copying), its length
    in characters, how tightly it binds, how deep its elements nest, whether it is one element,
    and whether it starts with a number (2x, not 2·x)."""

    parts: Parts
    size: int
    prec: int
    depth: int
    single: bool
    number: bool = False


def _run(parts: Parts, prec: int, depth: int, single: bool, number: bool = False) -> _Run:
    size = sum(p.size if isinstance(p, _Run) else len(p) for p in parts)
    return _Run(parts, size, prec, depth, single, number)


def _mo(symbol: str) -> str:
    return f"<mo>{symbol}</mo>"


def _one(run: _Run) -> tuple[Parts, int]:
    """The run as one element (for a fraction's part, a base, a root) and its depth."""
    return ((run,), run.depth) if run.single else (("<mrow>", run, "</mrow>"), run.depth + 1)


def _bracketed(run: _Run) -> _Run:
    return _run((f"<mrow>{_mo('(')}", run, f"{_mo(')')}</mrow>"), ATOM, run.depth + 1, True)


def _leaf(graph: Graph, i: int) -> _Run:
    leaf = graph.leaf[i]
    if isinstance(leaf, str):
        return _run((f"<mi>{escape(leaf)}</mi>",), ATOM, 1, True)
    typed = graph.literals.get(i) or format_number(leaf)
    if typed in _NAMED:
        return _run((f"<mi>{_NAMED[typed]}</mi>",), ATOM, 1, True)
    if typed.startswith("-"):  # -2 typed as one constant
        return _run((f"{_mo(_SYMBOLS['-'])}<mn>{escape(typed[1:])}</mn>",), 30, 1, False, True)
    return _run((f"<mn>{escape(typed)}</mn>",), ATOM, 1, True, True)


def _op(graph: Graph, i: int, args: list[_Run]) -> _Run:
    op = graph.ops[i]
    assert op is not None
    name = op.name
    depth = max(a.depth for a in args)
    if name == "div":
        (top, dt), (bottom, db) = _one(args[0]), _one(args[1])
        return _run(("<mfrac>", *top, *bottom, "</mfrac>"), _FRACTION, max(dt, db) + 1, True)
    if name in ("pow", "transpose"):
        base = args[0] if args[0].prec == ATOM else _bracketed(args[0])
        b, db = _one(base)
        e, de = _one(args[1]) if name == "pow" else (("<mi>T</mi>",), 1)
        return _run(("<msup>", *b, *e, "</msup>"), 40, max(db, de) + 1, True)  # (x²)³ keeps its brackets
    if name == "sqrt":
        inner, d = _one(args[0])
        return _run(("<msqrt>", *inner, "</msqrt>"), ATOM, d + 1, True)
    if name == "abs":
        return _run((f"<mrow>{_mo('|')}", args[0], f"{_mo('|')}</mrow>"), ATOM, depth + 1, True)
    if op.symbol is None:  # a call: sin(x), log(a, b)
        inner = [part for k, a in enumerate(args) for part in ((_mo(","), a) if k else (a,))]
        spelled = escape(op.spelling or name)
        return _run((f"<mrow><mi>{spelled}</mi>{_mo(_APPLY)}<mrow>{_mo('(')}", *inner,
                     f"{_mo(')')}</mrow></mrow>"), ATOM, depth + 2, True)
    if op.arity == 1:  # unary minus
        a = args[0] if args[0].prec >= 30 else _bracketed(args[0])
        return _run((_mo(_SYMBOLS["-"]), a), 30, a.depth, False)
    # Infix, left-associative: brackets on the left when looser, on the right when not tighter,
    # as typed text needs them (a − (b − c) keeps its brackets, a + b + c has none).
    left = args[0] if args[0].prec >= op.precedence else _bracketed(args[0])
    right = args[1] if args[1].prec > op.precedence else _bracketed(args[1])
    symbol = _SYMBOLS[op.symbol]
    if name == "mul" and left.number and left.single and not right.number and right.prec >= 40:
        symbol = _INVISIBLE_TIMES  # 2x, 3 sin(x): as typed and as a textbook writes it
    return _run((left, _mo(symbol), right), op.precedence, max(left.depth, right.depth), False,
                left.number)


def _write(parts: Parts) -> str:
    """The parts as one string: a walk with a stack of iterators, not recursion."""
    out: list[str] = []
    stack = [iter(parts)]
    while stack:
        for part in stack[-1]:
            if isinstance(part, _Run):
                stack.append(iter(part.parts))
                break
            out.append(part)
        else:
            stack.pop()
    return "".join(out)


def to_mathml(graph: Graph, max_length: int = 200_000) -> str | None:
    """The program as one <math> element: one row per named intermediate (`name = ...`), the
    output last (several outputs separated by commas). None when it is too deep or too long to
    be worth showing."""
    runs: dict[int, _Run] = {}  # each node as written where it is used
    rows: list[Parts] = []
    for i in range(len(graph)):
        run = _leaf(graph, i) if graph.ops[i] is None else _op(graph, i, [runs[s] for s in graph.inputs[i]])
        if run.depth > MAX_DEPTH:
            return None
        if graph.names[i] is not None:  # its own row; later it stands as its name
            lhs = f"<mi>{escape(graph.names[i])}</mi>"
            rows.append((lhs, _mo("="), run))
            run = _run((lhs,), ATOM, 1, True)
        runs[i] = run
    outputs = [o for o in graph.outputs if graph.names[o] is None or len(graph.outputs) > 1]
    if outputs:
        rows.append(tuple(part for k, o in enumerate(outputs)
                          for part in ((_mo(","), runs[o]) if k else (runs[o],))))
    if len(rows) == 1:
        body: Parts = ("<mrow>", *rows[0], "</mrow>")
    else:
        body = ('<mtable columnalign="left">',
                *(part for row in rows for part in ("<mtr><mtd><mrow>", *row, "</mrow></mtd></mtr>")),
                "</mtable>")
    if _run(body, 0, 0, True).size > max_length:
        return None
    return f'<math xmlns="{NS}" display="block">{_write(body)}</math>'
