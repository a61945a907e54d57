// Work that can wait for the frame that shows a new graph: the panels beside the drawing (the
// table, the reading under the field) and the URL are made just after it, so that a keystroke's graph is
// on screen before the rest of the page is laid out around it. A job is named: a newer job of
// the same name replaces one still waiting. While any waits, <body data-later> is set (tests
// wait for it to go).

const queue = new Map(); // name -> job
let scheduled = false;

/** Run `job` just after the next frame (a newer job of `name` replaces this one). */
export function later(name, job) {
  queue.delete(name);
  queue.set(name, job);
  document.body.dataset.later = "";
  if (scheduled) return;
  scheduled = true;
  // The frame's own work (style, layout, paint) runs after its animation-frame callbacks: a
  // task queued from one runs once that frame is done.
  requestAnimationFrame(() => setTimeout(flush, 0));
}

/** Forget the job `name` if it has not run yet. */
export function cancel(name) {
  queue.delete(name);
  if (!queue.size) delete document.body.dataset.later;
}

/** True while the job `name` waits. */
export function waiting(name) {
  return queue.has(name);
}

function flush() {
  // One job a task: an answer that arrives meanwhile (a keystroke's next graph) is put on the
  // page between two panels rather than after all of them, and its own jobs replace those of
  // the graph it replaces that have not run yet.
  scheduled = false;
  const next = queue.entries().next();
  if (next.done) {
    delete document.body.dataset.later;
    return;
  }
  const [name, job] = next.value;
  queue.delete(name);
  try {
    job();
  } finally {
    if (!queue.size) delete document.body.dataset.later;
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 0);
    }
  }
}
