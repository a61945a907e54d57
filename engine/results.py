"""What the passes return: plain frozen records, made in full by the pass itself.

With `trace=True` a pass also keeps each edge's local derivative and what it sent along the
edge, and its `events`: tuples tagged as below, in the order the pass took its steps
(`engine.trace` gives their meaning and JSON form).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# Trace event tags (the first item of each recorded tuple).
EVALUATE, SEED, VISIT, LOCAL, CONTRIBUTE, REDUCE, ACCUMULATE, TERM, TANGENT = (
    "evaluate", "seed", "visit", "local", "contribute", "reduce", "accumulate", "term", "tangent")


@dataclass(frozen=True)
class Forward:
    """`values`: every node's value in topological order; `first_nonfinite`: the first node
    whose value is inf or nan; `events`: the trace (None unless recorded)."""

    values: list[float]
    first_nonfinite: int | None
    events: list[tuple] | None = None


@dataclass(frozen=True)
class Reverse:
    """`grads`: d output / d node (meaningful where graph.needs_grad); `first_nonfinite`: the
    first node the pass met whose adjoint is inf or nan. Recorded with the trace, per edge id:
    `edge_local` (d target / d source) and `edge_contribution` (local × grad[target]), None on
    edges whose source needs no gradient; and `events`."""

    grads: list[float]
    first_nonfinite: int | None
    edge_local: list[float | None] | None = None
    edge_contribution: list[float | None] | None = None
    events: list[tuple] | None = None


@dataclass(frozen=True)
class Tangents:
    """Forward mode along `direction`: `tangents`, d node / d direction; `depends`, 1 where a
    node depends on the seeded inputs. Recorded with the trace, per edge id: `edge_local` and
    `edge_term` (local × tangent[source]) on the edges forward mode used; and `events`."""

    direction: dict[str, float]
    tangents: list[float]
    depends: bytearray
    edge_local: list[float | None] | None = None
    edge_term: list[float | None] | None = None
    events: list[tuple] | None = None


def first_nonfinite(xs: list[float], order: Iterable[int]) -> int | None:
    """The first i in `order` whose xs[i] is inf or nan."""
    if math.isfinite(sum(xs)):  # one C-level sum answers "all finite?" in the usual case
        return None
    return next((i for i in order if not math.isfinite(xs[i])), None)
