// The backprop players embedded in the site's pages (docs/_ext/player_embed.py) draw a graph wider
// than the page. The player starts on its step 0, the output's seed, and scrolls its drawing to the
// output at the right end; a reader starts from the inputs, so once a frame has loaded, scroll its
// drawing back to the left end, where the inputs are. The frame is made from srcdoc, so it shares
// this page's origin and its document can be reached; if it cannot, nothing is changed.
(function () {
  "use strict";

  function toInputs(frame) {
    let canvas = null;
    try {
      canvas = frame.contentDocument && frame.contentDocument.querySelector(".vg-canvas");
    } catch (e) {
      return; // another origin: leave the player as it opened
    }
    if (canvas) {
      canvas.scrollLeft = 0;
      frame.dataset.openedAt = "inputs";
    }
  }

  function watch(frame) {
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") {
      toInputs(frame);
    }
    frame.addEventListener("load", () => toInputs(frame));
  }

  function init() {
    document.querySelectorAll("iframe.vg-backprop-player").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
