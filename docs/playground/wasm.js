// WebAssembly from any static host. Pyodide compiles its WebAssembly as it downloads it
// (WebAssembly.instantiateStreaming), which a browser allows only for a response served as
// application/wasm; from a host that says otherwise (an old server's MIME table), Pyodide 314 logs a
// warning and then waits forever. anyType() wraps instantiateStreaming so that such a response is
// compiled from its bytes instead: slower (no streaming, and no compiled code kept by the browser's
// code cache), but the page works. The worker installs it before it loads Pyodide.

/** The MIME type of ``response``, lower case, without parameters ("" if it has none). */
export const mimeType = (response) => (response.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();

/** ``streaming`` (WebAssembly.instantiateStreaming), but for a response of another type than
 * application/wasm, WebAssembly.instantiate of its bytes, with a note to ``warn``. */
export function anyType(streaming, warn) {
  return async (source, imports) => {
    const response = await source;
    const type = mimeType(response);
    if (type === "application/wasm") return streaming(response, imports);
    warn(`${response.url || "WebAssembly"} is served as ${type || "no type"}, not application/wasm: compiled without streaming`);
    return WebAssembly.instantiate(await response.arrayBuffer(), imports);
  };
}
