"""The data a classifier learns from: the built-in dog/cat set (seeded), a CSV a person uploads
(checked cell by cell: an error names its row and column), and the design matrix X whose rows are
the lecture's xᵢ = [feature₁, feature₂, 1] (the last column of ones carries the bias)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass

import numpy as np

from engine import ExpressionError, LimitExceeded

#: Labels a CSV may use: 1 is a dog (the class whose probability the model gives), 0 a cat.
LABELS = {"1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "dog": 1.0, "cat": 0.0, "개": 1.0,
          "고양이": 0.0}
SEED = 11


@dataclass(frozen=True)
class Dataset:
    """Points with two features each and a 0/1 label (1: dog). `names` and `units` say what the
    features are; `features` is n×2, `labels` has n entries."""

    features: np.ndarray
    labels: np.ndarray
    names: tuple[str, str] = ("body mass", "ear length")
    units: tuple[str, str] = ("kg", "cm")
    source: str = "builtin"

    def __len__(self) -> int:
        return len(self.labels)


def builtin(n_per_class: int = 150, seed: int = SEED) -> Dataset:
    """The built-in set: cats and dogs by body mass (kg) and ear length (cm), rounded as a person
    would measure them. Seeded, so every run (and every test) sees the same points; the classes
    overlap a little (small dogs with short ears, big cats)."""
    rng = np.random.default_rng(seed)
    cat_mass = np.clip(rng.normal(4.5, 1.2, n_per_class), 1.8, 9.0)
    cat_ear = np.clip(rng.normal(6.3, 1.0, n_per_class), 3.5, 9.5)
    dog_mass = np.clip(rng.normal(11.0, 3.0, n_per_class), 3.0, 24.0)
    dog_ear = np.clip(rng.normal(9.0, 1.6, n_per_class), 5.0, 15.0)
    features = np.round(np.column_stack([np.concatenate([cat_mass, dog_mass]),
                                         np.concatenate([cat_ear, dog_ear])]), 1)
    labels = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    order = rng.permutation(len(labels))  # interleaved, so a prefix is a fair sample
    return Dataset(features[order], labels[order])


@dataclass(frozen=True)
class Scaling:
    """How features become the columns of X: (feature − mean) / scale. Standardising makes one
    learning rate suit both features (kg and cm differ in spread); `mean` 0 and `scale` 1 leave
    them as measured."""

    mean: tuple[float, float] = (0.0, 0.0)
    scale: tuple[float, float] = (1.0, 1.0)

    @classmethod
    def standard(cls, features: np.ndarray) -> Scaling:
        with np.errstate(over="ignore", invalid="ignore"):  # huge features: an inf the caller refuses
            sd = features.std(axis=0)
            mean = features.mean(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        return cls(tuple(map(float, mean)), tuple(map(float, sd)))  # type: ignore[arg-type]


def design_matrix(features: np.ndarray, scaling: Scaling) -> np.ndarray:
    """X: one row xᵢ = [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1] per point; the ones carry the bias w₂."""
    scaled = (np.asarray(features, dtype=np.float64) - np.array(scaling.mean)) / np.array(scaling.scale)
    return np.column_stack([scaled, np.ones(len(scaled))])


def parse_csv(text: str, max_rows: int, max_columns: int = 3) -> Dataset:
    """A CSV of two feature columns and a label column (0/1 or dog/cat), with an optional header
    row naming the features (`mass_kg,ear_cm,label`). Every problem is an ExpressionError with
    `field` "csv", `line` the 1-based row of the file, `column` the 0-based character where the
    cell starts, and a message naming the row and column."""
    rows = list(_rows(text, max_rows + 2))
    if not rows:
        raise _error("the file is empty: give rows of feature 1, feature 2, label (0 = cat, 1 = dog)",
                     None, None, None)
    names: tuple[str, str] = ("feature 1", "feature 2")
    units: tuple[str, str] = ("", "")
    first_line, first = rows[0]
    if first and not _is_number(first[0][1]):
        header = [cell.strip() for _, cell in first]
        if len(header) >= 2:
            names = (header[0], header[1])
        rows = rows[1:]
    features, labels = [], []
    for line, cells in rows:
        if not cells:
            continue  # a blank line
        if len(cells) > max_columns:
            start, cell = cells[max_columns]
            raise LimitExceeded(f"row {line}, column {max_columns + 1}: a row has at most "
                                f"{max_columns} columns (feature 1, feature 2, label), this one has "
                                f"{len(cells)}", code="limit_exceeded", line=line, column=start,
                                text=cell, field="csv", limit="max_columns", maximum=max_columns,
                                actual=len(cells))
        if len(cells) < 3:
            raise _error(f"row {line} has {len(cells)} column{'s' if len(cells) != 1 else ''}; "
                         "each row needs 3: feature 1, feature 2, label", line, cells[-1][0],
                         cells[-1][1])
        point = []
        for j in (0, 1):
            start, cell = cells[j]
            value = _number(cell)
            if value is None:
                raise _error(f"row {line}, column {j + 1} ({names[j]}): {cell.strip()!r} is not a "
                             "finite number", line, start, cell)
            point.append(value)
        start, cell = cells[2]
        label = LABELS.get(cell.strip().lower())
        if label is None:
            raise _error(f"row {line}, column 3 (label): {cell.strip()!r} is not a label; use 1 or "
                         "dog, 0 or cat", line, start, cell)
        features.append(point)
        labels.append(label)
        if len(labels) > max_rows:
            raise LimitExceeded(f"row {line}: the file has more than {max_rows:,} data rows; at "
                                f"most {max_rows:,} are allowed", code="limit_exceeded", line=line,
                                column=0, field="csv", limit="train_max_rows", maximum=max_rows,
                                actual=len(labels))
    if not labels:
        raise _error("the file has a header but no data rows", first_line, 0, None)
    return Dataset(np.array(features, dtype=np.float64), np.array(labels), names, units, "csv")


def _rows(text: str, most: int):
    """(1-based line, [(start column, cell), ...]) for each row, at most `most` rows. Lines end
    at \n, \r\n or \r; a cell may be quoted but not run over a line's end."""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if number > most:
            return
        if not line.strip():
            yield number, []
            continue
        try:
            cells = next(csv.reader([line]))
        except csv.Error as e:  # a NUL byte, say
            raise _error(f"row {number} cannot be read as CSV ({e})", number, 0, line[:40]) from None
        starts, at = [], 0
        for cell in cells:  # where each cell begins (quotes make this approximate, which is fine)
            found = line.find(cell, at) if cell else at
            starts.append(found if found >= 0 else at)
            at = (found if found >= 0 else at) + len(cell) + 1
        yield number, list(zip(starts, cells))


def _is_number(cell: str) -> bool:
    return _number(cell) is not None


def _number(cell: str) -> float | None:
    text = cell.strip()
    if not text or len(text) > 40:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _error(message: str, line: int | None, column: int | None, text: str | None) -> ExpressionError:
    return ExpressionError(message, code="invalid_csv", line=line, column=column, text=text,
                           field="csv")
