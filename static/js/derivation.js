// The chain rule at one node, staged as the lecture writes it: the formula
// (∂f/∂x = ∂f/∂a·∂a/∂x + ∂f/∂b·∂b/∂x), then the values put in, then the number, each line
// shown once the trace has got that far. Every number is the trace's (a gradient, a local
// derivative, a contribution, as replayed by timeline.js); nothing is computed here. Each term
// is linked to its edge on the graph (hovering one lights the other), and the line can be
// copied as LaTeX. In forward mode the same for the tangent: ∂a/∂t = Σ ∂a/∂u·∂u/∂t.

import { brief } from "./arrays.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { SUPERSCRIPT, latexLine } from "./latex.js";

/** The node a backward (or tangent) event is about: the one whose derivative it builds. */
function eventNode(ev) {
  if (!ev || ev.phase === "forward") return null;
  if (ev.type === "local" || ev.type === "contribute") return ev.phase === "tangent" ? ev.target : ev.source;
  if (ev.type === "term") return ev.target;
  return ev.node ?? null;
}

/**
 * The derivation of node `id` at step `snap`, as data: {lhs, terms: [{edge, factors, values,
 * known, current}], total, kind}. `kind`: "sum" (a chain-rule line), "seed" (the output, or the
 * input the tangent starts from), "none" (no derivative reaches it).
 */
export function derivation(model, snap, id, { pass, tangentVar, f }) {
  const n = model.nodes.get(id);
  const st = snap.nodes.get(id);
  const out = model.dname(model.outputId);
  const ev = snap.current;
  const name = model.dname(id);
  if (pass === "forward") {
    const top = (x) => [model.dname(x), tangentVar];
    const lhs = top(id);
    if (n.kind === "var") return { kind: "seed", lhs, total: st?.tangent ?? null };
    const edges = model.inEdges.get(id).filter((e) => e.local !== null && e.local !== undefined);
    if (n.kind === "const" || !edges.length) return { kind: "none", lhs };
    const terms = edges.map((e) => {
      const est = snap.edges.get(e.id);
      const src = snap.nodes.get(e.source);
      const local = est?.local ?? null;
      const tangent = src?.tangent ?? null;
      return {
        edge: e.id, factors: [[name, model.dname(e.source), mark(model, e)], top(e.source)],
        values: [local, tangent], product: est?.term ?? null, current: ev?.edge === e.id && ev.phase === "tangent",
      };
    });
    return { kind: "sum", lhs, terms, total: st?.tangent ?? null, done: terms.every((x) => x.product !== null) };
  }
  const lhs = [out, name];
  if (id === model.outputId) return { kind: "seed", lhs, total: st?.grad ?? null };
  const edges = model.outEdges.get(id).filter((e) => e.contribution !== null && e.contribution !== undefined);
  if (n.kind === "const" || !edges.length) return { kind: "none", lhs };
  const terms = edges.map((e) => {
    const est = snap.edges.get(e.id);
    const target = snap.nodes.get(e.target);
    const top = model.dname(e.target);
    const local = est?.local ?? null;
    return {
      edge: e.id, factors: [[out, top], [top, name, mark(model, e)]],
      // A VJP edge has no local derivative: its contribution is the term.
      values: est?.vjp ? [est.contribution] : [target?.visited ? target.grad : null, local],
      product: est?.contribution ?? null, current: ev?.edge === e.id && ev.phase === "backward",
    };
  });
  const done = terms.every((x) => (st?.terms ?? []).some((k) => k.edge === x.edge));
  return { kind: "sum", lhs, terms, total: done ? st.grad : null, done };
}

/** ∂top/∂bottom as the page writes it. */
const partial = ([top, bottom, mark = ""]) => `∂${top}/∂${bottom}${mark}`;

/** ⁽¹⁾ for the first of two edges from one node into another (x*x). */
function mark(model, e) {
  const same = model.inEdges.get(e.target).filter((k) => k.source === e.source).length > 1;
  return same ? `⁽${String(e.index + 1).replace(/\d/g, (d) => SUPERSCRIPT[d])}⁾` : "";
}

/**
 * The derivation under the graph. It shows the node chosen on the graph (click, Enter), or
 * the one the current backward (or tangent) event works on while stepping.
 * `renderer` lights a term's edge; `renderer.hooks.onEdgeHover` is set to light an edge's term.
 */
export function derivationView(box, player, session, renderer) {
  let chosen = null;
  let lastStep = 0;
  let latex = "";
  const title = h("h3", { class: "deriv-title" });
  const copy = h("button", { type: "button", class: "text-button deriv-copy", "data-i18n": "copyLatex" }, t("copyLatex"));
  const status = h("span", { class: "deriv-status", role: "status" });
  const lines = h("div", { class: "deriv-lines" });
  box.replaceChildren(h("div", { class: "deriv-head" }, title, copy, status), lines);

  copy.addEventListener("click", async () => {
    if (!latex) return;
    const text = latex;
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = t("copied");
    } catch {
      // The browser keeps the clipboard closed: the text is shown, selected, to copy by hand.
      const code = h("code", { class: "deriv-latex" }, text);
      lines.append(code);
      getSelection()?.selectAllChildren(code);
      status.textContent = t("derivCopyFailed");
    }
  });

  const light = (edge, on) => {
    for (const s of lines.querySelectorAll(".term")) s.classList.toggle("linked", on && s.dataset.edge === edge);
    const e = session.model?.edgeById.get(edge);
    renderer.highlight(on && e ? { edges: [edge], nodes: [e.source, e.target] } : null);
  };
  renderer.hooks.onEdgeHover = (edge) => {
    for (const s of lines.querySelectorAll(".term")) s.classList.toggle("linked", s.dataset.edge === edge);
  };

  // Redrawn on every player event (a late answer loads the player again): "Copied." stays
  // while the formula it copied is the one shown.
  function draw() {
    const before = latex;
    drawLines();
    if (latex !== before) status.textContent = "";
  }

  function drawLines() {
    const { model } = session;
    const snap = session.snap(lastStep);
    if (!model || !snap || !chosen || !model.nodes.has(chosen)) {
      box.dataset.node = "";
      title.textContent = t("derivTitleNone");
      copy.hidden = true;
      latex = "";
      lines.replaceChildren(h("p", { class: "muted" }, t("derivHint")));
      return;
    }
    const f = session.f;
    const d = derivation(model, snap, chosen, { pass: session.pass(), tangentVar: session.tangent(), f });
    box.dataset.node = chosen;
    box.dataset.kind = d.kind;
    title.textContent = t("derivTitle", { x: model.name(chosen) });
    const num = (v) => (v === null || v === undefined ? "…" : brief(v, f));
    if (d.kind === "none") {
      copy.hidden = true;
      latex = "";
      lines.replaceChildren(h("p", { class: "muted" }, t("derivNone", { x: model.name(chosen) })));
      return;
    }
    if (d.kind === "seed") {
      const known = d.total !== null;
      lines.replaceChildren(line("formula", true, h("span", { class: "lhs" }, partial(d.lhs)), ` = ${known ? num(d.total) : "…"}`),
        h("p", { class: "muted" }, t(session.pass() === "forward" ? "derivSeedTangent" : "derivSeed")));
      latex = known ? latexLine(d.lhs, [], null, num(d.total)) : "";
      copy.hidden = !known;
      return;
    }
    const term = (x, k, content) => {
      const s = h("span", { class: `term${x.current ? " current" : ""}`, "data-edge": x.edge, tabindex: "0" }, ...content);
      s.addEventListener("pointerenter", () => light(x.edge, true));
      s.addEventListener("pointerleave", () => light(x.edge, false));
      s.addEventListener("focus", () => light(x.edge, true));
      s.addEventListener("blur", () => light(x.edge, false));
      return k ? [" + ", s] : [s];
    };
    const formula = line("formula", true, h("span", { class: "lhs" }, partial(d.lhs)), " = ",
      ...d.terms.flatMap((x, k) => term(x, k, [x.factors.map(partial).join("·")])));
    const someKnown = d.terms.some((x) => x.values.some((v) => v !== null));
    const values = line("values", someKnown, "= ",
      ...d.terms.flatMap((x, k) => term(x, k, [x.values.map(num).join(" × ")])));
    const result = line("result", d.total !== null, "= ", h("b", { class: "total" }, num(d.total)));
    lines.replaceChildren(formula, values, result);
    const ready = d.total !== null && d.terms.every((x) => x.values.every((v) => v !== null));
    latex = ready ? latexLine(d.lhs, d.terms.map((x) => x.factors), d.terms.map((x) => x.values.map(num)), num(d.total)) : "";
    copy.hidden = !ready;
  }

  session.on("select", ({ id }) => {
    chosen = id;
    draw();
  });
  session.on("graph", ({ sameStructure }) => {
    if (!sameStructure) chosen = null;
  });
  player.subscribe((e) => {
    if (!session.timeline) return;
    lastStep = e.step;
    if (e.cause === "step" || e.cause === "play") {
      const id = eventNode(session.snap(e.step).current);
      if (id) chosen = id;
    }
    draw();
  });
  return { draw, get node() { return chosen; } };
}

/** One staged line: hidden (visibility, so the lines keep their places) until `known`. */
function line(stage, known, ...content) {
  return h("div", { class: `deriv-line${known ? " known" : ""}`, "data-stage": stage }, ...content);
}
