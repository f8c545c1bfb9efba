// Unit tests of the explorer's pure functions (nn/explore/static), with Node's test runner:
//   node --test tests/js/
// The references are worked out by hand in each test's comment.
import { test } from "node:test";
import assert from "node:assert/strict";

import { bytesOf, fmt, frameFits, neuronName, shortName } from "../../nn/explore/static/format.js";
import { PALETTE, WHITE, boundaryColour, edgeStyle, inputColour, mix, signedColour } from "../../nn/explore/static/colour.js";
import { chartRange } from "../../nn/explore/static/chart.js";
import { shownKeys, sliderScale } from "../../nn/explore/static/controls.js";
import { nodePosition, THUMB } from "../../nn/explore/static/network.js";
import { toPixels } from "../../nn/explore/static/boundary.js";
import { StateModel, WorkerModel, socketURL } from "../../nn/explore/static/transport.js";

test("fmt shows significant digits, and a dash for a missing number", () => {
  assert.equal(fmt(0.123456), "0.1235");
  assert.equal(fmt(2, 3), "2.00");
  assert.equal(fmt(null), "–");
  assert.equal(fmt(undefined), "–");
});

test("shortName counts layers, neurons and inputs from 1", () => {
  assert.equal(shortName("layers.0.neurons.3.w.1"), "w1.4.2");
  assert.equal(shortName("layers.2.neurons.0.b"), "b3.1");
  assert.equal(shortName("something.else"), "something.else");
  assert.equal(shortName("layers.0.neurons.3.w"), "layers.0.neurons.3.w");
});

test("neuronName names hidden neurons and the output's scores", () => {
  const sizes = [2, 8, 8, 1];
  assert.equal(neuronName([0, 2], sizes, 2), "neuron h1.3");
  assert.equal(neuronName([1, 7], sizes, 2), "neuron h2.8");
  assert.equal(neuronName([2, 0], sizes, 2), "the output score");
  assert.equal(neuronName([1, 2], [2, 4, 3], 3), "the score of class 2");
});

test("bytesOf decodes base64", () => {
  assert.deepEqual([...bytesOf("AAF/gP8=")], [0, 1, 127, 128, 255]);
});

test("frameFits compares a frame's layers with the architecture", () => {
  const frame = { neurons: [[{}, {}, {}], [{}]] };
  assert.equal(frameFits(frame, [2, 3, 1]), true);
  assert.equal(frameFits(frame, [2, 4, 1]), false);
  assert.equal(frameFits(frame, [2, 3, 3, 1]), false);
});

test("colours: mix, a neuron's sign, the boundary's probability and the inputs", () => {
  assert.deepEqual(mix([0, 0, 0], [255, 100, 10], 0.5), [128, 50, 5]);
  const sign = signedColour([127, 0, 254]);
  assert.deepEqual(sign(0), WHITE); // zero is white
  assert.deepEqual(sign(1), mix(WHITE, PALETTE[0], 0.85)); // -1: orange at 85%
  assert.deepEqual(sign(2), mix(WHITE, PALETTE[1], 0.85)); // +1: blue at 85%
  const two = boundaryColour([0, 255, 128], 2);
  assert.deepEqual(two(0), mix(WHITE, PALETTE[0], 0.7)); // p = 0: orange, (0.5 - 0) * 1.4
  assert.deepEqual(two(1), mix(WHITE, PALETTE[1], 0.7));
  assert.deepEqual(two(2), mix(WHITE, PALETTE[1], (128 / 255 - 0.5) * 1.4));
  // three classes: class 2 with confidence 1 is its colour at 70%; a confidence of 1/3 (a tie) is white
  const three = boundaryColour([2, 255, 1, 85], 3);
  assert.deepEqual(three(0), mix(WHITE, PALETTE[2], 0.7));
  assert.deepEqual(three(1), WHITE);
  const x1 = inputColour(0, 5);
  assert.deepEqual(x1(0), mix(WHITE, PALETTE[0], 0.85)); // left edge: x1 = -1
  assert.deepEqual(x1(2), WHITE); // the middle column: x1 = 0
  assert.deepEqual(inputColour(1, 5)(0), mix(WHITE, PALETTE[1], 0.85)); // top row: x2 = +1
});

test("edgeStyle: the colour by sign, the width by size, at most 6", () => {
  assert.deepEqual(edgeStyle(-1), { stroke: `rgb(${PALETTE[0].join(",")})`, width: "1.90" });
  assert.deepEqual(edgeStyle(0), { stroke: `rgb(${PALETTE[1].join(",")})`, width: "0.40" });
  assert.equal(edgeStyle(100).width, "6.00");
});

test("chartRange: given bounds, the data's own, and a flat or empty series", () => {
  const s = [{ xs: [0, 1, 2], ys: [3, null, 1] }];
  assert.deepEqual(chartRange(s), { lo: 1, hi: 3, x0: 0, x1: 2 });
  assert.deepEqual(chartRange(s, { ymin: 0 }), { lo: 0, hi: 3, x0: 0, x1: 2 });
  assert.deepEqual(chartRange([{ xs: [5], ys: [2] }]), { lo: 1.5, hi: 2.5, x0: 5, x1: 6 });
  assert.equal(chartRange([{ xs: [], ys: [] }]), null);
  assert.equal(chartRange([{ xs: [1], ys: [null] }]), null);
});

test("shownKeys hides hidden settings and those that mean nothing here", () => {
  const schema = ["dataset", "samples", "classes", "hidden", "optimizer", "lr", "momentum"].map((key) => ({ key }));
  const setup = { schema, hidden: ["samples"], config: { dataset: "moons", optimizer: "adam" } };
  assert.deepEqual(shownKeys(setup), { Data: ["dataset"], Model: ["hidden"], Training: ["optimizer", "lr"] });
  setup.config = { dataset: "spirals", optimizer: "sgd" };
  assert.deepEqual(shownKeys(setup), { Data: ["dataset", "classes"], Model: ["hidden"], Training: ["optimizer", "lr", "momentum"] });
});

test("sliderScale: log sliders in quarter decades, integers in whole steps", () => {
  const lr = sliderScale({ log: true, low: 1e-4, high: 10, kind: "float" });
  assert.deepEqual([lr.lo, lr.hi, lr.step], [-4, 1, 0.25]);
  assert.equal(lr.read("-1"), 0.1);
  assert.equal(lr.read("-1.25"), 0.056); // 10 ** -1.25 = 0.0562…, two digits
  assert.equal(lr.position(0.01), -2);
  const n = sliderScale({ low: 10, high: 1000 - 1, kind: "int" });
  assert.equal(n.step, 10);
  assert.equal(n.read("41.6"), 42);
  const noise = sliderScale({ low: 0, high: 0.5, kind: "float" });
  assert.equal(noise.step, 0.005);
  assert.equal(noise.read("0.123456"), 0.1235);
});

test("nodePosition centres each layer's column", () => {
  const sizes = [2, 4, 1];
  assert.deepEqual(nodePosition(sizes, 0, 0), [10 + THUMB / 2, 20 + 0.5 * 44 + 44]); // 2 of 4 rows: one row down
  assert.deepEqual(nodePosition(sizes, 1, 3), [80 + THUMB / 2, 20 + 3.5 * 44]);
  assert.deepEqual(nodePosition(sizes, 2, 0), [150 + THUMB / 2, 20 + 0.5 * 44 + 1.5 * 44]);
});

test("toPixels maps the domain onto the picture, y upwards", () => {
  assert.deepEqual(toPixels([-1, 1], [-1, 1, -1, 1], 100), [0, 0]);
  assert.deepEqual(toPixels([1, -1], [-1, 1, -1, 1], 100), [100, 100]);
  assert.deepEqual(toPixels([0.5, 0], [0, 2, -1, 1], 380), [95, 190]);
});

test("socketURL keeps the page's query and picks the scheme", () => {
  assert.equal(socketURL({ protocol: "http:", host: "127.0.0.1:8000", search: "?token=t" }), "ws://127.0.0.1:8000/ws?token=t");
  assert.equal(socketURL({ protocol: "https:", host: "h", search: "" }), "wss://h/ws");
});

test("StateModel keeps each part and announces setup, inspect, then frame", () => {
  const sent = [], heard = [];
  const model = new StateModel((m) => sent.push(m));
  for (const e of ["change:setup", "change:frame", "change:inspect", "msg:custom"]) model.on(e, (arg) => heard.push(arg ? `${e} ${arg.type}` : e));
  model.receive({ type: "state", parts: { frame: { step: 1 }, setup: { sizes: [2, 1] } } });
  assert.deepEqual(heard, ["change:setup", "change:frame"]);
  assert.deepEqual(model.get("frame"), { step: 1 });
  model.receive({ type: "error", message: "no" });
  assert.equal(heard.at(-1), "msg:custom error");
  model.send({ type: "play" });
  assert.deepEqual(sent, [{ type: "play" }]);
  const fn = () => heard.push("again");
  model.on("change:frame", fn);
  model.off("change:frame", fn);
  model.receive({ type: "state", parts: { frame: { step: 2 } } });
  assert.equal(heard.at(-1), "change:frame");
});

test("WorkerModel carries its channel's messages only", () => {
  const listeners = [], posted = [];
  const worker = { postMessage: (m) => posted.push(m), addEventListener: (t, f) => listeners.push(f),
    removeEventListener: (t, f) => listeners.splice(listeners.indexOf(f), 1) };
  const model = new WorkerModel(worker);
  let frames = 0;
  model.on("change:frame", () => frames++);
  for (const f of listeners) f({ data: { channel: "run", message: { type: "state", parts: { frame: {} } } } });
  assert.equal(frames, 0);
  for (const f of listeners) f({ data: { channel: "explorer", message: { type: "state", parts: { frame: { step: 3 } } } } });
  assert.equal(frames, 1);
  model.send({ type: "step", count: 1 });
  assert.deepEqual(posted, [{ channel: "explorer", message: { type: "step", count: 1 } }]);
  model.close();
  assert.equal(listeners.length, 0);
});
