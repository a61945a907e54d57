// Boxes on the drawing ({x0, y0, x1, y1}) and the tests the placement of labels and pills
// makes with them; a long sum broken onto lines.

import { measured } from "./measure.js";

export const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
/** The ink of a number written at (x, y), centred on its baseline: digits have no descenders. */
export const numberBox = (x, y, w) => ({ x0: x - w / 2, y0: y - 11.5, x1: x + w / 2, y1: y + 3 }); // as the text box is drawn
export const rect = (x, y, w, h) => ({ x0: x, y0: y, x1: x + w, y1: y + h });
export const hits = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

const CELL = 64; // drawing units: a few nodes' widths

/**
 * Boxes filed by the cells of a grid they touch, so that the boxes a box hits are found
 * among its neighbours rather than by testing every box of the drawing (a 500-node graph has
 * thousands, and each label and pill tries dozens of places).
 */
export class BoxIndex {
  constructor(boxes = []) {
    this.all = [];
    this.cells = new Map();
    this.mark = [];
    this.stamp = 0;
    for (const b of boxes) this.push(b);
  }

  push(...boxes) {
    for (const b of boxes) {
      const i = this.all.length;
      this.all.push(b);
      this.mark.push(0);
      for (const key of cellsOf(b) ?? ["big"]) {
        const list = this.cells.get(key);
        if (list) list.push(i);
        else this.cells.set(key, [i]);
      }
    }
  }

  /** The boxes `r` hits, in the order they were added. */
  hitBy(r) {
    const keys = cellsOf(r);
    if (!keys) return this.all.filter((b) => hits(r, b));
    const stamp = ++this.stamp;
    const found = [];
    for (const key of ["big", ...keys]) {
      for (const i of this.cells.get(key) ?? []) {
        if (this.mark[i] === stamp) continue;
        this.mark[i] = stamp;
        if (hits(r, this.all[i])) found.push(i);
      }
    }
    return found.sort((a, b) => a - b).map((i) => this.all[i]);
  }
}

/** The keys of the cells box `b` touches; null for a box too large (or not finite) for cells. */
function cellsOf(b) {
  const x0 = Math.floor(b.x0 / CELL), x1 = Math.floor(b.x1 / CELL);
  const y0 = Math.floor(b.y0 / CELL), y1 = Math.floor(b.y1 / CELL);
  if (!((x1 - x0 + 1) * (y1 - y0 + 1) <= 1024)) return null;
  const keys = [];
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) keys.push(`${x},${y}`);
  return keys;
}

const hitList = (r, boxes) => (boxes instanceof BoxIndex ? boxes.hitBy(r) : boxes.filter((b) => hits(r, b)));

/** `place` ({x, y, w, h}) inside the drawing and clear of every box in `boxes` (a list or a BoxIndex). */
export function fits(place, boxes, W, H) {
  const r = rect(place.x, place.y, place.w, place.h);
  if (r.x0 < 0 || r.y0 < 0 || r.x1 > W || r.y1 > H) return false;
  return hitList(r, boxes).length === 0;
}

/** How much of the boxes `place` covers: each box counts by the share of it covered. */
export function overlaps(place, boxes) {
  const r = rect(place.x, place.y, place.w, place.h);
  let n = 0;
  for (const b of hitList(r, boxes)) {
    const w = Math.min(r.x1, b.x1) - Math.max(r.x0, b.x0);
    const h = Math.min(r.y1, b.y1) - Math.max(r.y0, b.y0);
    n += (w * h) / Math.max(1, (b.x1 - b.x0) * (b.y1 - b.y0));
  }
  return n;
}

/**
 * "∂f/∂x = 1.386 + 0.6931 + 0.6931 = 2.773" on `k` lines of about equal width, broken before
 * a "+" or the last "=" (never inside a number).
 */
export function wrapTerms(text, k) {
  const tokens = text.split(/ (?=[+=] )/);
  // "∂f/∂x" and "= 1.386" stay together: the first line starts with the name and its value.
  if (tokens.length > 1 && !/^[+=] /.test(tokens[0]) && /^= /.test(tokens[1])) tokens.splice(0, 2, `${tokens[0]} ${tokens[1]}`);
  if (tokens.length < k) return [text];
  const total = measured(text);
  const lines = [];
  let line = "";
  for (const tok of tokens) {
    const next = line ? `${line} ${tok}` : tok;
    if (line && measured(next) > total / k + 8 && lines.length < k - 1) {
      lines.push(line);
      line = tok;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines;
}
