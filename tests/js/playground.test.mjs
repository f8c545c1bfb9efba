// Unit tests of the playground's pure functions (docs/playground), with Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";

import { INDENT, indent, lineNumbers } from "../../docs/playground/editor.js";

test("lineNumbers numbers every line, the last one too", () => {
  assert.equal(lineNumbers(""), "1");
  assert.equal(lineNumbers("a\nb"), "1\n2");
  assert.equal(lineNumbers("a\nb\n"), "1\n2\n3");
});

test("Tab with no selection inserts four spaces at the caret", () => {
  assert.deepEqual(indent("ab", 1, 1), { text: `a${INDENT}b`, start: 5, end: 5 });
});

test("Tab over a selection indents each line it touches", () => {
  const text = "x = 1\nfor i in r:\nprint(i)\nend";
  // the selection runs from inside line 2 to inside line 3
  const r = indent(text, 8, 20);
  assert.equal(r.text, "x = 1\n    for i in r:\n    print(i)\nend");
  assert.deepEqual([r.start, r.end], [12, 28]);
});

test("Shift+Tab dedents by up to four spaces, never into the text", () => {
  const text = "      a\n  b\nc";
  const r = indent(text, 0, text.length, true);
  assert.equal(r.text, "  a\nb\nc");
  assert.deepEqual([r.start, r.end], [0, r.text.length]);
  assert.equal(indent("x", 1, 1, true).text, "x");
});
