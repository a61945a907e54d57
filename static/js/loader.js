// Asking the server for the graph of the expression at the values, and putting the answer on
// the page: only the newest request counts (an older one still in flight is aborted); on an
// error the last good graph stays on screen, dimmed, and the error is told where it belongs.

import { fetchGraph } from "./api.js";
import { errorText } from "./i18n.js";
import { buildModel } from "./model.js";
import { cancel, later } from "./later.js";
import { hold, release } from "./panel.js";
import { buildTimeline } from "./timeline.js";

/**
 * `editor`, `variables`: where errors are told; `controls.setEnabled`; `url.write`; `reading`: how
 * the text was read, under the field; `composites`: which composite nodes are drawn expanded.
 * Returns request(expression, values, opts): opts {history, step, tangent, editing, final}.
 */
export function graphLoader(session, player, { editor, variables, controls, url, reading, composites }) {
  const body = document.body;
  let seq = 0;
  let controller = null;
  let renders = 0;
  let urlMode = null; // how the URL is to be written after the graph's frame

  async function request(expression, values, opts = {}) {
    const mine = ++seq;
    controller?.abort();
    const ctl = new AbortController();
    controller = ctl;
    editor.checking(true);
    hold();
    const started = performance.now();
    const tangent = opts.tangent ?? session.state.tangent ?? Object.keys(values)[0] ?? null;
    try {
      const { graph, values: used, parsed } = await fetchGraph(expression, values, {
        tangent, data: session.state.data ?? [], signal: ctl.signal, fallback: () => 1,
        expand: composites.expandFor(expression),
        target: session.state.target,
      });
      if (mine !== seq) return;
      const received = performance.now();
      let built = received;
      // For benchmarks/page.py: from the request (the debounce excluded) to the frame that shows
      // it, and its parts: the answer read (server and JSON), the page built, the frame drawn.
      // Asked for before the graph is built, so that it runs before the panels built after
      // that frame (later.js); "chainrule:panels" ends once they are drawn too.
      requestAnimationFrame(() => setTimeout(() => {
        const end = performance.now();
        performance.measure("chainrule:request-to-graph", { start: started, end });
        performance.measure("chainrule:answer", { start: started, end: received });
        performance.measure("chainrule:build", { start: received, end: built });
        performance.measure("chainrule:frame", { start: built, end });
      }, 0));
      // What sits above the drawing takes its place first (the drawing is fitted to the room
      // left under it): the composites' row, and the reading, whose new math is built after
      // the graph's frame while the last one holds its place. With no math on the page yet (the
      // first answer) it is built now: an empty line would grow by the math's height under a
      // drawing already fitted (23 px with DejaVu's stretched brackets: the player went below
      // a laptop's screen).
      composites.show(graph);
      const readLater = reading.holdsMath;
      if (readLater) {
        reading.reserve(parsed);
      } else {
        cancel("reading");
        reading.show(parsed);
      }
      show(graph, expression, used, opts);
      if (readLater) later("reading", () => reading.show(parsed));
      built = performance.now();
      later("measure", () => requestAnimationFrame(() => setTimeout(() => {
        performance.measure("chainrule:panels", { start: started, end: performance.now() });
      }, 0)));
    } catch (err) {
      if (err.name === "AbortError" || mine !== seq) return;
      if (err.detail?.field === "expression") {
        cancel("reading"); // an older answer's reading, not yet drawn
        reading.clear();
      }
      // A bad value (values.w[1]) is told under its variable's field, not under the function.
      const field = /^values\.([^.[\]]+)(.*)$/.exec(err.detail?.field ?? "");
      if (!(field && variables.showError(field[1], errorText(err).message, `${field[1]}${field[2]}`))) {
        editor.showError(err, expression, !!session.graph);
      }
      // Only the graph dims (the last good one, kept): the field and its error stay bright.
      body.classList.toggle("graph-stale", !!session.graph);
      body.dataset.status = "error";
      if (!session.graph) controls.setEnabled(false); // nothing to play (a broken link opened the page)
    } finally {
      if (mine === seq) editor.checking(false);
      release();
    }
  }

  function show(graph, expression, values, opts) {
    const model = buildModel(graph);
    const sameStructure = session.model?.structureKey === model.structureKey;
    const previousStep = player.step;
    const previousCount = player.count;
    session.graph = graph;
    session.model = model;
    const s = session.state;
    s.expression = expression;
    s.values = Object.fromEntries(model.variables.map((v) => [v, values[v] ?? 1]));
    if (!model.variables.includes(s.tangent)) s.tangent = model.variables[0] ?? null;
    if (s.pass === "forward" && s.tangent && !graph.trace.tangent) {
      // Asked before the variables were known: ask again, now for a real input.
      request(expression, s.values, { ...opts, tangent: s.tangent });
      return;
    }
    editor.clearError();
    variables.clearErrors();
    controls.setEnabled(true);
    body.classList.remove("graph-stale");
    if (editor.value !== expression && !opts.editing) editor.value = expression;
    body.classList.toggle("tensor", session.tensor());

    const timeline = buildTimeline(graph, s.pass);
    session.timeline = timeline;
    body.dataset.pass = timeline.pass;
    session.emit("graph", { sameStructure });
    session.emit("timeline");
    // Drawn once the panels around the drawing have this graph's height (variables, warnings,
    // the passes' note): the rows are fitted to the height left on screen, which is then the
    // same whether the page was just opened or already showed a graph.
    session.emit("draw");

    let step = null;
    if (opts.step !== undefined) step = opts.step;
    else if (sameStructure && previousCount === timeline.events.length && previousStep < previousCount) step = previousStep;
    player.load(timeline.events.length, step);
    // The URL after the graph's frame: writing it forces the new drawing's style and layout,
    // 8 ms of a 500-node digit's build that the frame then does anyway. A history entry
    // waiting ("push") stays one when a newer answer comes first; "none" (a URL read back)
    // is never turned into one.
    const mode = opts.history ?? "replace";
    urlMode = urlMode === "push" && mode !== "none" ? "push" : mode;
    later("url", () => {
      const m = urlMode;
      urlMode = null;
      url.write(m);
    });
    renders++;
    body.dataset.renders = String(renders);
    body.dataset.status = "ready";
    // The panels ask only now, for a graph known to be good, and never hold the graph up.
    session.emit("ready", { final: opts.final });
  }

  return request;
}
