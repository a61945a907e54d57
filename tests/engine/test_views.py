"""engine.views' kept ids: the same strings as made each time, and at most KEPT_IDS kept."""

from __future__ import annotations

from engine import views


def test_ids_are_the_ids_made_each_time():
    for prefix in ("n", "e"):
        for count in (0, 1, 7, 300, views.KEPT_IDS + 5, 12):
            got = views.ids(prefix, count)
            assert got == [f"{prefix}{i}" for i in range(count)]
            got.append("changed")  # a new list each time: the kept one is not the caller's
        assert len(views._ids[prefix]) == views.KEPT_IDS
        assert views.ids(prefix, 3) == [f"{prefix}0", f"{prefix}1", f"{prefix}2"]
