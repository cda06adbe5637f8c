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
      var hide = element.getAttribute("data-triggers").split(" ").indexOf(trigger.value) === -1;
      element.hidden = hide;
      // Also through the CSSOM (allowed under the CSP): a stylesheet's display on .card or .field would
      // otherwise win over the hidden attribute.
      element.style.display = hide ? "none" : "";
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
