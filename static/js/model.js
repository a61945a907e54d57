// The graph from the server, indexed for drawing and for words: display names for nodes
// (the server's `display`: the given name, the variable, the constant, or the sub-expression's
// text; computed here the same way for a graph from an older server), each node's
// formula in terms of its inputs ("a + b"), and the edges by source and by target.

// Infix labels as the engine draws them, with their binding strength (printing only).
const INFIX = { "+": 10, "\u2212": 10, "-": 10, "\u00d7": 20, "*": 20, "\u00f7": 20, "/": 20, "@": 20, "^": 40 };
const POSTFIX = { "\u1d40": 50 }; // transpose: Aᵀ
const ATOM = 100;
const NAME_MAX = 14; // longer sub-expressions are called by their id
const SHORT_MAX = 5; // in tight places (a path's factors) longer ones are called by their id

export function buildModel(graph) {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
  const inEdges = new Map();
  const outEdges = new Map();
  for (const n of graph.nodes) {
    inEdges.set(n.id, []);
    outEdges.set(n.id, []);
  }
  for (const e of graph.edges) {
    inEdges.get(e.target).push(e);
    outEdges.get(e.source).push(e);
  }
  for (const list of inEdges.values()) list.sort((a, b) => a.index - b.index);

  // The node differentiated: the target chosen, or the first of several outputs (the server's).
  const outputId = graph.target ?? graph.output ?? graph.nodes[graph.nodes.length - 1].id;
  const taken = new Set(graph.nodes.map((n) => n.name).filter(Boolean));

  // Text of each node as an expression, children first (nodes come in topological order).
  const text = new Map();
  const prec = new Map();
  for (const n of graph.nodes) {
    const [t, p] = exprText(n, inEdges.get(n.id), text, prec, nodes);
    text.set(n.id, t);
    prec.set(n.id, p);
  }

  const display = new Map();
  for (const n of graph.nodes) {
    let name;
    if (n.display) name = n.display; // the server's one name for it (engine/names.py)
    else if (n.name) name = n.name;
    else if (n.kind !== "op") name = n.label;
    else if (n.id === outputId) name = taken.has("f") ? "out" : "f";
    else if (text.get(n.id).length <= NAME_MAX) name = text.get(n.id);
    else name = n.id;
    display.set(n.id, name);
  }

  const short = (id) => {
    const name = display.get(id);
    const n = nodes.get(id);
    return n.kind === "op" && !n.name && name.length > SHORT_MAX ? id : name;
  };

  const generated = (id) => {
    const n = nodes.get(id);
    return n.kind === "op" && !n.name && display.get(id) === id;
  };

  /** "a + b": the node's operation over its inputs' display names. */
  const formula = (id) => {
    const n = nodes.get(id);
    if (n.kind !== "op") return display.get(id);
    const args = inEdges.get(id).map((e) => ({ t: wrapName(display.get(e.source)), p: ATOM }));
    return apply(n, args)[0];
  };

  return {
    graph,
    nodes,
    edgeById,
    inEdges,
    outEdges,
    outputId,
    variables: graph.variables || graph.nodes.filter((n) => n.kind === "var").map((n) => n.name),
    name: (id) => display.get(id),
    /** The name inside ∂f/∂…: bracketed when it is a sub-expression. */
    dname: (id) => wrapName(display.get(id)),
    /** A name for tight places: the display name when short ("a", "x^2", "2x"), else the id. */
    short: (id) => short(id),
    /** Like dname, for tight places: "f", "(x^2)", "n4". */
    sname: (id) => wrapName(short(id)),
    /** Like dname, never an id: an unnamed sub-expression by its whole text. */
    lname: (id) => wrapName(nodes.get(id).kind === "op" && !nodes.get(id).name && id !== outputId ? text.get(id) : display.get(id)),
    text: (id) => text.get(id),
    formula,
    generated,
    structureKey: structureKey(graph),
  };
}

function wrapName(name) {
  return /^[\p{L}\p{N}_.]+$/u.test(name) ? name : `(${name})`;
}

function exprText(n, ins, text, prec, nodes) {
  if (n.kind !== "op") return [n.kind === "var" ? n.name : n.label, ATOM];
  const args = ins.map((e) => {
    const src = nodes.get(e.source);
    if (src.name && src.kind === "op") return { t: src.name, p: ATOM };
    return { t: text.get(e.source), p: prec.get(e.source), number: src.kind === "const" };
  });
  return apply(n, args);
}

function apply(n, args) {
  const label = n.label;
  if (label in INFIX && args.length === 2) {
    const p = INFIX[label];
    const [a, b] = args;
    const left = a.p < p || (a.p === p && label === "^") ? `(${a.t})` : a.t;
    const rightTight = label === "\u2212" || label === "-" || label === "\u00f7" || label === "/";
    const right = b.p < p || (b.p === p && rightTight) ? `(${b.t})` : b.t;
    if (label === "^") return [`${left}^${right}`, p];
    if ((label === "\u00d7" || label === "*") && a.number && /^[\p{L}(]/u.test(right)) return [`${left}${right}`, p];
    return [`${left} ${label} ${right}`, p];
  }
  if (args.length === 1 && label in POSTFIX) {
    const a = args[0];
    return [`${a.p < POSTFIX[label] ? `(${bare(a.t)})` : a.t}${label}`, POSTFIX[label]];
  }
  if (args.length === 1 && (label === "\u2212" || label === "-")) {
    const a = args[0];
    return [`\u2212${a.p < 30 ? `(${a.t})` : a.t}`, 30];
  }
  // A call brackets its arguments already: Σ(w × x), not Σ((w × x)).
  return [`${label}(${args.map((a) => bare(a.t)).join(", ")})`, ATOM];
}

/** `text` without one pair of brackets around the whole of it: "(a + b)" → "a + b". */
function bare(text) {
  if (!text.startsWith("(") || !text.endsWith(")")) return text;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    if (depth === 0 && i < text.length - 1) return text;
  }
  return text.slice(1, -1);
}

/**
 * Same key for the same drawing: ids, labels, kinds, shapes and edges (values excluded; a new
 * shape, or an array past the shown-elements bound, draws its node anew).
 */
function structureKey(graph) {
  const parts = graph.nodes.map((n) => `${n.id}:${n.kind}:${n.label}:${n.name ?? ""}:${(n.shape ?? []).join("x")}`
    + (n.value !== null && typeof n.value === "object" && !Array.isArray(n.value) ? ":summary" : ""));
  for (const e of graph.edges) parts.push(`${e.id}:${e.source}>${e.target}.${e.index}`);
  if (graph.target) parts.push(`target:${graph.target}`); // the output drawn is the node differentiated
  return parts.join("|");
}
