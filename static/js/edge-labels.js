// Where each edge writes its numbers (its source's value above, its local derivative below),
// clear of nodes, pills and other edges' numbers.

import { BoxIndex, clamp, numberBox, rect } from "./boxes.js";
import { along } from "./curves.js";
import { measured } from "./measure.js";
import { PILL_GAP, PILL_GRID_H } from "./pills.js";

const LABEL_W_ARRAY = 84; // room for a short array on an edge, such as [1, −2, 0.5]

/**
 * Where each edge carries its numbers: its source's value above it, its local derivative
 * below, at the middle of the edge unless that is on a node, under a node (where its pill
 * goes), or on another edge's numbers; then a little before or after the middle, then a
 * little further from the edge. `width(text, size)` measures a number; `texts(e)` gives the
 * numbers the edge will carry and `pillW(id)` the widest pill under node `id`, so that the
 * room kept is the room the numbers take (17 digits included).
 */
export function labelSpots(model, geo, { width, texts, pillW, tensor = false }) {
  const blocked = new BoxIndex();
  for (const [id, boxes] of geo.nodes) {
    const n = model.nodes.get(id);
    for (const b of boxes) {
      blocked.push(rect(b.x - b.w / 2 - 2, b.y - b.h / 2 - 2, b.w + 4, b.h + 4));
      // The pill, and a little air; an array's pill holds its heatmap too.
      const array = n?.shape?.length;
      const pill = pillW(id);
      const pw = array ? b.w + 72 : Math.max(b.w, pill.w) + 8;
      const x0 = clamp(b.x - pw / 2, 2, geo.width - pw - 2);
      blocked.push(rect(x0, b.y + b.h / 2 + PILL_GAP - 1, pw, (array ? PILL_GRID_H + 6 : pill.h) + 2));
      if (n?.kind === "op" && (n.name || model.generated(id))) {
        const tw = measured(model.name(id), 12, 600) + 4;
        blocked.push(rect(b.x - tw / 2, b.y - b.h / 2 - 17, tw, 13));
      }
    }
  }
  const at = (e, f, vOff, lOff, vw, lw) => {
    const p = along(e.s, f);
    let nx = p.dy, ny = -p.dx;
    if (ny > 0) { nx = -nx; ny = -ny; }
    const vx = p.x + nx * vOff, vy = p.y + ny * vOff;
    const lx = p.x - nx * lOff, ly = p.y - ny * lOff + 2;
    return { vx, vy, lx, ly, boxes: [numberBox(vx, vy, vw), numberBox(lx, ly, lw)] };
  };
  const inside = (b) => b.x0 >= 0 && b.y0 >= 0 && b.x1 <= geo.width && b.y1 <= geo.height;
  return (e, withValue = true) => {
    const { value, local } = texts(e);
    // A number's own width; an array written on an edge ("[1, −2, 0.5]") is its brief text.
    const vw = value ? width(value, 12.5) + 4 : tensor ? LABEL_W_ARRAY : 12;
    const lw = local ? width(local, 12) + 4 : tensor ? LABEL_W_ARRAY : 12;
    let chosen = null;
    // Value above and local derivative below; a little further out; as a last resort the
    // other way round (their colours and the italics still tell them apart).
    for (const [vOff, lOff, cost] of [[7, 16, 0], [12, 22, 0.5], [17, 28, 1], [-12, -5, 2], [-17, -10, 2.5]]) {
      for (const f of [0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.2, 0.8]) {
        const c = at(e, f, vOff, lOff, vw, lw);
        if (!withValue) c.boxes.shift();
        if (!local) c.boxes.pop();
        c.hits = c.boxes.reduce((k, a) => k + blocked.count(a) + (inside(a) ? 0 : 1), 0);
        c.cost = c.hits * 10 + cost + Math.abs(f - 0.5);
        if (!chosen || c.cost < chosen.cost) chosen = c;
        if (!c.hits) break;
      }
      if (!chosen.hits) break;
    }
    blocked.push(...chosen.boxes);
    return chosen;
  };
}
