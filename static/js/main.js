// The page: wires the API, the view state in the URL, the player, the renderer, the table,
// the narration, the controls and the four ways' panels together. Each lives in its own module.

import { fetchExamples, fetchFunctions, fetchGraph } from "./api.js";
import { brief, compact, isArray, listText, shapeText } from "./arrays.js";
import { CheckPanel } from "./check.js";
import { ComparePanel } from "./compare.js";
import { Details } from "./details.js";
import { JacobianView } from "./jacobian.js";
import { Editor } from "./editor.js";
import { ErrorPlot } from "./errorplot.js";
import { downloadPng, downloadSvg } from "./exporter.js";
import { fmt, full } from "./format.js";
import { apply as applyI18n, browserLanguage, errorText, language, setLanguage, t } from "./i18n.js";
import { buildModel } from "./model.js";
import { narrate } from "./narration.js";
import { Section } from "./panel.js";
import { drawPassesNote } from "./passes.js";
import { PathsPanel } from "./paths.js";
import { Player, SPEEDS } from "./player.js";
import { Renderer } from "./renderer.js";
import { SnippetPanel } from "./snippet.js";
import { fromHash, initialState, toHash } from "./state.js";
import { Table } from "./table.js";
import { buildTimeline, eventFocus, snapshot } from "./timeline.js";
import { Variables } from "./variables.js";
import { DerivativePanel } from "./derivative-view.js";
import { FamilyPanel, JacobianPanel } from "./jacobian-modes.js";
import { TargetChoice, passReplayer } from "./target.js";

const $ = (id) => document.getElementById(id);
const body = document.body;

const app = {
  state: initialState(location.hash),
  graph: null, // the last good answer from the server
  model: null,
  timeline: null,
  snap: null,
  functions: null, // op name -> entry of /api/v1/functions
  examples: [],
  lastHash: null,
  requestSeq: 0,
  controller: null,
  renders: 0,
  cost: null, // {expression, cost}: the passes each mode needs, from /api/v1/compare
  pathVar: null, // the input chosen in the paths view
  plotVar: null, // the variable chosen for the error plot
};

/** A number, or an array written compactly (shape and a few numbers), with the chosen digits. */
const f = (v) => (isArray(v) ? compact(v, (x) => fmt(x, app.state.digits)) : fmt(v, app.state.digits));
/** Every digit; an array as its nested lists, a summary by its statistics. */
const fullText = (v) => (Array.isArray(v) ? listText(v, full) : isArray(v) ? compact(v, full) : full(v));
// Array ops: the four ways' endpoints do not take them yet (even on scalars they answer 500).
const ARRAY_OPS = new Set(["sum", "sum_axis", "mean", "mean_axis", "matmul", "transpose"]);
const tensorGraph = () => !!app.graph?.nodes.some((n) => n.shape?.length || ARRAY_OPS.has(n.op));

// --- the parts --------------------------------------------------------------------------

const player = new Player();
const details = new Details($("tooltip"));
const renderer = new Renderer($("graph"), {
  onHover: (id, el) => (id ? details.show(id, el, detailContext()) : details.hide()),
  onActivate: (id) => {
    const refs = renderer.nodeEls?.get(id);
    if (refs) details.show(id, refs[0].g, detailContext());
  },
  onEdge: (id, el) => {
    details.hide();
    jacobian.show(id, app.model, { f, full: fullText, opener: el });
  },
});
const jacobian = new JacobianView($("jacobian"));
const table = new Table($("table"));
const editor = new Editor(
  { textarea: $("expr"), error: $("expr-error"), status: $("expr-status"), kept: $("expr-kept") },
  (text) => requestGraph(text, app.state.values, { history: "push", editing: true }),
);
const variables = new Variables($("variables"), (name, value, final) => {
  app.state.values = { ...app.state.values, [name]: value };
  requestGraph(app.state.expression, app.state.values, { history: "replace", final });
}, (name, needsGrad) => {
  const data = (app.state.data ?? []).filter((n) => n !== name);
  app.state.data = needsGrad ? data : [...data, name];
  requestGraph(app.state.expression, app.state.values, { history: "replace" });
});

// --- the four ways: panels that fetch while open, after the graph they belong to ------------

const compare = new ComparePanel($("compare-panel"), {
  fmt: () => f,
  onCost: (cost, q) => {
    app.cost = { expression: q.expression, cost };
    refreshPassesNote();
  },
});
const check = new CheckPanel($("check-panel"), { fmt: () => f });
const plot = new ErrorPlot($("plot-panel"), {
  fmt: () => f,
  chosenH: () => app.state.h,
  onChange: ({ dtype }) => {
    app.state.dtype = dtype;
    writeHash("replace");
    refreshMethods();
  },
  onVariable: (v) => { app.plotVar = v; },
});
const paths = new PathsPanel($("paths-panel"), {
  fmt: () => f,
  highlight: (path, item, how) => {
    renderer.highlight(path);
    revealGraph(path ? item : null, how);
  },
  onVariable: (v) => { app.pathVar = v; },
  scrolling: () => performance.now() < revealUntil,
});

let revealTimer = null;
let revealUntil = 0; // the page is scrolling to the graph until then (ms)

/**
 * A path lit from the paths view is on the graph, so the graph should be on screen. Where the
 * paths view stays put while the page scrolls (wide screens: it is sticky), the page scrolls
 * gently up to the graph after a short hover. Elsewhere the paths view would scroll away from
 * under the pointer, so only a path chosen by keyboard or touch (focus) brings the graph
 * into view, and only as far as the path itself stays on screen.
 */
function revealGraph(item, how) {
  clearTimeout(revealTimer);
  if (!item) return;
  revealTimer = setTimeout(() => {
    const drawing = $("graph").getBoundingClientRect();
    const vh = window.innerHeight;
    const margin = 12;
    const seen = Math.min(drawing.bottom, vh) - Math.max(drawing.top, 0);
    if (seen >= Math.min(drawing.height, vh - 2 * margin) * 0.8) return;
    const sticky = getComputedStyle(item.closest(".side") ?? document.body).position === "sticky";
    let by = drawing.top - margin;
    if (!sticky) {
      if (how !== "focus") return;
      const box = item.getBoundingClientRect();
      by = Math.max(by, box.bottom + margin - vh); // the path stays in view
    }
    if (Math.abs(by) < 24) return;
    const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
    revealUntil = performance.now() + (smooth ? 900 : 400);
    window.scrollBy({ top: by, behavior: smooth ? "smooth" : "auto" });
  }, how === "hover" ? 220 : 0);
}
const snippet = new SnippetPanel($("snippet-panel"));
const panels = [compare, check, plot, paths, snippet];
const sections = [
  new Section($("compare-panel"), (c) => compare.update(c)),
  new Section($("check-panel"), (c) => check.update(c)),
  new Section($("plot-panel"), (c) => plot.update(c)),
  new Section($("paths-panel"), (c) => paths.update(c)),
  new Section($("snippet-panel"), (c) => snippet.update(c)),
];
// Issue 15: the node differentiated, the Jacobian both ways, its cost, the derivative graph.
const replayPass = passReplayer({ app, player, graphPanel: $("graph-panel"),
  request: (o) => requestGraph(app.state.expression, app.state.values, o) });
const targetChoice = new TargetChoice($("target-field"), (name) => replayPass({ pass: app.state.pass, target: name }),
  $("graph"));
const jacobianModes = new JacobianPanel($("jacobian-panel"), { fmt: () => f, replay: (o) => replayPass(o, true) });
const family = new FamilyPanel($("family-panel"));
const derivative = new DerivativePanel($("derivative-panel"), { fmt: () => f, full: fullText });
panels.push(targetChoice, jacobianModes, family, derivative);
sections.push(new Section($("jacobian-panel"), (c) => jacobianModes.update(c)),
  new Section($("family-panel"), (c) => family.update(c)), new Section($("derivative-panel"), (c) => derivative.update(c)));

/** What every panel works on: the graph on screen (never an expression still being typed). */
function methodsContext() {
  const s = app.state;
  return {
    expression: s.expression, values: { ...s.values }, model: app.model,
    method: s.method, h: s.h, dtype: s.dtype, pathVar: app.pathVar, plotVar: app.plotVar,
  };
}

function refreshMethods() {
  if (!app.model) return;
  // The four ways (and the paths) work on scalar values for now: with arrays they wait.
  const tensor = tensorGraph();
  body.classList.toggle("tensor", tensor);
  $("tensor-note").hidden = !tensor;
  if (tensor) return;
  const c = methodsContext();
  for (const section of sections) section.set(c);
}

function refreshPassesNote() {
  const cost = app.cost && app.cost.expression === app.state.expression ? app.cost.cost : null;
  drawPassesNote($("passes-note"), {
    cost, inputs: app.model?.variables.length ?? 0,
    pass: app.timeline?.pass ?? app.state.pass, tangentVar: currentTangent(),
  });
}

function detailContext() {
  return {
    model: app.model, snap: app.snap, functions: app.functions,
    pass: app.timeline?.pass ?? app.state.pass, tangentVar: currentTangent(),
  };
}

function currentTangent() {
  return app.graph?.tangent?.direction
    ? Object.keys(app.graph.tangent.direction)[0]
    : app.state.tangent;
}

// --- talking to the server ---------------------------------------------------------------

/**
 * Ask for the graph of `expression` at `values`. Only the newest request counts: an older
 * one still in flight is aborted. On an error the last good graph stays on screen.
 */
async function requestGraph(expression, values, opts = {}) {
  const seq = ++app.requestSeq;
  app.controller?.abort();
  const controller = new AbortController();
  app.controller = controller;
  editor.checking(true);
  const started = performance.now();
  const tangent = opts.tangent ?? app.state.tangent ?? Object.keys(values)[0] ?? null;
  try {
    const { graph, values: used } = await fetchGraph(expression, values, {
      tangent, data: app.state.data ?? [], signal: controller.signal, fallback: () => 1,
      target: app.state.target,
    });
    if (seq !== app.requestSeq) return;
    showGraph(graph, expression, used, opts);
    // For benchmarks/page.py: from the request (the debounce excluded) to the frame that shows it.
    requestAnimationFrame(() => setTimeout(() => {
      performance.measure("chainrule:request-to-graph", { start: started, end: performance.now() });
    }, 0));
  } catch (err) {
    if (err.name === "AbortError" || seq !== app.requestSeq) return;
    // A bad value (values.w[1]) is told under its variable's field, not under the function.
    const field = /^values\.([^.[\]]+)(.*)$/.exec(err.detail?.field ?? "");
    if (!(field && variables.showError(field[1], errorText(err).message, `${field[1]}${field[2]}`))) {
      editor.showError(err, expression, !!app.graph);
    }
    // Only the graph dims (the last good one, kept): the field and its error stay bright.
    body.classList.toggle("graph-stale", !!app.graph);
    body.dataset.status = "error";
    if (!app.graph) setPlayerEnabled(false); // nothing to play (a broken link opened the page)
  } finally {
    if (seq === app.requestSeq) editor.checking(false);
  }
}

function showGraph(graph, expression, values, opts) {
  const model = buildModel(graph);
  const sameStructure = app.model?.structureKey === model.structureKey;
  const previousStep = player.step;
  const previousCount = player.count;
  app.graph = graph;
  app.model = model;
  const s = app.state;
  s.expression = expression;
  s.values = Object.fromEntries(model.variables.map((v) => [v, values[v] ?? 1]));
  if (!model.variables.includes(s.tangent)) s.tangent = model.variables[0] ?? null;
  if (s.pass === "forward" && s.tangent && !graph.trace.tangent) {
    // Asked before the variables were known: ask again, now for a real input.
    requestGraph(expression, s.values, { ...opts, tangent: s.tangent });
    return;
  }
  editor.clearError();
  variables.clearErrors();
  setPlayerEnabled(true);
  body.classList.remove("graph-stale");
  if (editor.value !== expression && !opts.editing) editor.value = expression;

  body.classList.toggle("tensor", tensorGraph());
  drawGraph();
  const timeline = buildTimeline(graph, s.pass);
  app.timeline = timeline;
  body.dataset.pass = timeline.pass;
  table.draw(model, timeline.pass, currentTangent());
  refreshTangentChoice();
  targetChoice.refresh(graph, model, s);
  refreshWarnings();
  renderVariables();
  refreshPassesNote();
  renderer.highlight(null);
  jacobian.refresh(model, { f, full: fullText });

  let step = null;
  if (opts.step !== undefined) step = opts.step;
  else if (sameStructure && previousCount === timeline.events.length && previousStep < previousCount) step = previousStep;
  player.load(timeline.events.length, step);
  writeHash(opts.history ?? "replace");
  app.renders++;
  body.dataset.renders = String(app.renders);
  body.dataset.status = "ready";
  // The panels ask only now, for a graph known to be good, and never hold the graph up;
  // not while a slider is being dragged (they catch up when it is let go).
  if (opts.final !== false) refreshMethods();
}

function drawGraph() {
  const { graph, model } = app;
  const layout = graph.layout;
  if (!layout || layout.status === "skipped" || !layout.nodes) {
    renderer.clear();
    const p = document.createElement("p");
    p.className = "graph-message";
    p.textContent = t("layoutSkipped", { reason: layout?.reason?.message ?? "" });
    $("graph").replaceChildren(p);
    return;
  }
  const outValue = model.nodes.get(model.outputId)?.value;
  body.dataset.digits = String(app.state.digits);
  // The output's value is written beside it: the drawing keeps room for it at these digits.
  renderer.draw(model, layout, {
    outText: `${model.dname(model.outputId)} = ${brief(outValue, f, 4)}`, number: f(-2 / 3),
  });
  renderer.svg.setAttribute("aria-label", t("graphLabel", { f: app.state.expression }));
}

function renderVariables() {
  if (!app.model) return;
  variables.render(app.model.variables, app.state.values, app.graph.gradient, app.model.dname(app.model.outputId), f,
    app.state.data ?? []);
}

function refreshTangentChoice() {
  const select = $("tangent-var");
  const names = app.model?.variables ?? [];
  const key = names.join("\u0000");
  if (select.dataset.key !== key) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
    select.dataset.key = key;
  }
  select.value = currentTangent() ?? "";
  select.disabled = names.length === 0;
  for (const radio of document.querySelectorAll('input[name="pass"]')) {
    radio.checked = radio.value === (app.timeline?.pass ?? app.state.pass);
    if (radio.value === "forward") radio.disabled = names.length === 0;
  }
}

/** The player's controls and phase, off while there is no graph to step through. */
function setPlayerEnabled(on) {
  for (const id of ["to-start", "step-back", "play", "step-forward", "to-end", "scrubber", "speed"]) {
    $(id).disabled = !on;
  }
  $("phase").hidden = !on;
  if (!on) $("narration").textContent = "";
}

function refreshWarnings() {
  const box = $("warnings");
  const shown = (app.graph?.warnings ?? []).filter((w) => w.code !== "unused_value");
  box.replaceChildren(...shown.map((w) => {
    const p = document.createElement("p");
    p.textContent = `${t("warning")}: ${w.message}`;
    return p;
  }));
}

// --- stepping -----------------------------------------------------------------------------

player.subscribe((e) => {
  if (!app.timeline) return;
  const snap = snapshot(app.timeline, e.step);
  app.snap = snap;
  const focus = eventFocus(snap.current);
  const oneStep = (e.cause === "step" || e.cause === "play") && e.step === e.from + 1;
  renderer.update(snap, f, focus, {
    nodeLabel, edgeLabel, full: fullText, animate: oneStep, tangentVar: currentTangent(),
  });
  table.update(snap, f);
  if (app.timeline.pass === "reverse") {
    const grads = new Map(app.model.graph.nodes.filter((n) => n.kind === "var")
      .map((n) => [n.name, snap.nodes.get(n.id)?.grad ?? null]));
    variables.showStep(grads, app.model.dname(app.model.outputId), f);
  }
  body.classList.toggle("midway", e.step < e.count);
  $("narration").textContent = narrate(snap, app.model, f, app.functions, currentTangent());
  const phase = $("phase");
  phase.dataset.phase = snap.phase;
  phase.textContent = t(`phase_${snap.phase}`);
  const scrub = $("scrubber");
  scrub.max = String(e.count);
  scrub.value = String(e.step);
  scrub.setAttribute("aria-valuetext", t("stepOfLong", { k: e.step, n: e.count }));
  $("step-count").textContent = t("stepOf", { k: e.step, n: e.count });
  $("to-start").disabled = $("step-back").disabled = e.step === 0;
  $("to-end").disabled = $("step-forward").disabled = e.step === e.count;
  body.classList.toggle("playing", e.playing);
  // A screen reader hears each step taken by hand, not a stream of them during playback.
  $("narration").setAttribute("aria-live", e.playing ? "off" : "polite");
  const play = $("play");
  play.setAttribute("aria-label", t(e.playing ? "pause" : "play"));
  play.title = t(e.playing ? "pause" : "play");
  play.setAttribute("aria-pressed", String(e.playing));
  body.dataset.step = String(e.step);
  body.dataset.count = String(e.count);
  if (details.id) details.refresh(detailContext());

  // One step forward: animate the event. Anything else (back, jumps) is shown at once.
  const ev = snap.current;
  if (oneStep && ev) {
    const duration = Math.min(650, player.interval * 0.8);
    if (ev.type === "contribute") renderer.pulse(ev.edge, { backwards: true, label: brief(ev.contribution, f), duration });
    else if (ev.type === "term") renderer.pulse(ev.edge, { backwards: false, label: brief(ev.term, f), duration, kind: "tangent" });
    else renderer.stopPulse();
  } else {
    renderer.stopPulse();
  }
  if (focus.nodes.length) renderer.reveal(focus.nodes[0]);

  if (e.cause !== "load") {
    app.state.step = e.step === e.count ? null : e.step;
    writeHash("replace", e.playing);
  }
});

function edgeLabel(id) {
  const e = app.model.edgeById.get(id);
  return t("edgeLabel", { s: app.model.name(e.source), t: app.model.name(e.target) });
}

function nodeLabel(id, st) {
  const m = app.model;
  const parts = [m.name(id)];
  const n = m.nodes.get(id);
  if (n.kind === "op") parts.push(m.formula(id));
  if (n.shape?.length) parts.push(t("shapeOf", { shape: shapeText(n.shape) }));
  if (st && st.value !== null) parts.push(`${t("dValue")} ${f(st.value)}`);
  if (st && st.grad !== null) parts.push(`${t("dGrad")} ${f(st.grad)}`);
  if (st && st.tangent !== null) parts.push(`${t("dTangent")} ${f(st.tangent)}`);
  return parts.join(", ");
}

function redrawStep() {
  if (app.timeline) player.seek(player.step, "redraw");
}

// --- the URL ------------------------------------------------------------------------------

let hashTimer = null;

/** Write the view to the hash: "push" makes a history entry, "replace" does not. */
function writeHash(mode, throttle = false) {
  if (mode === "none") {
    app.lastHash = toHash(app.state);
    return;
  }
  const write = () => {
    hashTimer = null;
    const hash = toHash(app.state);
    if (hash === app.lastHash) return;
    app.lastHash = hash;
    if (mode === "push") history.pushState(null, "", `#${hash}`);
    else history.replaceState(null, "", `#${hash}`);
  };
  if (!throttle) {
    clearTimeout(hashTimer);
    write();
  } else if (hashTimer === null) {
    // While playing, at most four writes a second (browsers limit history updates).
    hashTimer = setTimeout(write, 250);
  }
}

function onHashChange() {
  const hash = location.hash.replace(/^#/, "");
  if (hash === app.lastHash) return;
  app.lastHash = hash;
  const next = { ...initialState(""), ...fromHash(hash) };
  const s = app.state;
  const langChanged = (next.lang ?? s.lang) !== s.lang && next.lang;
  const digitsChanged = s.digits !== next.digits;
  s.digits = next.digits;
  $("digits").value = String(s.digits);
  if (digitsChanged && app.model) {
    drawGraph();
    redrawStep();
  }
  if (langChanged) switchLanguage(next.lang, false);
  if (next.method !== s.method || next.h !== s.h || next.dtype !== s.dtype) {
    Object.assign(s, { method: next.method, h: next.h, dtype: next.dtype });
    showMethodControls();
    refreshMethods();
  }
  const passChanged = next.pass !== s.pass;
  const tangentChanged = next.tangent && next.tangent !== s.tangent;
  s.pass = next.pass;
  if (next.tangent) s.tangent = next.tangent;
  const targetChanged = (next.target ?? null) !== (s.target ?? null);
  s.target = next.target ?? null;
  const sameValues = JSON.stringify(next.values) === JSON.stringify(s.values)
    && JSON.stringify(next.data) === JSON.stringify(s.data ?? []);
  s.data = next.data;
  if (next.expression !== s.expression || !sameValues || tangentChanged || targetChanged || !app.graph) {
    editor.value = next.expression;
    requestGraph(next.expression, next.values, { step: next.step, history: "none" });
  } else if (passChanged) {
    setPass(s.pass, next.step);
  } else {
    player.pause();
    player.seek(next.step === null ? player.count : next.step, "seek");
  }
}

// --- controls -----------------------------------------------------------------------------

function setPass(pass, step) {
  app.state.pass = pass;
  if (!app.graph) return;
  if (pass === "forward" && !app.graph.trace.tangent) {
    requestGraph(app.state.expression, app.state.values, { history: "replace" });
    return;
  }
  const before = player.step;
  const forwardCount = app.timeline?.forwardCount ?? 0;
  app.timeline = buildTimeline(app.graph, pass);
  body.dataset.pass = app.timeline.pass;
  table.draw(app.model, app.timeline.pass, currentTangent());
  refreshTangentChoice();
  refreshPassesNote();
  const keep = step !== undefined ? step : before <= forwardCount ? before : null;
  player.load(app.timeline.events.length, keep);
  writeHash("replace");
}

function switchLanguage(lang, write = true) {
  setLanguage(lang);
  app.state.lang = lang;
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  $("lang-ko").setAttribute("aria-pressed", String(lang === "ko"));
  applyI18n();
  editor.relocalize();
  fillPresets();
  fillSpeeds();
  if (app.model) {
    table.draw(app.model, app.timeline.pass, currentTangent());
    renderVariables();
    renderer.svg?.setAttribute("aria-label", t("graphLabel", { f: app.state.expression }));
    refreshPassesNote();
    for (const panel of panels) panel.redraw();
    jacobian.refresh(app.model, { f, full: fullText });
  }
  redrawStep();
  if (write) writeHash("replace");
}

function fillSpeeds() {
  const select = $("speed");
  select.replaceChildren(...SPEEDS.map((x) => new Option(`${x}×`, String(x))));
  select.value = String(player.speed);
}

function fillPresets() {
  const select = $("preset");
  const first = new Option(t("chooseExample"), "");
  const lang = language();
  const options = app.examples.map((ex) => {
    const title = typeof ex.title === "object" ? ex.title[lang] ?? ex.title.en : ex.title;
    const o = new Option(title, ex.id);
    if (ex.description) o.title = typeof ex.description === "object" ? ex.description[lang] ?? "" : ex.description;
    return o;
  });
  const value = select.value;
  select.replaceChildren(first, ...options);
  select.value = value;
}

function applyTheme(theme) {
  // One place decides the theme, so the CSS holds the dark palette once.
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  $("theme").setAttribute("aria-pressed", String(dark));
}

function wire() {
  $("play").addEventListener("click", () => player.toggle());
  $("step-forward").addEventListener("click", () => { player.pause(); player.forward(); });
  $("step-back").addEventListener("click", () => { player.pause(); player.back(); });
  $("to-start").addEventListener("click", () => { player.pause(); player.toStart(); });
  $("to-end").addEventListener("click", () => { player.pause(); player.toEnd(); });
  $("scrubber").addEventListener("input", (e) => { player.pause(); player.seek(Number(e.target.value)); });
  $("speed").addEventListener("change", (e) => player.setSpeed(Number(e.target.value)));

  $("digits").addEventListener("change", (e) => {
    app.state.digits = Number(e.target.value);
    if (app.model) drawGraph();
    renderVariables();
    redrawStep();
    for (const panel of panels) panel.redraw();
    jacobian.refresh(app.model, { f, full: fullText });
    writeHash("replace");
  });
  $("lang-en").addEventListener("click", () => switchLanguage("en"));
  $("lang-ko").addEventListener("click", () => switchLanguage("ko"));
  $("theme").addEventListener("click", () => {
    const dark = $("theme").getAttribute("aria-pressed") === "true";
    const theme = dark ? "light" : "dark";
    try { localStorage.setItem("chainrule-theme", theme); } catch { /* private mode */ }
    applyTheme(theme);
  });

  for (const radio of document.querySelectorAll('input[name="pass"]')) {
    radio.addEventListener("change", () => { if (radio.checked) setPass(radio.value); });
  }
  $("tangent-var").addEventListener("change", (e) => {
    app.state.tangent = e.target.value;
    app.state.pass = "forward";
    requestGraph(app.state.expression, app.state.values, { history: "replace", tangent: e.target.value });
  });

  $("preset").addEventListener("change", (e) => {
    const ex = app.examples.find((x) => x.id === e.target.value);
    if (!ex) return;
    editor.value = ex.expression;
    app.state.tangent = null;
    // A preset's requires_grad (the lecture's X and y are data): the rest get no gradient.
    const names = Object.keys(ex.values);
    app.state.data = Array.isArray(ex.requires_grad) ? names.filter((n) => !ex.requires_grad.includes(n)) : [];
    requestGraph(ex.expression, { ...ex.values }, { history: "push", step: null, tangent: Object.keys(ex.values)[0] });
  });
  $("expr").addEventListener("input", () => { $("preset").value = ""; });

  for (const radio of document.querySelectorAll('input[name="fd-method"]')) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      app.state.method = radio.value;
      writeHash("replace");
      refreshMethods();
    });
  }
  let hTimer = null;
  $("fd-h").addEventListener("input", (e) => {
    const text = e.target.value.trim();
    const x = Number(text);
    const ok = text !== "" && Number.isFinite(x) && x > 0;
    $("fd-h").toggleAttribute("aria-invalid", !ok);
    $("fd-h-error").hidden = ok;
    clearTimeout(hTimer);
    if (!ok) return;
    hTimer = setTimeout(() => {
      app.state.h = x;
      writeHash("replace");
      plot.redraw(); // the plot marks the chosen h
      refreshMethods();
    }, 300);
  });
  rememberOpenPanels();

  $("zoom-in").addEventListener("click", () => renderer.zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => renderer.zoomBy(0.8));
  $("zoom-fit").addEventListener("click", () => renderer.fitToWindow());
  $("download-svg").addEventListener("click", () => downloadSvg(renderer));
  $("download-png").addEventListener("click", () => downloadPng(renderer));

  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", onHashChange);
  window.addEventListener("hashchange", onHashChange);
  window.addEventListener("scroll", () => details.hide(), { passive: true });
}

function showMethodControls() {
  const s = app.state;
  for (const radio of document.querySelectorAll('input[name="fd-method"]')) radio.checked = radio.value === s.method;
  $("fd-h").value = String(s.h);
  $("fd-h").removeAttribute("aria-invalid");
  $("fd-h-error").hidden = true;
}

/** Panels the reader closed stay closed on the next visit (and open ones open). */
function rememberOpenPanels() {
  const KEY = "chainrule-panels";
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(KEY) || "{}"); } catch { /* private mode */ }
  for (const d of document.querySelectorAll("details.panel")) {
    if (typeof saved[d.id] === "boolean") d.open = saved[d.id];
    d.addEventListener("toggle", () => {
      saved[d.id] = d.open;
      try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch { /* private mode */ }
    });
  }
}

const KEYS = {
  ArrowRight: () => { player.pause(); player.forward(); },
  ArrowLeft: () => { player.pause(); player.back(); },
  " ": () => player.toggle(),
  Home: () => { player.pause(); player.toStart(); },
  End: () => { player.pause(); player.toEnd(); },
};

function onKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  if (jacobian.open) return; // the Jacobian view keeps the keys (Escape closes it)
  if (e.key === "Escape" && details.id) {
    details.hide();
    return;
  }
  const action = KEYS[e.key];
  if (!action) return;
  const target = e.target;
  // Fields keep their own keys; a focused button keeps Space (it presses the button).
  if (target.closest?.("textarea, input, select, [contenteditable='true']")) return;
  if (e.key === " " && target.closest?.("button, a, summary")) return;
  e.preventDefault();
  action();
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  const s = app.state;
  switchLanguage(s.lang ?? browserLanguage(), false);
  s.lang = fromHash(location.hash).lang ?? null; // only a chosen language goes into links
  let theme = null;
  try { theme = localStorage.getItem("chainrule-theme"); } catch { /* private mode */ }
  applyTheme(theme);
  $("digits").value = String(s.digits);
  fillSpeeds();
  showMethodControls();
  wire();

  fetchFunctions().then((body) => {
    const list = Array.isArray(body) ? body : body.functions ?? [];
    app.functions = new Map(list.map((fn) => [fn.name, fn]));
    redrawStep();
  }).catch(() => {});
  fetchExamples().then((body) => {
    app.examples = Array.isArray(body) ? body : body.examples ?? [];
    fillPresets();
  }).catch(() => {});

  editor.value = s.expression;
  await requestGraph(s.expression, s.values, {
    step: s.step, history: location.hash.length > 1 ? "none" : "replace",
  });
}

window.chainrule = { app, player, renderer, editor, jacobian, panels: { compare, check, plot, paths, snippet } };
start();
