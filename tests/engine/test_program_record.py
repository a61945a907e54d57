"""The re-run entry's recording (engine.fast.program): a result's type by numpy's own resolver
equals numpy's call, the recording is freed without the cycle collector, and the first call
(recorded) answers in the same bits as the replays after it."""

from __future__ import annotations

import gc
import itertools
import weakref

import numpy as np
import pytest

import training
from engine import UNLIMITED, compile
from engine.fast import program, rerun

UFUNCS = [np.add, np.subtract, np.multiply, np.true_divide, np.floor_divide, np.power, np.arctan2,
          np.maximum, np.less, np.equal, np.bitwise_and, np.matmul, np.negative, np.exp, np.log,
          np.sqrt, np.invert, np.absolute, np.sign]
TYPES = ["d", "f", "l", "b", "?", float, int]  # a Python number's class: a weak scalar


def called(fn: np.ufunc, values: list) -> str | type:
    """numpy's result type of fn on one element of each, or the error's class."""
    one = [np.zeros((1,) if fn.signature else (), v.dtype) if isinstance(v, np.ndarray) else v
           for v in values]
    try:
        with np.errstate(all="ignore"):
            return np.asarray(fn(*one)).dtype.char
    except TypeError as e:
        return type(e)


@pytest.mark.parametrize("fn", UFUNCS, ids=lambda f: f.__name__)
def test_a_new_type_is_numpys_own(fn):
    """Every mix of argument types: the recorder's type (numpy's resolver, else its call) is
    the one numpy's call gives, or both refuse it."""
    kinds = [t for t in TYPES if isinstance(t, str)] if fn.signature else TYPES  # @ of arrays only
    checked = 0
    for types in itertools.product(kinds, repeat=fn.nin):
        values = [np.zeros((), t) if isinstance(t, str) else t(1) for t in types]
        p = program._Recorder()
        ins = tuple(p.slot(v, "leaf") for v in values)
        program._TYPES.clear()
        expected = called(fn, values)
        try:
            with np.errstate(all="ignore"):
                got = p.new_type(fn, ins)
        except TypeError as e:
            got = type(e)
        assert got == expected or (isinstance(expected, type) and issubclass(got, TypeError)), \
            (fn.__name__, types, got, expected)
        checked += 1
    assert checked == len(kinds) ** fn.nin


def test_a_recording_is_freed_by_reference_counting(monkeypatch):
    """The recorder and its stand-ins hold no cycle once the recipe is made: they go as the
    first call returns, the cycle collector off (it has nothing of theirs to find)."""
    made: list[weakref.ref] = []
    init = program._Recorder.__init__

    def tracked(self) -> None:
        init(self)
        made.append(weakref.ref(self))

    monkeypatch.setattr(program._Recorder, "__init__", tracked)
    X, y = np.ones((40, 3)), np.zeros(40)
    was = gc.isenabled()
    gc.disable()
    try:
        program.forget()
        rerun(training.cost_graph("sum"), {"X": X, "y": y, "w": np.zeros(3)}, ["w"], UNLIMITED)
        assert len(made) == 1 and made[0]() is None
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("form", ["sum", "mean"])
def test_the_recorded_call_answers_as_its_replays(form):
    """Cold (nothing kept): the first call's value and gradient, bit for bit those of the
    replays after it and of a graph compiled from the text."""
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(300, 3)), (rng.random(300) < 0.5).astype(float)
    point = {"X": X, "y": y, "w": rng.normal(size=3)}
    answers = []
    for graph in (training.cost_graph(form), compile(training.cost_expression(form), UNLIMITED)):
        program.forget()
        for _ in range(3):
            value, (grad,) = rerun(graph, point, ["w"], UNLIMITED)
            answers.append((value.tobytes(), grad.tobytes()))
    assert len(set(answers)) == 1
