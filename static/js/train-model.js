// What the training page draws from a step's w: σ(x·w) at a point (the shading, the hover and
// the typed prediction), the decision boundary x·w = 0 as a segment in feature units, and the
// design matrix rows xᵢ = [(f₁ − m₁)/s₁, (f₂ − m₂)/s₂, 1] for the step's graph. The learning
// itself (every w, loss and gradient) comes from the server.

/** σ(z) without overflow for large |z|. */
export function sigmoid(z) {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The row xᵢ for features (f1, f2): the same arithmetic as training.design_matrix. */
export function designRow(f1, f2, scaling) {
  return [(f1 - scaling.mean[0]) / scaling.scale[0], (f2 - scaling.mean[1]) / scaling.scale[1], 1];
}

/** P(dog) = σ(x·w) for features (f1, f2). */
export function probability(w, scaling, f1, f2) {
  const x = designRow(f1, f2, scaling);
  return sigmoid(x[0] * w[0] + x[1] * w[1] + x[2] * w[2]);
}

/** The boundary x·w = 0 inside the box [x0, x1] × [y0, y1] (feature units): two points, or
 *  null when it does not cross the box (or w is zero). */
export function boundary(w, scaling, box) {
  // In feature units: a f1 + b f2 + c = 0.
  const a = w[0] / scaling.scale[0];
  const b = w[1] / scaling.scale[1];
  const c = w[2] - a * scaling.mean[0] - b * scaling.mean[1];
  const pts = [];
  const add = (x, y) => {
    if (x >= box.x0 - 1e-9 && x <= box.x1 + 1e-9 && y >= box.y0 - 1e-9 && y <= box.y1 + 1e-9) pts.push([x, y]);
  };
  if (Math.abs(b) > 1e-300) {
    add(box.x0, -(a * box.x0 + c) / b);
    add(box.x1, -(a * box.x1 + c) / b);
  }
  if (Math.abs(a) > 1e-300) {
    add(-(b * box.y0 + c) / a, box.y0);
    add(-(b * box.y1 + c) / a, box.y1);
  }
  if (pts.length < 2) return null;
  // The two points furthest apart (corners may repeat).
  let best = null;
  let far = -1;
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      const d = (pts[i][0] - pts[j][0]) ** 2 + (pts[i][1] - pts[j][1]) ** 2;
      if (d > far) { far = d; best = [pts[i], pts[j]]; }
    }
  }
  return far > 0 ? best : null;
}

/** The main viewer's hash for C(w) at this step: the expression, X (with its ones column), y and
 *  w as nested lists (the viewer reads `at=X=[[...]];y=[...];w=[...]`), X and y as data (no
 *  gradient, as the lecture's tensors without requires_grad), the backward pass. */
export function graphHash(expression, points, scaling, w, lang = null) {
  const X = points.map((p) => designRow(p[0], p[1], scaling));
  const y = points.map((p) => p[2]);
  const at = `X=${JSON.stringify(X)};y=${JSON.stringify(y)};w=${JSON.stringify(w)}`;
  const params = new URLSearchParams({ f: expression, at, data: "X;y", pass: "reverse", step: "end" });
  if (lang && lang !== "en") params.set("lang", lang);
  return params.toString().replace(/\+/g, "%20");
}
