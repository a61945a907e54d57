// The steps the player walks: the server's forward events, then its backward (reverse-mode)
// or tangent (forward-mode) events. `snapshot(k)` is what is known after the first k of them,
// found by replaying the events: every number is copied from the trace, none is computed.

export function buildTimeline(graph, pass) {
  const forward = graph.trace.forward.map((e) => ({ ...e, phase: "forward" }));
  const second = pass === "forward"
    ? (graph.trace.tangent || []).map((e) => ({ ...e, phase: "tangent" }))
    : graph.trace.backward.map((e) => ({ ...e, phase: "backward" }));
  const events = forward.concat(second);
  return { events, forwardCount: forward.length, pass: pass === "forward" && graph.trace.tangent ? "forward" : "reverse" };
}

function blankNode() {
  return { value: null, grad: null, terms: [], visited: false, tangent: null, tterms: [] };
}

/** What is known after the first `k` events: per node and per edge, plus the current event. */
export function snapshot(timeline, k) {
  const nodes = new Map();
  const edges = new Map();
  const node = (id) => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = blankNode()));
    return n;
  };
  const edge = (id) => {
    let e = edges.get(id);
    if (!e) edges.set(id, (e = { local: null, contribution: null, term: null, vjp: false, reduced: null }));
    return e;
  };
  const { events } = timeline;
  const end = Math.min(k, events.length);
  for (let i = 0; i < end; i++) {
    const ev = events[i];
    switch (ev.type) {
      case "evaluate":
        node(ev.node).value = ev.value;
        break;
      case "seed":
        if (ev.phase === "tangent") node(ev.node).tangent = ev.tangent;
        else node(ev.node).grad = ev.grad;
        break;
      case "visit":
        node(ev.node).visited = true;
        break;
      case "local":
        edge(ev.edge).local = ev.local;
        // No local derivative: the op is not elementwise, its backward step is a VJP.
        edge(ev.edge).vjp = ev.local === null && ev.phase === "backward";
        break;
      case "reduce":
        // The contribution summed over the axes where the source was broadcast.
        edge(ev.edge).contribution = ev.contribution;
        edge(ev.edge).reduced = ev.axes;
        break;
      case "contribute":
        edge(ev.edge).contribution = ev.contribution;
        break;
      case "accumulate": {
        const n = node(ev.node);
        n.grad = ev.grad;
        n.terms = n.terms.concat([{ edge: ev.edge, value: edge(ev.edge).contribution, before: ev.before }]);
        break;
      }
      case "term": {
        edge(ev.edge).term = ev.term;
        const n = node(ev.target);
        n.tterms = n.tterms.concat([{ edge: ev.edge, value: ev.term }]);
        break;
      }
      case "tangent":
        node(ev.node).tangent = ev.tangent;
        break;
      default:
        break;
    }
  }
  return {
    step: end,
    nodes,
    edges,
    current: end > 0 ? events[end - 1] : null,
    phase: end === 0 ? "start" : events[end - 1].phase,
    done: end === events.length,
  };
}

/** The nodes and edges an event is about (for highlighting). */
export function eventFocus(ev) {
  if (!ev) return { nodes: [], edges: [] };
  switch (ev.type) {
    case "evaluate":
    case "seed":
    case "visit":
    case "tangent":
      return { nodes: [ev.node], edges: [] };
    case "accumulate":
    case "reduce":
      return { nodes: [ev.node], edges: [ev.edge] };
    default:
      return { nodes: [ev.source, ev.target], edges: [ev.edge] };
  }
}
