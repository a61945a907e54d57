"""Bounds on user-sized input. Every loop over what a person typed is bounded by one of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Defaults suit a web page; None switches a bound off (the Python API for big graphs)."""

    max_length: int | None = 10_000  # characters of expression text
    max_nodes: int | None = 20_000  # nodes in the built graph
    max_depth: int | None = 500  # nesting of parentheses and function calls
    max_elements: int | None = 1_000_000  # array elements in all the values given
    max_dims: int | None = 4  # dimensions of an array value
    max_work: int | None = 50_000_000  # array elements computed by all the nodes of one forward pass
    finite_values: bool = False  # refuse inf and nan in the values given (a web request's JSON)


DEFAULT_LIMITS = Limits()
UNLIMITED = Limits(max_length=None, max_nodes=None, max_depth=None, max_elements=None,
                   max_dims=None, max_work=None)
