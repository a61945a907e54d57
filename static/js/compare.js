// The lecture's comparison table, extended: per variable the symbolic (exact) derivative,
// finite differences with the chosen method and h, forward-mode and reverse-mode AD, each
// with its absolute error; below it SymPy's derivatives as formulas (the server's MathML).

import { fetchCompare, fetchSymbolic } from "./api.js";
import { fmt, full } from "./format.js";
import { t } from "./i18n.js";
import { mathElement } from "./mathml.js";
import { Fetcher, setBusy } from "./panel.js";
import { h, math as m } from "./dom.js";

/** ∂out/∂v as a MathML fraction. */
function partialFraction(out, v) {
  const num = m("mrow");
  num.append(m("mo", "∂", { rspace: "0" }), m("mi", out));
  const den = m("mrow");
  den.append(m("mo", "∂", { rspace: "0" }), m("mi", v));
  const frac = m("mfrac");
  frac.append(num, den);
  return frac;
}

const MAX_MATHML = 40000; // longer formulas are not laid out unless asked for

/** The tag on a derivative that simplify did not reach, by the server's reason code. */
const UNSIMPLIFIED = { busy: "notSimplifiedBusy", failed: "notSimplifiedFailed" };

/**
 * Why SymPy's part is missing, from the server's reason code ("timeout", "busy",
 * "exact_arithmetic", "failed"): a sentence in the page's language, then the server's own
 * notes (English, with the specifics); "busy" offers to ask again.
 */
function reasonNotes(reason, notes, retry) {
  const parts = [];
  if (reason) {
    const p = h("p", { class: "note reason", "data-reason": reason }, t(`reason_${reason}`));
    if (reason === "busy" && retry) {
      const button = h("button", { type: "button", class: "text-button retry" }, t("tryAgain"));
      button.addEventListener("click", retry);
      p.append(" ", button);
    }
    parts.push(p);
  }
  for (const n of notes ?? []) parts.push(h("p", { class: "note detail", lang: "en" }, n));
  return parts.length ? [h("div", { class: "reason-notes" }, ...parts)] : [];
}

function passes(n) {
  return n === 1 ? t("passesOne") : t("passesN", { n });
}

/** The contents of the server's <math> (its children), or null. */
function mathChildren(source) {
  const el = mathElement(source);
  return el ? [...el.childNodes] : null;
}

export class ComparePanel {
  /**
   * @param root the panel's element (its parts are found by class)
   * @param page {fmt(): the number formatter, onCost(cost, key): the passes note's numbers}
   */
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.tableBox = root.querySelector(".compare-table-box");
    this.notes = root.querySelector(".compare-notes");
    this.formulas = root.querySelector(".formulas");
    this.busyTable = root.querySelector(".busy.compare-busy");
    this.busyFormulas = root.querySelector(".busy.symbolic-busy");
    this.table = new Fetcher({
      load: (q, signal) => fetchCompare(q.expression, q.values, { method: q.method, h: q.h }, signal),
      show: (answer, q) => {
        this._tableShownFor = JSON.stringify(q);
        this._showTable(answer, q);
        this._afterTable();
      },
      fail: (err) => {
        this._fail(this.tableBox, err);
        this._afterTable();
      },
      busy: (on) => this._busy(this.busyTable, this.tableBox, on, "computingCompare"),
      // SymPy's workers were all taken (by work this page has since given up on): ask once more.
      again: (a) => a.symbolic_reason === "busy" && a.rows.every((r) => r.symbolic === null),
    });
    this.symbolic = new Fetcher({
      load: (q, signal) => fetchSymbolic(q.expression, q.values, signal),
      show: (answer, q) => this._showFormulas(answer, q),
      fail: (err) => this._fail(this.formulas, err),
      busy: (on) => this._symbolicBusy(on),
      again: (a) => a.reason === "busy" && Object.keys(a.derivatives ?? {}).length === 0,
      debounceMs: 0, // asked once the table is answered, which was debounced already
    });
    // What the formulas show: {key (the point), kind: "preview" (the table's unsimplified
    // derivatives, while /symbolic simplifies) | "full" (/symbolic's answer)}.
    this.shown = { key: null, kind: null };
    this.preview = null; // {key, derivatives}: the table's SymPy derivatives for a point
  }

  /**
   * context: {expression, values, model, method, h}. Both answers need SymPy, and the server
   * has few workers for it: the formulas are asked for once the table has its answer.
   */
  update(c) {
    this.context = c;
    const point = { expression: c.expression, values: c.values };
    const q = { ...point, method: c.method, h: c.h };
    if (JSON.stringify(point) !== this.symbolic.key && this.shown.key !== JSON.stringify(point)) {
      this._busy(this.busyFormulas, this.formulas, true, "computingSymbolic");
    }
    this.table.request(q);
    if (this._tableShownFor === JSON.stringify(q)) this._afterTable();
  }

  _afterTable() {
    const c = this.context;
    if (!c) return;
    const point = { expression: c.expression, values: c.values };
    this.symbolic.request(point);
    // Already answered for this very point (the context went there and back): nothing to wait for.
    if (JSON.stringify(this.symbolic.input) === JSON.stringify(point)) {
      this._busy(this.busyFormulas, this.formulas, false, "computingSymbolic");
      this.symbolic.redraw();
    }
  }

  redraw() {
    this.table.redraw();
    if (this.shown.kind === "preview") this._showPreview();
    else this.symbolic.redraw();
  }

  _busy(el, content, on, key) {
    setBusy(el, on, t(key));
    content.classList.toggle("stale", on);
  }

  /** /symbolic is slow: over the table's formulas for this point say it is simplifying them. */
  _symbolicBusy(on) {
    const point = this.context ? JSON.stringify({ expression: this.context.expression, values: this.context.values }) : null;
    if (on && this.shown.kind === "preview" && this.shown.key === point) {
      setBusy(this.busyFormulas, true, t("simplifyingSymbolic"));
      this.formulas.classList.remove("stale");
    } else {
      this._busy(this.busyFormulas, this.formulas, on, "computingSymbolic");
    }
  }

  _fail(box, err) {
    box.classList.remove("stale");
    box.replaceChildren(h("p", { class: "panel-error", role: "status" }, err.message));
  }

  _showTable(answer, q) {
    const f = this.page.fmt();
    const model = this.context?.model;
    const out = model ? model.dname(model.outputId) : "f";
    const cost = answer.cost;
    this.page.onCost?.(cost, q);
    const methodName = t(`method_${answer.method}`);
    const head = h("tr", {},
      h("th", { scope: "col", class: "var-col" }, t("colDerivative")),
      h("th", { scope: "col", class: "m-symbolic" }, t("colSymbolic"), h("small", {}, t("colSymbolicSub"))),
      h("th", { scope: "col", class: "m-numeric" }, t("colNumeric"),
        h("small", {}, t("colNumericSub", { method: methodName, h: full(answer.h) }))),
      h("th", { scope: "col", class: "m-forward" }, t("colForwardAD"),
        h("small", {}, passes(cost.forward_passes))),
      h("th", { scope: "col", class: "m-reverse" }, t("colReverseAD"),
        h("small", {}, passes(cost.reverse_passes))),
    );
    // PyTorch's autograd: a column only when the server has PyTorch (rows then carry `pytorch`).
    const torch = answer.rows.length > 0 && answer.rows.every((r) => "pytorch" in r);
    if (torch) head.append(h("th", { scope: "col", class: "m-pytorch" }, t("colPyTorch")));
    const labels = {
      "m-symbolic": t("colSymbolic"),
      "m-numeric": `${t("colNumeric")} (${methodName}, h = ${full(answer.h)})`,
      "m-forward": t("colForwardAD"),
      "m-reverse": t("colReverseAD"),
      "m-pytorch": t("colPyTorch"),
    };
    const cell = (value, error, cls, reference = false) => {
      const v = h("span", { class: "v", title: value === null ? "" : full(value) },
        value === null ? "—" : f(value));
      let e;
      if (reference) e = h("span", { class: "err ref" }, t("reference"));
      else if (error === null || error === undefined) e = h("span", { class: "err" }, "");
      else e = h("span", { class: `err${Number(error) === 0 ? " exact" : ""}`, title: full(error) },
        t("errorShort", { e: fmt(error, 2) }));
      // data-label names the column where a phone shows the table as one card per row.
      return h("td", { class: `num ${cls}`, "data-label": labels[cls] }, v, e);
    };
    const rows = answer.rows.map((r) => h("tr", { "data-var": r.variable },
      h("th", { scope: "row", class: "var-col" }, `∂${out}/∂${r.variable}`),
      cell(r.symbolic, null, "m-symbolic", r.symbolic !== null),
      cell(r.numeric, r.numeric_error, "m-numeric"),
      cell(r.forward_mode, r.forward_mode_error, "m-forward"),
      cell(r.reverse_mode, r.reverse_mode_error, "m-reverse"),
      ...(torch ? [cell(r.pytorch, r.pytorch_error, "m-pytorch")] : []),
    ));
    const table = h("table", { class: "compare-table" },
      h("caption", { class: "sr-only" }, t("compareTitle")),
      h("thead", {}, head), h("tbody", {}, ...rows));
    this.tableBox.classList.remove("stale");
    this.tableBox.replaceChildren(table);
    // SymPy's notes matter to the table only where they cost it a symbolic value.
    const missing = answer.rows.some((r) => r.symbolic === null);
    const retry = () => this.table.request(q, { now: true, force: true });
    const notes = missing ? reasonNotes(answer.symbolic_reason, answer.notes, retry) : [];
    this.notes.replaceChildren(...notes);
    this.notes.hidden = notes.length === 0;
    this.notes.dataset.status = answer.symbolic_status;
    this.notes.dataset.reason = answer.symbolic_reason ?? "";
    this.root.dataset.state = "ready";
    this.root.dataset.key = JSON.stringify(q);

    // SymPy's derivatives came with the table (unsimplified, so fast): show them at once;
    // /symbolic's simplified forms replace them when they come.
    const point = JSON.stringify({ expression: q.expression, values: q.values });
    this.preview = { key: point, derivatives: answer.symbolic ?? {} };
    const simplifiedShown = this.shown.kind === "full" && this.shown.key === point;
    if (!simplifiedShown && Object.keys(this.preview.derivatives).length) this._showPreview();
  }

  _showPreview() {
    const p = this.preview;
    this.shown = { key: p.key, kind: "preview" };
    const derivatives = Object.fromEntries(Object.entries(p.derivatives).map(([v, d]) => [v, { ...d, simplified: null }]));
    this._drawFormulas({ status: "preview", reason: null, notes: [], function: null, derivatives }, true);
    if (!this.busyFormulas.hidden) setBusy(this.busyFormulas, true, t("simplifyingSymbolic"));
  }

  _showFormulas(answer, q) {
    const key = JSON.stringify({ expression: q.expression, values: q.values });
    this.shown = { key, kind: "full" };
    // A derivative /symbolic could not give (busy, or out of time) may have come with the table.
    const derivatives = { ...answer.derivatives };
    if (this.preview?.key === key) {
      for (const [v, d] of Object.entries(this.preview.derivatives)) {
        if (!(v in derivatives)) derivatives[v] = { ...d, simplified: null };
      }
    }
    const retry = () => this.symbolic.request(JSON.parse(key), { now: true, force: true });
    this._drawFormulas({ ...answer, derivatives }, false, retry);
  }

  /** Draw SymPy's formulas: `pending` while simplify is still at work. */
  _drawFormulas(answer, pending, retry = null) {
    if (this.context?.expression !== this._longFor) {
      this._longFor = this.context?.expression;
      this._showLong = false;
    }
    const f = this.page.fmt();
    const model = this.context?.model;
    const out = model ? model.dname(model.outputId) : "f";
    const items = [];
    if (answer.function?.mathml && (answer.function.mathml.length <= MAX_MATHML || this._showLong)) {
      const kids = mathChildren(answer.function.mathml);
      if (kids) {
        const math = m("math", null, { display: "block" });
        const names = model ? model.variables : [];
        const args = names.flatMap((v, i) => (i ? [m("mo", ","), m("mi", v)] : [m("mi", v)]));
        math.append(m("mi", out), m("mo", "("), ...args, m("mo", ")"), m("mo", "="), ...kids);
        math.setAttribute("aria-label", `${out}(${names.join(", ")}) = ${answer.function.text}`);
        items.push(h("div", { class: "formula function" }, math));
      }
    }
    const order = model ? model.variables : [];
    const entries = Object.entries(answer.derivatives ?? {})
      .sort(([a], [b]) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0));
    for (const [v, d] of entries) {
      const size = d.mathml.length + (d.simplified?.mathml.length ?? 0);
      if (size > MAX_MATHML && !this._showLong) {
        // Laying out a huge formula would hold the page up; say so, and offer it.
        const button = h("button", { type: "button", class: "text-button" }, t("showAnyway"));
        button.addEventListener("click", () => { this._showLong = true; this.redraw(); });
        items.push(h("div", { class: "formula long", "data-var": v },
          h("span", { class: "lhs" }, `∂${out}/∂${v} =`),
          h("span", { class: "tag-note" }, t("formulaTooLong", { n: d.text.length })), button,
          d.value === null ? null : h("span", { class: "at" }, t("valueAtPoint"), " ",
            h("b", { title: full(d.value) }, f(d.value)))));
        continue;
      }
      const math = m("math", null, { display: "block" });
      math.append(partialFraction(out, v), m("mo", "="));
      const raw = mathChildren(d.mathml) ?? [m("mtext", d.text)];
      const simple = d.simplified && d.simplified.text !== d.text ? mathChildren(d.simplified.mathml) : null;
      math.append(...raw);
      if (simple) math.append(m("mo", "="), ...simple);
      const label = `∂${out}/∂${v} = ${d.text}${simple ? ` = ${d.simplified.text}` : ""}`;
      math.setAttribute("aria-label", label);
      const value = d.value === null
        ? h("span", { class: "at none" }, t("noValueAtPoint"))
        : h("span", { class: "at" }, t("valueAtPoint"), " ", h("b", { title: full(d.value) }, f(d.value)));
      // While simplify is at work the busy line above says so; after, an unsimplified one is tagged.
      const tag = pending || d.simplified ? null
        : h("span", { class: "tag-note" }, t(UNSIMPLIFIED[answer.reason] ?? "notSimplified"));
      items.push(h("div", { class: "formula", "data-var": v }, math, h("div", { class: "formula-meta" }, value, tag)));
    }
    const notes = reasonNotes(answer.reason, answer.notes, retry);
    if (answer.status === "skipped" && !notes.length) notes.push(h("p", { class: "note" }, t("symbolicSkipped")));
    this.formulas.classList.remove("stale");
    this.formulas.dataset.status = answer.status;
    this.formulas.dataset.reason = answer.reason ?? "";
    this.formulas.replaceChildren(...items, ...notes);
  }
}
