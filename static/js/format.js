// Numbers as the page shows them: N significant digits (the lecture shows 4), or every digit
// on hover. The server sends non-finite numbers as the strings "inf", "-inf" and "nan".
// Also SymPy's formula text as the page writes formulas (a^b, a·b, ln, −).

const MINUS = "\u2212";

/** A number from the API: a JSON number, or one of the strings "inf", "-inf", "nan". */
export function toNumber(v) {
  if (typeof v === "number") return v;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (v === "nan") return NaN;
  if (v === null || v === undefined) return null;
  return Number(v);
}

function nonFinite(x) {
  if (Number.isNaN(x)) return "NaN";
  return x > 0 ? "\u221e" : MINUS + "\u221e";
}

/** `digits` significant digits, trailing zeros dropped: 0.6931, 2.079, 1.5, 3. */
export function fmt(v, digits = 4) {
  const x = toNumber(v);
  if (x === null) return "";
  if (!Number.isFinite(x)) return nonFinite(x);
  if (x === 0) return "0";
  const ax = Math.abs(x);
  let text;
  if (ax >= 1e6 || ax < 1e-4) {
    const [mant, exp] = x.toExponential(Math.max(0, digits - 1)).split("e");
    text = `${trimZeros(mant)}e${Number(exp)}`;
  } else {
    text = trimZeros(Number(x.toPrecision(digits)).toString());
  }
  return text.replace(/^-/, MINUS);
}

function trimZeros(s) {
  if (!s.includes(".") || s.includes("e")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}

/** Every digit JavaScript needs to give back the same float64 (shortest round trip). */
export function full(v) {
  const x = toNumber(v);
  if (x === null) return "";
  if (!Number.isFinite(x)) return nonFinite(x);
  return String(x).replace(/^-/, MINUS);
}

/** A number as typed into a field: plain ASCII, full precision. */
export function plain(v) {
  const x = toNumber(v);
  return x === null ? "" : String(x);
}

/** SymPy's text as the page writes formulas: a**b as a^b, a*b as a·b, log as ln, − for minus. */
export function formula(text) {
  return text
    .replace(/\*\*/g, "^")
    .replace(/\*/g, "·")
    .replace(/\blog\(/g, "ln(")
    .replace(/(^|[(\s^])-/g, "$1\u2212")
    .replace(/ - /g, " \u2212 ");
}
