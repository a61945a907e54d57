// The training player: a position among the recorded steps (0 … count − 1) and a timer that
// advances it. Step and timer are separate, so the keyboard and tests can step by hand; a timer
// left over from an earlier play() sees its token is stale and stops.

export class StepPlayer {
  constructor() {
    this.count = 0;
    this.step = 0;
    this.playing = false;
    this.speed = 30; // steps per second
    this._token = 0;
    this._timer = null;
    this._listeners = new Set();
  }

  subscribe(fn) {
    this._listeners.add(fn);
    return () => this._listeners.delete(fn);
  }

  _emit(cause) {
    for (const fn of this._listeners) fn({ step: this.step, count: this.count, playing: this.playing, cause });
  }

  load(count, step = null) {
    this._stop();
    this.playing = false;
    this.count = count;
    this.step = clamp(step === null ? count - 1 : step, 0, Math.max(0, count - 1));
    this._emit("load");
  }

  seek(step) {
    const next = clamp(step, 0, Math.max(0, this.count - 1));
    if (next === this.step) return;
    this.step = next;
    this._emit("seek");
  }

  stepBy(k) { this.pause(); this.seek(this.step + k); }

  play() {
    if (this.count < 2) return;
    if (this.step >= this.count - 1) this.step = 0; // played to the end: start again
    this.playing = true;
    const token = ++this._token;
    this._emit("play");
    this._schedule(token);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this._token++;
    this._stop();
    this._emit("pause");
  }

  toggle() { if (this.playing) this.pause(); else this.play(); }

  setSpeed(speed) { this.speed = speed; }

  _schedule(token) {
    // At most ~60 frames a second: faster speeds move several steps a frame.
    const perTick = Math.max(1, Math.ceil(this.speed / 60));
    const ms = (1000 * perTick) / this.speed;
    this._timer = setTimeout(() => {
      if (token !== this._token || !this.playing) return;
      this.seek(this.step + perTick);
      if (this.step >= this.count - 1) { this.pause(); return; }
      this._schedule(token);
    }, ms);
  }

  _stop() {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
  }
}

function clamp(x, lo, hi) { return Math.min(hi, Math.max(lo, x)); }
