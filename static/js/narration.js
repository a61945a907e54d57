// One sentence per trace event, in the chosen language: "c = a + b = 3";
// "∂f/∂c = d = 0.6931, so c's gradient += 1 × 0.6931". Numbers come from the trace; the
// formula of a local derivative from /api/v1/functions' `partials`, with node names for a, b.

import { isArray } from "./arrays.js";
import { formula } from "./format.js";
import { t } from "./i18n.js";

/**
 * Text of a local derivative's formula when the server's op table gives one, with the
 * op's argument letters (a, b) and `out` replaced by node names; "" otherwise.
 */
function localFormula(model, functions, edge) {
  const target = model.nodes.get(edge.target);
  const spec = functions?.get(target.op);
  const partials = spec?.partials || spec?.locals;
  const raw = Array.isArray(partials) ? partials[edge.index] : null;
  if (typeof raw !== "string" || !raw) return "";
  const text = formula(raw);
  const ins = model.inEdges.get(edge.target);
  const ids = { out: edge.target };
  "abcd".split("").forEach((letter, i) => {
    if (ins[i]) ids[letter] = ins[i].source;
  });
  // A name goes in bare where it stands alone (the whole formula, or a whole argument:
  // "d", "cos(x)"), and in brackets where it is an operand ("exp(−(w × x))").
  return text.replace(/\b(out|[abcd])\b/g, (m, _letter, at) => {
    if (!(m in ids)) return m;
    const before = text[at - 1] ?? "";
    const after = text[at + m.length] ?? "";
    const alone = text === m || ((before === "(" || before === " " && text[at - 2] === ",")
      && (after === ")" || after === ","));
    return alone ? model.name(ids[m]) : model.dname(ids[m]);
  });
}

function argNote(model, edge) {
  const same = model.inEdges.get(edge.target).filter((e) => e.source === edge.source);
  return same.length > 1 ? t("argument", { k: edge.index + 1 }) : "";
}

/**
 * The running tangent of a node, written apart from any partial derivative so that forward
 * mode never reads as circular: a dot over a plain name (ẋ, ȧ, ẇ1), else in words
 * ("tangent of (x^2)").
 */
export function dotted(model, id) {
  const name = model.name(id);
  const m = /^(\p{L})([\p{L}\p{N}_]*)$/u.exec(name);
  return m ? `${m[1]}\u0307${m[2]}`.normalize("NFC") : t("tangentOf", { name: model.dname(id) });
}

function sum(terms, f) {
  return terms.map((x) => f(x.value)).join(" + ").replace(/\+ \u2212/g, "\u2212 ");
}

/**
 * A VJP edge's rule ("g bᵀ", from the server's `backward`: "vjp of matmul: g bᵀ") with the
 * op's argument letters replaced by node names: "g wᵀ".
 */
function vjpRule(model, edge) {
  const text = (edge.backward ?? "").replace(/^vjp of [^:]*:\s*/, "");
  const ins = model.inEdges.get(edge.target);
  const ids = {};
  "ab".split("").forEach((letter, i) => { if (ins[i]) ids[letter] = ins[i].source; });
  return text.replace(/\b([ab])\b/g, (m) => (m in ids ? model.dname(ids[m]) : m));
}

/** "the matrix product", "the sum", … (the op's name in words), else its label. */
function opWords(model, edge) {
  const op = model.nodes.get(edge.target).op;
  const key = `op_${op}`;
  const words = t(key);
  return words === key ? model.nodes.get(edge.target).label : words;
}

/** The sentences of a tensor graph's backward steps: VJPs, elementwise products, reductions. */
function tensorSentence(ev, snap, model, f) {
  const out = model.dname(model.outputId);
  const node = (id) => snap.nodes.get(id) || {};
  const edge = ev.edge ? model.edgeById.get(ev.edge) : null;
  if (ev.type === "local" && ev.local === null && ev.phase === "backward") {
    return t("n_vjpLocal", {
      t: model.dname(ev.target), formula: model.formula(ev.target), op: opWords(model, edge),
      rule: vjpRule(model, edge), out,
    });
  }
  if (ev.type === "contribute" && isArray(ev.contribution)) {
    const est = snap.edges.get(ev.edge);
    if (est?.vjp) {
      return t("n_vjp", {
        op: opWords(model, edge), rule: vjpRule(model, edge), s: model.name(ev.source),
        value: f(ev.contribution), out, t: model.dname(ev.target),
      });
    }
    return t("n_contributeT", {
      t: model.dname(ev.target), s: model.dname(ev.source), sname: model.name(ev.source),
      local: f(est?.local), tgrad: f(node(ev.target).grad), value: f(ev.contribution),
    });
  }
  if (ev.type === "reduce") {
    const s = model.name(edge.source);
    return t(ev.axes.length > 1 ? "n_reduceMany" : "n_reduce", {
      axes: ev.axes.join(", "), s, t: model.dname(edge.target), value: f(ev.contribution),
    });
  }
  if (ev.type === "accumulate" && (ev.before === null || isArray(ev.grad))) {
    const name = model.name(ev.node);
    if (ev.before === null) return t("n_accFirst", { name, grad: f(ev.grad) });
    const c = snap.edges.get(ev.edge)?.contribution;
    return t("n_accTensor", { name, before: f(ev.before), value: f(c), grad: f(ev.grad) });
  }
  return null;
}

/** The sentence for the event that brought the view to `snap` (or the opening hint). */
export function narrate(snap, model, f, functions = null, tangentVar = null) {
  const ev = snap.current;
  if (!ev) return t("n_start");
  const out = model.dname(model.outputId);
  const node = (id) => snap.nodes.get(id) || {};
  const tensor = tensorSentence(ev, snap, model, f);
  if (tensor !== null) return tensor;
  switch (ev.type) {
    case "evaluate": {
      const n = model.nodes.get(ev.node);
      const name = model.name(ev.node);
      if (n.kind === "var") return t("n_evalVar", { name, value: f(ev.value) });
      if (n.kind === "const") return t("n_evalConst", { value: f(ev.value) });
      const formula = model.formula(ev.node);
      if (formula === name) return t("n_evalSame", { name, value: f(ev.value) });
      return t("n_evalOp", { name, formula, value: f(ev.value) });
    }
    case "seed":
      if (ev.phase === "tangent") return t("n_tseed", { x: model.dname(ev.node), xdot: dotted(model, ev.node) });
      return t("n_seed", { out });
    case "visit":
      return t("n_visit", { name: model.name(ev.node), dname: model.dname(ev.node), out, grad: f(ev.grad) });
    case "local": {
      const edge = model.edgeById.get(ev.edge);
      const expr = localFormula(model, functions, edge);
      return t(ev.phase === "tangent" ? "n_tlocal" : "n_local", {
        t: model.dname(ev.target), s: model.dname(ev.source), arg: argNote(model, edge),
        expr: expr && expr !== f(ev.local) ? `${expr} = ` : "", local: f(ev.local),
      });
    }
    case "contribute": {
      const edge = model.edgeById.get(ev.edge);
      const expr = localFormula(model, functions, edge);
      const local = snap.edges.get(ev.edge)?.local;
      return t("n_contribute", {
        t: model.dname(ev.target), s: model.dname(ev.source), arg: argNote(model, edge),
        expr: expr && expr !== f(local) ? `${expr} = ` : "", local: f(local),
        sname: model.name(ev.source), tgrad: f(node(ev.target).grad),
      });
    }
    case "accumulate": {
      const n = node(ev.node);
      const terms = n.terms.length === 1 ? [{ value: 0 }, ...n.terms] : n.terms;
      const key = n.terms.length > 1 ? "n_fanout" : "n_accumulate";
      return t(key, { name: model.name(ev.node), sum: sum(terms, f), grad: f(ev.grad) });
    }
    case "term": {
      const edge = model.edgeById.get(ev.edge);
      const local = snap.edges.get(ev.edge)?.local;
      return t("n_term", {
        t: model.dname(ev.target), s: model.dname(ev.source), x: tangentVar ?? "x",
        tdot: dotted(model, ev.target), sdot: dotted(model, ev.source),
        arg: argNote(model, edge), local: f(local), stan: f(node(ev.source).tangent), term: f(ev.term),
      });
    }
    case "tangent": {
      const n = node(ev.node);
      const terms = n.tterms.length > 1 ? `${sum(n.tterms, f)} = ` : "";
      return t("n_tangent", {
        name: model.dname(ev.node), x: tangentVar ?? "x", dot: dotted(model, ev.node), sum: terms, tangent: f(ev.tangent),
      });
    }
    default:
      return "";
  }
}

/** The narration under the graph: the sentence of each step, heard when taken by hand. */
export function narrationView(el, player, session) {
  player.subscribe((e) => {
    if (!session.timeline) return;
    el.textContent = narrate(session.snap(e.step), session.model, session.f, session.functions, session.tangent());
    // A screen reader hears each step taken by hand, not a stream of them during playback.
    el.setAttribute("aria-live", e.playing ? "off" : "polite");
  });
}
