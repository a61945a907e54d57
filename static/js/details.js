// The details of a hovered or focused node, next to it: operation, value, gradient, local
// derivatives of its inputs (and tangent in forward mode), at the current step, every digit.

import { isList, isSummary, listText, shapeText } from "./arrays.js";
import { t } from "./i18n.js";
import { full as fullNumber } from "./format.js";

/** Every digit; an array as nested lists, or a summary's statistics. */
function full(v) {
  if (isList(v)) return listText(v, fullNumber);
  if (isSummary(v)) {
    return t("dSummary", {
      min: fullNumber(v.min), max: fullNumber(v.max), mean: fullNumber(v.mean), norm: fullNumber(v.norm),
      preview: listText(v.preview ?? [], fullNumber),
    });
  }
  return fullNumber(v);
}

function row(dl, label, value, cls) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  if (value === null) {
    dd.className = "pending";
    dd.textContent = t("notYet");
  } else {
    dd.className = cls;
    dd.textContent = value;
  }
  dl.append(dt, dd);
}

export class Details {
  constructor(tooltip) {
    this.tooltip = tooltip;
    this.id = null;
    this.anchor = null;
  }

  show(id, anchor, ctx) {
    this.id = id;
    this.anchor = anchor;
    this.refresh(ctx);
  }

  hide() {
    this.id = null;
    this.anchor = null;
    this.tooltip.hidden = true;
  }

  /** Redraw for the current step (`ctx`: model, snap, functions, pass, tangentVar). */
  refresh({ model, snap, functions, pass, tangentVar }) {
    if (!this.id || !model?.nodes.has(this.id)) {
      this.hide();
      return;
    }
    const id = this.id;
    const n = model.nodes.get(id);
    const st = snap.nodes.get(id);
    const out = model.dname(model.outputId);
    const box = this.tooltip;
    box.replaceChildren();
    const h = document.createElement("h3");
    h.textContent = model.name(id);
    const small = document.createElement("small");
    if (n.kind === "var") small.textContent = t("kindVar");
    else if (n.kind === "const") small.textContent = t("kindConst");
    else small.textContent = functions?.get(n.op)?.description || n.op;
    h.appendChild(small);
    const dl = document.createElement("dl");
    if (n.kind === "op") {
      const formula = model.formula(id);
      if (formula !== model.name(id)) row(dl, t("dOp"), `${model.name(id)} = ${formula}`, "");
    }
    if (n.shape?.length) row(dl, t("dShape"), shapeText(n.shape), "");
    row(dl, t("dValue"), st && st.value !== null ? full(st.value) : null, "t-value");
    if (pass === "forward") {
      row(dl, `${t("dTangent")} ∂${model.dname(id)}/∂${tangentVar}`, st && st.tangent !== null ? full(st.tangent) : null, "t-tangent");
    } else if (n.kind === "const") {
      row(dl, t("dGrad"), t("noGrad"), "");
    } else {
      row(dl, `${t("dGrad")} ∂${out}/∂${model.dname(id)}`, st && st.grad !== null ? full(st.grad) : null, "t-grad");
    }
    const ins = model.inEdges.get(id).filter((e) => model.nodes.get(e.source).kind !== "const");
    if (ins.length) {
      const dt = document.createElement("dt");
      dt.textContent = t("dLocals");
      const dd = document.createElement("dd");
      dd.className = "t-local";
      dd.textContent = ins.map((e) => {
        const est = snap.edges.get(e.id);
        const v = est && est.local !== null ? full(est.local) : est?.vjp ? "VJP" : "…";
        // x*x: two edges from x; each says which argument of the op it is.
        const twice = ins.filter((o) => o.source === e.source).length > 1;
        const arg = twice ? t("argument", { k: e.index + 1 }) : "";
        return `∂${model.dname(id)}/∂${model.dname(e.source)}${arg} = ${v}`;
      }).join("\n");
      dd.style.whiteSpace = "pre-line";
      dl.append(dt, dd);
    }
    box.append(h, dl);
    box.hidden = false;
    this._place();
  }

  _place() {
    if (!this.anchor) return;
    const r = this.anchor.getBoundingClientRect();
    const box = this.tooltip;
    const w = box.offsetWidth, hgt = box.offsetHeight;
    let x = r.right + 10;
    if (x + w > window.innerWidth - 8) x = Math.max(8, r.left - w - 10);
    let y = r.top + r.height / 2 - hgt / 2;
    y = Math.max(8, Math.min(window.innerHeight - hgt - 8, y));
    box.style.left = `${Math.round(x)}px`;
    box.style.top = `${Math.round(y)}px`;
  }
}
