// The view in the URL: written on every change (a history entry for a new expression, a
// replacement otherwise; at most four writes a second while playing), read back on back,
// forward and a pasted link.

import { waiting } from "./later.js";
import { fromHash, initialState, toHash } from "./state.js";

/**
 * `actions`: what a link read back may ask for: digits(), language(lang), methods(),
 * request(expression, values, opts), pass(pass, step). Returns {write(mode, throttle)}.
 */
export function urlSync(session, player, actions) {
  let last = null;
  let timer = null;

  /** Write the view to the hash: "push" makes a history entry, "replace" does not. */
  function write(mode, throttle = false) {
    if (mode === "none") {
      last = toHash(session.state);
      return;
    }
    const put = () => {
      timer = null;
      const hash = toHash(session.state);
      if (hash === last) return;
      last = hash;
      if (mode === "push") history.pushState(null, "", `#${hash}`);
      else history.replaceState(null, "", `#${hash}`);
    };
    if (!throttle) {
      clearTimeout(timer);
      put();
    } else if (timer === null) {
      // While playing, at most four writes a second (browsers limit history updates).
      timer = setTimeout(put, 250);
    }
  }

  function read() {
    const hash = location.hash.replace(/^#/, "");
    if (hash === last) return;
    last = hash;
    const next = { ...initialState(""), ...fromHash(hash) };
    const s = session.state;
    const langChanged = (next.lang ?? s.lang) !== s.lang && next.lang;
    const digitsChanged = s.digits !== next.digits;
    s.digits = next.digits;
    if (digitsChanged) actions.digits();
    if (langChanged) actions.language(next.lang);
    if (next.method !== s.method || next.h !== s.h || next.dtype !== s.dtype) {
      Object.assign(s, { method: next.method, h: next.h, dtype: next.dtype });
      actions.methods();
    }
    const passChanged = next.pass !== s.pass;
    const tangentChanged = next.tangent && next.tangent !== s.tangent;
    s.pass = next.pass;
    if (next.tangent) s.tangent = next.tangent;
    const targetChanged = (next.target ?? null) !== (s.target ?? null);
    s.target = next.target ?? null;
    const sameValues = JSON.stringify(next.values) === JSON.stringify(s.values)
      && JSON.stringify(next.data) === JSON.stringify(s.data ?? []);
    s.data = next.data;
    if (next.expression !== s.expression || !sameValues || tangentChanged || targetChanged || !session.graph) {
      actions.request(next.expression, next.values, { step: next.step, history: "none" });
    } else if (passChanged) {
      actions.pass(s.pass, next.step);
    } else {
      player.pause();
      player.seek(next.step === null ? player.count : next.step, "seek");
    }
  }

  window.addEventListener("popstate", read);
  window.addEventListener("hashchange", read);
  player.subscribe((e) => {
    if (!session.timeline || e.cause === "load") return;
    session.state.step = e.step === e.count ? null : e.step;
    // A new graph's write still waits for its frame (loader.js): it writes this step too, and
    // must stay the one that makes the history entry.
    if (waiting("url")) return;
    write("replace", e.playing);
  });
  return { write };
}
