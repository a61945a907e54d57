// How wide a text is drawn in the graph's font, measured on a canvas once per text and size.

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", "Noto Sans CJK KR", "Source Han Sans KR", "NanumGothic", sans-serif';

let measureCtx = null;
let font = "";
function textWidth(text, size = 12, weight = 650) {
  if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
  const wanted = `${weight} ${size}px ${FONT}`;
  // Setting a canvas's font parses it (and looks the family up) each time, even unchanged.
  if (wanted !== font) measureCtx.font = font = wanted;
  return measureCtx.measureText(text).width;
}

const widths = new Map(); // text widths by font and text (the same numbers come back often)
export function measured(text, size = 12, weight = 650) {
  const key = `${size}/${weight}/${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    if (widths.size > 5000) widths.clear();
    w = textWidth(text, size, weight);
    widths.set(key, w);
  }
  return w;
}
