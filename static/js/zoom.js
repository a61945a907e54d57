// Zoom and pan of the drawing inside its scrolling box: fit to the room there is (again on
// every resize while fitted), zoom about a point, drag to pan, pinch or ctrl+wheel to zoom, and
// scroll a node into view.

import { r1 } from "./curves.js";

// Fitting shows the whole graph on every screen, down to this zoom (a larger one scrolls);
// a reader zooms in by pinching, ctrl+wheel or the + button, and pans by dragging.
const FIT_MIN = 0.2;

export class Zoom {
  /** `container`: the box the drawing scrolls in; `onZoom(zoom)`: told of every zoom applied. */
  constructor(container, onZoom = null) {
    this.container = container;
    this.onZoom = onZoom;
    this.svg = null;
    this.size = null; // {width, height} of the drawing, in its own units
    this.zoom = 1;
    this.fit = true;
    this._resize = new ResizeObserver(() => {
      if (this.fit) this.fitToWindow();
    });
    this._resize.observe(container);
    this._gestures();
  }

  /** A new drawing (or none): fitted to the room there is (`room`, when just read). */
  attach(svg, size, room = null) {
    this.svg = svg;
    this.size = size;
    if (!svg) return;
    this.fit = true;
    this.fitToWindow(room);
  }

  /**
   * Move the drawing by hand: drag with the mouse (or pen) to pan, pinch with two fingers or
   * ctrl+wheel (a trackpad's pinch) to zoom about the fingers. One finger scrolls natively
   * (touch-action in page.css), so a page scrolled over the graph still scrolls.
   */
  _gestures() {
    const c = this.container;
    const down = new Map(); // pointer id -> {x, y}
    let drag = null; // {x, y, left, top, moved}
    let pinch = null; // {dist, zoom}
    let swallowClick = false;
    const mid = () => {
      const [a, b] = [...down.values()];
      return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, dist: Math.hypot(a.x - b.x, a.y - b.y) };
    };
    c.addEventListener("pointerdown", (e) => {
      down.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (down.size === 2) {
        drag = null;
        pinch = { dist: Math.max(1, mid().dist), zoom: this.zoom };
      } else if (e.pointerType !== "touch" && e.button === 0) {
        drag = { x: e.clientX, y: e.clientY, left: c.scrollLeft, top: c.scrollTop, moved: false, id: e.pointerId };
      }
    });
    c.addEventListener("pointermove", (e) => {
      if (!down.has(e.pointerId)) return;
      down.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pinch && down.size === 2) {
        const m = mid();
        this.zoomTo(pinch.zoom * (m.dist / pinch.dist), m.x, m.y);
        e.preventDefault();
      } else if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < 5) return; // a click, not a drag
        if (!drag.moved) {
          drag.moved = true;
          c.setPointerCapture?.(e.pointerId);
          c.classList.add("dragging");
        }
        c.scrollLeft = drag.left - dx;
        c.scrollTop = drag.top - dy;
      }
    });
    const up = (e) => {
      down.delete(e.pointerId);
      if (down.size < 2) pinch = null;
      if (drag && drag.id === e.pointerId) {
        swallowClick = drag.moved; // the click that ends a drag does not open a node
        drag = null;
        c.classList.remove("dragging");
      }
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.addEventListener("click", (e) => {
      if (!swallowClick) return;
      swallowClick = false;
      e.stopPropagation();
      e.preventDefault();
    }, true);
    c.addEventListener("wheel", (e) => {
      if (!e.ctrlKey || !this.svg) return; // a plain wheel scrolls
      e.preventDefault();
      this.zoomTo(this.zoom * Math.exp(-e.deltaY / 300), e.clientX, e.clientY);
    }, { passive: false });
  }

  _applyZoom() {
    if (!this.svg) return;
    this.svg.setAttribute("width", r1(this.size.width * this.zoom));
    this.svg.setAttribute("height", r1(this.size.height * this.zoom));
    this.onZoom?.(this.zoom);
  }

  /**
   * The room the drawing may take: the container's width, and a height that leaves the rest
   * of the graph's card (toolbar, narration, player) on screen with it.
   */
  room() {
    const w = Math.max(100, this.container.clientWidth - 8);
    const card = this.container.closest(".graph-card");
    const around = card ? card.offsetHeight - this.container.offsetHeight : 0;
    const h = Math.max(220, Math.min(window.innerHeight * 0.78, window.innerHeight - around - 24));
    return { w, h };
  }

  /** Zoom so that all of the graph fits the room there is (down to FIT_MIN). */
  fitToWindow(known = null) {
    if (!this.svg) return;
    const room = known ?? this.room();
    this._room = room;
    let z = Math.min(room.w / this.size.width, room.h / this.size.height, 2.4);
    z = Math.max(z, FIT_MIN);
    this.zoom = z;
    this.fit = true;
    this._applyZoom();
  }

  /** The same drawing at another size: fitted again to the room it was last fitted to (the
   *  resize observer fits it anew if that room changes), or kept at the zoom chosen. */
  resize(size) {
    this.size = size;
    if (this.fit) this.fitToWindow(this._room);
    else this._applyZoom();
  }

  zoomBy(factor) {
    const box = this.container.getBoundingClientRect();
    this.zoomTo(this.zoom * factor, box.left + box.width / 2, box.top + box.height / 2);
  }

  /** Zoom to `zoom`, keeping the drawing's point under (clientX, clientY) where it is. */
  zoomTo(zoom, clientX, clientY) {
    if (!this.svg) return;
    const c = this.container;
    const before = this.svg.getBoundingClientRect();
    const u = (clientX - before.left) / this.zoom, v = (clientY - before.top) / this.zoom;
    this.zoom = Math.max(FIT_MIN, Math.min(4, zoom));
    this.fit = false;
    this._applyZoom();
    const after = this.svg.getBoundingClientRect();
    c.scrollLeft += after.left + u * this.zoom - clientX;
    c.scrollTop += after.top + v * this.zoom - clientY;
  }

  /**
   * Scroll so that the point `b` ({x, y}, drawing units) is visible (large graphs), in the
   * next frame: reading the scroll sizes now would lay the whole page out once more after each
   * step's changes (a new 500-node graph was laid out three times before its first frame).
   */
  reveal(b) {
    this._revealing = b;
    if (this._revealFrame) return;
    this._revealFrame = requestAnimationFrame(() => {
      this._revealFrame = null;
      const at = this._revealing;
      this._revealing = null;
      this._revealNow(at);
    });
  }

  _revealNow(b) {
    const c = this.container;
    if (!b || (c.scrollWidth <= c.clientWidth && c.scrollHeight <= c.clientHeight)) return;
    const x = b.x * this.zoom, y = b.y * this.zoom;
    if (x < c.scrollLeft + 40 || x > c.scrollLeft + c.clientWidth - 40) c.scrollLeft = x - c.clientWidth / 2;
    if (y < c.scrollTop + 40 || y > c.scrollTop + c.clientHeight - 40) c.scrollTop = y - c.clientHeight / 2;
  }
}
