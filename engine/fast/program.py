"""The re-run entry: one graph's value and gradients evaluated again and again on new values of the
same shapes (a training loop's steps), at the cost of numpy's array operations alone.

    value, (dw,) = rerun(graph, {"X": X, "y": y, "w": w}, wrt=["w"])

The first call at given shapes (and `wrt`, limits) walks the plain tensor passes' steps once,
recording them as a flat program; later calls replay it. What a step of the plain passes spends
besides the arithmetic is decided once, in the recording: shapes, bounds and errors (the plain
pass's own checks, `tensors.checked_leaves`', node by node as it is recorded), which nodes need
a gradient, which edges send what, where a contribution is summed over broadcast axes. An
elementwise rule of the op table is recorded ufunc by ufunc (`_Rec` stands in for an array while
it runs: a ufunc's result is known by its shape, by numpy's broadcasting rule, and its type, by
numpy's type resolver kept per ufunc and argument types; nothing of the data's size is computed,
and a stand-in array of zeros with every stride 0 is made only for the few rules and calls that
read one), and each ufunc then writes into an array of the program's, reused on every call (two
steps share one when the first's result is dead before the second's is made): no per-step
allocation, so glibc's heap neither grows nor shrinks between calls. Identical steps are made
once, steps on constants folded, negations moved into a subtraction or cancelled (exact), and
1 + e^x where e^−x is made is 1 + 1/e^−x, which gives σ's partial out / (1 + e^a) from the
forward's e^−a without a second exponential. Ops that are not elementwise (@, sum, transpose...)
and rules a ufunc cannot express (erf, a branch on a value) run as the plain pass runs them, by
their numpy rule, into fresh arrays (matmul, a ufunc, into the program's). The recording is kept
by the graph's structure (`Recipe`): a new graph of the same structure, as each training run
makes, replays it with arrays of its own (`Program`). What the recording makes holds no cycle
once the recipe is made (`_Recorder.release`): reference counting frees it, not the cycle
collector.

Contract (tests/engine/test_fast_tensors.py, test_program_record.py): the value and the
gradients equal those of the plain tensor passes to 1e-12 relative, inf and nan in the same
places, with their errors; the same ufuncs in the same order give the same bits, except where
1/e^−x stands for e^x (about an ulp). The arrays returned are the caller's: the program's own
are never handed out.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..graph import Graph, needs_grad
from ..limits import DEFAULT_LIMITS, Limits
from ..ops import Op
from ..shapes import check_size
from ..values import leaf_values
from ..xp import NUMPY
from .tensors import node_shape, stand_in

_PLANS_PER_GRAPH = 8
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Unrecordable(Exception):
    """A rule that the program cannot hold as ufuncs (it branches on a value)."""


#: What recording a rule may raise when ufuncs cannot express it: the op then runs its numpy rule.
_UNRECORDABLE = (_Unrecordable, AttributeError, TypeError)
#: numpy functions a rule may call that are not ufuncs (no out=): run as calls, each making its
#: result (a view, for the last three).
_CALLS = {"where": np.where, "broadcast_to": np.broadcast_to, "expand_dims": np.expand_dims,
          "transpose": np.transpose}


def _sum_all(a):
    """np.sum(a): the same reduction (numpy's sum is this call) without its Python wrapper."""
    return np.add.reduce(a, axis=None)


class _Rec:
    """An array while a rule is recorded: its slot in the program. Its shape and type are the
    recorder's (`shapes`, `types`); its value (`value`) is made only when something reads it.
    An operator goes straight to the recorder's `binary` or `unary` (no argument tuple)."""

    __slots__ = ("p", "slot")
    __array_ufunc__ = None  # numpy's scalars defer to _Rec's operators
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, program: _Recorder, slot: int) -> None:
        self.p, self.slot = program, slot

    def __bool__(self) -> bool:
        raise _Unrecordable("a rule that branches on a value")

    @property
    def value(self):  # the real value of a leaf, constant or call; a stand-in of a ufunc's
        return self.p.value(self.slot)

    @property
    def shape(self) -> tuple:  # fixed at the program's shapes, as ndim
        return self.p.shapes[self.slot]

    @property
    def ndim(self) -> int:
        return len(self.p.shapes[self.slot])

    @property
    def T(self) -> _Rec:  # numpy's name
        return self.p.call(np.transpose, self)

    def __add__(self, o): return self.p.binary(np.add, self, o)
    def __radd__(self, o): return self.p.binary(np.add, o, self)
    def __sub__(self, o): return self.p.binary(np.subtract, self, o)
    def __rsub__(self, o): return self.p.binary(np.subtract, o, self)
    def __mul__(self, o): return self.p.binary(np.multiply, self, o)
    def __rmul__(self, o): return self.p.binary(np.multiply, o, self)
    def __truediv__(self, o): return self.p.binary(np.true_divide, self, o)
    def __rtruediv__(self, o): return self.p.binary(np.true_divide, o, self)
    def __pow__(self, o): return self.p.binary(np.power, self, o)
    def __rpow__(self, o): return self.p.binary(np.power, o, self)
    def __neg__(self): return self.p.unary(np.negative, self)
    def __pos__(self): return self
    def __lt__(self, o): return self.p.binary(np.less, self, o)
    def __le__(self, o): return self.p.binary(np.less_equal, self, o)
    def __gt__(self, o): return self.p.binary(np.greater, self, o)
    def __ge__(self, o): return self.p.binary(np.greater_equal, self, o)
    def __eq__(self, o): return self.p.binary(np.equal, self, o)  # type: ignore[override]
    def __ne__(self, o): return self.p.binary(np.not_equal, self, o)  # type: ignore[override]
    def __and__(self, o): return self.p.binary(np.bitwise_and, self, o)
    def __rand__(self, o): return self.p.binary(np.bitwise_and, o, self)
    def __or__(self, o): return self.p.binary(np.bitwise_or, self, o)
    def __ror__(self, o): return self.p.binary(np.bitwise_or, o, self)
    def __invert__(self): return self.p.unary(np.invert, self)


class _Namespace:
    """The rules' `xp` while they are recorded: numpy's ufuncs (and `where`) by their numpy
    names, recorded as steps; any other name (erf, ...) is AttributeError, which sends the op to
    its numpy rule. The functions are the class's, made once when the module loads (`_names`),
    so a recording makes none."""

    __slots__ = ("_p",)

    def __init__(self, program: _Recorder) -> None:
        self._p = program

    def sum(self, a):  # the sum of all elements; with an axis, the numpy rule
        return self._p.call(_sum_all, a)

    def shape(self, a):  # fixed at the program's shapes
        return a.shape if isinstance(a, _Rec) else np.shape(a)

    def ndim(self, a):
        return a.ndim if isinstance(a, _Rec) else np.ndim(a)

    def size(self, a):
        return math.prod(a.shape) if isinstance(a, _Rec) else np.size(a)

    def __getattr__(self, name: str):  # a name `provide` added after the module loaded
        if name.startswith("_"):
            raise AttributeError(name)
        fn = getattr(NUMPY, name)
        if isinstance(fn, np.ufunc):
            return _ufunc_method(fn).__get__(self)
        raise AttributeError(f"{name}: not a ufunc")


def _ufunc_method(fn: np.ufunc) -> Callable:
    if fn.nin == 1 and fn.nout == 1:
        def unary(self, a): return self._p.unary(fn, a)
        return unary
    if fn.nin == 2 and fn.nout == 1:
        def binary(self, a, b): return self._p.binary(fn, a, b)
        return binary

    def other(self, *args): return self._p.ufunc(fn, args)
    return other


def _call_method(fn: Callable) -> Callable:
    def call(self, *args): return self._p.call(fn, *args)
    return call


def _names() -> None:
    """`_Namespace`'s functions: each ufunc of `xp` (numpy's, and any `provide` added) and each
    of `_CALLS`."""
    provided = vars(NUMPY)
    for name, fn in list(vars(np).items()):  # numpy's own names, none of its lazy submodules
        fn = provided.get(name, fn)
        if not name.startswith("_") and isinstance(fn, np.ufunc) and not hasattr(_Namespace, name):
            setattr(_Namespace, name, _ufunc_method(fn))
    for name, fn in _CALLS.items():
        setattr(_Namespace, name, _call_method(fn))


_names()


# A program step: (function, input slots, output slot, out array or None). With an out array the
# function is a ufunc writing into it; without, a call whose result is stored in the slot.
Step = tuple
# What a slot holds: a leaf (the caller's array), a constant (kept by the program), a ufunc's
# result (an array of the program's) or a call's (made by each run).
_LEAF, _CONST, _UFUNC, _CALL = "leaf", "const", "ufunc", "call"


class _Recorder:
    """Runs the plain passes' steps once, recording each as a step of a flat program over slots
    (leaves, constants, results). A ufunc's result is known by its shape and type alone: its
    value is a stand-in (zeros, every stride 0), made only if a call or a rule reads it.
    `release` ends a recording: what is left holds no cycle (reference counting frees it)."""

    def __init__(self) -> None:
        self.values: list = []  # each slot's value: real, or None for a stand-in not yet made
        self.shapes: list[tuple] = []
        self.types: list = []  # numpy's type character, or a Python number's class
        self.kind: list[str] = []  # _LEAF, _CONST, _UFUNC, _CALL
        self.steps: list[Step] = []
        self.made: dict[tuple, _Rec] = {}  # (function, input slots) -> its result: made once
        self.consts: dict[tuple, int] = {}
        self.negated: dict[int, int] = {}  # slot of −x -> slot of x
        self.source: dict[int, tuple] = {}  # slot -> the (ufunc, input slots) that made it
        self.units: dict[int, float | None] = {}  # const slot -> 1.0, −1.0 or None (`unit`)
        self.ns = _Namespace(self)

    def release(self) -> None:
        """Drops what refers back to the recorder (its results, its namespace)."""
        self.made = self.ns = None  # type: ignore[assignment]

    def slot(self, value, kind: str) -> int:
        """A new slot holding a real value (a leaf, a constant, a call's result)."""
        if isinstance(value, (np.ndarray, np.generic)):
            self.shapes.append(value.shape)
            self.types.append(value.dtype.char)
        else:  # a Python number
            self.shapes.append(())
            self.types.append(value.__class__)
        self.values.append(value)
        self.kind.append(kind)
        return len(self.values) - 1

    def value(self, slot: int):
        """The slot's value; for a ufunc's result, its stand-in (made once)."""
        v = self.values[slot]
        if v is None:
            shape, dtype = self.shapes[slot], np.dtype(self.types[slot])
            v = self.values[slot] = np.broadcast_to(np.zeros((), dtype), shape) if \
                dtype.hasobject else np.ndarray(shape, dtype, _ZERO_BYTES, 0, (0,) * len(shape))
        return v

    def const(self, x) -> int:
        """The slot of a number or array that is the same on every call (kept by the program)."""
        if isinstance(x, np.ndarray):
            return self.slot(x, _CONST)
        key = (x.__class__, repr(x))  # -0.0 and 0.0 apart
        s = self.consts.get(key)
        if s is None:
            s = self.consts[key] = self.slot(x, _CONST)
        return s

    def array(self, x: np.ndarray) -> _Rec:
        """An array the same on every call (a seed, zeros), kept by the program."""
        return _Rec(self, self.const(x))

    def is_float64(self, slot: int) -> bool:
        return self.types[slot] == "d" or self.types[slot] is float

    def unit(self, slot: int) -> float | None:
        """1.0 or −1.0 if the float64 constant in `slot` is that everywhere, else None (judged
        once a slot; a broadcast constant, every stride 0, by its one element)."""
        if slot not in self.units:
            c = np.asarray(self.values[slot])
            if c.size and not any(c.strides):
                c = c[(0,) * c.ndim]
            self.units[slot] = None if c.dtype != _FLOAT else \
                1.0 if (c == 1.0).all() else -1.0 if (c == -1.0).all() else None
        return self.units[slot]

    def unnegated_product(self, slot: int) -> tuple[_Rec, _Rec] | None:
        """For a slot made as a × −b (or −a × b), a and b (in their order): the product without
        its negation, which a caller negates or subtracts instead, exactly."""
        made = self.source.get(slot)
        if made is None or made[0] is not _MULTIPLY:
            return None
        a, b = made[1]
        if b in self.negated:
            return _Rec(self, a), _Rec(self, self.negated[b])
        if a in self.negated:
            return _Rec(self, self.negated[a]), _Rec(self, b)
        return None

    def operand(self, x) -> int:
        """The slot of a rule's argument: a recorded array's, or a number's (a constant)."""
        if x.__class__ is _Rec:
            return x.slot
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)):
            raise _Unrecordable(f"{x!r} in a rule")
        return self.const(x)

    def rec(self, x) -> _Rec:
        return x if x.__class__ is _Rec else _Rec(self, self.operand(x))

    def binary(self, fn: np.ufunc, a, b) -> _Rec:
        """fn(a, b) recorded: the usual step, without `ufunc`'s argument tuples."""
        ins = (a.slot if a.__class__ is _Rec else self.operand(a),
               b.slot if b.__class__ is _Rec else self.operand(b))
        if fn is _ADD and (ins[0] in self.source or ins[1] in self.source):
            done = self.rewritten_sum(ins)
            if done is not None:
                return done
        key = (fn, ins)
        made = self.made.get(key)
        return made if made is not None else self.make(key)

    def unary(self, fn: np.ufunc, a) -> _Rec:
        ins = (a.slot if a.__class__ is _Rec else self.operand(a),)
        if fn is _NEGATIVE:  # −(a × −b) is a × b, exactly (IEEE negation and rounding)
            ab = self.unnegated_product(ins[0])
            if ab is not None:
                return self.binary(_MULTIPLY, *ab)
        key = (fn, ins)
        made = self.made.get(key)
        return made if made is not None else self.make(key)

    def ufunc(self, fn: np.ufunc, args: Sequence) -> _Rec:
        """fn(*args) recorded, for any number of arguments."""
        if len(args) == 2:
            return self.binary(fn, *args)
        if len(args) == 1:
            return self.unary(fn, *args)
        key = (fn, tuple([self.operand(a) for a in args]))
        made = self.made.get(key)
        return made if made is not None else self.make(key)

    def make(self, key: tuple) -> _Rec:
        """A new step fn(ins), once its rewrites are ruled out: folded on constants, × ±1 as the
        other argument or its negation, else a ufunc writing an array of the program's. Its
        shape and type without computing it: numpy's broadcasting rule only for unequal shapes,
        its type rule once per ufunc and argument types (`_TYPES`)."""
        fn, ins = key
        kind, shapes, types = self.kind, self.shapes, self.types
        if len(ins) == 2 and fn.signature is None:  # the usual step
            a, b = ins
            ka, kb = kind[a], kind[b]
            if ka == _CONST and kb == _CONST:
                return self.folded(key)
            sa, sb = shapes[a], shapes[b]
            shape = sa if sa == sb or not sb else sb if not sa else np.broadcast_shapes(sa, sb)
            type_ = _TYPES.get((fn, types[a], types[b]))
            if type_ is None:
                type_ = self.new_type(fn, ins)
            if fn is _MULTIPLY and type_ == "d" and (ka == _CONST or kb == _CONST):
                # × ones or minus ones of no larger shape: x or −x
                for x, c in (ins, ins[::-1]):
                    if kind[c] == _CONST and shapes[x] == shape and self.is_float64(x):
                        unit = self.unit(c)
                        if unit == 1.0:
                            return _Rec(self, x)
                        if unit == -1.0:
                            return self.unary(_NEGATIVE, _Rec(self, x))
        elif len(ins) == 1:
            if kind[ins[0]] == _CONST:
                return self.folded(key)
            shape = shapes[ins[0]]
            type_ = _TYPES.get((fn, types[ins[0]]))
            if type_ is None:
                type_ = self.new_type(fn, ins)
        else:
            if [kind[s] for s in ins].count(_CONST) == len(ins):
                return self.folded(key)
            shape, type_ = self.result(fn, ins)
        out = len(kind)
        self.values.append(None)
        shapes.append(shape)
        types.append(type_)
        kind.append(_UFUNC)
        self.source[out] = key
        self.steps.append((fn, ins, out, None))
        if fn is _NEGATIVE:
            self.negated[out] = ins[0]
        r = self.made[key] = _Rec(self, out)
        return r

    def folded(self, key: tuple) -> _Rec:
        """A step on constants: computed now, a constant (made once, kept)."""
        fn, ins = key
        r = self.made[key] = self.array(np.asarray(fn(*[self.values[s] for s in ins])))
        return r

    def result(self, fn: np.ufunc, ins: tuple) -> tuple:
        """The shape and type of what `fn` makes of these slots, as `make`'s: for a matrix
        product of vectors and matrices that fit by its shape rule; any other gufunc is
        computed on the stand-ins."""
        shapes, types = self.shapes, self.types
        if fn.signature is None:
            shape = ()
            for s in ins:
                if shapes[s] != shape:
                    shape = shapes[s] if not shape else np.broadcast_shapes(shape, shapes[s])
        else:
            a, b = (shapes[s] for s in ins)
            if fn is not np.matmul or not (1 <= len(a) <= 2 and 1 <= len(b) <= 2 and a[-1] == b[0]):
                made = np.asarray(fn(*[self.value(s) for s in ins]))
                return made.shape, made.dtype.char
            shape = a[:-1] + b[1:]
        type_ = _TYPES.get((fn, *[types[s] for s in ins]))
        return shape, type_ if type_ is not None else self.new_type(fn, ins)

    def new_type(self, fn: np.ufunc, ins: tuple) -> str:
        """numpy's type rule for fn on these slots' types (a Python number's as a weak scalar),
        by numpy's own resolver (`resolve_dtypes`, no array made), else by its call on one
        element of each; kept in `_TYPES`."""
        types = self.types
        if len(_TYPES) >= 4096:  # bounded whatever the rules pass
            _TYPES.clear()
        key = (fn, *[types[s] for s in ins])
        try:
            if fn.nout != 1:
                raise TypeError("a ufunc of several results")
            type_ = fn.resolve_dtypes((*[np.dtype(t) if t.__class__ is str else t for t in key[1:]],
                                       None))[-1].char
        except (TypeError, ValueError):
            one = [np.zeros((1,) if fn.signature else (), types[s]) if types[s].__class__ is str
                   else self.values[s] for s in ins]
            type_ = np.asarray(fn(*one)).dtype.char
        _TYPES[key] = type_
        return type_

    def rewritten_sum(self, ins: tuple) -> _Rec | None:
        """A sum that is better made otherwise, exactly or to about an ulp: x + a × −b as
        x − a × b; 1 + e^x as 1 + 1/e^−x where e^−x is made (σ's partial after its forward).
        The latter is equal to about an ulp, and exactly where e^−x is inf: 1/inf is 0 where
        e^x is a subnormal number, which 1 + absorbs (hence only in this sum, never for e^x
        alone); where e^x overflows, 1/e^−x does too (checked ulp by ulp around log of the
        largest float)."""
        for k, (c, r) in enumerate((ins, ins[::-1])):
            fn, made_of = self.source.get(r, (None, ()))
            if fn is not _EXP or self.kind[c] != _CONST:
                continue
            one = self.values[c]
            if not ((one.__class__ is float or getattr(one, "shape", None) == ()) and one == 1.0):
                continue
            x = made_of[0]
            minus = self.negated.get(x)
            if minus is None:
                neg = self.made.get((_NEGATIVE, (x,)))
                minus = neg.slot if neg is not None else None
            e = self.made.get((_EXP, (minus,))) if minus is not None else None
            if e is not None:
                inverse = self.binary(np.true_divide, 1.0, e)
                c_ = _Rec(self, c)
                return self.binary(_ADD, c_, inverse) if k == 0 else self.binary(_ADD, inverse, c_)
        for x, r in (ins, ins[::-1]):
            ab = self.unnegated_product(r)
            if ab is not None:
                return self.binary(np.subtract, _Rec(self, x), self.binary(_MULTIPLY, *ab))
        return None

    def call(self, fn: Callable, *args) -> _Rec:
        """A step that makes a fresh array each call (no out=): an op's numpy rule, a sum. A sum
        of all of a ufunc's result is known without its stand-in: a number of its type."""
        ins = tuple([a.slot if a.__class__ is _Rec else self.const(a) for a in args])
        kind = self.kind
        if fn is _sum_all and kind[ins[0]] == _UFUNC and self.types[ins[0]] == "d":
            self.values.append(_ZERO_SUM)  # a stand-in: numpy's sum is a number, not an array
            self.shapes.append(())
            self.types.append("d")
            kind.append(_CALL)
            out = len(kind) - 1
            self.steps.append((fn, ins, out, None))
            return _Rec(self, out)
        value = fn(*[self.value(s) for s in ins])
        if [kind[s] for s in ins].count(_CONST) == len(ins):  # folded: made once, kept
            return _Rec(self, self.slot(value, _CONST))
        out = self.slot(value, _CALL)
        self.steps.append((fn, ins, out, None))
        return _Rec(self, out)

    def rule(self, rule: Callable, args: Sequence[_Rec]) -> _Rec:
        """A rule of the op table recorded ufunc by ufunc; if it cannot be, its numpy version
        as one call (the steps recorded before it failed are dead and dropped later)."""
        try:
            out = rule(self.ns, *args)
        except _UNRECORDABLE:
            return self.call(_numpy(rule), *args)
        return out if out.__class__ is _Rec else self.rec(out)


_ADD, _MULTIPLY, _NEGATIVE, _EXP = np.add, np.multiply, np.negative, np.exp
_FLOAT = np.dtype(np.float64)
_ZERO_BYTES = bytes(16)  # the memory of every stand-in (16: the widest numpy scalar)
_ZERO_SUM = np.float64(0.0)
_TYPES: dict[tuple, str] = {}  # (ufunc, argument types) -> its result's type: a few dozen


def _as_float(v):
    return np.asarray(v, dtype=float)


def _numpy(rule: Callable) -> Callable:
    return lambda *args: rule(NUMPY, *args)


def _summed_to(shape: tuple) -> Callable:
    """c summed over the axes where an input of `shape` was broadcast (the plain pass's sum)."""
    def summed(c):
        lead = np.ndim(c) - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                          if n == 1 and c.shape[lead + i] != 1)
        return np.sum(c, axis=axes).reshape(shape) if axes else c
    return summed


def _record(graph: Graph, env: Mapping, limits: Limits, wanted: list[int], needs: bytearray) -> tuple:
    """The forward pass and the reverse pass from the output, as `passes.forward` and
    `passes.reverse` (untraced, tensor mode) run them, each node's shape and bounds checked
    before its step is recorded (`tensors.checked_leaves`' checks, its errors, in its order);
    the program, the value's slot, the gradients' slots and the leaves' slots."""
    p = _Recorder()
    vals: list[_Rec] = []
    variables: dict[str, int] = {}
    shapes = p.shapes
    work = 0
    bounded = limits.max_elements is not None or limits.max_work is not None
    for i, (op, args, leaf) in enumerate(zip(graph.ops, graph.inputs, graph.leaf)):
        if op is None:
            if leaf.__class__ is str:  # a variable
                s = variables[leaf] = p.slot(np.asarray(env[leaf], dtype=float), _LEAF)
            else:  # a number typed
                s = p.slot(np.asarray(leaf, dtype=float), _CONST)
            vals.append(_Rec(p, s))
            continue
        xs = [vals[s] for s in args]
        if bounded or op.shape is not None or len(xs) > 2 or (len(xs) == 2 and not _fit(
                shapes[xs[0].slot], shapes[xs[1].slot])):  # else nothing to check: one shape
            shape = node_shape(graph, i, op, [shapes[x.slot] for x in xs], lambda args=args, xs=xs: [
                p.values[x.slot] if graph.ops[s] is None else stand_in(shapes[x.slot])
                for s, x in zip(args, xs)])
            size = math.prod(shape)
            work += size
            if bounded:
                check_size(graph, i, size, work, limits)
        r = p.rule(op.forward, xs)
        v = p.values[r.slot]  # None: a ufunc's stand-in, an array
        if p.types[r.slot] != "d" or not (v is None or v.__class__ is np.ndarray):
            r = p.call(_as_float, r)  # the plain pass's np.asarray(..., dtype=float)
        vals.append(r)
    out = graph.output
    grads: list = [None] * len(graph)
    grads[out] = p.array(np.ones(shapes[vals[out].slot]))  # the seed (every value is float64)
    for t in range(out, -1, -1):  # every consumer of t came before t: grads[t] is final
        op = graph.ops[t]
        if op is None or not needs[t]:
            continue
        g = grads[t]
        if g is None:  # nothing arrived: zeros, as the plain pass (local × 0 may be nan)
            g = p.array(np.zeros(shapes[vals[t].slot]))
        xs = [vals[s] for s in graph.inputs[t]]
        for k, s in enumerate(graph.inputs[t]):
            if not needs[s]:
                continue
            c = _pull(p, op, k, g, vals[t], xs)
            shape = shapes[xs[k].slot]
            if shapes[c.slot] != shape:  # broadcast: summed back over its axes
                c = p.call(_summed_to(shape), c)
            before = grads[s]
            grads[s] = c if before is None else p.binary(_ADD, before, c)
    result = []
    for i in wanted:
        g = grads[i]
        result.append(g if g is not None else p.array(np.zeros(shapes[vals[i].slot])))
    return p, vals[out], result, variables


def _fit(a: tuple, b: tuple) -> bool:
    """Two arguments of one shape, or one of them a number: what broadcasting makes of them
    needs no check."""
    return a == b or not a or not b


def _pull(p: _Recorder, op: Op, k: int, g: _Rec, out: _Rec, xs: list) -> _Rec:
    """What node `out`'s k-th edge sends back: the VJP of g, or local × g (g itself for a
    partial of 1, −g for −1), as `passes._pull` forms it."""
    if not op.partials:
        vjp = op.vjp[k]
        return p.rule(vjp, [g, out, *xs])  # type: ignore[arg-type]
    loc = op.constants[k]
    if loc is not None:
        return g if loc == 1.0 else p.unary(_NEGATIVE, g) if loc == -1.0 else \
            p.binary(_MULTIPLY, loc, g)
    local = p.rule(op.partials[k], [out, *xs])
    return p.binary(_MULTIPLY, local, g)


class Recipe:
    """A recording made ready to replay at fixed shapes: the live steps, each ufunc's result in
    one of `buffers` (shared by steps whose values are not alive at once: liveness), the
    constants, and which slots hold the leaves, the value and the gradients. It holds no array
    of the data's size but constants (a seed, zeros), so it is kept by the graph's structure."""

    def __init__(self, p: _Recorder, value: _Rec, grads: list[_Rec], variables: dict[str, int],
                 names: Sequence[str]) -> None:
        self.n_slots = len(p.values)
        self.value_slot = value.slot
        self.grad_slots = [g.slot for g in grads]
        self.leaf_slots = [variables[n] for n in names]
        kind, shapes, types = p.kind, p.shapes, p.types
        self.consts = [(s, p.values[s]) for s, k in enumerate(kind) if k == _CONST]
        # From the end: dead steps dropped (a rule whose recording failed half-way: nothing reads
        # its results), and each slot's last reader (-1: none). A call's result may be a view of
        # its inputs (broadcast_to, transpose), so they stay alive as long as it does.
        steps = p.steps
        last = [-1] * self.n_slots
        for s in (self.value_slot, *self.grad_slots):
            last[s] = len(steps)
        live = []
        for j in range(len(steps) - 1, -1, -1):
            step = steps[j]
            o = step[2]
            if last[o] < 0:
                continue
            ins = step[1]
            # a ufunc's result goes into a buffer; a call's (three inputs: a call, the loop takes
            # two) may be a view of its inputs
            buffered = kind[o] == _UFUNC and len(ins) <= 2
            until = j if buffered else max(j, last[o])
            for s in ins:
                if last[s] < until:
                    last[s] = until
            live.append((j, step, buffered))
        # Forward: each ufunc's result into a free buffer of its shape and type, freed after
        # its last reader.
        free: dict[tuple, list[int]] = {}  # (shape, type) -> buffers free
        buffers: list[tuple] = []  # (shape, dtype) of each
        buffer_of: dict[int, int] = {}  # slot -> its buffer
        held: dict[int, tuple] = {}  # slot -> its buffer and (shape, type), until freed
        dtypes: dict = {}
        out: list[tuple] = []  # (function, input slots, output slot, buffer or None)
        for j, (fn, ins, o, _), buffered in reversed(live):
            buf = None
            if buffered:
                key = (shapes[o], types[o])
                pool = free.get(key)
                if pool:
                    buf = pool.pop()
                else:
                    buf = len(buffers)
                    dtype = dtypes.get(key[1])
                    if dtype is None:
                        dtype = dtypes[key[1]] = np.dtype(key[1])
                    buffers.append((key[0], dtype))
                buffer_of[o] = buf
                held[o] = (buf, key)
            out.append((fn, ins, o, buf))
            for s in ins:
                if last[s] == j and s in held:  # its last reader: free (once, if read twice)
                    b, key = held.pop(s)
                    free.setdefault(key, []).append(b)
        self.buffers, self.steps = buffers, out
        self.buffer_of = buffer_of
        self.transient = self.leaf_slots + [o for _, _, o, buf in self.steps if buf is None]
        self.spare: list[list[np.ndarray]] = []  # a dead program's arrays, for the next one
        self.nbytes = sum(math.prod(shape) * dtype.itemsize for shape, dtype in self.buffers)


class Program:
    """A recipe with its arrays, for one graph: `run(leaves)` replays it, each ufunc writing its
    result into one of them."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        # The arrays of a program that died (its graph did: a training run ended) serve the next
        # one, as fresh memory costs a page fault per 4 KiB; up to SPARE_BYTES a recipe.
        buffers = recipe.spare.pop() if recipe.spare else \
            [np.empty(shape, dtype) for shape, dtype in recipe.buffers]
        if recipe.nbytes <= SPARE_BYTES:
            weakref.finalize(self, _give_back, recipe, buffers)
        slots: list = [None] * recipe.n_slots
        for s, v in recipe.consts:
            slots[s] = v
        for s, b in recipe.buffer_of.items():
            slots[s] = buffers[b]
        self.steps = []
        for fn, ins, o, b in recipe.steps:
            if b is None:
                self.steps.append((fn, ins, o, None, None, None))
            else:
                self.steps.append((fn, ins, o, buffers[b], ins[0], ins[1] if len(ins) > 1 else None))
        self.slots = slots
        self.lock = threading.Lock()  # one call at a time writes the program's arrays

    def run(self, leaves: Sequence[np.ndarray]) -> tuple:
        recipe = self.recipe
        with self.lock, np.errstate(all="ignore"):  # inf and nan are answers
            slots = self.slots
            for s, v in zip(recipe.leaf_slots, leaves):
                slots[s] = v
            for fn, ins, o, buf, a, b in self.steps:
                if buf is None:
                    slots[o] = fn(*[slots[i] for i in ins])
                elif b is None:
                    fn(slots[a], out=buf)
                else:
                    fn(slots[a], slots[b], out=buf)
            value = np.array(slots[recipe.value_slot], dtype=float)
            grads = [np.array(slots[s], dtype=float) for s in recipe.grad_slots]
            for s in recipe.transient:  # the caller's arrays (and views of them) not kept alive
                slots[s] = None
        return value, grads


SPARE_BYTES = 64 << 20


def _give_back(recipe: Recipe, buffers: list[np.ndarray]) -> None:
    if not recipe.spare:  # one set kept: a run at a time is the usual case
        recipe.spare.append(buffers)


#: Recipes by the graph's structure (ops, inputs, leaves, output), wrt, limits and shapes: a new
#: graph of the same text (a training run compiles its own) replays without recording again.
_RECIPES: dict[tuple, Recipe] = {}
_RECIPES_KEPT = 32


def forget() -> None:
    """Drop every kept recipe and type (a benchmark's cold start: the next call records anew,
    as a process's first call at its shapes does)."""
    _RECIPES.clear()
    _TYPES.clear()


def structure(graph: Graph) -> tuple:
    """What a graph computes, as a key: two graphs equal in it give the same recipe."""
    return (graph.output, tuple([op.name if op is not None else None for op in graph.ops]),
            tuple(graph.inputs), tuple([leaf if leaf.__class__ is str else repr(leaf)
                                        for leaf in graph.leaf]))


def rerun(graph: Graph, values: Mapping[str, object], wrt: Iterable[str] | None = None,
          limits: Limits = DEFAULT_LIMITS) -> tuple[np.ndarray, list[np.ndarray]]:
    """The output's value and d output / d each variable of `wrt` (all, in the graph's order,
    when None; repeats allowed), as the untraced tensor passes give them: `passes.forward`
    then `passes.reverse` and `passes.gradient`. The program for these shapes is recorded on
    the first call and replayed on later ones; new values of other shapes record another (up
    to 8 a graph). Values and gradients are float64 arrays (0-d for a scalar)."""
    names = graph.variables
    wanted = tuple(graph.variables if wrt is None else wrt)
    per = _plans.get(graph)
    leaves: list = []
    if not limits.finite_values:  # the usual call: float64 arrays, checked once per shape
        for n in names:
            v = values.get(n)
            if v.__class__ is not np.ndarray or v.dtype != np.float64:  # type: ignore[union-attr]
                break
            leaves.append(v)
    if len(leaves) != len(names):  # lists, numbers, or inf and nan refused: the plain checks
        env = leaf_values(graph, values, limits)
        leaves = [_as_float(env[n]) for n in names]
    key = (wanted, limits, tuple(v.shape for v in leaves))
    program = per.get(key) if per is not None else None
    if program is None:
        program = _program(graph, values, key)
    return program.run(leaves)


def _program(graph: Graph, values: Mapping[str, object], key: tuple) -> Program:
    """This graph's program at these shapes: from the recipe of its structure if one is kept
    (the same shapes, bounds and errors then), else recorded after the plain passes' checks
    (every variable given and well formed, shapes, bounds: their errors)."""
    from ..passes import variable_nodes

    wanted, limits, _ = key
    whole = (structure(graph), *key)
    recipe = _RECIPES.get(whole)
    if recipe is None:
        env = leaf_values(graph, values, limits)
        nodes = variable_nodes(graph, wanted)
        needs = needs_grad(graph, set(wanted))
        with np.errstate(all="ignore"):
            p, value, grads, variables = _record(graph, env, limits, nodes, needs)
        recipe = Recipe(p, value, grads, variables, graph.variables)
        p.release()
        if len(_RECIPES) >= _RECIPES_KEPT:
            _RECIPES.pop(next(iter(_RECIPES)))
        _RECIPES[whole] = recipe
    program = Program(recipe)
    per = _plans.setdefault(graph, {})
    if len(per) >= _PLANS_PER_GRAPH:
        per.pop(next(iter(per)))
    per[key] = program
    return program
