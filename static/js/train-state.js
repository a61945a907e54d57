// The training page's whole view in the URL hash, so a link reopens the same data, settings and
// step: lr, steps, cost form, standardisation, step, language, and the points when they are not
// the built-in set (`pts=5.2,8,0;11.4,6.5,1`, with `names=mass|ear`).

import { readHash, writeParams } from "./hash.js";

export const DEFAULTS = Object.freeze({
  lr: 0.005,
  steps: 200,
  cost: "sum",
  standardize: true,
  step: null, // null: the last step
  lang: null,
  points: null, // null: the built-in set; else [[f1, f2, label], ...]
  names: null, // the features' names when the points are not the built-in set
  units: null, // and their units
});

export const MAX_STEPS = 20000;
const COSTS = ["sum", "mean"];
const LANGS = ["en", "ko"];

function num(s) {
  const x = Number(s);
  return s.trim() !== "" && Number.isFinite(x) ? x : undefined;
}

function readPoints(s) {
  const out = [];
  for (const part of s.split(";")) {
    if (out.length > 10000) return undefined;
    const cells = part.split(",");
    if (cells.length !== 3) continue;
    const [a, b, c] = cells.map(num);
    if (a === undefined || b === undefined || (c !== 0 && c !== 1)) continue;
    out.push([a, b, c]);
  }
  return out.length ? out : undefined;
}

export const PROPS = [
  { name: "lr", key: "lr", write: String, read: (s) => { const x = num(s); return x > 0 ? x : undefined; } },
  {
    name: "steps", key: "steps", write: String,
    read: (s) => (/^\d+$/.test(s) && Number(s) <= MAX_STEPS ? Number(s) : undefined),
  },
  { name: "cost", key: "cost", write: (v) => v, read: (s) => (COSTS.includes(s) ? s : undefined) },
  { name: "standardize", key: "std", write: (v) => (v ? "1" : "0"), read: (s) => (s === "1" ? true : s === "0" ? false : undefined) },
  { name: "step", key: "step", write: (v) => (v === null ? "end" : String(v)), read: (s) => (s === "end" ? null : /^\d+$/.test(s) ? Number(s) : undefined) },
  { name: "lang", key: "lang", write: (v) => v ?? "", read: (s) => (LANGS.includes(s) ? s : undefined) },
  { name: "names", key: "names", write: (v) => (v ? v.join("|") : ""), read: (s) => { const n = s.split("|"); return n.length === 2 ? n : undefined; } },
  { name: "units", key: "units", write: (v) => (v ? v.join("|") : ""), read: (s) => { const n = s.split("|"); return n.length === 2 ? n : undefined; } },
  { name: "points", key: "pts", write: (v) => (v ? v.map((p) => p.join(",")).join(";") : ""), read: readPoints },
];

/** The hash for a state (without '#'); defaults are left out. */
export function toHash(state) {
  const params = writeParams(PROPS, state, (p, value) => value === DEFAULTS[p.name]);
  return params.toString().replace(/%2C/g, ",").replace(/%3B/g, ";").replace(/%7C/g, "|");
}

/** The properties a hash sets (unknown keys and unreadable values ignored). */
export function fromHash(hash) {
  return readHash(PROPS, hash);
}

export function initialState(hash) {
  return { ...DEFAULTS, ...fromHash(hash) };
}
