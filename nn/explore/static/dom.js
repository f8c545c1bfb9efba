// Building the explorer's page: elements, SVG shapes, sharp canvases, and painting cells onto them.

// An element: h("button", { class: "vg-small", onclick: f, title: "…" }, "text", child, …). Children are
// text or nodes, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children) el.append(c);
  return el;
}

export function svg(tag, attrs = {}) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// A canvas of width × height CSS pixels, sharp on high-density screens.
export function canvas(width, height, cls) {
  const c = h("canvas", { class: cls });
  const ratio = window.devicePixelRatio || 1;
  c.width = Math.round(width * ratio);
  c.height = Math.round(height * ratio);
  c.style.width = `${width}px`;
  c.style.height = `${height}px`;
  c.getContext("2d").scale(ratio, ratio);
  return c;
}

// Paint `size`×`size` cells, colour(i) giving each cell's [r, g, b], stretched smoothly over `ctx`.
export function paintCells(ctx, size, width, height, colour) {
  const image = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    image.data.set(colour(i), 4 * i);
    image.data[4 * i + 3] = 255;
  }
  const off = document.createElement("canvas");
  off.width = off.height = size;
  off.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, width, height);
}
