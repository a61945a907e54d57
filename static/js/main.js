// The page: makes the session (what the page knows), the player, and the views that follow
// them: the graph, the table, the narration, the variables, the player's controls, the four
// ways' panels and the URL. Each view listens to the session and the player by itself; this
// module only builds them and wires the page's own settings (pass, digits, language, theme,
// presets, finite differences).

import { fetchExamples, fetchFunctions } from "./api.js";
import { playerControls } from "./controls.js";
import { derivationView } from "./derivation.js";
import { h } from "./dom.js";
import { Editor } from "./editor.js";
import { downloadPng, downloadSvg } from "./exporter.js";
import { fourWays } from "./four-ways.js";
import { Composites } from "./composite.js";
import { dataOf, gallery } from "./gallery.js";
import { graphView } from "./graph-view.js";
import { apply as applyI18n, browserLanguage, language, setLanguage, t } from "./i18n.js";
import { JacobianView } from "./jacobian.js";
import { graphLoader } from "./loader.js";
import { narrationView } from "./narration.js";
import { manyOutputs } from "./outputs.js";
import { Player } from "./player.js";
import { Reading } from "./reading.js";
import { createSession } from "./session.js";
import { fromHash, initialState } from "./state.js";
import { tableView } from "./table.js";
import { buildTimeline } from "./timeline.js";
import { urlSync } from "./url.js";
import { Variables, variablesView } from "./variables.js";

const $ = (id) => document.getElementById(id);
const body = document.body;

const session = createSession(initialState(location.hash));
const player = new Player();

// --- the views ----------------------------------------------------------------------------

const jacobian = new JacobianView($("jacobian"));
const { renderer, details } = graphView({
  container: $("graph"), tooltip: $("tooltip"), zoomHint: $("zoom-hint"), player, session,
  onEdge: (id, el) => jacobian.show(id, session.model, { f: session.f, full: session.full, opener: el }),
});
const table = tableView($("table"), player, session);
narrationView($("narration"), player, session);
const derivation = derivationView($("derivation"), player, session, renderer);
const controls = playerControls(player, session, {
  $,
  keysTaken: (e) => {
    if (jacobian.open) return true; // the Jacobian view keeps the keys (Escape closes it)
    if (e.key === "Escape" && details.id) {
      details.hide();
      return true;
    }
    return false;
  },
});
const url = urlSync(session, player, {
  digits: () => setDigits(session.state.digits, false),
  language: (lang) => switchLanguage(lang, false),
  methods: () => {
    showMethodControls();
    ways.refresh();
  },
  request: (expression, values, opts) => {
    editor.value = expression;
    request(expression, values, opts);
  },
  pass: (pass, step) => setPass(pass, step),
});
const ways = fourWays(session, { $, renderer, writeHash: (mode) => url.write(mode) });

const editor = new Editor(
  { textarea: $("expr"), error: $("expr-error"), status: $("expr-status"), kept: $("expr-kept") },
  (text) => request(text, session.state.values, { history: "push", editing: true }),
);
const variables = new Variables($("variables"), (name, value, final) => {
  session.state.values = { ...session.state.values, [name]: value };
  request(session.state.expression, session.state.values, { history: "replace", final });
}, (name, needsGrad) => {
  const data = (session.state.data ?? []).filter((n) => n !== name);
  session.state.data = needsGrad ? data : [...data, name];
  request(session.state.expression, session.state.values, { history: "replace" });
});
variablesView(variables, player, session);
const reading = new Reading($("expr-reading")); // how the text was read, under the field
const composites = new Composites($("composites"), () => request(session.state.expression, session.state.values));
const request = graphLoader(session, player, { editor, variables, controls, url, reading, composites });
const outputs = manyOutputs(session, player, {
  $, request: (opts) => request(session.state.expression, session.state.values, opts),
});

// --- what a new graph or pass changes outside the views -----------------------------------

session.on("graph", () => {
  refreshWarnings();
  jacobian.refresh(session.model, { f: session.f, full: session.full });
});
session.on("timeline", refreshTangentChoice);
for (const type of ["digits", "language"]) {
  session.on(type, () => { if (session.model) jacobian.refresh(session.model, { f: session.f, full: session.full }); });
}

function refreshTangentChoice() {
  const select = $("tangent-var");
  const names = session.model?.variables ?? [];
  const key = names.join("\u0000");
  if (select.dataset.key !== key) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
    select.dataset.key = key;
  }
  select.value = session.tangent() ?? "";
  select.disabled = names.length === 0;
  for (const radio of document.querySelectorAll('input[name="pass"]')) {
    radio.checked = radio.value === session.pass();
    if (radio.value === "forward") radio.disabled = names.length === 0;
  }
}

function refreshWarnings() {
  const shown = (session.graph?.warnings ?? []).filter((w) => w.code !== "unused_value");
  $("warnings").replaceChildren(...shown.map((w) => h("p", {}, `${t("warning")}: ${w.message}`)));
}

/** Show the step again (new digits, language or functions). */
function redrawStep() {
  if (session.timeline) player.seek(player.step, "redraw");
}

// --- settings -----------------------------------------------------------------------------

function setPass(pass, step) {
  session.state.pass = pass;
  if (!session.graph) return;
  if (pass === "forward" && !session.graph.trace.tangent) {
    request(session.state.expression, session.state.values, { history: "replace" });
    return;
  }
  const before = player.step;
  const forwardCount = session.timeline?.forwardCount ?? 0;
  session.timeline = buildTimeline(session.graph, pass);
  body.dataset.pass = session.timeline.pass;
  session.emit("timeline");
  const keep = step !== undefined ? step : before <= forwardCount ? before : null;
  player.load(session.timeline.events.length, keep);
  url.write("replace");
}

function setDigits(digits, write = true) {
  session.state.digits = digits;
  $("digits").value = String(digits);
  session.emit("digits");
  redrawStep();
  if (write) url.write("replace");
}

function switchLanguage(lang, write = true) {
  setLanguage(lang);
  session.state.lang = lang;
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  $("lang-ko").setAttribute("aria-pressed", String(lang === "ko"));
  applyI18n();
  editor.relocalize();
  reading.relocalize();
  composites.relocalize();
  fillPresets();
  controls.fillSpeeds();
  session.emit("language");
  redrawStep();
  if (write) url.write("replace");
}

const examples = gallery(document.querySelector("#gallery .gallery-list"), (ex) => {
  $("preset").value = ex.id;
  openExample(ex);
  $("graph-panel").scrollIntoView({ block: "start", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
});

function fillPresets() {
  examples.fill(session.examples);
  const select = $("preset");
  const first = new Option(t("chooseExample"), "");
  const lang = language();
  const options = session.examples.map((ex) => {
    const title = typeof ex.title === "object" ? ex.title[lang] ?? ex.title.en : ex.title;
    const o = new Option(title, ex.id);
    if (ex.description) o.title = typeof ex.description === "object" ? ex.description[lang] ?? "" : ex.description;
    return o;
  });
  const value = select.value;
  select.replaceChildren(first, ...options);
  select.value = value;
}

/** Open example `ex` (from /api/v1/examples): its expression at its values. */
function openExample(ex) {
  editor.value = ex.expression;
  session.state.tangent = null;
  // A preset's requires_grad (the lecture's X and y are data): the rest get no gradient.
  session.state.data = dataOf(ex);
  request(ex.expression, { ...ex.values }, { history: "push", step: null, tangent: Object.keys(ex.values)[0] });
}

function applyTheme(theme) {
  // One place decides the theme, so the CSS holds the dark palette once.
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  $("theme").setAttribute("aria-pressed", String(dark));
}

function showMethodControls() {
  const s = session.state;
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

function wire() {
  $("digits").addEventListener("change", (e) => setDigits(Number(e.target.value)));
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
    session.state.tangent = e.target.value;
    session.state.pass = "forward";
    request(session.state.expression, session.state.values, { history: "replace", tangent: e.target.value });
  });

  $("preset").addEventListener("change", (e) => {
    const ex = session.examples.find((x) => x.id === e.target.value);
    if (ex) openExample(ex);
  });
  $("expr").addEventListener("input", () => { $("preset").value = ""; });

  for (const radio of document.querySelectorAll('input[name="fd-method"]')) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      session.state.method = radio.value;
      url.write("replace");
      ways.refresh();
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
      session.state.h = x;
      url.write("replace");
      ways.plot.redraw(); // the plot marks the chosen h
      ways.refresh();
    }, 300);
  });
  rememberOpenPanels();

  $("zoom-in").addEventListener("click", () => renderer.view.zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => renderer.view.zoomBy(0.8));
  $("zoom-fit").addEventListener("click", () => renderer.view.fitToWindow());
  $("download-svg").addEventListener("click", () => downloadSvg(renderer));
  $("download-png").addEventListener("click", () => downloadPng(renderer));
  window.addEventListener("scroll", () => details.hide(), { passive: true });
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  const s = session.state;
  switchLanguage(s.lang ?? browserLanguage(), false);
  s.lang = fromHash(location.hash).lang ?? null; // only a chosen language goes into links
  let theme = null;
  try { theme = localStorage.getItem("chainrule-theme"); } catch { /* private mode */ }
  applyTheme(theme);
  $("digits").value = String(s.digits);
  controls.fillSpeeds();
  showMethodControls();
  wire();

  fetchFunctions().then((answer) => {
    const list = Array.isArray(answer) ? answer : answer.functions ?? [];
    session.functions = new Map(list.map((fn) => [fn.name, fn]));
    redrawStep();
  }).catch(() => {});
  fetchExamples().then((answer) => {
    session.examples = Array.isArray(answer) ? answer : answer.examples ?? [];
    fillPresets();
  }).catch(() => {});

  editor.value = s.expression;
  await request(s.expression, s.values, {
    step: s.step, history: location.hash.length > 1 ? "none" : "replace",
  });
}

// For tests and benchmarks: the page's parts (app: the session, as before the split).
window.chainrule = { app: session, session, player, renderer, editor, jacobian, table, derivation, outputs, panels: ways.panels };
start();
