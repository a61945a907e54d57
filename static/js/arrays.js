// Arrays as the server sends them, for display only: a number, nested lists (row-major), or
// past the shown-elements bound a summary {shape, min, max, mean, norm, preview}. Here they
// are recognised, flattened, written compactly ("2×3 [1, 2, 3, …]") and binned for a heatmap.
// Nothing is computed from them: every number shown is one the server sent.

/** Nested lists of numbers (a 1-d or n-d array), not a scalar and not a summary. */
export const isList = (v) => Array.isArray(v);

/** The server's summary of an array too big to send whole. */
export const isSummary = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && Array.isArray(v.shape);

/** An array of either kind. */
export const isArray = (v) => isList(v) || isSummary(v);

/** The shape of nested lists (from their nesting) or of a summary; [] for a scalar. */
export function shapeOf(v) {
  if (isSummary(v)) return v.shape;
  const shape = [];
  let x = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

/** "6×3", "3", "" for a scalar. */
export const shapeText = (shape) => (shape && shape.length ? shape.join("\u00d7") : "");

/** The elements of nested lists in row-major order ("imagine flattening each tensor"). */
export function flat(v) {
  if (!Array.isArray(v)) return [v];
  return v.flat(Infinity);
}

/**
 * A grid for a heatmap: rows × cols of the flattened elements. A matrix keeps its rows; a
 * higher array stacks its leading axes into rows; a vector is one row, wrapped when long.
 */
export function grid(v) {
  const shape = shapeOf(v);
  const items = flat(v);
  let cols = shape[shape.length - 1] ?? 1;
  if (shape.length === 1 && cols > 8) cols = Math.ceil(Math.sqrt(cols * 2));
  const rows = Math.ceil(items.length / Math.max(1, cols));
  return { rows, cols, items };
}

/** Nested lists written with `f` per number: "[[1, 2], [3, 4]]". */
export function listText(v, f) {
  if (!Array.isArray(v)) return f(v);
  return `[${v.map((x) => listText(x, f)).join(", ")}]`;
}

/**
 * Compact text for any value: a scalar as `f` writes it; small arrays whole ("[5, 7, 9]",
 * "[[1, 0], [0, 1]]"); bigger ones by their first numbers and shape ("[1, 2, 3, …] (2×3)");
 * a summary by shape, min, max, mean and norm ("(10×10) min …").
 */
export function compact(v, f, limit = 6) {
  if (isSummary(v)) {
    return `(${shapeText(v.shape)}) min ${f(v.min)}, max ${f(v.max)}, mean ${f(v.mean)}, \u2016\u00b7\u2016 ${f(v.norm)}`;
  }
  if (!isList(v)) return f(v);
  const items = flat(v);
  if (items.length <= limit) return listText(v, f);
  const head = items.slice(0, Math.min(3, limit)).map((x) => f(x)).join(", ");
  return `[${head}, \u2026] (${shapeText(shapeOf(v))})`;
}

/** Shortest text for tight places (the edges): numbers when at most `limit`, else "(2×3)". */
export function brief(v, f, limit = 3) {
  if (isSummary(v)) return `(${shapeText(v.shape)})`;
  if (!isList(v)) return f(v);
  return flat(v).length <= limit && shapeOf(v).length === 1 ? listText(v, f) : `(${shapeText(shapeOf(v))})`;
}

/**
 * A heatmap's colour class per element: a diverging scale around 0 in 4 steps each way,
 * scaled by the largest magnitude shown (so the sign and the relative size read at a glance).
 */
export function bins(items) {
  let top = 0;
  for (const x of items) if (Number.isFinite(x) && Math.abs(x) > top) top = Math.abs(x);
  return items.map((x) => {
    if (typeof x !== "number" || !Number.isFinite(x)) return "hm-nan";
    if (top === 0 || x === 0) return "hm-0";
    const k = Math.max(1, Math.round((Math.abs(x) / top) * 4));
    return x > 0 ? `hm-p${k}` : `hm-n${k}`;
  });
}

/** Rows of a flattened matrix, transposed for display: rows[i][j] becomes out[j][i]. */
export function transposed(rows) {
  if (!rows.length) return [];
  return rows[0].map((_, j) => rows.map((r) => r[j]));
}

/** "[0, 2]" for flat index 2 of shape [2, 3] when shown as a multi-index label; "" for scalars. */
export function indexLabel(k, shape) {
  if (!shape.length) return "";
  const idx = [];
  let rest = k;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(",")}]`;
}
