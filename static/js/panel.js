// Lazy parts of the page: a Fetcher asks the server once its inputs have settled (debounced),
// aborts the answer it no longer needs and says when it is slow; a Section is a <details>
// that fetches only while open, catching up on what changed while it was closed.

const DEBOUNCE_MS = 250;
const SLOW_MS = 160; // answers faster than this never show a progress state
const RETRY_MS = 700;

// While the page waits for a graph (a keystroke's), a panel's question due meanwhile waits
// too: on a 500-node graph the four ways asked just then took the server and the page's main
// thread from that graph (its answer 66 ms, against 15 ms alone). The graph's own panels ask
// again once it shows, which drops the waiting question.
let holds = 0;
const held = new Map(); // fetcher -> the input its waiting question is for

/** The page asks for a graph: panels' questions wait until `release()`. */
export function hold() {
  holds++;
}

/** The graph came (or failed): questions that waited are asked now. */
export function release() {
  holds = Math.max(0, holds - 1);
  if (holds) return;
  const waiting = [...held];
  held.clear();
  for (const [fetcher, input] of waiting) fetcher.run(input);
}

export class Fetcher {
  /**
   * @param load(input, signal) the request; resolves to the answer
   * @param show(answer, input) draws an answer
   * @param fail(error, input) draws an error (the server's ApiError)
   * @param busy(on) a progress state on or off (only when the answer is slow)
   * @param again(answer) true when an answer is worth asking for once more, a moment later
   *   (the server's SymPy workers were all busy with work this page no longer waits for)
   */
  constructor({ load, show, fail, busy = () => {}, again = () => false, debounceMs = DEBOUNCE_MS }) {
    Object.assign(this, { load, show, fail, busy, again, debounceMs });
    this.key = null; // the input last asked for (JSON)
    this.answer = null;
    this.input = null;
    this._timer = null;
    this._slow = null;
    this._controller = null;
    this._seq = 0;
  }

  /** Ask for `input` after a pause (at once with `now`); nothing happens if it was asked already. */
  request(input, { now = false, force = false } = {}) {
    const key = JSON.stringify(input);
    if (key === this.key && !force) return;
    this.key = key;
    clearTimeout(this._timer);
    held.delete(this);
    if (now) this.run(input);
    else this._timer = setTimeout(() => (holds ? held.set(this, input) : this.run(input)), this.debounceMs);
  }

  /** Draw the last answer again (a new language or number of digits), unless a newer input is
   * pending: the old answer would be drawn against the new graph (its edges gone); the pending
   * answer is drawn in the new language when it comes. */
  redraw() {
    if (this.answer !== null && JSON.stringify(this.input) === this.key) this.show(this.answer, this.input);
  }

  cancel() {
    clearTimeout(this._timer);
    held.delete(this);
    this._controller?.abort();
    this._stopBusy();
    this.key = null;
  }

  /** Ask for `input` now (a question that waited, or one asked at once); `attempt`: 1 when asked again. */
  async run(input, attempt = 0) {
    const seq = ++this._seq;
    this._controller?.abort();
    const controller = new AbortController();
    this._controller = controller;
    clearTimeout(this._slow);
    if (attempt === 0) this._slow = setTimeout(() => { if (seq === this._seq) this.busy(true); }, SLOW_MS);
    try {
      const answer = await this.load(input, controller.signal);
      if (seq !== this._seq) return;
      if (attempt === 0 && this.again(answer)) {
        this.busy(true);
        this._timer = setTimeout(() => { if (seq === this._seq) this.run(input, 1); }, RETRY_MS);
        return;
      }
      this.answer = answer;
      this.input = input;
      this._stopBusy();
      this.show(answer, input);
    } catch (err) {
      if (err.name === "AbortError" || seq !== this._seq) return;
      this._stopBusy();
      this.key = null; // the same input may be asked again
      this.fail(err, input);
    }
  }

  _stopBusy() {
    clearTimeout(this._slow);
    this.busy(false);
  }
}

/**
 * A <details> whose content comes from the server: `update(context)` is called with every new
 * graph (expression, values) and whenever its own controls change; it runs only while open.
 */
export class Section {
  constructor(details, update) {
    this.details = details;
    this.update = update;
    this.context = null;
    details.addEventListener("toggle", () => {
      if (details.open && this.context) this.update(this.context);
    });
  }

  get open() {
    return this.details.open;
  }

  /** A new graph (or new controls): fetch now if open, else when opened. */
  set(context) {
    this.context = context;
    if (this.open) this.update(context);
  }

  /** The same context again (a control of the section changed). */
  refresh() {
    if (this.context && this.open) this.update(this.context);
  }
}

/** A progress line: an animated bar and words, inside `el` (hidden when off). */
export function setBusy(el, on, text) {
  el.hidden = !on;
  if (on) el.querySelector(".busy-text").textContent = text;
}
