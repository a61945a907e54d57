// Talks to the server: POST /api/v1/graph, GET /api/v1/examples and /api/v1/functions.
// Nothing here knows about the page; errors come back as ApiError with the server's detail.

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

function missingVariable(err) {
  if (!(err instanceof ApiError) || err.code !== "missing_value") return null;
  if (err.text) return err.text;
  const named = /'([^']+)'/.exec(err.message || "");
  return named ? named[1] : null;
}

/**
 * The graph for `expression` at `values` (variable -> number), with its trace and layout.
 * A variable the server reports as missing is given `fallback(name)` and the request is
 * repeated, so new names typed into the expression get a value without a round trip to
 * the person. Resolves to {graph, values} (the values actually used).
 */
export async function fetchGraph(expression, values, { tangent = null, signal, fallback = () => 1 } = {}) {
  const used = { ...values };
  for (let attempt = 0; attempt < 64; attempt++) {
    const payload = { expression, values: used };
    if (tangent) payload.tangent = tangent;
    try {
      const graph = await request("/graph", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
        signal,
      });
      return { graph, values: used };
    } catch (err) {
      const name = missingVariable(err);
      if (name && !(name in used)) {
        used[name] = fallback(name);
        continue;
      }
      // The tangent variable may have vanished with an edit: ask again without it.
      if (tangent && err instanceof ApiError && err.status === 422 && /tangent/i.test(
        `${err.detail.field || ""} ${err.message}`)) {
        tangent = null;
        continue;
      }
      throw err;
    }
  }
  throw new ApiError(422, { code: "too_many_variables", message: "too many new variables at once" });
}

export function fetchExamples(signal) {
  return request("/examples", { signal });
}

export function fetchFunctions(signal) {
  return request("/functions", { signal });
}
