// The same function in PyTorch (from the server), lightly coloured, with a copy button:
// leaf tensors with requires_grad=True, the expression, torch.autograd.grad over all the
// variables or the ones typed (repeats allowed, as the lecture's autograd.grad(f, (x, x))).

import { fetchSnippet } from "./api.js";
import { t } from "./i18n.js";
import { Fetcher, setBusy } from "./panel.js";

const KEYWORDS = new Set(["import", "from", "as", "print", "for", "in", "True", "False", "None", "def", "return", "lambda"]);
// Strings, comments, numbers, names, anything else: one token at a time.
const TOKEN = /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(#.*)|(\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b)|([A-Za-z_]\w*)|([\s\S])/g;

/** The code as spans with classes (text only: nothing is parsed as HTML). */
function highlight(code) {
  const frag = document.createDocumentFragment();
  let plain = "";
  const flush = () => {
    if (plain) frag.append(plain);
    plain = "";
  };
  for (const m of code.matchAll(TOKEN)) {
    const [text, str, comment, num, name] = m;
    let cls = null;
    if (str) cls = "tok-str";
    else if (comment) cls = "tok-com";
    else if (num) cls = "tok-num";
    else if (name && KEYWORDS.has(name)) cls = "tok-kw";
    else if (name && (name === "torch" || name === "autograd" || name === "grad" || name === "tensor")) cls = "tok-lib";
    if (!cls) {
      plain += text;
      continue;
    }
    flush();
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    frag.append(span);
  }
  flush();
  return frag;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on another host: the old way, through a selected, off-screen field.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export class SnippetPanel {
  constructor(root) {
    this.root = root;
    this.code = root.querySelector("code");
    this.button = root.querySelector(".copy");
    this.status = root.querySelector(".copy-status");
    this.busyEl = root.querySelector(".busy");
    this.wrt = root.querySelector(".snippet-wrt");
    this.text = "";
    this.fetcher = new Fetcher({
      load: (q, signal) => fetchSnippet(q.expression, q.values, q.wrt, signal),
      show: (answer) => {
        this.text = answer.code;
        this.code.classList.remove("stale");
        this.code.replaceChildren(highlight(answer.code));
        this.button.disabled = false;
        this.root.dataset.state = "ready";
      },
      fail: (err) => {
        this.text = "";
        this.code.classList.remove("stale");
        this.code.textContent = `# ${err.message}`;
        this.button.disabled = true;
      },
      busy: (on) => { setBusy(this.busyEl, on, t("computingSnippet")); this.code.classList.toggle("stale", on); },
    });
    this.wrt.addEventListener("change", () => { if (this.context) this.update(this.context); });
    this.wrt.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && this.context) this.update(this.context);
    });
    this.button.addEventListener("click", async () => {
      if (!this.text) return;
      try {
        await copyText(this.text);
        this._say(t("copied"), "ok");
      } catch {
        this._say(t("copyFailed"), "bad");
        const range = document.createRange();
        range.selectNodeContents(this.code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
    });
  }

  _say(text, kind) {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
    clearTimeout(this._timer);
    this._timer = setTimeout(() => { this.status.textContent = ""; }, 2500);
  }

  update(c) {
    this.context = c;
    if (this.wrt.placeholder !== c.model.variables.join(", ")) this.wrt.placeholder = c.model.variables.join(", ");
    // The variables for torch.autograd.grad, as typed: "x, x" (repeats allowed); empty: all.
    const names = this.wrt.value.split(/[\s,]+/).filter(Boolean);
    this.fetcher.request({ expression: c.expression, values: c.values, wrt: names.length ? names : null });
  }

  redraw() {}
}
