// Downloads of the drawing: SVG as it is on screen (the theme's colours written in) and PNG,
// drawn from that SVG onto a canvas at twice the size.

import { r1 } from "./curves.js";

const THEME_VARS = [
  "--g-halo", "--g-edge", "--g-value", "--g-local", "--g-grad", "--g-grad-bg", "--g-grad-text",
  "--g-tangent", "--g-tangent-bg", "--g-tangent-text", "--g-node", "--g-input", "--g-const",
  "--g-stroke", "--g-current", "--g-focus", "--g-text", "--g-muted", "--g-pulse", "--g-bg",
  "--hm-n4", "--hm-n3", "--hm-n2", "--hm-n1", "--hm-0", "--hm-p1", "--hm-p2", "--hm-p3", "--hm-p4", "--hm-nan",
];

let cssText = null;

async function graphCss() {
  if (cssText === null) {
    const response = await fetch("/static/css/graph.css");
    cssText = response.ok ? await response.text() : "";
  }
  return cssText;
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function svgText(renderer) {
  return svgDocument(renderer, await graphCss());
}

export async function downloadSvg(renderer, filename = "chainrule.svg") {
  const text = await svgText(renderer);
  if (text) save(new Blob([text], { type: "image/svg+xml" }), filename);
}

/** The PNG as a Blob (a data: URL image, which the page's Content-Security-Policy allows). */
export async function pngBlob(renderer, scale = 2) {
  const text = await svgText(renderer);
  if (!text) return null;
  const { width, height } = renderer.size;
  const img = new Image();
  img.decoding = "async";
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

export async function downloadPng(renderer, filename = "chainrule.png") {
  const blob = await pngBlob(renderer);
  if (blob) save(blob, filename);
}


/**
 * A standalone SVG document of the current view: the drawing's stylesheet (`css`, the
 * text of graph.css) and the theme's colours written in, no animation.
 */
export function svgDocument(view, css) {
  if (!view?.svg) return null;
  view.withTexts?.(); // a drawing shown too small to read has none yet; the file is read zoomed
  const clone = view.svg.cloneNode(true);
  clone.classList.remove("far");
  clone.querySelector(".pulses")?.replaceChildren();
  for (const g of clone.querySelectorAll(".hover")) g.classList.remove("hover");
  for (const g of clone.querySelectorAll(".on-path")) g.classList.remove("on-path");
  clone.classList.remove("tracing");
  clone.removeAttribute("role");
  clone.removeAttribute("aria-label");
  clone.setAttribute("width", r1(view.size.width * 2));
  clone.setAttribute("height", r1(view.size.height * 2));
  const cs = getComputedStyle(view.svg);
  const vars = THEME_VARS.map((v) => `${v}: ${cs.getPropertyValue(v).trim()};`).join(" ");
  const bg = cs.getPropertyValue("--g-bg").trim() || "#ffffff";
  const stylesheet = `.graph-svg { ${vars} }\n${css.replace(/transition:[^;}]*;?/g, "")}`;
  let text = new XMLSerializer().serializeToString(clone);
  // Inserted as text: the page's Content-Security-Policy forbids inline styles in it.
  const open = text.indexOf(">") + 1;
  text = `${text.slice(0, open)}<style>${escapeXml(stylesheet)}</style>`
    + `<rect width="100%" height="100%" fill="${escapeXml(bg)}"/>${text.slice(open)}`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${text}`;
}

function escapeXml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
