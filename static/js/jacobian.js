// The Jacobian view of one edge of a tensor graph, as the lecture writes back-propagation
// (Goodfellow et al., eq. 6.46): ∇ₓz = (∂y/∂x)ᵀ ∇ᵧz, each tensor flattened into a vector.
// It shows the server's `jacobian` transposed (the only rearranging done here), `grad_in` as a
// column and `product` as a column. A modal <dialog>: Escape closes it, focus goes back.

import { indexLabel, shapeText, transposed } from "./arrays.js";
import { t } from "./i18n.js";
import { h } from "./dom.js";

/** A number in a cell: formatted, every digit in its title, the number itself in data-value. */
function cell(tag, v, f, full) {
  const c = h(tag, { class: "num", "data-value": String(v), title: full(v) }, f(v));
  if (v === 0) c.classList.add("zero");
  return c;
}

/** A table of `rows` (arrays of numbers) with a caption, column and row headers. */
function matrix(rows, { caption, label, colHeads, rowHeads, cls, f, full }) {
  const table = h("table", { class: `jac-matrix ${cls}`, "aria-label": label });
  table.appendChild(h("caption", {}, caption));
  const thead = h("thead");
  const head = h("tr");
  head.appendChild(h("td"));
  for (const c of colHeads) head.appendChild(h("th", { scope: "col" }, c));
  thead.appendChild(head);
  const tbody = h("tbody");
  rows.forEach((row, i) => {
    const tr = h("tr");
    tr.appendChild(h("th", { scope: "row" }, rowHeads[i]));
    for (const v of row) tr.appendChild(cell("td", v, f, full));
    tbody.appendChild(tr);
  });
  table.append(thead, tbody);
  return table;
}

export class JacobianView {
  /** `dialog`: the page's <dialog id="jacobian">. */
  constructor(dialog) {
    this.dialog = dialog;
    this.opener = null;
    this.edgeId = null;
    dialog.querySelector(".jac-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      this.edgeId = null;
      if (this.opener?.isConnected) this.opener.focus();
      this.opener = null;
    });
    // A click on the backdrop (outside the box) closes it too.
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close();
    });
  }

  get open() {
    return this.dialog.open;
  }

  /** Show edge `id` of `model`'s graph; `opener` gets the focus back on closing. */
  show(id, model, { f, full, opener = null }) {
    this.opener = opener;
    this.edgeId = id;
    this.draw(model, { f, full });
    if (!this.dialog.open) this.dialog.showModal();
  }

  /** Draw again (a new language, new digits, new values) if open. */
  refresh(model, fmts) {
    if (!this.dialog.open) return;
    if (!model?.edgeById.has(this.edgeId)) {
      this.dialog.close();
      return;
    }
    this.draw(model, fmts);
  }

  draw(model, { f, full }) {
    const edge = model.edgeById.get(this.edgeId);
    const src = model.nodes.get(edge.source);
    const dst = model.nodes.get(edge.target);
    const s = model.name(edge.source), tname = model.name(edge.target);
    const out = model.dname(model.outputId);
    this.dialog.querySelector(".jac-title").textContent = t("jacTitle", { s, t: tname });
    const body = this.dialog.querySelector(".jac-body");
    const caption = this.dialog.querySelector(".jac-caption");
    caption.replaceChildren(equation(), " ", t("jacCaption", { s, t: tname, out }));
    this.dialog.dataset.edge = edge.id;

    if (!edge.jacobian) {
      const p = h("p", { class: "jac-note" });
      p.textContent = src.kind === "const" ? t("jacConst", { s })
        : edge.contribution === null ? t("jacData", { s })
        : t("jacTooBig", { s, t: tname, sshape: shapeText(src.shape) || "1", tshape: shapeText(dst.shape) || "1" });
      const parts = [p];
      if (edge.backward) parts.push(h("p", { class: "jac-backward" }, t("jacBackward", { backward: edge.backward })));
      body.replaceChildren(...parts);
      this.dialog.dataset.kind = "none";
      return;
    }
    this.dialog.dataset.kind = "matrix";
    const jt = transposed(edge.jacobian); // rows: the source's elements; columns: the target's
    const xs = jt.map((_, i) => `${s}${indexLabel(i, src.shape ?? [])}`);
    const ys = edge.jacobian.map((_, j) => `${tname}${indexLabel(j, dst.shape ?? [])}`);
    const fm = { f, full };
    const jtTable = matrix(jt, {
      caption: t("jacJt", { rows: jt.length, cols: ys.length }), label: t("jacJtLabel", { s, t: tname }),
      colHeads: ys, rowHeads: xs, cls: "jt", ...fm,
    });
    const gin = matrix(edge.grad_in.map((v) => [v]), {
      caption: t("jacGradIn"), label: t("jacGradInLabel", { out, t: tname }),
      colHeads: [`∂${out}/∂${model.dname(edge.target)}`], rowHeads: ys, cls: "grad-in", ...fm,
    });
    const prod = matrix(edge.product.map((v) => [v]), {
      caption: t("jacProduct"), label: t("jacProductLabel", { s }),
      colHeads: [`→ ${s}`], rowHeads: xs, cls: "product", ...fm,
    });
    const times = h("span", { class: "jac-op", "aria-hidden": "true" }, "×");
    const equals = h("span", { class: "jac-op", "aria-hidden": "true" }, "=");
    const row = h("div", { class: "jac-row" });
    row.append(jtTable, times, gin, equals, prod);
    const parts = [row];
    if (edge.backward) parts.push(h("p", { class: "jac-backward" }, t("jacBackward", { backward: edge.backward })));
    body.replaceChildren(...parts);
  }
}

/** ∇ₓz = (∂y/∂x)ᵀ ∇ᵧz, with real sub- and superscripts. */
function equation() {
  const eq = h("span", { class: "jac-eq" });
  const sub = (x) => h("sub", {}, x);
  eq.append("∇", sub("x"), "z = (∂y/∂x)", h("sup", {}, "T"), " ∇", sub("y"), "z:");
  return eq;
}
