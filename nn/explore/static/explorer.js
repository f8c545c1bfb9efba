// valuegrad's training explorer: the one front-end of the Jupyter widget and of `python -m nn explore`.
//
// The training runs in Python, with valuegrad. This module only draws the state it is sent and sends
// back small command messages (see nn/explore/controller.py for the whitelist). It talks to a "model"
// with anywidget's interface: get(name), on/off("change:name" | "msg:custom", callback), send(message).
// In Jupyter, anywidget provides that model and calls the default export's render(). On the standalone
// page, mount() builds the same interface over a WebSocket to the local server.
//
// The state comes in three parts: `setup` (configuration, points, architecture), `frame` (what moves
// while training) and `inspect` (the clicked point's graph).

const PALETTE = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75]];
const WHITE = [255, 255, 255];
const VIEW = 380; // the decision-boundary canvas, in CSS pixels
const THUMB = 34; // a neuron's picture in the network diagram

// --- small helpers -------------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children) el.append(c);
  return el;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

const bytesOf = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const mix = (a, b, t) => a.map((x, i) => Math.round(x + (b[i] - x) * t));
const fmt = (x, digits = 4) => (x === null || x === undefined ? "–" : Number(x).toPrecision(digits));

// A parameter's name in the model ("layers.0.neurons.3.w.1", counted from 0) in the picture's words,
// counted from 1 like x1 and x2: "w1.4.2" is layer 1, neuron 4, from input 2.
function shortName(name) {
  const m = /^layers\.(\d+)\.neurons\.(\d+)\.(w\.(\d+)|b)$/.exec(name);
  if (!m) return name;
  return m[3] === "b" ? `b${+m[1] + 1}.${+m[2] + 1}` : `w${+m[1] + 1}.${+m[2] + 1}.${+m[4] + 1}`;
}

function canvas(width, height, cls) {
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
function paintCells(ctx, size, width, height, colour) {
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

// A neuron's output: 0 … 254 with 127 at zero, orange below and blue above.
const signedColour = (bytes) => (i) => {
  const v = (bytes[i] - 127) / 127;
  return mix(WHITE, v < 0 ? PALETTE[0] : PALETTE[1], Math.min(1, Math.abs(v)) * 0.85);
};

function boundaryColour(bytes, classes) {
  if (classes === 2) {
    return (i) => {
      const p = bytes[i] / 255;
      return p < 0.5 ? mix(WHITE, PALETTE[0], (0.5 - p) * 1.4) : mix(WHITE, PALETTE[1], (p - 0.5) * 1.4);
    };
  }
  return (i) => {
    const k = bytes[2 * i], confidence = bytes[2 * i + 1] / 255;
    return mix(WHITE, PALETTE[k % PALETTE.length], Math.max(0, (confidence - 1 / classes) / (1 - 1 / classes)) * 0.7);
  };
}

// A line chart of several series over a shared x: [{xs, ys, colour, dash, label}].
function drawChart(c, series, { title = "", ymin = null, ymax = null } = {}) {
  const ctx = c.getContext("2d");
  const W = parseFloat(c.style.width), H = parseFloat(c.style.height);
  const L = 44, R = 8, T = 16, B = 16;
  ctx.clearRect(0, 0, W, H);
  const xs = series.flatMap((s) => s.xs), ys = series.flatMap((s) => s.ys.filter((y) => y !== null));
  ctx.fillStyle = "#555";
  ctx.font = "11px sans-serif";
  ctx.fillText(title, L, 11);
  if (!xs.length || !ys.length) return;
  let lo = ymin ?? Math.min(...ys), hi = ymax ?? Math.max(...ys);
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  ctx.strokeStyle = "#ccc";
  ctx.lineWidth = 1;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  ctx.fillText(fmt(hi, 3), 2, T + 8);
  ctx.fillText(fmt(lo, 3), 2, H - B);
  ctx.fillText(`step ${x1}`, W - R - 60, H - 3);
  let legend = L + 4 + ctx.measureText(title).width + 10;
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.setLineDash(s.dash ? [4, 3] : []);
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    let pen = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (y === null) { pen = false; return; }
      if (pen) ctx.lineTo(X(x), Y(y)); else ctx.moveTo(X(x), Y(y));
      pen = true;
    });
    ctx.stroke();
    if (s.label) {
      ctx.fillStyle = s.colour;
      ctx.fillText(s.label, legend, 11);
      legend += ctx.measureText(s.label).width + 10;
    }
  }
  ctx.setLineDash([]);
}

// --- the explorer ----------------------------------------------------------------------------------

class Explorer {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.sticky = null; // the neuron clicked: [layer, index]
    this.hovered = null;
    this.dragging = null;
    this.pendingWeight = null;
    this.handlers = [];
    this.root = h("div", { class: "vg-explorer", tabindex: "0" });
    el.append(this.root);
    this.build();
    this.listen("change:setup", () => this.onSetup());
    this.listen("change:frame", () => this.onFrame());
    this.listen("change:inspect", () => this.onInspect());
    this.listen("msg:custom", (msg) => { if (msg && msg.type === "error") this.toast(msg.message); });
    if (model.get("setup")) this.onSetup();
    if (model.get("frame")) this.onFrame();
    if (model.get("inspect")) this.onInspect();
  }

  listen(event, fn) {
    this.model.on(event, fn);
    this.handlers.push([event, fn]);
  }

  // A view that goes (its output cleared, the cell run again) stops its training: a widget keeps
  // living in the kernel, and would otherwise train on unseen.
  destroy() {
    if (this.setup && this.model.get("frame")?.playing && !this.isLocked("play")) this.send({ type: "pause" });
    for (const [event, fn] of this.handlers) this.model.off(event, fn);
    clearInterval(this.weightTimer);
    this.root.remove();
  }

  send(message) { this.model.send(message); }

  toast(text) {
    this.toastBox.textContent = text;
    this.toastBox.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { this.toastBox.hidden = true; }, 6000);
  }

  build() {
    const button = (cls, text, action, title) =>
      h("button", { class: `vg-button ${cls}`, "data-action": action, title, onclick: () => this.onButton(action) }, text);
    this.playButton = button("vg-play", "Play", "play", "train continuously (space)");
    this.stepButton = button("vg-step", "Step", "step", "one training step");
    this.resetButton = button("vg-reset", "Reset", "reset", "back to step 0 and the initial weights");
    this.clock = h("span", { class: "vg-clock" }, "step 0");
    this.numbers = h("span", { class: "vg-numbers" });
    this.toastBox = h("div", { class: "vg-toast", role: "alert" });
    this.toastBox.hidden = true;
    this.status = h("div", { class: "vg-status", role: "status" });
    const bar = h("div", { class: "vg-bar" }, this.playButton, this.stepButton, this.resetButton, this.clock, this.numbers);
    this.controls = h("div", { class: "vg-controls" });
    this.network = h("div", { class: "vg-network" });
    this.view = canvas(VIEW, VIEW, "vg-boundary");
    this.pointLayer = h("div", { class: "vg-point-layer" });
    this.viewTitle = h("div", { class: "vg-view-title" });
    this.lossChart = canvas(VIEW, 120, "vg-loss");
    this.accuracyChart = canvas(VIEW, 100, "vg-accuracy");
    const stack = h("div", { class: "vg-stack" }, this.view, this.pointLayer);
    stack.style.width = stack.style.height = `${VIEW}px`;
    const picture = h("div", { class: "vg-picture" }, this.viewTitle, stack, this.lossChart, this.accuracyChart);
    this.paramPanel = h("div", { class: "vg-param" });
    this.pointPanel = h("div", { class: "vg-point" });
    this.share = h("details", { class: "vg-share" });
    this.root.append(
      bar, this.toastBox, this.status,
      h("div", { class: "vg-main" }, this.controls, picture, this.network),
      h("div", { class: "vg-inspect" }, this.paramPanel, this.pointPanel),
      this.share,
    );
    this.root.addEventListener("keydown", (e) => {
      if (e.key === " " && e.target === this.root) { e.preventDefault(); this.onButton("play"); }
    });
    this.weightTimer = setInterval(() => this.flushWeight(), 50);
  }

  onButton(action) {
    if (action === "play") this.send({ type: this.model.get("frame")?.playing ? "pause" : "play" });
    else this.send({ type: action });
  }

  // --- setup: controls, the network's shape, the points --------------------------------------------

  isLocked(name) { return this.setup.locked.includes(name) || this.setup.hidden.includes(name); }

  onSetup() {
    const setup = (this.setup = this.model.get("setup"));
    this.points = ["train", "test"].flatMap((split) =>
      setup[split].x.map((p, index) => ({ split, index, p, label: setup[split].y[index] })));
    for (const [action, el] of [["play", this.playButton], ["step", this.stepButton], ["reset", this.resetButton]]) {
      el.disabled = this.isLocked(action);
      el.hidden = setup.hidden.includes(action);
      el.classList.toggle("vg-locked", setup.locked.includes(action));
      if (setup.locked.includes(action)) el.title = "locked by the configuration";
    }
    const sizes = setup.sizes;
    if (this.sticky && !(this.sticky[0] < sizes.length - 1 && this.sticky[1] < sizes[this.sticky[0] + 1])) this.sticky = null;
    this.hovered = null;
    this.buildControls();
    this.buildNetwork();
    this.buildPoints();
    this.markSticky();
    if (this.model.get("frame")) this.onFrame();
    const query = setup.query ? `--config '${setup.query}'` : "";
    this.share.replaceChildren(
      h("summary", {}, "share this configuration"),
      h("p", {}, "Standalone: ", h("code", {}, `python -m nn explore ${query}`.trim())),
      h("p", {}, "Jupyter: ", h("code", {}, `Explorer(${JSON.stringify(setup.config)})`)),
    );
  }

  buildControls() {
    const { schema, config } = this.setup;
    const groups = { Data: ["dataset", "samples", "noise", "test_size", "classes", "seed"],
      Model: ["hidden", "activation"], Training: ["optimizer", "lr", "momentum", "batch_size", "l2", "speed"] };
    const byKey = Object.fromEntries(schema.map((s) => [s.key, s]));
    this.controls.replaceChildren();
    for (const [group, keys] of Object.entries(groups)) {
      const box = h("fieldset", { class: "vg-group" }, h("legend", {}, group));
      for (const key of keys) {
        const s = byKey[key];
        if (!s || this.setup.hidden.includes(key)) continue;
        if (key === "classes" && !["spirals", "blobs"].includes(config.dataset)) continue;
        if (key === "momentum" && config.optimizer !== "sgd") continue;
        box.append(this.control(s, config[key]));
      }
      if (box.children.length > 1) this.controls.append(box);
    }
  }

  control(s, value) {
    const locked = this.isLocked(s.key);
    const set = (v) => this.send({ type: "set", key: s.key, value: v });
    const shown = h("span", { class: "vg-value" });
    let input;
    if (s.kind === "choice") {
      input = h("select", { onchange: () => set(input.value) }, ...s.choices.map((c) => h("option", { value: c }, c)));
      input.value = value;
    } else if (s.kind === "sizes") {
      input = this.sizesControl(value, set, locked);
    } else if (s.high >= 1000) { // seeds and batch sizes: typed in
      input = h("input", { type: "number", min: s.low, max: s.high, step: 1, value,
        onchange: () => set(Math.round(Number(input.value))) });
      if (s.key === "batch_size") shown.textContent = value === 0 ? "all" : "";
    } else {
      const log = s.log;
      const [lo, hi] = log ? [-4, Math.log10(s.high)] : [s.low, s.high];
      const step = log ? 0.25 : s.kind === "int" ? (s.high - s.low > 200 ? 10 : 1) : (s.high - s.low) / 100;
      const show = (v) => (s.kind === "int" ? String(v) : fmt(v, 3));
      const read = () => (log ? Number((10 ** Number(input.value)).toPrecision(2)) : s.kind === "int" ? Math.round(Number(input.value)) : Number(Number(input.value).toFixed(4)));
      input = h("input", { type: "range", min: lo, max: hi, step, value: log ? Math.log10(value) : value,
        oninput: () => { shown.textContent = show(read()); }, onchange: () => set(read()) });
      shown.textContent = show(value);
    }
    input.disabled = locked;
    // A <label> clicks its first button when clicked: the widths' row (− and + buttons) is a <div>.
    const label = h(s.kind === "sizes" ? "div" : "label", { class: `vg-control${locked ? " vg-locked" : ""}`, "data-key": s.key,
      title: locked ? `${s.help} (locked by the configuration)` : s.help }, h("span", { class: "vg-label" }, s.label), input, shown);
    return label;
  }

  sizesControl(sizes, set, locked) {
    const box = h("span", { class: "vg-sizes" });
    const change = (next) => set(next);
    box.append(h("button", { class: "vg-small", title: "remove the last hidden layer", onclick: (e) => { e.preventDefault(); if (sizes.length) change(sizes.slice(0, -1)); } }, "−"));
    sizes.forEach((n, i) => {
      const input = h("input", { type: "number", min: 1, max: 16, value: n, class: "vg-width",
        onchange: () => change(sizes.map((m, k) => (k === i ? Math.round(Number(input.value)) : m))) });
      box.append(input);
    });
    box.append(h("button", { class: "vg-small", title: "add a hidden layer", onclick: (e) => { e.preventDefault(); if (sizes.length < 6) change([...sizes, 4]); } }, "+"));
    if (locked) box.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
    return box;
  }

  buildNetwork() {
    const sizes = this.setup.sizes;
    const width = 60 + 70 * (sizes.length - 1) + THUMB, rowGap = 44;
    const height = Math.max(...sizes) * rowGap + 20;
    this.nodeAt = (l, j) => [10 + 70 * l + THUMB / 2, 20 + (j + 0.5) * rowGap + ((Math.max(...sizes) - sizes[l]) * rowGap) / 2];
    const edges = svg("svg", { class: "vg-edges", width, height });
    this.edgeLines = [];
    for (let l = 1; l < sizes.length; l++) {
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < sizes[l - 1]; i++) {
          const [xa, ya] = this.nodeAt(l - 1, i), [xb, yb] = this.nodeAt(l, j);
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
    this.thumbs = [];
    const nodes = sizes.map((n, l) => Array.from({ length: n }, (_, j) => {
      const c = canvas(THUMB, THUMB, "vg-neuron");
      const [x, y] = this.nodeAt(l, j);
      c.style.left = `${x - THUMB / 2}px`;
      c.style.top = `${y - THUMB / 2}px`;
      c.dataset.layer = l - 1;
      c.dataset.index = j;
      c.title = l === 0 ? `input x${j + 1}` : this.neuronName([l - 1, j]);
      if (l > 0) {
        c.addEventListener("mouseenter", () => this.setHover([l - 1, j]));
        c.addEventListener("mouseleave", () => this.setHover(null));
        c.addEventListener("click", () => this.toggleSticky([l - 1, j]));
      }
      return c;
    }));
    nodes[0].forEach((c, j) => this.paintInput(c, j));
    this.thumbs = nodes.slice(1);
    const caption = h("div", { class: "vg-network-caption" },
      `${this.setup.model}. Hover or click a neuron to see its output; drag a weight to change it.`);
    const diagram = h("div", { class: "vg-diagram" }, edges, ...nodes.flat());
    diagram.style.width = `${width}px`;
    diagram.style.height = `${height}px`;
    this.network.replaceChildren(caption, diagram);
  }

  paintInput(c, j) {
    const size = 25;
    paintCells(c.getContext("2d"), size, THUMB, THUMB, (i) => {
      const r = Math.floor(i / size), col = i % size;
      const v = j === 0 ? (2 * col) / (size - 1) - 1 : 1 - (2 * r) / (size - 1);
      return mix(WHITE, v < 0 ? PALETTE[0] : PALETTE[1], Math.abs(v) * 0.85);
    });
  }

  setHover(neuron) {
    this.hovered = neuron;
    this.send({ type: "focus", neuron: neuron ?? this.sticky });
  }

  toggleSticky(neuron) {
    const same = this.sticky && this.sticky[0] === neuron[0] && this.sticky[1] === neuron[1];
    this.sticky = same ? null : neuron;
    this.send({ type: "focus", neuron: this.hovered ?? this.sticky });
    this.markSticky();
  }

  markSticky() {
    for (const layer of this.thumbs) for (const c of layer) {
      c.classList.toggle("vg-selected", !!this.sticky && +c.dataset.layer === this.sticky[0] && +c.dataset.index === this.sticky[1]);
    }
  }

  // --- manual mode: dragging a weight ----------------------------------------------------------------

  startDrag(e, name, l, j, i) {
    this.send({ type: "param", name });
    if (this.isLocked("weights")) return;
    const weights = this.model.get("frame").weights;
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
    if (this.pendingWeight) { this.send(this.pendingWeight); this.pendingWeight = null; }
  }

  // --- frame: everything that moves ------------------------------------------------------------------

  onFrame() {
    const frame = this.model.get("frame");
    // A frame for another architecture than the page's (its setup is on the way): wait for it.
    if (!frame || !this.setup || frame.neurons.map((l) => l.length).join() !== this.setup.sizes.slice(1).join()) return;
    this.playButton.textContent = frame.playing ? "Pause" : "Play";
    this.playButton.classList.toggle("vg-playing", frame.playing);
    this.clock.textContent = `step ${frame.step} · epoch ${frame.epoch.toFixed(1)}`;
    const m = frame.metrics;
    this.numbers.textContent = `loss ${fmt(m.loss)} (test ${fmt(m.test_loss)}) · accuracy ${fmt(m.accuracy, 3)} (test ${fmt(m.test_accuracy, 3)})`;
    this.status.textContent = frame.error || "";
    this.status.hidden = !frame.error;
    this.root.dataset.step = frame.step;
    this.root.dataset.loss = m.loss;
    this.drawView(frame);
    frame.neurons.forEach((layer, l) => layer.forEach((map, j) => {
      const c = this.thumbs[l]?.[j];
      if (c) paintCells(c.getContext("2d"), map.size, THUMB, THUMB, signedColour(bytesOf(map.pixels)));
    }));
    for (const { line, l, j, i } of this.edgeLines) {
      const w = frame.weights[l][j][i] ?? 0;
      line.setAttribute("stroke", `rgb(${(w < 0 ? PALETTE[0] : PALETTE[1]).join(",")})`);
      line.setAttribute("stroke-width", Math.min(6, 0.4 + Math.abs(w) * 1.5).toFixed(2));
      line.classList.toggle("vg-followed", frame.param?.name === `layers.${l}.neurons.${j}.w.${i}`);
    }
    const c = frame.curves;
    drawChart(this.lossChart, [
      { xs: c.step, ys: c.loss, colour: "#333", label: "train" },
      { xs: c.step, ys: c.test_loss, colour: "#d62728", dash: true, label: "test" }], { title: "loss", ymin: 0 });
    drawChart(this.accuracyChart, [
      { xs: c.step, ys: c.accuracy, colour: "#333", label: "train" },
      { xs: c.step, ys: c.test_accuracy, colour: "#d62728", dash: true, label: "test" }],
    { title: "accuracy", ymin: 0, ymax: 1 });
    this.drawParam(frame.param);
  }

  drawView(frame) {
    const ctx = this.view.getContext("2d");
    const f = frame.focus;
    if (f) {
      paintCells(ctx, f.size, VIEW, VIEW, signedColour(bytesOf(f.pixels)));
      this.viewTitle.textContent = `${this.neuronName(f.neuron)}: blue > 0 > orange, ` +
        `the largest |output| here is ${fmt(f.scale, 3)}`;
    } else {
      const b = frame.boundary;
      paintCells(ctx, b.size, VIEW, VIEW, boundaryColour(bytesOf(b.pixels), b.classes));
      this.viewTitle.textContent = "decision boundary: filled dots train, ringed dots test; click a dot for its graph";
    }
  }

  // The points are SVG circles over the picture: they never move, and each one can be clicked.
  buildPoints() {
    const [x0, x1, y0, y1] = this.setup.domain;
    const layer = svg("svg", { class: "vg-points", width: VIEW, height: VIEW, viewBox: `0 0 ${VIEW} ${VIEW}` });
    this.pointMarks = new Map();
    for (const pt of this.points) {
      const train = pt.split === "train";
      const mark = svg("circle", { cx: (((pt.p[0] - x0) / (x1 - x0)) * VIEW).toFixed(1), cy: (((y1 - pt.p[1]) / (y1 - y0)) * VIEW).toFixed(1),
        r: train ? 3.5 : 4, fill: `rgb(${PALETTE[pt.label % PALETTE.length].join(",")})`, class: `vg-dot vg-${pt.split}`,
        "data-split": pt.split, "data-index": pt.index });
      const title = svg("title");
      title.textContent = `${pt.split} point ${pt.index}, class ${pt.label}: click for its graph`;
      mark.append(title);
      mark.addEventListener("click", (e) => { e.stopPropagation(); this.send({ type: "point", split: pt.split, index: pt.index }); });
      layer.append(mark);
      this.pointMarks.set(`${pt.split}:${pt.index}`, mark);
    }
    layer.addEventListener("click", () => this.send({ type: "point", split: null }));
    this.pointLayer.replaceChildren(layer);
    this.markSelected();
  }

  markSelected() {
    const selected = this.model.get("inspect")?.point;
    for (const [key, mark] of this.pointMarks || []) {
      mark.classList.toggle("vg-chosen", !!selected && key === `${selected.split}:${selected.index}`);
    }
  }

  // --- the followed parameter ----------------------------------------------------------------------

  drawParam(param) {
    const panel = this.paramPanel;
    if (!this.paramBuilt || this.paramBuilt !== this.setup) this.buildParamPanel();
    this.paramSelect.value = param ? param.name : "";
    this.paramBody.hidden = !param;
    if (!param) return;
    const state = Object.entries(param.state).map(([k, v]) => `${k} ${fmt(v)}`).join(" · ");
    this.paramNumbers.textContent = `value ${fmt(param.value)} · gradient ${fmt(param.grad)}${state ? ` · ${state}` : ""}`;
    if (!this.dragging && document.activeElement !== this.slider) {
      if (this.slider.dataset.name !== param.name) { // a new parameter: a range around its value
        const r = Math.max(5, Math.ceil(Math.abs(param.value) * 2));
        this.slider.min = -r;
        this.slider.max = r;
        this.slider.dataset.name = param.name;
      }
      this.slider.value = param.value;
    }
    const hs = param.history;
    drawChart(this.paramCharts[0], [{ xs: hs.step, ys: hs.value, colour: "#0877bd", label: "value" }], { title: shortName(param.name) });
    drawChart(this.paramCharts[1], [{ xs: hs.step, ys: hs.grad, colour: "#d62728", label: "gradient" }], {});
    const keys = Object.keys(param.state);
    keys.forEach((k, i) => drawChart(this.paramCharts[2 + i], [{ xs: hs.step, ys: hs[k], colour: ["#2ca02c", "#9467bd"][i], label: k }],
      { title: i ? "" : param.optimizer }));
    this.paramCharts.forEach((c, i) => { c.hidden = i >= 2 + keys.length; });
    panel.dataset.name = param.name;
  }

  buildParamPanel() {
    this.paramBuilt = this.setup;
    this.paramSelect = h("select", { class: "vg-param-select", onchange: () => this.send({ type: "param", name: this.paramSelect.value || null }) },
      h("option", { value: "" }, "follow a parameter…"), ...this.setup.names.map((n) => h("option", { value: n }, shortName(n))));
    this.paramNumbers = h("div", { class: "vg-param-numbers" });
    const locked = this.isLocked("weights");
    this.slider = h("input", { type: "range", class: "vg-weight", min: -5, max: 5, step: 0.01,
      title: locked ? "locked by the configuration" : "drag to set this weight by hand (training pauses)",
      oninput: () => this.queueWeight(this.paramSelect.value, Number(this.slider.value)) });
    this.slider.disabled = locked;
    this.paramCharts = [0, 1, 2, 3].map(() => canvas(300, 62, "vg-chart"));
    this.paramBody = h("div", {}, this.paramNumbers, h("label", { class: "vg-control" }, h("span", { class: "vg-label" }, "set by hand"), this.slider), ...this.paramCharts);
    this.paramPanel.replaceChildren(h("h3", {}, "Parameter"), this.paramSelect, this.paramBody);
  }

  // --- the clicked point's graph ---------------------------------------------------------------------

  onInspect() {
    const point = this.model.get("inspect")?.point;
    const title = h("h3", {}, "Point");
    if (!point) {
      this.pointPanel.replaceChildren(title, h("p", { class: "vg-hint" }, "Click a dot in the picture to see how the network computes its loss."));
      this.markSelected();
      return;
    }
    title.append(h("button", { class: "vg-small vg-close", title: "close", onclick: () => this.send({ type: "point", split: null }) }, "×"));
    const numbers = h("p", {}, `${point.split} point ${point.index} at (${fmt(point.x[0], 3)}, ${fmt(point.x[1], 3)}), ` +
      `class ${point.label}, predicted ${point.prediction}; loss ${fmt(point.loss)} at step ${point.step}. ` +
      "Each box: name | data | grad (∂loss/∂value); w2.3.1 is layer 2, neuron 3, from input 1.");
    const scopes = [["top", "loss and output layer"], ["all", "whole graph"], ["player", "step through backprop"]];
    if (this.sticky) scopes.push([this.sticky, `what ${this.neuronName(this.sticky)} computes`]);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const tabs = h("div", { class: "vg-scopes" }, ...scopes.map(([scope, text]) => {
      const b = h("button", { class: `vg-small${same(scope, point.scope) ? " vg-current" : ""}`,
        onclick: () => this.send({ type: "point", split: point.split, index: point.index, scope }) }, text);
      return b;
    }));
    const graph = h("div", { class: "vg-graph" });
    if (point.player) {
      // The backprop player's own page, in a sandboxed frame: its script runs there, apart from this page. A
      // srcdoc frame keeps this page's content security policy, so under `python -m nn explore` its inline
      // script and style carry this page's nonce (in Jupyter there is none to add).
      const nonce = document.querySelector("script[nonce], style[nonce]")?.nonce;
      const page = nonce ? point.player.replace(/<(script|style)(?=[\s>])/g, `<$1 nonce="${nonce}"`) : point.player;
      graph.append(h("iframe", { class: "vg-player-frame", sandbox: "allow-scripts", srcdoc: page, title: "backprop player" }));
    } else if (point.svg) {
      const doc = new DOMParser().parseFromString(point.svg, "image/svg+xml");
      graph.append(document.importNode(doc.documentElement, true));
      tabs.append(h("button", { class: "vg-small", title: "fit the graph to the panel, or back", onclick: () => graph.classList.toggle("vg-fit") }, "fit"));
    } else {
      graph.append(h("p", { class: "vg-hint" }, point.error));
    }
    this.pointPanel.replaceChildren(title, numbers, tabs, graph);
    // Big graphs scroll: start with the output's score (or, for a neuron, its output) in view.
    const wanted = Array.isArray(point.scope) && point.scope[0] < this.setup.sizes.length - 2
      ? (t) => t === `h${point.scope[0] + 1}.${point.scope[1] + 1}` : (t) => t.startsWith("score");
    const target = [...graph.querySelectorAll("text")].find((t) => wanted(t.textContent));
    if (target) {
      const box = target.getBoundingClientRect(), frame = graph.getBoundingClientRect();
      graph.scrollLeft += box.left - frame.left - frame.width / 2;
      graph.scrollTop += box.top - frame.top - frame.height / 2;
    }
    this.markSelected();
  }

  neuronName([l, j]) {
    if (l < this.setup.sizes.length - 2) return `neuron h${l + 1}.${j + 1}`;
    return this.setup.classes === 2 ? "the output score" : `the score of class ${j}`;
  }
}

// --- the two hosts ---------------------------------------------------------------------------------

function render({ model, el }) {
  const explorer = new Explorer(model, el);
  return () => explorer.destroy();
}

// anywidget's model interface over the local server's WebSocket (same token and configuration).
class SocketModel {
  constructor(url) {
    this.state = {};
    this.listeners = {};
    this.socket = new WebSocket(url);
    this.socket.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "state") {
        for (const [part, value] of Object.entries(msg.parts)) {
          this.state[part] = value;
        }
        for (const part of ["setup", "inspect", "frame"]) if (part in msg.parts) this.emit(`change:${part}`);
      } else {
        this.emit("msg:custom", msg);
      }
    };
    this.socket.onclose = (e) => this.emit("msg:custom", { type: "error",
      message: `the connection to the explorer closed (${e.reason || e.code}); restart python -m nn explore and reload` });
  }

  get(name) { return this.state[name]; }
  on(event, fn) { (this.listeners[event] ??= []).push(fn); }
  off(event, fn) { this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== fn); }
  emit(event, arg) { for (const fn of this.listeners[event] || []) fn(arg); }
  send(message) { if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message)); }
}

// The standalone page: connect to the server that served it, with the page's own query (token, configuration).
export function mount(el) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const model = new SocketModel(`${scheme}//${location.host}/ws${location.search}`);
  return render({ model, el });
}

export default { render };
