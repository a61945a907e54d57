// Building elements: h() for HTML, svg() for SVG, math() for MathML. The page's one DOM helper
// (each panel used to carry its own copy).

export const SVG_NS = "http://www.w3.org/2000/svg";
export const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

/** An HTML element with attributes and children (strings or nodes; null and undefined skipped). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

/** An SVG element with attributes (and `text`), appended to `parent` when one is given. */
export function svg(name, attrs = {}, parent = null, text = null) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/** A MathML element holding `text` (when not null). */
export function math(tag, text = null, attrs = {}) {
  const e = document.createElementNS(MATHML_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}
