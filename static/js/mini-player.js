// Small pieces the issue-15 panels share: an element maker, a progress line's markup, and a row
// of player buttons (the main player's icons and words) for a Player of a panel's own.

import { t } from "./i18n.js";

export const make = (tag, attrs = {}, parent = null) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  parent?.append(node);
  return node;
};

export const BUSY = '<span class="bar" aria-hidden="true"></span><span class="busy-text"></span>';

/** Player buttons (the main player's icons and words) driving `player`. */
export function playerButtons(parent, player, prefix) {
  const box = make("div", { class: `mini-player ${prefix}-player`, role: "group" }, parent);
  const icons = {
    start: "M5 5h3v14H5zM20 5l-10 7 10 7z", back: "M15 5l-8 7 8 7z", play: "M7 4l13 8-13 8z",
    next: "M9 5l8 7-8 7z", end: "M16 5h3v14h-3zM4 5l10 7-10 7z",
  };
  const words = { start: "toStart", back: "stepBack", play: "play", next: "stepForward", end: "toEnd" };
  const buttons = {};
  for (const [name, d] of Object.entries(icons)) {
    const b = make("button", { type: "button", class: `icon-button ${prefix}-${name}` }, box);
    b.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="${d}"/></svg>`;
    b.dataset.words = words[name];
    buttons[name] = b;
  }
  buttons.play.classList.add("primary");
  buttons.start.addEventListener("click", () => { player.pause(); player.toStart(); });
  buttons.back.addEventListener("click", () => { player.pause(); player.back(); });
  buttons.play.addEventListener("click", () => player.toggle());
  buttons.next.addEventListener("click", () => { player.pause(); player.forward(); });
  buttons.end.addEventListener("click", () => { player.pause(); player.toEnd(); });
  const count = make("span", { class: `step-count ${prefix}-count`, "aria-live": "polite" }, box);
  const label = () => {
    for (const b of Object.values(buttons)) {
      const word = t(b === buttons.play && player.playing ? "pause" : b.dataset.words);
      b.setAttribute("aria-label", word);
      b.title = word;
    }
  };
  /** The buttons for the player's position: off where they cannot move. */
  const sync = (e) => {
    buttons.start.disabled = buttons.back.disabled = e.step === 0;
    buttons.end.disabled = buttons.next.disabled = e.step === e.count;
    buttons.play.disabled = e.count === 0;
    buttons.play.setAttribute("aria-pressed", String(e.playing));
    box.classList.toggle("playing", e.playing);
    label();
  };
  return { box, count, sync, label };
}
