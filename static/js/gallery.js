// The lecture's examples as cards (from /api/v1/examples): title, what it shows, and a small
// drawing of its graph (the server's layout, drawn when the card comes into view). A click
// (or Enter) opens the example.

import { fetchGraph } from "./api.js";
import { pathData } from "./curves.js";
import { h, svg } from "./dom.js";
import { language } from "./i18n.js";

const text = (v) => (v && typeof v === "object" ? v[language()] ?? v.en ?? "" : v ?? "");

/** The variables an example marks as data (no gradient): those not in its requires_grad. */
export const dataOf = (ex) => (Array.isArray(ex.requires_grad)
  ? Object.keys(ex.values).filter((n) => !ex.requires_grad.includes(n)) : []);

/** `list`: the gallery's <ul>; `onOpen(example)`. Returns {fill(examples)}. */
export function gallery(list, onOpen) {
  const drawings = new Map(); // example id -> the drawing's <svg> (kept across languages)
  const seen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      seen.unobserve(entry.target);
      draw(entry.target);
    }
  }, { rootMargin: "200px" });

  async function draw(card) {
    const ex = card.example;
    try {
      const { graph } = await fetchGraph(ex.expression, { ...ex.values }, { data: dataOf(ex) });
      const picture = miniature(graph);
      if (!picture) return;
      drawings.set(ex.id, picture);
      card.querySelector(".ex-drawing").replaceChildren(picture);
    } catch {
      // No drawing: the card still opens its example.
    }
  }

  function fill(examples) {
    list.replaceChildren(...examples.map((ex) => {
      const open = () => onOpen(ex);
      const button = h("button", { type: "button", class: "ex-card", "data-id": ex.id, title: text(ex.description) },
        h("span", { class: "ex-drawing", "aria-hidden": "true" }, drawings.get(ex.id) ?? null),
        h("span", { class: "ex-title" }, text(ex.title)),
        h("span", { class: "ex-desc" }, text(ex.description)),
        h("code", { class: "ex-expr" }, ex.expression));
      button.example = ex;
      button.addEventListener("click", open);
      if (!drawings.has(ex.id)) seen.observe(button);
      return h("li", {}, button);
    }));
  }
  return { fill };
}

/** The graph's shape from its layout: nodes (ellipses for operations) and edges, no numbers. */
function miniature(graph) {
  const layout = graph.layout;
  if (!layout?.nodes || layout.status === "skipped") return null;
  const kinds = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const pad = 8;
  const picture = svg("svg", {
    class: "ex-svg", viewBox: `${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`,
    preserveAspectRatio: "xMidYMid meet",
  });
  for (const e of layout.edges) {
    if (e.points?.length >= 4) svg("path", { class: "ex-edge", d: pathData(e.points) }, picture);
  }
  for (const [id, b] of Object.entries(layout.nodes)) {
    if (kinds.get(id) === "op") {
      svg("ellipse", { class: "ex-node", cx: b.x, cy: b.y, rx: b.width / 2, ry: b.height / 2 }, picture);
    } else {
      svg("rect", {
        class: `ex-node ${kinds.get(id) === "var" ? "input" : "const"}`,
        x: b.x - b.width / 2, y: b.y - b.height / 2, width: b.width, height: b.height, rx: 6,
      }, picture);
    }
  }
  return picture;
}
