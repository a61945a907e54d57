// Talks to the server: /api/v1/parse and /graph, /examples and /functions, and the four ways
// (/symbolic, /compare, /numeric, /paths, /check, /snippet), /jacobian and /jacobian/family.
// Nothing here knows about the page; errors come back as ApiError with the server's detail.

import { decodeGraph } from "./compact.js";

const BASE = "/api/v1";

/** The server's one error shape: {detail: {code, message, line, column, text}}. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail?.message || `HTTP ${status}`);
    this.status = status;
    this.code = detail?.code || "http_error";
    this.line = detail?.line ?? null;
    this.column = detail?.column ?? null;
    this.text = detail?.text ?? null;
    this.detail = detail || {};
  }
}

async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(BASE + path, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { code: "network", message: "the server could not be reached" });
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && typeof body.detail === "object" && !Array.isArray(body.detail)
      ? body.detail
      : { code: "http_error", message: `HTTP ${response.status}` };
    throw new ApiError(response.status, detail);
  }
  return body;
}

const PARSED_MAX = 64;
const parsed = new Map(); // expression text -> its /parse answer (a small cache, newest last)

/**
 * POST /api/v1/parse for `expression` (nothing is evaluated, so no values are needed): its
 * variables, and how the text was read (`mathml`, `notices`).
 */
export async function parseExpression(expression, signal) {
  if (parsed.has(expression)) return parsed.get(expression);
  const body = await postJson("/parse", { expression }, signal);
  parsed.set(expression, body);
  if (parsed.size > PARSED_MAX) parsed.delete(parsed.keys().next().value);
  return body;
}

/**
 * The variables of `expression`: asking first means a name just typed never meets a 422 for a
 * missing value.
 */
export async function parseVariables(expression, signal) {
  return (await parseExpression(expression, signal)).variables ?? [];
}

function postJson(path, payload, signal) {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    signal,
  });
}

/**
 * POST /graph, the one place the page asks for a graph: in the compact form (nodes and edges as
 * columns, the trace as rows: half the bytes, written by the server in about half the time on a
 * text it has not seen) and decoded here into the objects answer the rest of the page reads.
 */
async function postGraph(payload, signal) {
  return decodeGraph(await postJson("/graph", { ...payload, format: "compact" }, signal));
}

/**
 * The graph for `expression` at `values` (variable -> number), with its trace and layout.
 * The expression's variables come first from /parse: a new name gets `fallback(name)`, names
 * no longer in the expression are left out, and a forward-mode input that vanished with an
 * edit falls back to the first variable; names in `data` get no gradient (requires_grad);
 * `expand` lists composite nodes to draw as unit functions.
 * Resolves to {graph, values, parsed} (the values used, the /parse answer).
 */
export async function fetchGraph(expression, values, { tangent = null, target = null, data = [], expand = [], signal, fallback = () => 1 } = {}) {
  const parsedBody = await parseExpression(expression, signal);
  const names = parsedBody.variables ?? [];
  const used = Object.fromEntries(names.map((n) => [n, n in values ? values[n] : fallback(n)]));
  const payload = { expression, values: used };
  // Variables marked as data get no gradient (PyTorch's requires_grad=False).
  if (data.some((n) => names.includes(n))) payload.requires_grad = names.filter((n) => !data.includes(n));
  if (tangent !== null && !names.includes(tangent)) tangent = names[0] ?? null;
  if (tangent) payload.tangent = tangent;
  if (expand.length) payload.expand = expand; // composite nodes drawn as unit functions
  // A chosen target the edited program no longer has: its default output instead.
  const known = [...names, ...(parsedBody.names ?? []), ...(parsedBody.outputs ?? [])];
  if (target && known.includes(target)) payload.target = target;
  const graph = await postGraph(payload, signal);
  return { graph, values: used, parsed: parsedBody };
}

// --- the four ways (issue 5): each takes the expression and the point, like /graph --------

export const fetchSymbolic = (expression, values, signal) =>
  postJson("/symbolic", { expression, values }, signal);

export const fetchCompare = (expression, values, { method, h }, signal) =>
  postJson("/compare", { expression, values, method, h }, signal);

/** The error-vs-h experiment: every method's error over `steps` {largest, smallest, count}. */
export const fetchSweep = (expression, values, { dtype, steps }, signal) =>
  postJson("/numeric", { expression, values, dtype, sweep: true, ...(steps ? { steps } : {}) }, signal);

export const fetchPaths = (expression, values, variable, limit, signal) =>
  postJson("/paths", { expression, values, variable, limit }, signal);

export const fetchCheck = (expression, values, variable, derivative, signal) =>
  postJson("/check", { expression, values, variable, derivative }, signal);

export const fetchSnippet = (expression, values, wrt, signal) =>
  postJson("/snippet", { expression, values, ...(wrt ? { wrt } : {}) }, signal);

// --- many outputs (issue 15): the Jacobian both ways, its cost on a family, the derivative graph

export const fetchJacobian = (expression, values, signal) =>
  postJson("/jacobian", { expression, values }, signal);

export const fetchFamily = (inputs, outputs, signal) =>
  request(`/jacobian/family?inputs=${inputs}&outputs=${outputs}`, { signal });

/** The backward pass of ∂f/∂`variable` as a graph of its own, with its layout and trace. */
export const fetchDerivativeGraph = (expression, values, variable, signal) =>
  postGraph({ expression, values, derivative_of: variable }, signal);

export function fetchExamples(signal) {
  return request("/examples", { signal });
}

export function fetchFunctions(signal) {
  return request("/functions", { signal });
}
