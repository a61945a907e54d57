// What the page knows, shared by its views: the view in the URL (state.js), the last good
// graph from the server with its model and timeline, and what /functions and /examples
// answered. Views do not call each other: they listen here for a new graph ("graph", then
// "timeline", then "draw" for the drawing itself; "ready" once it is on screen), a new pass ("timeline"), new digits ("digits")
// or language ("language"), and to the player for the step.

import { compact, isArray, listText } from "./arrays.js";
import { fmt, full } from "./format.js";
import { snapshot } from "./timeline.js";

// Array ops: the four ways' endpoints do not take them yet (even on scalars they answer 500).
const ARRAY_OPS = new Set(["sum", "sum_axis", "mean", "mean_axis", "matmul", "transpose"]);

export function createSession(state) {
  const listeners = new Map();
  let cached = null; // the last snapshot: {timeline, step, snap}
  const session = {
    state,
    graph: null, // the last good answer from the server
    model: null,
    timeline: null,
    functions: null, // op name -> entry of /api/v1/functions
    examples: [],

    /** Call fn(detail) on every `type`; returns an unsubscribe. */
    on(type, fn) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type).add(fn);
      return () => listeners.get(type).delete(fn);
    },
    emit(type, detail = {}) {
      for (const fn of listeners.get(type) ?? []) fn(detail);
    },

    /** A number, or an array written compactly (shape and a few numbers), at the chosen digits. */
    f: (v) => (isArray(v) ? compact(v, (x) => fmt(x, state.digits)) : fmt(v, state.digits)),
    /** Every digit; an array as its nested lists, a summary by its statistics. */
    full: (v) => (Array.isArray(v) ? listText(v, full) : isArray(v) ? compact(v, full) : full(v)),

    /** The pass on screen: "reverse" or "forward". */
    pass: () => session.timeline?.pass ?? state.pass,
    /** The input of the forward-mode pass. */
    tangent: () => (session.graph?.tangent?.direction
      ? Object.keys(session.graph.tangent.direction)[0]
      : state.tangent),
    /** A graph of arrays (the four ways wait for scalars). */
    tensor: () => !!session.graph?.nodes.some((n) => n.shape?.length || ARRAY_OPS.has(n.op)),

    /** What is known after `step` events of the timeline on screen (replayed once per step). */
    snap(step) {
      if (!session.timeline) return null;
      if (cached?.timeline !== session.timeline || cached.step !== step) {
        cached = { timeline: session.timeline, step, snap: snapshot(session.timeline, step) };
      }
      return cached.snap;
    },
  };
  return session;
}
