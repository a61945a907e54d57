// The server's presentation MathML (from SymPy), put into the page as it is: Chromium renders
// MathML Core natively. Only MathML elements and layout attributes are copied over, so an
// answer can never carry a script, a link or a style into the page.

const MATHML_NS = "http://www.w3.org/1998/Math/MathML";
const ELEMENTS = new Set([
  "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
  "msqrt", "mroot", "mfenced", "mstyle", "mpadded", "mphantom", "munder", "mover", "munderover",
  "mtable", "mtr", "mtd", "semantics", "annotation",
]);
const ATTRIBUTES = new Set([
  "display", "mathvariant", "stretchy", "fence", "separator", "form", "lspace", "rspace",
  "largeop", "movablelimits", "linethickness", "scriptlevel", "displaystyle", "open", "close",
  "separators", "accent", "accentunder", "columnalign", "rowalign", "width", "height", "depth",
]);

function copy(node, doc) {
  if (node.nodeType === Node.TEXT_NODE) {
    // SymPy writes the minus sign as a hyphen: show a real minus.
    const minus = node.parentNode?.localName === "mo" && node.data.trim() === "-";
    return doc.createTextNode(minus ? "\u2212" : node.data);
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const name = node.localName;
  if (!ELEMENTS.has(name)) return null;
  const out = doc.createElementNS(MATHML_NS, name);
  for (const attr of node.attributes) {
    if (ATTRIBUTES.has(attr.name)) out.setAttribute(attr.name, attr.value);
  }
  for (const child of node.childNodes) {
    const c = copy(child, doc);
    if (c) out.appendChild(c);
  }
  return out;
}

/**
 * A <math> element for the MathML text `source` (parsed as HTML, which knows entities such
 * as &InvisibleTimes;), or null when there is none. `label` becomes its accessible text.
 */
export function mathElement(source, label = "") {
  if (!source) return null;
  const parsedDoc = new DOMParser().parseFromString(`<!doctype html><body>${source}`, "text/html");
  const math = parsedDoc.body.querySelector("math");
  if (!math) return null;
  const out = copy(math, document);
  if (out && label) out.setAttribute("aria-label", label);
  return out;
}
