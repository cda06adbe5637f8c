// Staff screens: keyboard navigation of lookup results, "say it" with the browser's voice, and the small
// behaviours that would otherwise be inline handlers (the Content-Security-Policy refuses those).
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

  // <select data-submit-on-change>: the language menu submits its form when a language is picked.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) event.target.form.submit();
  });

  // <form data-confirm="question">: asks before submitting (deleting a gift rule).
  document.addEventListener("submit", function (event) {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
