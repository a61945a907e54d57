// How the text was read (issue 13): under the expression field, the expression as typed math,
// from the server's MathML of our own parse (a/2(z) shows as a fraction times z), and gentle
// notices for forms that may not read as meant, phrased here from their code and parameters.

import { noticeText, t } from "./i18n.js";
import { mathElement } from "./mathml.js";

export class Reading {
  /** @param box the #expr-reading element: .reading-math and .notices inside */
  constructor(box) {
    this.box = box;
    this.math = box.querySelector(".reading-math");
    this.list = box.querySelector(".notices");
    this.parsed = null;
  }

  /** Show the /parse answer `parsed` ({mathml, notices}); nothing to show hides the line. */
  show(parsed) {
    this.parsed = parsed;
    const math = mathElement(parsed?.mathml ?? "", t("readAsLabel"));
    this.math.replaceChildren(...(math ? [math] : []));
    this.list.replaceChildren(...(parsed?.notices ?? []).map((notice) => {
      const item = document.createElement("li");
      item.className = "notice";
      item.dataset.code = notice.code;
      item.dataset.line = String(notice.line);
      item.dataset.column = String(notice.column);
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = `${t("errorAt", { line: notice.line, column: notice.column + 1 })}: `;
      item.append(where, noticeText(notice));
      return item;
    }));
    this.box.hidden = !math && !this.list.children.length;
  }

  /** Whether math is on the page (the last reading's), holding the line's height. */
  get holdsMath() {
    return !this.box.hidden && this.math.childElementCount > 0;
  }

  /** Shown or hidden as `parsed` will be, its math still the last one (built by show later). */
  reserve(parsed) {
    this.box.hidden = !parsed?.mathml && !(parsed?.notices ?? []).length;
  }

  clear() {
    this.parsed = null;
    this.math.replaceChildren();
    this.list.replaceChildren();
    this.box.hidden = true;
  }

  /** The same reading, in the language just chosen. */
  relocalize() {
    if (this.parsed) this.show(this.parsed);
  }
}
