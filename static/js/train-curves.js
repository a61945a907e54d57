// The loss curve C(w_k) and the gradient's norm ‖∇C(w_k)‖ (log scale) against the step, one
// panel each, with a marker at the current step.

import { svg as el } from "./dom.js";

const W = 360;
const PANEL = 95;
const L = 46;
const R = 8;

function short(x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(1) : String(+x.toPrecision(3));
}

export class Curves {
  constructor(svg) {
    this.svg = svg;
    this.markers = [];
  }

  setRun(loss, norm) {
    this.svg.replaceChildren();
    this.markers = [];
    this.n = loss.length;
    this._panel(0, loss, false, "C(w)", "line");
    this._panel(1, norm, true, "‖∇C‖", "line norm");
  }

  _x(k) { return L + (this.n > 1 ? k / (this.n - 1) : 0) * (W - L - R); }

  _panel(index, values, log, title, cls) {
    const top = 8 + index * (PANEL + 20);
    const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
    if (!finite.length) return;
    const f = log ? Math.log10 : (v) => v;
    let lo = Math.min(...finite.map(f));
    let hi = Math.max(...finite.map(f));
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    const y = (v) => top + PANEL - ((f(v) - lo) / (hi - lo)) * PANEL;
    el("rect", { class: "frame", x: L, y: top, width: W - L - R, height: PANEL }, this.svg);
    el("text", { x: L + 4, y: top + 12 }, this.svg).textContent = title + (log ? " (log)" : "");
    el("text", { x: L - 4, y: top + 9, "text-anchor": "end" }, this.svg).textContent = short(log ? 10 ** hi : hi);
    el("text", { x: L - 4, y: top + PANEL, "text-anchor": "end" }, this.svg).textContent = short(log ? 10 ** lo : lo);
    // At most ~600 vertices: every k-th step.
    const every = Math.max(1, Math.ceil(values.length / 600));
    let d = "";
    for (let k = 0; k < values.length; k += every) {
      const v = values[k];
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      d += `${d ? "L" : "M"}${this._x(k).toFixed(1)},${y(v).toFixed(1)}`;
    }
    const last = values.length - 1;
    if (last % every !== 0 && Number.isFinite(values[last]) && (!log || values[last] > 0)) {
      d += `L${this._x(last).toFixed(1)},${y(values[last]).toFixed(1)}`;
    }
    el("path", { class: cls, d }, this.svg);
    this.markers.push(el("line", { class: "marker", x1: L, x2: L, y1: top, y2: top + PANEL }, this.svg));
    if (index === 1) {
      el("text", { x: L, y: top + PANEL + 14 }, this.svg).textContent = "0";
      el("text", { x: W - R, y: top + PANEL + 14, "text-anchor": "end" }, this.svg).textContent = String(this.n - 1);
    }
  }

  setStep(k) {
    const x = this._x(k).toFixed(1);
    for (const m of this.markers) { m.setAttribute("x1", x); m.setAttribute("x2", x); }
  }
}
