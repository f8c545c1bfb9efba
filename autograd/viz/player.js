// The backprop player: Prev / Next, the slider, Play and the ← → keys step through the frames.
//
// autograd/viz/player.py writes each player as a div of class vg-player that holds the controls
// (buttons .vg-prev, .vg-play and .vg-next, the range input .vg-slider, the text .vg-counter)
// and one figure of class vg-frame per step, then puts this file in a script element after it.
// The script starts every player on the page that has not been started yet (it marks the ones
// it starts), so a notebook with several players, each followed by its own copy of this
// script, starts each player once.
(function () {
  "use strict";

  var STEP_MS = 1500; // how long Play shows each frame

  function start(root) {
    var frames = root.querySelectorAll("figure.vg-frame");
    var slider = root.querySelector(".vg-slider");
    var counter = root.querySelector(".vg-counter");
    var play = root.querySelector(".vg-play");
    var current = 0, timer = null, last = frames.length - 1;

    // Show frame k (clamped to the first and last), and only it.
    function show(k) {
      current = Math.max(0, Math.min(last, k));
      for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
      slider.value = String(current);
      counter.textContent = "step " + current + " of " + last;
    }

    function stop() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      play.textContent = "Play";
    }

    root.querySelector(".vg-prev").addEventListener("click", function () { stop(); show(current - 1); });
    root.querySelector(".vg-next").addEventListener("click", function () { stop(); show(current + 1); });
    slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (current >= last) { show(0); }
      play.textContent = "Pause";
      timer = setInterval(function () { if (current >= last) { stop(); } else { show(current + 1); } }, STEP_MS);
    });
    root.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { stop(); show(current + 1); }
      if (e.key === "ArrowLeft") { stop(); show(current - 1); }
    });
    show(0);
  }

  var players = document.querySelectorAll(".vg-player:not([data-vg-started])");
  for (var i = 0; i < players.length; i++) {
    players[i].setAttribute("data-vg-started", "");
    start(players[i]);
  }
})();
