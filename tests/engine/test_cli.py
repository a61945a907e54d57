"""The command line, run as a user runs it: `python -m engine.cli` in a subprocess."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LECTURE = "(x^2+2x)*ln(y)"
NAMED = "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d"


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=ROOT, timeout=60)


def test_grad_prints_value_and_gradient():
    r = run("grad", LECTURE, "--at", "x=1", "y=2")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines == [f"f = {3 * math.log(2)!r}", f"∂f/∂x = {4 * math.log(2)!r}", "∂f/∂y = 1.5"]
    assert r.stderr == ""


def test_grad_with_decimals_and_comma_separated_values():
    r = run("grad", LECTURE, "--at", "x=1,y=2", "--decimals", "7")
    assert r.stdout.splitlines() == ["f = 2.0794415", "∂f/∂x = 2.7725887", "∂f/∂y = 1.5"]


def test_wrt_allows_repeats():
    r = run("grad", "x*x", "--at", "x=3", "--wrt", "x", "x")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["f = 9.0", "∂f/∂x = 6.0", "∂f/∂x = 6.0"]
    r = run("grad", LECTURE, "--at", "x=1", "y=2", "--wrt", "y", "x", "y", "--decimals", "7")
    assert r.stdout.splitlines() == ["f = 2.0794415", "∂f/∂y = 1.5", "∂f/∂x = 2.7725887", "∂f/∂y = 1.5"]


def test_json_output():
    r = run("grad", NAMED, "--at", "x=1", "y=2", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["value"] == pytest.approx(3 * math.log(2), rel=1e-15, abs=0)
    assert out["gradient"] == {"x": pytest.approx(4 * math.log(2), rel=1e-15, abs=0), "y": 1.5}
    for node in out["nodes"]:
        assert {"id", "name", "op", "inputs", "value", "grad"} <= set(node)
    for edge in out["edges"]:
        assert {"source", "target", "index", "local", "contribution"} <= set(edge)
    nodes = {n["name"]: n for n in out["nodes"] if n["name"]}
    assert nodes["a"]["op"] == "mul" and nodes["a"]["inputs"] == [nodes["x"]["id"]] * 2
    assert nodes["f"]["grad"] == 1.0
    assert nodes["d"]["value"] == pytest.approx(math.log(2), rel=1e-15, abs=0)
    into_a = [e for e in out["edges"] if e["target"] == nodes["a"]["id"]]
    assert [(e["index"], e["local"], e["contribution"]) for e in into_a] == [
        (0, 1.0, pytest.approx(math.log(2), rel=1e-15, abs=0)),
        (1, 1.0, pytest.approx(math.log(2), rel=1e-15, abs=0))]
    [d_to_y] = [e for e in out["edges"] if e["target"] == nodes["d"]["id"]]
    assert (d_to_y["local"], d_to_y["contribution"]) == (0.5, 1.5)


def test_json_with_wrt_and_nonfinite_values():
    r = run("grad", "ln(x) + y", "--at", "x=0", "y=1", "--json", "--wrt", "x", "x")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)  # strict JSON: no NaN or Infinity tokens
    assert "Infinity" not in r.stdout and "NaN" not in r.stdout
    assert out["value"] == "-inf"
    assert out["gradient"] == {"x": "inf", "y": 1.0}
    assert out["gradient_wrt"] == ["inf", "inf"]
    assert any("ln(0) is -inf" in w for w in out["warnings"])


def test_trace_prints_the_lecture_table():
    r = run("trace", NAMED, "--at", "x=1", "y=2")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        cells = line.split()
        rows[cells[1]] = cells
    # node, name, op, value, local derivatives..., gradient
    assert rows["a"][2:4] == ["mul", "1"] and rows["a"][4:6] == ["∂a/∂x=1", "∂a/∂x=1"]
    assert rows["b"][2:5] == ["mul", "2", "∂b/∂x=2"]
    assert rows["c"][2:6] == ["add", "3", "∂c/∂a=1", "∂c/∂b=1"]
    assert rows["d"][2:5] == ["ln", "0.6931472", "∂d/∂y=0.5"] and rows["d"][-1] == "3"
    assert rows["f"][2:6] == ["mul", "2.0794415", "∂f/∂c=0.6931472", "∂f/∂d=3"]
    assert rows["f"][-1] == "1"
    assert rows["x"][-1] == "2.7725887" and rows["y"][-1] == "1.5"
    assert [rows[k][-1] for k in "abc"] == ["0.6931472"] * 3
    assert r.stdout.splitlines()[0].split() == ["node", "name", "op", "value", "local", "derivatives",
                                                "gradient"]


@pytest.mark.parametrize(("args", "message", "caret_line", "column"), [
    (["grad", "x + sn(x)", "--at", "x=1"], "unknown function 'sn' — did you mean 'sin'?", "x + sn(x)", 4),
    (["grad", "(x + 1", "--at", "x=1"], "never closed", "(x + 1", 0),
    (["grad", "2 3"], "missing operator between '2' and '3'", "2 3", 2),
    (["trace", "a = x\nb = x + §", "--at", "x=1"], "'§'", "b = x + §", 8),
    (["grad", "가 + § 1", "--at", "x=1"], "'§'", "가 + § 1", 5),  # a wide character takes two cells
])
def test_bad_input_exits_2_with_message_and_caret(args, message, caret_line, column):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("error: ") and message in lines[0]
    assert lines[1] == caret_line
    assert lines[2] == " " * column + "^"


@pytest.mark.parametrize(("args", "message"), [
    (["grad", "x*y", "--at", "x=1"], "no value given for the variable 'y'"),
    (["grad", "x", "--at", "x=one"], "the value of 'x' must be a number"),
    (["grad", "x", "--at", "x"], "--at expects name=value pairs"),
    (["grad", "x", "--at", "x=inf"], "must be finite"),
    (["grad", "x", "--at", "x=1", "--wrt", "q"], "cannot differentiate with respect to 'q'"),
    (["grad", "x", "--at", "x=1", "x=2"], "'x' is given two values"),
])
def test_bad_values_exit_2_with_message(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr


def test_expression_starting_with_minus():
    r = run("grad", "-x^2", "--at", "x=3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["f = -9.0", "∂f/∂x = -6.0"]
    r = run("grad", "--at", "x=3", "-x^2")
    assert r.stdout.splitlines() == ["f = -9.0", "∂f/∂x = -6.0"]


def test_usage_errors_exit_2():
    assert run("grad").returncode == 2
    assert run("grad", "x", "--at", "x=1", "--bogus").returncode == 2
    assert run().returncode == 2


def test_arrays_at_the_command_line(capsys):
    """`--at w=[1,2,3]` and `X=[[1,2],[3,4]]`, commas inside brackets kept together."""
    from engine.cli import main

    assert main(["grad", "sum(w * x)", "--at", "w=[[1,2,3],[4,5,6]],x=[1,0,-1]"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["f = -4.0", "∂f/∂w = [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]", "∂f/∂x = [5.0, 7.0, 9.0]"]
    assert main(["grad", "sum(w * x)", "--at", "w=[[1,2,3],[4,5]]", "x=[1,0,-1]"]) == 2
    err = capsys.readouterr().err
    assert "w[1] has 2 items where the rows before it have 3" in err
    assert main(["grad", "sum(w)", "--at", "w=[1,2"]) == 2
    assert "must be a number or an array" in capsys.readouterr().err


def test_hessian_prints_second_derivatives():
    r = run("hessian", LECTURE, "--at", "x=1", "y=2", "--decimals", "7")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["f = 2.0794415", "∂²f/∂x² = 1.3862944", "∂²f/∂x∂y = 2",
                                     "∂²f/∂y∂x = 2", "∂²f/∂y² = -0.75"]
    r = run("hessian", LECTURE, "--at", "x=1", "y=2", "--variables", "y", "--json")
    assert json.loads(r.stdout) == {"value": 3 * math.log(2), "variables": ["y"], "gradient": [1.5],
                                    "hessian": [[-0.75]]}
    r = run("hessian", "x*y", "--at", "x=1", "y=2", "--variables", "x", "q")
    assert r.returncode != 0 and "'q'" in r.stderr and "Traceback" not in r.stderr
