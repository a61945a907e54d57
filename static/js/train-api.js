// The training page's requests: the built-in data, a CSV read by the server, a training run
// streamed as NDJSON (progress lines, then the result), cancelled by aborting the fetch, and a
// step's predictions (a typed point; a grid the run did not carry).

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail?.message ?? `HTTP ${status}`);
    this.status = status;
    this.detail = detail ?? {};
  }
}

async function json(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) throw new ApiError(response.status, body?.detail);
  return body;
}

export async function getDataset() {
  return json(await fetch("/api/v1/train/dataset"));
}

export async function readCsv(text, signal) {
  return json(await fetch("/api/v1/train/csv", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ csv: text }), signal,
  }));
}

/** POST /api/v1/train as a stream: onProgress({step, steps, loss}) for each progress line; the
 *  result line's body is returned. */
export async function train(body, { onProgress = () => {}, signal } = {}) {
  const response = await fetch("/api/v1/train", {
    method: "POST", signal,
    headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
    body: JSON.stringify(body),
  });
  if (!response.ok) return json(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let result = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const event = JSON.parse(line);
      if (event.event === "result") result = event;
      else onProgress(event);
    }
  }
  if (!result) throw new ApiError(0, { message: "the run ended without a result" });
  return result;
}

/** The PyTorch snippet of a run (the same request with snippet: true, answered as JSON). */
export async function torchSnippet(body, signal) {
  const r = await json(await fetch("/api/v1/train", {
    method: "POST", signal, headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body, snippet: true, view: false }),
  }));
  return r.snippet;
}

/** POST /api/v1/train/predict: {probability, dog, grid, boundary} for a step's w. */
export async function predict(body, signal) {
  return json(await fetch("/api/v1/train/predict", {
    method: "POST", signal, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  }));
}
