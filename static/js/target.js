// What is differentiated: a program with several outputs (a, b, sin(x)) has one gradient per
// output, and any named node may be differentiated instead. The choice is the server's `target`
// (POST /api/v1/graph) and the view's `of=` in the URL; the names offered are the server's.

import { t } from "./i18n.js";

export class TargetChoice {
  /**
   * @param field the label around the select (hidden when there is nothing to choose)
   * @param choose(name) called with the name chosen
   * @param drawing the main graph's container: a node double-clicked there is chosen
   */
  constructor(field, choose, drawing = null) {
    this.field = field;
    this.select = field.querySelector("select");
    this.graph = null;
    this.model = null;
    this.select.addEventListener("change", () => choose(this.select.value));
    // "Differentiate this node": a double click on a node that can be a target chooses it.
    drawing?.addEventListener("dblclick", (e) => {
      const id = e.target.closest?.(".node")?.dataset.id;
      const name = id && this.model?.nodes.has(id) ? this.model.name(id) : null;
      if (!name || !this.names.includes(name) || name === this.select.value) return;
      e.preventDefault();
      choose(name);
    });
  }

  /** The names offered (outputs, then named nodes). */
  get names() {
    return [...this.select.options].map((o) => o.value);
  }

  /**
   * A new graph: offer its outputs, then its other named nodes; show the node it differentiated.
   * A chosen name the program no longer has (the server answered for its first output) is
   * forgotten in `state`, so the URL says what is on screen.
   */
  refresh(graph, model, state) {
    this.graph = graph;
    this.model = model;
    const shown = model.name(model.outputId);
    if (state.target && state.target !== shown) state.target = null;
    this.redraw();
  }

  redraw() {
    const { graph, model } = this;
    if (!graph) return;
    const outputs = graph.outputs ?? [graph.output];
    const isOutput = new Set(outputs);
    // Named intermediates the server accepts as a target (variables are left out: ∂x/∂x = 1).
    const named = graph.nodes.filter((n) => n.kind === "op" && n.name && !isOutput.has(n.id)).map((n) => n.id);
    const group = (label, ids) => {
      const g = document.createElement("optgroup");
      g.label = t(label);
      g.append(...ids.map((id) => new Option(model.name(id), model.name(id))));
      return g;
    };
    const groups = [group("targetOutputs", outputs)];
    if (named.length) groups.push(group("targetNamed", named));
    this.select.replaceChildren(...groups);
    this.select.value = model.name(model.outputId);
    this.select.title = t("targetTitle");
    this.field.hidden = outputs.length + named.length < 2;
  }
}

/**
 * Show one pass on the main graph: forward mode with `tangent`'s direction, or reverse mode
 * differentiating `target`. With `play`, the player runs it from where that pass begins (the
 * forward values are shared by every pass) and the graph comes into view.
 * `request(opts)` asks for the graph of the expression on screen (main.js's requestGraph).
 */
export function passReplayer({ app, player, request, graphPanel }) {
  return async ({ pass, tangent, target }, play = false) => {
    const s = app.state;
    s.pass = pass;
    if (tangent !== undefined) s.tangent = tangent;
    if (target !== undefined) s.target = target;
    await request({ history: "push", tangent: s.tangent, ...(play ? { step: 0 } : {}) });
    if (!play || !app.timeline || app.timeline.pass !== pass) return;
    player.seek(app.timeline.forwardCount);
    player.play();
    const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
    graphPanel.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
  };
}
