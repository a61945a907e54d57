"""The general parser's time (`engine.parser.parse` on text the statement reader declines), per
text and per node, and its parts: the tokens (`engine.lexer.tokenize`) and the reading that
builds the graph (issue 12 item 4: a first sight's floor is its parse).

    python3 benchmarks/parse_general.py [--rounds 5]               # this tree
    python3 benchmarks/parse_general.py --before main [--rounds 5]  # a git revision, then this tree

Texts: the lecture, `(x^2 + 2x) * ln(y)` (8 nodes: the fixed costs), sum-233 (one line of 29
terms `sin(x*i + y)*ln(y+i)`) and page-528 (`v1 = sin(v0)*x + v0*y; ...`, 123 statements), as
`web.py` has them. Times are CPU time of the process (`time.process_time`), the median of
repeated runs of a batch, the collector on; with `--before`, each round runs one fresh process
per side, in alternating order, and the table shows the medians of the rounds' medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from programs import sized_expression  # benchmarks/: run as a script, its folder is on sys.path
from trees import unpack

ROOT = Path(__file__).resolve().parent.parent

TEXTS = {
    "lecture": "(x^2 + 2x) * ln(y)",
    "sum-233": " + ".join(f"sin(x*{i} + y)*ln(y+{i})" for i in range(1, 30)),
    "page-528": sized_expression(503),
}
#: Runs of a batch: enough that a batch takes a few milliseconds.
BATCH = {"lecture": 200, "sum-233": 10, "page-528": 4}


def median_time(run, repeats: int = 31) -> float:
    """The median CPU time of `run()`, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure() -> dict[str, float]:
    """µs per text: parse, tokenize, and the reading after the tokens; and the graph's nodes."""
    from engine import parser
    from engine.errors import Locator
    from engine.lexer import tokenize
    from engine.limits import DEFAULT_LIMITS

    out: dict[str, float] = {}
    for name, text in TEXTS.items():
        n, loc = BATCH[name], Locator(text)
        out[f"{name} parse"] = median_time(lambda t=text, n=n: [parser.parse(t) for _ in range(n)]) / n * 1e6
        cut = median_time(lambda t=text, n=n, loc=loc: [tokenize(t, loc) for _ in range(n)])
        out[f"{name} tokenize"] = cut / n * 1e6
        times = []  # the reading after the tokens; each reading its own tokens, made untimed
        for _ in range(31):
            toks = [tokenize(text, loc) for _ in range(n)]
            start = time.process_time()
            for t in toks:
                parser.Reading(text, DEFAULT_LIMITS, loc, t).run()
            times.append(time.process_time() - start)
        out[f"{name} reading"] = statistics.median(times) / n * 1e6
        out[f"{name} nodes"] = len(parser.parse(text).graph)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="git revision to compare with (the working tree is after)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # a child: the tree to import
    args = ap.parse_args()
    if args.measure:
        sys.path.insert(0, args.measure)
        print(json.dumps(measure()))
        return
    sides = {"after": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            sides = {"before": unpack(args.before, tmp), **sides}
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for side in order:
                done = subprocess.run([sys.executable, __file__, "--measure", sides[side]],
                                      capture_output=True, text=True, cwd=tmp)
                if done.returncode:
                    sys.exit(f"{side} failed:\n{done.stderr}")
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    print("µs per text (medians of the rounds' medians, CPU time); parse per node in brackets")
    print(f"{'text':9} {'nodes':>5} {'side':6} | {'parse':>16} {'tokenize':>9} {'reading':>9}")
    for name in TEXTS:
        for side in sides:
            med = {part: statistics.median(run[f"{name} {part}"] for run in runs[side])
                   for part in ("parse", "tokenize", "reading", "nodes")}
            per_node = med["parse"] / med["nodes"]
            print(f"{name:9} {med['nodes']:>5.0f} {side:6} | {med['parse']:>8.1f} ({per_node:>5.2f})"
                  f" {med['tokenize']:>9.1f} {med['reading']:>9.1f}")


if __name__ == "__main__":
    main()
