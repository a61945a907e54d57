// The expression field: reports edits after a pause in typing (debounced), and shows the
// server's error under it with a caret at the column; the graph keeps the last good answer.

import { errorText, t } from "./i18n.js";

export class Editor {
  /**
   * @param els {textarea, error, status, kept}
   * @param onChange(text) called once typing has paused for `debounceMs`
   */
  constructor(els, onChange, debounceMs = 220) {
    Object.assign(this, els);
    this.onChange = onChange;
    this.debounceMs = debounceMs;
    this._timer = null;
    window.addEventListener("resize", () => this._grow());
    this.textarea.addEventListener("input", () => {
      this._grow();
      clearTimeout(this._timer);
      this._timer = setTimeout(() => this.onChange(this.value), this.debounceMs);
    });
  }

  get value() {
    return this.textarea.value;
  }

  /** Set the text without reporting it (a preset, a link, the back button). */
  set value(text) {
    clearTimeout(this._timer);
    this.textarea.value = text;
    this._grow();
  }

  /** As tall as its text (wrapped lines included), up to about ten lines. */
  _grow() {
    const ta = this.textarea;
    ta.style.height = "auto";
    const max = parseFloat(getComputedStyle(ta).lineHeight) * 10 || 300;
    ta.style.height = `${Math.min(max, ta.scrollHeight + 3)}px`;
  }

  checking(on) {
    this.status.textContent = on ? t("checking") : "";
  }

  /**
   * Show `err` (an ApiError: message, 1-based line, 0-based column, text) for `source`.
   * `kept` says whether an older graph is still on screen.
   */
  showError(err, source, kept) {
    this._last = [err, source, kept];
    this.textarea.setAttribute("aria-invalid", "true");
    const where = this.error.querySelector(".where");
    const view = this.error.querySelector(".caret-view");
    const message = this.error.querySelector(".message");
    const said = errorText(err);
    message.textContent = said.message;
    // In another language than the server's, its own words stay at hand (smaller, muted).
    if (said.detail && said.detail !== said.message) {
      const detail = document.createElement("span");
      detail.className = "server-words";
      detail.lang = "en";
      detail.title = t("serverSaid");
      detail.textContent = said.detail;
      message.append(document.createElement("br"), detail);
    }
    view.replaceChildren();
    delete this.error.dataset.column;
    delete this.error.dataset.line;
    if (Number.isInteger(err.column)) {
      const lines = source.split("\n");
      const lineNo = Number.isInteger(err.line) ? err.line : 1;
      const line = lines[Math.min(lines.length, Math.max(1, lineNo)) - 1] ?? "";
      where.textContent = t("errorAt", { line: lineNo, column: err.column + 1 });
      this.error.dataset.line = String(lineNo);
      this.error.dataset.column = String(err.column);
      const caret = document.createElement("span");
      caret.className = "caret";
      caret.textContent = `${" ".repeat(Math.max(0, err.column))}^`;
      view.append(`${line}\n`, caret);
      view.hidden = false;
    } else {
      where.textContent = err.text ? `“${err.text}”` : "";
      view.hidden = true;
    }
    this.error.dataset.code = err.code || "";
    this.error.hidden = false;
    this.kept.hidden = !kept;
  }

  /** The error shown again, in the language just chosen. */
  relocalize() {
    if (this._last && !this.error.hidden) this.showError(...this._last);
  }

  clearError() {
    this.textarea.removeAttribute("aria-invalid");
    this.error.hidden = true;
    this.kept.hidden = true;
  }
}
