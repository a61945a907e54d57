// A dot carrying a number along an edge while the player takes one step: backwards (target to
// source) for a gradient's contribution, forwards for a tangent's term. None when motion is
// reduced; a new pulse (or stop) ends the one before.

import { along, r1 } from "./curves.js";
import { svg } from "./dom.js";

export class Pulse {
  constructor() {
    this.layer = null; // the drawing's layer for pulses (set by the renderer on each build)
    this.reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
    this._token = 0;
  }

  /** Along sampled edge `s` (curves.sample), for `duration` ms. */
  run(s, { backwards, label, duration = 600, kind = "grad" }) {
    this.stop();
    if (!s || !this.layer || this.reducedMotion.matches || duration < 60) return;
    const token = ++this._token;
    const g = svg("g", { class: `pulse ${kind}` }, this.layer);
    const dot = svg("circle", { r: 6 }, g);
    const text = svg("text", {}, g, label);
    const start = performance.now();
    const frame = (now) => {
      if (token !== this._token) return;
      const u = Math.min(1, (now - start) / duration);
      const eased = u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2;
      const p = along(s, backwards ? 1 - eased : eased);
      dot.setAttribute("cx", r1(p.x));
      dot.setAttribute("cy", r1(p.y));
      text.setAttribute("x", r1(p.x));
      text.setAttribute("y", r1(p.y - 11));
      if (u < 1) requestAnimationFrame(frame);
      else g.remove();
    };
    requestAnimationFrame(frame);
  }

  stop() {
    this._token++;
    this.layer?.replaceChildren();
  }
}
