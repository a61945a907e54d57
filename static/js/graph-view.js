// The graph on the page: the renderer and the node details beside it, drawn anew for a new
// graph or new digits, and following the player step by step (numbers, the current event,
// a pulse along the edge a contribution takes).

import { brief, shapeText } from "./arrays.js";
import { Details } from "./details.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { Renderer } from "./renderer.js";
import { eventFocus } from "./timeline.js";

const FADE_MS = 350; // graph.css: .graph-svg .fade

/**
 * `container`: the graph's box; `tooltip`: the details' box; `onEdge(id, element)`: an edge
 * of a tensor graph was opened (its Jacobian). Returns {renderer, details}.
 */
export function graphView({ container, tooltip, zoomHint, player, session, onEdge }) {
  const details = new Details(tooltip);
  const detailContext = () => ({
    model: session.model, snap: session.snap(player.step), functions: session.functions,
    pass: session.pass(), tangentVar: session.tangent(),
  });
  const renderer = new Renderer(container, {
    onHover: (id, el) => (id ? details.show(id, el, detailContext()) : details.hide()),
    onActivate: (id) => {
      const refs = renderer.nodeEls?.get(id);
      if (refs) details.show(id, refs[0].g, detailContext());
      session.emit("select", { id });
    },
    // A large graph fitted too small to read is drawn without its numbers: say how to see them.
    onLegible: (yes) => {
      if (zoomHint) zoomHint.hidden = yes;
    },
    onEdge: (id, el) => {
      details.hide();
      onEdge?.(id, el);
    },
  });

  const draw = () => {
    const { graph, model } = session;
    if (!model) return;
    const layout = graph.layout;
    if (!layout || layout.status === "skipped" || !layout.nodes) {
      renderer.clear();
      container.replaceChildren(h("p", { class: "graph-message" }, t("layoutSkipped", { reason: layout?.reason?.message ?? "" })));
      return;
    }
    const f = session.f;
    const outValue = model.nodes.get(model.outputId)?.value;
    document.body.dataset.digits = String(session.state.digits);
    // The output's value is written beside it: the drawing keeps room for it at these digits.
    renderer.draw(model, layout, {
      outText: `${model.dname(model.outputId)} = ${brief(outValue, f, 4)}`, number: f(-2 / 3),
    });
    label();
  };
  const label = () => renderer.svg?.setAttribute("aria-label", t("graphLabel", { f: session.state.expression }));

  const edgeLabel = (id) => {
    const m = session.model;
    const e = m.edgeById.get(id);
    return t("edgeLabel", { s: m.name(e.source), t: m.name(e.target) });
  };
  const nodeLabel = (id, st) => {
    const m = session.model;
    const f = session.f;
    const parts = [m.name(id)];
    const n = m.nodes.get(id);
    if (n.kind === "op") parts.push(m.formula(id));
    if (n.shape?.length) parts.push(t("shapeOf", { shape: shapeText(n.shape) }));
    if (st && st.value !== null) parts.push(`${t("dValue")} ${f(st.value)}`);
    if (st && st.grad !== null) parts.push(`${t("dGrad")} ${f(st.grad)}`);
    if (st && st.tangent !== null) parts.push(`${t("dTangent")} ${f(st.tangent)}`);
    return parts.join(", ");
  };

  session.on("draw", () => {
    draw();
    renderer.highlight(null);
  });
  session.on("digits", draw);
  session.on("language", label);

  player.subscribe((e) => {
    if (!session.timeline) return;
    const snap = session.snap(e.step);
    const f = session.f;
    const focus = eventFocus(snap.current);
    const oneStep = (e.cause === "step" || e.cause === "play") && e.step === e.from + 1;
    // A number fades in only when the next step is further away than its fade: at 4x and
    // faster the fades would only overlap, and each frame of them is a repaint of the page.
    const fade = oneStep && player.interval > FADE_MS;
    renderer.update(snap, f, focus, {
      nodeLabel, edgeLabel, full: session.full, animate: fade, tangentVar: session.tangent(),
      timeline: session.timeline,
    });
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
  });

  return { renderer, details };
}
