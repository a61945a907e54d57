"""The computation graph: plain, ordered, deterministic data.

Nodes are numbered n0, n1, ... in creation order, which is a topological order because a node
is created only after its inputs. A node is a variable (leaf), a constant (leaf) or an op applied
to an ordered tuple of inputs; `x*x` has two edges from the one node x. Identical subexpressions
share one node. Storage is a few parallel lists, not an object per node, which keeps a
100,000-node graph small and every pass a flat loop.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import accumulate, chain

from .errors import ExpressionError, LimitExceeded
from .ops import OPS, Op

VARIABLE, CONSTANT = "var", "const"


@dataclass(frozen=True)
class Edge:
    """The `index`-th input of `target` is `source`."""

    id: int
    source: int
    target: int
    index: int


class Places(array):
    """Each node's token in the text it was parsed from (its operator's, -1 for none), read as a
    dict's get: 8 bytes a node where a dict would take about 60."""

    def get(self, node: int, default: int | None = None) -> int | None:
        return default if node >= len(self) or self[node] < 0 else self[node]

    def __copy__(self) -> Places:  # array's own copies are plain arrays
        return Places("q", self)

    def __deepcopy__(self, memo: dict) -> Places:
        return Places("q", self)


class Graph:
    """A finished graph, read-only by convention; build one with `GraphBuilder` or `compile`."""

    __slots__ = ("__weakref__", "_edges", "aliases", "inputs", "leaf", "literals", "n_edges", "names",
                 "needs_grad", "ops", "output", "outputs", "tensor_ops", "var_nodes", "variables", "where")
    # __weakref__: engine.fast keeps its plan of a graph while the graph lives.

    def __init__(self, ops: list[Op | None], inputs: list[tuple[int, ...]], leaf: list[object],
                 names: list[str | None], output: int, aliases: dict[int, list[str]] | None = None,
                 literals: dict[int, str] | None = None, where: Places | None = None,
                 outputs: tuple[int, ...] = ()) -> None:
        self.ops = ops  # None for a leaf
        self.inputs = inputs  # () for a leaf
        self.leaf = leaf  # variable name (str) or constant value (float); None for an op
        self.names = names  # the name a person gave the node, or None
        self.aliases = aliases or {}  # node -> further names for it
        self.literals = literals or {}  # constant node -> text as typed
        self.where = Places("q") if where is None else where  # see Places
        self.output = output  # the latest of the outputs: every node comes before it
        self.outputs = outputs or (output,)  # as listed (`a, b, sin(x)`); one for most programs
        # A node needs a gradient iff it depends on some variable (as requires_grad in PyTorch):
        # constants and constant subexpressions receive none.
        self.var_nodes, self.needs_grad = _variables_and_needs(inputs, leaf)
        self.variables = tuple(map(leaf.__getitem__, self.var_nodes))
        self.n_edges = sum(map(len, inputs))
        # An op that is not elementwise (@, sum, ...) makes the passes work on numpy arrays.
        self.tensor_ops = any(op is not None and not op.partials for op in ops)
        self._edges: list[Edge] | None = None

    def __len__(self) -> int:
        return len(self.ops)

    @property
    def edges(self) -> list[Edge]:
        """All edges, numbered by target then argument index (so in topological order)."""
        if self._edges is None:
            pairs = [(s, t, k) for t, args in enumerate(self.inputs) for k, s in enumerate(args)]
            self._edges = [Edge(e, s, t, k) for e, (s, t, k) in enumerate(pairs)]
        return self._edges

    def edge_ids(self) -> list[int]:
        """First edge id of each node (its inputs' edges are consecutive from there)."""
        return list(accumulate(map(len, self.inputs[:-1]), initial=0))

    def kind(self, i: int) -> str:
        if self.ops[i] is not None:
            return "op"
        return VARIABLE if isinstance(self.leaf[i], str) else CONSTANT

    def op_name(self, i: int) -> str:
        op = self.ops[i]
        return op.name if op is not None else self.kind(i)


def needs_grad(graph: Graph, wrt: Iterable[str] | None = None) -> bytearray:
    """1 for the nodes that depend on a variable of `wrt` (all variables when None), which are
    the nodes a reverse pass gives a gradient (PyTorch's requires_grad)."""
    return graph.needs_grad if wrt is None else _depends(graph.inputs, graph.leaf, set(wrt))


def _depends(inputs: list[tuple[int, ...]], leaf: list[object], wanted: set[str] | None,
             start: int = 0) -> bytearray:
    """`needs_grad`'s sweep. Nodes before `start` are known to depend on a variable (every
    variable wanted, and no constant before `start`: each such node's inputs come before it)."""
    needs = bytearray(b"\x01") * len(inputs)  # cleared where not: most nodes need one
    for i in range(start, len(inputs)):
        args = inputs[i]
        if args:  # an op: its first and last inputs are all of them but for 3 or more
            if not (needs[args[0]] or needs[args[-1]] or (len(args) > 2 and any(needs[s] for s in args))):
                needs[i] = 0
        elif not (leaf[i].__class__ is str and (wanted is None or leaf[i] in wanted)):
            needs[i] = 0
    return needs


def _variables_and_needs(inputs: list[tuple[int, ...]], leaf: list[object]
                         ) -> tuple[tuple[int, ...], bytearray]:
    """The variables' nodes, and `_depends` for all of them. The leaves are found by C's scan
    for `()`, not a loop in Python, and the sweep starts at the first constant: a graph of
    variables alone (a wide sum, a network's weights) pays nothing for it."""
    leaves, i = [], -1
    try:
        while True:
            i = inputs.index((), i + 1)
            leaves.append(i)
    except ValueError:
        pass
    var_nodes = tuple(i for i in leaves if leaf[i].__class__ is str)
    start = next((i for i in leaves if leaf[i].__class__ is not str), len(inputs))
    return var_nodes, _depends(inputs, leaf, None, start)


def ancestors(inputs: list[tuple[int, ...]], nodes: Collection[int], within: bytearray | None = None
              ) -> bytearray:
    """1 for `nodes` and every node they depend on; with `within`, only through its nodes."""
    within = bytearray(b"\x01") * len(inputs) if within is None else within
    keep = bytearray(len(inputs))
    for node in nodes:
        keep[node] = within[node]
    for i in range(max(nodes, default=-1), -1, -1):  # inputs always precede their consumer
        if keep[i]:
            for s in inputs[i]:
                keep[s] = within[s]
    return keep


class GraphBuilder:
    """Builds a graph node by node, sharing identical subexpressions.

    >>> b = GraphBuilder()
    >>> x = b.var("x")
    >>> a = b.op("mul", x, x)          # two edges from x
    >>> g = b.build(b.op("add", a, b.op("mul", b.const(2), x)))
    >>> len(g), g.variables
    (5, ('x',))
    """

    def __init__(self, max_nodes: int | None = None) -> None:
        self.max_nodes = max_nodes
        self.ops: list[Op | None] = []
        self.inputs: list[tuple[int, ...]] = []
        # leaf, names and where as properties: `op` appends to ops and inputs alone (three appends
        # fewer: a sixth of a builder's node), `node` to those and where, and the others catch up
        # with None, None and -1 when next read or written (`_level`).
        self._leaf: list[object] = []
        self._names: list[str | None] = []
        self._where = Places("q")
        self.aliases: dict[int, list[str]] = {}
        self.literals: dict[int, str] = {}
        # Nodes to share, by op name ("var", "const" for leaves) then by inputs (name, value):
        # the inputs' tuple, kept anyway, is the key; no key object is made per node.
        self._share: defaultdict[str, dict] = defaultdict(dict)
        # An op's name -> (op, its sharing table, no static argument to check): one lookup a node.
        self._spec: dict[str, tuple[Op, dict, bool]] = {}

    @property
    def leaf(self) -> list[object]:
        """Each node's variable name or constant value, None for an op."""
        self._level()
        return self._leaf

    @property
    def names(self) -> list[str | None]:
        """The name a person gave each node, or None."""
        self._level()
        return self._names

    @property
    def where(self) -> Places:
        """Each node's token in the text (`Graph.where`)."""
        self._level()
        return self._where

    def _level(self) -> None:
        """leaf, names and where as long as ops, in place (the reader holds their appends). leaf
        and names are always as long as each other; where is between them and ops."""
        n = len(self.ops)
        if len(self._leaf) != n:
            k = n - len(self._leaf)
            self._leaf += [None] * k
            self._names += [None] * k
        if len(self._where) != n:
            self._where += Places("q", (-1,)) * (n - len(self._where))

    def _new(self, op: Op | None, args: tuple[int, ...], leaf: object, shared: dict, key: object,
             at: int = -1) -> int:
        i = len(self.ops)  # this int object is the node's id wherever it is used
        if i == self.max_nodes:  # nodes come one at a time, so == is >=; never equal to None
            raise LimitExceeded(
                f"the graph would have more than {self.max_nodes} nodes; simplify the expression",
                code="limit_exceeded", limit="max_nodes", maximum=self.max_nodes, actual=i + 1)
        if len(self._leaf) != i:  # leaf and names lag after `op` and `node`: caught up first
            self._level()
        self.ops.append(op)
        self.inputs.append(args)
        self._leaf.append(leaf)
        self._names.append(None)
        self._where.append(at)
        shared[key] = i
        return i

    def var(self, name: str) -> int:
        found = self._share["var"].get(name)
        return found if found is not None else self._new(None, (), name, self._share["var"], name)

    def const(self, value: float, literal: str | None = None) -> int:
        value = float(value)
        # -0.0 == 0.0 but they are different constants (1/-0.0 is -inf): a zero's key has its sign.
        key = value if value else (value, math.copysign(1.0, value))
        found = self._share["const"].get(key)
        if found is None:
            found = self._new(None, (), value, self._share["const"], key)
            if literal is not None:
                self.literals[found] = literal
        return found

    def op(self, name: str | Op, *args: int) -> int:
        spec = self._spec.get(name) if name.__class__ is str else None  # an Op hashes all its fields
        if spec is None:
            spec = self._spec_of(name)
        op, shared, lean = spec
        found = shared.get(args)  # only checked arguments are keys: a hit needs no check
        if found is None:
            n, arity = len(self.ops), op.arity
            if len(args) != arity:
                raise ValueError(f"{op.name} takes {arity} arguments, got {len(args)}")
            if arity == 2:  # most ops: two comparisons without a loop (2-9 % of the call)
                a, b = args
                if not (0 <= a < n and 0 <= b < n):
                    raise ValueError(f"no node {b if 0 <= a < n else a}")
            else:
                for a in args:
                    if not 0 <= a < n:
                        raise ValueError(f"no node {a}")
            if not lean or n == self.max_nodes:  # an axis to check, or the limit: as `node` does
                return self.node(op, args)
            self.ops.append(op)
            self.inputs.append(args)
            shared[args] = found = n
        return found

    def _spec_of(self, name: str | Op) -> tuple[Op, dict, bool]:
        op = name if isinstance(name, Op) else OPS[name]
        spec = (op, self._share[op.name], not op.static)
        if name.__class__ is str:
            self._spec[name] = spec
        return spec

    def node(self, op: Op, args: tuple[int, ...], at: int | None = None) -> int:
        """`op` applied to `args`, which the caller (the parser) knows are that many existing
        nodes: `op` without its checks. `at`: the token of the text that made it (its first
        one, when shared), for a message about it (engine.evaluation finds its line)."""
        shared = self._share[op.name]
        found = shared.get(args)
        if found is None:
            if op.static:
                self._check_axes(op, args)
            ops = self.ops
            found = len(ops)
            if found == self.max_nodes or len(self._where) != found:  # the limit; after `op`
                return self._new(op, args, None, shared, args, -1 if at is None else at)
            # As `_new`, with leaf and names left to `_level` (as `op` does): two appends and
            # a call fewer for most nodes the parser makes.
            ops.append(op)
            self.inputs.append(args)
            self._where.append(-1 if at is None else at)
            shared[args] = found
        elif at is not None and self.where[found] < 0:  # made without a place (a unary minus)
            self._where[found] = at
        return found

    def _check_axes(self, op: Op, args: tuple[int, ...]) -> None:
        for k in op.static:  # an axis: a number, never something to differentiate
            if self.ops[args[k]] is not None or isinstance(self.leaf[args[k]], str):
                raise ExpressionError(f"argument {k + 1} of {op.spelling or op.name} (an axis) "
                                      "must be a constant integer such as 0 or 1", code="invalid_axis")

    def name(self, node: int, name: str) -> None:
        """Give `node` a name; a node named twice keeps the first and records the alias."""
        self._level()
        if self._names[node] is None and not isinstance(self._leaf[node], str):
            self._names[node] = name
        else:
            self.aliases.setdefault(node, []).append(name)

    def build(self, output: int, prune: bool = True, outputs: tuple[int, ...] = ()) -> Graph:
        """Finish the graph. With `prune`, nodes no output depends on are dropped. With several
        `outputs` (as listed), `output` is the latest of them."""
        self._share.clear()  # the finished graph does not need the sharing tables
        self._spec.clear()
        self._level()
        # Nothing to drop iff every node but the outputs is some node's input (the latest that is
        # not an output has no consumer): a set made in C, not a sweep in Python.
        if not prune or len({output, *outputs}.union(chain.from_iterable(self.inputs))) == len(self.ops):
            return Graph(self.ops, self.inputs, self.leaf, self.names, output, self.aliases,
                         self.literals, self.where, outputs)
        keep = ancestors(self.inputs, (output, *outputs))
        kept = [i for i, k in enumerate(keep) if k]
        new_id = dict(zip(kept, range(len(kept))))

        def moved(table: dict) -> dict:
            return {new_id[i]: v for i, v in table.items() if keep[i]}
        where = Places("q", map(self.where.__getitem__, kept))
        return Graph([self.ops[i] for i in kept], [tuple(map(new_id.get, self.inputs[i])) for i in kept],
                     [self.leaf[i] for i in kept], [self.names[i] for i in kept], new_id[output],
                     moved(self.aliases), moved(self.literals), where, tuple(map(new_id.get, outputs)))
