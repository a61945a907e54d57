// A view's state in the URL hash, as a declarative list of properties (tensorflow/playground's
// way): each property has a name in the state, a key in the hash, and write/read functions (read
// gives undefined for text it cannot read). The main page and /train each declare their own list.

/** The hash parameters for `state`: each property's text, leaving out what `skip` says to. */
export function writeParams(props, state, skip) {
  const params = new URLSearchParams();
  for (const p of props) {
    const value = state[p.name];
    if (value === undefined || skip(p, value)) continue;
    const text = p.write(value);
    if (text !== "") params.set(p.key, text);
  }
  return params;
}

/** The properties a hash sets (unknown keys and unreadable values are ignored). */
export function readHash(props, hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const out = {};
  for (const p of props) {
    if (!params.has(p.key)) continue;
    const value = p.read(params.get(p.key));
    if (value !== undefined) out[p.name] = value;
  }
  return out;
}
