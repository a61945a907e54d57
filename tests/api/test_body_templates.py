"""The /api/v1/graph body from a structure's template (app.body_templates): the same bytes as the
body written the plain way (every number listed for app.encoding.dumps), at any new point, with
tangents, chosen gradients, several outputs and parser warnings; the same errors; no dict made
once a template is kept; the trace written part by part, each part written before the next is
made; the templates' room bounded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_encoding import NUMBERS, expressions

import app.body_templates
import app.graphs
from app.body_templates import Templates
from app.errors import APIError
from app.settings import Settings
from engine import ExpressionError, views

SETTINGS = Settings(layout_warm_up=False)


@pytest.fixture(autouse=True)
def fresh_templates(monkeypatch: pytest.MonkeyPatch) -> Templates:
    kept = Templates()
    monkeypatch.setattr(app.body_templates, "TEMPLATES", kept)
    return kept


def body(text: str, point: dict, *, fast: bool = True, **kw) -> bytes:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app.graphs, "FAST_BODY", fast)
        return app.graphs.response_body(text, point, settings=SETTINGS, **kw)


@settings(deadline=None, max_examples=150, derandomize=True)
@given(expressions(), NUMBERS, NUMBERS, NUMBERS, st.booleans(), st.sampled_from([None, ["x"], ["y"]]))
def test_a_body_from_its_template_is_the_plain_body(text, x, y, x2, with_tangent, requires_grad):
    kw = {"tangent": "x" if with_tangent else None, "requires_grad": requires_grad, "with_layout": False}
    text = f"{text} + x*y"
    app.body_templates.TEMPLATES = Templates()
    try:
        first = body(text, {"x": x, "y": y}, **kw)
    except ExpressionError:
        return
    assert body(text, {"x": x, "y": y}, **kw) == first  # seen twice: a template is made
    again = body(text, {"x": x2, "y": 0.5}, **kw)  # from the template when its numbers allow
    assert again == body(text, {"x": x2, "y": 0.5}, fast=False, **kw)


CASES = [
    ("lecture", "(x^2 + 2x) * ln(y)", {}),
    ("tangent along a direction", "sin(x*y) + x^3", {"tangent": {"x": 1.0, "y": -2.0}}),
    ("a gradient chosen", "exp(x) * y + y^2", {"requires_grad": ["y"], "wrt": ["y", "y"]}),
    ("several outputs", "a = x*y; b = sin(a); a, b", {}),
    ("a target", "a = x*y; b = sin(a) + x; b", {"target": "a"}),
    ("an unused name", "u = 3; x * y", {}),
    ("a composite expanded", "sigmoid(x*y) + x", {"expand": ["n3"]}),
    ("a composite", "softplus(x) * y", {}),
]


@pytest.mark.parametrize(("name", "text", "kw"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_body_from_its_template(name, text, kw, fresh_templates):
    for point in ({"x": 0.5, "y": 2.0}, {"x": 0.5, "y": 2.0}):
        first = body(text, point, **kw)
        assert first == body(text, point, fast=False, **kw)
    assert len(fresh_templates) == 1
    for point in ({"x": 0.25, "y": 3.0}, {"x": -1.5, "y": 0.125, "z": 1.0}):  # z: unused, warned
        assert body(text, point, **kw) == body(text, point, fast=False, **kw)


def test_a_kept_template_makes_no_dict_and_parses_nothing(fresh_templates, monkeypatch):
    text = " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, 30))
    for _ in range(2):
        body(text, {"x": 0.5, "y": 2.0})
    expected = body(text, {"x": 0.75, "y": 2.5}, fast=False)
    for where, what in ((views, "nodes"), (views, "edges"), (views, "_dicts"),
                        (app.graphs, "parse"), (app.graphs, "layout_body")):
        monkeypatch.setattr(where, what, lambda *a, **k: pytest.fail("made again"))
    monkeypatch.setattr("engine.evaluation.parse", lambda *a, **k: pytest.fail("parsed again"))
    assert body(text, {"x": 0.75, "y": 2.5}) == expected


def test_errors_at_a_kept_structure_are_the_texts_own(fresh_templates):
    text = "a = x*y\nb = ln(a) + x\nb"
    for _ in range(2):
        body(text, {"x": 1.0, "y": 2.0})
    assert len(fresh_templates) == 1
    errors = []
    for _ in range(2):  # without a template, then with one
        with pytest.raises((ExpressionError, APIError)) as info:
            body(text, {"x": 1.0})
        errors.append((type(info.value), str(info.value), info.value.to_dict()))
        app.body_templates.TEMPLATES = Templates()
    assert errors[0] == errors[1] and "y" in errors[0][1]


def test_a_template_is_kept_only_for_its_structure(fresh_templates):
    text = "sin(x) * y"
    for kw in ({}, {"requires_grad": ["x"]}, {"tangent": "x"}, {"tangent": "y"}, {"target": "y"}):
        for _ in range(2):
            body(text, {"x": 1.0, "y": 2.0}, **kw)
    assert len(fresh_templates) == 5
    for kw in ({}, {"requires_grad": ["x"]}, {"tangent": "x"}, {"tangent": "y"}, {"target": "y"}):
        assert body(text, {"x": 3.0, "y": -1.0}, **kw) == body(text, {"x": 3.0, "y": -1.0}, fast=False, **kw)


def test_numbers_json_spells_otherwise_take_the_plain_way(fresh_templates):
    text = "x * y + ln(x)"
    for _ in range(2):
        body(text, {"x": 1.0, "y": 2.0})
    for point in ({"x": 1e-5, "y": 1.0}, {"x": 0.0, "y": 1.0}, {"x": 1e308, "y": 10.0}):
        got = body(text, point)
        assert got == body(text, point, fast=False)
    assert b':1e-05,' in body(text, {"x": 1e-5, "y": 1.0})  # as json writes it


def test_a_first_sight_with_numbers_json_spells_otherwise_is_written_by_orjson(monkeypatch):
    """A text seen first whose numbers orjson would spell otherwise ("1e-5", "0.00001"): its
    middle written by orjson with json's text of each of those numbers given as it is
    (app.body_templates.respelt), the bytes json writes; on tangents too, and with the same
    number at many places."""
    used = []
    real = app.body_templates.respelt
    monkeypatch.setattr(app.body_templates, "respelt", lambda *a: used.append(1) or real(*a))
    text = " + ".join(f"sin(x*{i})*y" for i in range(1, 40))
    for point, kw in (({"x": 1e-5, "y": 3e-7}, {}), ({"x": 2e-6, "y": 0.5}, {"tangent": "x"}),
                      ({"x": 1e-5, "y": 1.0}, {"with_layout": False})):
        app.body_templates.TEMPLATES = Templates()
        got = body(text, point, **kw)
        assert got == body(text, point, fast=False, **kw)
        assert b":1e-05," in got or b":2e-06," in got
    assert len(used) == 3


@pytest.mark.parametrize("point", [{"x": [0.5, 1e-5, 2.0], "y": 2.0}, {"x": [0.5, 1.5], "y": [3.0, 1e-6]}])
def test_a_first_sight_of_tensors_is_the_plain_body(point):
    """Arrays among a body's numbers (more of them than a short list): the plain way, or the
    same bytes."""
    text = " + ".join(f"sum(sin(x*{i}) * y)" for i in range(1, 40))
    for kw in ({}, {"tangent": "y"}):
        app.body_templates.TEMPLATES = Templates()
        assert body(text, point, **kw) == body(text, point, fast=False, **kw)


def test_the_trace_is_written_part_by_part(monkeypatch):
    """Each part of the trace (at most views.PART events as dicts) is written before the next is
    made, so a big body never holds every event's dict at once."""
    monkeypatch.setattr(views, "PART", 16)
    steps: list[tuple[str, int]] = []
    real_parts = views.reverse_parts

    def parts(rev, shown=views.SHOWN, size=views.PART):
        for part in real_parts(rev, shown, size):
            steps.append(("made", len(part)))
            yield part

    real_dumps = app.graphs.dumps_orjson
    monkeypatch.setattr(views, "reverse_parts", parts)
    monkeypatch.setattr(app.graphs, "dumps_orjson",
                        lambda obj: steps.append(("written", len(obj))) or real_dumps(obj))
    text = " + ".join(f"sin(x*{i})" for i in range(1, 30))
    got = body(text, {"x": 0.5}, with_layout=False)
    fast = steps[:]  # the fast body's (the plain one makes the trace in one part)
    assert got == body(text, {"x": 0.5}, fast=False, with_layout=False)
    made = [i for i, (what, _) in enumerate(fast) if what == "made"]
    assert len(made) > 5 and all(n <= 16 for what, n in fast if what == "made")
    assert all(fast[i + 1] == ("written", fast[i][1]) for i in made)


def test_the_templates_room_is_bounded():
    kept = Templates(max_bytes=1_000_000)  # about 120 kB a template here
    app.body_templates.TEMPLATES = kept
    for k in range(20):
        text = " + ".join(f"sin(x*{i + k})" for i in range(1, 20))
        for _ in range(2):
            body(text, {"x": 0.5}, with_layout=False)
    assert 3 < len(kept) < 20 and kept._bytes <= 1_000_000
    assert kept._bytes == sum(t.size for t in kept._items.values())


def test_a_percent_sign_in_the_text_is_kept():
    """The template is a %-format: a % of its text (none reaches it from the lexer today) is
    written %% and comes back as it was."""
    from app.encoding import numbers_text
    from engine import evaluate

    ev = evaluate("sin(x) * y", {"x": 0.5, "y": 2.0})
    labels = ["x", "sin %", "y", "50% ×"]
    made = app.body_templates.template(ev, labels, {})
    text, _ = numbers_text(app.body_templates.numbers(ev))
    middle = b"".join(app.body_templates.middle(ev, labels, {}))
    assert made.fill(text, b'{"a":1}', b'{"b":"%s"}') == b'{"a":1,' + middle + b',"b":"%s"}'
    assert b'"label":"sin %"' in middle
