// The playground page: the editor, Run and Stop, the output, the examples, and the explorer, all driven by
// one Web Worker that runs valuegrad in Pyodide (worker.js). The page itself runs no Python and evaluates
// nothing it is given: the editor's text goes to the worker as text, and what comes back is shown as text,
// or as markup that valuegrad made, cleaned first (output.js).
//
// Stop: on a cross-origin isolated page (served with COOP/COEP headers) the worker shares a byte with the
// page, and Stop sets it: Python raises KeyboardInterrupt inside the running cell and keeps its variables.
// Elsewhere (python -m http.server sends no such headers) Stop ends the worker and starts a fresh one:
// the loop stops at once, and the cell's variables are gone.
import { Editor } from "./editor.js";
import { Output } from "./output.js";
import { render as renderExplorer } from "./explorer/explorer.js";
import { WorkerModel } from "./explorer/transport.js";

export const EXAMPLES = [
  ["neuron", "A neuron, and its gradients"],
  ["chain_rule", "The chain rule on an expression"],
  ["moons", "An MLP learns the two moons"],
  ["tape", "A recorded tape, replayed"],
  ["loop", "A loop, drawn"],
];

const $ = (sel) => document.querySelector(sel);
const page = document.body;
const status = $("#pg-status");
const runButton = $("#pg-run");
const stopButton = $("#pg-stop");
const output = new Output($("#pg-output"));
const editor = new Editor($("#pg-code"), $("#pg-gutter"), () => run());

let worker = null;
let interrupt = null;
let running = null; // the id of the cell being run
let cells = 0;
let explorer = null; // { model, destroy } while the explorer is open
let started = performance.now();

function setStatus(text, state) {
  status.textContent = text;
  page.dataset.state = state;
}

function startWorker() {
  started = performance.now();
  delete page.dataset.snapshot;
  setStatus("Loading Python and valuegrad…", "loading");
  runButton.disabled = true;
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  interrupt = globalThis.crossOriginIsolated ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  worker.postMessage({ channel: "setup", interrupt: interrupt ? interrupt.buffer : null });
  worker.addEventListener("message", onMessage);
  worker.addEventListener("error", (e) => setStatus(`The worker failed: ${e.message || "see the browser's console"}`, "failed"));
  if (explorer) openExplorer(); // after a restart, the explorer starts again from its configuration
}

function onMessage(e) {
  const data = e.data || {};
  if (data.channel === "status") {
    if (data.state === "ready") {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      page.dataset.bootMs = String(Math.round(performance.now() - started));
      const restored = data.phases?.snapshot === "restored";
      page.dataset.start = restored ? "snapshot" : "fresh";
      status.title = `start, in ms: ${Object.entries(data.phases || {}).map(([k, v]) => `${k} ${v}`).join(", ")}`;
      setStatus(`Ready: Python ${seconds} s${restored ? " (restored from this browser's snapshot)" : ""}. Ctrl+Enter runs.`, "ready");
      runButton.disabled = running !== null;
    } else if (data.state === "error") { // Python runs on; the playground's own code failed
      setStatus(`A bug in the playground itself: ${data.text}`, "ready");
    } else {
      setStatus(`Python could not start: ${data.text}`, "failed");
    }
  } else if (data.channel === "snapshot") { // Python's memory, kept for the next start (worker.js)
    page.dataset.snapshot = data.state;
    status.title += `; snapshot ${data.text}`;
  } else if (data.channel === "run" && data.id === running) {
    if (data.kind === "svg") output.svg(data.text);
    else if (data.kind === "player") output.player(data.text);
    else if (data.kind === "done") finish(data.ok ? "ok" : "error");
    else output.text(data.kind, data.text);
  }
}

function run() {
  if (running !== null || page.dataset.state !== "ready") return;
  running = ++cells;
  output.clear();
  runButton.disabled = true;
  stopButton.disabled = false;
  page.dataset.run = "running";
  worker.postMessage({ channel: "run", id: running, code: editor.value });
}

function finish(result) {
  running = null;
  runButton.disabled = false;
  stopButton.disabled = true;
  page.dataset.run = result;
}

function stop() {
  if (running === null) return;
  if (interrupt) { interrupt[0] = 2; return; } // SIGINT: KeyboardInterrupt in the cell
  worker.terminate();
  output.note("Stopped: Python was restarted, so the variables of earlier runs are gone.");
  finish("stopped");
  startWorker();
}

// --- the examples ------------------------------------------------------------------------------------

async function loadExample(name) {
  const response = await fetch(`examples/${name}.py`);
  editor.value = response.ok ? await response.text() : `# the example ${name} could not be loaded (${response.status})\n`;
  $("#pg-example").value = name;
}

const select = $("#pg-example");
for (const [name, title] of EXAMPLES) {
  const option = document.createElement("option");
  option.value = name;
  option.textContent = title;
  select.append(option);
}
select.addEventListener("change", () => loadExample(select.value));
runButton.addEventListener("click", run);
stopButton.addEventListener("click", stop);

// --- the explorer, without a server ------------------------------------------------------------------

function openExplorer() {
  explorer?.destroy();
  const model = new WorkerModel(worker);
  const box = $("#pg-explorer");
  box.replaceChildren();
  const remove = renderExplorer({ model, el: box });
  model.send({ type: "open", config: {} });
  explorer = { model, destroy: () => { remove(); model.close(); } };
  $("#pg-explorer-open").hidden = true;
}

$("#pg-explorer-open").addEventListener("click", openExplorer);

const wanted = EXAMPLES.find(([name]) => name === location.hash.slice(1));
loadExample(wanted ? wanted[0] : EXAMPLES[0][0]);
startWorker();
