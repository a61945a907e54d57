"""The one error type: what it carries, how it prints, and the caret under the column."""

from __future__ import annotations

import pickle

import pytest

from engine import ExpressionError, LimitExceeded, Limits, parse
from engine.errors import caret_excerpt, describe_char, source_lines


def raised(text: str, limits: Limits | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text) if limits is None else parse(text, limits)
    return info.value


def test_fields_and_to_dict():
    err = raised("x + sn(x)")
    assert (err.line, err.column, err.position, err.text) == (1, 4, 4, "sn")
    assert err.to_dict() == {"code": "unknown_function", "message": err.message, "line": 1,
                             "column": 4, "text": "sn", "reason": "did_you_mean",
                             "params": {"name": "sn", "suggestion": "sin"}}
    assert str(err) == f"{err.message} (line 1, column 4)"
    assert err.args == (err.message,)


def test_limit_exceeded_is_an_expression_error():
    err = raised("x+y", Limits(max_length=2))
    assert isinstance(err, LimitExceeded) and isinstance(err, ExpressionError)
    assert err.to_dict() == {"code": "limit_exceeded", "message": err.message, "line": None,
                             "column": None, "text": None, "limit": "max_length", "maximum": 2,
                             "actual": 3, "reason": "max_length", "params": {"maximum": 2, "actual": 3}}
    assert str(err) == err.message  # no place to point at


def test_field_names_the_request_field():
    err = raised("x + sn(x)")
    assert err.field is None and "field" not in err.to_dict()
    named = err.with_field("expression")
    assert named is not err and err.field is None  # a copy: the engine's error is left as it was
    assert named.to_dict() == {**err.to_dict(), "field": "expression"}
    assert (type(named), named.position, str(named)) == (type(err), err.position, str(err))
    limit = raised("x+y", Limits(max_length=2)).with_field("expression")
    assert type(limit) is LimitExceeded
    assert list(limit.to_dict()) == ["code", "message", "line", "column", "text", "limit", "maximum",
                                     "actual", "field", "reason", "params"]
    made = ExpressionError("'q' is not a variable", code="unknown_variable", text="q", field="variable")
    assert made.to_dict()["field"] == "variable"
    assert pickle.loads(pickle.dumps(made)).field == "variable"


def test_errors_are_hashable_and_compared_by_identity():
    # Exceptions are kept in sets by logging, traceback and test frameworks.
    a, b = ExpressionError("same"), ExpressionError("same")
    assert len({a, b}) == 2
    assert a != b and a == a


def test_errors_survive_pickling():
    # A server may run parsing in a worker process.
    err = raised("(x")
    again = pickle.loads(pickle.dumps(err))
    assert again.to_dict() == err.to_dict()
    limit = raised("x" * 11, Limits(max_length=10))
    again = pickle.loads(pickle.dumps(limit))
    assert type(again) is LimitExceeded and again.to_dict() == limit.to_dict()


def test_caret_excerpt():
    assert caret_excerpt("x + §", 1, 4) == "x + §\n    ^"
    assert caret_excerpt("a = 1\nb = §", 2, 4) == "b = §\n    ^"
    assert caret_excerpt("a = 1\r\nb = §", 2, 4) == "b = §\n    ^"
    assert caret_excerpt("a = 1\rb = §", 2, 4) == "b = §\n    ^"
    assert caret_excerpt("\tx §", 1, 3) == "\tx §\n\t  ^"  # a tab stays a tab
    assert caret_excerpt("θ가 §", 1, 3) == "θ가 §\n    ^"  # 가 takes two cells
    assert caret_excerpt("x", None, None) == ""
    assert caret_excerpt("x", 3, 0) == ""
    assert caret_excerpt("", 1, 0) == "\n^"


def test_line_numbers_agree_with_the_caret():
    # U+2028 is a line break to str.splitlines() but only a space to the parser.
    text = "a = 1\u2028 + 2\nb = §"
    err = raised(text)
    assert (err.line, err.column) == (2, 4)
    assert source_lines(text)[err.line - 1] == "b = §"
    assert caret_excerpt(text, err.line, err.column).endswith("\n    ^")
    err = raised("a = 1\rb = 2\r§")
    assert (err.line, err.column) == (3, 0)


def test_describe_char():
    assert describe_char("§") == "character '§' (U+00A7 SECTION SIGN)"
    assert describe_char("\u200b") == "invisible character U+200B (ZERO WIDTH SPACE)"
    assert describe_char("\x07") == "invisible character U+0007"
    assert describe_char("\u0301") == "invisible character U+0301 (COMBINING ACUTE ACCENT)"
    assert describe_char("😀") == "character '😀' (U+1F600 GRINNING FACE)"


# --- the worked examples in the engine's docstrings ------------------------------------------

CORE = ["engine", "engine.errors", "engine.lexer", "engine.parser", "engine.graph", "engine.ops",
        "engine.passes", "engine.fast", "engine.fast.plan", "engine.xp", "engine.results",
        "engine.views", "engine.evaluation",
        "engine.printer", "engine.symbolic", "engine.cli", "engine.limits"]


@pytest.mark.parametrize("module", CORE)
def test_docstring_examples_are_true(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, (f"{result.failed} docstring example(s) in {module} print something "
                                "else than they show (run: python -m doctest -v on the file)")
