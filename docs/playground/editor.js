// The playground's editor: a plain <textarea> with a gutter of line numbers. Tab indents by four spaces,
// Shift+Tab dedents, Ctrl+Enter (or Shift+Enter) runs. The text is only ever read as text.

export const INDENT = "    ";

// The gutter's text for `text`: one number per line. Pure, unit-tested.
export function lineNumbers(text) {
  const n = text.split("\n").length;
  return Array.from({ length: n }, (_, i) => String(i + 1)).join("\n");
}

// Indent (or dedent) the lines that the selection [start, end) touches. Returns the new text and the new
// selection. With no selection and no dedent, inserts an indent at the caret. Pure, unit-tested.
export function indent(text, start, end, dedent = false) {
  if (start === end && !dedent) {
    return { text: text.slice(0, start) + INDENT + text.slice(end), start: start + INDENT.length, end: start + INDENT.length };
  }
  const first = text.lastIndexOf("\n", start - 1) + 1;
  const lines = text.slice(first, end).split("\n");
  let removedFirst = 0, total = 0;
  const changed = lines.map((line, i) => {
    if (!dedent) { total += INDENT.length; if (i === 0) removedFirst = -INDENT.length; return INDENT + line; }
    const cut = line.match(/^ {0,4}/)[0].length;
    total -= cut;
    if (i === 0) removedFirst = cut;
    return line.slice(cut);
  });
  const out = text.slice(0, first) + changed.join("\n") + text.slice(end);
  return { text: out, start: Math.max(first, start - removedFirst), end: end + total };
}

export class Editor {
  constructor(textarea, gutter, onRun) {
    this.textarea = textarea;
    this.gutter = gutter;
    textarea.addEventListener("input", () => this.refresh());
    textarea.addEventListener("scroll", () => { gutter.scrollTop = textarea.scrollTop; });
    textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey || e.shiftKey)) { e.preventDefault(); onRun(); return; }
      if (e.key !== "Tab" || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      const r = indent(textarea.value, textarea.selectionStart, textarea.selectionEnd, e.shiftKey);
      textarea.value = r.text;
      textarea.setSelectionRange(r.start, r.end);
      this.refresh();
    });
    this.refresh();
  }

  get value() { return this.textarea.value; }

  set value(text) {
    this.textarea.value = text;
    this.textarea.scrollTop = 0;
    this.refresh();
  }

  refresh() {
    this.gutter.textContent = lineNumbers(this.textarea.value);
    this.gutter.scrollTop = this.textarea.scrollTop;
  }
}
