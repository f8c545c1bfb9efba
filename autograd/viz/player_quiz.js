// The backprop player's quiz (autograd/viz/player.js): reading a learner's answer, judging it, and
// the rows of the quiz panel. parseAnswer and isRight are pure, for tests/js/player.test.mjs.
//
// This is an ES module of the player, put together with the others into one script by
// autograd/viz/player.py (a page's inline script cannot import files).

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
  } catch {
    return null;
  }
}

// Whether `given` is `want` within rtol of it (or atol, for 0); nan matches nan, inf its own sign.
export function isRight(given, want, rtol, atol) {
  if (Number.isNaN(want) || Number.isNaN(given)) { return Number.isNaN(want) && Number.isNaN(given); }
  if (!Number.isFinite(want) || !Number.isFinite(given)) { return given === want; }
  return Math.abs(given - want) <= Math.max(rtol * Math.abs(want), atol);
}

// A new element: `tag` with class `className` and text `text` (both optional).
export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) { el.className = className; }
  if (text !== undefined) { el.textContent = text; }
  return el;
}

// Fill the quiz panel's `rows` for `step`: a row per Value that receives gradient, with an input
// for what it receives (holding `given[j]`, the answer already checked, if any). Enter in an
// input calls `check`.
export function answerRows(rows, step, given, check) {
  rows.textContent = "";
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
}

// Mark each of the `panel`'s answers right or wrong (within rtol, or atol at 0); an answer that
// is not a number is asked for again.
export function judge(panel, step, given, rtol, atol) {
  const rows = panel.querySelectorAll(".vg-answer");
  step.answers.forEach(([, want, written], j) => {
    const value = parseAnswer(given[j]), verdict = rows[j].querySelector(".vg-verdict");
    const right = value !== null && isRight(value, Number(want), rtol, atol);
    rows[j].classList.toggle("vg-right", right);
    rows[j].classList.toggle("vg-wrong", !right);
    verdict.textContent = value === null ? "✗ not a number I can read"
      : right ? "✓ right" : "✗ not quite: it is " + written;
  });
}
