// GEE: small behaviours shared by every page. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // htmx requests carry the CSRF token that Flask-WTF checks on every POST.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Buttons marked data-once are disabled after the first click (no double submit).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    form.querySelectorAll("button[data-once]").forEach(function (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
