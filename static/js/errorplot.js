// The lecture's error experiment as a log-log plot, drawn from POST /api/v1/numeric with
// sweep: the absolute error of forward, backward and central differences against h. Where
// truncation dominates (large h) the curves fall with slope about 1 and 2 (the server fits
// them); where round-off dominates (small h) they rise again; the best h is ringed.

import { fetchSweep } from "./api.js";
import { fmt, full, toNumber } from "./format.js";
import { t } from "./i18n.js";
import { Fetcher, setBusy } from "./panel.js";
import { h, svg as s } from "./dom.js";

const METHODS = ["forward", "backward", "central"];
const MARKERS = { forward: "circle", backward: "square", central: "triangle" };
const DEFAULT_RANGE = { largest: 0.1, smallest: 1e-13, count: 13 };
const MAX_COUNT = 60;

const r1 = (v) => Math.round(v * 10) / 10;
const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** 10^k as the axis writes it: 10⁻³. */
function decade(k) {
  if (k === 0) return "1";
  if (k === 1) return "10";
  return `10${String(k).replace(/[-\d]/g, (c) => SUP[c])}`;
}

/** A step as people write it: 0.001, 1e-8. */
function stepText(x) {
  const v = toNumber(x);
  if (v >= 1e-4 && v < 1e4) return String(Number(v.toPrecision(6)));
  const [mant, exp] = v.toExponential(5).split("e");
  return `${mant.replace(/\.?0+$/, "")}e${Number(exp)}`;
}

/** A marker of `shape` at (x, y), size r. */
function marker(parent, shape, x, y, r, attrs = {}) {
  if (shape === "circle") return s("circle", { cx: r1(x), cy: r1(y), r, ...attrs }, parent);
  if (shape === "square") {
    return s("rect", { x: r1(x - r * 0.9), y: r1(y - r * 0.9), width: r1(r * 1.8), height: r1(r * 1.8), ...attrs }, parent);
  }
  const k = r * 1.25;
  return s("path", { d: `M${r1(x)},${r1(y - k)}L${r1(x + k)},${r1(y + k * 0.8)}L${r1(x - k)},${r1(y + k * 0.8)}Z`, ...attrs }, parent);
}

/** Spread labels (sorted by y) so that no two are closer than `gap`, inside [lo, hi]. */
function spread(items, gap, lo, hi) {
  items.sort((a, b) => a.y - b.y);
  for (let i = 1; i < items.length; i++) items[i].y = Math.max(items[i].y, items[i - 1].y + gap);
  const over = items.length ? items[items.length - 1].y - hi : 0;
  if (over > 0) for (const it of items) it.y -= over;
  for (let i = 0; i < items.length; i++) items[i].y = Math.max(items[i].y, lo + i * gap);
  return items;
}

export class ErrorPlot {
  /**
   * @param root the panel
   * @param page {fmt(), chosenH(), onChange({dtype}), onVariable(name)}
   */
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.box = root.querySelector(".plot-box");
    this.legend = root.querySelector(".plot-legend");
    this.caption = root.querySelector(".plot-caption");
    this.dataBox = root.querySelector(".plot-data-box");
    this.select = root.querySelector(".plot-var");
    this.f32 = root.querySelector(".plot-f32");
    this.range = {
      largest: root.querySelector(".range-largest"),
      smallest: root.querySelector(".range-smallest"),
      count: root.querySelector(".range-count"),
    };
    this.rangeError = root.querySelector(".range-error");
    this.busyEl = root.querySelector(".busy");
    this.variable = null; // null: chosen from the answer
    this.steps = { ...DEFAULT_RANGE };
    this.range.largest.value = "0.1";
    this.range.smallest.value = "1e-13";
    this.range.count.value = "13";
    this.fetcher = new Fetcher({
      load: (q, signal) => fetchSweep(q.expression, q.values, { dtype: q.dtype, steps: q.steps }, signal),
      show: (answer) => this._show(answer),
      fail: (err) => {
        this.box.classList.remove("stale");
        this.box.replaceChildren(h("p", { class: "panel-error" }, err.message));
        this.legend.replaceChildren();
      },
      busy: (on) => { setBusy(this.busyEl, on, t("computingSweep")); this.box.classList.toggle("stale", on); },
    });
    this.select.addEventListener("change", () => {
      this.variable = this.select.value;
      this.page.onVariable?.(this.variable);
      this.redraw();
    });
    this.f32.addEventListener("change", () => this.page.onChange?.({ dtype: this.f32.checked ? "float32" : "float64" }));
    for (const input of Object.values(this.range)) input.addEventListener("change", () => this._readRange());
    new ResizeObserver(() => {
      const w = this.box.clientWidth;
      if (this.answer && Math.abs(w - (this._width ?? 0)) > 4) this._draw();
    }).observe(this.box);
  }

  _readRange() {
    const largest = Number(this.range.largest.value);
    const smallest = Number(this.range.smallest.value);
    const count = Number(this.range.count.value);
    const bad = [];
    if (!(largest > 0) || !Number.isFinite(largest)) bad.push(["largest", t("rangeBadLargest")]);
    if (!(smallest > 0) || !Number.isFinite(smallest)) bad.push(["smallest", t("rangeBadSmallest")]);
    else if (!bad.length && !(smallest < largest)) bad.push(["smallest", t("rangeBadOrder")]);
    if (!Number.isInteger(count) || count < 2 || count > MAX_COUNT) bad.push(["count", t("rangeBadCount", { max: MAX_COUNT })]);
    for (const [name, input] of Object.entries(this.range)) {
      if (bad.some(([n]) => n === name)) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    this.rangeError.textContent = bad.map(([, m]) => m).join(" ");
    this.rangeError.hidden = !bad.length;
    if (bad.length) return;
    this.steps = { largest, smallest, count };
    if (this.context) this.update(this.context);
  }

  /** context: {expression, values, model, dtype, plotVar} */
  update(c) {
    this.context = c;
    this.f32.checked = c.dtype === "float32";
    if (c.plotVar && c.model.variables.includes(c.plotVar)) this.variable = c.plotVar;
    const steps = this.steps.largest === DEFAULT_RANGE.largest && this.steps.smallest === DEFAULT_RANGE.smallest
      && this.steps.count === DEFAULT_RANGE.count ? null : this.steps;
    this.fetcher.request({ expression: c.expression, values: c.values, dtype: c.dtype, steps });
  }

  redraw() {
    if (this.answer) this._draw();
  }

  _show(answer) {
    this.answer = answer;
    this.box.classList.remove("stale");
    const names = [...new Set(answer.sweep.map((c) => c.variable))];
    const key = names.join("\u0000");
    if (this.select.dataset.key !== key) {
      this.select.replaceChildren(...names.map((n) => new Option(n, n)));
      this.select.dataset.key = key;
    }
    this.select.disabled = names.length < 2;
    if (!names.includes(this.variable)) {
      // The first variable whose three curves all have a truncation region to show, if any.
      const full3 = names.find((v) => answer.sweep.filter((c) => c.variable === v).every((c) => c.slope !== null));
      this.variable = full3 ?? names[0] ?? null;
    }
    this.select.value = this.variable ?? "";
    this._draw();
  }

  _curves() {
    const byMethod = new Map(this.answer.sweep.filter((c) => c.variable === this.variable).map((c) => [c.method, c]));
    return METHODS.filter((m) => byMethod.has(m)).map((m) => byMethod.get(m));
  }

  _draw() {
    const answer = this.answer;
    const curves = this._curves();
    if (!curves.length) {
      this.box.replaceChildren(h("p", { class: "muted" }, t("noVariables")));
      this.legend.replaceChildren();
      return;
    }
    const width = Math.max(280, this.box.clientWidth || 640);
    this._width = width;
    const height = Math.round(Math.max(260, Math.min(440, width * 0.56)));
    const roomy = width >= 560;
    const M = { left: 60, right: roomy ? 132 : 16, top: 34, bottom: 54 };
    const pw = width - M.left - M.right;
    const ph = height - M.top - M.bottom;

    // Where the points are (logarithms are for placing them on the axes only).
    const pts = curves.map((c) => c.steps.map((st, i) => {
      const e = toNumber(c.errors[i]);
      return { h: st, lh: Math.log10(st), e, le: e > 0 && Number.isFinite(e) ? Math.log10(e) : null, est: c.estimates[i], i };
    }));
    const lhs = curves[0].steps.map((x) => Math.log10(x));
    const xmin = Math.min(...lhs) - 0.3;
    const xmax = Math.max(...lhs) + 0.3;
    const les = pts.flat().map((p) => p.le).filter((v) => v !== null);
    // A little air past the extremes, so that a ring on the lowest error is not on the frame.
    let ymin = les.length ? Math.floor(Math.min(...les) - 0.3) : -16;
    let ymax = les.length ? Math.ceil(Math.max(...les) + 0.15) : 0;
    if (ymax - ymin < 2) { ymin -= 1; ymax += 1; }
    const X = (lx) => M.left + ((lx - xmin) / (xmax - xmin)) * pw;
    const Y = (ly) => M.top + ((ymax - ly) / (ymax - ymin)) * ph;

    const svg = s("svg", {
      class: "error-plot", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
      "data-variable": this.variable, "data-dtype": answer.dtype,
    });
    s("title", {}, svg, t("plotTitle", { x: this.variable, dtype: answer.dtype }));
    s("desc", {}, svg, curves.map((c) => t("plotDesc", {
      method: t(`method_${c.method}`),
      slope: c.slope === null ? t("noSlope") : fmt(c.slope, 3),
      best: c.best_step === null ? "—" : stepText(c.best_step),
    })).join(" "));

    // Grid and ticks: a line at every power of ten, a label where there is room for one.
    const grid = s("g", { class: "grid" }, svg);
    const axes = s("g", { class: "axes" }, svg);
    const x0 = Math.ceil(xmin), x1 = Math.floor(xmax);
    const kx = Math.max(1, Math.ceil(((x1 - x0 + 1) * 46) / pw));
    for (let k = x0; k <= x1; k++) {
      s("line", { x1: r1(X(k)), x2: r1(X(k)), y1: M.top, y2: M.top + ph }, grid);
      if (k % kx === 0) {
        s("line", { class: "tick", x1: r1(X(k)), x2: r1(X(k)), y1: M.top + ph, y2: M.top + ph + 5 }, axes);
        s("text", { class: "tick-label x", x: r1(X(k)), y: M.top + ph + 19 }, axes, decade(k));
      }
    }
    const ky = Math.max(1, Math.ceil(((ymax - ymin + 1) * 22) / ph));
    for (let k = ymin; k <= ymax; k++) {
      s("line", { x1: M.left, x2: M.left + pw, y1: r1(Y(k)), y2: r1(Y(k)) }, grid);
      if (k % ky === 0) {
        s("line", { class: "tick", x1: M.left - 5, x2: M.left, y1: r1(Y(k)), y2: r1(Y(k)) }, axes);
        s("text", { class: "tick-label y", x: M.left - 8, y: r1(Y(k)) }, axes, decade(k));
      }
    }
    s("rect", { class: "frame", x: M.left, y: M.top, width: pw, height: ph }, axes);
    s("text", { class: "axis-title x", x: r1(M.left + pw / 2), y: height - 10 }, axes, t("axisH"));
    s("text", { class: "axis-title y", transform: `translate(15 ${r1(M.top + ph / 2)}) rotate(-90)` }, axes, t("axisError"));

    // Where the two kinds of error take over, around the best steps.
    const bests = curves.map((c) => c.best_step).filter((b) => b !== null).map((b) => Math.log10(b));
    if (bests.length && curves.some((c) => c.slope !== null)) {
      const at = X(bests.reduce((a, b) => a + b, 0) / bests.length);
      const mid = Math.max(M.left + 120, Math.min(M.left + pw - 120, at));
      const regions = s("g", { class: "regions" }, svg);
      s("text", { class: "region left", x: r1(mid - 10), y: M.top - 12 }, regions, t("regionRoundoff"));
      s("text", { class: "region right", x: r1(mid + 10), y: M.top - 12 }, regions, t("regionTruncation"));
    }

    // The h chosen for the comparison table.
    const chosen = this.page.chosenH?.();
    if (chosen > 0 && Math.log10(chosen) >= xmin && Math.log10(chosen) <= xmax) {
      const x = X(Math.log10(chosen));
      const g = s("g", { class: "chosen-h" }, svg);
      s("line", { x1: r1(x), x2: r1(x), y1: M.top, y2: M.top + ph }, g);
      const right = x + 130 < M.left + pw;
      s("text", { x: r1(right ? x + 5 : x - 5), y: M.top + 14, class: right ? "" : "end" }, g, t("yourH", { h: stepText(chosen) }));
    }

    // The curves: a gap where an error is 0 (nothing to put on a log scale) or not finite.
    const f = this.page.fmt();
    const endLabels = [];
    const rings = [];
    curves.forEach((c, ci) => {
      const g = s("g", { class: `curve ${c.method}`, "data-method": c.method }, svg);
      let d = "";
      let pen = false;
      for (const p of pts[ci]) {
        if (p.le === null) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${r1(X(p.lh))},${r1(Y(p.le))}`;
        pen = true;
      }
      s("path", { class: "line", d }, g);
      const marks = s("g", { class: "marks" }, g);
      for (const p of pts[ci]) {
        if (p.le === null) continue;
        const mk = marker(marks, MARKERS[c.method], X(p.lh), Y(p.le), 3.6);
        s("title", {}, mk, t("pointTitle", {
          method: t(`method_${c.method}`), h: stepText(p.h), est: full(p.est), err: fmt(p.e, 3),
        }));
      }
      if (c.best_step !== null) {
        const b = pts[ci].find((p) => p.h === c.best_step);
        if (b && b.le !== null) rings.push({ x: X(b.lh), y: Y(b.le), method: c.method, h: c.best_step });
      }
      // The label goes by the point of largest h: that is where truncation dominates.
      const last = pts[ci].filter((p) => p.le !== null).sort((a, b) => b.lh - a.lh)[0];
      if (roomy && c.slope !== null && last) endLabels.push({ y: Y(last.le), c });
    });

    // The best h of each curve, ringed (curves that share one get one label).
    const ringLayer = s("g", { class: "best" }, svg);
    const labelled = [];
    for (const r of rings) {
      s("circle", { class: `ring ${r.method}`, cx: r1(r.x), cy: r1(r.y), r: 8.5 }, ringLayer);
      if (labelled.some((q) => Math.abs(q.x - r.x) < 64 && Math.abs(q.y - r.y) < 18)) continue;
      labelled.push(r);
      const below = r.y + 24 < M.top + ph;
      s("text", { class: `best-label ${r.method}`, x: r1(r.x), y: r1(below ? r.y + 23 : r.y - 14) }, ringLayer,
        t("bestH", { h: stepText(r.h) }));
    }

    // Slopes where truncation dominates, at the right end of each curve.
    const labels = s("g", { class: "slopes" }, svg);
    for (const it of spread(endLabels, 17, M.top + 6, M.top + ph)) {
      const text = s("text", {
        class: `slope-label ${it.c.method}`, x: M.left + pw + 10, y: r1(it.y),
        "data-method": it.c.method, "data-slope": String(it.c.slope),
      }, labels, t("slopeLabel", { slope: fmt(it.c.slope, 3) }));
      text.setAttribute("aria-hidden", "true");
    }

    if (!les.length) {
      // Every error is 0 or not finite: say so where the curves would be.
      s("text", { class: "empty", x: r1(M.left + pw / 2), y: r1(M.top + ph / 2) }, svg, t("plotNothing"));
    }
    this.box.replaceChildren(svg);
    this._legend(curves, answer, f);
    this._data(curves);
  }

  _legend(curves, answer, f) {
    const items = curves.map((c) => {
      const sw = s("svg", { class: `swatch ${c.method}`, viewBox: "0 0 34 14", width: 34, height: 14, "aria-hidden": "true" });
      s("line", { class: "line", x1: 1, x2: 33, y1: 7, y2: 7 }, sw);
      marker(sw, MARKERS[c.method], 17, 7, 3.6);
      const slope = c.slope === null
        ? t("legendNoSlope", { order: c.order })
        : t("legendSlope", { slope: fmt(c.slope, 3), order: c.order });
      const best = c.best_step === null ? "" : t("legendBest", { h: stepText(c.best_step) });
      return h("li", { class: c.method, "data-method": c.method, "data-slope": c.slope === null ? "" : String(c.slope) },
        sw, h("span", { class: "lname" }, t(`methodLong_${c.method}`)),
        h("span", { class: "lslope" }, slope), best ? h("span", { class: "lbest" }, best) : null);
    });
    this.legend.replaceChildren(...items);
    const exact = answer.exact?.[this.variable];
    const out = this.context?.model ? this.context.model.dname(this.context.model.outputId) : "f";
    this.caption.textContent = t("plotCaption", {
      d: `∂${out}/∂${this.variable}`, exact: exact === undefined ? "" : f(exact), dtype: answer.dtype,
    });
  }

  _data(curves) {
    const head = h("tr", {}, h("th", { scope: "col", class: "num" }, "h"),
      ...curves.map((c) => h("th", { scope: "col", class: "num" }, t(`method_${c.method}`))));
    const rows = curves[0].steps.map((st, i) => h("tr", {}, h("th", { scope: "row", class: "num" }, stepText(st)),
      ...curves.map((c) => h("td", { class: `num${c.best_step === st ? " best" : ""}`, title: full(c.errors[i]) },
        fmt(c.errors[i], 3)))));
    this.dataBox.replaceChildren(h("table", { class: "plot-data" },
      h("caption", { class: "sr-only" }, t("plotDataCaption", { x: this.variable })),
      h("thead", {}, head), h("tbody", {}, ...rows)));
  }
}
