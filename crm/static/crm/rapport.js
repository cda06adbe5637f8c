// Staff screens: keyboard navigation of lookup results, and "say it" with the browser's voice.
(function () {
  "use strict";

  function results() {
    return Array.from(document.querySelectorAll("#results a.result"));
  }

  document.addEventListener("keydown", function (event) {
    const box = document.getElementById("q");
    const links = results();
    if (!box || !links.length) return;
    const index = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index <= 0) box.focus(); else links[index - 1].focus();
    } else if (event.key === "Escape") {
      box.focus();
      box.select();
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-say]");
    if (!button) return;
    event.preventDefault();
    if (!("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(button.dataset.say);
    utterance.lang = button.dataset.lang || document.documentElement.lang;
    utterance.rate = 0.8;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  });
})();
