// The player's controls under the graph: buttons, scrubber, speed, the phase pill and the
// step count, and the keys that step (← → Space Home End). They drive the player and follow it.

import { t } from "./i18n.js";
import { SPEEDS } from "./player.js";

const BUTTONS = ["to-start", "step-back", "play", "step-forward", "to-end", "scrubber", "speed"];

/**
 * `$`: the page's getElementById; `keysTaken(e)`: true when another part of the page keeps
 * this key press (an open dialog, a tooltip closed by Escape). Returns {setEnabled, fillSpeeds}.
 */
export function playerControls(player, session, { $, keysTaken = () => false }) {
  const body = document.body;
  const held = (action) => () => { player.pause(); action(); };
  $("play").addEventListener("click", () => player.toggle());
  $("step-forward").addEventListener("click", held(() => player.forward()));
  $("step-back").addEventListener("click", held(() => player.back()));
  $("to-start").addEventListener("click", held(() => player.toStart()));
  $("to-end").addEventListener("click", held(() => player.toEnd()));
  $("scrubber").addEventListener("input", (e) => { player.pause(); player.seek(Number(e.target.value)); });
  $("speed").addEventListener("change", (e) => player.setSpeed(Number(e.target.value)));

  const KEYS = {
    ArrowRight: held(() => player.forward()),
    ArrowLeft: held(() => player.back()),
    " ": () => player.toggle(),
    Home: held(() => player.toStart()),
    End: held(() => player.toEnd()),
  };
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (keysTaken(e)) return;
    const action = KEYS[e.key];
    if (!action) return;
    const target = e.target;
    // Fields keep their own keys; a focused button keeps Space (it presses the button).
    if (target.closest?.("textarea, input, select, [contenteditable='true']")) return;
    if (e.key === " " && target.closest?.("button, a, summary")) return;
    e.preventDefault();
    action();
  });

  player.subscribe((e) => {
    if (!session.timeline) return;
    const phase = $("phase");
    phase.dataset.phase = session.snap(e.step).phase;
    phase.textContent = t(`phase_${phase.dataset.phase}`);
    const scrub = $("scrubber");
    scrub.max = String(e.count);
    scrub.value = String(e.step);
    scrub.setAttribute("aria-valuetext", t("stepOfLong", { k: e.step, n: e.count }));
    $("step-count").textContent = t("stepOf", { k: e.step, n: e.count });
    $("to-start").disabled = $("step-back").disabled = e.step === 0;
    $("to-end").disabled = $("step-forward").disabled = e.step === e.count;
    body.classList.toggle("midway", e.step < e.count);
    body.classList.toggle("playing", e.playing);
    const play = $("play");
    play.setAttribute("aria-label", t(e.playing ? "pause" : "play"));
    play.title = t(e.playing ? "pause" : "play");
    play.setAttribute("aria-pressed", String(e.playing));
    body.dataset.step = String(e.step);
    body.dataset.count = String(e.count);
  });

  return {
    /** The controls and the phase, off while there is no graph to step through. */
    setEnabled(on) {
      for (const id of BUTTONS) $(id).disabled = !on;
      $("phase").hidden = !on;
      if (!on) $("narration").textContent = "";
    },
    fillSpeeds() {
      const select = $("speed");
      select.replaceChildren(...SPEEDS.map((x) => new Option(`${x}×`, String(x))));
      select.value = String(player.speed);
    },
  };
}
