"""The `chainrule` command line: `grad` prints value and gradient, `trace` the lecture's
forward/backward table. Bad input prints the message with a caret and exits with status 2."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence

from .errors import ExpressionError, caret_excerpt
from .evaluation import Evaluation, evaluate
from .second import hessian
from .views import data

EXIT_BAD_INPUT = 2


def _parts(item: str) -> list[str]:
    """`x=1,y=2` split at the commas outside brackets (`w=[1,2],b=3`: two parts)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(item):
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            parts.append(item[start:i])
            start = i + 1
    return [*parts, item[start:]]


def parse_assignments(items: Sequence[str]) -> dict[str, object]:
    """`x=1 y=2` or `x=1,y=2` -> {"x": 1.0, "y": 2.0}; an array as nested lists, `w=[1,2,3]`,
    `X=[[1,2],[3,4]]`. Numbers are read by float() and arrays as JSON, never eval; the engine
    checks an array's rows and elements."""
    out: dict[str, object] = {}
    for item in items:
        for part in _parts(item):
            if not part.strip():
                continue
            name, sep, text = part.partition("=")
            name = name.strip()
            if not sep or not name:
                raise ExpressionError(f"--at expects name=value pairs such as x=1 or w=[1,2], not "
                                      f"{part!r}", code="invalid_value", text=part)
            value: object
            if text.strip().startswith("["):
                try:
                    value = json.loads(text)
                except (ValueError, RecursionError):
                    raise ExpressionError(f"the value of '{name}' must be a number or an array such "
                                          f"as [1, 2] or [[1, 2], [3, 4]], not {text.strip()!r}",
                                          code="invalid_value", text=text) from None
            else:
                try:
                    value = float(text)
                except ValueError:
                    raise ExpressionError(f"the value of '{name}' must be a number, not "
                                          f"{text.strip()!r}", code="invalid_value", text=text) from None
                if not math.isfinite(value):
                    raise ExpressionError(f"the value of '{name}' must be finite, not {text.strip()}",
                                          code="invalid_value", text=text)
            if name in out and out[name] != value:
                raise ExpressionError(f"'{name}' is given two values ({out[name]!r} and {value!r}) "
                                      "in --at; give it one", code="invalid_value", text=name)
            out[name] = value
    return out


def _fmt(v: object, decimals: int | None) -> str:
    """Full precision by default; else the lecture's style: 7 decimals, trailing zeros cut.
    Arrays as nested lists of such numbers; a big one by its summary."""
    if v is None:
        return "-"
    if isinstance(v, dict):  # engine.views.data's summary of a big array
        return (f"{'×'.join(map(str, v['shape']))} array (min {_fmt(v['min'], decimals)}, "
                f"max {_fmt(v['max'], decimals)}, mean {_fmt(v['mean'], decimals)})")
    if not isinstance(v, float):
        v = data(v)
        if isinstance(v, dict | list):
            return _fmt(v, decimals) if isinstance(v, dict) else (
                "[" + ", ".join(_fmt(x, decimals) for x in v) + "]")
    if decimals is None or not math.isfinite(v):
        return repr(v)
    if v != 0 and abs(v) < 10.0**-decimals * 1000:
        return f"{v:.{decimals}g}"
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grad_payload(ev: Evaluation, wrt: list[str] | None) -> dict:
    out = {"value": data(ev.value), "gradient": {k: data(g) for k, g in ev.gradient.items()},
           "nodes": ev.nodes(), "edges": ev.edges()}
    if wrt is not None:
        out["wrt"] = wrt
        out["gradient_wrt"] = [data(g) for g in ev.gradient_wrt(wrt)]
    if ev.warnings or ev.nonfinite():
        out["warnings"] = ev.warnings + [w["message"] for w in ev.nonfinite()]
    return out


def json_ready(obj: object) -> object:
    """JSON has no inf or nan: write them as the strings "inf", "-inf", "nan" (as the API does)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    return obj


def cmd_grad(args: argparse.Namespace) -> int:
    ev = evaluate(args.expression, parse_assignments(args.at), trace=args.json)
    if args.json:
        payload = json_ready(_grad_payload(ev, args.wrt))
        print(json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    out_name = ev.graph.names[ev.graph.output] or "f"
    print(f"{out_name} = {_fmt(ev.value, args.decimals)}")
    pairs = (zip(args.wrt, ev.gradient_wrt(args.wrt)) if args.wrt is not None
             else ev.gradient.items())
    for name, g in pairs:
        print(f"∂{out_name}/∂{name} = {_fmt(g, args.decimals)}")
    for w in ev.warnings + [w["message"] for w in ev.nonfinite()]:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    ev = evaluate(args.expression, parse_assignments(args.at))
    digits = args.decimals
    rows = [("node", "name", "op", "value", "local derivatives", "gradient")]
    for r in ev.table():
        locals_ = "  ".join(f"∂{r['name']}/∂{loc['source_name']}={_fmt(loc['local'], digits)}"
                            for loc in r["locals"])
        rows.append((r["node"], r["name"], r["op"], _fmt(r["value"], digits), locals_ or "-",
                     _fmt(r["grad"], digits)))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def cmd_hessian(args: argparse.Namespace) -> int:
    h = hessian(args.expression, parse_assignments(args.at), args.variables)
    if args.json:
        payload = {"value": h.value, "variables": h.variables, "gradient": h.gradient,
                   "hessian": h.matrix}
        print(json.dumps(json_ready(payload), ensure_ascii=False, indent=2, allow_nan=False))
        return 0
    print(f"f = {_fmt(h.value, args.decimals)}")
    for i, a in enumerate(h.variables):
        for j, b in enumerate(h.variables):
            d = f"∂²f/∂{a}²" if a == b else f"∂²f/∂{a}∂{b}"
            print(f"{d} = {_fmt(h.matrix[i][j], args.decimals)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chainrule", description="See automatic differentiation happen.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grad", help="value and gradient of an expression at a point")
    g.add_argument("expression", nargs="?", help='for example "(x^2+2x)*ln(y)"')
    g.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE",
                   help="x=1 y=2, an array w=[1,2,3] or X=[[1,2],[3,4]]")
    g.add_argument("--wrt", nargs="+", metavar="VAR", help="variables to differentiate by, in "
                   "order; repeats allowed")
    g.add_argument("--json", action="store_true", help="print value, gradient, nodes and edges as JSON")
    g.add_argument("--decimals", type=int, default=None, help="decimal places (default: full precision)")
    g.set_defaults(run=cmd_grad)
    t = sub.add_parser("trace", help="the forward/backward table: values, local derivatives, gradients")
    t.add_argument("expression", nargs="?", help='for example "a = x*x; f = a*ln(y)"')
    t.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE")
    t.add_argument("--decimals", type=int, default=7, help="decimal places (default 7, as the lecture)")
    t.set_defaults(run=cmd_trace)
    h = sub.add_parser("hessian", help="second derivatives: forward mode over the reverse pass")
    h.add_argument("expression", nargs="?", help='for example "(x^2+2x)*ln(y)"')
    h.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE")
    h.add_argument("--variables", nargs="+", metavar="VAR", help="rows and columns, in order "
                   "(default: every variable)")
    h.add_argument("--json", action="store_true", help="print value, gradient and Hessian as JSON")
    h.add_argument("--decimals", type=int, default=None, help="decimal places (default: full precision)")
    h.set_defaults(run=cmd_hessian)
    return p


def _parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """argparse reads `-x^2` as an unknown option; an expression that starts with a minus sign
    is taken back from the leftovers, so `chainrule grad "-x^2" --at x=1` works."""
    args, rest = parser.parse_known_args(argv)
    if (args.expression is None and len(rest) == 1 and rest[0].startswith("-")
            and not rest[0].startswith("--")):
        args.expression, rest = rest[0], []
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.expression is None:
        parser.error('the expression is required, as in: chainrule grad "(x^2+2x)*ln(y)" --at x=1 y=2')
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(build_parser(), argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `chainrule ... | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ExpressionError as err:
        print(f"error: {err.message}", file=sys.stderr)
        excerpt = caret_excerpt(getattr(args, "expression", ""), err.line, err.column)
        if excerpt:
            print(excerpt, file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
