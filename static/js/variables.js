// A number field and a slider for each variable the server found in the expression, with the
// gradient for that variable beside it; or, switched to an array, a field for nested lists
// ([[1, 2], [3, 4]]) checked here for syntax only (the server names a bad element, and its
// message shows under the field). Cards are rebuilt only when the set of names changes.

import { t } from "./i18n.js";
import { plain } from "./format.js";

/** Nested lists as typed: "[[1, 2], [3, 4]]". */
export const arrayText = (v) => JSON.stringify(v).replace(/,/g, ", ");

/** The array typed in `text`, or {error} when it is not JSON-like nested lists. */
export function parseArray(text) {
  let v;
  try {
    v = JSON.parse(text.replace(/\u2212/g, "-"));
  } catch (err) {
    return { error: err.message };
  }
  if (!Array.isArray(v)) return { error: "[…]" };
  return { value: v };
}

function sliderRange(v) {
  const span = Math.max(5, Math.abs(v) * 2);
  const step = Math.pow(10, Math.floor(Math.log10(span / 500)));
  return { min: roundTo(v - span, step), max: roundTo(v + span, step), step };
}

function roundTo(x, step) {
  return Number((Math.round(x / step) * step).toPrecision(12));
}

export class Variables {
  /**
   * onInput(name, value, final): final is false while a slider is being dragged;
   * onNeedsGrad(name, on): the variable gets a gradient (requires_grad) or is data.
   */
  constructor(container, onInput, onNeedsGrad = () => {}) {
    this.container = container;
    this.onInput = onInput;
    this.onNeedsGrad = onNeedsGrad;
    this.names = null;
    this.cards = new Map();
  }

  render(names, values, gradient, out, f, data = []) {
    const key = `${names.join("\u0000")}#${document.documentElement.lang}`;
    if (key !== this.names) {
      this.names = key;
      this._build(names, values);
    }
    for (const name of names) {
      const card = this.cards.get(name);
      if (!card) continue;
      const v = values[name];
      const isArr = Array.isArray(v);
      this._mode(card, isArr);
      if (isArr) {
        if (document.activeElement !== card.array) card.array.value = arrayText(v);
      } else if (document.activeElement !== card.number && Number(card.number.value) !== v) card.number.value = plain(v);
      if (!isArr && document.activeElement !== card.slider) {
        if (v < Number(card.slider.min) || v > Number(card.slider.max)) Object.assign(card.slider, sliderRange(v));
        card.slider.value = String(v);
      }
      const g = gradient?.[name];
      const isData = data.includes(name);
      card.needs.checked = !isData;
      card.card.classList.toggle("is-data", isData);
      if (isData) {
        card.grad.textContent = t("dataNoGrad");
        card.grad.title = "";
        continue;
      }
      card.grad.replaceChildren(`∂${out}/∂${name} = `, Object.assign(document.createElement("b"), {
        textContent: g === undefined ? "…" : f(g),
      }));
      card.grad.title = g === undefined ? "" : JSON.stringify(g);
    }
  }

  /**
   * The gradients as far as the backward pass has got (`grads`: name -> number, array or
   * null when not reached yet): at step 0 the cards do not give away the final answer.
   */
  showStep(grads, out, f) {
    for (const [name, g] of grads) {
      const card = this.cards.get(name);
      if (!card || card.card.classList.contains("is-data")) continue;
      const b = card.grad.querySelector("b");
      if (b) b.textContent = g === null || g === undefined ? "…" : f(g);
      card.card.classList.toggle("pending", g === null || g === undefined);
    }
  }

  _mode(card, isArr) {
    card.card.classList.toggle("is-array", isArr);
    card.toggle.setAttribute("aria-pressed", String(isArr));
    card.number.hidden = card.slider.hidden = isArr;
    card.array.hidden = !isArr;
  }

  /** The server's message about `name`'s value (`path` such as "w[1]"), under its field. */
  showError(name, message, path) {
    const card = this.cards.get(name);
    if (!card) return false;
    card.error.textContent = path && !message.includes(path) ? `${path}: ${message}` : message;
    card.error.hidden = false;
    card.error.dataset.field = `values.${path || name}`;
    (card.array.hidden ? card.number : card.array).setAttribute("aria-invalid", "true");
    return true;
  }

  clearErrors() {
    for (const card of this.cards.values()) {
      card.error.hidden = true;
      card.error.textContent = "";
      card.number.removeAttribute("aria-invalid");
      card.array.removeAttribute("aria-invalid");
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
      // An array instead of a number: nested lists typed as text.
      const toggle = document.createElement("button");
      Object.assign(toggle, { type: "button", className: "array-toggle", textContent: "[ ]" });
      toggle.setAttribute("aria-pressed", "false");
      toggle.setAttribute("aria-label", t("arrayToggle", { name }));
      toggle.title = t("arrayToggle", { name });
      const array = document.createElement("input");
      Object.assign(array, { type: "text", className: "array-field", spellcheck: false, autocomplete: "off", hidden: true });
      array.placeholder = "[[1, 2], [3, 4]]";
      array.setAttribute("aria-label", t("arrayLabel", { name }));
      // requires_grad: off makes the variable data (no gradient), as the lecture's X and y.
      const needsLabel = document.createElement("label");
      needsLabel.className = "needs-grad";
      needsLabel.title = t("needsGrad", { name });
      const needs = document.createElement("input");
      Object.assign(needs, { type: "checkbox", checked: true });
      needs.setAttribute("aria-label", t("needsGrad", { name }));
      needsLabel.append(needs, "∂");
      const tools = document.createElement("div");
      tools.className = "var-tools";
      tools.append(toggle, needsLabel);
      const error = document.createElement("p");
      error.className = "field-error var-error";
      error.id = `${id}-error`;
      error.hidden = true;
      error.setAttribute("role", "alert");
      array.setAttribute("aria-describedby", error.id);
      number.setAttribute("aria-describedby", error.id);
      const grad = document.createElement("div");
      grad.className = "vgrad";
      grad.setAttribute("aria-live", "off");
      card.append(label, number, array, slider, tools, grad, error);
      frag.appendChild(card);

      const entry = { card, number, slider, grad, toggle, array, error, needs };
      needs.addEventListener("change", () => this.onNeedsGrad(name, needs.checked));
      toggle.addEventListener("click", () => {
        const toArray = array.hidden;
        this._mode(entry, toArray);
        error.hidden = true;
        if (toArray) {
          const x = Number(number.value);
          const start = [Number.isFinite(x) ? x : 1];
          array.value = arrayText(start);
          array.focus();
          this.onInput(name, start, true);
        } else {
          const first = parseArray(array.value).value?.flat(Infinity)[0];
          const x = typeof first === "number" ? first : 1;
          number.value = plain(x);
          number.focus();
          this.onInput(name, x, true);
        }
      });
      array.addEventListener("input", () => {
        const parsed = parseArray(array.value);
        if (parsed.error !== undefined) {
          error.textContent = t("arraySyntax", { detail: parsed.error });
          error.hidden = false;
          array.setAttribute("aria-invalid", "true");
          return;
        }
        error.hidden = true;
        array.removeAttribute("aria-invalid");
        this.onInput(name, parsed.value, true);
      });

      number.addEventListener("input", () => {
        const x = Number(number.value);
        if (number.value.trim() === "" || !Number.isFinite(x)) {
          // Said, not silently ignored: the graph keeps the last number until a new one is typed.
          error.textContent = t("valueNeeded", { name, value: slider.value });
          error.hidden = false;
          number.setAttribute("aria-invalid", "true");
          return;
        }
        error.hidden = true;
        number.removeAttribute("aria-invalid");
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
      this.cards.set(name, entry);
    }
    this.container.replaceChildren(frag);
  }
}

/**
 * The cards follow the page: drawn for each new graph, digits and language; during the
 * backward pass each shows its gradient as far as the player has got.
 */
export function variablesView(variables, player, session) {
  const render = () => {
    const { model, graph, state } = session;
    if (!model) return;
    variables.render(model.variables, state.values, graph.gradient, model.dname(model.outputId), session.f, state.data ?? []);
  };
  for (const type of ["graph", "digits", "language"]) session.on(type, render);
  player.subscribe((e) => {
    const { model, timeline } = session;
    if (!timeline || timeline.pass !== "reverse") return;
    const snap = session.snap(e.step);
    const grads = new Map(model.graph.nodes.filter((n) => n.kind === "var")
      .map((n) => [n.name, snap.nodes.get(n.id)?.grad ?? null]));
    variables.showStep(grads, model.dname(model.outputId), session.f);
  });
}
