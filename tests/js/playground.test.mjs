// Unit tests of the playground's pure functions (docs/playground), with Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";

import { INDENT, indent, lineNumbers } from "../../docs/playground/editor.js";
import { FORMAT, mismatch } from "../../docs/playground/snapshot.js";
import { anyType, mimeType } from "../../docs/playground/wasm.js";

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

test("a snapshot is used only for the very files it was made from", () => {
  const inputs = (runtime = [1, 2, 3], pyodide = "314.0.8") => ({
    format: FORMAT, pyodide, files: [["runtime.py", new Uint8Array(runtime)], ["vendor/wheels/v.whl", new Uint8Array([9])]],
  });
  const record = inputs();
  assert.equal(mismatch(record, inputs()), "");
  assert.equal(mismatch(undefined, inputs()), "none kept");
  assert.equal(mismatch(record, inputs([1, 2, 4])), "runtime.py has changed"); // one byte
  assert.equal(mismatch(record, inputs([1, 2])), "runtime.py has changed"); // its length
  assert.equal(mismatch(record, inputs(undefined, "314.0.9")), "Pyodide 314.0.8, not 314.0.9");
  assert.equal(mismatch({ ...record, format: FORMAT - 1 }, inputs()), `format ${FORMAT - 1}, not ${FORMAT}`);
  const renamed = inputs();
  renamed.files[1][0] = "vendor/wheels/w.whl";
  assert.match(mismatch(record, renamed), /made from runtime.py, vendor\/wheels\/v.whl, not/);
});

test("WebAssembly served with another MIME type is compiled from its bytes, not refused", async () => {
  const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); // the smallest module: its header
  const served = (type) => new Response(empty, { headers: type ? { "Content-Type": type } : {} });
  const notes = [];
  const streamed = [];
  const streaming = async (response, imports) => { streamed.push(mimeType(response)); return WebAssembly.instantiate(await response.arrayBuffer(), imports); };
  const instantiate = anyType(streaming, (text) => notes.push(text));
  for (const type of ["application/wasm", "application/wasm; charset=binary", "application/octet-stream", ""]) {
    const { instance, module } = await instantiate(Promise.resolve(served(type)), {});
    assert.ok(instance instanceof WebAssembly.Instance && module instanceof WebAssembly.Module);
  }
  assert.deepEqual(streamed, ["application/wasm", "application/wasm"]); // those two stream; the others compile from bytes
  assert.equal(notes.length, 2);
  assert.match(notes[0], /served as application\/octet-stream, not application\/wasm/);
  assert.match(notes[1], /served as no type/);
  // and the browser's own refuses them: what the wrapper is for (Node follows the same rule)
  await assert.rejects(WebAssembly.instantiateStreaming(served("application/octet-stream"), {}));
});
