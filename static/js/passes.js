// How many passes each mode of AD needs, beside the graph: forward mode one per input (n),
// reverse mode one per output (m), with the local derivatives each pass evaluates. The
// numbers are the server's (/api/v1/compare's cost) once it has sent them.

import { t } from "./i18n.js";
import { h } from "./dom.js";

/**
 * Fill `el` for `pass` ("reverse" or "forward"). `cost` is the server's ModeCost, or null
 * before it arrives: then only n (the graph's inputs) and m = 1 (its one output) are said.
 */
export function drawPassesNote(el, { cost, inputs, pass, tangentVar }) {
  const n = cost ? cost.inputs : inputs;
  const m = cost ? cost.outputs : 1;
  const forwardPasses = cost ? cost.forward_passes : n;
  const reversePasses = cost ? cost.reverse_passes : m;
  const fwdOps = cost && tangentVar in cost.forward_ops
    ? t("passOpsForward", { k: cost.forward_ops[tangentVar], x: tangentVar }) : "";
  const revOps = cost ? t("passOpsReverse", { k: cost.reverse_ops }) : "";
  const reverse = h("span", { class: `mode reverse${pass === "reverse" ? " current" : ""}` },
    h("b", {}, t("passReverse")), " ", t("passReverseCount", { k: reversePasses, m }), revOps);
  const forward = h("span", { class: `mode forward${pass === "forward" ? " current" : ""}` },
    h("b", {}, t("passForward")), " ", t("passForwardCount", { k: forwardPasses, n }), fwdOps);
  el.replaceChildren(h("span", { class: "passes-title" }, t("passesNeeded")), reverse, forward);
  el.dataset.forwardPasses = String(forwardPasses);
  el.dataset.reversePasses = String(reversePasses);
  el.dataset.cost = cost ? "server" : "inputs"; // the server's counts arrive with /compare
  el.hidden = n === 0;
}
