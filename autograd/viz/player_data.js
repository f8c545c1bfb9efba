// What the backprop player's page holds (autograd/viz/player.js): its data as JSON, plain or
// gzipped and base64-encoded, and Graphviz in WebAssembly, which lays out the views that Python
// did not.
//
// This is an ES module of the player, put together with the others into one script by
// autograd/viz/player.py (a page's inline script cannot import files).

// The text of gzipped, base64-encoded bytes (a promise): the browser's own DecompressionStream.
export function gunzip(base64) {
  const text = atob(base64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); } // Uint8Array.from takes seconds here

  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

// Each step's changes as [Value, its grad text before, after] (the page holds only "after":
// "before" is what the last change to that Value left, or null when it is the first).
export function withBefore(steps) {
  const now = new Map();
  for (const step of steps) {
    for (const change of step.set) {
      const i = change[0], after = change[1], before = now.get(i);
      change[1] = before === undefined ? null : before;
      change[2] = after;
      now.set(i, after);
    }
  }
  return steps;
}

// The steps, from their columns (a list per field, one entry per step) into one object each.
export function rows(columns) {
  const c = columns, steps = new Array(c.node.length), none = [];
  for (let k = 0; k < steps.length; k++) { // literal objects: the same shape for all, fast to make and read
    steps[k] = {
      node: c.node[k], grad: (c.grad || none)[k], caption: (c.caption || none)[k], formulas: (c.formulas || none)[k],
      set: c.set[k], edges: (c.edges || none)[k], question: (c.question || none)[k], answers: (c.answers || none)[k],
    };
  }
  return steps;
}

// The player's data from the text of its script.vg-data: a promise when it is gzipped.
export function readData(text) {
  const data = JSON.parse(text);
  const ready = (d) => { d.steps = withBefore(rows(d.steps)); return d; };
  return data.gzip === undefined ? ready(data) : gunzip(data.gzip).then((json) => ready(JSON.parse(json)));
}

let engine = null; // a promise of Graphviz (viz.js's instance), made once per page

// Graphviz in WebAssembly, from the player's script.vg-layout (vendored; nothing is fetched).
// Its text is gzipped, and run as a script of the page once unpacked.
function graphviz(root) {
  if (engine === null) {
    const source = root.querySelector("script.vg-layout");
    const loaded = globalThis.Viz ? Promise.resolve() : gunzip(source.textContent.trim()).then((text) => {
      const script = document.createElement("script");
      script.nonce = source.nonce; // a page with a content security policy gave its scripts one
      script.textContent = text;
      document.head.appendChild(script);
    });
    engine = loaded.then(() => globalThis.Viz.instance());
  }
  return engine;
}

// The SVG text of a view: laid out the first time, then kept.
export function svgOf(view, root) {
  if (view.svg === undefined) {
    view.svg = graphviz(root).then((viz) => viz.renderString(view.dot, { format: "svg" }));
  }
  return view.svg;
}
