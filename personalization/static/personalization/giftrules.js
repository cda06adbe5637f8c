// The gift-rule editor: only the fields of the chosen trigger are shown. Without this script every section
// shows under its own heading; the server ignores the fields of another trigger either way.
(function () {
  "use strict";

  function showFor(form) {
    var trigger = form.querySelector("select[name=trigger]");
    if (!trigger) {
      return;
    }
    form.querySelectorAll("[data-triggers]").forEach(function (element) {
      element.hidden = element.getAttribute("data-triggers").split(" ").indexOf(trigger.value) === -1;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-gift-rule]").forEach(function (form) {
      showFor(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "trigger") {
          showFor(form);
        }
      });
    });
  });
})();
