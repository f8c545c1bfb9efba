// The backprop player: a drawing of the graph, restyled at every step of the backward pass.
//
// autograd/viz/player.py writes each player as a div of class vg-player holding the controls
// (.vg-prev, .vg-play, .vg-next, the range input .vg-slider, the text .vg-counter and the
// checkbox .vg-quiz-switch), the path of open groups .vg-path, the quiz panel .vg-quiz, the
// caption .vg-caption, the drawing (.vg-canvas, one SVG whose elements have ids "<player id>-v3"
// for Value 3's record, "-v3_op" for its op node, "-v3_e0" for the edge of its operand 0, "-g2"
// for the box of group 2 and "-g2_fv3" / "-g2_fg1" for the edge into box 2 from Value 3 / box 1)
// and the data as JSON in script.vg-data (written by autograd/viz/playback.py, which describes
// it; a big graph's data comes gzipped, and the browser's own DecompressionStream unpacks it).
//
// A big graph is drawn with its groups (autograd.group, and nn's layers, neurons, heads...) as
// boxes. Each drawing ("view") is one set of open groups, laid out by Graphviz in Python; a click
// on a box shows the view where it is open. The steps are backward()'s, one per node; in a view
// they are grouped into runs: consecutive steps whose nodes are drawn as the same item (a Value,
// or a box) are one step of the player. So an open group steps node by node, a box in one go.
//
// The player is four ES modules: this one (the Player and its controls), player_runs.js (what a
// view draws and its runs of steps), player_data.js (the page's data, and Graphviz in the page)
// and player_quiz.js (answers and the quiz panel). autograd/viz/player.py puts them together into
// one script, each whole but for its imports of the others.
//
// That script has two uses. On a page it is an inline <script type="module">:
// it starts every player that has not been started yet, so a notebook with several players,
// each followed by its own copy, starts each once. In Jupyter it is the anywidget module: its
// default export renders a player from the widget's "html", and keeps "step" and "quiz" in
// step with Python. The other modules export their pure functions, for tests/js/player.test.mjs.

import { readData, svgOf } from "./player_data.js";
import { answerRows, element, judge } from "./player_quiz.js";
import {
  ancestry, boxCaption, countGrads, counterText, decodeItems, enteredFromOutside, nodeCaption, nodeCaptionText,
  runHolding, runsOf,
} from "./player_runs.js";

const STEP_MS = 1500; // how long Play shows each step
const SVG = "http://www.w3.org/2000/svg";
const BIG = 1500; // drawn elements past which the flowing dashes cost more than they show

// --- one player ---------------------------------------------------------------------------------

// The drawing's elements by their id without the player's prefix: "v3", "v3_op", "g2_fv3"...
function partsOf(svg, prefix) {
  const parts = new Map();
  for (const el of svg.querySelectorAll("g[id]")) {
    if (el.id.startsWith(prefix)) { parts.set(el.id.slice(prefix.length), el); }
  }
  return parts;
}

function lastText(el) {
  const texts = el.querySelectorAll("text");
  return texts[texts.length - 1];
}

class Player {
  constructor(root, data, changed) {
    this.root = root;
    this.data = data;
    this.changed = changed;
    this.steps = data.steps;
    this.nodes = data.steps.map((s) => s.node);
    this.groups = data.groups;
    this.parents = this.groups.map((g) => g[1]);
    this.byFocus = new Map(data.views.map((v, j) => [v.focus, j])); // the view that opens group g
    this.base = new Set(data.views[0].open); // the groups open from the start
    this.grads = new Array(data.names.length).fill(null); // the grad text of each Value, or null
    this.applied = -1; // the last step whose changes are in this.grads
    this.current = 0; // the run shown
    this.timer = null;
    this.busy = false;
    this.marked = [];
    this.answered = new Map(); // step -> the learner's answers, once checked
    const $ = (selector) => root.querySelector(selector);
    this.$ = $;
    this.slider = $(".vg-slider");
    this.play = $(".vg-play");
    this.quizSwitch = $(".vg-quiz-switch");
    this.panel = $(".vg-quiz");
    this.caption = $(".vg-caption");
    this.canvas = $(".vg-canvas");
    this.path = $(".vg-path");
    this.wire();
    this.enterView(0, this.canvas.querySelector("svg"));
    this.show(0, true);
  }

  // --- gradients: the model, and what of it is drawn --------------------------------------------

  setGrad(i, text) {
    const was = this.grads[i], item = this.items[i];
    this.grads[i] = text;
    if (item[0] === "v") { this.drawGrad(i); return; }
    if ((was === null) !== (text === null)) { this.counts.get(item)[0] += text === null ? -1 : 1; }
    this.drawBox(item);
  }
  drawGrad(i) {
    const record = this.parts.get("v" + i);
    if (!record) { return; }
    lastText(record).textContent = this.grads[i] === null ? this.data.unknown : this.grads[i];
    record.classList.toggle("vg-pending", this.grads[i] === null);
  }
  drawBox(item) {
    const box = this.parts.get(item), count = this.counts.get(item);
    if (!box || !count) { return; }
    lastText(box).textContent = "grads " + count[0] + " of " + count[1];
    box.classList.toggle("vg-pending", count[0] === 0);
  }
  // Apply or undo the steps' changes until the grads are those after step k (-1: before any).
  reach(k) {
    while (this.applied < k) {
      this.applied++;
      for (const [i, , after] of this.steps[this.applied].set) { this.setGrad(i, after); }
    }
    while (this.applied > k) {
      const set = this.steps[this.applied].set;
      for (let j = set.length - 1; j >= 0; j--) { this.setGrad(set[j][0], set[j][1]); }
      this.applied--;
    }
  }

  // --- views ------------------------------------------------------------------------------------

  // Show view j (its SVG element, already in the page or made here).
  enterView(j, svg) {
    this.view = j;
    this.items = decodeItems(this.data.views[j].items);
    this.counts = countGrads(this.items, this.grads, this.data.grads);
    this.runs = runsOf(this.nodes, this.items);
    this.entered = enteredFromOutside(this.steps, this.items);
    if (svg.parentNode !== this.canvas) { this.canvas.textContent = ""; this.canvas.appendChild(svg); }
    this.svg = svg;
    this.graph = svg.querySelector("g.graph");
    this.parts = partsOf(svg, this.root.id + "-");
    this.middles = new Map();
    this.marked = [];
    this.root.classList.toggle("vg-big", this.parts.size > BIG);
    const natural = svg.width.baseVal.value;
    svg.style.minWidth = Math.min(natural, Math.max(natural * 0.8, 320)) + "px"; // shrink to fit, but stay legible
    for (const [id, el] of this.parts) {
      if (/^v\d+$/.test(id)) { this.drawGrad(Number(id.slice(1))); }
      if (/^[grp]\d+$/.test(id)) { this.drawBox(id); }
      const g = /^g\d+$/.test(id) ? Number(id.slice(1)) : -1;
      if (g >= 0 && this.byFocus.has(g)) {
        el.classList.add("vg-box");
        el.addEventListener("click", () => this.openGroup(g));
      }
    }
    this.slider.max = String(this.runs.length - 1);
    this.drawPath();
  }
  // Switch to view j, staying at the step of backward() shown now. A view other than the first
  // is laid out the first time it is shown, by Graphviz in WebAssembly (a second or so for a
  // thousand nodes), and kept.
  switchTo(j) {
    if (j === undefined || this.busy) { return Promise.resolve(); }
    this.busy = true;
    this.root.classList.add("vg-busy");
    const ready = j === 0 ? Promise.resolve(this.first) : svgOf(this.data.views[j], this.root);
    if (this.view === 0 && this.first === undefined) { // the SVG Python laid out, kept as text
      this.unmark();
      this.first = this.svg.outerHTML;
    }
    return ready.then((text) => {
      const holder = document.createElement("div");
      holder.innerHTML = j === 0 ? text : text.replace(/ id="/g, " id=\"" + this.root.id + "-");
      const step = this.runs[this.current][1];
      this.stop();
      this.enterView(j, holder.querySelector("svg"));
      this.show(runHolding(this.runs, step));
    }).finally(() => {
      this.busy = false;
      this.root.classList.remove("vg-busy");
    });
  }
  groupName(g) { return ancestry(this.parents, g).map((h) => this.groups[h][0]).join(" › "); }
  // A box's name in a caption: its group's path, and what part of the group it holds.
  boxName(item) {
    const name = this.groupName(Number(item.slice(1)));
    return item[0] === "g" ? name : name + (item[0] === "r" ? " (the rest)" : " (leaves)");
  }
  openGroup(g) { return this.switchTo(this.byFocus.get(g)); }
  // The groups opened, outermost first, each a button that goes back to it.
  drawPath() {
    if (!this.path) { return; }
    this.path.textContent = "";
    this.path.hidden = this.data.views.length < 2;
    const focus = this.data.views[this.view].focus;
    const chain = focus < 0 ? [] : ancestry(this.parents, focus).filter((g) => !this.base.has(g));
    const overview = element("button", "vg-crumb", "all groups");
    overview.type = "button";
    overview.disabled = chain.length === 0;
    overview.addEventListener("click", () => this.switchTo(0));
    this.path.appendChild(overview);
    chain.forEach((g, j) => {
      this.path.appendChild(document.createTextNode(" › "));
      const crumb = element("button", "vg-crumb", this.groups[g][0]);
      crumb.type = "button";
      crumb.disabled = j === chain.length - 1 || !this.byFocus.has(g);
      crumb.addEventListener("click", () => this.openGroup(g));
      this.path.appendChild(crumb);
    });
  }

  // --- marking a step -----------------------------------------------------------------------------

  unmark() {
    for (const [el, cls] of this.marked) { el.classList.remove(cls); }
    for (const label of this.svg.querySelectorAll("text.vg-local")) { label.remove(); }
    this.marked = [];
  }
  mark(el, cls) {
    if (el) { el.classList.add(cls); this.marked.push([el, cls]); }
  }
  // The middle of an edge, measured once: measuring right after the page changed would make
  // the browser lay the whole drawing out again, once per edge.
  middle(edge) {
    if (!this.middles.has(edge)) {
      const path = edge.querySelector("path");
      this.middles.set(edge, path ? path.getPointAtLength(path.getTotalLength() / 2) : null);
    }
    return this.middles.get(edge);
  }
  // The local derivative, written beside the middle of the edge it multiplies along.
  label(edge, text) {
    const at = this.middle(edge);
    if (!at) { return; }
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("class", "vg-local");
    t.setAttribute("x", String(at.x + 4));
    t.setAttribute("y", String(at.y - 4));
    t.setAttribute("text-anchor", "start");
    t.textContent = "×" + text;
    this.graph.appendChild(t);
  }
  // Scroll the drawing (not the page) so that `el` is in sight.
  reveal(el) {
    if (!el) { return; }
    const box = this.canvas.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (box.width === 0) { return; }
    if (r.left < box.left || r.right > box.right) { this.canvas.scrollLeft += (r.left + r.right - box.left - box.right) / 2; }
    if (r.top < box.top || r.bottom > box.bottom) { this.canvas.scrollTop += (r.top + r.bottom - box.top - box.bottom) / 2; }
  }
  // Mark a node's own step: it (orange), its op and operand edges, and the items receiving.
  markNode(step, ask) {
    // an edge of its own per operand, or one from a box however many operands it holds
    const edges = step.edges.map(([position], j) => this.parts.get("v" + step.node + "_e" + position)
      || this.parts.get("v" + step.node + "_f" + this.items[step.set[j][0]]));
    for (const edge of edges) { if (edge) { this.middle(edge); } } // measured before anything changes
    this.mark(this.parts.get("v" + step.node + "_op"), "vg-pushing");
    for (const [i] of step.set) { this.mark(this.parts.get(this.items[i]), "vg-receiving"); }
    step.edges.forEach(([, local], j) => {
      if (edges[j] && edges[j].classList.contains("vg-pushing")) { return; } // a box's one edge: once
      this.mark(edges[j], "vg-pushing");
      if (edges[j] && !ask && !edges[j].id.includes("_f")) { this.label(edges[j], local); }
    });
  }
  // Mark a box's run: the items outside it that receive, and the edges from them into it.
  markBox(item, first, last) {
    for (let k = first; k <= last; k++) {
      for (const [i] of this.steps[k].set) {
        const to = this.items[i];
        if (to === item) { continue; }
        this.mark(this.parts.get(to), "vg-receiving");
        this.mark(this.parts.get(item + "_f" + to), "vg-pushing");
      }
    }
  }

  asking(r) {
    const [first, last] = this.runs[r];
    return this.quizSwitch.checked && first > 0 && first === last && this.items[this.nodes[first]][0] === "v"
      && !this.answered.has(first);
  }

  // Show run r (clamped to the first and last). In quiz mode a node's step not answered yet
  // shows the grads from before it, and asks for what its node sends instead of telling.
  show(r, quiet) {
    this.current = Math.max(0, Math.min(this.runs.length - 1, r));
    const [first, last] = this.runs[this.current], step = this.steps[first];
    const item = this.items[step.node], ask = this.asking(this.current), isBox = item[0] === "g" && first > 0;
    this.reach(ask ? first - 1 : last);
    this.unmark();
    this.mark(this.parts.get(item), "vg-current");
    if (isBox) { this.markBox(item, first, last); } else if (first > 0) { this.markNode(step, ask); }
    this.caption.textContent = isBox ? "Step " + this.current + " of " + (this.runs.length - 1) + ": "
      + boxCaption([first, last], item, this.steps, this.items, this.data.names,
        this.boxName(item), this.entered)
      : nodeCaption(nodeCaptionText(step, first, this.data.names, this.data.captions), this.current, this.runs,
        this.steps.length);
    this.caption.hidden = ask;
    this.showQuiz(step, isBox);
    this.slider.value = String(this.current);
    this.$(".vg-counter").textContent = counterText(this.current, this.runs, this.steps.length);
    this.root.dataset.step = String(this.current);
    this.reveal(this.parts.get(item));
    if (!quiet && this.changed) { this.changed(this.current, this.quizSwitch.checked); }
  }

  // --- the quiz panel -------------------------------------------------------------------------

  showQuiz(step, isBox) {
    const first = this.runs[this.current][0];
    this.panel.hidden = !this.quizSwitch.checked || first === 0;
    if (this.panel.hidden) { return; }
    this.$(".vg-check").hidden = isBox;
    if (isBox) {
      this.$(".vg-answers").textContent = "";
      this.$(".vg-question").textContent = "A box is many steps at once: click it to open it, and the quiz "
        + "asks about each node inside it.";
      return;
    }
    this.$(".vg-question").textContent = step.question;
    const given = this.answered.get(first);
    answerRows(this.$(".vg-answers"), step, given, () => this.check());
    if (given) { judge(this.panel, step, given, this.data.rtol, this.data.atol); }
  }

  check() {
    if (this.$(".vg-check").hidden) { return; }
    const given = Array.from(this.panel.querySelectorAll(".vg-input"), (input) => input.value);
    this.answered.set(this.runs[this.current][0], given);
    this.show(this.current); // the step itself now, with its caption: the rule and the numbers
  }

  // --- the controls -------------------------------------------------------------------------------

  stop() {
    if (this.timer !== null) { clearInterval(this.timer); this.timer = null; }
    this.play.textContent = "Play";
  }
  wire() {
    const $ = this.$, last = () => this.runs.length - 1;
    $(".vg-prev").addEventListener("click", () => { this.stop(); this.show(this.current - 1); });
    $(".vg-next").addEventListener("click", () => { this.stop(); this.show(this.current + 1); });
    $(".vg-check").addEventListener("click", () => this.check());
    this.slider.addEventListener("input", () => { this.stop(); this.show(parseInt(this.slider.value, 10)); });
    this.quizSwitch.addEventListener("change", () => { this.stop(); this.show(this.current); });
    this.play.addEventListener("click", () => {
      if (this.timer !== null) { this.stop(); return; }
      if (this.current >= last()) { this.show(0); }
      this.play.textContent = "Pause";
      // in quiz mode Play waits at every question until it is answered
      this.timer = setInterval(() => {
        if (this.current >= last() || this.asking(this.current)) { this.stop(); } else { this.show(this.current + 1); }
      }, STEP_MS);
    });
    this.root.addEventListener("keydown", (e) => {
      // typing an answer, or on the slider, which steps by itself
      if (e.target.tagName === "INPUT" && e.target.type !== "checkbox") { return; }
      if (e.key === "ArrowRight") { this.stop(); this.show(this.current + 1); }
      if (e.key === "ArrowLeft") { this.stop(); this.show(this.current - 1); }
    });
  }
}

// Start the player `root`; `changed(step, quiz)` hears every change the learner makes.
// Returns {show(k), setQuiz(on)} for the Jupyter widget, or a promise of it when the data is
// gzipped (it is unpacked first).
export function start(root, changed) {
  if (root.hasAttribute("data-vg-started")) { return null; }
  root.setAttribute("data-vg-started", "");
  const made = (data) => {
    const player = new Player(root, data, changed);
    root.setAttribute("data-vg-ready", "");
    return {
      show: (k) => { player.stop(); player.show(k, true); },
      setQuiz: (on) => { player.quizSwitch.checked = on; player.show(player.current, true); },
    };
  };
  const data = readData(root.querySelector("script.vg-data").textContent);
  return data instanceof Promise ? data.then(made) : made(data);
}

// --- the standalone page, and Jupyter ---------------------------------------------------------

if (typeof document !== "undefined") {
  for (const root of document.querySelectorAll(".vg-player:not([data-vg-started])")) { start(root); }
}

// The anywidget module: the widget's model holds "html" (the player), "step" and "quiz".
export default {
  render({ model, el }) {
    el.innerHTML = model.get("html");
    const root = el.querySelector(".vg-player");
    let player = null;
    const fromPython = () => {
      if (player === null) { return; }
      player.setQuiz(model.get("quiz"));
      player.show(model.get("step"));
    };
    const started = start(root, (step, quiz) => {
      model.set("step", step);
      model.set("quiz", quiz);
      model.save_changes();
    });
    const ready = (p) => { player = p; fromPython(); };
    if (started instanceof Promise) { started.then(ready); } else { ready(started); }
    model.on("change:step", fromPython);
    model.on("change:quiz", fromPython);
    return () => {
      model.off("change:step", fromPython);
      model.off("change:quiz", fromPython);
    };
  },
};

