// Draws the graph as SVG from the server's Graphviz layout, then shows any step of the trace
// on it: values above the edges, local derivatives below them, gradients (or tangents) in a
// pill under each node, a pulse travelling along the edge a contribution takes. The drawing
// is built once per structure; a new step or new values only change text and classes.

import { brief, isList, isSummary, listText, shapeOf, shapeText } from "./arrays.js";
import { drawHeatmap, heatmapSize } from "./heatmap.js";

const NS = "http://www.w3.org/2000/svg";
// Graphviz packs ranks tightly; spreading the centres (not the nodes) leaves room for the
// numbers written on the edges. Endpoints of each edge stay attached to their nodes. A graph
// much wider than its box (a long chain) has its ranks spread less, down to SPREAD_X_MIN, so
// that it is drawn bigger; one much taller has its rows spread less.
const SPREAD_X_4 = 1.6; // at four digits; more digits spread further (see draw)
const SPREAD_X_MIN_4 = 1.3;
const SPREAD_Y = 1.5;
const SPREAD_Y_MIN = 1.25;
const SPREAD_Y_MAX = 2.1;
const MARGIN = { left: 16, top: 30, right: 96, bottom: 40 };
// Fitting shows the whole graph on every screen, down to this zoom (a larger one scrolls);
// a reader zooms in by pinching, ctrl+wheel or the + button, and pans by dragging.
const FIT_MIN = 0.2;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", "Noto Sans CJK KR", "Source Han Sans KR", "NanumGothic", sans-serif';
const STUB = 44; // the output's own outgoing arrow, which carries its value
const PILL_H = 19; // a gradient pill of one line; each more line adds PILL_LINE
const PILL_LINE = 14;
const PILL_GAP = 5; // between a node and its pill
const PILL_CELL = 7; // a cell of a gradient's heatmap in its pill, at most
const PILL_GRID_W = 84; // the heatmap in a pill, at most this wide and high
const PILL_GRID_H = 30;


const THEME_VARS = [
  "--g-halo", "--g-edge", "--g-value", "--g-local", "--g-grad", "--g-grad-bg", "--g-grad-text",
  "--g-tangent", "--g-tangent-bg", "--g-tangent-text", "--g-node", "--g-input", "--g-const",
  "--g-stroke", "--g-current", "--g-focus", "--g-text", "--g-muted", "--g-pulse", "--g-bg",
  "--hm-n4", "--hm-n3", "--hm-n2", "--hm-n1", "--hm-0", "--hm-p1", "--hm-p2", "--hm-p3", "--hm-p4", "--hm-nan",
];

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const r1 = (v) => Math.round(v * 10) / 10;

let measureCtx = null;
function textWidth(text, size = 12, weight = 650) {
  if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
  measureCtx.font = `${weight} ${size}px ${FONT}`;
  return measureCtx.measureText(text).width;
}

const widths = new Map(); // text widths by font and text (the same numbers come back often)
function measured(text, size = 12, weight = 650) {
  const key = `${size}/${weight}/${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    if (widths.size > 5000) widths.clear();
    w = textWidth(text, size, weight);
    widths.set(key, w);
  }
  return w;
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
/** The ink of a number written at (x, y), centred on its baseline: digits have no descenders. */
const numberBox = (x, y, w) => ({ x0: x - w / 2, y0: y - 11.5, x1: x + w / 2, y1: y + 3 }); // as the text box is drawn
const rect = (x, y, w, h) => ({ x0: x, y0: y, x1: x + w, y1: y + h });
const hits = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** `place` ({x, y, w, h}) inside the drawing and clear of every box in `boxes`. */
function fits(place, boxes, W, H) {
  const r = rect(place.x, place.y, place.w, place.h);
  if (r.x0 < 0 || r.y0 < 0 || r.x1 > W || r.y1 > H) return false;
  for (const b of boxes) if (hits(r, b)) return false;
  return true;
}

/** How much of the boxes `place` covers: each box counts by the share of it covered. */
function overlaps(place, boxes) {
  const r = rect(place.x, place.y, place.w, place.h);
  let n = 0;
  for (const b of boxes) {
    if (!hits(r, b)) continue;
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
function wrapTerms(text, k) {
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

// --- geometry: the layout, spread apart; each edge sampled for labels and pulses ---------

function cubic(p0, p1, p2, p3, t) {
  const u = 1 - t;
  const a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
  return [a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]];
}

function sample(points) {
  const out = [points[0]];
  for (let i = 0; i + 3 < points.length; i += 3) {
    for (let k = 1; k <= 10; k++) out.push(cubic(points[i], points[i + 1], points[i + 2], points[i + 3], k / 10));
  }
  const lengths = [0];
  for (let i = 1; i < out.length; i++) {
    lengths.push(lengths[i - 1] + Math.hypot(out[i][0] - out[i - 1][0], out[i][1] - out[i - 1][1]));
  }
  return { pts: out, lengths, total: lengths[lengths.length - 1] };
}

/** Point and unit direction at fraction f (0..1) of a sampled path. */
function along(s, f) {
  const target = s.total * Math.max(0, Math.min(1, f));
  let i = 1;
  while (i < s.lengths.length - 1 && s.lengths[i] < target) i++;
  const l0 = s.lengths[i - 1], l1 = s.lengths[i];
  const u = l1 > l0 ? (target - l0) / (l1 - l0) : 0;
  const a = s.pts[i - 1], b = s.pts[i] || a;
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  return { x: a[0] + u * dx, y: a[1] + u * dy, dx: dx / len, dy: dy / len };
}

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
function geometry(layout, aspect, right = MARGIN.right, widen = 1, pillHalf = () => 0) {
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

const LABEL_W_ARRAY = 84; // room for a short array on an edge, such as [1, −2, 0.5]
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

/**
 * Where each edge carries its numbers: its source's value above it, its local derivative
 * below, at the middle of the edge unless that is on a node, under a node (where its pill
 * goes), or on another edge's numbers; then a little before or after the middle, then a
 * little further from the edge. `width(text, size)` measures a number; `texts(e)` gives the
 * numbers the edge will carry and `pillW(id)` the widest pill under node `id`, so that the
 * room kept is the room the numbers take (17 digits included).
 */
function labelSpots(model, geo, { width, texts, pillW, tensor = false }) {
  const blocked = [];
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
        c.hits = c.boxes.reduce((k, a) => k + blocked.filter((b) => hits(a, b)).length + (inside(a) ? 0 : 1), 0);
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

function pathData(pts) {
  let d = `M${r1(pts[0][0])},${r1(pts[0][1])}`;
  for (let i = 1; i + 2 < pts.length; i += 3) {
    d += `C${r1(pts[i][0])},${r1(pts[i][1])} ${r1(pts[i + 1][0])},${r1(pts[i + 1][1])} ${r1(pts[i + 2][0])},${r1(pts[i + 2][1])}`;
  }
  return d;
}

function arrowHead(from, tip, width = 4.2) {
  const dx = tip[0] - from[0], dy = tip[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  const nx = -dy / len * width, ny = dx / len * width;
  return `M${r1(tip[0])},${r1(tip[1])}L${r1(from[0] + nx)},${r1(from[1] + ny)}L${r1(from[0] - nx)},${r1(from[1] - ny)}Z`;
}

// --- the renderer -------------------------------------------------------------------------

export class Renderer {
  /**
   * @param container element the SVG goes into (it scrolls when the graph is large)
   * @param hooks {onHover(id|null, element), onActivate(id)}
   */
  constructor(container, hooks = {}) {
    this.container = container;
    this.hooks = hooks;
    this.svg = null;
    this.key = null;
    this.zoom = 1;
    this.fit = true;
    this.reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
    this._pulseToken = 0;
    this._resize = new ResizeObserver(() => {
      if (this.fit) this.fitToWindow();
    });
    this._resize.observe(container);
    this._gestures();
  }

  /**
   * Move the drawing by hand: drag with the mouse (or pen) to pan, pinch with two fingers or
   * ctrl+wheel (a trackpad's pinch) to zoom about the fingers. One finger scrolls natively
   * (touch-action in page.css), so a page scrolled over the graph still scrolls.
   */
  _gestures() {
    const c = this.container;
    const down = new Map(); // pointer id -> {x, y}
    let drag = null; // {x, y, left, top, moved}
    let pinch = null; // {dist, zoom}
    let swallowClick = false;
    const mid = () => {
      const [a, b] = [...down.values()];
      return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, dist: Math.hypot(a.x - b.x, a.y - b.y) };
    };
    c.addEventListener("pointerdown", (e) => {
      down.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (down.size === 2) {
        drag = null;
        pinch = { dist: Math.max(1, mid().dist), zoom: this.zoom };
      } else if (e.pointerType !== "touch" && e.button === 0) {
        drag = { x: e.clientX, y: e.clientY, left: c.scrollLeft, top: c.scrollTop, moved: false, id: e.pointerId };
      }
    });
    c.addEventListener("pointermove", (e) => {
      if (!down.has(e.pointerId)) return;
      down.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pinch && down.size === 2) {
        const m = mid();
        this.zoomTo(pinch.zoom * (m.dist / pinch.dist), m.x, m.y);
        e.preventDefault();
      } else if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < 5) return; // a click, not a drag
        if (!drag.moved) {
          drag.moved = true;
          c.setPointerCapture?.(e.pointerId);
          c.classList.add("dragging");
        }
        c.scrollLeft = drag.left - dx;
        c.scrollTop = drag.top - dy;
      }
    });
    const up = (e) => {
      down.delete(e.pointerId);
      if (down.size < 2) pinch = null;
      if (drag && drag.id === e.pointerId) {
        swallowClick = drag.moved; // the click that ends a drag does not open a node
        drag = null;
        c.classList.remove("dragging");
      }
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.addEventListener("click", (e) => {
      if (!swallowClick) return;
      swallowClick = false;
      e.stopPropagation();
      e.preventDefault();
    }, true);
    c.addEventListener("wheel", (e) => {
      if (!e.ctrlKey || !this.svg) return; // a plain wheel scrolls
      e.preventDefault();
      this.zoomTo(this.zoom * Math.exp(-e.deltaY / 300), e.clientX, e.clientY);
    }, { passive: false });
  }

  get structureKey() {
    return this.key;
  }

  /**
   * Draw `model`'s graph at `layout`; nothing is redrawn if the structure is unchanged.
   * `outText`: the output's value as written beside it ("f = 2.079"), kept room for.
   */
  draw(model, layout, { outText = "", number = "" } = {}) {
    const right = Math.max(MARGIN.right, Math.ceil((measured(outText, 12.5, 600) + 14) / 16) * 16);
    // `number`: a typical number at the chosen digits (−0.6666667). Longer numbers than the
    // four digits' −0.6667 spread the ranks further apart, so that they fit along the edges.
    const widen = Math.round(10 * Math.max(1, measured(number, 12.5, 600) / measured("−0.6667", 12.5, 600))) / 10;
    const key = `${model.structureKey}|${right}|${widen}`;
    if (this.key === key && this.svg) {
      this.model = model;
      return false;
    }
    this.model = model;
    this.key = key;
    const room = this._room();
    // The rows may spread into height the screen shows below the graph's top, not more: the
    // player under the drawing stays on screen as the page opens.
    const c = this.container.getBoundingClientRect();
    const card = this.container.closest(".graph-card")?.getBoundingClientRect();
    const below = card ? card.bottom - c.bottom : 0;
    const seen = window.innerHeight - (c.top + window.scrollY) - below - 28;
    const spreadH = seen >= 220 ? Math.min(room.h, seen) : room.h;
    // An input's pill "∂f/∂x1 = −0.5898", at six digits (the digits chosen later only move labels).
    const out = model.dname(model.outputId);
    this.geo = geometry(layout, room.w / spreadH, right, widen, (id) => {
      const n = model.nodes.get(id);
      if (n?.kind !== "var" || typeof n.grad !== "number") return 0;
      return (measured(`∂${out}/∂${model.dname(id)} = −0.00000`) + 16) / 2;
    });
    this._build();
    this.cache = new Map();
    this.fit = true;
    this.fitToWindow();
    return true;
  }

  clear() {
    this.container.replaceChildren();
    this.svg = null;
    this.key = null;
  }

  _build() {
    const { model, geo } = this;
    const svg = el("svg", {
      class: "graph-svg", xmlns: NS, viewBox: `0 0 ${r1(geo.width)} ${r1(geo.height)}`, role: "group",
    });
    const edgeLayer = el("g", { class: "edges" }, svg);
    const nodeLayer = el("g", { class: "nodes" }, svg);
    this.pulseLayer = el("g", { class: "pulses", "aria-hidden": "true" }, svg);

    this.edgeEls = new Map();
    // In a tensor graph an edge opens its Jacobian (eq. 6.46): it is a button.
    this.tensor = model.graph.nodes.some((n) => n.shape?.length);
    const pairs = new Set();
    geo.edges.forEach((e, i) => {
      const id = model.graph.edges[i]?.id ?? `e${i}`;
      const g = el("g", { class: "edge pending", "data-id": id, "aria-hidden": "true" }, edgeLayer);
      const last = e.pts[e.pts.length - 1];
      if (this.tensor) {
        g.removeAttribute("aria-hidden");
        Object.entries({ tabindex: "0", role: "button", "aria-haspopup": "dialog" }).forEach(([k, v]) => g.setAttribute(k, v));
        el("path", { class: "hit", d: pathData(e.pts) }, g);
        const open = () => this.hooks.onEdge?.(id, g);
        g.addEventListener("click", open);
        g.addEventListener("keydown", (ev) => {
          if (ev.key !== "Enter" && ev.key !== " ") return;
          ev.preventDefault();
          ev.stopPropagation();
          open();
        });
      }
      el("path", { class: "wire", d: pathData(e.pts) + (e.tip ? "" : "") }, g);
      if (e.tip) el("path", { class: "arrow", d: arrowHead(last, e.tip) }, g);
      // Edges side by side from one node into another (x*x) carry the same value: write it once.
      const pair = `${e.source}>${e.target}>${e.copy ?? 0}`;
      const sameValue = pairs.has(pair);
      pairs.add(pair);
      // Placed by _placeLabels once the numbers' widths are known (they depend on the digits).
      const v = el("text", { class: "vlabel fade" }, g);
      const l = el("text", { class: "llabel fade" }, g);
      this.edgeEls.set(id, { g, v, l, e, s: e.s, source: e.source, target: e.target, sameValue });
    });

    this.nodeEls = new Map();
    for (const n of model.graph.nodes) {
      const boxes = geo.nodes.get(n.id);
      if (!boxes) continue;
      const kind = n.kind === "var" ? "input" : n.kind;
      const refs = [];
      boxes.forEach((b, copy) => {
        const g = el("g", {
          class: `node ${kind} pending${n.id === model.outputId ? " output" : ""}`,
          "data-id": n.id, "data-name": model.name(n.id), "data-copy": copy,
          tabindex: copy === 0 ? "0" : "-1", role: "button",
        }, nodeLayer);
        if (kind === "op") {
          el("ellipse", { class: "shape", cx: r1(b.x), cy: r1(b.y), rx: r1(b.w / 2), ry: r1(b.h / 2) }, g);
        } else {
          el("rect", {
            class: "shape", x: r1(b.x - b.w / 2), y: r1(b.y - b.h / 2), width: r1(b.w), height: r1(b.h),
            rx: kind === "input" ? 9 : 3,
          }, g);
        }
        const label = el("text", { class: "label", x: r1(b.x), y: r1(b.y) }, g);
        label.textContent = kind === "input" ? n.name : n.label;
        const heat = n.shape?.length ? this._tensorNode(g, label, n, b, kind) : null;
        let tag = null;
        if (kind === "op" && (n.name || model.generated(n.id) || model.graph.outputs?.includes(n.id))) {
          tag = model.name(n.id);
          el("text", { class: "tag", x: r1(b.x), y: r1(b.y - b.h / 2 - 6) }, g).textContent = tag;
        } else if (kind === "op" && model.short(n.id) === n.id) {
          // Called by its id where space is short (the paths view): the id shows while it is lit.
          el("text", { class: "tag ref", x: r1(b.x), y: r1(b.y - b.h / 2 - 6) }, g).textContent = n.id;
        }
        const pill = el("g", { class: "pill grad fade" }, g);
        const rect = el("rect", { x: r1(b.x), y: r1(b.y + b.h / 2 + 5), height: PILL_H, rx: PILL_H / 2, width: 0 }, pill);
        const text = el("text", { x: r1(b.x), y: r1(b.y + b.h / 2 + 5 + PILL_H / 2) }, pill);
        const pillHeat = el("g", { class: "heatmap grad" }, pill);
        refs.push({ g, pill, rect, text, pillHeat, heat, box: b, id: n.id, tag, lines: null, place: null });
        g.addEventListener("pointerenter", () => this._hover(n.id, g));
        g.addEventListener("pointerleave", () => this._hover(null, g));
        g.addEventListener("focus", () => this._hover(n.id, g));
        g.addEventListener("blur", () => this._hover(null, g));
        g.addEventListener("click", () => this.hooks.onActivate?.(n.id));
      });
      this.nodeEls.set(n.id, refs);
    }

    // The output's value rides on a short arrow of its own, like every other value.
    const out = geo.nodes.get(model.outputId)?.[0];
    if (out) {
      const g = el("g", { class: "edge output-edge pending", "aria-hidden": "true" }, edgeLayer);
      const x0 = out.x + out.w / 2, x1 = x0 + STUB;
      el("path", { class: "wire", d: `M${r1(x0)},${r1(out.y)}L${r1(x1 - 7)},${r1(out.y)}` }, g);
      el("path", { class: "arrow", d: arrowHead([x1 - 7, out.y], [x1, out.y]) }, g);
      const v = el("text", { class: "vlabel fade", x: r1(x0 + STUB / 2 + 4), y: r1(out.y - 7) }, g);
      v.style.textAnchor = "start";
      v.setAttribute("x", r1(x0 + 4));
      this.outputEdge = { g, v };
    } else {
      this.outputEdge = null;
    }

    this.svg = svg;
    this._path = null;
    this._labelKey = null;
    this.container.replaceChildren(svg);
  }

  /**
   * Where every edge writes its numbers, for numbers written by `f` (the chosen digits): the
   * room kept for each is the width of the widest number it will carry (its final value and
   * local derivative), and the room under each node that of its final pill.
   */
  _placeLabels(f) {
    const { model, geo } = this;
    const out = model.dname(model.outputId);
    const num = (v) => (v === null || v === undefined || isList(v) || isSummary(v) ? "" : f(v));
    const graphEdges = new Map(model.graph.edges.map((e) => [e.id, e]));
    const spot = labelSpots(model, geo, {
      tensor: this.tensor,
      width: (text, size) => measured(text, size, 600),
      texts: (e) => e.texts,
      pillW: (id) => {
        const n = model.nodes.get(id);
        const g = num(n?.grad);
        if (!g) return { w: 0, h: PILL_H };
        const name = n.kind === "var" ? `∂${out}/∂${model.dname(id)} = ` : "";
        // A node feeding several others shows its sum as it is made, on two lines.
        const terms = (model.outEdges?.get(id) ?? model.graph.edges.filter((e) => e.source === id))
          .map((e) => num(e.contribution)).filter(Boolean);
        if (terms.length > 1) {
          const text = `${name}${terms.join(" + ")} = ${g}`;
          const lines = wrapTerms(text, 2);
          return { w: Math.max(...lines.map((line) => measured(line))) + 16, h: PILL_H + PILL_LINE * (lines.length - 1) };
        }
        return { w: measured(`${name}${g}`) + 16, h: PILL_H };
      },
    });
    for (const [id, r] of this.edgeEls) {
      const src = model.nodes.get(r.source);
      const ge = graphEdges.get(id);
      // A tensor edge without a local derivative shows "VJP" there (see update).
      const local = ge && ge.local !== null && ge.local !== undefined ? brief(ge.local, f) : this.tensor ? "VJP" : "";
      r.e.texts = { value: num(src?.value), local };
      const withValue = !r.sameValue && !isList(src?.value) && !isSummary(src?.value);
      const { vx, vy, lx, ly } = spot(r.e, withValue);
      Object.assign(r, { vx, vy, lx, ly });
      r.v.setAttribute("x", r1(vx));
      r.v.setAttribute("y", r1(vy));
      r.l.setAttribute("x", r1(lx));
      r.l.setAttribute("y", r1(ly));
    }
  }

  /**
   * A tensor node: its name on the left with its shape ("2×3") under it, and room on the
   * right for the heatmap of its value (when the server sends its elements). The node's box
   * is the server's; everything stays inside it.
   */
  _tensorNode(g, label, n, b, kind) {
    const ellipse = kind === "op";
    const cells = isList(n.value);
    const lx = cells ? b.x - b.w * (ellipse ? 0.2 : 0.22) : b.x;
    label.setAttribute("x", r1(lx));
    label.setAttribute("y", r1(b.y - 5));
    const room = cells ? b.w * (ellipse ? 0.34 : 0.42) : b.w * 0.8;
    const size = Math.min(16, (16 * room) / Math.max(1, measured(label.textContent, 16)));
    if (size < 16) label.style.fontSize = `${r1(Math.max(9, size))}px`;
    el("text", { class: "shape-text", x: r1(lx), y: r1(b.y + 10) }, g).textContent = shapeText(n.shape);
    if (!cells) return null;
    const area = ellipse
      ? { x0: b.x - 1, x1: b.x + b.w * 0.32, y0: b.y - b.h * 0.33, y1: b.y + b.h * 0.33 }
      : { x0: b.x + 2, x1: b.x + b.w / 2 - 5, y0: b.y - b.h / 2 + 5, y1: b.y + b.h / 2 - 5 };
    return { g: el("g", { class: "heatmap value" }, g), area };
  }

  /**
   * Light up one path of the chain rule ({edges, nodes}: ids) and dim everything else;
   * null puts the drawing back. The step's own classes are kept.
   */
  highlight(path) {
    if (!this.svg) return;
    const edges = new Set(path?.edges ?? []);
    const nodes = new Set(path?.nodes ?? []);
    this._path = path ? { edges, nodes } : null;
    this.svg.classList.toggle("tracing", !!path);
    for (const [id, r] of this.edgeEls) {
      r.g.classList.toggle("on-path", edges.has(id));
      this.cache?.delete(`${id}.cls`); // update() writes the whole class: let it add on-path
    }
    for (const [id, refs] of this.nodeEls) {
      for (const r of refs) r.g.classList.toggle("on-path", nodes.has(id));
    }
  }

  _hover(id, g) {
    if (this._hovered) this._hovered.classList.remove("hover");
    this._hovered = id ? g : null;
    if (id) g.classList.add("hover");
    this.hooks.onHover?.(id, g);
  }

  /** Set an attribute or text only when it changed (cheap steps on large graphs). */
  _set(key, value, apply) {
    if (this.cache.get(key) === value) return;
    this.cache.set(key, value);
    apply(value);
  }

  /**
   * Show the step `snap` (from timeline.snapshot). `f` formats a number; `focus` is
   * {nodes, edges} of the current event; `phase` "forward" | "backward" | "tangent".
   */
  update(snap, f, focus, { nodeLabel, edgeLabel, full = String, animate = false, tangentVar = "x" } = {}) {
    if (!this.svg) return;
    // Only a single step forward fades in; jumps, steps back and new values show at once.
    this.svg.classList.toggle("still", !animate || this.reducedMotion.matches);
    const { model } = this;
    const focusNodes = new Set(focus.nodes);
    const focusEdges = new Set(focus.edges);
    const ev = snap.current;
    const phaseClass = snap.phase === "backward" ? "bw" : snap.phase === "tangent" ? "tg" : "fw";
    const out = model.dname(model.outputId);
    let pillsChanged = false;
    let labelsChanged = false;
    const labelKey = `${f(Math.PI)}|${f(-1 / 3)}`; // the digits, as the numbers show them
    if (labelKey !== this._labelKey) {
      this._labelKey = labelKey;
      this._placeLabels(f);
      labelsChanged = true;
      for (const refs of this.nodeEls.values()) for (const r of refs) r.place = null;
      pillsChanged = true;
    }

    for (const [id, refs] of this.nodeEls) {
      const st = snap.nodes.get(id);
      const n = model.nodes.get(id);
      const computed = st && st.value !== null;
      let pillText = "";
      let pillKind = "grad";
      let pillGrid = null;
      const shown = st && st.tangent !== null ? st.tangent : st && st.grad !== null ? st.grad : null;
      if (st && st.tangent !== null) pillKind = "tangent";
      if (isList(shown) || isSummary(shown)) {
        // An array: its heatmap, with the numbers when there are few of them.
        pillGrid = isList(shown) ? shown : null;
        const few = isList(shown) && shapeOf(shown).length === 1 && shown.length <= 4;
        pillText = isSummary(shown) ? `(${shapeText(shown.shape)}) \u2016\u00b7\u2016 = ${f(shown.norm)}`
          : few ? listText(shown, f) : "";
      } else if (st && st.tangent !== null) {
        pillText = f(st.tangent);
      } else if (st && st.grad !== null) {
        const showSum = ev && ev.type === "accumulate" && ev.node === id && st.terms.length > 1;
        pillText = showSum ? `${st.terms.map((x) => f(x.value)).join(" + ")} = ${f(st.grad)}` : f(st.grad);
      }
      if ((pillText || pillGrid) && n.kind === "var") {
        const x = model.dname(id);
        const d = pillKind === "grad" ? `∂${out}/∂${x}` : `∂${x}/∂${tangentVar}`;
        pillText = `${d} =${pillText ? ` ${pillText}` : ""}`;
      }
      const pillKey = `${pillText}|${pillGrid ? JSON.stringify(pillGrid) : ""}`;
      const heatKey = computed && isList(st.value) ? JSON.stringify(st.value) : "";
      const current = focusNodes.has(id);
      refs.forEach((r, copy) => {
        const k = `${id}.${copy}`;
        this._set(`${k}.pending`, !computed, (v) => r.g.classList.toggle("pending", v));
        this._set(`${k}.current`, current, (v) => r.g.classList.toggle("current", v));
        const known = !!(pillText || pillGrid);
        this._set(`${k}.pk`, pillKind, (v) => r.pill.setAttribute("class", `pill ${v} fade${known ? " known" : ""}`));
        this._set(`${k}.pill`, pillKey, () => {
          r.pill.classList.toggle("known", known);
          r.pillText = pillText;
          r.pillGrid = pillGrid;
          r.place = null;
          pillsChanged = true;
        });
        if (r.heat) this._set(`${k}.heat`, heatKey, (key) => this._drawValueHeat(r.heat, key ? st.value : null, full));
        r.current = current;
        if (copy === 0 && nodeLabel) this._set(`${k}.aria`, nodeLabel(id, st), (v) => r.g.setAttribute("aria-label", v));
      });
    }

    for (const [id, r] of this.edgeEls) {
      const src = snap.nodes.get(r.source);
      const est = snap.edges.get(id);
      // An array's value is drawn in its node (heatmap and shape), not written on the edge.
      const value = src && src.value !== null ? (isList(src.value) || isSummary(src.value) ? "" : f(src.value)) : "";
      const local = est && est.local !== null ? brief(est.local, f) : est?.vjp ? "VJP" : "";
      if (edgeLabel && this.tensor) this._set(`${id}.aria`, edgeLabel(id), (v) => r.g.setAttribute("aria-label", v));
      const written = r.sameValue ? "" : value; // the edge beside it has it
      this._set(`${id}.v`, written, (text) => {
        r.v.textContent = text;
        r.v.classList.toggle("known", !!text);
        labelsChanged = true;
      });
      this._set(`${id}.l`, local, (text) => {
        r.l.textContent = text;
        r.l.classList.toggle("known", !!text);
        labelsChanged = true;
      });
      let cls = "edge";
      if (!(src && src.value !== null)) cls += " pending";
      if (est && est.contribution !== null) cls += " carried";
      if (est && est.term !== null) cls += " termed";
      if (focusEdges.has(id)) cls += ` current ${phaseClass}`;
      if (this._path?.edges.has(id)) cls += " on-path";
      this._set(`${id}.cls`, cls, (c) => r.g.setAttribute("class", c));
    }

    // A sum pill keeps clear of the numbers on the edges too, so it moves when they change.
    if (pillsChanged || (labelsChanged && this._sumShown)) this._placePills();

    if (this.outputEdge) {
      const st = snap.nodes.get(model.outputId);
      const value = st && st.value !== null ? `${out} = ${brief(st.value, f, 4)}` : "";
      this._set("out.v", value, (text) => {
        this.outputEdge.v.textContent = text;
        this.outputEdge.v.classList.toggle("known", !!text);
        this.outputEdge.g.classList.toggle("pending", !text);
      });
    }
  }

  /** The value's heatmap inside its node, centred in the room the node left for it. */
  _drawValueHeat(heat, value, full) {
    if (value === null) {
      heat.g.replaceChildren();
      return;
    }
    const a = heat.area;
    const s = heatmapSize(value, a.x1 - a.x0, a.y1 - a.y0, 9);
    const x = (a.x0 + a.x1) / 2 - s.w / 2, y = (a.y0 + a.y1) / 2 - s.h / 2;
    drawHeatmap(heat.g, value, { x, y, cell: s.cell, kind: "value", full });
  }

  /** A pill's size for its text on `lines`, and its gradient's heatmap beside the text. */
  _pillSize(r, lines) {
    const tw = Math.max(0, ...lines.map((line) => (line ? measured(line) : 0)));
    if (!r.pillGrid) return { w: tw + 16, h: PILL_H + PILL_LINE * (lines.length - 1), tw };
    const hs = heatmapSize(r.pillGrid, PILL_GRID_W, PILL_GRID_H, PILL_CELL);
    return { w: tw + (tw ? 6 : 0) + hs.w + 14, h: Math.max(PILL_H, hs.h + 6), tw, hs };
  }

  // --- pills: a gradient (or tangent) under each node, never over another pill or a node ---

  /**
   * Place every pill: under its node where there is room (nearly always), else the nearest
   * free place: moved sideways, wrapped onto two or three lines (a long fan-out sum), a row
   * lower, or above the node. Pills and nodes are never covered; a sum also keeps clear of
   * the numbers on the edges where it can. Same step, same places.
   */
  _placePills() {
    const W = this.geo.width, H = this.geo.height;
    const hard = []; // node shapes, their names above them, and pills already placed
    for (const refs of this.nodeEls.values()) {
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
    for (const refs of this.nodeEls.values()) {
      for (const r of refs) if (r.pillText || r.pillGrid) pills.push(r);
    }
    const isSum = (r) => / \+ .* = /.test(r.pillText);
    this._sumShown = pills.some(isSum);
    // Narrow pills first, where they belong; a long sum last, around them.
    const order = pills.map((r) => ({ r, w: this._pillSize(r, [r.pillText]).w, sum: isSum(r) }))
      .sort((a, b) => (a.sum - b.sum) || (a.w - b.w));
    const soft = this._labelBoxes();
    const home = (r) => {
      const b = r.box;
      const one = { lines: [r.pillText], ...this._pillSize(r, [r.pillText]) };
      return { ...one, x: clamp(b.x - one.w / 2, 2, W - one.w - 2), y: b.y + b.h / 2 + PILL_GAP };
    };
    // First every pill that fits under its node without hiding an edge's number; then the
    // rest (sums, heatmaps, pills in the way) at the nearest place that is free.
    const later = [];
    for (const item of order) {
      const place = home(item.r);
      if (!item.sum && !item.r.pillGrid && fits(place, hard, W, H) && overlaps(place, soft) === 0) {
        hard.push(rect(place.x, place.y, place.w, place.h));
        this._drawPill(item.r, place);
      } else {
        later.push(item);
      }
    }
    for (const { r, sum } of later) {
      const best = this._bestPlace(r, sum, hard, soft, W, H) ?? home(r);
      hard.push(rect(best.x, best.y, best.w, best.h));
      this._drawPill(r, best);
    }
  }

  /**
   * Boxes of the numbers on the edges (values, local derivatives), showing or still to come:
   * a pill keeps its place from step to step.
   */
  _labelBoxes() {
    const boxes = [];
    for (const r of this.edgeEls.values()) {
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
  _bestPlace(r, sum, hard, soft, W, H) {
    const b = r.box;
    const layouts = [{ lines: [r.pillText] }];
    if (sum) layouts.push(...[2, 3].map((k) => ({ lines: wrapTerms(r.pillText, k) })).filter((l) => l.lines.length > 1));
    let best = null;
    for (const [k, layout] of layouts.entries()) {
      const { w, h } = this._pillSize(r, layout.lines);
      const below = b.y + b.h / 2 + PILL_GAP;
      const above = b.y - b.h / 2 - PILL_GAP - h - (r.tag ? 15 : 0);
      const rows = [[below, 0], [below + PILL_H + 3, 9], [above, 11], [below + 2 * (PILL_H + 3), 18], [above - PILL_H - 3, 20]];
      for (const [y, rowCost] of rows) {
        for (const shift of [0, -0.25, 0.25, -0.42, 0.42]) {
          const x = clamp(b.x - w / 2 + shift * w, 2, W - w - 2);
          // Still under (or over) its node: the pill spans the node's centre.
          if (x > b.x - 6 || x + w < b.x + 6) continue;
          const place = { lines: layout.lines, w, h, x, y };
          if (!fits(place, hard, W, H)) continue;
          // A heatmap pill is wide: it moves rather than hide the numbers on an edge.
          const covered = overlaps(place, soft);
          const soft12 = (r.pillGrid ? 60 : 12) * covered + (covered > 0 ? 8 : 0);
          const cost = rowCost + k * 6 + Math.abs(x + w / 2 - b.x) / w * 4 + soft12;
          if (!best || cost < best.cost) best = { ...place, cost };
        }
      }
      if (best && best.cost === 0) break;
    }
    return best;
  }

  _drawPill(r, place) {
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
      const { tw, hs } = this._pillSize(r, place.lines);
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
      const span = el("tspan", { x: cx, dy: i ? PILL_LINE : 0 });
      span.textContent = i < place.lines.length - 1 ? `${line} ` : line;
      return span;
    }));
  }

  /**
   * A dot carrying `label` along edge `id`: backwards (target to source) for a gradient's
   * contribution, forwards for a tangent's term. Skipped when motion is reduced.
   */
  pulse(id, { backwards, label, duration = 600, kind = "grad" }) {
    this.stopPulse();
    const r = this.edgeEls?.get(id);
    if (!r || this.reducedMotion.matches || duration < 60) return;
    const token = ++this._pulseToken;
    const g = el("g", { class: `pulse ${kind}` }, this.pulseLayer);
    const dot = el("circle", { r: 6 }, g);
    const text = el("text", {}, g);
    text.textContent = label;
    const start = performance.now();
    const frame = (now) => {
      if (token !== this._pulseToken) return;
      const u = Math.min(1, (now - start) / duration);
      const eased = u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2;
      const p = along(r.s, backwards ? 1 - eased : eased);
      dot.setAttribute("cx", r1(p.x));
      dot.setAttribute("cy", r1(p.y));
      text.setAttribute("x", r1(p.x));
      text.setAttribute("y", r1(p.y - 11));
      if (u < 1) requestAnimationFrame(frame);
      else g.remove();
    };
    requestAnimationFrame(frame);
  }

  stopPulse() {
    this._pulseToken++;
    this.pulseLayer?.replaceChildren();
  }

  // --- zoom -------------------------------------------------------------------------

  _applyZoom() {
    if (!this.svg) return;
    this.svg.setAttribute("width", r1(this.geo.width * this.zoom));
    this.svg.setAttribute("height", r1(this.geo.height * this.zoom));
  }

  /**
   * The room the drawing may take: the container's width, and a height that leaves the rest
   * of the graph's card (toolbar, narration, player) on screen with it.
   */
  _room() {
    const w = Math.max(100, this.container.clientWidth - 8);
    const card = this.container.closest(".graph-card");
    const around = card ? card.offsetHeight - this.container.offsetHeight : 0;
    const h = Math.max(220, Math.min(window.innerHeight * 0.78, window.innerHeight - around - 24));
    return { w, h };
  }

  /** Zoom so that all of the graph fits the room there is (down to FIT_MIN). */
  fitToWindow() {
    if (!this.svg) return;
    const room = this._room();
    let z = Math.min(room.w / this.geo.width, room.h / this.geo.height, 2.4);
    z = Math.max(z, FIT_MIN);
    this.zoom = z;
    this.fit = true;
    this._applyZoom();
  }

  zoomBy(factor) {
    const box = this.container.getBoundingClientRect();
    this.zoomTo(this.zoom * factor, box.left + box.width / 2, box.top + box.height / 2);
  }

  /** Zoom to `zoom`, keeping the drawing's point under (clientX, clientY) where it is. */
  zoomTo(zoom, clientX, clientY) {
    if (!this.svg) return;
    const c = this.container;
    const before = this.svg.getBoundingClientRect();
    const u = (clientX - before.left) / this.zoom, v = (clientY - before.top) / this.zoom;
    this.zoom = Math.max(FIT_MIN, Math.min(4, zoom));
    this.fit = false;
    this._applyZoom();
    const after = this.svg.getBoundingClientRect();
    c.scrollLeft += after.left + u * this.zoom - clientX;
    c.scrollTop += after.top + v * this.zoom - clientY;
  }

  /** Scroll so that node `id` is visible (large graphs). */
  reveal(id) {
    const refs = this.nodeEls?.get(id);
    const c = this.container;
    if (!refs || (c.scrollWidth <= c.clientWidth && c.scrollHeight <= c.clientHeight)) return;
    const b = refs[0].box;
    const x = b.x * this.zoom, y = b.y * this.zoom;
    if (x < c.scrollLeft + 40 || x > c.scrollLeft + c.clientWidth - 40) c.scrollLeft = x - c.clientWidth / 2;
    if (y < c.scrollTop + 40 || y > c.scrollTop + c.clientHeight - 40) c.scrollTop = y - c.clientHeight / 2;
  }

  // --- export -----------------------------------------------------------------------

  /**
   * A standalone SVG document of the current view: the drawing's stylesheet (`css`, the
   * text of graph.css) and the theme's colours written in, no animation.
   */
  exportSvg(css) {
    if (!this.svg) return null;
    const clone = this.svg.cloneNode(true);
    clone.querySelector(".pulses")?.replaceChildren();
    for (const g of clone.querySelectorAll(".hover")) g.classList.remove("hover");
    for (const g of clone.querySelectorAll(".on-path")) g.classList.remove("on-path");
    clone.classList.remove("tracing");
    clone.removeAttribute("role");
    clone.removeAttribute("aria-label");
    clone.setAttribute("width", r1(this.geo.width * 2));
    clone.setAttribute("height", r1(this.geo.height * 2));
    const cs = getComputedStyle(this.svg);
    const vars = THEME_VARS.map((v) => `${v}: ${cs.getPropertyValue(v).trim()};`).join(" ");
    const bg = cs.getPropertyValue("--g-bg").trim() || "#ffffff";
    const stylesheet = `.graph-svg { ${vars} }\n${css.replace(/transition:[^;}]*;?/g, "")}`;
    let text = new XMLSerializer().serializeToString(clone);
    // Inserted as text: the page's Content-Security-Policy forbids inline styles in it.
    const open = text.indexOf(">") + 1;
    text = `${text.slice(0, open)}<style>${escapeXml(stylesheet)}</style>`
      + `<rect width="100%" height="100%" fill="${escapeXml(bg)}"/>${text.slice(open)}`;
    return `<?xml version="1.0" encoding="UTF-8"?>\n${text}`;
  }

  get size() {
    return this.geo ? { width: this.geo.width, height: this.geo.height } : null;
  }
}

function escapeXml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
