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
    this.cells = new Map(); // cell number -> indices of the boxes touching it
    this.big = []; // boxes too large (or not finite) for cells: tested every time
    this.mark = [];
    this.stamp = 0;
    for (const b of boxes) this.push(b);
  }

  push(...boxes) {
    for (const b of boxes) {
      const i = this.all.length;
      this.all.push(b);
      this.mark.push(0);
      if (!eachCell(b, (key) => {
        const list = this.cells.get(key);
        if (list) list.push(i);
        else this.cells.set(key, [i]);
      })) this.big.push(i);
    }
  }

  /** The boxes `r` hits, in the order they were added. */
  hitBy(r) {
    const found = [];
    this._scan(r, (i) => { found.push(i); });
    return found.sort((a, b) => a - b).map((i) => this.all[i]);
  }

  /** How many boxes `r` hits. */
  count(r) {
    let n = 0;
    this._scan(r, () => { n++; });
    return n;
  }

  /** Whether `r` hits any box (stops at the first). */
  any(r) {
    return this._scan(r, () => true);
  }

  /** Call `hit(i)` for each box `r` hits, each once; stops when it returns true. */
  _scan(r, hit) {
    const stamp = ++this.stamp;
    const test = (i) => {
      if (this.mark[i] === stamp) return false;
      this.mark[i] = stamp;
      return hits(r, this.all[i]) && hit(i) === true;
    };
    for (const i of this.big) if (test(i)) return true;
    let stop = false;
    const small = eachCell(r, (key) => {
      const list = this.cells.get(key);
      if (!list) return false;
      for (const i of list) {
        if (test(i)) return (stop = true);
      }
      return false;
    });
    if (!small) {
      // Too large for cells: every box filed in them.
      for (let i = 0; i < this.all.length && !stop; i++) if (test(i)) stop = true;
    }
    return stop;
  }
}

// A cell's number from its column and row (each within ±2^20 cells of the origin).
const cellKey = (x, y) => (x + 1048576) * 2097152 + (y + 1048576);

/**
 * Call `fn(key)` for the cells box `b` touches, until it returns true; false (and no call)
 * for a box too large (or not finite) for cells.
 */
function eachCell(b, fn) {
  const x0 = Math.floor(b.x0 / CELL), x1 = Math.floor(b.x1 / CELL);
  const y0 = Math.floor(b.y0 / CELL), y1 = Math.floor(b.y1 / CELL);
  if (!((x1 - x0 + 1) * (y1 - y0 + 1) <= 1024) || Math.abs(x0) > 1e6 || Math.abs(y1) > 1e6
    || Math.abs(x1) > 1e6 || Math.abs(y0) > 1e6) return false;
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) if (fn(cellKey(x, y)) === true) return true;
  return true;
}

const hitList = (r, boxes) => (boxes instanceof BoxIndex ? boxes.hitBy(r) : boxes.filter((b) => hits(r, b)));

/** `place` ({x, y, w, h}) inside the drawing and clear of every box in `boxes` (a list or a BoxIndex). */
export function fits(place, boxes, W, H) {
  const r = rect(place.x, place.y, place.w, place.h);
  if (r.x0 < 0 || r.y0 < 0 || r.x1 > W || r.y1 > H) return false;
  return boxes instanceof BoxIndex ? !boxes.any(r) : !boxes.some((b) => hits(r, b));
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
