"""Every error the engine can raise is phrased by the page in each of its languages (issue 13,
defect 10): engine/errors.py lists the codes (CODES) and, under a broad code, the reasons with
their params (REASONS); static/js/messages.js must have a template for each, in English and
Korean, using only the params the error carries. Each parser reason is raised by some text, with
exactly its declared params (so REASONS stays true to the parser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import ExpressionError, LimitExceeded, Limits, evaluate, parse
from engine.errors import CODES, REASONS

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = (ROOT / "static/js/messages.js").read_text(encoding="utf-8")
LANGUAGES = ("en", "ko")
#: What the page fills besides a reason's params (i18n.js errorText).
ALWAYS = {"text", "code", "field", "found", "limit", "maximum", "actual"}


def table(name: str) -> dict[str, dict[str, str]]:
    """A table of messages.js (`export const NAME = { en: {...}, ko: {...} }`) as dicts."""
    body = MESSAGES[MESSAGES.index(f"export const {name} = {{"):]
    body = body[:body.index("\n};")]
    out: dict[str, dict[str, str]] = {}
    for lang, block in re.findall(r"^  (\w+): \{\n(.*?)^  \},", body, re.M | re.S):
        out[lang] = dict(re.findall(r'^    (\w+): "((?:[^"\\]|\\.)*)",$', block, re.M))
    return out


ERRORS, NOTICES = table("ERRORS"), table("NOTICES")


def test_the_tables_were_read():
    assert set(ERRORS) == set(LANGUAGES) == set(NOTICES)
    assert len(ERRORS["ko"]) > 50


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_and_reason_has_a_phrase(lang):
    missing = [key for key in (*sorted(CODES), *REASONS, "other") if key not in ERRORS[lang]]
    assert missing == []
    for key, template in ERRORS[lang].items():
        used = set(re.findall(r"\{(\w+)\}", template))
        assert used <= ALWAYS | set(REASONS.get(key, ())), (lang, key, used)
    assert set(ERRORS[lang]) == set(ERRORS["en"])  # no language has a phrase the others lack
    if lang == "ko":  # Korean words, not English ones left behind
        assert all(re.search("[가-힣]", text) for key, text in ERRORS[lang].items()), lang


def test_every_code_the_engine_raises_is_listed():
    raised = set()
    for path in (ROOT / "engine").glob("*.py"):
        raised |= set(re.findall(r'code="(\w+)"', path.read_text(encoding="utf-8")))
    assert raised == set(CODES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notices_have_a_phrase(lang):
    assert set(NOTICES[lang]) == {"product_after_division"}
    assert set(re.findall(r"\{(\w+)\}", NOTICES[lang]["product_after_division"])) == {"divisor", "factor"}


#: Text that raises each reason.
SAMPLES = {
    "semicolon_in_brackets": "(x\n; y)", "unused_statement": "x + 1; y", "nothing_after_assign": "a = ",
    "assign_with_outputs": "a = x, y", "assign_after_outputs": "x, y = 1",
    "self_reference": "a = a + 1", "assign_to_constant": "pi = 3", "assign_to_function": "sin = 3",
    "already_assigned": "a = x; a = y; a", "already_a_variable": "b = x; x = 2; x",
    "number_too_large": "1e999 * x", "comma_in_brackets": "(x, y)", "unclosed_bracket": "(x + 1",
    "unmatched_closer": "x + 1)", "mismatched_bracket": "(x + 1]", "function_without_brackets": "sin x",
    "missing_argument": "sin()", "argument_count": "sin(x, y, z)", "missing_operator": "2 3",
    "number_needs_operator": "x 3", "misplaced_assign": "x + = 1", "not_text": 42,
    "ends_early": "(x+", "expected_operand": "x * * y", "lone_superscript_minus": "x⁻",
    "did_you_mean": "sn(x)",
}


#: A defensive message: every kind of token is dealt with before the parser would say it.
UNREACHABLE = {"unexpected_token"}


def test_every_reason_has_a_sample():
    assert set(REASONS) == {*SAMPLES, *UNREACHABLE, *(r for r in REASONS if r.startswith("max_"))}


@pytest.mark.parametrize("reason", sorted(SAMPLES))
def test_each_parser_reason_is_raised_with_its_params(reason):
    with pytest.raises(ExpressionError) as info:
        parse(SAMPLES[reason])
    err = info.value
    assert err.reason == reason, (err.reason, err.message)
    assert set(err.params) == set(REASONS[reason])
    assert err.to_dict()["params"] == err.params


def raised(text: str, limits: Limits | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text) if limits is None else parse(text, limits)
    return info.value


def test_params_carry_what_the_english_message_says():
    err = raised("(x + 1]")
    assert err.params == {"closer": "]", "opener": "(", "column": 0}
    assert err.message == "']' closes the '(' opened at column 0"
    err = raised("log(x, y, z)")
    assert err.params == {"function": "log", "expected": [1, 2], "given": 3}


@pytest.mark.parametrize("text, limits, reason", [
    ("x + y", Limits(max_length=3), "max_length"), ("x + y + z", Limits(max_nodes=3), "max_nodes"),
    ("((x))", Limits(max_depth=1), "max_depth"),
])
def test_a_limit_is_its_own_reason(text, limits, reason):
    err = raised(text, limits)
    assert isinstance(err, LimitExceeded)
    assert (err.reason, set(err.params)) == (reason, {"maximum", "actual"})


def test_an_undeclared_reason_or_param_is_a_bug_caught_at_once():
    with pytest.raises(ValueError, match="takes params"):
        ExpressionError("m", reason="unclosed_bracket", params={"brace": "("})
    with pytest.raises(KeyError):
        ExpressionError("m", reason="no_such_reason", params={})


def test_evaluation_errors_have_codes_the_page_phrases():
    codes = set()
    for text, values in (("x + y", {"x": 1}), ("x", {"x": "one"}), ("sum(x, y)", {"x": [1.0], "y": 0})):
        with pytest.raises(ExpressionError) as info:
            evaluate(text, values)
        codes.add(info.value.code)
    assert codes == {"missing_value", "invalid_value", "invalid_axis"}
    assert codes <= set(ERRORS["ko"])
