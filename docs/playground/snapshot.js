// The playground's memory snapshot: the worker's Python with valuegrad imported, kept in the browser.
//
// Starting Python is most of a page's start (about 3 s of 4 here: the interpreter's own start and
// the imports, far more than fetching or compiling the WebAssembly). So the first start takes a
// snapshot of Python's memory once valuegrad is imported (Pyodide's memory snapshot, some 30 MB),
// and keeps it in this site's IndexedDB; the next starts restore it instead, in a fraction of the time.
// Python's memory is not its file system: the record also keeps the files that unpacking the wheels
// wrote (siteFiles), which a restore writes back (writeFiles), faster than unpacking them again.
//
// A snapshot is only as good as what it was made from, so it is kept together with its inputs: the
// Pyodide version and the exact bytes of every file that went into it (valuegrad's wheel, the graphviz
// wheel, runtime.py, and the worker's own code, this file too). A start uses it only if the files it has just fetched are the same, byte for
// byte; Pyodide itself refuses a snapshot of another build of its WebAssembly. Anything else (a new
// build of the site, a changed wheel) refuses the snapshot: Python starts from scratch and makes a new
// one, which replaces it. No IndexedDB (some private windows) means no snapshot, and a normal start.
const DB = "valuegrad-playground";
const STORE = "snapshots";
// What a record holds: a change makes old records useless (the worker's code is among a record's files)
export const FORMAT = 2;

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

async function store(mode) {
  const opening = indexedDB.open(DB, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  const db = await done(opening);
  const transaction = db.transaction(STORE, mode);
  const finished = new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
  finished.catch(() => {}); // a reader never waits for it: its failure is the request's
  return { db, store: transaction.objectStore(STORE), finished };
}

const sameBytes = (a, b) => {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Why ``record`` was not made from ``inputs`` ({format, pyodide, files: [[name, bytes]]}), or "" if it was. */
export function mismatch(record, inputs) {
  if (!record) return "none kept";
  if (record.format !== inputs.format) return `format ${record.format}, not ${inputs.format}`;
  if (record.pyodide !== inputs.pyodide) return `Pyodide ${record.pyodide}, not ${inputs.pyodide}`;
  const names = (files) => files.map(([name]) => name).join(", ");
  if (record.files.length !== inputs.files.length || names(record.files) !== names(inputs.files)) {
    return `made from ${names(record.files)}, not ${names(inputs.files)}`;
  }
  const changed = inputs.files.find(([, bytes], i) => !sameBytes(record.files[i][1], bytes));
  return changed ? `${changed[0]} has changed` : "";
}

/** The snapshot made from exactly ``inputs`` under ``key`` (the site's address): {snapshot, why}.
 * ``snapshot`` is null when there is none that matches, and ``why`` says why. ``inputs`` may be a
 * promise: the record is read while the files are still being fetched. */
export async function load(key, inputs) {
  if (typeof indexedDB === "undefined") return { snapshot: null, why: "no IndexedDB here" };
  const { db, store: s } = await store("readonly");
  let record;
  try {
    record = await done(s.get(key));
  } finally {
    db.close();
  }
  const why = mismatch(record, await inputs) || (Array.isArray(record.site) ? "" : "its files are missing");
  return why ? { snapshot: null, why } : { snapshot: record.snapshot, site: record.site, why: "matches" };
}

/** Keep ``snapshot`` under ``key``, with ``site`` (siteFiles), made from ``inputs``, in place of what was there. */
export async function save(key, inputs, snapshot, site) {
  const { db, store: s, finished } = await store("readwrite");
  try {
    s.put({ format: inputs.format, pyodide: inputs.pyodide, files: inputs.files, snapshot, site }, key);
    await finished; // written, not only queued
  } finally {
    db.close();
  }
}

/** Remove the snapshot under ``key`` (one that Pyodide refused to restore). */
export async function forget(key) {
  const { db, store: s, finished } = await store("readwrite");
  try {
    s.delete(key);
    await finished;
  } finally {
    db.close();
  }
}

/** Every file under ``dir`` in Pyodide's file system ``FS``: [[path relative to dir, bytes]]. */
export function siteFiles(FS, dir) {
  const found = [];
  const walk = (relative) => {
    for (const name of FS.readdir(`${dir}/${relative}`)) {
      if (name === "." || name === "..") continue;
      const path = relative ? `${relative}/${name}` : name;
      if (FS.isDir(FS.stat(`${dir}/${path}`).mode)) walk(path);
      else found.push([path, FS.readFile(`${dir}/${path}`)]);
    }
  };
  walk("");
  return found;
}

/** Write ``files`` (from siteFiles) under ``dir`` in ``FS``. */
export function writeFiles(FS, dir, files) {
  for (const [path, data] of files) {
    const slash = path.lastIndexOf("/");
    if (slash > 0) FS.mkdirTree(`${dir}/${path.slice(0, slash)}`);
    FS.writeFile(`${dir}/${path}`, data);
  }
}
