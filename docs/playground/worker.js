// The playground's Web Worker: Python (Pyodide) with valuegrad, and Graphviz in WebAssembly.
//
// Everything it loads comes from the site itself (vendor/, copied there by make docs): the Pyodide core,
// the wheels of valuegrad and of the graphviz package (manifest.json lists them), @viz-js/viz, and
// runtime.py, the playground's Python side. Its first start keeps a snapshot of Python's memory with all
// that imported, and later starts restore it when it was made from the same files (snapshot.js says how).
// It answers three kinds of message from the page, each
// {channel, ...}:
//   {channel: "setup", interrupt}     a SharedArrayBuffer for Stop (only on a cross-origin isolated page)
//   {channel: "run", id, code}        run the editor's text as a cell; answers {channel: "run", id, kind,
//                                     text} for stdout, stderr, traceback, svg and player, then kind "done"
//   {channel: "explorer", message}    the explorer's commands ({type: "open", config} starts a session);
//                                     answers {channel: "explorer", message} with its state, as the server does
// and sends {channel: "status", state: "ready" | "failed", ms, text} once; after a start that made a
// snapshot, {channel: "snapshot", state: "kept" | "not kept", text} when it is stored (or could not be).
import { loadPyodide, version as pyodideVersion } from "./vendor/pyodide/pyodide.mjs";
import { instance as vizInstance } from "./vendor/viz/viz.js";
import * as snapshots from "./snapshot.js";
import { anyType } from "./wasm.js";

const FRAME_MS = 100; // the explorer's pictures while playing: about ten a second, as on the server
const SNAPSHOT_KEY = new URL(".", import.meta.url).pathname; // one snapshot for each copy of the site

let runtime = null;
let interrupt = null;
let session = null;
let timer = null;
let nextFrame = 0;
const queue = []; // messages that arrive while Python is still loading

const bytes = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
};

// before Pyodide loads: its WebAssembly then starts from any static host, whatever MIME type it sends
WebAssembly.instantiateStreaming = anyType(WebAssembly.instantiateStreaming, (text) => console.warn(text));

const phases = {}; // how the start went: each part's time in ms (the page shows them in its status' title)
const timed = async (name, promise) => {
  const t0 = performance.now();
  const value = await promise;
  phases[name] = Math.round(performance.now() - t0);
  return value;
};

/** The snapshot kept for exactly these inputs (a promise): {snapshot, site}, or null (phases.snapshot says why not). */
async function keptSnapshot(inputs) {
  try {
    const kept = await timed("snapshot read", snapshots.load(SNAPSHOT_KEY, inputs));
    phases.snapshot = kept.snapshot ? "restored" : `not used: ${kept.why}`;
    return kept.snapshot ? kept : null;
  } catch (e) { // a browser that keeps no IndexedDB for this page: a normal start
    phases.snapshot = `not used: ${e && e.message ? e.message : e}`;
    return null;
  }
}

/** Pyodide restored from the snapshot if there is one for these inputs, else started afresh (ready to
 * make one). Returns [pyodide, the restored snapshot's files or null]. */
async function startPython(inputs) {
  const options = { indexURL: new URL("./vendor/pyodide/", import.meta.url).href, packages: [] };
  const kept = await keptSnapshot(inputs);
  if (kept) {
    try {
      return [await timed("pyodide", loadPyodide({ ...options, _loadSnapshot: kept.snapshot })), kept.site];
    } catch (e) { // Pyodide checks its own build: a snapshot of another one is refused, and dropped
      phases.snapshot = `refused by Pyodide: ${e && e.message ? e.message : e}`;
      snapshots.forget(SNAPSHOT_KEY).catch(() => {});
    }
  }
  return [await timed("pyodide", loadPyodide({ ...options, _makeSnapshot: true })), null];
}

async function boot() {
  const t0 = performance.now();
  const manifest = await (await fetch("./vendor/manifest.json")).json();
  const viz = timed("graphviz", vizInstance());
  // what a snapshot depends on: the Python that runs, the wheels, and the code that makes the snapshot
  const names = ["runtime.py", "worker.js", "snapshot.js", ...manifest.wheels.map((name) => `vendor/wheels/${name}`)];
  const fetched = Promise.all(names.map(async (name) => [name, await bytes(`./${name}`)]))
    .then((files) => ({ format: snapshots.FORMAT, pyodide: pyodideVersion, files }));
  const [pyodide, keptSite] = await startPython(fetched); // reads the kept snapshot as the files arrive
  const restored = keptSite !== null;
  const inputs = await fetched;
  const files = inputs.files;
  let t = performance.now();
  // the files, after a restore too: the snapshot has Python's memory, not its file system, and valuegrad
  // imports some modules only when they are used (the explorer's), and tracebacks read the sources
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  if (restored) {
    snapshots.writeFiles(pyodide.FS, site, keptSite); // what unpacking these very wheels wrote
  } else {
    for (const [name, data] of files) if (name.endsWith(".whl")) pyodide.unpackArchive(data, "wheel", { extractDir: site });
    pyodide.FS.writeFile(`${site}/playground_runtime.py`, files[0][1]);
  }
  const unpacked = restored ? null : snapshots.siteFiles(pyodide.FS, site); // before the imports add any .pyc
  phases.unpack = Math.round(performance.now() - t);
  t = performance.now();
  pyodide.runPython("import playground_runtime"); // already done in a restored Python
  phases.imports = Math.round(performance.now() - t);
  let save = null;
  if (!restored) { // Python's memory now, before the page hands it anything of JavaScript's
    t = performance.now();
    const said = (state, text) => postMessage({ channel: "snapshot", state, text });
    try {
      const snapshot = pyodide.makeMemorySnapshot();
      phases["snapshot made"] = Math.round(performance.now() - t);
      save = () => snapshots.save(SNAPSHOT_KEY, inputs, snapshot, unpacked).then(
        () => said("kept", `kept for the next start (${(snapshot.length / 1e6).toFixed(1)} MB)`),
        (e) => said("not kept", `not kept: ${e && e.message ? e.message : e}`));
    } catch (e) { // only the next start's speed is lost
      save = () => said("not kept", `not made: ${e && e.message ? e.message : e}`);
    }
  }
  runtime = pyodide.pyimport("playground_runtime");
  if (restored) runtime.reseed(); // the snapshot's random state is every restored page's: draw anew
  const graphviz = await viz;
  runtime.use_layout((dot, engine) => graphviz.renderString(dot, { format: "svg", engine }));
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  self.pyodide = pyodide;
  return { ms: performance.now() - t0, save };
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

boot().then(({ ms, save }) => {
  postMessage({ channel: "status", state: "ready", ms, phases });
  for (const data of queue.splice(0)) handle(data);
  if (save) save(); // after the page is ready: writing some 30 MB need not delay it
}, (e) => postMessage({ channel: "status", state: "failed", text: String(e && e.message ? e.message : e) }));
