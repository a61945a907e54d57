// Edges as Graphviz gives them (cubic Bézier control points): sampled, so that a label or a
// pulse can sit at a fraction of the length; written as SVG path data; arrow heads.

export const r1 = (v) => Math.round(v * 10) / 10;

function cubic(p0, p1, p2, p3, t) {
  const u = 1 - t;
  const a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
  return [a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]];
}

export function sample(points) {
  const out = [points[0]];
  for (let i = 0; i + 3 < points.length; i += 3) {
    for (let k = 1; k <= 10; k++) out.push(cubic(points[i], points[i + 1], points[i + 2], points[i + 3], k / 10));
  }
  const lengths = [0];
  for (let i = 1; i < out.length; i++) {
    lengths.push(lengths[i - 1] + Math.hypot(out[i][0] - out[i - 1][0], out[i][1] - out[i - 1][1]));
  }
  return { pts: out, lengths, total: lengths[lengths.length - 1] };
}

/** Point and unit direction at fraction f (0..1) of a sampled path. */
export function along(s, f) {
  const target = s.total * Math.max(0, Math.min(1, f));
  let i = 1;
  while (i < s.lengths.length - 1 && s.lengths[i] < target) i++;
  const l0 = s.lengths[i - 1], l1 = s.lengths[i];
  const u = l1 > l0 ? (target - l0) / (l1 - l0) : 0;
  const a = s.pts[i - 1], b = s.pts[i] || a;
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  return { x: a[0] + u * dx, y: a[1] + u * dy, dx: dx / len, dy: dy / len };
}


export function pathData(pts) {
  let d = `M${r1(pts[0][0])},${r1(pts[0][1])}`;
  for (let i = 1; i + 2 < pts.length; i += 3) {
    d += `C${r1(pts[i][0])},${r1(pts[i][1])} ${r1(pts[i + 1][0])},${r1(pts[i + 1][1])} ${r1(pts[i + 2][0])},${r1(pts[i + 2][1])}`;
  }
  return d;
}

export function arrowHead(from, tip, width = 4.2) {
  const dx = tip[0] - from[0], dy = tip[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  const nx = -dy / len * width, ny = dx / len * width;
  return `M${r1(tip[0])},${r1(tip[1])}L${r1(from[0] + nx)},${r1(from[1] + ny)}L${r1(from[0] - nx)},${r1(from[1] - ny)}Z`;
}
