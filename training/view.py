"""What the /train page draws of a weight vector w, computed here so the browser only replays it:
P(dog) = σ(x·w) at points and on a grid over the plot's domain (the probability shading), the
decision boundary x·w = 0 as a segment inside that domain, the share of points on the right
side, and which steps of a run carry a grid (at most a bounded number of frames).

Coordinates are features as measured; a point's row is x = [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1]
(data.design_matrix), so x·w = a f₁ + b f₂ + c with a = w₀/s₁, b = w₁/s₂, c = w₂ − a m₁ − b m₂.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .data import Scaling, design_matrix

PAD = 0.08  # the domain: the data's range widened by 8% of it on each side
DIGITS = 4  # a grid's probabilities are rounded to this many decimals (the shading needs fewer)


@dataclass(frozen=True)
class Box:
    """The plot's domain in feature units: [x0, x1] × [y0, y1]."""

    x0: float
    x1: float
    y0: float
    y1: float


def domain(features: np.ndarray) -> Box:
    """The data's range in each feature, widened by PAD on each side (a single value or a
    repeated one gets a span of its own size, or 1 at zero; a range that would overflow, none)."""
    f = np.asarray(features, dtype=np.float64)

    def pad(lo: float, hi: float) -> tuple[float, float]:
        with np.errstate(over="ignore"):
            d = (hi - lo) or abs(hi) or 1.0
            out = (lo - PAD * d, hi + PAD * d)
        return out if np.isfinite(out).all() else (lo, hi)  # a range near float64's limit

    x0, x1 = pad(float(f[:, 0].min()), float(f[:, 0].max()))
    y0, y1 = pad(float(f[:, 1].min()), float(f[:, 1].max()))
    return Box(x0, x1, y0, y1)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^−z) without overflow: for z < 0 as e^z / (1 + e^z)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def probability(w: np.ndarray, scaling: Scaling, features: np.ndarray) -> np.ndarray:
    """P(dog) = σ(xᵢ·w) for each [f₁, f₂] in `features` (n×2)."""
    f = np.asarray(features, dtype=np.float64).reshape(-1, 2)
    return sigmoid(design_matrix(f, scaling) @ np.asarray(w, dtype=np.float64))


def centres(box: Box, columns: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid's cell centres: f₁ for each column (left to right), f₂ for each row (top, y1,
    to bottom), as an image is laid out."""
    xs = box.x0 + (np.arange(columns) + 0.5) * (box.x1 - box.x0) / columns
    ys = box.y1 - (np.arange(rows) + 0.5) * (box.y1 - box.y0) / rows
    return xs, ys


def grid(w: np.ndarray, scaling: Scaling, box: Box, columns: int, rows: int) -> np.ndarray:
    """σ(x·w) at the centre of each cell of a rows × columns grid over `box` (row 0 the top),
    rounded to DIGITS decimals."""
    xs, ys = centres(box, columns, rows)
    fx, fy = np.meshgrid(xs, ys)
    p = probability(w, scaling, np.column_stack([fx.ravel(), fy.ravel()]))
    return np.round(p, DIGITS).reshape(rows, columns)


def boundary(w: Sequence[float], scaling: Scaling, box: Box) -> list[list[float]] | None:
    """The line x·w = 0 (σ = 1/2) inside `box`: its two ends [[f₁, f₂], [f₁, f₂]], or None when
    it misses the box or w has no feature weight."""
    a = float(w[0]) / scaling.scale[0]
    b = float(w[1]) / scaling.scale[1]
    c = float(w[2]) - a * scaling.mean[0] - b * scaling.mean[1]
    eps = 1e-9 * max(box.x1 - box.x0, box.y1 - box.y0)
    pts: list[tuple[float, float]] = []

    def add(x: float, y: float) -> None:
        if box.x0 - eps <= x <= box.x1 + eps and box.y0 - eps <= y <= box.y1 + eps:
            pts.append((min(max(x, box.x0), box.x1), min(max(y, box.y0), box.y1)))

    with np.errstate(all="ignore"):
        if abs(b) > 1e-300:  # crossing the left and right sides
            add(box.x0, -(a * box.x0 + c) / b)
            add(box.x1, -(a * box.x1 + c) / b)
        if abs(a) > 1e-300:  # the bottom and top
            add(-(b * box.y0 + c) / a, box.y0)
            add(-(b * box.y1 + c) / a, box.y1)
    # The two ends furthest apart (a line through a corner meets two sides there).
    best, far = None, 0.0
    for i in range(len(pts)):  # at most 4 points
        for j in range(i + 1, len(pts)):
            d = math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1])  # inf, not an error
            if d > far:
                far, best = d, [list(pts[i]), list(pts[j])]
    return best


def frames(last: int, most: int) -> list[int]:
    """The steps 0 … `last` that carry a grid: all of them when there are at most `most`,
    else `most` of them evenly spread, the first and the last always among them."""
    if last + 1 <= most:
        return list(range(last + 1))
    if most < 2:
        return [last]
    return sorted({round(i * last / (most - 1)) for i in range(most)})


def accuracies(X: np.ndarray, y: np.ndarray, ws: np.ndarray, chunk: int = 256) -> np.ndarray:
    """For each row of `ws` (one w per step), the share of points with xᵢ·w > 0 exactly when
    yᵢ = 1 (training.accuracy per step), a chunk of steps at a time (n × chunk at most)."""
    right = y > 0.5
    out = np.empty(len(ws))
    for start in range(0, len(ws), chunk):
        z = X @ ws[start:start + chunk].T  # n × chunk
        out[start:start + chunk] = np.mean((z > 0) == right[:, None], axis=0)
    return out


def wrong(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The indices of the points on the wrong side of x·w = 0 (as `accuracies` counts them)."""
    return np.flatnonzero((X @ w > 0) != (y > 0.5))
