"""LayoutSkipped: why no layout was produced, with the bound that stopped it."""

from __future__ import annotations

from typing import Any


class LayoutSkipped(Exception):
    """No layout was produced; `reason` says why in words.

    `limit` names the bound: "max_nodes", "max_edges", "timeout_s" or "memory_bytes"
    (with `maximum` and `actual`), or "graphviz_stack" / "graphviz_error" when
    Graphviz itself gave up (its recursion ran out of stack, or it reported an error).
    """

    def __init__(
        self,
        reason: str,
        *,
        limit: str,
        maximum: float | None = None,
        actual: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit
        self.maximum = maximum
        self.actual = actual

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": "layout_skipped",
            "message": self.reason,
            "limit": self.limit,
            "maximum": self.maximum,
            "actual": self.actual,
        }
