// The explorer's settings panel: one control per setting of nn/explore/config.py's schema, in three groups.
// A change sends {"type": "set", key, value}; the server checks it and answers with a new setup.
import { fmt } from "./format.js";
import { h } from "./dom.js";

export const GROUPS = {
  Data: ["dataset", "samples", "noise", "test_size", "classes", "seed"],
  Model: ["hidden", "activation"],
  Training: ["optimizer", "lr", "momentum", "batch_size", "l2", "speed"],
};

// The keys each group shows for this setup: hidden settings go, and so do those the configuration makes
// meaningless (classes for a two-class data set, momentum for Adam). Pure, unit-tested.
export function shownKeys(setup) {
  const known = new Set(setup.schema.map((s) => s.key));
  const { config } = setup;
  const shown = (key) => known.has(key) && !setup.hidden.includes(key)
    && !(key === "classes" && !["spirals", "blobs"].includes(config.dataset))
    && !(key === "momentum" && config.optimizer !== "sgd");
  return Object.fromEntries(Object.entries(GROUPS).map(([group, keys]) => [group, keys.filter(shown)]));
}

// A slider's scale: its [low, high] and step, and how its position reads as a value. Log sliders
// (learning rates) move in quarter decades from 1e-4. Pure, unit-tested.
export function sliderScale(s) {
  const log = s.log;
  const [lo, hi] = log ? [-4, Math.log10(s.high)] : [s.low, s.high];
  const step = log ? 0.25 : s.kind === "int" ? (s.high - s.low > 200 ? 10 : 1) : (s.high - s.low) / 100;
  const read = (position) => (log ? Number((10 ** Number(position)).toPrecision(2))
    : s.kind === "int" ? Math.round(Number(position)) : Number(Number(position).toFixed(4)));
  const position = (value) => (log ? Math.log10(value) : value);
  return { lo, hi, step, read, position };
}

// The controls' panel, filled into `box` for `app` (the explorer: setup, isLocked, send).
export function buildControls(box, app) {
  const { schema, config } = app.setup;
  const byKey = Object.fromEntries(schema.map((s) => [s.key, s]));
  box.replaceChildren();
  for (const [group, keys] of Object.entries(shownKeys(app.setup))) {
    if (!keys.length) continue;
    box.append(h("fieldset", { class: "vg-group" }, h("legend", {}, group), ...keys.map((key) => control(app, byKey[key], config[key]))));
  }
}

function control(app, s, value) {
  const locked = app.isLocked(s.key);
  const set = (v) => app.send({ type: "set", key: s.key, value: v });
  const shown = h("span", { class: "vg-value" });
  let input;
  if (s.kind === "choice") {
    input = h("select", { onchange: () => set(input.value) }, ...s.choices.map((c) => h("option", { value: c }, c)));
    input.value = value;
  } else if (s.kind === "sizes") {
    input = sizesControl(value, set, locked);
  } else if (s.high >= 1000) { // seeds and batch sizes: typed in
    input = h("input", { type: "number", min: s.low, max: s.high, step: 1, value,
      onchange: () => set(Math.round(Number(input.value))) });
    if (s.key === "batch_size") shown.textContent = value === 0 ? "all" : "";
  } else {
    const scale = sliderScale(s);
    const show = (v) => (s.kind === "int" ? String(v) : fmt(v, 3));
    input = h("input", { type: "range", min: scale.lo, max: scale.hi, step: scale.step, value: scale.position(value),
      oninput: () => { shown.textContent = show(scale.read(input.value)); }, onchange: () => set(scale.read(input.value)) });
    shown.textContent = show(value);
  }
  input.disabled = locked;
  // A <label> clicks its first button when clicked: the widths' row (− and + buttons) is a <div>.
  return h(s.kind === "sizes" ? "div" : "label", { class: `vg-control${locked ? " vg-locked" : ""}`, "data-key": s.key,
    title: locked ? `${s.help} (locked by the configuration)` : s.help }, h("span", { class: "vg-label" }, s.label), input, shown);
}

function sizesControl(sizes, set, locked) {
  const box = h("span", { class: "vg-sizes" });
  box.append(h("button", { class: "vg-small", title: "remove the last hidden layer", onclick: (e) => { e.preventDefault(); if (sizes.length) set(sizes.slice(0, -1)); } }, "−"));
  sizes.forEach((n, i) => {
    const input = h("input", { type: "number", min: 1, max: 16, value: n, class: "vg-width",
      onchange: () => set(sizes.map((m, k) => (k === i ? Math.round(Number(input.value)) : m))) });
    box.append(input);
  });
  box.append(h("button", { class: "vg-small", title: "add a hidden layer", onclick: (e) => { e.preventDefault(); if (sizes.length < 6) set([...sizes, 4]); } }, "+"));
  if (locked) box.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
  return box;
}
