"""What the passes return: plain frozen records, made in full by the pass itself.

With `trace=True` a pass also keeps each edge's local derivative and what it sent along the
edge, and its `events`: tuples tagged as below, in the order the pass took its steps
(`engine.views` gives their meaning and JSON form).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Trace event tags (the first item of each recorded tuple).
EVALUATE, SEED, VISIT, LOCAL, CONTRIBUTE, REDUCE, ACCUMULATE, TERM, TANGENT = (
    "evaluate", "seed", "visit", "local", "contribute", "reduce", "accumulate", "term", "tangent")


@dataclass(frozen=True)
class Forward:
    """`values`: every node's value in topological order (floats, or numpy arrays);
    `events`: the trace (None unless recorded); `first_nonfinite`: the first node whose value
    is inf or nan (worked out when asked: on big arrays a scan costs as much as an op)."""

    values: list
    events: list[tuple] | None = None

    @cached_property
    def first_nonfinite(self) -> int | None:
        return first_nonfinite(self.values, range(len(self.values)))


@dataclass(frozen=True)
class Reverse:
    """`grads`: d output / d node (meaningful where the node needs a gradient). Recorded with
    the trace, per edge id: `edge_local` (d target / d source) and `edge_contribution`
    (local × grad[target], summed over broadcast axes), None on edges whose source needs no
    gradient; and `events`. `first_nonfinite`: the first node the pass met whose gradient is
    inf or nan."""

    grads: list
    edge_local: list | None = None
    edge_contribution: list | None = None
    events: list[tuple] | None = None

    @cached_property
    def first_nonfinite(self) -> int | None:
        return first_nonfinite(self.grads, range(len(self.grads) - 1, -1, -1))


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


def first_nonfinite(xs: list, order: Iterable[int]) -> int | None:
    """The first i in `order` whose xs[i] (a float, an array or None) is or holds inf or nan."""
    if xs and isinstance(xs[0], float):
        if math.isfinite(sum(xs)):  # one C-level sum answers "all finite?" in the usual case
            return None
        return next((i for i in order if not math.isfinite(xs[i])), None)
    return next((i for i in order if xs[i] is not None and not np.isfinite(xs[i]).all()), None)
