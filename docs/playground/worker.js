// The playground's Web Worker: Python (Pyodide) with valuegrad, and Graphviz in WebAssembly.
//
// Everything it loads comes from the site itself (vendor/, copied there by make docs): the Pyodide core,
// the wheels of valuegrad and of the graphviz package (manifest.json lists them), @viz-js/viz, and
// runtime.py, the playground's Python side. It answers three kinds of message from the page, each
// {channel, ...}:
//   {channel: "setup", interrupt}     a SharedArrayBuffer for Stop (only on a cross-origin isolated page)
//   {channel: "run", id, code}        run the editor's text as a cell; answers {channel: "run", id, kind,
//                                     text} for stdout, stderr, traceback, svg and player, then kind "done"
//   {channel: "explorer", message}    the explorer's commands ({type: "open", config} starts a session);
//                                     answers {channel: "explorer", message} with its state, as the server does
// and sends {channel: "status", state: "ready" | "failed", ms, text} once.
import { loadPyodide } from "./vendor/pyodide/pyodide.mjs";
import { instance as vizInstance } from "./vendor/viz/viz.js";

const FRAME_MS = 100; // the explorer's pictures while playing: about ten a second, as on the server

let runtime = null;
let interrupt = null;
let session = null;
let timer = null;
let nextFrame = 0;
const queue = []; // messages that arrive while Python is still loading

const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

const phases = {}; // how long each part of the start took, in ms (the page shows them in its status' title)
const timed = async (name, promise) => {
  const t0 = performance.now();
  const value = await promise;
  phases[name] = Math.round(performance.now() - t0);
  return value;
};

async function boot() {
  const t0 = performance.now();
  const manifest = await (await fetch("./vendor/manifest.json")).json();
  const [pyodide, viz, source, ...wheels] = await Promise.all([
    timed("pyodide", loadPyodide({ indexURL: new URL("./vendor/pyodide/", import.meta.url).href, packages: [] })),
    timed("graphviz", vizInstance()),
    fetch("./runtime.py").then((r) => r.text()),
    ...manifest.wheels.map((name) => bytes(`./vendor/wheels/${name}`)),
  ]);
  let t = performance.now();
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  for (const wheel of wheels) pyodide.unpackArchive(wheel, "wheel", { extractDir: site });
  pyodide.FS.writeFile(`${site}/playground_runtime.py`, source);
  phases.unpack = Math.round(performance.now() - t);
  t = performance.now();
  runtime = pyodide.pyimport("playground_runtime");
  phases.imports = Math.round(performance.now() - t);
  runtime.use_layout((dot, engine) => viz.renderString(dot, { format: "svg", engine }));
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  self.pyodide = pyodide;
  return performance.now() - t0;
}

function runCell({ id, code }) {
  const post = (kind, text) => postMessage({ channel: "run", id, kind, text });
  if (interrupt) interrupt[0] = 0;
  const ok = runtime.run_cell(code, post);
  if (interrupt) interrupt[0] = 0; // a Stop that came as the cell ended is for nothing else
  postMessage({ channel: "run", id, kind: "done", ok });
}

// --- the explorer: the server's runner, as a timer --------------------------------------------------

function sendState(text) {
  if (text) postMessage({ channel: "explorer", message: JSON.parse(text) });
}

function schedule() {
  if (timer === null && session !== null && session.busy) {
    timer = setTimeout(tick, Math.max(0, nextFrame - performance.now()));
  }
}

function tick() {
  timer = null;
  if (session === null) return;
  nextFrame = performance.now() + FRAME_MS;
  try {
    sendState(session.tick(FRAME_MS / 1000));
  } catch (e) { // session.tick catches Python's errors; this is a bug of the playground's own
    postMessage({ channel: "status", state: "error", text: String(e && e.message ? e.message : e) });
    return;
  }
  schedule();
}

function explorer(message) {
  if (message && message.type === "open") {
    session?.destroy();
    session = runtime.ExplorerSession(JSON.stringify(message.config || {}));
    sendState(session.state());
  } else if (session !== null) {
    sendState(session.command(JSON.stringify(message)));
  }
  schedule();
}

function handle(data) {
  try {
    if (data.channel === "run") runCell(data);
    else if (data.channel === "explorer") explorer(data.message);
  } catch (e) { // a bug of the playground's own, never the learner's (run_cell catches those)
    postMessage({ channel: "status", state: "error", text: String(e && e.message ? e.message : e) });
  }
}

self.addEventListener("message", (e) => {
  const data = e.data || {};
  if (data.channel === "setup") {
    interrupt = data.interrupt ? new Uint8Array(data.interrupt) : null;
    if (interrupt && self.pyodide) self.pyodide.setInterruptBuffer(interrupt);
  } else if (runtime === null) {
    queue.push(data);
  } else {
    handle(data);
  }
});

boot().then((ms) => {
  postMessage({ channel: "status", state: "ready", ms, phases });
  for (const data of queue.splice(0)) handle(data);
}, (e) => postMessage({ channel: "status", state: "failed", text: String(e && e.message ? e.message : e) }));
