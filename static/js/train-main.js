// The training page wired: data (built-in, clicked, CSV), settings, a streamed training run, the
// player over its steps, the plot, curves, readout, prediction, gradient check, PyTorch snippet,
// the step's graph in the main viewer, language, theme, and the view in the URL hash.

import { apply as applyI18n, browserLanguage, language, setLanguage, t } from "./i18n.js";
import { ApiError, getDataset, predict, readCsv, torchSnippet, train } from "./train-api.js";
import { Curves } from "./train-curves.js";
import { frameAtOrBefore, frameGrid, frameIndex, graphHash, lookup } from "./train-model.js";
import { StepPlayer } from "./train-player.js";
import { ScatterPlot } from "./train-plot.js";
import { MAX_STEPS, fromHash, initialState, toHash } from "./train-state.js";

const $ = (id) => document.getElementById(id);
const MAX_CSV_BYTES = 200 * 1024; // the server takes 256 KiB bodies; the CSV travels as JSON text
const MAX_GRAPH_POINTS = 1000; // the viewer's request stays well under its body bound
const EXACT_POINTS = 3000; // a step between frames gets its outlined points up to this many points
const UNDO_DEPTH = 50;
const TABLE_ROWS = 500; // rows of the points table drawn (the rest are counted)

const app = {
  state: null,
  builtin: null,
  data: null, // {points: [[f1, f2, label]], names, units, source: "builtin" | "user"}
  run: null,
  runData: null, // the data the run learned from (its view's `wrong` and `design` index them)
  frames: null, // step → frame of run.view
  exact: null, // the AbortController of a request for a step's own grid
  predicting: null, // and of the typed point's prediction
  history: [],
  controller: null,
  retrain: null,
  snippetFor: null,
};
const player = new StepPlayer();
let plot;
let curves;

function fmt(x, digits = 4) {
  if (typeof x === "string") return x; // "inf", "nan"
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return x.toExponential(digits - 1);
  return String(+x.toPrecision(digits));
}

/** The features' names as shown: the built-in set's in the page's language. */
function names(data = app.data) {
  return data.source === "builtin" ? [t("tr_mass"), t("tr_ear")] : data.names;
}

function vec(w, digits = 4) { return `[${w.map((v) => fmt(v, digits)).join(", ")}]`; }

// --- state and URL ------------------------------------------------------------------------

function writeHash() {
  const s = app.state;
  const user = app.data && app.data.source === "user";
  const hash = toHash({ ...s, points: user ? app.data.points : null, names: user ? app.data.names : null,
                        units: user && app.data.units.some(Boolean) ? app.data.units : null });
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

function requestBody() {
  const s = app.state;
  const body = { lr: s.lr, steps: s.steps, cost: s.cost, standardize: s.standardize, view: true };
  if (app.data.source === "user") {
    body.data = {
      features: app.data.points.map((p) => [p[0], p[1]]),
      labels: app.data.points.map((p) => p[2]),
      names: app.data.names, units: app.data.units,
    };
  }
  return body;
}

// --- data -----------------------------------------------------------------------------------

function setData(data, { remember = true } = {}) {
  if (remember && app.data) {
    app.history.push(app.data);
    if (app.history.length > UNDO_DEPTH) app.history.shift();
  }
  app.data = data;
  $("undo").disabled = app.history.length === 0;
  const dogs = data.points.filter((p) => p[2] === 1).length;
  $("data-count").textContent = t("tr_count", { n: data.points.length, dogs, cats: data.points.length - dogs });
  const shown = names(data);
  const label = (i) => shown[i] + (data.units[i] ? ` (${data.units[i]})` : "");
  $("f1-label").textContent = label(0);
  $("f2-label").textContent = label(1);
  plot.setData(data.points, shown, data.units);
  if ($("points-panel").open) showTable();
  writeHash();
}

/** The points as a table, each with a button that removes it (the keyboard's way to do what a
 *  click on the plot does). */
function showTable() {
  const data = app.data;
  const n = names(data);
  const table = $("points-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  const unit = (i) => (data.units[i] ? ` (${data.units[i]})` : "");
  for (const h of ["#", n[0] + unit(0), n[1] + unit(1), t("tr_label"), ""]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  data.points.slice(0, TABLE_ROWS).forEach((p, i) => {
    const row = body.insertRow();
    row.insertCell().textContent = String(i + 1);
    row.insertCell().textContent = String(p[0]);
    row.insertCell().textContent = String(p[1]);
    row.insertCell().textContent = t(p[2] === 1 ? "tr_dog" : "tr_cat");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "text-button";
    button.textContent = t("tr_remove");
    button.setAttribute("aria-label", t("tr_removeLabel", { i: i + 1 }));
    button.addEventListener("click", () => {
      removePoint(i);
      const next = $("points-table").querySelectorAll("tbody button")[Math.min(i, app.data.points.length - 1)];
      next?.focus();
    });
    row.insertCell().appendChild(button);
  });
  const more = data.points.length - TABLE_ROWS;
  $("points-more").hidden = more <= 0;
  $("points-more").textContent = more > 0 ? t("tr_moreRows", { n: more }) : "";
}

function userData(points, names, units) {
  return { points, names, units, source: "user" };
}

function addPoint(x, y, label) {
  if (app.data.points.length >= 10000) return;
  const round = (v) => Math.round(v * 100) / 100;
  setData(userData([...app.data.points, [round(x), round(y), label]], app.data.names, app.data.units));
  scheduleTraining();
}

function removePoint(i) {
  if (app.data.points.length <= 1) return;
  const points = app.data.points.filter((_, j) => j !== i);
  setData(userData(points, app.data.names, app.data.units));
  scheduleTraining();
}

async function loadCsv(file) {
  const box = $("csv-error");
  box.hidden = true;
  if (file.size > MAX_CSV_BYTES) {
    showCsvError(t("tr_csvTooBig", { name: file.name, kb: Math.round(MAX_CSV_BYTES / 1024) }));
    return;
  }
  const text = await file.text();
  try {
    const d = await readCsv(text);
    const points = d.features.map((f, i) => [f[0], f[1], d.labels[i]]);
    setData(userData(points, d.names, d.units));
    scheduleTraining(0);
  } catch (e) {
    showCsvError(`${file.name}: ${e.message}`);
  }
}

function showCsvError(message) {
  const box = $("csv-error");
  box.textContent = `${message} ${t("tr_nothingLost")}`;
  box.hidden = false;
}

// --- training -------------------------------------------------------------------------------

function scheduleTraining(delay = 300) {
  clearTimeout(app.retrain);
  app.retrain = setTimeout(runTraining, delay);
}

async function runTraining() {
  app.controller?.abort();
  const controller = new AbortController();
  app.controller = controller;
  const data = app.data;
  const wasAtEnd = !app.run || player.step >= player.count - 1;
  const wanted = app.pendingStep !== undefined ? app.pendingStep : (wasAtEnd ? null : player.step);
  app.pendingStep = undefined;
  player.pause();
  $("train-error").hidden = true;
  $("progress-row").hidden = false;
  $("cancel").hidden = false;
  $("progress").value = 0;
  $("progress-text").textContent = t("tr_training");
  document.body.dataset.training = "true";
  try {
    const result = await train(requestBody(), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.event !== "progress") return;
        $("progress").value = Math.round((100 * e.step) / Math.max(1, e.steps));
        $("progress-text").textContent = t("tr_progressOf", { k: e.step, n: e.steps, loss: fmt(e.loss) });
      },
    });
    if (controller !== app.controller) return;
    showRun(result, wanted, data);
  } catch (e) {
    if (controller !== app.controller) return;
    if (e.name === "AbortError") {
      $("progress-text").textContent = t("tr_cancelled");
    } else {
      const box = $("train-error");
      box.textContent = e instanceof ApiError ? e.message : String(e);
      box.hidden = false;
    }
  } finally {
    if (controller === app.controller) {
      app.controller = null;
      $("cancel").hidden = true;
      $("progress-row").hidden = !controller.signal.aborted; // "Cancelled." stays in view
      document.body.dataset.training = "false";
      if (document.body.dataset.status === "loading") document.body.dataset.status = "ready";
    }
  }
}

function showRun(run, step, data) {
  app.run = run;
  app.runData = data;
  app.frames = frameIndex(run.view);
  app.snippetFor = null;
  if ($("torch-panel").open) loadSnippet();
  curves.setRun(run.loss, run.grad_norm);
  $("scrubber").max = String(run.w.length - 1);
  const stopped = $("stopped");
  stopped.hidden = !run.stopped;
  stopped.textContent = run.stopped ?? "";
  showBias(run);
  showCheck(run.gradient_check);
  player.load(run.w.length, step === null ? null : Math.min(step, run.w.length - 1));
  document.body.dataset.status = "ready";
  document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1); // tests wait on it
}

function showBias(run) {
  const n = names();
  const s = run.scaling;
  const col = (i) => (run.scaling.scale[i] === 1 && run.scaling.mean[i] === 0
    ? n[i] : `(${n[i]} − ${fmt(s.mean[i])}) / ${fmt(s.scale[i])}`);
  $("bias-note").textContent = t("tr_bias", { x: `[${col(0)}, ${col(1)}, 1]` });
  $("cost-formula").textContent = run.cost === "sum"
    ? "C(w) = −Σᵢ yᵢ log σ(xᵢ·w) + (1 − yᵢ) log(1 − σ(xᵢ·w))"
    : "C(w) = −(1/n) Σᵢ yᵢ log σ(xᵢ·w) + (1 − yᵢ) log(1 − σ(xᵢ·w))";
}

function showCheck(check) {
  const table = $("check-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const h of ["", t("tr_reverse"), t("tr_central")]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  check.reverse.forEach((r, i) => {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = `∂C/∂w${"₀₁₂"[i] ?? i}`;
    row.appendChild(th);
    row.insertCell().textContent = fmt(r, 10);
    row.insertCell().textContent = fmt(check.central[i], 10);
  });
  const verdict = $("check-verdict");
  verdict.className = check.ok ? "ok-text" : "bad-text";
  verdict.textContent = t(check.ok ? "tr_checkOk" : "tr_checkBad", { err: fmt(check.max_relative_error, 2), h: fmt(check.h, 2) });
}

// --- one step on screen -----------------------------------------------------------------------

function showStep({ step, count, playing }) {
  const run = app.run;
  if (!run) return;
  const w = run.w[step];
  showView(step, playing);
  curves.setStep(step);
  $("scrubber").value = String(step);
  $("step-count").textContent = `${step} / ${count - 1}`;
  $("r-step").textContent = `${step} / ${count - 1}`;
  $("r-loss").textContent = fmt(run.loss[step], 6);
  $("r-w").textContent = vec(w);
  $("r-norm").textContent = fmt(run.grad_norm[step], 4);
  $("r-acc").textContent = `${fmt(100 * run.view.accuracy[step], 3)}%`;
  $("readout").setAttribute("aria-live", playing ? "off" : "polite");
  $("play").querySelector(".icon-play").hidden = playing;
  $("play").querySelector(".icon-pause").hidden = !playing;
  $("play").setAttribute("aria-label", t(playing ? "pause" : "play"));
  $("play").setAttribute("aria-pressed", String(playing));
  $("plot-summary").textContent = t("tr_summary", { n: app.data.points.length, k: step, total: count - 1, w: vec(w), loss: fmt(run.loss[step]) });
  showPrediction();
  const link = $("open-graph");
  if (!run.view.design || app.runData.points.length > MAX_GRAPH_POINTS) {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    $("open-graph-note").textContent = t("tr_tooBigForGraph", { n: MAX_GRAPH_POINTS });
  } else {
    link.href = `/#${graphHash(run.expression, run.view.design, app.runData.points.map((p) => p[2]), w, language())}`;
    link.removeAttribute("aria-disabled");
    $("open-graph-note").textContent = t("tr_graphNote", { k: step });
  }
  app.state.step = step >= count - 1 ? null : step;
  if (!playing) writeHash();
}

/** The step's picture: its own grid when the run carries one (a frame); otherwise the latest
 *  frame's shading with the step's own boundary at once, and, unless playing, the step's own grid
 *  and wrong points asked of the server. */
function showView(step, playing) {
  const run = app.run;
  const v = run.view;
  const f = app.frames.get(step);
  app.exact?.abort();
  app.exact = null;
  const sameData = app.data === app.runData;
  if (f !== undefined) {
    plot.setView({ grid: frameGrid(v, f), boundary: v.boundary[step], wrong: sameData ? v.wrong[f] : null, step });
    return;
  }
  const near = frameAtOrBefore(v, step);
  plot.setView({ grid: frameGrid(v, near), boundary: v.boundary[step], wrong: null, step: v.frames[near] });
  if (!playing) exactView(run, step);
}

async function exactView(run, step) {
  const controller = new AbortController();
  app.exact = controller;
  const data = app.runData;
  const v = run.view;
  document.body.dataset.exact = "pending";
  try {
    const marks = data.points.length <= EXACT_POINTS; // the request stays well under its body bound
    const r = await predict({
      w: run.w[step], scaling: run.scaling, points: marks ? data.points.map((p) => [p[0], p[1]]) : [],
      grid: { x: v.x, y: v.y, columns: v.columns, rows: v.rows },
    }, controller.signal);
    if (controller !== app.exact || run !== app.run) return;
    const wrong = marks && app.data === data
      ? r.dog.flatMap((dog, i) => (dog !== (data.points[i][2] === 1) ? [i] : [])) : null;
    plot.setView({ grid: r.grid, boundary: v.boundary[step], wrong, step });
    document.body.dataset.exact = String(step); // tests wait on it
  } catch (e) {
    if (e.name !== "AbortError") console.warn(e);
  }
}

/** P(dog) of the typed point at the step shown, asked of the server. */
async function showPrediction() {
  const out = $("p-out");
  const f1 = Number($("p-f1").value);
  const f2 = Number($("p-f2").value);
  app.predicting?.abort();
  app.predicting = null;
  if (!app.run || $("p-f1").value === "" || $("p-f2").value === "" || !Number.isFinite(f1) || !Number.isFinite(f2)) {
    out.textContent = "—";
    return;
  }
  const controller = new AbortController();
  app.predicting = controller;
  const step = player.step;
  try {
    const r = await predict({ w: app.run.w[step], scaling: app.run.scaling, points: [[f1, f2]] }, controller.signal);
    if (controller !== app.predicting) return;
    const p = r.probability[0];
    out.textContent = `${fmt(p, 4)} — ${t(r.dog[0] ? "tr_dog" : "tr_cat")}`;
    out.dataset.for = `${f1},${f2},${step}`; // what it answers (tests wait on it)
  } catch (e) {
    if (e.name === "AbortError" || controller !== app.predicting) return;
    out.textContent = e instanceof ApiError ? e.message : String(e);
  }
}

/** The tooltip: the features under the pointer and the shading's P(dog) there, read from the
 *  grid drawn (the cell's value, so "≈"). */
function hover(at) {
  const tip = $("tooltip");
  if (!at || !app.run) { tip.hidden = true; return; }
  const d = app.data;
  const n = names();
  const p = lookup(plot.grid(), at.x, at.y);
  const shown = p === null ? "—" : typeof p === "number" ? fmt(p, 3) : p;
  tip.textContent = `${n[0]} ${fmt(at.x, 3)}${d.units[0] ? ` ${d.units[0]}` : ""}, ${n[1]} ${fmt(at.y, 3)}${d.units[1] ? ` ${d.units[1]}` : ""} → P(dog) ≈ ${shown}`;
  tip.hidden = false;
  tip.style.left = `${Math.min(at.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
  tip.style.top = `${at.clientY + 14}px`;
}

async function loadSnippet() {
  const key = JSON.stringify(requestBody());
  if (app.snippetFor === key) return;
  app.snippetFor = key;
  $("torch-code").textContent = t("tr_loading");
  $("copy-torch").disabled = true;
  try {
    const code = await torchSnippet(JSON.parse(key));
    if (app.snippetFor !== key) return;
    $("torch-code").textContent = code;
    $("copy-torch").disabled = false;
  } catch (e) {
    $("torch-code").textContent = e.message;
  }
}

// --- language and theme (as the main page) -------------------------------------------------------

function switchLanguage(lang, write = true) {
  setLanguage(lang);
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  $("lang-ko").setAttribute("aria-pressed", String(lang === "ko"));
  applyI18n();
  document.title = t("tr_pageTitle");
  $("to-viewer").href = lang === "en" ? "/" : `/#lang=${lang}`;
  if (write) { app.state.lang = lang; writeHash(); }
  if (app.data) setData(app.data, { remember: false });
  if (app.run) { showBias(app.run); showCheck(app.run.gradient_check); showStep({ step: player.step, count: player.count, playing: player.playing }); }
}

function applyTheme(theme) {
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  $("theme").setAttribute("aria-pressed", String(dark));
  plot?.refresh();
}

// --- wiring -------------------------------------------------------------------------------------

function readSettings() {
  const lr = Number($("lr").value);
  const steps = Number($("steps").value);
  const box = $("train-error");
  if (!(lr > 0) || !Number.isFinite(lr)) { box.textContent = t("tr_badLr"); box.hidden = false; return false; }
  if (!Number.isInteger(steps) || steps < 0 || steps > MAX_STEPS) { box.textContent = t("tr_badSteps", { max: MAX_STEPS }); box.hidden = false; return false; }
  app.state.lr = lr;
  app.state.steps = steps;
  app.state.cost = document.querySelector("input[name=cost]:checked").value;
  app.state.standardize = $("standardize").checked;
  writeHash();
  return true;
}

function wire() {
  plot = new ScatterPlot($("scatter"), $("shade"), {
    onAdd: (x, y) => addPoint(x, y, Number(document.querySelector("input[name=add-class]:checked").value)),
    onRemove: removePoint,
    onHover: hover,
  });
  curves = new Curves($("curves"));
  player.subscribe(showStep);

  $("play").addEventListener("click", () => player.toggle());
  $("step-back").addEventListener("click", () => player.stepBy(-1));
  $("step-forward").addEventListener("click", () => player.stepBy(1));
  $("to-start").addEventListener("click", () => { player.pause(); player.seek(0); });
  $("to-end").addEventListener("click", () => { player.pause(); player.seek(player.count - 1); });
  $("scrubber").addEventListener("input", (e) => { player.pause(); player.seek(Number(e.target.value)); });
  $("speed").addEventListener("change", (e) => player.setSpeed(Number(e.target.value)));

  $("train").addEventListener("click", () => { if (readSettings()) scheduleTraining(0); });
  $("cancel").addEventListener("click", () => app.controller?.abort());
  for (const id of ["lr", "steps"]) {
    $(id).addEventListener("change", () => { if (readSettings()) scheduleTraining(); });
    $(id).addEventListener("keydown", (e) => { if (e.key === "Enter" && readSettings()) scheduleTraining(0); });
  }
  for (const r of document.querySelectorAll("input[name=cost]")) {
    r.addEventListener("change", () => {
      // The mean is n times smaller: a learning rate that suits the sum is n times too small.
      const n = app.data.points.length;
      const lr = Number($("lr").value);
      if (r.value === "mean" && lr > 0) $("lr").value = String(+(lr * n).toPrecision(3));
      if (r.value === "sum" && lr > 0) $("lr").value = String(+(lr / n).toPrecision(3));
      if (readSettings()) scheduleTraining(0);
    });
  }
  $("standardize").addEventListener("change", () => { if (readSettings()) scheduleTraining(0); });

  $("undo").addEventListener("click", () => {
    const prev = app.history.pop();
    if (!prev) return;
    setData(prev, { remember: false });
    scheduleTraining(0);
  });
  $("builtin").addEventListener("click", () => { setData(app.builtin); scheduleTraining(0); });
  $("csv-file").addEventListener("change", (e) => {
    const file = e.target.files?.[0];
    if (file) loadCsv(file);
    e.target.value = "";
  });
  for (const id of ["p-f1", "p-f2"]) $(id).addEventListener("input", showPrediction);
  const addTyped = (label) => {
    const f1 = Number($("p-f1").value);
    const f2 = Number($("p-f2").value);
    if ($("p-f1").value !== "" && $("p-f2").value !== "" && Number.isFinite(f1) && Number.isFinite(f2)) addPoint(f1, f2, label);
  };
  $("add-dog").addEventListener("click", () => addTyped(1));
  $("add-cat").addEventListener("click", () => addTyped(0));
  $("points-panel").addEventListener("toggle", () => { if ($("points-panel").open) showTable(); });
  $("torch-panel").addEventListener("toggle", () => { if ($("torch-panel").open) loadSnippet(); });
  $("copy-torch").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("torch-code").textContent);
      $("copy-status").textContent = t("copied");
    } catch {
      $("copy-status").textContent = t("tr_copyFailed");
    }
  });

  $("lang-en").addEventListener("click", () => switchLanguage("en"));
  $("lang-ko").addEventListener("click", () => switchLanguage("ko"));
  $("theme").addEventListener("click", () => {
    const theme = $("theme").getAttribute("aria-pressed") === "true" ? "light" : "dark";
    try { localStorage.setItem("chainrule-theme", theme); } catch { /* private mode */ }
    applyTheme(theme);
  });

  document.addEventListener("keydown", (e) => {
    const tag = e.target.tagName;
    if ((tag === "INPUT" && e.target.type !== "range") || tag === "SELECT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
    const by = e.shiftKey ? 10 : 1;
    if (e.key === "ArrowRight") player.stepBy(by);
    else if (e.key === "ArrowLeft") player.stepBy(-by);
    else if (e.key === " ") player.toggle();
    else if (e.key === "Home") { player.pause(); player.seek(0); }
    else if (e.key === "End") { player.pause(); player.seek(player.count - 1); }
    else return;
    e.preventDefault();
  });
  window.addEventListener("hashchange", () => {
    const next = fromHash(location.hash);
    if (next.step !== undefined && app.run) player.seek(next.step === null ? player.count - 1 : next.step);
  });
}

async function start() {
  wire();
  const s = initialState(location.hash);
  app.state = s;
  switchLanguage(s.lang ?? browserLanguage(), false);
  let theme = null;
  try { theme = localStorage.getItem("chainrule-theme"); } catch { /* private mode */ }
  applyTheme(theme);
  $("lr").value = String(s.lr);
  $("steps").value = String(s.steps);
  for (const r of document.querySelectorAll("input[name=cost]")) r.checked = r.value === s.cost;
  $("standardize").checked = s.standardize;
  const d = await getDataset();
  app.builtin = { points: d.features.map((f, i) => [f[0], f[1], d.labels[i]]), names: d.names, units: d.units, source: "builtin" };
  if (s.points) {
    const names = s.names ?? ["feature 1", "feature 2"];
    setData(userData(s.points, names, s.units ?? ["", ""]), { remember: false });
  } else {
    setData(app.builtin, { remember: false });
  }
  app.pendingStep = s.step;
  await runTraining();
}

start().catch((e) => {
  document.body.dataset.status = "error";
  const box = $("train-error");
  box.textContent = String(e?.message ?? e);
  box.hidden = false;
});
