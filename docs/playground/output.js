// The playground's output area. Printed text and tracebacks are shown as text (textContent), never as
// HTML. Two outputs are markup made by valuegrad itself, not by the learner's prints: a graph's SVG (laid
// out by Graphviz in the worker) and the backprop player's markup. Both are parsed into an inert document
// and cleaned (no scripts, frames, objects, styles or event handlers) before they enter the page, whose
// content security policy would refuse to run any script anyway.
import player from "./player.js";

const DROP = "script:not([type='application/json']), style, iframe, frame, object, embed, link, meta, base, form, foreignObject";

// Remove whatever could run, fetch or restyle the page from `root`, in place.
export function clean(root) {
  for (const el of root.querySelectorAll(DROP)) el.remove();
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase(), value = attr.value.trim().toLowerCase();
      if (name.startsWith("on") || ((name === "href" || name.endsWith(":href") || name === "src") && !value.startsWith("#"))) {
        el.removeAttribute(attr.name);
      }
    }
  }
  return root;
}

export class Output {
  constructor(box) {
    this.box = box;
    this.stream = null; // the <pre> that consecutive text of one kind goes into
    this.players = [];
  }

  clear() {
    for (const destroy of this.players) destroy();
    this.players = [];
    this.box.replaceChildren();
    this.stream = null;
  }

  text(kind, text) {
    if (!this.stream || this.stream.dataset.kind !== kind) {
      this.stream = document.createElement("pre");
      this.stream.className = `pg-${kind}`;
      this.stream.dataset.kind = kind;
      this.box.append(this.stream);
    }
    this.stream.append(document.createTextNode(text));
  }

  note(text) { this.text("note", text.endsWith("\n") ? text : `${text}\n`); }

  svg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.documentElement.nodeName !== "svg") { this.note("(the drawing could not be read)"); return; }
    const figure = document.createElement("div");
    figure.className = "pg-graph";
    figure.append(document.importNode(clean(doc.documentElement), true));
    this.box.append(figure);
    this.stream = null;
  }

  player(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const root = doc.querySelector(".vg-player");
    if (!root) { this.note("(the player could not be read)"); return; }
    const el = document.createElement("div");
    el.className = "pg-player";
    this.box.append(el);
    this.stream = null;
    const state = { html: clean(root).outerHTML, step: 0, quiz: root.querySelector(".vg-quiz-switch")?.checked ?? false };
    const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; }, save_changes() {}, on() {}, off() {} };
    this.players.push(player.render({ model, el }));
  }
}
