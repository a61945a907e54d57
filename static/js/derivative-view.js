// "Differentiate the derivative": the backward pass of ∂f/∂x as a computation graph of its own
// (POST /api/v1/graph with derivative_of), drawn with the page's Renderer beside f, each of its
// nodes linked to the node or edge of f it came from (pointing at one lights up the other), and
// stepped with a Player of its own: its forward pass computes ∂f/∂x, its backward pass the
// second derivatives ∂²f/∂x∂·. Every number is the server's, replayed from its trace.

import { fetchDerivativeGraph } from "./api.js";
import { brief } from "./arrays.js";
import { t } from "./i18n.js";
import { BUSY, make, playerButtons } from "./mini-player.js";
import { buildModel } from "./model.js";
import { Fetcher, setBusy } from "./panel.js";
import { Player } from "./player.js";
import { Renderer } from "./renderer.js";
import { buildTimeline, eventFocus, snapshot } from "./timeline.js";

export class DerivativePanel {
  /**
   * @param root the <details> of the panel (its .panel-body is filled here)
   * @param fmt() the page's number format; full(v) every digit
   */
  constructor(root, { fmt, full = String }) {
    this.root = root;
    this.fmt = fmt;
    this.full = full;
    this.context = null;
    this.answer = null;
    this.variable = null;
    const body = root.querySelector(".panel-body");
    const controls = make("div", { class: "panel-controls" }, body);
    const label = make("label", { class: "field compact" }, controls);
    this.ofText = make("span", { class: "dv-of" }, label);
    this.select = make("select", { class: "dv-var" }, label);
    this.select.addEventListener("change", () => {
      this.variable = this.select.value;
      if (this.context) this.update(this.context);
    });
    this.busyEl = make("div", { class: "busy", hidden: "", role: "status" }, body);
    this.busyEl.innerHTML = BUSY;
    this.note = make("p", { class: "help dv-note" }, body);
    const graphs = make("div", { class: "dv-graphs" }, body);
    const fig = (cls) => {
      const figure = make("figure", { class: `dv-figure ${cls}` }, graphs);
      const caption = make("figcaption", {}, figure);
      const canvas = make("div", { class: "dv-canvas" }, figure);
      return { caption, canvas };
    };
    this.left = fig("dv-f");
    this.right = fig("dv-d");
    this.player = new Player();
    this.controls = playerButtons(body, this.player, "dv");
    this.phase = make("span", { class: "phase dv-phase" }, this.controls.box);
    this.result = make("p", { class: "dv-result", "aria-live": "polite" }, body);
    this.error = make("p", { class: "field-error dv-error", hidden: "" }, body);

    // f's drawing: pointing at a node or an edge lights up what the derivative graph made of it.
    this.fRenderer = new Renderer(this.left.canvas, {
      onHover: (id) => (id ? this._link({ node: id }) : this._link(null)),
    });
    // The derivative graph: pointing at a node lights up the node or edge of f it came from.
    this.dRenderer = new Renderer(this.right.canvas, {
      onHover: (id) => (id ? this._link({ dnode: id }) : this._link(null)),
    });
    this.player.subscribe((e) => this._step(e));
    this.fetcher = new Fetcher({
      load: (q, signal) => fetchDerivativeGraph(q.expression, q.values, q.variable, signal),
      show: (answer) => this._show(answer),
      fail: (err) => {
        this.answer = null;
        this.dRenderer.clear();
        this.error.textContent = err.message;
        this.error.hidden = false;
        this.root.dataset.state = "error";
        this.player.load(0, 0);
      },
      busy: (on) => setBusy(this.busyEl, on, t("dvComputing")),
    });
    this._words();
  }

  update(c) {
    this.context = c;
    const names = c.model.variables;
    if (!names.includes(this.variable)) this.variable = names[0] ?? null;
    if (this.select.dataset.key !== names.join("\u0000")) {
      this.select.replaceChildren(...names.map((n) => new Option(n, n)));
      this.select.dataset.key = names.join("\u0000");
    }
    this.select.value = this.variable ?? "";
    this._words();
    if (!this.variable) return;
    this.fetcher.request({ expression: c.expression, values: c.values, variable: this.variable });
  }

  redraw() {
    this._words();
    if (!this.answer) return;
    this._drawF();
    this._drawD();
    this._step({ step: this.player.step, count: this.player.count, playing: this.player.playing });
  }

  /** f's name: the derivative graph differentiates the program's last output (engine/backward_graph). */
  get fName() {
    const m = this.context?.model;
    return m ? m.name(m.graph.output ?? m.outputId) : "f";
  }

  _words() {
    const f = this.fName;
    const x = this.variable ?? "x";
    this.ofText.textContent = t("dvOf", { f });
    this.note.textContent = t("dvLink", { f });
    this.left.caption.textContent = t("dvLeft", { f });
    this.right.caption.textContent = t("dvRight", { f, x });
    this.controls.box.setAttribute("aria-label", t("dvPlayer"));
    this.controls.label();
  }

  _show(answer) {
    this.answer = answer;
    this.error.hidden = true;
    this.dModel = buildModel(answer);
    this.origin = answer.derivative_of.origin;
    // Which derivative nodes came from each node and each edge of f.
    this.fromNode = new Map();
    this.fromEdge = new Map();
    answer.nodes.forEach((n, i) => {
      const o = this.origin[i];
      const [map, key] = o.edge ? [this.fromEdge, o.edge] : [this.fromNode, o.node];
      if (!map.has(key)) map.set(key, []);
      map.get(key).push(n.id);
    });
    this.originOf = new Map(answer.nodes.map((n, i) => [n.id, this.origin[i]]));
    this.timeline = buildTimeline(answer, "reverse");
    this._words();
    this._drawF();
    this._drawD();
    this.root.dataset.state = "ready";
    this.root.dataset.variable = answer.derivative_of.variable;
    // It opens at its start: the learner steps it (or plays it) to the second derivatives.
    this.player.load(this.timeline.events.length, 0);
  }

  /** f as the main graph has it, with every value and local derivative of its passes. */
  _drawF() {
    const m = this.context.model;
    const graph = m.graph;
    if (!graph.layout?.nodes) return;
    const f = this.fmt();
    const drew = this.fRenderer.draw(m, graph.layout, {
      outText: `${m.dname(m.outputId)} = ${brief(m.nodes.get(m.outputId)?.value, f, 4)}`, number: f(-2 / 3),
    });
    if (drew) this._edgeHovers();
    const timeline = buildTimeline(graph, "reverse");
    this.fRenderer.update(snapshot(timeline, timeline.events.length), f, { nodes: [], edges: [] }, {
      full: this.full, nodeLabel: (id) => m.name(id),
    });
    this.fRenderer.svg.setAttribute("aria-label", t("fGraphLabel", { f: this.fName }));
  }

  _drawD() {
    const m = this.dModel;
    const layout = this.answer.layout;
    if (!layout?.nodes) {
      this.dRenderer.clear();
      return;
    }
    const f = this.fmt();
    this.dRenderer.draw(m, layout, {
      outText: `${m.dname(m.outputId)} = ${brief(m.nodes.get(m.outputId)?.value, f, 4)}`, number: f(-2 / 3),
    });
    this.dRenderer.svg.setAttribute("aria-label", t("dvGraphLabel", { f: this.fName, x: this.variable }));
    for (const [id, refs] of this.dRenderer.nodeEls) {
      const o = this.originOf.get(id);
      for (const r of refs) {
        r.g.dataset.role = o.role;
        r.g.dataset.from = o.edge ?? o.node;
      }
    }
  }

  /** f's edges answer the pointer too (the renderer draws scalar edges as plain lines). */
  _edgeHovers() {
    for (const [id, r] of this.fRenderer.edgeEls) {
      const wire = r.g.querySelector(".wire");
      const hit = document.createElementNS("http://www.w3.org/2000/svg", "path");
      hit.setAttribute("class", "hit");
      hit.setAttribute("d", wire.getAttribute("d"));
      r.g.prepend(hit);
      r.g.addEventListener("pointerenter", () => this._link({ edge: id }));
      r.g.addEventListener("pointerleave", () => this._link(null));
    }
  }

  /**
   * Light up a link: {dnode} a node of the derivative graph and where in f it came from;
   * {node} or {edge} of f and every derivative node made from it; null puts both back.
   */
  _link(what) {
    if (!this.answer || !this.fRenderer.svg || !this.dRenderer.svg) return;
    const fm = this.context.model;
    const ends = (edge) => {
      const e = fm.edgeById.get(edge);
      return e ? [e.source, e.target] : [];
    };
    let fSide = null;
    let dSide = null;
    if (what?.dnode) {
      const o = this.originOf.get(what.dnode);
      fSide = o.edge ? { edges: [o.edge], nodes: ends(o.edge) } : { edges: [], nodes: [o.node] };
      dSide = { edges: [], nodes: [what.dnode] };
    } else if (what?.edge) {
      fSide = { edges: [what.edge], nodes: ends(what.edge) };
      dSide = { edges: [], nodes: this.fromEdge.get(what.edge) ?? [] };
    } else if (what?.node) {
      fSide = { edges: [], nodes: [what.node] };
      dSide = { edges: [], nodes: this.fromNode.get(what.node) ?? [] };
    }
    this.fRenderer.highlight(fSide);
    this.dRenderer.highlight(dSide);
    this.root.dataset.linkF = fSide ? [...fSide.edges, ...fSide.nodes].join(" ") : "";
    this.root.dataset.linkD = dSide ? dSide.nodes.join(" ") : "";
  }

  _nodeLabel(id, st) {
    const m = this.dModel;
    const o = this.originOf.get(id);
    const fm = this.context.model;
    const e = o.edge ? fm.edgeById.get(o.edge) : null;
    const where = t(`dvRole_${o.role}`, {
      f: this.fName, n: o.node ? fm.name(o.node) : "", s: e ? fm.name(e.source) : "", t: e ? fm.name(e.target) : "",
    });
    const parts = [m.name(id), where];
    if (st && st.value !== null) parts.push(`${t("dValue")} ${this.fmt()(st.value)}`);
    if (st && st.grad !== null) parts.push(`${t("dGrad")} ${this.fmt()(st.grad)}`);
    return parts.join(", ");
  }

  _step(e) {
    this.controls.sync(e);
    this.controls.count.textContent = t("stepOf", { k: e.step, n: e.count });
    this.root.dataset.step = String(e.step);
    this.root.dataset.count = String(e.count);
    if (!this.answer || !this.dRenderer.svg) {
      this.result.textContent = "";
      return;
    }
    const snap = snapshot(this.timeline, e.step);
    const f = this.fmt();
    this.dRenderer.update(snap, f, eventFocus(snap.current), {
      full: this.full, nodeLabel: (id, st) => this._nodeLabel(id, st), tangentVar: this.variable,
    });
    this.phase.dataset.phase = snap.phase;
    this.phase.textContent = t(`phase_${snap.phase}`);
    this.root.dataset.done = String(snap.done);
    if (!snap.done) {
      this.result.textContent = t("dvAtEnd");
      return;
    }
    // At the end: each variable's gradient in this graph is a second derivative of f.
    const x = this.variable;
    const items = this.dModel.graph.nodes.filter((n) => n.kind === "var" && snap.nodes.get(n.id)?.grad != null)
      .map((n) => {
        const label = n.name === x ? t("dvSecond", { f: this.fName, x }) : t("dvMixed", { f: this.fName, x, y: n.name });
        const item = make("span", { class: "dv-second", "data-var": n.name });
        make("span", { class: "k", text: `${label} = ` }, item);
        make("span", { class: "v", text: f(snap.nodes.get(n.id).grad) }, item);
        return item;
      });
    this.result.replaceChildren(...items.flatMap((item, i) => (i ? ["  ", item] : [item])));
  }
}
