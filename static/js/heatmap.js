// A small SVG heatmap of an array (up to the server's shown-elements bound): one cell per
// element, coloured on a diverging scale around 0 (graph.css holds the colours of both
// themes). Each cell carries the number the server sent, for its title and for tests.

import { bins, grid } from "./arrays.js";

const NS = "http://www.w3.org/2000/svg";
const r2 = (v) => Math.round(v * 100) / 100;

/** Cell size and the grid's size for `v` within maxW × maxH, cells at most `maxCell`. */
export function heatmapSize(v, maxW, maxH, maxCell = 8) {
  const { rows, cols } = grid(v);
  const cell = Math.max(1.5, Math.min(maxCell, maxW / cols, maxH / rows));
  return { rows, cols, cell, w: cell * cols, h: cell * rows };
}

/**
 * Fill `g` (an SVG <g>) with the heatmap of `v`, its top left at (x, y), cells of `cell`.
 * `kind` ("value" or "grad") goes on the group as a class; `full`, if given, writes each
 * number in full in its cell's title.
 */
export function drawHeatmap(g, v, { x, y, cell, kind, full }) {
  const { cols, items } = grid(v);
  const classes = bins(items);
  const cells = items.map((item, k) => {
    const rect = document.createElementNS(NS, "rect");
    rect.setAttribute("class", `hm-cell ${classes[k]}`);
    rect.setAttribute("x", r2(x + (k % cols) * cell));
    rect.setAttribute("y", r2(y + Math.floor(k / cols) * cell));
    rect.setAttribute("width", r2(cell));
    rect.setAttribute("height", r2(cell));
    rect.dataset.value = String(item);
    if (full) {
      const title = document.createElementNS(NS, "title");
      title.textContent = full(item);
      rect.appendChild(title);
    }
    return rect;
  });
  g.setAttribute("class", `heatmap ${kind}`);
  g.replaceChildren(...cells);
  return g;
}
