// Composite nodes (issue 13): a sigmoid drawn as one node or as its unit functions (the
// lecture's logistic graph), toggled per node. The server knows each composite (a node's
// `composite`: {of, op, expanded}, `of` its id in the graph as parsed) and expands those the
// request lists; this module keeps that list for the expression shown and draws a toggle per
// composite under the graph's toolbar. No maths here: the numbers come back from the server.

import { t } from "./i18n.js";

export class Composites {
  /**
   * @param box the #composites element
   * @param onToggle() called after a composite was toggled: ask for the graph again
   */
  constructor(box, onToggle) {
    this.box = box;
    this.onToggle = onToggle;
    this.expression = null;
    this.expanded = new Set(); // ids (in the graph as parsed) drawn as unit functions
    this.graph = null;
  }

  /** The ids to expand for `expression`: none once the expression has changed. */
  expandFor(expression) {
    if (expression !== this.expression) {
      this.expression = expression;
      this.expanded.clear();
    }
    return [...this.expanded];
  }

  /** A toggle per composite of `graph` (the /graph answer), named as the graph names it. */
  show(graph) {
    this.graph = graph;
    const seen = new Map(); // of -> {expanded, display}: the last node of an expansion is its result
    for (const n of graph?.nodes ?? []) {
      if (n.composite) seen.set(n.composite.of, { ...n.composite, display: n.display });
    }
    this.box.replaceChildren(...[...seen.values()].map((c) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "text-button composite-toggle";
      button.dataset.of = c.of;
      button.setAttribute("aria-pressed", String(c.expanded));
      button.textContent = t(c.expanded ? "collapseNode" : "expandNode", { name: c.display, op: c.op });
      button.addEventListener("click", () => {
        if (this.expanded.has(c.of)) this.expanded.delete(c.of);
        else this.expanded.add(c.of);
        this.onToggle();
      });
      return button;
    }));
    this.box.hidden = seen.size === 0;
  }

  relocalize() {
    if (this.graph) this.show(this.graph);
  }
}
