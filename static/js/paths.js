// The chain rule as a sum over paths: for a chosen input, every path from it to the output
// with the product of the local derivatives along it, written out as the lecture does
// (∂f/∂c · ∂c/∂a · ∂a/∂x = 0.6931 × 1 × 1), and their sum, which is the gradient. Hovering
// or focusing a path lights it up on the graph.

import { fetchPaths } from "./api.js";
import { fmt, full } from "./format.js";
import { t } from "./i18n.js";
import { Fetcher, setBusy } from "./panel.js";
import { h } from "./dom.js";

const LIMIT = 100; // paths listed at most (all are counted by the server)
const WRITE_FACTORS = 4; // the sum written factor by factor up to this many paths
const WRITE_PRODUCTS = 12; // then product by product
const LONG_PATH = 9; // a longer path shows its first and last factors around "…"
const ENDS = 3;

/** A big count (a decimal string from the server) with thin spaces between thousands; a
 *  longer one as 1.23e456, from `approx` or, past float64's range (approx null), its digits. */
function countText(count, approx) {
  if (count.length > 18) return approx !== null ? fmt(approx, 3) : `${count[0]}.${count.slice(1, 3)}e${count.length - 1}`;
  return count.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
}

export class PathsPanel {
  /**
   * @param root the panel
   * @param page {fmt(), highlight({edges, nodes} | null, item, "hover" | "focus"), onVariable(name),
   *   scrolling(): true while the page scrolls to the graph}
   */
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.select = root.querySelector(".paths-var");
    this.box = root.querySelector(".paths-box");
    this.busyEl = root.querySelector(".busy");
    this.variable = null;
    this.fetcher = new Fetcher({
      load: (q, signal) => fetchPaths(q.expression, q.values, q.variable, LIMIT, signal),
      show: (answer) => this._show(answer),
      fail: (err) => {
        this.box.classList.remove("stale");
        this.box.replaceChildren(h("p", { class: "panel-error" }, err.message));
      },
      busy: (on) => { setBusy(this.busyEl, on, t("computingPaths")); this.box.classList.toggle("stale", on); },
    });
    this.select.addEventListener("change", () => {
      this.variable = this.select.value;
      this.page.onVariable?.(this.variable);
      if (this.context) this.update(this.context);
    });
  }

  /** context: {expression, values, model, pathVar} */
  update(c) {
    this.context = c;
    const names = c.model.variables;
    const key = names.join("\u0000");
    if (this.select.dataset.key !== key) {
      this.select.replaceChildren(...names.map((n) => new Option(n, n)));
      this.select.dataset.key = key;
    }
    if (!names.includes(this.variable)) this.variable = names.includes(c.pathVar) ? c.pathVar : names[0] ?? null;
    this.select.value = this.variable ?? "";
    this.select.disabled = names.length < 2;
    if (!this.variable) {
      this.fetcher.cancel();
      this.box.replaceChildren(h("p", { class: "muted" }, t("noVariables")));
      return;
    }
    this.fetcher.request({ expression: c.expression, values: c.values, variable: this.variable });
  }

  redraw() {
    this.fetcher.redraw();
  }

  _show(a) {
    const f = this.page.fmt();
    const model = this.context.model;
    const out = model.dname(model.outputId);
    const x = a.variable;
    // Put back only a path this panel lit (its list is redrawn): a highlight another view holds
    // (a derivation term under the pointer) stays.
    if (this._lit) this.page.highlight(null);
    this._lit = false;
    // A factor is named as everywhere else (the server's display name); a sub-expression the
    // server calls by its id (a long one, n12) has its whole expression on hover and in the
    // "where" line.
    const named = new Set();
    const ratio = (e) => {
      const edge = model.edgeById.get(e);
      const same = model.inEdges.get(edge.target).filter((k) => k.source === edge.source).length > 1;
      const mark = same ? `⁽${"¹²³⁴⁵⁶⁷⁸⁹"[edge.index] ?? edge.index + 1}⁾` : "";
      for (const id of [edge.target, edge.source]) {
        if (model.generated(id)) named.add(id);
      }
      return {
        name: `∂${model.dname(edge.target)}/∂${model.dname(edge.source)}${mark}`,
        long: `∂${model.lname(edge.target)}/∂${model.lname(edge.source)}${mark}`,
      };
    };
    const items = a.paths.map((p, i) => {
      // The lecture writes each product from the output back to the input. A long path shows
      // its first and last factors only, and only those are named (a 528-node graph's hundred
      // paths of a hundred edges each: 17 ms a keystroke naming factors never shown).
      const back = p.edges.map((_, k) => p.edges.length - 1 - k);
      const long = back.length > LONG_PATH;
      const shown = (long ? [...back.slice(0, ENDS), null, ...back.slice(-ENDS)] : back)
        .map((k) => (k === null ? null : { ...ratio(p.edges[k]), value: p.locals[k] }));
      const names = p.nodes.map((n) => model.name(n));
      const route = names.length > LONG_PATH + 1
        ? [...names.slice(0, ENDS), `… ${t("moreSteps", { k: names.length - 2 * ENDS })} …`, ...names.slice(-ENDS)].join(" → ")
        : names.join(" → ");
      const chain = h("div", { class: "chain" });
      shown.forEach((fa, k) => {
        if (k) chain.append(h("span", { class: "times", "aria-hidden": "true" }, "×"));
        if (fa === null) {
          chain.append(h("span", { class: "factor more" }, h("span", { class: "fname" },
            t("moreFactors", { k: back.length - 2 * ENDS })), h("span", { class: "fval" }, "…")));
          return;
        }
        chain.append(h("span", { class: "factor" },
          h("span", { class: "fname", ...(fa.long !== fa.name ? { title: fa.long } : {}) }, fa.name),
          h("span", { class: "fval", title: full(fa.value) }, f(fa.value))));
      });
      chain.append(h("span", { class: "eq" }, "="), h("span", { class: "product", title: full(p.product) }, f(p.product)));
      const label = t("pathLabel", {
        k: i + 1, route,
        product: `${shown.map((fa) => (fa ? `${fa.long} = ${f(fa.value)}` : "…")).join(" × ")} = ${f(p.product)}`,
      });
      // One tab stop for the list; ↑ and ↓ move between paths (← → stay the player's).
      const li = h("li", { class: "path", tabindex: i === 0 ? "0" : "-1", "data-index": String(i), "aria-label": label },
        h("div", { class: "route" }, h("span", { class: "pnum" }, `${i + 1}`), route), chain);
      const on = (how) => () => {
        this._current(li);
        this._lit = true;
        this.page.highlight({ edges: p.edges, nodes: p.nodes }, li, how);
      };
      const off = () => { li.classList.remove("on"); this._lit = false; this.page.highlight(null); };
      // While the page scrolls to the graph, the list may slide under a still pointer: the
      // path chosen stays lit until the pointer moves again.
      const still = () => this.page.scrolling?.();
      li.addEventListener("pointerenter", () => { if (!still()) on("hover")(); });
      li.addEventListener("pointerleave", () => { if (document.activeElement !== li && !still()) off(); });
      li.addEventListener("focus", on("focus"));
      li.addEventListener("blur", off);
      return li;
    });

    const head = h("p", { class: "paths-head" }, a.truncated
      ? t("pathsShowing", { n: a.paths.length, m: countText(a.count, a.count_approx), x, out })
      : t("pathsCount", { m: countText(a.count, a.count_approx), x, out, s: a.count === "1" ? "" : "s" }));
    const parts = [head];
    if (named.size) {
      // Ids in the order of the graph (inputs first), each with its expression.
      const ids = model.graph.nodes.map((n) => n.id).filter((id) => named.has(id));
      parts.push(h("p", { class: "paths-where", "aria-label": t("pathsWhereLabel") },
        h("span", { class: "where" }, t("pathsWhere")), " ",
        ...ids.flatMap((id, k) => [k ? ", " : null,
          h("span", { class: "def", "data-id": id }, h("b", {}, id), ` = ${model.text(id)}`)])));
    }
    if (items.length) {
      const list = h("ol", { class: "paths-list" }, ...items);
      list.addEventListener("keydown", (e) => this._key(e, items));
      parts.push(list);
    }
    else parts.push(h("p", { class: "muted" }, t("noPaths", { x, out })));

    // The sum, written out like the lecture: 0.6931 × 1 × 1 + 0.6931 × 1 × 1 + ... = 2.773.
    let terms;
    if (a.paths.length <= WRITE_FACTORS) {
      // A path of no edge (f = x: from x to itself) is the empty product, 1.
      terms = a.paths.map((p) => (p.locals.length ? [...p.locals].reverse().map((v) => f(v)).join(" × ") : f(p.product)));
    } else if (a.paths.length <= WRITE_PRODUCTS) {
      terms = a.paths.map((p) => f(p.product));
    } else {
      const ps = a.paths.map((p) => f(p.product));
      terms = [...ps.slice(0, 5), "…", ps[ps.length - 1]];
    }
    if (a.paths.length) {
      // Each product stays on one line; a long sum breaks between them ("+ −0.5" reads "− 0.5").
      const sumParts = terms.flatMap((term, i) => {
        const minus = i > 0 && term.startsWith("\u2212");
        const sep = i === 0 ? null : minus ? " \u2212 " : " + ";
        return [sep, h("span", { class: "term" }, minus ? term.slice(1) : term)];
      });
      // One term that is already the total is written once: "∂x/∂x = 1", not "= 1 = 1".
      const once = terms.length === 1 && terms[0] === f(a.listed_sum);
      const sum = h("p", { class: "paths-sum" },
        h("span", { class: "lhs" }, a.truncated ? t("listedSum") : `∂${out}/∂${x} =`), " ",
        ...(once ? [] : [h("span", { class: "terms" }, ...sumParts), " = "]),
        h("b", { class: "total", title: full(a.listed_sum) }, f(a.listed_sum)));
      parts.push(sum);
    }
    parts.push(h("p", { class: "paths-grad" }, a.truncated
      ? t("pathsGradTruncated", { x, out, g: f(a.gradient) })
      : t("pathsGrad", { x, out, g: f(a.gradient) })));
    this.box.classList.remove("stale");
    this.box.dataset.count = a.count;
    this.box.dataset.truncated = String(a.truncated);
    this.box.replaceChildren(...parts);
  }

  _key(e, items) {
    const at = items.indexOf(document.activeElement);
    if (at < 0) return;
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + 10, PageUp: at - 10 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    for (const li of items) li.tabIndex = li === next ? 0 : -1;
    next.focus();
  }

  _current(li) {
    for (const other of this.box.querySelectorAll(".path.on")) other.classList.remove("on");
    li.classList.add("on");
  }
}
