// A chain-rule line as LaTeX, for a reader's notes: names as the page shows them (x^2 → x^{2},
// ln → \ln, w1 → w_{1}), ∂a/∂b as \frac{\partial a}{\partial b}, the numbers as shown.

export const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const FUNCTIONS = new Set(["ln", "log", "exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "max", "min"]);
const SYMBOLS = { "×": " \\times ", "·": " \\cdot ", "÷": " \\div ", "−": "-", "ᵀ": "^{\\top}", "√": "\\sqrt", "Σ": "\\sum" };

/** A display name ("(x^2 + 2x)", "ln(y)", "w1") in LaTeX. */
export function latexName(name) {
  return name
    .replace(/⁽([⁰-⁹¹²³]+)⁾/g, (_, d) => `^{(${[...d].map((c) => SUPERSCRIPT.indexOf(c)).join("")})}`)
    .replace(/[\p{L}_][\p{L}\p{N}_]*/gu, (word) => {
      if (FUNCTIONS.has(word)) return `\\${word}`;
      const indexed = /^(\p{L})(\d+)$/u.exec(word);
      if (indexed) return `${indexed[1]}_{${indexed[2]}}`;
      if (word.length === 1) return word;
      return `\\mathrm{${word.replace(/_/g, "\\_")}}`;
    })
    .replace(/\^([\p{L}\p{N}.]+)/gu, "^{$1}")
    .replace(/[×·÷−ᵀ√Σ]/g, (c) => SYMBOLS[c])
    .replace(/ {2,}/g, " ");
}

/** A number as shown ("−0.6931", "1.2e−5") in LaTeX. */
export function latexNumber(text) {
  return text.replace(/−/g, "-").replace(/e(-?\d+)$/, " \\times 10^{$1}");
}

const frac = ([top, bottom, mark = ""]) => `\\frac{\\partial ${latexName(top)}}{\\partial ${latexName(bottom)}${latexName(mark)}}`;

/**
 * `lhs`: [top, bottom] of ∂top/∂bottom; `factors`: per term, its ∂ pairs; `values`: per
 * term, its numbers as shown (null: no values line); `total`: the number as shown.
 */
export function latexLine(lhs, factors, values, total) {
  const parts = [frac(lhs)];
  if (factors.length) parts.push(factors.map((fs) => fs.map(frac).join(" \\cdot ")).join(" + "));
  if (values) parts.push(values.map((vs) => vs.map(latexNumber).join(" \\cdot ")).join(" + "));
  parts.push(latexNumber(total));
  return parts.join(" = ");
}
