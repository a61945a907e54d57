// The drawing's coordinates from Graphviz's layout: the centres spread apart to leave room
// for the numbers on the edges (edge ends stay on their nodes), parallel edges bowed apart.

import { clamp } from "./boxes.js";
import { along, sample } from "./curves.js";

// Graphviz packs ranks tightly; spreading the centres (not the nodes) leaves room for the
// numbers written on the edges. Endpoints of each edge stay attached to their nodes. A graph
// much wider than its box (a long chain) has its ranks spread less, down to SPREAD_X_MIN, so
// that it is drawn bigger; one much taller has its rows spread less.
const SPREAD_X_4 = 1.6; // at four digits; more digits spread further (see draw)
const SPREAD_X_MIN_4 = 1.3;
const SPREAD_Y = 1.5;
const SPREAD_Y_MIN = 1.25;
const SPREAD_Y_MAX = 2.1;
export const MARGIN = { left: 16, top: 30, right: 96, bottom: 40 };

/** How far apart to spread the layout's centres for a box of `aspect` (width / height). */
function spreads(layout, aspect, widen = 1) {
  const SPREAD_X = SPREAD_X_4 * widen, SPREAD_X_MIN = SPREAD_X_MIN_4 * widen;
  let sx = SPREAD_X, sy = SPREAD_Y;
  const mx = MARGIN.left + MARGIN.right, my = MARGIN.top + MARGIN.bottom;
  if (!(aspect > 0) || !layout.width || !layout.height) return [sx, sy];
  const drawn = (layout.width * sx + mx) / (layout.height * sy + my);
  if (drawn > aspect) {
    sx = Math.max(SPREAD_X_MIN, (aspect * (layout.height * sy + my) - mx) / layout.width);
    // Still wider than the box: the height left over spaces the rows further apart (room for
    // the numbers between stacked inputs and their pills), at no cost to the zoom.
    const fill = ((layout.width * Math.min(sx, SPREAD_X) + mx) / aspect - my) / layout.height;
    sy = clamp(fill, SPREAD_Y, SPREAD_Y_MAX);
  } else {
    sy = Math.max(SPREAD_Y_MIN, ((layout.width * sx + mx) / aspect - my) / layout.height);
  }
  return [Math.min(sx, SPREAD_X), Math.min(sy, SPREAD_Y_MAX)];
}

/**
 * The drawing's coordinates from Graphviz's. `pillHalf(id)`: about half the width of node
 * id's pill; the left margin leaves room for it, so that the pill under an input on the left
 * is centred under it rather than pushed into the numbers on its edges.
 */
export function geometry(layout, aspect, right = MARGIN.right, widen = 1, pillHalf = () => 0) {
  const [SX, SY] = spreads(layout, aspect, widen);
  let left = MARGIN.left;
  for (const [id, b] of Object.entries(layout.nodes)) left = Math.max(left, pillHalf(id) + 4 - b.x * SX);
  left = Math.min(left, 90);
  const place = (b) => ({
    x: b.x * SX + left, y: b.y * SY + MARGIN.top, w: b.width, h: b.height, ox: b.x, oy: b.y,
  });
  const nodes = new Map();
  for (const [id, box] of Object.entries(layout.nodes)) {
    const copies = layout.copies?.[id];
    nodes.set(id, (copies && copies.length ? copies : [box]).map(place));
  }
  const edges = layout.edges.map((e) => {
    const src = nodes.get(e.source)[e.copy ?? 0];
    const dst = nodes.get(e.target)[0];
    const n = e.points.length;
    // The first two control points stay attached to the source, the last two (and the
    // arrow's tip) to the target; the ones in between are spread like the centres.
    const pts = e.points.map((p, i) => {
      if (i <= 1) return [p[0] - src.ox + src.x, p[1] - src.oy + src.y];
      if (i >= n - 2) return [p[0] - dst.ox + dst.x, p[1] - dst.oy + dst.y];
      return [p[0] * SX + left, p[1] * SY + MARGIN.top];
    });
    const tip = e.arrow_end ? [e.arrow_end[0] - dst.ox + dst.x, e.arrow_end[1] - dst.oy + dst.y] : null;
    return { ...e, pts, tip, s: sample(pts) };
  });
  bowParallel(edges);
  const width = layout.width * SX + left + right;
  const height = layout.height * SY + MARGIN.top + MARGIN.bottom;
  return { nodes, edges, width, height };
}

const BOW = 15; // parallel edges (x*x) bow apart by this much each side, at their middle

/**
 * Edges side by side between the same two nodes (x*x) leave Graphviz about 10 px apart: too
 * close for a number under each. Their middles are pushed apart along the chord's normal;
 * their ends stay on the nodes.
 */
function bowParallel(edges) {
  const groups = new Map();
  edges.forEach((e) => {
    const key = `${e.source}>${e.target}>${e.copy ?? 0}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  });
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const first = group[0].pts, last = first[first.length - 1];
    const dx = last[0] - first[0][0], dy = last[1] - first[0][1];
    const len = Math.hypot(dx, dy) || 1;
    let nx = -dy / len, ny = dx / len;
    if (ny > 0) { nx = -nx; ny = -ny; } // pointing up the page
    // Each keeps its side of Graphviz's drawing (they never cross): the uppermost goes up most.
    const up = (e) => {
      const p = along(e.s, 0.5);
      return p.x * nx + p.y * ny;
    };
    group.sort((a, b) => up(b) - up(a));
    group.forEach((e, k) => {
      const d = ((group.length - 1) / 2 - k) * 2 * BOW;
      const n = e.pts.length;
      // A cubic moves 3/4 of its control points' shift at its middle.
      const push = n === 4 ? d / 0.75 : d;
      e.pts = e.pts.map((p, i) => (i === 0 || i === n - 1 ? p : [p[0] + nx * push, p[1] + ny * push]));
      e.s = sample(e.pts);
    });
  }
}
