// A number field and a slider for each variable the server found in the expression, with the
// gradient for that variable beside it. Cards are rebuilt only when the set of names changes.

import { t } from "./i18n.js";
import { plain } from "./format.js";

function sliderRange(v) {
  const span = Math.max(5, Math.abs(v) * 2);
  const step = Math.pow(10, Math.floor(Math.log10(span / 500)));
  return { min: roundTo(v - span, step), max: roundTo(v + span, step), step };
}

function roundTo(x, step) {
  return Number((Math.round(x / step) * step).toPrecision(12));
}

export class Variables {
  /** onInput(name, value, final): final is false while a slider is being dragged. */
  constructor(container, onInput) {
    this.container = container;
    this.onInput = onInput;
    this.names = null;
    this.cards = new Map();
  }

  render(names, values, gradient, out, f) {
    const key = `${names.join("\u0000")}#${document.documentElement.lang}`;
    if (key !== this.names) {
      this.names = key;
      this._build(names, values);
    }
    for (const name of names) {
      const card = this.cards.get(name);
      if (!card) continue;
      const v = values[name];
      if (document.activeElement !== card.number && Number(card.number.value) !== v) card.number.value = plain(v);
      if (document.activeElement !== card.slider) {
        if (v < Number(card.slider.min) || v > Number(card.slider.max)) Object.assign(card.slider, sliderRange(v));
        card.slider.value = String(v);
      }
      const g = gradient?.[name];
      card.grad.replaceChildren(`∂${out}/∂${name} = `, Object.assign(document.createElement("b"), {
        textContent: g === undefined ? "…" : f(g),
      }));
      card.grad.title = g === undefined ? "" : String(g);
    }
  }

  _build(names, values) {
    this.cards.clear();
    if (!names.length) {
      const p = document.createElement("p");
      p.className = "novars";
      p.textContent = t("noVariables");
      this.container.replaceChildren(p);
      return;
    }
    const frag = document.createDocumentFragment();
    for (const name of names) {
      const v = values[name] ?? 1;
      const card = document.createElement("div");
      card.className = "var";
      card.dataset.name = name;
      const id = `var-${[...name].map((c) => c.codePointAt(0).toString(16)).join("-")}`;
      const label = document.createElement("label");
      label.className = "vname";
      label.htmlFor = id;
      label.textContent = name;
      const number = document.createElement("input");
      Object.assign(number, { type: "number", id, step: "any", value: plain(v), inputMode: "decimal" });
      number.setAttribute("aria-label", t("valueOf", { name }));
      const slider = document.createElement("input");
      Object.assign(slider, { type: "range", ...sliderRange(v) });
      slider.value = String(v);
      slider.setAttribute("aria-label", t("sliderOf", { name }));
      const grad = document.createElement("div");
      grad.className = "vgrad";
      grad.setAttribute("aria-live", "off");
      card.append(label, number, slider, grad);
      frag.appendChild(card);

      number.addEventListener("input", () => {
        const x = Number(number.value);
        if (number.value.trim() === "" || !Number.isFinite(x)) return;
        this.onInput(name, x, true);
      });
      number.addEventListener("change", () => {
        const x = Number(number.value);
        if (!Number.isFinite(x)) return;
        if (x < Number(slider.min) || x > Number(slider.max)) Object.assign(slider, sliderRange(x));
        slider.value = String(x);
      });
      slider.addEventListener("input", () => {
        const x = Number(slider.value);
        number.value = plain(x);
        this.onInput(name, x, false);
      });
      slider.addEventListener("change", () => this.onInput(name, Number(slider.value), true));
      this.cards.set(name, { card, number, slider, grad });
    }
    this.container.replaceChildren(frag);
  }
}
