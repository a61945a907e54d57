// What the training page draws is computed by the server (POST /api/v1/train with `view`, and
// POST /api/v1/train/predict): probability grids, boundaries, accuracies, predictions. Here only
// the lookups into that data and the main viewer's link for a step's graph; no maths.

/** The frame (index into view.probability) of each step that carries a grid. */
export function frameIndex(view) {
  return new Map(view.frames.map((step, i) => [step, i]));
}

/** The latest step at or before `step` that carries a grid (the shading shown while playing
 *  between frames), by binary search over the sorted frame steps. */
export function frameAtOrBefore(view, step) {
  const f = view.frames;
  let lo = 0;
  let hi = f.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (f[mid] <= step) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** A frame's grid in the shape POST /api/v1/train/predict answers one. */
export function frameGrid(view, i) {
  return { x: view.x, y: view.y, columns: view.columns, rows: view.rows, probability: view.probability[i] };
}

/** The grid's value in the cell holding (f1, f2), or null outside it: a lookup, no model. */
export function lookup(grid, f1, f2) {
  if (!grid) return null;
  const col = Math.floor(((f1 - grid.x[0]) / (grid.x[1] - grid.x[0])) * grid.columns);
  const row = Math.floor(((grid.y[1] - f2) / (grid.y[1] - grid.y[0])) * grid.rows);
  if (col < 0 || col >= grid.columns || row < 0 || row >= grid.rows) return null;
  return grid.probability[row * grid.columns + col];
}

/** The main viewer's hash for C(w) at this step: the expression, X as the server made it (its
 *  rows [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1], `view.design`), y and w as nested lists (the viewer
 *  reads `at=X=[[...]];y=[...];w=[...]`), X and y as data (no gradient, as the lecture's tensors
 *  without requires_grad), the backward pass. */
export function graphHash(expression, X, labels, w, lang = null) {
  const at = `X=${JSON.stringify(X)};y=${JSON.stringify(labels)};w=${JSON.stringify(w)}`;
  const params = new URLSearchParams({ f: expression, at, data: "X;y", pass: "reverse", step: "end" });
  if (lang && lang !== "en") params.set("lang", lang);
  return params.toString().replace(/\+/g, "%20");
}
