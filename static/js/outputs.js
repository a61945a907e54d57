// Several outputs and what is differentiated (issue 15): the node differentiated (a select,
// or a double click on the graph), the Jacobian filled both ways pass by pass, the cost of
// each mode on a family of programs, and the backward pass drawn as a graph of its own. Like
// the four ways' panels they fetch while open, once a graph is on screen and known to be good.

import { DerivativePanel } from "./derivative-view.js";
import { FamilyPanel, JacobianPanel } from "./jacobian-modes.js";
import { Section } from "./panel.js";
import { TargetChoice, passReplayer } from "./target.js";

/** `$`: the page's getElementById; `request(opts)`: ask again for the graph on screen. */
export function manyOutputs(session, player, { $, request }) {
  const f = () => session.f;
  const replay = passReplayer({ app: session, player, graphPanel: $("graph-panel"), request });
  const target = new TargetChoice($("target-field"), (name) => replay({ pass: session.state.pass, target: name }),
    $("graph"));
  const jacobian = new JacobianPanel($("jacobian-panel"), { fmt: f, replay: (o) => replay(o, true) });
  const family = new FamilyPanel($("family-panel"));
  const derivative = new DerivativePanel($("derivative-panel"), { fmt: f, full: session.full });
  const panels = { target, jacobian, family, derivative };
  const sections = [
    new Section($("jacobian-panel"), (c) => jacobian.update(c)),
    new Section($("family-panel"), (c) => family.update(c)),
    new Section($("derivative-panel"), (c) => derivative.update(c)),
  ];

  // Before the URL is written: a target the new program lacks is forgotten there too.
  session.on("graph", () => target.refresh(session.graph, session.model, session.state));
  session.on("ready", ({ final }) => {
    // Not while a slider is dragged, and (as the four ways) not yet for arrays.
    if (final === false || !session.model || session.tensor()) return;
    const s = session.state;
    const c = { expression: s.expression, values: { ...s.values }, model: session.model };
    for (const section of sections) section.set(c);
  });
  const redraw = () => {
    if (!session.model) return;
    for (const panel of Object.values(panels)) panel.redraw();
  };
  session.on("language", redraw);
  session.on("digits", redraw);
  return panels;
}
