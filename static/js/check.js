// "Check my derivative": a box per variable for a candidate ∂f/∂v; the server answers whether
// it agrees with the true derivative, symbolically (the difference simplifies to 0) and
// numerically at several points, and the page shows where it differs: expected vs yours.

import { fetchCheck } from "./api.js";
import { formula, full } from "./format.js";
import { t } from "./i18n.js";
import { Fetcher, setBusy } from "./panel.js";
import { h } from "./dom.js";

function pointKey(c) {
  return JSON.stringify([c.expression, c.values]);
}

function idFor(name) {
  return [...name].map((c) => c.codePointAt(0).toString(16)).join("-");
}

export class CheckPanel {
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.list = root.querySelector(".check-list");
    this.rows = new Map(); // variable -> {input, result, busy, fetcher}
    this.texts = new Map(); // variable -> what was typed (kept across new values)
    this.answers = new Map(); // variable -> {answer, point}: the last answer and what it was for
    this.key = null;
  }

  /** context: {expression, values, model}. Rows are rebuilt when the variables change. */
  update(c) {
    this.context = c;
    const names = c.model.variables;
    const out = c.model.dname(c.model.outputId);
    const key = `${names.join("\u0000")}#${out}#${document.documentElement.lang}`;
    if (key !== this.key) {
      this.key = key;
      this._build(names, out);
    }
    // A result shown for an older function or point is asked again for the new one.
    const point = pointKey(c);
    for (const [v, row] of this.rows) {
      const last = this.answers.get(v);
      if (!last) continue;
      if (last.point === point) this._show(v, last.answer);
      else if (row.input.value.trim()) this._check(v);
    }
  }

  redraw() {
    this.key = null;
    if (this.context) this.update(this.context);
  }

  _build(names, out) {
    for (const row of this.rows.values()) row.fetcher.cancel();
    this.rows.clear();
    if (!names.length) {
      this.list.replaceChildren(h("p", { class: "muted" }, t("noVariables")));
      return;
    }
    const items = names.map((v) => {
      const id = `check-${idFor(v)}`;
      const input = h("input", {
        type: "text", id, class: "check-input", spellcheck: "false", autocomplete: "off",
        autocapitalize: "off", placeholder: t("checkPlaceholder"),
        "aria-describedby": `${id}-result`,
      });
      input.value = this.texts.get(v) ?? "";
      const button = h("button", { type: "button", class: "text-button check-button" }, t("checkButton"));
      button.setAttribute("aria-label", t("checkButtonLabel", { d: `∂${out}/∂${v}` }));
      const label = h("label", { for: id, class: "check-label" }, `∂${out}/∂${v} =`);
      const busy = h("div", { class: "busy", hidden: "" }, h("span", { class: "bar" }), h("span", { class: "busy-text" }));
      const result = h("div", { class: "check-result", id: `${id}-result`, "aria-live": "polite" });
      const item = h("li", { class: "check-item", "data-var": v },
        h("div", { class: "check-row" }, label, input, button), busy, result);
      const fetcher = new Fetcher({
        load: (q, signal) => fetchCheck(q.expression, q.values, q.variable, q.derivative, signal),
        show: (answer, q) => {
          this.answers.set(v, { answer, point: pointKey(q) });
          this._show(v, answer);
        },
        fail: (err) => this._error(v, err),
        busy: (on) => { setBusy(busy, on, t("checking")); result.classList.toggle("stale", on); },
        debounceMs: 0,
      });
      this.rows.set(v, { input, result, busy, fetcher, out });
      input.addEventListener("input", () => this.texts.set(v, input.value));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          this._check(v, true);
        }
      });
      button.addEventListener("click", () => this._check(v, true));
      return item;
    });
    this.list.replaceChildren(...items);
  }

  _check(v, now = false) {
    const row = this.rows.get(v);
    const text = row.input.value.trim();
    if (!text) {
      row.fetcher.cancel();
      this.answers.delete(v);
      row.result.replaceChildren(h("p", { class: "muted" }, t("checkEmpty")));
      return;
    }
    const c = this.context;
    row.fetcher.request({ expression: c.expression, values: c.values, variable: v, derivative: text },
      { now, force: now });
  }

  _error(v, err) {
    const row = this.rows.get(v);
    row.input.setAttribute("aria-invalid", "true");
    row.result.classList.remove("stale");
    const where = Number.isInteger(err.column) && err.detail?.field === "derivative"
      ? `${t("errorAt", { line: err.line ?? 1, column: err.column + 1 })}: ` : "";
    row.result.replaceChildren(h("p", { class: "panel-error" }, where, err.message));
    row.result.dataset.verdict = "error";
  }

  _show(v, a) {
    const row = this.rows.get(v);
    const f = this.page.fmt();
    row.input.removeAttribute("aria-invalid");
    row.result.classList.remove("stale");
    const d = `∂${row.out}/∂${v}`;
    const verdict = a.agrees === true ? "agrees" : a.agrees === false ? "differs" : "unknown";
    row.result.dataset.verdict = verdict;
    const icon = { agrees: "✓", differs: "✗", unknown: "?" }[verdict];
    const head = h("p", { class: `verdict ${verdict}` }, h("span", { class: "icon", "aria-hidden": "true" }, icon),
      h("b", {}, t(`verdict_${verdict}`, { d })));
    const why = [];
    if (a.symbolic_equal === true) why.push(t("symEqual"));
    else if (a.symbolic_equal === false) why.push(t("symDiffers", { diff: formula(a.symbolic_difference ?? "") }));
    else why.push(t("symUnknown"));
    const pts = a.points ?? [];
    const good = pts.filter((p) => p.agrees).length;
    why.push(t("pointsAgree", { k: good, n: pts.length }));
    const parts = [head, h("p", { class: "why" }, why.join(" "))];
    if (pts.length && verdict !== "agrees") {
      const names = Object.keys(pts[0].point);
      const table = h("table", { class: "check-points" },
        h("caption", { class: "sr-only" }, t("checkPointsCaption")),
        h("thead", {}, h("tr", {},
          ...names.map((n) => h("th", { scope: "col", class: "num" }, n)),
          h("th", { scope: "col", class: "num" }, t("expected")),
          h("th", { scope: "col", class: "num" }, t("yours")),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("verdictCol"))))),
        h("tbody", {}, ...pts.map((p) => h("tr", { class: p.agrees ? "ok" : "bad" },
          ...names.map((n) => h("td", { class: "num", title: full(p.point[n]) }, f(p.point[n]))),
          h("td", { class: "num expected", title: full(p.expected) }, f(p.expected)),
          h("td", { class: "num yours", title: full(p.yours) }, f(p.yours)),
          h("td", { class: "mark" }, p.agrees ? t("same") : t("different"))))));
      parts.push(h("div", { class: "check-points-box" }, table));
    }
    for (const n of a.notes ?? []) parts.push(h("p", { class: "note" }, n));
    row.result.replaceChildren(...parts);
  }
}
