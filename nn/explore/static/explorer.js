// valuegrad's training explorer: the one front end of the Jupyter widget, of `python -m nn explore` and of
// the docs site's playground.
//
// The training runs in Python, with valuegrad. This module only draws the state it is sent and sends back
// small command messages (see nn/explore/controller.py for the whitelist). It talks to a "model" with
// anywidget's interface: get(name), on/off("change:name" | "msg:custom", callback), send(message).
// In Jupyter, anywidget provides that model and calls the default export's render(). On the standalone
// page, mount() builds the same interface over a WebSocket to the local server; the playground passes
// its own, over a Web Worker (transport.js).
//
// The state comes in three parts: `setup` (configuration, points, architecture), `frame` (what moves
// while training) and `inspect` (the clicked point's graph). The page is made of parts, one module each:
// the settings (controls.js), the big picture (boundary.js), the network diagram (network.js), the
// parameter and point panels (panels.js), the charts (chart.js). For hosts that load one module (the
// Jupyter widget, the local server), nn/explore/frontend.py joins them into one.
import { fmt, frameFits, neuronName } from "./format.js";
import { canvas, h } from "./dom.js";
import { drawChart } from "./chart.js";
import { buildControls } from "./controls.js";
import { BoundaryView, VIEW } from "./boundary.js";
import { NetworkView } from "./network.js";
import { ParamPanel, PointPanel } from "./panels.js";
import { SocketModel, socketURL } from "./transport.js";

class Explorer {
  constructor(model, el) {
    this.model = model;
    this.el = el;
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
    this.network.destroy();
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
    const networkBox = h("div", { class: "vg-network" });
    this.network = new NetworkView(this, networkBox);
    this.boundary = new BoundaryView(this);
    this.lossChart = canvas(VIEW, 120, "vg-loss");
    this.accuracyChart = canvas(VIEW, 100, "vg-accuracy");
    const picture = h("div", { class: "vg-picture" }, this.boundary.title, this.boundary.stack, this.lossChart, this.accuracyChart);
    const paramBox = h("div", { class: "vg-param" }), pointBox = h("div", { class: "vg-point" });
    this.paramPanel = new ParamPanel(this, paramBox);
    this.pointPanel = new PointPanel(this, pointBox);
    this.share = h("details", { class: "vg-share" });
    this.root.append(
      bar, this.toastBox, this.status,
      h("div", { class: "vg-main" }, this.controls, picture, networkBox),
      h("div", { class: "vg-inspect" }, paramBox, pointBox),
      this.share,
    );
    this.root.addEventListener("keydown", (e) => {
      if (e.key === " " && e.target === this.root) { e.preventDefault(); this.onButton("play"); }
    });
  }

  onButton(action) {
    if (action === "play") this.send({ type: this.model.get("frame")?.playing ? "pause" : "play" });
    else this.send({ type: action });
  }

  isLocked(name) { return this.setup.locked.includes(name) || this.setup.hidden.includes(name); }

  neuronName(neuron) { return neuronName(neuron, this.setup.sizes, this.setup.classes); }

  // --- setup: controls, the network's shape, the points --------------------------------------------

  onSetup() {
    const setup = (this.setup = this.model.get("setup"));
    for (const [action, el] of [["play", this.playButton], ["step", this.stepButton], ["reset", this.resetButton]]) {
      el.disabled = this.isLocked(action);
      el.hidden = setup.hidden.includes(action);
      el.classList.toggle("vg-locked", setup.locked.includes(action));
      if (setup.locked.includes(action)) el.title = "locked by the configuration";
    }
    buildControls(this.controls, this);
    this.network.build();
    this.boundary.buildPoints();
    if (this.model.get("frame")) this.onFrame();
    const query = setup.query ? `--config '${setup.query}'` : "";
    this.share.replaceChildren(
      h("summary", {}, "share this configuration"),
      h("p", {}, "Standalone: ", h("code", {}, `python -m nn explore ${query}`.trim())),
      h("p", {}, "Jupyter: ", h("code", {}, `Explorer(${JSON.stringify(setup.config)})`)),
    );
  }

  // --- frame: everything that moves ------------------------------------------------------------------

  onFrame() {
    const frame = this.model.get("frame");
    // A frame for another architecture than the page's (its setup is on the way): wait for it.
    if (!frame || !this.setup || !frameFits(frame, this.setup.sizes)) return;
    this.playButton.textContent = frame.playing ? "Pause" : "Play";
    this.playButton.classList.toggle("vg-playing", frame.playing);
    this.clock.textContent = `step ${frame.step} · epoch ${frame.epoch.toFixed(1)}`;
    const m = frame.metrics;
    this.numbers.textContent = `loss ${fmt(m.loss)} (test ${fmt(m.test_loss)}) · accuracy ${fmt(m.accuracy, 3)} (test ${fmt(m.test_accuracy, 3)})`;
    this.status.textContent = frame.error || "";
    this.status.hidden = !frame.error;
    this.root.dataset.step = frame.step;
    this.root.dataset.loss = m.loss;
    this.boundary.draw(frame);
    this.network.draw(frame);
    const c = frame.curves;
    drawChart(this.lossChart, [
      { xs: c.step, ys: c.loss, colour: "#333", label: "train" },
      { xs: c.step, ys: c.test_loss, colour: "#d62728", dash: true, label: "test" }], { title: "loss", ymin: 0 });
    drawChart(this.accuracyChart, [
      { xs: c.step, ys: c.accuracy, colour: "#333", label: "train" },
      { xs: c.step, ys: c.test_accuracy, colour: "#d62728", dash: true, label: "test" }],
    { title: "accuracy", ymin: 0, ymax: 1 });
    this.paramPanel.draw(frame.param);
  }

  // --- the clicked point's graph ---------------------------------------------------------------------

  onInspect() {
    this.pointPanel.draw(this.model.get("inspect")?.point);
    this.boundary.markSelected();
  }
}

// --- the hosts -------------------------------------------------------------------------------------

// anywidget's entry point, and the one for any host that brings its own model (the playground's worker).
export function render({ model, el }) {
  const explorer = new Explorer(model, el);
  return () => explorer.destroy();
}

// The standalone page: connect to the server that served it, with the page's own query (token, configuration).
export function mount(el) {
  return render({ model: new SocketModel(socketURL(location)), el });
}

export default { render };
