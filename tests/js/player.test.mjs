// Unit tests of the backprop player's pure functions (autograd/viz/player_*.js), with Node's own
// test runner and no packages: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { readData, rows, withBefore } from "../../autograd/viz/player_data.js";
import { isRight, parseAnswer } from "../../autograd/viz/player_quiz.js";
import {
  ancestry, boxCaption, countGrads, counterText, decodeItems, enteredFromOutside, nodeCaption, nodeCaptionText,
  pushLine, runHolding, runsOf,
} from "../../autograd/viz/player_runs.js";

test("parseAnswer reads numbers, fractions and a little arithmetic, and nothing else", () => {
  assert.equal(parseAnswer("0.5"), 0.5);
  assert.equal(parseAnswer(" -3 "), -3);
  assert.equal(parseAnswer("1/2"), 0.5);
  assert.equal(parseAnswer("2×0.25"), 0.5);
  assert.equal(parseAnswer("-(1 − 0.5)"), -0.5);
  assert.equal(parseAnswer("2^3"), 8);
  assert.equal(parseAnswer("1e-3"), 0.001);
  assert.equal(parseAnswer("inf"), Infinity);
  assert.ok(Number.isNaN(parseAnswer("nan")));
  for (const bad of ["", "x", "1 +", "(1", "alert(1)", "1".repeat(81)]) { assert.equal(parseAnswer(bad), null, bad); }
});

test("isRight allows the relative tolerance, atol at 0, and matches nan and inf exactly", () => {
  assert.ok(isRight(1.004, 1, 0.005, 1e-9));
  assert.ok(!isRight(1.006, 1, 0.005, 1e-9));
  assert.ok(isRight(1e-10, 0, 0.005, 1e-9));
  assert.ok(isRight(NaN, NaN, 0.005, 1e-9) && !isRight(1, NaN, 0.005, 1e-9));
  assert.ok(isRight(Infinity, Infinity, 0.005, 1e-9) && !isRight(-Infinity, Infinity, 0.005, 1e-9));
});

test("decodeItems expands the runs, numbering each Value's own record by its index", () => {
  assert.deepEqual(decodeItems([["v", 2], ["g3", 2], ["v", 1], ["r1", 1]]), ["v0", "v1", "g3", "g3", "v4", "r1"]);
});

test("countGrads counts each item's Values that need a gradient, and those that have one", () => {
  const items = ["v0", "g1", "g1", "g1", "p2"];
  const counts = countGrads(items, [null, "grad 1", null, null, "grad 2"], [0, 1, 2, 4]);
  assert.deepEqual(Object.fromEntries(counts), { v0: [0, 1], g1: [1, 2], p2: [1, 1] });
});

test("runsOf groups consecutive steps of one item, keeps the seed alone, and runHolding finds a step", () => {
  // steps' nodes: 5 (the root, in box g1), then 4 and 3 in g1, 2 alone, 1 in g1 again
  const items = ["v0", "g1", "v2", "g1", "g1", "g1"];
  const runs = runsOf([5, 4, 3, 2, 1], items);
  assert.deepEqual(runs, [[0, 0], [1, 2], [3, 3], [4, 4]]);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => runHolding(runs, k)), [0, 1, 1, 2, 3]);
  // every item its own: a run per step, as in a drawing with no boxes
  assert.deepEqual(runsOf([2, 1, 0], ["v0", "v1", "v2"]), [[0, 0], [1, 1], [2, 2]]);
});

test("ancestry lists a group's path from the outermost", () => {
  assert.deepEqual(ancestry([-1, 0, 1, 0], 2), [0, 1, 2]);
  assert.deepEqual(ancestry([-1, 0, 1, 0], 3), [0, 3]);
});

test("a box's caption says what came in, what went out to whom, and how to open it", () => {
  const names = ["x", "h", "y", "L"];
  const items = ["v0", "g0", "g0", "v3"];
  // step 1: L pushes to y (entering the box); steps 2-3: y pushes to h, h pushes to x (leaving it)
  const steps = [
    { node: 3, grad: "1", set: [[3, null, "grad 1"]] },
    { node: 3, grad: "1", set: [[2, null, "grad 2"]] },
    { node: 2, grad: "2", set: [[1, null, "grad 6"]] },
    { node: 1, grad: "6", set: [[0, null, "grad 0.5"]] },
  ];
  const entered = enteredFromOutside(steps, items);
  assert.deepEqual([...entered].sort(), [0, 2]);
  const text = boxCaption([2, 3], "g0", steps, items, names, "layer 1", entered);
  assert.match(text, /box “layer 1”: 2 of backward\(\)'s steps \(2–3\)/);
  assert.match(text, /In: y\.grad = 2\./);
  assert.match(text, /Out, to 1 Value outside it: x \(grad 0\.5\)\./);
  assert.match(text, /Click the box to open it/);
});

test("withBefore gives each change what the last change to that Value left, and rows rebuilds the steps", () => {
  const steps = rows({ node: [1, 1], set: [[[1, "grad 1"]], [[0, "grad 3"], [0, "grad 6"]]] });
  withBefore(steps);
  assert.deepEqual(steps.map((s) => s.set), [[[1, null, "grad 1"]], [[0, null, "grad 3"], [0, "grad 3", "grad 6"]]]);
});

test("a push's line is written as steps.py writes it: the formula, its number, and the sum", () => {
  assert.equal(pushLine("b", "a", "a", "3", "1", null, "grad 3", "3"), "∂b/∂a = a = 3;  a.grad += 3 × 1  →  3");
  assert.equal(pushLine("b", "a", "a", "3", "1", "grad 3", "grad 6", "3"),
    "∂b/∂a = a = 3;  a.grad += 3 × 1  →  3 + 3 = 6");
  assert.equal(pushLine("s", "a", "1", "1", "2", "grad 0", "grad 2", "2"), "∂s/∂a = 1;  a.grad += 1 × 2  →  2");
  const step = { node: 2, caption: "Step 1 of 1: b = a·a ...", grad: "1", formulas: ["a", "a"],
    set: [[0, null, "grad 3"], [0, "grad 3", "grad 6"]], edges: [[0, "3"], [1, "3"]], answers: [["a", 3, "3"], ["a", 3, "3"]] };
  const shown = { pushes: 7, none: "It has no inputs that need a gradient." };
  assert.equal(nodeCaptionText(step, 1, ["a", "", "b"], shown),
    "Step 1 of 1: b = a·a ...\n∂b/∂a = a = 3;  a.grad += 3 × 1  →  3\n∂b/∂a = a = 3;  a.grad += 3 × 1  →  3 + 3 = 6");
  const wide = { ...step, formulas: ["a"], set: Array(9).fill([0, null, "grad 3"]), edges: Array(9).fill([0, "3"]),
    answers: Array(9).fill(["a", 3, "3"]) };
  assert.match(nodeCaptionText(wide, 1, ["a", "", "b"], { pushes: 1, none: "" }), /… and 8 more inputs/);
  assert.equal(nodeCaptionText({ ...step, set: [], formulas: null }, 1, ["a", "", "b"], shown).split("\n")[1], shown.none);
});

test("counters and captions number the runs when a view groups steps", () => {
  assert.equal(counterText(1, [[0, 0], [1, 1]], 2), "step 1 of 1");
  assert.equal(counterText(1, [[0, 0], [1, 5], [6, 6]], 7), "step 1 of 2 (backward() steps 1–5)");
  assert.equal(nodeCaption("Step 6 of 6: x", 2, [[0, 0], [1, 5], [6, 6]], 7), "Step 2 of 2 (backward() step 6 of 6): x");
  assert.equal(nodeCaption("Step 1 of 1: x", 1, [[0, 0], [1, 1]], 2), "Step 1 of 1: x");
});

test("readData reads plain JSON at once, and gzipped JSON through DecompressionStream", async () => {
  const data = { names: ["a"], steps: { node: [0], set: [[[0, "grad 1"]]] } };
  const plain = readData(JSON.stringify(data));
  assert.deepEqual([plain.steps[0].node, plain.steps[0].set], [0, [[0, null, "grad 1"]]]);
  const packed = gzipSync(Buffer.from(JSON.stringify(data))).toString("base64");
  const unpacked = await readData(JSON.stringify({ gzip: packed }));
  assert.deepEqual(unpacked.steps, plain.steps);
});
