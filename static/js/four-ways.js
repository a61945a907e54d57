// The four ways' panels beside the graph (compare, check, error plot, paths, snippet) and the
// passes note: they fetch while open, once a graph is on screen and known to be good, and
// never hold the graph up. A path lit in the paths view is lit on the graph.

import { CheckPanel } from "./check.js";
import { ComparePanel } from "./compare.js";
import { ErrorPlot } from "./errorplot.js";
import { Section } from "./panel.js";
import { drawPassesNote } from "./passes.js";
import { PathsPanel } from "./paths.js";
import { SnippetPanel } from "./snippet.js";

/**
 * `$`: the page's getElementById; `renderer`: lights a path; `writeHash(mode)`: the view
 * changed (the error plot's precision). Returns the panels and refresh().
 */
export function fourWays(session, { $, renderer, writeHash }) {
  const f = () => session.f;
  let cost = null; // {expression, cost}: the passes each mode needs, from /api/v1/compare
  let pathVar = null; // the input chosen in the paths view
  let plotVar = null; // the variable chosen for the error plot

  const compare = new ComparePanel($("compare-panel"), {
    fmt: f,
    onCost: (c, q) => {
      cost = { expression: q.expression, cost: c };
      passesNote();
    },
  });
  const check = new CheckPanel($("check-panel"), { fmt: f });
  const plot = new ErrorPlot($("plot-panel"), {
    fmt: f,
    chosenH: () => session.state.h,
    onChange: ({ dtype }) => {
      session.state.dtype = dtype;
      writeHash("replace");
      refresh();
    },
    onVariable: (v) => { plotVar = v; },
  });
  const reveal = revealer($);
  const paths = new PathsPanel($("paths-panel"), {
    fmt: f,
    highlight: (path, item, how) => {
      renderer.highlight(path);
      reveal.graph(path ? item : null, how);
    },
    onVariable: (v) => { pathVar = v; },
    scrolling: () => reveal.scrolling(),
  });
  const snippet = new SnippetPanel($("snippet-panel"));
  const panels = { compare, check, plot, paths, snippet };
  const sections = Object.entries(panels).map(([name, panel]) => new Section($(`${name}-panel`), (c) => panel.update(c)));

  /** What every panel works on: the graph on screen (never an expression still being typed). */
  const context = () => {
    const s = session.state;
    return {
      expression: s.expression, values: { ...s.values }, model: session.model,
      method: s.method, h: s.h, dtype: s.dtype, pathVar, plotVar,
    };
  };

  function refresh() {
    if (!session.model) return;
    // The four ways (and the paths) work on scalar values for now: with arrays they wait.
    const tensor = session.tensor();
    document.body.classList.toggle("tensor", tensor);
    $("tensor-note").hidden = !tensor;
    if (tensor) return;
    const c = context();
    for (const section of sections) section.set(c);
  }

  function passesNote() {
    const known = cost && cost.expression === session.state.expression ? cost.cost : null;
    drawPassesNote($("passes-note"), {
      cost: known, inputs: session.model?.variables.length ?? 0,
      pass: session.pass(), tangentVar: session.tangent(),
    });
  }

  const redraw = () => {
    for (const panel of Object.values(panels)) panel.redraw();
  };
  // Not while a slider is being dragged: they catch up when it is let go.
  session.on("ready", ({ final }) => { if (final !== false) refresh(); });
  session.on("timeline", passesNote);
  session.on("language", () => {
    if (!session.model) return;
    passesNote();
    redraw();
  });
  session.on("digits", redraw);
  return { panels, refresh, plot };
}

/**
 * A path lit from the paths view is on the graph, so the graph should be on screen. Where the
 * paths view stays put while the page scrolls (wide screens: it is sticky), the page scrolls
 * gently up to the graph after a short hover. Elsewhere the paths view would scroll away from
 * under the pointer, so only a path chosen by keyboard or touch (focus) brings the graph
 * into view, and only as far as the path itself stays on screen.
 */
function revealer($) {
  let timer = null;
  let until = 0; // the page is scrolling to the graph until then (ms)
  return {
    scrolling: () => performance.now() < until,
    graph(item, how) {
      clearTimeout(timer);
      if (!item) return;
      timer = setTimeout(() => {
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
        until = performance.now() + (smooth ? 900 : 400);
        window.scrollBy({ top: by, behavior: smooth ? "smooth" : "auto" });
      }, how === "hover" ? 220 : 0);
    },
  };
}
