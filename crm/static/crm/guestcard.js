// The guest card and the new-guest form: behaviours that would otherwise be inline handlers (the
// Content-Security-Policy refuses those). Loaded by base.html beside rapport.js.
(function () {
  "use strict";

  // Choosing "Allergy" as a preference's category selects "Must avoid": an allergy is never a liking
  // (the server refuses "Allergy · Likes" whatever this does).
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select[name=category]")) return;
    const polarity = select.form && select.form.querySelector("select[name=polarity]");
    if (polarity && select.value === "allergy") polarity.value = "avoid";
  });
})();
