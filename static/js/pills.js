// The pill under each node: its gradient (or tangent), a sum being made, or an array's
// heatmap; placed under its node where there is room, else at the nearest free place, never
// over another pill or a node.

import { BoxIndex, clamp, fits, numberBox, overlaps, rect, wrapTerms } from "./boxes.js";
import { r1 } from "./curves.js";
import { svg } from "./dom.js";
import { drawHeatmap, heatmapSize } from "./heatmap.js";
import { measured } from "./measure.js";

export const PILL_H = 19; // a gradient pill of one line; each more line adds PILL_LINE
export const PILL_LINE = 14;
export const PILL_GAP = 5; // between a node and its pill
const PILL_CELL = 7; // a cell of a gradient's heatmap in its pill, at most
const PILL_GRID_W = 84; // the heatmap in a pill, at most this wide and high
export const PILL_GRID_H = 30;

/** A pill's size for its text on `lines`, and its gradient's heatmap beside the text. */
export function pillSize(r, lines) {
  const tw = Math.max(0, ...lines.map((line) => (line ? measured(line) : 0)));
  if (!r.pillGrid) return { w: tw + 16, h: PILL_H + PILL_LINE * (lines.length - 1), tw };
  const hs = heatmapSize(r.pillGrid, PILL_GRID_W, PILL_GRID_H, PILL_CELL);
  return { w: tw + (tw ? 6 : 0) + hs.w + 14, h: Math.max(PILL_H, hs.h + 6), tw, hs };
}


/**
 * Place every pill: under its node where there is room (nearly always), else the nearest
 * free place: moved sideways, wrapped onto two or three lines (a long fan-out sum), a row
 * lower, or above the node. Pills and nodes are never covered; a sum also keeps clear of
 * the numbers on the edges where it can. Same step, same places.
 */
export function placePills(geo, nodeEls, edgeEls) {
  const W = geo.width, H = geo.height;
  const hard = new BoxIndex(); // node shapes, their names above them, and pills already placed
  for (const refs of nodeEls.values()) {
    for (const r of refs) {
      const b = r.box;
      hard.push(rect(b.x - b.w / 2, b.y - b.h / 2, b.w, b.h));
      if (r.tag) {
        const tw = measured(r.tag, 12, 600);
        hard.push(rect(b.x - tw / 2, b.y - b.h / 2 - 17, tw, 13));
      }
    }
  }
  const pills = [];
  for (const refs of nodeEls.values()) {
    for (const r of refs) if (r.pillText || r.pillGrid) pills.push(r);
  }
  const isSum = (r) => / \+ .* = /.test(r.pillText);
  const sumShown = pills.some(isSum);
  // Narrow pills first, where they belong; a long sum last, around them.
  const order = pills.map((r) => ({ r, w: pillSize(r, [r.pillText]).w, sum: isSum(r) }))
    .sort((a, b) => (a.sum - b.sum) || (a.w - b.w));
  const soft = new BoxIndex(labelBoxes(edgeEls));
  const home = (r) => {
    const b = r.box;
    const one = { lines: [r.pillText], ...pillSize(r, [r.pillText]) };
    return { ...one, x: clamp(b.x - one.w / 2, 2, W - one.w - 2), y: b.y + b.h / 2 + PILL_GAP };
  };
  // First every pill that fits under its node without hiding an edge's number; then the
  // rest (sums, heatmaps, pills in the way) at the nearest place that is free.
  const later = [];
  for (const item of order) {
    const place = home(item.r);
    if (!item.sum && !item.r.pillGrid && fits(place, hard, W, H) && overlaps(place, soft) === 0) {
      hard.push(rect(place.x, place.y, place.w, place.h));
      drawPill(item.r, place);
    } else {
      later.push(item);
    }
  }
  for (const { r, sum } of later) {
    const best = bestPlace(r, sum, hard, soft, W, H) ?? home(r);
    hard.push(rect(best.x, best.y, best.w, best.h));
    drawPill(r, best);
  }
  return sumShown;
}

/**
 * Boxes of the numbers on the edges (values, local derivatives), showing or still to come:
 * a pill keeps its place from step to step.
 */
function labelBoxes(edgeEls) {
  const boxes = [];
  for (const r of edgeEls.values()) {
    const final = r.e.texts ?? {};
    for (const [t, x, y, size, later] of [[r.v, r.vx, r.vy, 12.5, r.sameValue ? "" : final.value],
      [r.l, r.lx, r.ly, 12, final.local]]) {
      const text = t.textContent || later;
      if (!text) continue;
      boxes.push(numberBox(x, y, measured(text, size, 600)));
    }
  }
  return boxes;
}

/** The cheapest free place for pill `r`; null when none is free. */
function bestPlace(r, sum, hard, soft, W, H) {
  const b = r.box;
  let best = null;
  let k = 0; // the layout's number: one line, then a sum wrapped onto two or three
  for (const lines of layoutsOf(r, sum)) {
    const { w, h } = pillSize(r, lines);
    const below = b.y + b.h / 2 + PILL_GAP;
    const above = b.y - b.h / 2 - PILL_GAP - h - (r.tag ? 15 : 0);
    // A few pixels further out before a whole row further: a pill just touching a number
    // (a heatmap pill is wide) clears it so. A few closer: rows packed close for a short
    // screen leave a pill touching the name over the node below (b's over d, by 0.7 px).
    const rows = [[below, 0], [below + 4, 4], [below - 2, 5], [below + PILL_H + 3, 9], [above, 11], [above - 4, 14],
      [below + 2 * (PILL_H + 3), 18], [above - PILL_H - 3, 20]];
    for (const [y, rowCost] of rows) {
      // Rows come cheapest first: none from here on can cost less than the best found.
      if (best && best.cost <= rowCost + k * 6) break;
      for (const shift of [0, -0.25, 0.25, -0.42, 0.42]) {
        const x = clamp(b.x - w / 2 + shift * w, 2, W - w - 2);
        // Still under (or over) its node: the pill spans the node's centre.
        if (x > b.x - 6 || x + w < b.x + 6) continue;
        const place = { lines, w, h, x, y };
        if (!fits(place, hard, W, H)) continue;
        // A heatmap pill is wide: it moves rather than hide the numbers on an edge.
        const covered = overlaps(place, soft);
        // Even a touch on a number (a "VJP") costs a heatmap pill more than a row further away.
        const soft12 = (r.pillGrid ? 60 : 12) * covered + (covered > 0 ? (r.pillGrid ? 16 : 8) : 0);
        const cost = rowCost + k * 6 + Math.abs(x + w / 2 - b.x) / w * 4 + soft12;
        if (!best || cost < best.cost) best = { ...place, cost };
      }
    }
    // A layout costs 6 more than the one before: none from here on can cost less.
    k++;
    if (best && best.cost <= k * 6) break;
  }
  return best;
}

/** The lines a pill may take: its text on one, then (a sum) on two or three, each made only when wanted. */
function* layoutsOf(r, sum) {
  yield [r.pillText];
  if (!sum) return;
  for (const n of [2, 3]) {
    const lines = wrapTerms(r.pillText, n);
    if (lines.length > 1) yield lines;
  }
}

function drawPill(r, place) {
  const key = `${place.lines.join("\n")}@${r1(place.x)},${r1(place.y)}`;
  if (r.place === key) return;
  r.place = key;
  r.rect.setAttribute("x", r1(place.x));
  r.rect.setAttribute("y", r1(place.y));
  r.rect.setAttribute("width", r1(place.w));
  r.rect.setAttribute("height", r1(place.h));
  r.rect.setAttribute("rx", r1(Math.min(PILL_H / 2, place.h / 2)));
  if (r.pillGrid) {
    // The text on the left, the gradient's heatmap on the right.
    const { tw, hs } = pillSize(r, place.lines);
    r.text.setAttribute("x", r1(place.x + 8 + tw / 2));
    r.text.setAttribute("y", r1(place.y + place.h / 2));
    r.text.textContent = place.lines[0];
    const gx = place.x + place.w - 7 - hs.w;
    drawHeatmap(r.pillHeat, r.pillGrid, { x: gx, y: place.y + (place.h - hs.h) / 2, cell: hs.cell, kind: "grad", full: null });
    return;
  }
  r.pillHeat.replaceChildren();
  const cx = r1(place.x + place.w / 2);
  r.text.setAttribute("x", cx);
  r.text.setAttribute("y", r1(place.y + PILL_H / 2));
  if (place.lines.length === 1) {
    r.text.textContent = place.lines[0];
    return;
  }
  // One tspan a line; each but the last keeps its trailing space, so the text reads whole.
  r.text.replaceChildren(...place.lines.map((line, i) => {
    const span = svg("tspan", { x: cx, dy: i ? PILL_LINE : 0 });
    span.textContent = i < place.lines.length - 1 ? `${line} ` : line;
    return span;
  }));
}
