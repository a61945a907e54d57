// The scatter plot: points in feature units (dogs circles, cats squares), the probability of dog
// as shading on a canvas underneath, the decision boundary σ = 0.5 as a line, the points on its
// wrong side outlined: all three as the server computed them (setView). A click adds a point (or
// removes the one under it); hovering reports the point under the pointer.

import { svg as el } from "./dom.js";

const W = 640;
const H = 480;
const M = { left: 56, right: 14, top: 12, bottom: 46 };
const HIT_PX = 7;

function ticks(lo, hi, n = 6) {
  const span = hi - lo;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 && out.length < 30; v += step) out.push(+v.toPrecision(10));
  return out;
}

function rgb(colour) {
  const m = /^#([0-9a-f]{6})$/i.exec(colour.trim());
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
  const n = colour.match(/\d+(\.\d+)?/g);
  return n ? n.slice(0, 3).map(Number) : [128, 128, 128];
}

/** The opacity of a cell showing probability p: 10 at p = 1/2, up to 100 at 0 or 1. */
export function alpha(p) {
  return Math.round(90 * Math.abs(2 * p - 1) + 10);
}

export class ScatterPlot {
  constructor(svg, canvas, { onAdd, onRemove, onHover }) {
    this.svg = svg;
    this.canvas = canvas;
    const clip = canvas.parentElement.style; // the plotting area, in % of the SVG box
    clip.left = `${(100 * M.left) / W}%`;
    clip.top = `${(100 * M.top) / H}%`;
    clip.width = `${(100 * (W - M.left - M.right)) / W}%`;
    clip.height = `${(100 * (H - M.top - M.bottom)) / H}%`;
    this.onAdd = onAdd;
    this.onRemove = onRemove;
    this.onHover = onHover;
    this.points = [];
    this.view = null; // {grid, boundary, wrong}: what the server computed for the step shown
    this.box = { x0: 0, x1: 1, y0: 0, y1: 1 };
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "none");
    this.gAxes = el("g", { class: "axis" }, svg);
    this.gPoints = el("g", { class: "points" }, svg);
    this.line = el("line", { class: "boundary", visibility: "hidden" }, svg);
    this.probe = el("circle", { class: "probe", r: 6, visibility: "hidden" }, svg);
    svg.addEventListener("click", (e) => this._click(e));
    svg.addEventListener("mousemove", (e) => this._hover(e));
    svg.addEventListener("mouseleave", () => this.onHover(null));
  }

  setData(points, names, units) {
    this.points = points;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const pad = (lo, hi) => { const d = (hi - lo) || Math.abs(hi) || 1; return [lo - 0.08 * d, hi + 0.08 * d]; };
    [this.box.x0, this.box.x1] = pad(Math.min(...xs), Math.max(...xs));
    [this.box.y0, this.box.y1] = pad(Math.min(...ys), Math.max(...ys));
    this.names = names;
    this.units = units;
    this._axes();
    this._points();
    if (this.view) this.view = { ...this.view, wrong: null }; // indices of the old points
    this._line();
    this._shade();
  }

  /** The step's picture from the server: `grid` ({x, y, columns, rows, probability}, the top row
   *  first), `boundary` (two ends in feature units, or null), `wrong` (indices of points on the
   *  wrong side, or null: no outlines). Null clears it. */
  setView(view) {
    const before = this.view;
    this.view = view;
    this._line();
    if (!before || !view || before.grid !== view.grid) this._shade();
    this._marks();
  }

  /** The grid drawn now (its cells are what the hover reads). */
  grid() { return this.view?.grid ?? null; }

  /** Redraw the colours (after a theme change). */
  refresh() { this._shade(); }

  px(x) { return M.left + ((x - this.box.x0) / (this.box.x1 - this.box.x0)) * (W - M.left - M.right); }
  py(y) { return H - M.bottom - ((y - this.box.y0) / (this.box.y1 - this.box.y0)) * (H - M.top - M.bottom); }

  /** Feature coordinates of a mouse event, or null outside the plotting area. */
  at(event) {
    const r = this.svg.getBoundingClientRect();
    const sx = ((event.clientX - r.left) / r.width) * W;
    const sy = ((event.clientY - r.top) / r.height) * H;
    if (sx < M.left || sx > W - M.right || sy < M.top || sy > H - M.bottom) return null;
    return {
      sx, sy,
      x: this.box.x0 + ((sx - M.left) / (W - M.left - M.right)) * (this.box.x1 - this.box.x0),
      y: this.box.y0 + ((H - M.bottom - sy) / (H - M.top - M.bottom)) * (this.box.y1 - this.box.y0),
      scale: r.width / W,
    };
  }

  _axes() {
    this.gAxes.replaceChildren();
    const g = this.gAxes;
    el("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, fill: "none", stroke: "var(--border)" }, g);
    for (const v of ticks(this.box.x0, this.box.x1)) {
      const x = this.px(v);
      el("line", { x1: x, x2: x, y1: H - M.bottom, y2: H - M.bottom + 5 }, g);
      el("text", { x, y: H - M.bottom + 18, "text-anchor": "middle" }, g).textContent = String(v);
    }
    for (const v of ticks(this.box.y0, this.box.y1)) {
      const y = this.py(v);
      el("line", { x1: M.left - 5, x2: M.left, y1: y, y2: y }, g);
      el("text", { x: M.left - 8, y: y + 4, "text-anchor": "end" }, g).textContent = String(v);
    }
    const label = (i) => this.names[i] + (this.units[i] ? ` (${this.units[i]})` : "");
    el("text", { class: "axis-title", x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" }, g).textContent = label(0);
    el("text", { class: "axis-title", x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle",
                 transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, g).textContent = label(1);
  }

  _points() {
    this.gPoints.replaceChildren();
    this.marks = this.points.map((p, i) => {
      const x = this.px(p[0]);
      const y = this.py(p[1]);
      const node = p[2] === 1
        ? el("circle", { cx: x, cy: y, r: 4.5, class: "dog" }, this.gPoints)
        : el("rect", { x: x - 4, y: y - 4, width: 8, height: 8, class: "cat" }, this.gPoints);
      node.dataset.index = String(i);
      return node;
    });
    this._marks();
  }

  /** Points on the wrong side of the boundary (as the server says) get an outline. */
  _marks() {
    if (!this.marks) return;
    const wrong = new Set(this.view?.wrong ?? []);
    this.marks.forEach((mark, i) => mark.classList.toggle("wrong", wrong.has(i)));
  }

  _line() {
    const seg = this.view?.boundary ?? null;
    if (!seg) { this.line.setAttribute("visibility", "hidden"); return; }
    this.line.setAttribute("visibility", "visible");
    this.line.setAttribute("x1", this.px(seg[0][0]).toFixed(2));
    this.line.setAttribute("y1", this.py(seg[0][1]).toFixed(2));
    this.line.setAttribute("x2", this.px(seg[1][0]).toFixed(2));
    this.line.setAttribute("y2", this.py(seg[1][1]).toFixed(2));
  }

  /** The grid as an image, one pixel a cell, placed over the grid's domain (the browser's
   *  scaling smooths it): dog's colour where P(dog) ≥ 0.5, cat's below, more opaque further
   *  from 0.5. Only colours are chosen here; every probability is the server's. */
  _shade() {
    const grid = this.grid();
    const canvas = this.canvas;
    if (!grid) { canvas.hidden = true; return; }
    canvas.hidden = false;
    canvas.width = grid.columns;
    canvas.height = grid.rows;
    const b = this.box;
    const sx = (b.x1 - b.x0) / 100;
    const sy = (b.y1 - b.y0) / 100;
    Object.assign(canvas.style, {
      left: `${(grid.x[0] - b.x0) / sx}%`, width: `${(grid.x[1] - grid.x[0]) / sx}%`,
      top: `${(b.y1 - grid.y[1]) / sy}%`, height: `${(grid.y[1] - grid.y[0]) / sy}%`,
    });
    canvas.dataset.cells = String(grid.probability.length);
    const ctx = canvas.getContext("2d");
    const style = getComputedStyle(document.documentElement);
    const dog = rgb(style.getPropertyValue("--m-central") || "#d55e00");
    const cat = rgb(style.getPropertyValue("--m-forward") || "#0072b2");
    const img = ctx.createImageData(grid.columns, grid.rows);
    grid.probability.forEach((p, k) => {
      const c = typeof p !== "number" ? [128, 128, 128] : p >= 0.5 ? dog : cat; // "nan": grey
      img.data[4 * k] = c[0]; img.data[4 * k + 1] = c[1]; img.data[4 * k + 2] = c[2];
      img.data[4 * k + 3] = typeof p === "number" ? alpha(p) : 40;
    });
    ctx.putImageData(img, 0, 0);
  }

  _nearest(a) {
    let best = -1;
    let bestD = (HIT_PX / a.scale) ** 2;
    this.points.forEach((p, i) => {
      const d = (this.px(p[0]) - a.sx) ** 2 + (this.py(p[1]) - a.sy) ** 2;
      if (d <= bestD) { bestD = d; best = i; }
    });
    return best;
  }

  _click(event) {
    const a = this.at(event);
    if (!a) return;
    const i = this._nearest(a);
    if (i >= 0) this.onRemove(i);
    else this.onAdd(a.x, a.y);
  }

  _hover(event) {
    const a = this.at(event);
    if (!a) { this.probe.setAttribute("visibility", "hidden"); this.onHover(null); return; }
    this.probe.setAttribute("cx", a.sx.toFixed(1));
    this.probe.setAttribute("cy", a.sy.toFixed(1));
    this.probe.setAttribute("visibility", "visible");
    this.onHover({ x: a.x, y: a.y, clientX: event.clientX, clientY: event.clientY });
  }
}
