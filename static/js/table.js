// The lecture's forward/backward table beside the graph: per node its value (forward pass),
// the local derivatives of its inputs and its gradient (backward pass) or tangent (forward
// mode), filled in as the trace is stepped, the current step's cell highlighted.

import { compact, isArray } from "./arrays.js";
import { t } from "./i18n.js";
import { h } from "./dom.js";
import { later, waiting } from "./later.js";

export class Table {
  constructor(container) {
    this.container = container;
    this.key = null;
  }

  /** Build the rows for `model` (once per structure and pass). */
  draw(model, pass, tangentVar) {
    // The rows stay for the same structure (a digit typed into a constant): their names
    // and formulas are written again in place (_names), the numbers by update().
    const out = model.dname(model.outputId);
    const key = `${model.shapeKey}#${pass}#${tangentVar}#${out}#${document.documentElement.lang}`;
    this.model = model;
    this.pass = pass;
    this.tangentVar = tangentVar;
    if (key === this.key) {
      this._names(model);
      return;
    }
    this.key = key;
    this.cache = new Map();
    const table = h("table", { class: "trace-table" });
    const caption = h("caption", { class: "sr-only" }, t("tableTitle"));
    table.appendChild(caption);
    const thead = h("thead");
    const groups = h("tr", { class: "groups" });
    groups.append(
      h("td", {}, ""),
      h("th", { scope: "colgroup", class: "g-forward" }, t("forwardHead")),
      h("th", { colspan: "2", scope: "colgroup", class: pass === "forward" ? "g-tangent" : "g-backward" },
        t(pass === "forward" ? "tangentHead" : "backwardHead")),
    );
    const cols = h("tr");
    const last = pass === "forward" ? `∂·/∂${tangentVar}` : `∂${out}/∂·`;
    cols.append(
      h("th", { scope: "col" }, t("colNode")),
      h("th", { scope: "col", class: "num" }, t("colValue")),
      h("th", { scope: "col" }, t("colLocals")),
      h("th", { scope: "col", class: "num" }, `${t(pass === "forward" ? "colTangent" : "colGrad")} `),
    );
    cols.lastChild.appendChild(h("span", { class: "nowrap" }, last));
    thead.append(groups, cols);
    const tbody = h("tbody");
    this.rows = new Map();
    for (const n of model.graph.nodes) {
      if (n.kind === "const") continue; // the lecture's table lists inputs and operations
      const tr = h("tr", { "data-id": n.id });
      const name = h("th", { scope: "row", class: "name" });
      const value = h("td", { class: "num value" });
      const locals = h("td", { class: "locals" });
      const spans = new Map();
      for (const e of model.inEdges.get(n.id)) {
        if (model.nodes.get(e.source).kind === "const") continue;
        const s = h("span", { class: "local", "data-edge": e.id });
        const label = h("span", { class: "dname" });
        const num = h("span", { class: "lnum" });
        // "∂/∂(x^2 + 2x)" and "= 0.6931" each stay whole; a narrow column breaks between them.
        const eq = h("span", { class: "eq" }, "= ");
        eq.appendChild(num);
        s.append(label, " ", eq);
        locals.appendChild(s);
        spans.set(e.id, { s, num, label, edge: e });
      }
      const grad = h("td", { class: "num grad" });
      tr.append(name, value, locals, grad);
      tbody.appendChild(tr);
      this.rows.set(n.id, { tr, name, value, locals: spans, grad });
    }
    this._names(model);
    table.append(thead, tbody);
    this.container.replaceChildren(table);
  }

  /** Each row's name and formula, and its local derivatives' names (∂c/∂a). */
  _names(model) {
    for (const [id, r] of this.rows) {
      const n = model.nodes.get(id);
      const name = model.name(id);
      const formula = n.kind === "var" ? t("kindInput") : model.formula(id);
      this._set(`${id}.name`, `${name}\u0000${formula}`, () => {
        r.name.replaceChildren(name, ...(formula !== name ? [h("span", { class: "op" }, formula)] : []));
      });
      for (const [eid, s] of r.locals) {
        const e = s.edge;
        const same = model.inEdges.get(id).filter((x) => x.source === e.source).length > 1;
        const top = model.dname(id), bottom = model.dname(e.source);
        // The lecture's ∂c/∂a; the row already names the node when names are long.
        const d = top.length <= 4 && bottom.length <= 6 ? `∂${top}/∂${bottom}` : `∂/∂${bottom}`;
        this._set(`${eid}.dname`, `${d}${same ? `⁽${sup(e.index + 1)}⁾` : ""}`, (v) => { s.label.textContent = v; });
      }
    }
  }

  _set(key, value, apply) {
    if (this.cache.get(key) === value) return;
    this.cache.set(key, value);
    apply(value);
  }

  update(snap, fmt) {
    if (!this.rows) return;
    // An array in a cell: its shape and its first numbers (every digit on hovering the graph).
    const f = (v) => (isArray(v) ? compact(v, fmt, 3) : fmt(v));
    const ev = snap.current;
    let currentRow = null;
    for (const [id, r] of this.rows) {
      const st = snap.nodes.get(id);
      this._set(`${id}.v`, st && st.value !== null ? f(st.value) : "", (v) => { r.value.textContent = v; });
      let g = "";
      if (this.pass === "forward") {
        if (st && st.tangent !== null) g = f(st.tangent);
      } else if (st && st.grad !== null) {
        const sum = st.terms.length > 1 && !isArray(st.grad); // arrays: the total only
        g = sum ? `${st.terms.map((x) => f(x.value)).join(" + ")} = ${f(st.grad)}` : f(st.grad);
      }
      this._set(`${id}.g`, g, (v) => {
        // A sum breaks between its terms (before a "+" or "="), never inside one.
        r.grad.replaceChildren(...v.split(/ (?=[+=] )/).flatMap((term, i) => [
          i ? " " : null, Object.assign(document.createElement("span"), { className: "term", textContent: term }),
        ]).filter((x) => x !== null));
      });
      for (const [eid, s] of r.locals) {
        const est = snap.edges.get(eid);
        const text = est && est.local !== null ? f(est.local) : est?.vjp ? "VJP" : "";
        this._set(`${eid}.l`, text, (v) => {
          s.num.textContent = v || "…";
          s.s.classList.toggle("known", !!v);
        });
      }
      // The cell the current event writes to.
      let cell = "";
      if (ev) {
        if (ev.type === "evaluate" && ev.node === id) cell = "value";
        else if ((ev.type === "accumulate" || ev.type === "reduce" || ev.type === "seed" || ev.type === "visit" || ev.type === "tangent") && ev.node === id) cell = "grad";
        else if ((ev.type === "local" || ev.type === "contribute" || ev.type === "term") && ev.target === id) cell = `local:${ev.edge}`;
      }
      if (cell) currentRow = r.tr;
      this._set(`${id}.cur`, cell, (c) => {
        r.tr.classList.toggle("current", !!c);
        r.value.classList.toggle("current", c === "value");
        r.grad.classList.toggle("current", c === "grad");
        for (const [eid, s] of r.locals) s.s.classList.toggle("current", c === `local:${eid}`);
      });
    }
    // In the next frame, once: reading the row's place now would lay the page out again.
    this._row = currentRow;
    if (currentRow && !this._scrollFrame) {
      this._scrollFrame = requestAnimationFrame(() => {
        this._scrollFrame = null;
        if (this._row?.isConnected) scrollIntoContainer(this.container, this._row);
      });
    }
  }
}

function sup(k) {
  return String(k).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);
}

/** Scroll the table's own box (never the page) so the row is in view. */
function scrollIntoContainer(box, row) {
  if (box.scrollHeight <= box.clientHeight) return;
  const top = row.offsetTop;
  const bottom = top + row.offsetHeight;
  const head = 56;
  if (top - head < box.scrollTop) box.scrollTop = top - head;
  else if (bottom > box.scrollTop + box.clientHeight) box.scrollTop = bottom - box.clientHeight + 8;
}

/** The table on the page: its rows drawn per graph, pass and language, its numbers per step. */
export function tableView(container, player, session) {
  const table = new Table(container);
  const draw = () => {
    if (session.model) table.draw(session.model, session.pass(), session.tangent());
  };
  const update = () => {
    if (session.timeline) table.update(session.snap(player.step), session.f);
  };
  // A new graph's rows are built just after the frame that shows the graph (later.js): a
  // 500-node table is laid out once the drawing is on screen, not before it.
  session.on("graph", () => later("table", () => {
    draw();
    update();
  }));
  session.on("timeline", () => { if (!waiting("table")) draw(); });
  session.on("language", () => { if (!waiting("table")) draw(); });
  player.subscribe(() => { if (!waiting("table")) update(); });
  return table;
}
