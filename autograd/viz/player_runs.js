// The backprop player's views and steps (autograd/viz/player.js): what each view draws, how
// backward()'s steps group into runs in it, and the captions and counter that say so. Pure
// functions of the page's data, for tests/js/player.test.mjs.
//
// This is an ES module of the player, put together with the others into one script by
// autograd/viz/player.py (a page's inline script cannot import files).

const LISTED = 6; // Values a box's caption names before it says "and N more"

// The item each Value is drawn as in a view, from its run-length encoding [[item, count], ...]:
// "v<i>" its own record, or a box: "g<k>" group k, closed; "r<k>" the rest of group k around
// the group opened; "p<k>" group k's leaves, when it has many (autograd/viz/views.py).
export function decodeItems(runs) {
  const items = [];
  for (const [item, count] of runs) {
    for (let j = 0; j < count; j++) { items.push(item === "v" ? "v" + items.length : item); }
  }
  return items;
}

// How many Values each item holds, and how many of them have a gradient so far: item -> [known, all].
export function countGrads(items, grads, needed) {
  const counts = new Map();
  for (const i of needed) {
    const entry = counts.get(items[i]) || [0, 0];
    entry[0] += grads[i] === null ? 0 : 1;
    entry[1] += 1;
    counts.set(items[i], entry);
  }
  return counts;
}

// backward()'s steps seen in one view: [first, last] step indices of each run of consecutive
// steps whose nodes are drawn as the same item. The seed (step 0) is a run of its own.
export function runsOf(nodes, items) {
  const runs = [];
  nodes.forEach((node, k) => {
    const run = runs[runs.length - 1];
    if (k > 1 && items[nodes[run[0]]] === items[node]) { run[1] = k; } else { runs.push([k, k]); }
  });
  return runs;
}

// The index of the run that holds step k (runs cover every step, in order).
export function runHolding(runs, k) {
  let lo = 0, hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid][0] <= k) { lo = mid; } else { hi = mid - 1; }
  }
  return lo;
}

// The chain of groups from the outermost down to g (indices).
export function ancestry(parents, g) {
  const chain = [];
  for (let h = g; h >= 0; h = parents[h]) { chain.unshift(h); }
  return chain;
}

// What the box `item` did in the run [first, last] of backward()'s steps, in words: where the
// gradient came in (its Values that received gradient from outside the box, with their grads
// when they pushed), and where it went out (the Values outside it it pushed to, and their grads
// after the run). `steps[k]` has node, grad (its gradient, written) and set ([i, before, after]).
// `entered` holds the Values that receive gradient from a step drawn as another item.
export function boxCaption(run, item, steps, items, names, label, entered) {
  const [first, last] = run, count = last - first + 1;
  const arrived = [], sent = new Map();
  for (let k = first; k <= last; k++) {
    const step = steps[k];
    if (entered.has(step.node)) { arrived.push(names[step.node] + ".grad = " + step.grad); }
    for (const [i, , after] of step.set) {
      if (items[i] !== item) { sent.set(i, after); }
    }
  }
  const listed = (texts) => texts.slice(0, LISTED).join(", ")
    + (texts.length > LISTED ? ", and " + (texts.length - LISTED) + " more" : "");
  const out = Array.from(sent, ([i, after]) => names[i] + " (" + after + ")");
  const lines = [
    "The gradient flows back through the box “" + label + "”: " + count + " of backward()'s steps ("
      + first + "–" + last + "), one per node inside it.",
    arrived.length ? "In: " + listed(arrived) + "." : "In: its nodes' gradients came from earlier steps inside the box.",
    out.length ? "Out, to " + out.length + " Value" + (out.length === 1 ? "" : "s") + " outside it: " + listed(out) + "."
      : "Out: nothing leaves it yet.",
    "Click the box to open it and step through it node by node.",
  ];
  return lines.join("\n");
}

// The Values that receive gradient from a step whose node is drawn as another item than theirs.
export function enteredFromOutside(steps, items) {
  const entered = new Set();
  for (const step of steps) {
    for (const [i] of step.set) {
      if (items[i] !== items[step.node]) { entered.add(i); }
    }
  }
  return entered;
}

// One push's line of a caption, as autograd/viz/steps.py's _caption writes it: the partial
// derivative (its formula, and its number when that differs), and the sum it adds to.
export function pushLine(name, pname, formula, local, grad, before, after, written) {
  const value = formula === local ? "" : " = " + local;
  const was = before === null ? null : before.replace(/^grad /, ""), now = after.replace(/^grad /, "");
  const result = was === null || Number(was) === 0 ? now : was + " + " + written + " = " + now;
  return "∂" + name + "/∂" + pname + " = " + formula + value + ";  " + pname + ".grad += " + local + " × " + grad
    + "  →  " + result;
}

// A node's whole caption: its first line (from the page), then a line per push, the first
// `shown.pushes` of them; a node that pushes nothing says so (`shown.none`).
export function nodeCaptionText(step, k, names, shown) {
  const lines = [step.caption];
  if (k === 0) { return step.caption; }
  const count = step.set.length, listed = count > shown.pushes + 1 ? shown.pushes : count;
  for (let j = 0; j < listed; j++) {
    const [i, before, after] = step.set[j];
    lines.push(pushLine(names[step.node], names[i], step.formulas[j], step.edges[j][1], step.grad, before, after,
      step.answers[j][2]));
  }
  if (listed < count) { lines.push("… and " + (count - listed) + " more inputs, each the same way (see the drawing)."); }
  if (count === 0) { lines.push(shown.none); }
  return lines.join("\n");
}

// A node's caption, numbered as run r of `runs` when the view groups steps into runs.
export function nodeCaption(caption, r, runs, total) {
  if (runs.length === total) { return caption; }
  return caption.replace(/^Step (\d+) of (\d+):/, "Step " + r + " of " + (runs.length - 1) + " (backward() step $1 of $2):");
}

// The counter's text for run r of `runs`.
export function counterText(r, runs, total) {
  const [first, last] = runs[r], own = runs.length === total;
  const detail = own || first === last ? "" : " (backward() steps " + first + "–" + last + ")";
  return "step " + r + " of " + (runs.length - 1) + detail;
}
