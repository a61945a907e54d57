"""Rules of the code that the issues set (issue 9): no module imports another's private names, and
a new primitive is one row of the op table, which every pass, mode and view then reads."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["engine", "app", "drawing", "symbolic_pool", "training"]


def test_no_module_imports_a_private_name_of_another():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}"
                              for alias in node.names
                              if alias.name.startswith("_") and not alias.name.endswith("__")]
    assert found == []


# A row a newcomer might add (erfc, which the table lacks), defined in a fresh interpreter so
# that the table of this process stays as it is. Nothing else is edited: the parser, both modes,
# the accelerator (a graph past its threshold), tensors, second derivatives on dual numbers,
# SymPy and the PyTorch snippet must all take it from the row.
NEW_ROW = r"""
import json, math, sys
import numpy as np
from engine import Op, define, evaluate, forward, reverse, compile, UNLIMITED
from engine.ops import ANY
from engine.fast.plan import PLAN_AFTER, PLAN_EDGES
from engine.second import hessian
from engine.snippet import torch_snippet
from engine.symbolic import to_sympy
from engine.xp import provide

provide("erfc", scalar=math.erfc, array=np.vectorize(math.erfc, otypes=[float]))
define(Op(name="erfc", arity=1, forward=lambda xp, a: xp.erfc(a),
          derivatives=("-2/sqrt(pi)*exp(-a^2)",),
          partials=(lambda xp, out, a: -2.0 / math.sqrt(math.pi) * xp.exp(-a * a),),
          label="erfc", latex=r"\operatorname{erfc}", sympy=lambda sp, a: sp.erfc(a),
          torch="torch.erfc({0})", description="complementary error function", domain=(ANY,),
          spelling="erfc"))

out = {}
ev = evaluate("erfc(x*y)", {"x": 0.5, "y": 0.8}, tangent_of="x")
out["value"], out["gradient"] = ev.value, ev.gradient
out["tangent"] = ev.tangent.tangents[ev.graph.output]
out["locals"] = [e["local"] for e in ev.edges()]
out["tensor"] = evaluate("sum(erfc(X))", {"X": [0.1, 0.2]}).gradient["X"].tolist()
out["hessian"] = hessian("erfc(x)", {"x": 0.5}).matrix
big = " + ".join(f"erfc({k / 1000} * x)" for k in range(PLAN_EDGES))
g = compile(big, UNLIMITED)
plain = reverse(g, forward(g, {"x": 0.3}, trace=True), trace=True).grads
first = reverse(g, forward(g, {"x": 0.3})).grads  # engine.fast.first
for _ in range(PLAN_AFTER):  # evaluated again and again: the plan's numpy at the last
    fast = reverse(g, forward(g, {"x": 0.3})).grads
out["fast_agrees"] = (g.n_edges >= PLAN_EDGES
                      and list(map(repr, fast)) == list(map(repr, plain)) == list(map(repr, first)))
out["sympy"] = str(to_sympy(compile("erfc(x)")))
out["snippet"] = "torch.erfc(" in torch_snippet(compile("erfc(x)"), {"x": 0.5})
json.dump(out, sys.stdout)
"""


def test_a_new_primitive_is_one_row_of_the_op_table():
    run = subprocess.run([sys.executable, "-c", NEW_ROW], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    d = -2 / math.sqrt(math.pi) * math.exp(-0.4**2)  # d erfc(u)/du at u = x*y = 0.4
    assert out["value"] == math.erfc(0.4)
    assert math.isclose(out["gradient"]["x"], d * 0.8) and math.isclose(out["gradient"]["y"], d * 0.5)
    assert math.isclose(out["tangent"], d * 0.8)
    assert any(loc is not None and math.isclose(loc, d) for loc in out["locals"])
    assert all(math.isclose(g, -2 / math.sqrt(math.pi) * math.exp(-x * x))
               for g, x in zip(out["tensor"], (0.1, 0.2), strict=True))
    assert math.isclose(out["hessian"][0][0], 4 * 0.5 / math.sqrt(math.pi) * math.exp(-0.25))  # 4x/√π e^(-x²)
    assert out["fast_agrees"] is True
    assert out["sympy"] == "erfc(x)" and out["snippet"] is True
