// The compact answer of POST /api/v1/graph ("format": "compact/1": nodes and edges as columns,
// each pass's events as rows) back into the objects answer the page reads, exactly (app/compact.py
// is the reference; tests/page/test_page_compact.py holds the two to the same objects).
// Node i is "n<i>"; edge k is the k-th (target, argument index) of nodes.inputs; a trace row is
// [type, ...items], its items named by trace.fields[pass][type].

export const COMPACT = "compact/1";
const NODE_FIELDS = new Set(["node", "source", "target"]);
const SPARSE_NODE = new Set(["aliases", "composite"]); // null there: the node has no such key
const SPARSE_EDGE = new Set(["jacobian", "grad_in", "product"]); // null there: no such key

/** The objects answer for `body`; an answer without `format` is returned as it is. */
export function decodeGraph(body) {
  if (!body || body.format === undefined) return body;
  if (body.format !== COMPACT) throw new Error(`unknown graph format ${body.format}`);
  const out = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === "nodes") out.nodes = nodes(value);
    else if (key === "edges") out.edges = edges(value, body.nodes.inputs);
    else if (key === "trace") out.trace = trace(value);
    else if (key !== "format") out[key] = value;
  }
  return out;
}

function nodes(columns) {
  const keys = Object.keys(columns);
  const count = columns.kind.length;
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const node = { id: `n${i}` };
    for (const key of keys) {
      const v = columns[key][i];
      if (key === "inputs") node.inputs = v.map((s) => `n${s}`);
      else if (v !== null || !SPARSE_NODE.has(key)) node[key] = v;
    }
    out[i] = node;
  }
  return out;
}

function edges(columns, inputs) {
  const keys = Object.keys(columns);
  const out = [];
  inputs.forEach((args, t) => {
    args.forEach((s, index) => {
      const k = out.length;
      const edge = { id: `e${k}`, source: `n${s}`, target: `n${t}`, index };
      for (const key of keys) {
        const v = columns[key][k];
        if (v !== null || !SPARSE_EDGE.has(key)) edge[key] = v;
      }
      out.push(edge);
    });
  });
  return out;
}

function trace(passes) {
  const out = {};
  for (const [name, rows] of Object.entries(passes)) {
    if (name === "fields") continue;
    const fields = passes.fields[name];
    out[name] = rows.map((row) => {
      const event = { type: row[0] };
      const names = fields[row[0]];
      for (let j = 0; j < names.length; j++) {
        const f = names[j];
        const v = row[j + 1];
        event[f] = NODE_FIELDS.has(f) ? `n${v}` : f === "edge" ? `e${v}` : v;
      }
      return event;
    });
  }
  return out;
}
