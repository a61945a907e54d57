// The graph from the server, indexed for drawing and for words: each node's display name (the
// server's `display`, engine/names.py: the one name the graph, table, panels and messages
// use), each node's formula over its inputs' names ("a + b"), and the edges by source and by
// target. No printing rules live here: where an unnamed node is called by its id, its whole
// expression is spelt out over its inputs' names.

const POSTFIX = new Set(["\u1d40"]); // transpose: Aᵀ

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
  const display = new Map(graph.nodes.map((n) => [n.id, n.display ?? n.name ?? n.label ?? n.id]));

  // An unnamed operation the server calls by its id (its text is long): spelt out in full
  // over its inputs, children first (nodes come in topological order), never by id.
  const text = new Map();
  for (const n of graph.nodes) {
    const byId = n.kind === "op" && !n.name && display.get(n.id) === n.id;
    text.set(n.id, byId ? written(n, inEdges.get(n.id).map((e) => wrapName(text.get(e.source)))) : display.get(n.id));
  }

  const generated = (id) => {
    const n = nodes.get(id);
    return n.kind === "op" && !n.name && display.get(id) === id;
  };

  /** "a + b": the node's operation over its inputs' display names. */
  const formula = (id) => {
    const n = nodes.get(id);
    if (n.kind !== "op") return display.get(id);
    return written(n, inEdges.get(id).map((e) => wrapName(display.get(e.source))));
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
    /** Like dname, never an id: an unnamed sub-expression by its whole text. */
    lname: (id) => wrapName(id === outputId ? display.get(id) : text.get(id)),
    /** The node's expression: its display name, or spelt out where that is an id. */
    text: (id) => text.get(id),
    formula,
    generated,
    structureKey: structureKey(graph),
    /** The same without the labels: a digit typed into a constant (2x → 22x), sin → cos. A
     *  tensor node's label sizes its text, so a graph of arrays keeps its labels in it. */
    shapeKey: graph.nodes.some((n) => n.shape?.length) ? structureKey(graph) : structureKey(graph, false),
  };
}

/** A name as an operand: bare when it is one word ("x", "a1"), else in brackets. */
function wrapName(name) {
  return /^[\p{L}\p{N}_.]+$/u.test(name) ? name : `(${name})`;
}

/**
 * Node `n`'s operation written over `args` (operands, bracketed where they are not one word):
 * a symbol between two ("a + b"), before one ("−a"), ᵀ after one, a call otherwise ("ln(a)").
 */
function written(n, args) {
  const label = n.label;
  const symbol = !/^[\p{L}_]/u.test(label);
  if (args.length === 1 && POSTFIX.has(label)) return `${args[0]}${label}`;
  if (symbol && args.length === 2) return `${args[0]} ${label} ${args[1]}`;
  if (symbol && args.length === 1) return `${label}${args[0]}`;
  // A call brackets its arguments already: Σ(w × x), not Σ((w × x)).
  return `${label}(${args.map(bare).join(", ")})`;
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
function structureKey(graph, labels = true) {
  const parts = graph.nodes.map((n) => `${n.id}:${n.kind}:${labels ? n.label : ""}:${n.name ?? ""}:${(n.shape ?? []).join("x")}`
    + (n.value !== null && typeof n.value === "object" && !Array.isArray(n.value) ? ":summary" : ""));
  for (const e of graph.edges) parts.push(`${e.id}:${e.source}>${e.target}.${e.index}`);
  if (graph.target) parts.push(`target:${graph.target}`); // the output drawn is the node differentiated
  return parts.join("|");
}
