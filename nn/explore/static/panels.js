// The two panels under the picture: the followed parameter (its value, gradient and optimizer state over
// time, and a slider to set it by hand) and the clicked point (how the network computes its loss, as a
// drawn graph or in the backprop player).
import { fmt, shortName } from "./format.js";
import { canvas, h } from "./dom.js";
import { drawChart } from "./chart.js";

export class ParamPanel {
  constructor(app, box) {
    this.app = app;
    this.box = box;
    this.builtFor = null;
  }

  build() {
    const app = this.app;
    this.builtFor = app.setup;
    this.select = h("select", { class: "vg-param-select", onchange: () => app.send({ type: "param", name: this.select.value || null }) },
      h("option", { value: "" }, "follow a parameter…"), ...app.setup.names.map((n) => h("option", { value: n }, shortName(n))));
    this.numbers = h("div", { class: "vg-param-numbers" });
    const locked = app.isLocked("weights");
    this.slider = h("input", { type: "range", class: "vg-weight", min: -5, max: 5, step: 0.01,
      title: locked ? "locked by the configuration" : "drag to set this weight by hand (training pauses)",
      oninput: () => app.network.queueWeight(this.select.value, Number(this.slider.value)) });
    this.slider.disabled = locked;
    this.charts = [0, 1, 2, 3].map(() => canvas(300, 62, "vg-chart"));
    this.body = h("div", {}, this.numbers, h("label", { class: "vg-control" }, h("span", { class: "vg-label" }, "set by hand"), this.slider), ...this.charts);
    this.box.replaceChildren(h("h3", {}, "Parameter"), this.select, this.body);
  }

  draw(param) {
    if (this.builtFor !== this.app.setup) this.build();
    this.select.value = param ? param.name : "";
    this.body.hidden = !param;
    if (!param) return;
    const state = Object.entries(param.state).map(([k, v]) => `${k} ${fmt(v)}`).join(" · ");
    this.numbers.textContent = `value ${fmt(param.value)} · gradient ${fmt(param.grad)}${state ? ` · ${state}` : ""}`;
    if (!this.app.network.dragging && document.activeElement !== this.slider) {
      if (this.slider.dataset.name !== param.name) { // a new parameter: a range around its value
        const r = Math.max(5, Math.ceil(Math.abs(param.value) * 2));
        this.slider.min = -r;
        this.slider.max = r;
        this.slider.dataset.name = param.name;
      }
      this.slider.value = param.value;
    }
    const hs = param.history;
    drawChart(this.charts[0], [{ xs: hs.step, ys: hs.value, colour: "#0877bd", label: "value" }], { title: shortName(param.name) });
    drawChart(this.charts[1], [{ xs: hs.step, ys: hs.grad, colour: "#d62728", label: "gradient" }], {});
    const keys = Object.keys(param.state);
    keys.forEach((k, i) => drawChart(this.charts[2 + i], [{ xs: hs.step, ys: hs[k], colour: ["#2ca02c", "#9467bd"][i], label: k }],
      { title: i ? "" : param.optimizer }));
    this.charts.forEach((c, i) => { c.hidden = i >= 2 + keys.length; });
    this.box.dataset.name = param.name;
  }
}

export class PointPanel {
  constructor(app, box) {
    this.app = app;
    this.box = box;
  }

  draw(point) {
    const app = this.app;
    const title = h("h3", {}, "Point");
    if (!point) {
      this.box.replaceChildren(title, h("p", { class: "vg-hint" }, "Click a dot in the picture to see how the network computes its loss."));
      return;
    }
    title.append(h("button", { class: "vg-small vg-close", title: "close", onclick: () => app.send({ type: "point", split: null }) }, "×"));
    const numbers = h("p", {}, `${point.split} point ${point.index} at (${fmt(point.x[0], 3)}, ${fmt(point.x[1], 3)}), ` +
      `class ${point.label}, predicted ${point.prediction}; loss ${fmt(point.loss)} at step ${point.step}. ` +
      "Each box: name | data | grad (∂loss/∂value); w2.3.1 is layer 2, neuron 3, from input 1.");
    const scopes = [["top", "loss and output layer"], ["all", "whole graph"], ["player", "step through backprop"]];
    const sticky = app.network.sticky;
    if (sticky) scopes.push([sticky, `what ${app.neuronName(sticky)} computes`]);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const tabs = h("div", { class: "vg-scopes" }, ...scopes.map(([scope, text]) =>
      h("button", { class: `vg-small${same(scope, point.scope) ? " vg-current" : ""}`,
        onclick: () => app.send({ type: "point", split: point.split, index: point.index, scope }) }, text)));
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
    this.box.replaceChildren(title, numbers, tabs, graph);
    // Big graphs scroll: start with the output's score (or, for a neuron, its output) in view.
    const wanted = Array.isArray(point.scope) && point.scope[0] < app.setup.sizes.length - 2
      ? (t) => t === `h${point.scope[0] + 1}.${point.scope[1] + 1}` : (t) => t.startsWith("score");
    const target = [...graph.querySelectorAll("text")].find((t) => wanted(t.textContent));
    if (target) {
      const box = target.getBoundingClientRect(), frame = graph.getBoundingClientRect();
      graph.scrollLeft += box.left - frame.left - frame.width / 2;
      graph.scrollTop += box.top - frame.top - frame.height / 2;
    }
  }
}
