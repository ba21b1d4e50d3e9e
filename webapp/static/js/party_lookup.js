// The NIF lookup (htmx) replaces the party fields with the server's answer. Whatever the user
// typed into those fields while the answer was on its way is put back, so nothing is lost.
(function () {
  "use strict";
  var typed = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "party-details") { return; }
    typed = {};
    event.detail.target.querySelectorAll("input[name]").forEach(function (input) {
      if (input.value) { typed[input.name] = input.value; }
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var details = document.getElementById("party-details");
    if (!typed || !details || !details.contains(event.detail.elt) && event.detail.elt !== details) { return; }
    details.querySelectorAll("input[name]").forEach(function (input) {
      if (!input.value && typed[input.name]) { input.value = typed[input.name]; }
    });
    typed = null;
  });
})();
