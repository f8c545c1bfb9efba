// The big picture: the decision boundary (or the focused neuron's map) over the plane, with the data's
// points on top as SVG circles that never move, each one clickable for its graph.
import { bytesOf, fmt } from "./format.js";
import { PALETTE, boundaryColour, rgb, signedColour } from "./colour.js";
import { canvas, h, paintCells, svg } from "./dom.js";

export const VIEW = 380; // the picture's side, in CSS pixels

// Where point p = [x1, x2] goes on a picture of `side` pixels showing domain [x0, x1, y0, y1] (y upwards).
// Pure, unit-tested.
export const toPixels = (p, [x0, x1, y0, y1], side) => [((p[0] - x0) / (x1 - x0)) * side, ((y1 - p[1]) / (y1 - y0)) * side];

export class BoundaryView {
  constructor(app) {
    this.app = app;
    this.canvas = canvas(VIEW, VIEW, "vg-boundary");
    this.pointLayer = h("div", { class: "vg-point-layer" });
    this.title = h("div", { class: "vg-view-title" });
    this.stack = h("div", { class: "vg-stack" }, this.canvas, this.pointLayer);
    this.stack.style.width = this.stack.style.height = `${VIEW}px`;
    this.marks = new Map();
  }

  draw(frame) {
    const ctx = this.canvas.getContext("2d");
    const f = frame.focus;
    if (f) {
      paintCells(ctx, f.size, VIEW, VIEW, signedColour(bytesOf(f.pixels)));
      this.title.textContent = `${this.app.neuronName(f.neuron)}: blue > 0 > orange, ` +
        `the largest |output| here is ${fmt(f.scale, 3)}`;
    } else {
      const b = frame.boundary;
      paintCells(ctx, b.size, VIEW, VIEW, boundaryColour(bytesOf(b.pixels), b.classes));
      this.title.textContent = "decision boundary: filled dots train, ringed dots test; click a dot for its graph";
    }
  }

  buildPoints() {
    const setup = this.app.setup;
    const layer = svg("svg", { class: "vg-points", width: VIEW, height: VIEW, viewBox: `0 0 ${VIEW} ${VIEW}` });
    this.marks = new Map();
    for (const split of ["train", "test"]) {
      setup[split].x.forEach((p, index) => {
        const label = setup[split].y[index];
        const [cx, cy] = toPixels(p, setup.domain, VIEW);
        const mark = svg("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: split === "train" ? 3.5 : 4,
          fill: rgb(PALETTE[label % PALETTE.length]), class: `vg-dot vg-${split}`, "data-split": split, "data-index": index });
        const title = svg("title");
        title.textContent = `${split} point ${index}, class ${label}: click for its graph`;
        mark.append(title);
        mark.addEventListener("click", (e) => { e.stopPropagation(); this.app.send({ type: "point", split, index }); });
        layer.append(mark);
        this.marks.set(`${split}:${index}`, mark);
      });
    }
    layer.addEventListener("click", () => this.app.send({ type: "point", split: null }));
    this.pointLayer.replaceChildren(layer);
    this.markSelected();
  }

  markSelected() {
    const selected = this.app.model.get("inspect")?.point;
    for (const [key, mark] of this.marks) {
      mark.classList.toggle("vg-chosen", !!selected && key === `${selected.split}:${selected.index}`);
    }
  }
}
