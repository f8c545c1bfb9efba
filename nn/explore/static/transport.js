// The explorer's transports: anywidget's model interface (get, on, off, send) over whatever carries the
// state and the commands. The explorer draws whatever model it is given:
//   - in Jupyter, anywidget's own model (the kernel trains);
//   - SocketModel: a WebSocket to `python -m nn explore`'s local server (its thread trains);
//   - WorkerModel: a Web Worker running valuegrad in Pyodide, as the docs site's playground does.
// Each carries the same messages: commands from nn/explore/controller.py's whitelist one way, and
// {"type": "state", "parts": {setup?, frame?, inspect?}} or {"type": "error", "message"} the other.

export const PARTS = ["setup", "inspect", "frame"]; // the order a batch's changes are announced in

// The model itself: the last state of each part, and listeners for "change:<part>" and "msg:custom".
// A transport calls receive(message) for each message that arrives, and gives a way to post commands.
export class StateModel {
  constructor(post) {
    this.state = {};
    this.listeners = {};
    this.post = post;
  }

  receive(msg) {
    if (msg && msg.type === "state") {
      for (const [part, value] of Object.entries(msg.parts)) this.state[part] = value;
      for (const part of PARTS) if (part in msg.parts) this.emit(`change:${part}`);
    } else {
      this.emit("msg:custom", msg);
    }
  }

  get(name) { return this.state[name]; }
  on(event, fn) { (this.listeners[event] ??= []).push(fn); }
  off(event, fn) { this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== fn); }
  emit(event, arg) { for (const fn of this.listeners[event] || []) fn(arg); }
  send(message) { this.post(message); }
}

// The local server's WebSocket address for a page at `loc` (its token and configuration are in the query).
export function socketURL(loc) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/ws${loc.search}`;
}

// Over the local server's WebSocket: JSON text both ways.
export class SocketModel extends StateModel {
  constructor(url) {
    super((message) => { if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message)); });
    this.socket = new WebSocket(url);
    this.socket.onmessage = (e) => this.receive(JSON.parse(e.data));
    this.socket.onclose = (e) => this.emit("msg:custom", { type: "error",
      message: `the connection to the explorer closed (${e.reason || e.code}); restart python -m nn explore and reload` });
  }
}

// Over a Web Worker: structured-clone messages {channel, message} both ways, so that the worker can carry
// other traffic beside the explorer's (the playground's worker also runs the learner's code).
export class WorkerModel extends StateModel {
  constructor(worker, channel = "explorer") {
    super((message) => worker.postMessage({ channel, message }));
    this.onMessage = (e) => { if (e.data && e.data.channel === channel) this.receive(e.data.message); };
    worker.addEventListener("message", this.onMessage);
    this.worker = worker;
  }

  close() { this.worker.removeEventListener("message", this.onMessage); }
}
