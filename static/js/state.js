// The whole view as a declarative list of properties, written to the URL hash and read back,
// so every view is a link: expression, values, step, pass, tangent input, the node differentiated
// (of=), language, digits, and the finite differences' method, step h and precision.

import { readHash, writeParams } from "./hash.js";

export const DEFAULTS = Object.freeze({
  expression: "(x^2 + 2x) * ln(y)",
  values: Object.freeze({ x: 1, y: 2 }),
  step: null, // null: the end of the trace (everything computed)
  pass: "reverse", // "reverse" (backward pass) or "forward" (forward-mode pass)
  tangent: null, // the input of the forward-mode pass; null: the first variable
  target: null, // the node differentiated (an output or a named node); null: the first output
  data: Object.freeze([]), // variables without a gradient (requires_grad off): data, as X and y
  lang: null, // null: from the browser's language
  digits: 4,
  method: "central", // finite differences: forward | backward | central (the lecture's numer_deriv)
  h: 0.001, // their step, as in the lecture
  dtype: "float64", // the error experiment's precision: float64 | float32
});

const PASSES = ["reverse", "forward"];
const LANGS = ["en", "ko"];
const METHODS = ["forward", "backward", "central"];
const DTYPES = ["float64", "float32"];

/** Nested lists of finite numbers from a link, else undefined. */
function readArray(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ok = (x) => (Array.isArray(x) ? x.length > 0 && x.every(ok) : typeof x === "number" && Number.isFinite(x));
  return Array.isArray(v) && ok(v) ? v : undefined;
}

function int(text, lo, hi) {
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= lo && n <= hi ? n : undefined;
}

// Each property: its key in the hash, how to write it, how to read it (undefined: ignore).
export const PROPS = [
  {
    name: "expression", key: "f",
    write: (v) => v,
    read: (s) => (s.length <= 10000 ? s : undefined),
  },
  {
    name: "values", key: "at",
    // x=1;w=[[1,2],[3,4]]: an array as JSON nested lists (no ';' or '=' in them).
    write: (v) => Object.entries(v).map(([k, x]) => `${k}=${Array.isArray(x) ? JSON.stringify(x) : x}`).join(";"),
    read: (s) => {
      const out = {};
      for (const part of s.split(";")) {
        const eq = part.lastIndexOf("=");
        if (eq <= 0) continue;
        const text = part.slice(eq + 1).trim();
        if (text.startsWith("[")) {
          const x = readArray(text);
          if (x !== undefined) out[part.slice(0, eq)] = x;
          continue;
        }
        const x = Number(text);
        if (text !== "" && Number.isFinite(x)) out[part.slice(0, eq)] = x;
      }
      return out;
    },
  },
  {
    name: "step", key: "step",
    write: (v) => (v === null ? "end" : String(v)),
    read: (s) => (s === "end" ? null : int(s, 0, 1e9)),
  },
  { name: "pass", key: "pass", write: (v) => v, read: (s) => (PASSES.includes(s) ? s : undefined) },
  { name: "tangent", key: "wrt", write: (v) => v ?? "", read: (s) => s || undefined },
  { name: "target", key: "of", write: (v) => v ?? "", read: (s) => (s && s.length <= 200 ? s : undefined) },
  {
    name: "data", key: "data",
    write: (v) => (v ?? []).join(";"),
    read: (s) => s.split(";").filter(Boolean),
  },
  { name: "lang", key: "lang", write: (v) => v ?? "", read: (s) => (LANGS.includes(s) ? s : undefined) },
  { name: "digits", key: "digits", write: (v) => String(v), read: (s) => int(s, 1, 17) },
  { name: "method", key: "method", write: (v) => v, read: (s) => (METHODS.includes(s) ? s : undefined) },
  {
    name: "h", key: "h",
    write: (v) => String(v),
    read: (s) => {
      const x = Number(s);
      return s.trim() !== "" && Number.isFinite(x) && x > 0 ? x : undefined;
    },
  },
  { name: "dtype", key: "dtype", write: (v) => v, read: (s) => (DTYPES.includes(s) ? s : undefined) },
];

/** The hash for a state (without '#'); default values are left out to keep links short. */
export function toHash(state) {
  const params = writeParams(PROPS, state, (p, value) =>
    p.name !== "expression" && p.name !== "values" && value === DEFAULTS[p.name]);
  return params.toString().replace(/\+/g, "%20");
}

/** The properties a hash sets (unknown keys and unreadable values are ignored). */
export function fromHash(hash) {
  return readHash(PROPS, hash);
}

/** A full state: defaults, then what the hash says. */
export function initialState(hash) {
  return { ...DEFAULTS, values: { ...DEFAULTS.values }, data: [], ...fromHash(hash) };
}
