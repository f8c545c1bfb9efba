// The network diagram: each neuron's picture of its output over the plane, and each weight as a line whose
// colour and width follow its sign and size. Hovering or clicking a neuron shows its map in the big picture;
// dragging a weight's line sets it by hand (one "weight" message each 50 ms at most).
import { shortName, bytesOf } from "./format.js";
import { edgeStyle, inputColour, signedColour } from "./colour.js";
import { canvas, h, paintCells, svg } from "./dom.js";

export const THUMB = 34; // a neuron's picture, in CSS pixels
const COLUMN = 70, ROW = 44;

// Where neuron j of layer l sits in a diagram of `sizes`: layers in columns, each centred. Pure, unit-tested.
export const nodePosition = (sizes, l, j) =>
  [10 + COLUMN * l + THUMB / 2, 20 + (j + 0.5) * ROW + ((Math.max(...sizes) - sizes[l]) * ROW) / 2];

export class NetworkView {
  constructor(app, box) {
    this.app = app;
    this.box = box;
    this.sticky = null; // the neuron clicked: [layer, index]
    this.hovered = null;
    this.dragging = null;
    this.pendingWeight = null;
    this.edgeLines = [];
    this.thumbs = [];
    this.timer = setInterval(() => this.flushWeight(), 50);
  }

  destroy() { clearInterval(this.timer); }

  build() {
    const { sizes } = this.app.setup;
    if (this.sticky && !(this.sticky[0] < sizes.length - 1 && this.sticky[1] < sizes[this.sticky[0] + 1])) this.sticky = null;
    this.hovered = null;
    const width = 60 + COLUMN * (sizes.length - 1) + THUMB;
    const height = Math.max(...sizes) * ROW + 20;
    const edges = svg("svg", { class: "vg-edges", width, height });
    this.edgeLines = [];
    for (let l = 1; l < sizes.length; l++) {
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < sizes[l - 1]; i++) {
          const [xa, ya] = nodePosition(sizes, l - 1, i), [xb, yb] = nodePosition(sizes, l, j);
          const name = `layers.${l - 1}.neurons.${j}.w.${i}`;
          const line = svg("line", { x1: xa, y1: ya, x2: xb, y2: yb, class: "vg-edge", "data-name": name });
          const hit = svg("line", { x1: xa, y1: ya, x2: xb, y2: yb, class: "vg-edge-hit", "data-name": name });
          const title = svg("title");
          title.textContent = `${shortName(name)}: drag up or down to change it, click to follow it`;
          hit.append(title);
          hit.addEventListener("pointerdown", (e) => this.startDrag(e, name, l - 1, j, i));
          edges.append(line, hit);
          this.edgeLines.push({ line, l: l - 1, j, i });
        }
      }
    }
    const nodes = sizes.map((n, l) => Array.from({ length: n }, (_, j) => {
      const c = canvas(THUMB, THUMB, "vg-neuron");
      const [x, y] = nodePosition(sizes, l, j);
      c.style.left = `${x - THUMB / 2}px`;
      c.style.top = `${y - THUMB / 2}px`;
      c.dataset.layer = l - 1;
      c.dataset.index = j;
      c.title = l === 0 ? `input x${j + 1}` : this.app.neuronName([l - 1, j]);
      if (l > 0) {
        c.addEventListener("mouseenter", () => this.setHover([l - 1, j]));
        c.addEventListener("mouseleave", () => this.setHover(null));
        c.addEventListener("click", () => this.toggleSticky([l - 1, j]));
      }
      return c;
    }));
    nodes[0].forEach((c, j) => paintCells(c.getContext("2d"), 25, THUMB, THUMB, inputColour(j, 25)));
    this.thumbs = nodes.slice(1);
    const caption = h("div", { class: "vg-network-caption" },
      `${this.app.setup.model}. Hover or click a neuron to see its output; drag a weight to change it.`);
    const diagram = h("div", { class: "vg-diagram" }, edges, ...nodes.flat());
    diagram.style.width = `${width}px`;
    diagram.style.height = `${height}px`;
    this.box.replaceChildren(caption, diagram);
    this.markSticky();
  }

  // A frame: each neuron's map, and each weight's line.
  draw(frame) {
    frame.neurons.forEach((layer, l) => layer.forEach((map, j) => {
      const c = this.thumbs[l]?.[j];
      if (c) paintCells(c.getContext("2d"), map.size, THUMB, THUMB, signedColour(bytesOf(map.pixels)));
    }));
    for (const { line, l, j, i } of this.edgeLines) {
      const style = edgeStyle(frame.weights[l][j][i] ?? 0);
      line.setAttribute("stroke", style.stroke);
      line.setAttribute("stroke-width", style.width);
      line.classList.toggle("vg-followed", frame.param?.name === `layers.${l}.neurons.${j}.w.${i}`);
    }
  }

  setHover(neuron) {
    this.hovered = neuron;
    this.app.send({ type: "focus", neuron: neuron ?? this.sticky });
  }

  toggleSticky(neuron) {
    const same = this.sticky && this.sticky[0] === neuron[0] && this.sticky[1] === neuron[1];
    this.sticky = same ? null : neuron;
    this.app.send({ type: "focus", neuron: this.hovered ?? this.sticky });
    this.markSticky();
  }

  markSticky() {
    for (const layer of this.thumbs) for (const c of layer) {
      c.classList.toggle("vg-selected", !!this.sticky && +c.dataset.layer === this.sticky[0] && +c.dataset.index === this.sticky[1]);
    }
  }

  // --- manual mode: dragging a weight --------------------------------------------------------------

  startDrag(e, name, l, j, i) {
    this.app.send({ type: "param", name });
    if (this.app.isLocked("weights")) return;
    const weights = this.app.model.get("frame").weights;
    this.dragging = { name, y: e.clientY, w: weights[l][j][i], moved: false };
    const move = (ev) => {
      const d = this.dragging;
      if (!d) return;
      d.moved = true;
      this.queueWeight(name, Math.max(-100, Math.min(100, d.w + (d.y - ev.clientY) * 0.02)));
    };
    const up = () => { this.dragging = null; window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    e.preventDefault();
  }

  queueWeight(name, value) { this.pendingWeight = { type: "weight", name, value }; }

  flushWeight() {
    if (this.pendingWeight) { this.app.send(this.pendingWeight); this.pendingWeight = null; }
  }
}
