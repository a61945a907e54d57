"""Where the page's templates and static files are: inside the package in an installed wheel
(app/templates, app/static: package data), beside it in a checkout (templates/, static/)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    inside = _HERE / name
    return inside if inside.is_dir() else _HERE.parent / name


TEMPLATES = _find("templates")
STATIC = _find("static")
