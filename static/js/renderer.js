// Draws the graph as SVG from the server's Graphviz layout, then shows any step of the trace
// on it: values above the edges, local derivatives below them, gradients (or tangents) in a
// pill under each node, a pulse travelling along the edge a contribution takes. The drawing
// is built once per structure; a new step or new values only change text and classes.
// The geometry (geometry.js, curves.js), the places of numbers (edge-labels.js) and pills
// (pills.js), zoom (zoom.js) and pulses (pulse.js) each live in their own module.

import { brief, isList, isSummary, listText, shapeOf, shapeText } from "./arrays.js";
import { arrowHead, pathData, r1 } from "./curves.js";
import { SVG_NS, svg as el } from "./dom.js";
import { labelSpots } from "./edge-labels.js";
import { MARGIN, geometry } from "./geometry.js";
import { drawHeatmap, heatmapSize } from "./heatmap.js";
import { measured } from "./measure.js";
import { PILL_H, PILL_LINE, placePills } from "./pills.js";
import { Pulse } from "./pulse.js";
import { wrapTerms } from "./boxes.js";
import { Zoom } from "./zoom.js";

const STUB = 44; // the output's own outgoing arrow, which carries its value
const SEEN_MIN = 220; // the flattest box the rows are fitted to (px high)
// Numbers are written at 12-12.5 px and names at 12-16: below this zoom they are under 4 px on
// screen, which no one reads. A large drawing (MANY nodes: thousands of texts) shown so small
// has its shapes and wires only; its texts and pills are made (and placed) once it is zoomed
// past this. A 500-node graph, fitted at 0.2, reached the screen in half the time
// (benchmarks/README.md, session 12). A small one keeps its tiny texts: they cost little, and
// its pills' colours and heatmaps still tell at a glance where the gradient has come.
const LEGIBLE = 0.3;
const MANY = 150;

export class Renderer {
  /**
   * @param container element the SVG goes into (it scrolls when the graph is large)
   * @param hooks {onHover(id|null, element), onActivate(id), onEdge(id, element), onEdgeHover(id|null),
   *   onLegible(yes): the drawing's texts became legible at its zoom, or too small to read}
   */
  constructor(container, hooks = {}) {
    this.container = container;
    this.hooks = hooks;
    this.svg = null;
    this.key = null;
    this.view = new Zoom(container, (zoom) => this._zoomed(zoom));
    this.pulses = new Pulse();
  }

  /** The drawing's zoom (1: its own units). */
  get zoom() {
    return this.view.zoom;
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
    // The drawing's shape: the structure without its labels, and the layout it was placed at
    // (the server lays out by ids, kinds and edges: a digit typed keeps the same places).
    const shape = `${model.shapeKey}|${tagsKey(model)}|${layoutKey(layout)}|${widen}`;
    const key = `${shape}|${right}`;
    if (this.key === key && this.svg) {
      this.model = model;
      if (this.labelsKey !== model.structureKey) this._relabel();
      return false;
    }
    if (this.shape === shape && this.svg) {
      // Only the room for the output's value changed (f = 9.9 → 10.1): the drawing is wider
      // or narrower on the right, its elements stay; the numbers and pills are placed again.
      this.model = model;
      this.key = key;
      this.geo.width += right - this.right;
      this.right = right;
      this.svg.setAttribute("viewBox", `0 0 ${r1(this.geo.width)} ${r1(this.geo.height)}`);
      this.view.resize(this.size);
      this._labelKey = null;
      if (this.labelsKey !== model.structureKey) this._relabel();
      return false;
    }
    this.model = model;
    this.key = key;
    this.shape = shape;
    this.right = right;
    this.labelsKey = model.structureKey;
    const room = this.view.room();
    // The rows may spread into height the screen shows below the graph's top, not more: the
    // player under the drawing stays on screen as the page opens.
    // (To the player's bottom: the legend and the notes under it may go below the fold.)
    const c = this.container.getBoundingClientRect();
    const player = this.container.closest(".graph-card")?.querySelector(".player")?.getBoundingClientRect();
    const below = player ? player.bottom - c.bottom : 0;
    const seen = window.innerHeight - (c.top + window.scrollY) - below - 16;
    this.fittedTop = c.top + window.scrollY; // where the drawing was fitted (a test reads it)
    // Continuous in `seen`: a page whose graph starts lower gets a flatter drawing, never a
    // taller one (a jump to the whole room put the player 200 px below a laptop's screen).
    const spreadH = Math.min(room.h, Math.max(seen, SEEN_MIN));
    // An input's pill "∂f/∂x1 = −0.5898", at six digits (the digits chosen later only move labels).
    const out = model.dname(model.outputId);
    this.geo = geometry(layout, room.w / spreadH, right, widen, (id) => {
      const n = model.nodes.get(id);
      if (n?.kind !== "var" || typeof n.grad !== "number") return 0;
      return (measured(`∂${out}/∂${model.dname(id)} = −0.00000`) + 16) / 2;
    });
    this._build();
    this.cache = new Map();
    // The room read above, before the new drawing went in: reading it again now would lay
    // the whole new page out before its first frame. Fitted before it goes in, so that its
    // texts, when legible at that zoom, are made while it is out of the page.
    this.view.attach(this.svg, this.size, room);
    this.container.replaceChildren(this.svg);
    return true;
  }

  /**
   * Same drawing, other labels (a digit typed into a constant, sin → cos): the node's text,
   * its name above it and in its data, changed in place; the numbers follow in update().
   */
  _relabel() {
    const { model } = this;
    this.labelsKey = model.structureKey;
    for (const [id, refs] of this.nodeEls) {
      const n = model.nodes.get(id);
      const text = n.kind === "var" ? n.name : n.label;
      const name = model.name(id);
      for (const r of refs) {
        if (r.label && r.label.textContent !== text) r.label.textContent = text;
        if (r.g.dataset.name !== name) r.g.dataset.name = name;
        if (r.tag && r.tag !== name) {
          r.tag = name;
          if (r.tagEl) r.tagEl.textContent = name;
          this._labelKey = null; // the numbers keep clear of names: placed again for the new width
        }
      }
    }
  }

  _legible(yes) {
    if (yes === this._isLegible) return;
    this._isLegible = yes;
    this.hooks.onLegible?.(yes);
  }

  clear() {
    this._legible(true);
    this.container.replaceChildren();
    this.svg = null;
    this.key = null;
    this.shape = null;
    this.view.attach(null, null);
  }

  _build() {
    const { model, geo } = this;
    const svg = el("svg", {
      class: "graph-svg", xmlns: SVG_NS, viewBox: `0 0 ${r1(geo.width)} ${r1(geo.height)}`, role: "group",
    });
    const edgeLayer = el("g", { class: "edges" }, svg);
    const nodeLayer = el("g", { class: "nodes" }, svg);
    this.pulses.layer = el("g", { class: "pulses", "aria-hidden": "true" }, svg);

    this.edgeEls = new Map();
    // In a tensor graph an edge opens its Jacobian (eq. 6.46): it is a button.
    this.tensor = model.graph.nodes.some((n) => n.shape?.length);
    const pairs = new Set();
    geo.edges.forEach((e, i) => {
      const id = model.graph.edges[i]?.id ?? `e${i}`;
      const g = el("g", { class: "edge pending", "data-id": id, "aria-hidden": "true" }, edgeLayer);
      const last = e.pts[e.pts.length - 1];
      // Pointing at an edge (its numbers, its wire) lights its term in the derivation.
      g.addEventListener("pointerenter", () => this.hooks.onEdgeHover?.(id));
      g.addEventListener("pointerleave", () => this.hooks.onEdgeHover?.(null));
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
      // Its numbers' texts are made by _buildTexts, placed by _placeLabels.
      this.edgeEls.set(id, { g, v: null, l: null, e, s: e.s, source: e.source, target: e.target, sameValue });
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
        const heat = n.shape?.length && isList(n.value) ? { g: el("g", { class: "heatmap value" }, g), area: heatArea(b, kind) } : null;
        // Its texts and pill are made by _buildTexts; `tag`: the name written above it.
        refs.push({ g, kind, heat, box: b, id: n.id, tag: hasTag(model, n) ? model.name(n.id) : null, tagEl: null,
          label: null, pill: null, rect: null, text: null, pillHeat: null, lines: null, place: null });
        g.addEventListener("pointerenter", () => this._hover(n.id, g));
        g.addEventListener("pointerleave", () => this._hover(null, g));
        g.addEventListener("focus", () => this._hover(n.id, g));
        g.addEventListener("blur", () => this._hover(null, g));
        g.addEventListener("click", () => this.hooks.onActivate?.(n.id));
        g.addEventListener("keydown", (ev) => {
          if (ev.key !== "Enter") return;
          ev.preventDefault();
          this.hooks.onActivate?.(n.id);
        });
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
      this.outputEdge = { g, v: null, x: x0 + 4, y: out.y - 7 };
    } else {
      this.outputEdge = null;
    }

    this.svg = svg;
    this._path = null;
    this._labelKey = null;
    this.texts = false;
    this._last = null;
  }

  /** Shown at `zoom`: too small to read, the texts are hidden; legible, they are made if not yet. */
  _zoomed(zoom) {
    if (!this.svg) return;
    const far = zoom < LEGIBLE && this.nodeEls.size > MANY;
    this.svg.classList.toggle("far", far);
    this._legible(!far);
    if (!far) this.withTexts();
  }

  /**
   * Make the drawing's texts and pills if they are not yet (a drawing first shown too small to
   * read has none), and write the last step shown into them. (The SVG and PNG exports call it.)
   */
  withTexts() {
    if (!this.svg || this.texts) return;
    this._buildTexts();
    this.texts = true;
    if (!this._last) return;
    this.cache = new Map(); // every number and pill written anew, into the new elements
    this._sig = new Map();
    this.update(...this._last);
  }

  /** The texts of every edge and node (names, numbers, the names above), and the nodes' pills. */
  _buildTexts() {
    const { model } = this;
    for (const r of this.edgeEls.values()) {
      // Placed by _placeLabels once the numbers' widths are known (they depend on the digits).
      r.v = el("text", { class: "vlabel fade" }, r.g);
      r.l = el("text", { class: "llabel fade" }, r.g);
    }
    for (const refs of this.nodeEls.values()) {
      for (const r of refs) {
        const { g, box: b, kind } = r;
        const n = model.nodes.get(r.id);
        r.label = el("text", { class: "label", x: r1(b.x), y: r1(b.y) }, g);
        r.label.textContent = kind === "input" ? n.name : n.label;
        if (n.shape?.length) this._tensorLabel(r.label, n, b, kind);
        if (r.tag) {
          r.tagEl = el("text", { class: "tag", x: r1(b.x), y: r1(b.y - b.h / 2 - 6) }, g);
          r.tagEl.textContent = r.tag;
        }
        r.pill = el("g", { class: "pill grad fade" }, g);
        r.rect = el("rect", { x: r1(b.x), y: r1(b.y + b.h / 2 + 5), height: PILL_H, rx: PILL_H / 2, width: 0 }, r.pill);
        r.text = el("text", { x: r1(b.x), y: r1(b.y + b.h / 2 + 5 + PILL_H / 2) }, r.pill);
        r.pillHeat = el("g", { class: "heatmap grad" }, r.pill);
      }
    }
    const out = this.outputEdge;
    if (out) {
      out.v = el("text", { class: "vlabel fade", x: r1(out.x), y: r1(out.y) }, out.g);
      out.v.style.textAnchor = "start";
    }
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
   * A tensor node's name on the left with its shape ("2×3") under it, leaving room on the
   * right for the heatmap of its value (when the server sends its elements: heatArea). The
   * node's box is the server's; everything stays inside it.
   */
  _tensorLabel(label, n, b, kind) {
    const ellipse = kind === "op";
    const cells = isList(n.value);
    const lx = cells ? b.x - b.w * (ellipse ? 0.2 : 0.22) : b.x;
    label.setAttribute("x", r1(lx));
    label.setAttribute("y", r1(b.y - 5));
    const room = cells ? b.w * (ellipse ? 0.34 : 0.42) : b.w * 0.8;
    const size = Math.min(16, (16 * room) / Math.max(1, measured(label.textContent, 16)));
    if (size < 16) label.style.fontSize = `${r1(Math.max(9, size))}px`;
    el("text", { class: "shape-text", x: r1(lx), y: r1(b.y + 10) }, label.parentNode).textContent = shapeText(n.shape);
  }

  /**
   * Light up one path of the chain rule ({edges, nodes}: ids) and dim everything else;
   * null puts the drawing back. The step's own classes are kept.
   */
  highlight(path) {
    if (!this.svg || (!path && !this._path)) return; // nothing lit: nothing to put back
    const edges = new Set(path?.edges ?? []);
    const nodes = new Set(path?.nodes ?? []);
    this._path = path ? { edges, nodes } : null;
    this._pathEpoch = (this._pathEpoch ?? 0) + 1; // every edge's class is written again
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

  /** True when `sig` (a list of values) is the one seen last for `key`; else it is kept. */
  _unchanged(key, sig) {
    const old = this._sig.get(key);
    if (old) {
      let same = true;
      for (let i = 0; i < sig.length && same; i++) same = old[i] === sig[i];
      if (same) return true;
    }
    this._sig.set(key, sig);
    return false;
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
  update(snap, f, focus, options = {}) {
    if (!this.svg) return;
    this._last = [snap, f, focus, { ...options, animate: false }]; // written again when texts are made
    const { nodeLabel, edgeLabel, full = String, animate = false, tangentVar = "x", timeline = null } = options;
    const texts = this.texts;
    // Within one timeline a node's or edge's state is known by a few numbers (the same events
    // replayed give the same state): one whose numbers, focus and settings are as they were at
    // the last step is skipped, so that a step costs its few changes, not a walk of every
    // node's words. Without a timeline (another drawing's caller), nothing is skipped.
    if (!timeline || timeline !== this._sigTimeline || this._sigCache !== this.cache) this._sig = new Map();
    this._sigTimeline = timeline;
    this._sigCache = this.cache;
    // Only a single step forward fades in; jumps, steps back and new values show at once.
    this.svg.classList.toggle("still", !animate || this.pulses.reducedMotion.matches);
    const { model } = this;
    const focusNodes = new Set(focus.nodes);
    const focusEdges = new Set(focus.edges);
    const ev = snap.current;
    const phaseClass = snap.phase === "backward" ? "bw" : snap.phase === "tangent" ? "tg" : "fw";
    const out = model.dname(model.outputId);
    let pillsChanged = false;
    let labelsChanged = false;
    // The digits, as the numbers show them, and the output's name in the inputs' pills.
    const labelKey = `${f(Math.PI)}|${f(-1 / 3)}|${out}`;
    if (texts && labelKey !== this._labelKey) {
      this._labelKey = labelKey;
      this._placeLabels(f);
      labelsChanged = true;
      for (const refs of this.nodeEls.values()) for (const r of refs) r.place = null;
      pillsChanged = true;
    }

    // What every node's words depend on besides its state: when one changes, all are written.
    // (`labelsKey` is long: compared once here, by identity first, not once a node.)
    const epoch = `${labelKey}|${tangentVar}|${document.documentElement.lang}|${this._pathEpoch ?? 0}|${snap.phase}`;
    if (epoch !== this._sigEpoch || this.labelsKey !== this._sigLabels) this._sig = new Map();
    this._sigEpoch = epoch;
    this._sigLabels = this.labelsKey;
    for (const [id, refs] of this.nodeEls) {
      const st = snap.nodes.get(id);
      const sumAt = !!(ev && ev.type === "accumulate" && ev.node === id);
      if (this._unchanged(`n:${id}`, [st?.value, st?.grad, st?.tangent, st?.terms?.length, st?.visited,
        focusNodes.has(id), sumAt])) continue;
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
        if (texts) {
          this._set(`${k}.pk`, pillKind, (v) => r.pill.setAttribute("class", `pill ${v} fade${known ? " known" : ""}`));
          this._set(`${k}.pill`, pillKey, () => {
            r.pill.classList.toggle("known", known);
            r.pillText = pillText;
            r.pillGrid = pillGrid;
            r.place = null;
            pillsChanged = true;
          });
        }
        if (r.heat) this._set(`${k}.heat`, heatKey, (key) => this._drawValueHeat(r.heat, key ? st.value : null, full));
        r.current = current;
        if (copy === 0 && nodeLabel) this._set(`${k}.aria`, nodeLabel(id, st), (v) => r.g.setAttribute("aria-label", v));
      });
    }

    for (const [id, r] of this.edgeEls) {
      const src = snap.nodes.get(r.source);
      const est = snap.edges.get(id);
      if (this._unchanged(`e:${id}`, [src?.value, est?.local, est?.vjp, est?.contribution, est?.term,
        est?.reduced, focusEdges.has(id)])) continue;
      // An array's value is drawn in its node (heatmap and shape), not written on the edge.
      const value = src && src.value !== null ? (isList(src.value) || isSummary(src.value) ? "" : f(src.value)) : "";
      const local = est && est.local !== null ? brief(est.local, f) : est?.vjp ? "VJP" : "";
      if (edgeLabel && this.tensor) this._set(`${id}.aria`, edgeLabel(id), (v) => r.g.setAttribute("aria-label", v));
      const written = r.sameValue ? "" : value; // the edge beside it has it
      if (texts) {
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
      }
      let cls = "edge";
      if (!(src && src.value !== null)) cls += " pending";
      if (est && est.contribution !== null) cls += " carried";
      if (est && est.term !== null) cls += " termed";
      if (focusEdges.has(id)) cls += ` current ${phaseClass}`;
      if (this._path?.edges.has(id)) cls += " on-path";
      this._set(`${id}.cls`, cls, (c) => r.g.setAttribute("class", c));
    }

    // A sum pill keeps clear of the numbers on the edges too, so it moves when they change.
    if (texts && (pillsChanged || (labelsChanged && this._sumShown))) this._sumShown = placePills(this.geo, this.nodeEls, this.edgeEls);

    if (this.outputEdge) {
      const st = snap.nodes.get(model.outputId);
      const value = st && st.value !== null ? `${out} = ${brief(st.value, f, 4)}` : "";
      this._set("out.v", value, (text) => {
        if (this.outputEdge.v) {
          this.outputEdge.v.textContent = text;
          this.outputEdge.v.classList.toggle("known", !!text);
        }
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


  /**
   * A dot carrying `label` along edge `id`: backwards (target to source) for a gradient's
   * contribution, forwards for a tangent's term.
   */
  pulse(id, options) {
    this.pulses.run(this.edgeEls?.get(id)?.s, options);
  }

  stopPulse() {
    this.pulses.stop();
  }

  /** Scroll so that node `id` is visible (large graphs). */
  reveal(id) {
    this.view.reveal(this.nodeEls?.get(id)?.[0]?.box);
  }

  get size() {
    return this.geo ? { width: this.geo.width, height: this.geo.height } : null;
  }
}

/** Op nodes that carry their name above them (named, called by their id, or an output). */
function hasTag(model, n) {
  return n.kind === "op" && !!(n.name || model.generated(n.id) || model.graph.outputs?.includes(n.id));
}

/** Which nodes carry a name above them: a name more or less places the pills elsewhere. */
function tagsKey(model) {
  let key = "";
  for (const n of model.graph.nodes) key += hasTag(model, n) ? "1" : "0";
  return key;
}

/** The layout's places, as a key: the same key, the same drawing. */
function layoutKey(layout) {
  const parts = [layout.width, layout.height];
  for (const [id, b] of Object.entries(layout.nodes)) parts.push(id, b.x, b.y, b.width, b.height);
  for (const e of layout.edges) parts.push(e.points.length, e.points[0], e.points[e.points.length - 1]);
  return parts.join(",");
}

/** Where a tensor node's value is drawn as a heatmap, in its box (right of its name). */
function heatArea(b, kind) {
  return kind === "op"
    ? { x0: b.x - 1, x1: b.x + b.w * 0.32, y0: b.y - b.h * 0.33, y1: b.y + b.h * 0.33 }
    : { x0: b.x + 2, x1: b.x + b.w / 2 - 5, y0: b.y - b.h / 2 + 5, y1: b.y + b.h / 2 - 5 };
}
