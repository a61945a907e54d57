// Downloads of the drawing: SVG as it is on screen (the theme's colours written in) and PNG,
// drawn from that SVG onto a canvas at twice the size.

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
  return renderer.exportSvg(await graphCss());
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
