// Citizen e-office: small behaviours (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // "I act on behalf of…" shows the represented person's fields.
  var toggle = document.getElementById("on_behalf");
  var block = document.getElementById("represented");
  if (toggle && block) {
    var sync = function () {
      block.classList.toggle("d-none", !toggle.checked);
      toggle.setAttribute("aria-expanded", toggle.checked ? "true" : "false");
    };
    toggle.addEventListener("change", sync);
    sync();
  }
})();
