"""app/encoding.py: the fast path (orjson) writes exactly what json writes, or is not taken.

orjson spells some floats otherwise than Python's repr; `orjson_alike` must refuse every one of
them. The /api/v1/graph body lists its numbers for that check (`app.graphs.numbers`): random
expressions, points with tiny, huge and non-finite results, must give the same bytes either way.
"""

from __future__ import annotations

import json
import math
import random
import struct

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import app.body_templates
import app.graphs
from app.encoding import RawJSON, dumps, dumps_orjson, numbers_text, orjson_alike, spelt_otherwise
from app.settings import Settings
from engine import ExpressionError


def json_text(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def floats_to_try() -> list[float]:
    """Around every power of ten, every exponent's edges, and random bit patterns."""
    rng = random.Random(12)
    out = []
    for e in range(-324, 309):
        for m in (1.0, 1.5, 2.5, 9.999999999999999, 1.2345678901234567):
            x = float(f"{m}e{e}")
            if x and math.isfinite(x):
                out += [x, -x, math.nextafter(x, 0), math.nextafter(x, math.inf)]
    while len(out) < 60_000:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            out.append(x)
    out += [rng.uniform(-1e-3, 1e-3) * 10 ** rng.uniform(-8, 0) for _ in range(20_000)]
    return out


def test_orjson_alike_refuses_every_float_orjson_spells_otherwise():
    differ = 0
    for x in floats_to_try():
        if orjson.dumps(x) != json_text(x):
            differ += 1
            assert not orjson_alike([x]), x
        elif 1e-9 <= abs(x) < 1e-4:
            raise AssertionError(f"{x!r} is written alike: the refused range is wider than needed")
    assert differ > 1000  # the check is not idle: orjson does differ in [1e-9, 1e-4)


@pytest.mark.parametrize("numbers, alike", [
    ([1.0, None, -0.0, 0.0, 2.5e300, 1e-10, 0.0001], True),
    ([1.0, math.inf], False), ([math.nan], False), ([-math.inf, None], False),
    ([1e-7], False), ([-3.2e-5], False), ([9.999999999999999e-05], False),
    ([1, 2.0, True], True),  # ints and booleans: written alike
    ([np.array([1.0, 2.0])], False), ([1.0, np.array([[1e-7]])], False), ([object()], False), ([], True),
])
def test_orjson_alike(numbers, alike):
    assert orjson_alike(numbers) is alike


@pytest.mark.parametrize("obj", [
    {"a": [1.0, -0.0, 1e16, 1.5e-10, 123456789.125], "b": None, "c": True, "θ": "×\n\"\\\x01\u2028"},
    {"big": 2 ** 70, "x": 0.5},  # past orjson's 64 bits: json writes it
    {"lone": "x\ud800", "label": "θ", "v": 2.0},  # a lone surrogate: escaped, every non-ASCII too
    {"layout": RawJSON(b'{"width":1.5,"nodes":{"n0":{"x":0.0}}}'), "v": [1.0, 2.0]},
    {"tuple": (1.0, "a"), "nested": [[{"k": [0.25]}]]},
])
def test_the_fast_path_writes_what_json_writes(obj):
    numbers = [1.0, 0.5]  # vouched finite and alike
    slow = dumps(obj)
    assert dumps(obj, numbers=numbers) == slow
    if "lone" in obj:
        assert b"\\ud800" in slow and b"\\u03b8" in slow
    if "layout" in obj:
        assert json.loads(slow)["layout"] == {"width": 1.5, "nodes": {"n0": {"x": 0.0}}}


def test_numbers_that_are_not_finite_take_json_and_become_strings():
    obj = {"v": [math.inf, -math.inf, math.nan, 1.0], "raw": RawJSON(b"[1]")}
    expected = b'{"v":["inf","-inf","nan",1.0],"raw":[1]}'
    assert dumps(obj) == expected
    assert dumps(obj, numbers=obj["v"]) == expected


def test_numbers_text_writes_every_float_as_json_does():
    """The body's numbers checked in C and on orjson's text: every finite float alone, and all of
    them in one list, come out as json writes them (orjson's own spelling respelt by repr)."""
    xs = floats_to_try()
    for x in xs:
        assert numbers_text([x])[0] == json_text([x]), x
    some = [x for x in xs if abs(x) < 1e300]  # whose sum is finite
    assert len(some) > 50_000
    text, alike = numbers_text([*some, None])
    assert text == json_text([*some, None])
    assert not alike  # some of them orjson spells otherwise: respelt, not written by orjson
    assert numbers_text([0.5, None, -2.0, 1e300]) == (b"[0.5,null,-2.0,1e+300]", True)


@pytest.mark.parametrize("numbers", [
    [1.0, math.inf], [math.nan], [None, -math.inf], [1.0, 1e308, 1e308],  # a sum past the largest
    [1.0, 2], [np.float64(1.0)], [np.array([1.0])], [True],
])
def test_numbers_text_refuses_what_is_not_a_finite_float(numbers):
    assert numbers_text(numbers) is None


@pytest.mark.parametrize("obj", [{"lone": "x\ud800", "v": [2.0]}, {"big": 2 ** 70, "v": [0.5]}])
def test_orjson_declines_what_it_cannot_write(obj):
    assert dumps_orjson(obj) is None


@pytest.mark.parametrize("obj", [
    {"label": "1e-5", "v": [2.0]},  # orjson's spelling of a number, in a text: written as is
    {"layout": RawJSON(b'{"width":1.5e-05}'), "v": [0.25]},
    {"θ": "×\n\"\\\x01\u2028", "v": [-0.0, 1e16]},
])
def test_orjson_writes_what_json_writes_when_the_numbers_are_alike(obj):
    assert numbers_text(obj["v"])[1]
    assert dumps_orjson(obj) == dumps(obj) == dumps(obj, numbers=obj["v"])


def test_a_type_json_does_not_know_is_still_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"x": object()}, numbers=[])


# --- the /api/v1/graph body: its numbers are all listed ------------------------------------------

UNARY = ["sin", "cos", "exp", "ln", "sqrt", "tanh", "abs"]
NUMBERS = st.sampled_from([0.0, -0.0, 1.0, -2.0, 3.5e-7, -4e-5, 1e-300, 1e300, 7.25, 1e-9, 2.0 ** -20])


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "y", "x", "2", "1e-6", "0"]))
    if draw(st.booleans()):
        return f"{draw(st.sampled_from(UNARY))}({draw(expressions(depth - 1))})"
    op = draw(st.sampled_from(["+", "-", "*", "/", "^"]))
    return f"({draw(expressions(depth - 1))} {op} {draw(expressions(depth - 1))})"


def floats_in(obj) -> list[float]:
    if isinstance(obj, float):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [x for v in obj for x in floats_in(v)] if isinstance(obj, list) else []


@settings(deadline=None, max_examples=300, derandomize=True)
@given(expressions(), NUMBERS, NUMBERS, st.booleans())
def test_the_graph_body_lists_every_number_it_holds(text, x, y, with_tangent):
    """Every float of the body is among the numbers it lists, so the fast path (taken when they
    pass) writes what json writes: a number left out, inf or tiny, would be null or spelt
    otherwise."""
    seen = []

    def spy(obj, *, numbers=None):
        seen.append((obj, list(numbers)))
        return b""

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app.graphs, "dumps", spy)
        mp.setattr(app.graphs, "FAST_BODY", False)  # the general way: numbers listed for dumps
        try:
            app.graphs.response_body(f"{text} + x*y", {"x": x, "y": y}, with_layout=False,
                                     tangent="x" if with_tangent else None,
                                     settings=Settings(layout_warm_up=False))
        except ExpressionError:  # refused by the engine: nothing to encode
            return
    (obj, numbers), = seen
    listed = {struct.pack("<d", v) for v in numbers if isinstance(v, float)}
    missing = [v for v in floats_in(obj) if struct.pack("<d", v) not in listed and v == v]
    assert not missing, f"numbers of the body not listed: {missing[:5]}"
    assert dumps(obj, numbers=numbers) == dumps(obj)


@settings(deadline=None, max_examples=300, derandomize=True)
@given(expressions(), NUMBERS, NUMBERS, st.booleans(), st.sampled_from([None, ["x"], ["y"]]))
def test_the_graph_body_checked_in_c_is_the_body_with_its_numbers_listed(text, x, y, with_tangent,
                                                                       requires_grad):
    """The body written from its numbers' text (app.encoding.numbers_text: checked in C, orjson's
    text searched and respelt where json spells otherwise) gives the bytes of the general way
    (every number listed for dumps), and those of json itself; on tiny, huge and non-finite
    results alike."""
    def body(fast: bool) -> bytes:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(app.graphs, "FAST_BODY", fast)
            return app.graphs.response_body(f"{text} + x*y", {"x": x, "y": y}, with_layout=False,
                                            tangent="x" if with_tangent else None,
                                            requires_grad=requires_grad,
                                            settings=Settings(layout_warm_up=False))
    try:
        fast = body(True)
    except ExpressionError:
        return
    assert fast == body(False)
    assert fast == json_text(json.loads(fast)) or b'"inf"' in fast or b'"nan"' in fast or b'"-inf"' in fast


def test_a_plain_body_takes_the_checked_way():
    """The lecture's body holds floats only: its numbers are checked in one list in C and orjson
    writes it (app.graphs.fast_body; the test above is not idle)."""
    ev = app.graphs.evaluate("(x^2 + 2x) * ln(y)", {"x": 1.0, "y": 2.0})
    numbers = app.body_templates.numbers(ev)
    assert numbers_text(numbers) == (orjson.dumps(numbers), True)
    assert spelt_otherwise(numbers) == []
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app.graphs, "spelt_otherwise", lambda xs: calls.append(1) or spelt_otherwise(xs))
        mp.setattr(app.graphs, "dumps", lambda *a, **k: pytest.fail("the general way was taken"))
        app.graphs.response_body("(x^2 + 2x) * ln(y)", {"x": 1.0, "y": 2.0}, with_layout=False,
                                 settings=Settings(layout_warm_up=False))
    assert calls == [1]


@pytest.mark.parametrize(("numbers", "otherwise"), [
    ([0.5, None, -2.0, 1e300, 1e-10, 1e-4], []), ([1e-5, None, -3e-7, 1e-5, 0.5], [1e-5, -3e-7]),
    ([1.0, math.inf], None), ([math.nan, None], None), ([None, -math.inf], None),
    ([1.0, np.array([1.0, 2.0])], None), ([np.float64(1.0)], None),
    ([0.5] * 600 + [None, 3e-6], [3e-6]), ([0.5] * 600 + [None, math.inf], None),
    ([0.5] * 600 + [math.nan], None), ([1e308] * 600, []), ([np.ones(3)] * 600, None),
    ([0.5] * 600 + [np.ones(3)], None), ([0.5] * 600 + [10 ** 400], None),
])
def test_spelt_otherwise_finds_the_numbers_json_spells_otherwise(numbers, otherwise):
    """What a first sight's body checks (app.graphs.fast_body): every number finite, and which
    ones orjson writes otherwise, each once (all of them: every float of every exponent)."""
    assert spelt_otherwise(numbers) == otherwise


def test_spelt_otherwise_finds_every_float_orjson_spells_otherwise():
    xs = [x for x in floats_to_try() if math.isfinite(x)]
    assert set(spelt_otherwise([*xs, None]) or ()) == {x for x in xs if orjson.dumps(x) != json_text(x)}
