// The player: a position in the trace (0 = nothing computed yet, count = every event applied)
// and a timer that advances it. The step and the timer are separate, so tests and the
// keyboard can step by hand; a timer left over from an earlier play() cancels itself.

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16];
const BASE_INTERVAL_MS = 900;

export class Player {
  constructor({ setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id) } = {}) {
    this.count = 0;
    this.step = 0;
    this.playing = false;
    this.speed = 1;
    this._token = 0; // bumped by every play/pause/load: a timer holding an old token stops
    this._timer = null;
    this._setTimer = setTimer;
    this._clearTimer = clearTimer;
    this._listeners = new Set();
  }

  /** Call fn({step, count, playing, from, cause}) on every change; returns an unsubscribe. */
  subscribe(fn) {
    this._listeners.add(fn);
    return () => this._listeners.delete(fn);
  }

  _emit(from, cause) {
    const event = { step: this.step, count: this.count, playing: this.playing, from, cause };
    for (const fn of this._listeners) fn(event);
  }

  /** A new trace of `count` events, positioned at `step` (null: the end). */
  load(count, step = null) {
    this._stopTimer();
    this.playing = false;
    const from = this.step;
    this.count = count;
    this.step = clamp(step === null ? count : step, 0, count);
    this._emit(from, "load");
  }

  /** Go to step k (clamped). */
  seek(k, cause = "seek") {
    const from = this.step;
    this.step = clamp(k, 0, this.count);
    if (this.step === this.count && this.playing) this._halt();
    this._emit(from, cause);
  }

  forward() {
    this.seek(this.step + 1, "step");
  }

  back() {
    this.seek(this.step - 1, "step");
  }

  toStart() {
    this.seek(0);
  }

  toEnd() {
    this.seek(this.count);
  }

  get interval() {
    return BASE_INTERVAL_MS / this.speed;
  }

  setSpeed(speed) {
    this.speed = speed;
    if (this.playing) this._schedule(); // the new interval takes effect now
  }

  play() {
    if (this.count === 0) return;
    if (this.step >= this.count) this.seek(0);
    this.playing = true;
    this._emit(this.step, "play");
    this._schedule();
  }

  pause() {
    if (!this.playing) return;
    this._halt();
    this._emit(this.step, "pause");
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  _halt() {
    this.playing = false;
    this._stopTimer();
  }

  _stopTimer() {
    this._token++;
    if (this._timer !== null) this._clearTimer(this._timer);
    this._timer = null;
  }

  _schedule() {
    this._stopTimer();
    const token = this._token;
    const tick = () => {
      if (token !== this._token || !this.playing) return; // stale: a newer play/pause won
      this.seek(this.step + 1, "play");
      if (this.playing && token === this._token) this._timer = this._setTimer(tick, this.interval);
    };
    this._timer = this._setTimer(tick, this.interval);
  }
}

function clamp(k, lo, hi) {
  return Math.max(lo, Math.min(hi, Math.round(k)));
}
