// The explorer's colours: orange for class 0 and negative values, blue for class 1 and positive ones.
// Each colouring is a function from a cell's index to [r, g, b]. Pure functions, unit-tested.

export const PALETTE = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75]];
export const WHITE = [255, 255, 255];

// The colour a fraction t of the way from a to b, rounded to whole channel values.
export const mix = (a, b, t) => a.map((x, i) => Math.round(x + (b[i] - x) * t));

export const rgb = (colour) => `rgb(${colour.join(",")})`;

// A neuron's output: bytes 0 … 254 with 127 at zero, orange below and blue above.
export const signedColour = (bytes) => (i) => {
  const v = (bytes[i] - 127) / 127;
  return mix(WHITE, v < 0 ? PALETTE[0] : PALETTE[1], Math.min(1, Math.abs(v)) * 0.85);
};

// The decision boundary. Two classes: one byte per cell, the probability of class 1 times 255. More
// classes: two bytes per cell, the predicted class and the confidence times 255, faded towards a tie.
export function boundaryColour(bytes, classes) {
  if (classes === 2) {
    return (i) => {
      const p = bytes[i] / 255;
      return p < 0.5 ? mix(WHITE, PALETTE[0], (0.5 - p) * 1.4) : mix(WHITE, PALETTE[1], (p - 0.5) * 1.4);
    };
  }
  return (i) => {
    const k = bytes[2 * i], confidence = bytes[2 * i + 1] / 255;
    return mix(WHITE, PALETTE[k % PALETTE.length], Math.max(0, (confidence - 1 / classes) / (1 - 1 / classes)) * 0.7);
  };
}

// An input's picture, `size` cells a side: x1 grows to the right, x2 upwards, both from -1 to 1.
export const inputColour = (j, size) => (i) => {
  const r = Math.floor(i / size), col = i % size;
  const v = j === 0 ? (2 * col) / (size - 1) - 1 : 1 - (2 * r) / (size - 1);
  return mix(WHITE, v < 0 ? PALETTE[0] : PALETTE[1], Math.abs(v) * 0.85);
};

// A weight's line in the network diagram: its colour by sign, its width by size (at most 6 pixels).
export const edgeStyle = (w) => ({ stroke: rgb(w < 0 ? PALETTE[0] : PALETTE[1]), width: Math.min(6, 0.4 + Math.abs(w) * 1.5).toFixed(2) });
