// The Jacobian of several outputs, built both ways (POST /api/v1/jacobian): forward mode fills
// the m×n matrix a column per input pass, reverse mode a row per output pass. The fill is
// stepped by a Player of its own, one pass a step, with each pass's count of local derivatives;
// any pass can be replayed on the main graph. And the generated family (GET /jacobian/family):
// n and m sliders, the cost of each mode and where they cross, all as the server counted them.

import { fetchFamily, fetchJacobian } from "./api.js";
import { t } from "./i18n.js";
import { Fetcher, setBusy } from "./panel.js";
import { BUSY, make, playerButtons } from "./mini-player.js";
import { Player } from "./player.js";

export class JacobianPanel {
  /**
   * @param root the <details> of the panel (its .panel-body is filled here)
   * @param fmt() the page's number format
   * @param replay({pass, tangent?, target?}) shows that pass on the main graph
   */
  constructor(root, { fmt, replay }) {
    this.root = root;
    this.fmt = fmt;
    this.replay = replay;
    this.answer = null;
    this.mode = "forward";
    const body = root.querySelector(".panel-body");
    const controls = make("div", { class: "panel-controls" }, body);
    this.seg = make("div", { class: "seg jm-mode", role: "radiogroup" }, controls);
    this.radios = ["forward", "reverse"].map((mode) => {
      const label = make("label", {}, this.seg);
      const input = make("input", { type: "radio", name: "jm-mode", value: mode }, label);
      input.checked = mode === this.mode;
      make("span", { "data-words": mode === "forward" ? "jmForward" : "jmReverse" }, label);
      input.addEventListener("change", () => { if (input.checked) this.setMode(mode); });
      return input;
    });
    this.player = new Player();
    this.controls = playerButtons(controls, this.player, "jm");
    this.busyEl = make("div", { class: "busy", hidden: "", role: "status" }, body);
    this.busyEl.innerHTML = BUSY;
    this.caption = make("p", { class: "jm-caption" }, body);
    this.matrixBox = make("div", { class: "jm-matrix table-wrap" }, body);
    this.passes = make("ol", { class: "jm-passes" }, body);
    this.summary = make("p", { class: "jm-summary" }, body);
    this.error = make("p", { class: "field-error jm-error", hidden: "" }, body);
    this.player.subscribe((e) => this._step(e));
    this.fetcher = new Fetcher({
      load: (q, signal) => fetchJacobian(q.expression, q.values, signal),
      show: (answer) => {
        this.answer = answer;
        this.error.hidden = true;
        this.root.dataset.state = "ready";
        this._build();
        // A new Jacobian opens on its first pass to come: the fill starts empty.
        this.player.load(this._passCount(), 0);
      },
      fail: (err) => {
        this.answer = null;
        this.matrixBox.replaceChildren();
        this.passes.replaceChildren();
        this.summary.textContent = "";
        this.caption.textContent = "";
        this.error.textContent = err.message;
        this.error.hidden = false;
        this.root.dataset.state = "error";
        this.player.load(0, 0);
      },
      busy: (on) => setBusy(this.busyEl, on, t("jmComputing")),
    });
    this._words();
  }

  update(c) {
    this._words();
    this.fetcher.request({ expression: c.expression, values: c.values });
  }

  redraw() {
    this._words();
    if (this.answer) {
      this._build();
      this._step({ step: this.player.step, count: this.player.count, playing: this.player.playing });
    }
  }

  setMode(mode) {
    this.mode = mode;
    for (const r of this.radios) r.checked = r.value === mode;
    this.root.dataset.mode = mode;
    if (!this.answer) return;
    this._build();
    this.player.load(this._passCount(), 0);
  }

  _words() {
    for (const el of this.root.querySelectorAll(".panel-body [data-words]")) {
      if (el.tagName !== "BUTTON") el.textContent = t(el.dataset.words);
    }
    this.seg.setAttribute("aria-label", t("jmModeLabel"));
    this.controls.label();
  }

  _passCount() {
    return this.answer ? this.answer[this.mode].passes : 0;
  }

  /** The matrix (cells empty until their pass), the list of passes and the costs. */
  _build() {
    const a = this.answer;
    const f = this.fmt();
    this.caption.textContent = t("jmCaption", {
      outs: a.outputs.join(", "), ins: a.inputs.join(", "), m: a.outputs.length, n: a.inputs.length,
    });
    const table = make("table", { class: "jm-table" });
    const head = make("tr", {}, make("thead", {}, table));
    make("th", { scope: "col" }, head);
    for (const x of a.inputs) make("th", { scope: "col", text: `∂/∂${x}` }, head);
    const tbody = make("tbody", {}, table);
    this.cells = a.outputs.map((y, i) => {
      const tr = make("tr", {}, tbody);
      make("th", { scope: "row", text: y }, tr);
      return a.inputs.map((x, j) => {
        const td = make("td", { class: "jm-cell", "data-row": String(i), "data-col": String(j) }, tr);
        td.dataset.value = f(a[this.mode].matrix[i][j]);
        return td;
      });
    });
    this.matrixBox.replaceChildren(table);
    const build = a[this.mode];
    const forward = this.mode === "forward";
    this.passItems = build.locals_per_pass.map((count, k) => {
      const li = make("li", { class: "jm-pass", "data-pass": String(k + 1) }, this.passes);
      const name = forward ? a.inputs[k] : a.outputs[k];
      make("span", { class: "jm-pass-text", text: t(forward ? "jmPassForward" : "jmPassReverse", { k: k + 1, x: name, y: name }) }, li);
      make("span", { class: "jm-pass-count", "data-count": String(count), text: t(count === 1 ? "jmLocalsOne" : "jmLocals", { c: count }) }, li);
      const b = make("button", { type: "button", class: "text-button jm-replay", text: t("jmReplay") }, li);
      b.setAttribute("aria-label", t("jmReplayLabel", { k: k + 1 }));
      b.addEventListener("click", () => {
        this.player.pause();
        this.player.seek(k + 1);
        this.replay(forward ? { pass: "forward", tangent: name } : { pass: "reverse", target: name });
      });
      return li;
    });
    this.passes.replaceChildren(...this.passItems);
    this.summary.replaceChildren(
      make("span", { class: "jm-cost-forward", text: t("jmCostForward", { p: a.forward.passes, c: a.forward.locals }) }),
      " ",
      make("span", { class: "jm-cost-reverse", text: t("jmCostReverse", { p: a.reverse.passes, c: a.reverse.locals }) }),
      " ",
      make("strong", { class: "jm-cheaper", text: t(`jmCheaper_${a.cheaper}`) }),
    );
  }

  /** After k passes: forward mode has filled columns 1..k, reverse mode rows 1..k. */
  _step(e) {
    this.controls.sync(e);
    this.controls.count.textContent = t("jmPassOf", { k: e.step, n: e.count });
    this.root.dataset.step = String(e.step);
    if (!this.answer || !this.cells) return;
    const forward = this.mode === "forward";
    this.cells.forEach((row, i) => row.forEach((td, j) => {
      const pass = forward ? j + 1 : i + 1;
      const filled = pass <= e.step;
      td.classList.toggle("filled", filled);
      td.classList.toggle("fresh", pass === e.step);
      td.textContent = filled ? td.dataset.value : "·";
    }));
    this.passItems.forEach((li, k) => {
      li.classList.toggle("done", k < e.step);
      li.classList.toggle("current", k + 1 === e.step);
    });
  }
}

const FAMILY_MAX = 12; // the sliders' reach, and the row over which the crossing is found

export class FamilyPanel {
  /** @param root the <details> of the panel (its .panel-body is filled here) */
  constructor(root) {
    this.root = root;
    this.n = 4;
    this.m = 2;
    this.cache = new Map(); // "n,m" -> the server's answer
    this.row = null;
    const body = root.querySelector(".panel-body");
    const controls = make("div", { class: "panel-controls fam-controls" }, body);
    this.sliders = {};
    for (const [key, words] of [["n", "famN"], ["m", "famM"]]) {
      const label = make("label", { class: "field compact fam-field" }, controls);
      make("span", { "data-words": words }, label);
      const input = make("input", { type: "range", min: "1", max: String(FAMILY_MAX), step: "1", class: `fam-${key}` }, label);
      input.value = String(this[key]);
      const out = make("output", { class: `fam-${key}-value` }, label);
      out.textContent = input.value;
      input.addEventListener("input", () => {
        this[key] = Number(input.value);
        out.textContent = input.value;
        this.refresh();
      });
      this.sliders[key] = input;
    }
    this.busyEl = make("div", { class: "busy", hidden: "", role: "status" }, body);
    this.busyEl.innerHTML = BUSY;
    this.now = make("p", { class: "fam-now" }, body);
    this.tableBox = make("div", { class: "fam-table-box table-wrap" }, body);
    this.cross = make("p", { class: "fam-cross" }, body);
    const program = make("details", { class: "fam-program" }, body);
    make("summary", { "data-words": "famProgram" }, program);
    this.code = make("pre", { class: "code" }, program);
    this.error = make("p", { class: "field-error", hidden: "" }, body);
    this.fetcher = new Fetcher({
      load: (q, signal) => this._row(q.m, signal),
      show: (row, q) => {
        this.row = { ...q, answers: row };
        this.error.hidden = true;
        this._draw();
      },
      fail: (err) => {
        this.error.textContent = err.message;
        this.error.hidden = false;
      },
      busy: (on) => setBusy(this.busyEl, on, t("famComputing")),
      debounceMs: 120,
    });
    this._words();
  }

  /** The family for m outputs and n = 1 … FAMILY_MAX, from the server (cached). */
  async _row(m, signal) {
    const ns = Array.from({ length: FAMILY_MAX }, (_, i) => i + 1);
    return Promise.all(ns.map(async (n) => {
      const key = `${n},${m}`;
      if (!this.cache.has(key)) this.cache.set(key, await fetchFamily(n, m, signal));
      return this.cache.get(key);
    }));
  }

  update() {
    this._words();
    this.refresh();
  }

  refresh() {
    if (this.row && this.row.m === this.m) this._draw();
    this.fetcher.request({ m: this.m });
  }

  redraw() {
    this._words();
    if (this.row) this._draw();
  }

  _words() {
    for (const el of this.root.querySelectorAll(".panel-body [data-words]")) el.textContent = t(el.dataset.words);
  }

  _draw() {
    const { answers, m } = this.row;
    const a = answers[this.n - 1];
    this.root.dataset.n = String(a.inputs);
    this.root.dataset.m = String(a.outputs);
    this.root.dataset.cheaper = a.cheaper;
    this.now.replaceChildren(
      t("famNow", { n: a.inputs, m: a.outputs, fp: a.forward.passes, fc: a.forward.locals, rp: a.reverse.passes, rc: a.reverse.locals }),
      " ",
      make("strong", { text: t(`famCheaper_${a.cheaper}`) }),
    );
    const table = make("table", { class: "fam-table" });
    const rows = [["famRowN", (x) => String(x.inputs)], ["famRowForward", (x) => String(x.forward.locals)],
      ["famRowReverse", (x) => String(x.reverse.locals)]];
    const tbody = make("tbody", {}, table);
    for (const [words, cell] of rows) {
      const tr = make("tr", { "data-row": words }, tbody);
      make("th", { scope: "row", text: t(words) }, tr);
      for (const x of answers) {
        const td = make("td", { "data-cheaper": x.cheaper, text: cell(x) }, tr);
        if (x.inputs === a.inputs) td.classList.add("chosen");
        // The cheaper mode's count stands out (the server's verdict, not a comparison here).
        if ((words === "famRowForward" && x.cheaper === "forward") || (words === "famRowReverse" && x.cheaper === "reverse")) {
          td.classList.add("cheaper");
        }
      }
    }
    this.tableBox.replaceChildren(table);
    this.cross.textContent = crossing(answers, m);
    this.code.textContent = a.expression;
  }
}

/** Where the server's verdict turns from forward to reverse along n, in words. */
function crossing(answers, m) {
  const firstReverse = answers.find((x) => x.cheaper === "reverse");
  const equal = answers.find((x) => x.cheaper === "equal");
  const anyForward = answers.some((x) => x.cheaper === "forward");
  if (firstReverse && anyForward) {
    const lastForward = [...answers].reverse().find((x) => x.cheaper === "forward" && x.inputs < firstReverse.inputs);
    const a = lastForward?.inputs ?? 1;
    if (equal && equal.inputs > a && equal.inputs < firstReverse.inputs) {
      return t("famCrossEqual", { m, a, e: equal.inputs, b: firstReverse.inputs });
    }
    return t("famCross", { m, a, b: firstReverse.inputs });
  }
  const mode = t(firstReverse ? "famModeReverse" : "famModeForward");
  return t("famNever", { m, mode, max: answers.length });
}
