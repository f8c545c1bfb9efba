// The explorer's words and numbers: how values, parameter names and the server's bytes are read and shown.
// Pure functions (no page needed), unit-tested in tests/js/explorer.test.mjs.

// A number to `digits` significant digits, or "–" for a missing one (null: a nan or an infinity in JSON).
export const fmt = (x, digits = 4) => (x === null || x === undefined ? "–" : Number(x).toPrecision(digits));

// The bytes of a picture, sent as base64 text inside the JSON state.
export const bytesOf = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

// A parameter's name in the model ("layers.0.neurons.3.w.1", counted from 0) in the picture's words,
// counted from 1 like x1 and x2: "w1.4.2" is layer 1, neuron 4, from input 2.
export function shortName(name) {
  const m = /^layers\.(\d+)\.neurons\.(\d+)\.(w\.(\d+)|b)$/.exec(name);
  if (!m) return name;
  return m[3] === "b" ? `b${+m[1] + 1}.${+m[2] + 1}` : `w${+m[1] + 1}.${+m[2] + 1}.${+m[4] + 1}`;
}

// A neuron [layer, index] (counted from 0) in words: "neuron h1.3", or the output's score.
export function neuronName([l, j], sizes, classes) {
  if (l < sizes.length - 2) return `neuron h${l + 1}.${j + 1}`;
  return classes === 2 ? "the output score" : `the score of class ${j}`;
}

// Whether a frame was made for the network `sizes` (a frame may arrive before its architecture's setup).
export const frameFits = (frame, sizes) => frame.neurons.map((l) => l.length).join() === sizes.slice(1).join();
