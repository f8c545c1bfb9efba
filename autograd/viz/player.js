// The backprop player: one drawing of the graph, restyled at every step of the backward pass.
//
// autograd/viz/player.py writes each player as a div of class vg-player holding the controls
// (.vg-prev, .vg-play, .vg-next, the range input .vg-slider, the text .vg-counter and the
// checkbox .vg-quiz-switch), the quiz panel .vg-quiz, the caption .vg-caption, the drawing
// (.vg-canvas, one SVG whose elements have ids "<player id>-v3" for Value 3's record, "-v3_op"
// for its op node and "-v3_e0" for the edge of its operand 0) and the steps as JSON in
// script.vg-data (written by autograd/viz/playback.py, which describes them).
//
// This file is an ES module with two uses. On a page it is an inline <script type="module">:
// it starts every player that has not been started yet, so a notebook with several players,
// each followed by its own copy, starts each once. In Jupyter it is the anywidget module: its
// default export renders a player from the widget's "html", and keeps "step" and "quiz" in
// step with Python.

const STEP_MS = 1500; // how long Play shows each step
const SVG = "http://www.w3.org/2000/svg";

// --- reading an answer: a number, a fraction, or a little arithmetic -------------------------

// The value of an answer such as "0.5", "-3", "1/2", "2*0.25", "1e-3", "-(1 - 0.5)" or "inf",
// or null when it is not one. Accepts × · * / ÷ + - − ^ and parentheses; nothing is evaluated
// by the browser, the text is parsed here.
export function parseAnswer(text) {
  const source = String(text).trim().toLowerCase()
    .replace(/[−–]/g, "-").replace(/[×·]/g, "*").replace(/÷/g, "/").replace(/∞/g, "inf");
  if (source === "" || source.length > 80) { return null; }
  const tokens = source.match(/(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|infinity|inf|nan|\S/g);
  let at = 0;
  const peek = () => tokens[at];
  function primary() {
    const t = tokens[at++];
    if (t === "(") { const v = sum(); if (tokens[at++] !== ")") { throw new Error(")"); } return v; }
    if (t === "-") { return -power(); }
    if (t === "+") { return power(); }
    if (t === "inf" || t === "infinity") { return Infinity; }
    if (t === "nan") { return NaN; }
    if (t !== undefined && /^[\d.]/.test(t)) { return parseFloat(t); } // a number token
    throw new Error("number");
  }
  function power() {
    const base = primary();
    if (peek() === "^") { at++; return Math.pow(base, power()); }
    return base;
  }
  function product() {
    let v = power();
    while (peek() === "*" || peek() === "/") { v = tokens[at++] === "*" ? v * power() : v / power(); }
    return v;
  }
  function sum() {
    let v = product();
    while (peek() === "+" || peek() === "-") { v = tokens[at++] === "+" ? v + product() : v - product(); }
    return v;
  }
  try {
    const v = sum();
    return at === tokens.length ? v : null;
  } catch (e) {
    return null;
  }
}

// Whether `given` is `want` within rtol of it (or atol, for 0); nan matches nan, inf its own sign.
export function isRight(given, want, rtol, atol) {
  if (Number.isNaN(want) || Number.isNaN(given)) { return Number.isNaN(want) && Number.isNaN(given); }
  if (!Number.isFinite(want) || !Number.isFinite(given)) { return given === want; }
  return Math.abs(given - want) <= Math.max(rtol * Math.abs(want), atol);
}

// --- one player -------------------------------------------------------------------------------

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) { el.className = className; }
  if (text !== undefined) { el.textContent = text; }
  return el;
}

// Start the player `root`; `changed(step, quiz)` hears every change the learner makes.
// Returns {show(k), setQuiz(on)} for the Jupyter widget.
export function start(root, changed) {
  if (root.hasAttribute("data-vg-started")) { return null; }
  root.setAttribute("data-vg-started", "");
  const data = JSON.parse(root.querySelector("script.vg-data").textContent);
  const steps = data.steps, last = steps.length - 1;
  const $ = (selector) => root.querySelector(selector);
  const slider = $(".vg-slider"), counter = $(".vg-counter"), play = $(".vg-play");
  const quizSwitch = $(".vg-quiz-switch"), panel = $(".vg-quiz"), caption = $(".vg-caption");
  const canvas = $(".vg-canvas"), svg = canvas.querySelector("svg");
  const graph = svg.querySelector("g.graph");

  // the drawing's elements by their id without the player's prefix: "v3", "v3_op", "v3_e0"
  const prefix = root.id + "-", parts = new Map();
  for (const el of svg.querySelectorAll("g[id]")) {
    if (el.id.startsWith(prefix)) { parts.set(el.id.slice(prefix.length), el); }
  }
  const record = (i) => parts.get("v" + i);
  const gradText = (i) => { const texts = record(i).querySelectorAll("text"); return texts[texts.length - 1]; };
  const BIG = 1500; // drawn elements past which the flowing dashes cost more than they show
  root.classList.toggle("vg-big", parts.size > BIG);
  const natural = svg.width.baseVal.value;
  svg.style.minWidth = Math.min(natural, Math.max(natural / 2, 320)) + "px"; // shrink to fit, but stay legible

  let current = 0, applied = -1, timer = null, marked = [];
  const answered = new Map(); // step -> the learner's answers, once checked

  // Set grad field i to `text` (null: not computed yet, drawn greyed).
  function setGrad(i, text) {
    gradText(i).textContent = text === null ? data.unknown : text;
    record(i).classList.toggle("vg-pending", text === null);
  }
  // Apply or undo the steps' changes until the grads are those after step `k` (-1: before any).
  function reach(k) {
    while (applied < k) { applied++; for (const [i, , after] of steps[applied].set) { setGrad(i, after); } }
    while (applied > k) {
      const set = steps[applied].set;
      for (let j = set.length - 1; j >= 0; j--) { setGrad(set[j][0], set[j][1]); }
      applied--;
    }
  }

  function unmark() {
    for (const [el, cls] of marked) { el.classList.remove(cls); }
    for (const label of svg.querySelectorAll("text.vg-local")) { label.remove(); }
    marked = [];
  }
  function mark(el, cls) {
    if (el) { el.classList.add(cls); marked.push([el, cls]); }
  }
  // The middle of an edge, measured once: measuring right after the page changed would make
  // the browser lay the whole drawing out again, once per edge.
  const middles = new Map();
  function middle(edge) {
    if (!middles.has(edge)) {
      const path = edge.querySelector("path");
      middles.set(edge, path ? path.getPointAtLength(path.getTotalLength() / 2) : null);
    }
    return middles.get(edge);
  }
  // The local derivative, written beside the middle of the edge it multiplies along.
  function label(edge, text) {
    const at = middle(edge);
    if (!at) { return; }
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("class", "vg-local");
    t.setAttribute("x", String(at.x + 4));
    t.setAttribute("y", String(at.y - 4));
    t.setAttribute("text-anchor", "start");
    t.textContent = "×" + text;
    graph.appendChild(t);
  }
  // Scroll the drawing (not the page) so that `el` is in sight.
  function reveal(el) {
    const box = canvas.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (box.width === 0) { return; }
    if (r.left < box.left || r.right > box.right) { canvas.scrollLeft += (r.left + r.right - box.left - box.right) / 2; }
    if (r.top < box.top || r.bottom > box.bottom) { canvas.scrollTop += (r.top + r.bottom - box.top - box.bottom) / 2; }
  }

  const asking = (k) => quizSwitch.checked && k > 0 && !answered.has(k);

  // Show step k (clamped to the first and last). In quiz mode a step not answered yet shows
  // the grads from before it, and asks for what its node sends instead of telling.
  function show(k, quiet) {
    current = Math.max(0, Math.min(last, k));
    const step = steps[current], ask = asking(current);
    for (const [position] of step.edges) { // measured before anything changes
      const edge = parts.get("v" + step.node + "_e" + position);
      if (edge) { middle(edge); }
    }
    reach(ask ? current - 1 : current);
    unmark();
    mark(record(step.node), "vg-current");
    if (current > 0) {
      mark(parts.get("v" + step.node + "_op"), "vg-pushing");
      for (const [i] of step.set) { mark(record(i), "vg-receiving"); }
      for (const [position, local] of step.edges) {
        const edge = parts.get("v" + step.node + "_e" + position);
        mark(edge, "vg-pushing");
        if (edge && !ask) { label(edge, local); }
      }
    }
    caption.textContent = step.caption;
    caption.hidden = ask;
    showQuiz(step);
    slider.value = String(current);
    counter.textContent = "step " + current + " of " + last;
    root.dataset.step = String(current);
    reveal(record(step.node));
    if (!quiet && changed) { changed(current, quizSwitch.checked); }
  }

  // --- the quiz panel -----------------------------------------------------------------------

  function showQuiz(step) {
    panel.hidden = !quizSwitch.checked || current === 0;
    if (panel.hidden) { return; }
    $(".vg-question").textContent = step.question;
    const rows = $(".vg-answers");
    rows.textContent = "";
    const given = answered.get(current);
    step.answers.forEach(([who], j) => {
      const row = element("label", "vg-answer");
      row.appendChild(element("span", "vg-who", who + " receives"));
      const input = element("input", "vg-input");
      input.type = "text";
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("aria-label", "the gradient " + who + " receives");
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") { check(); } });
      row.appendChild(input);
      row.appendChild(element("span", "vg-verdict"));
      rows.appendChild(row);
      if (given) { input.value = given[j]; }
    });
    if (given) { judge(step, given); }
  }

  // Mark each answer right or wrong; an answer that is not a number is asked for again.
  function judge(step, given) {
    const rows = panel.querySelectorAll(".vg-answer");
    step.answers.forEach(([, want, written], j) => {
      const value = parseAnswer(given[j]), verdict = rows[j].querySelector(".vg-verdict");
      const right = value !== null && isRight(value, Number(want), data.rtol, data.atol);
      rows[j].classList.toggle("vg-right", right);
      rows[j].classList.toggle("vg-wrong", !right);
      verdict.textContent = value === null ? "✗ not a number I can read"
        : right ? "✓ right" : "✗ not quite: it is " + written;
    });
  }

  function check() {
    const given = Array.from(panel.querySelectorAll(".vg-input"), (input) => input.value);
    answered.set(current, given);
    show(current); // the step itself now, with its caption: the rule and the numbers
  }

  // --- the controls ---------------------------------------------------------------------------

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
  }
  $(".vg-prev").addEventListener("click", () => { stop(); show(current - 1); });
  $(".vg-next").addEventListener("click", () => { stop(); show(current + 1); });
  $(".vg-check").addEventListener("click", check);
  slider.addEventListener("input", () => { stop(); show(parseInt(slider.value, 10)); });
  quizSwitch.addEventListener("change", () => { stop(); show(current); });
  play.addEventListener("click", () => {
    if (timer !== null) { stop(); return; }
    if (current >= last) { show(0); }
    play.textContent = "Pause";
    // in quiz mode Play waits at every question until it is answered
    timer = setInterval(() => { if (current >= last || asking(current)) { stop(); } else { show(current + 1); } }, STEP_MS);
  });
  root.addEventListener("keydown", (e) => {
    // typing an answer, or on the slider, which steps by itself
    if (e.target.tagName === "INPUT" && e.target.type !== "checkbox") { return; }
    if (e.key === "ArrowRight") { stop(); show(current + 1); }
    if (e.key === "ArrowLeft") { stop(); show(current - 1); }
  });

  for (const i of data.grads) { setGrad(i, null); }
  show(0, true);
  return {
    show: (k) => { stop(); show(k, true); },
    setQuiz: (on) => { quizSwitch.checked = on; show(current, true); },
  };
}

// --- the standalone page, and Jupyter ---------------------------------------------------------

for (const root of document.querySelectorAll(".vg-player:not([data-vg-started])")) { start(root); }

// The anywidget module: the widget's model holds "html" (the player), "step" and "quiz".
export default {
  render({ model, el }) {
    el.innerHTML = model.get("html");
    const root = el.querySelector(".vg-player");
    const player = start(root, (step, quiz) => {
      model.set("step", step);
      model.set("quiz", quiz);
      model.save_changes();
    });
    const fromPython = () => {
      player.setQuiz(model.get("quiz"));
      player.show(model.get("step"));
    };
    model.on("change:step", fromPython);
    model.on("change:quiz", fromPython);
    fromPython();
    return () => {
      model.off("change:step", fromPython);
      model.off("change:quiz", fromPython);
    };
  },
};
