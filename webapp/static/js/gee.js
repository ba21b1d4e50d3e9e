// GEE: small behaviours shared by every page. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // htmx requests carry the CSRF token that Flask-WTF checks on every POST.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Files over what the server takes (body data-max-upload, bytes) are refused beside their field
  // before sending: sent, they would come back as an error page and lose everything typed.
  document.addEventListener("submit", function (event) {
    var limit = Number(document.body.getAttribute("data-max-upload") || 0);
    var total = 0, field = null;
    event.target.querySelectorAll('input[type="file"][id]').forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; field = input; });
    });
    if (!limit || !field || total <= limit) { return; }
    event.preventDefault();
    var errorId = field.id + "-error", message = document.getElementById(errorId);
    if (!message) {
      message = document.createElement("div");
      message.className = "invalid-feedback";
      message.id = errorId;
      field.insertAdjacentElement("afterend", message);
    }
    message.textContent = document.body.getAttribute("data-too-big").replace("{size}", (total / 1048576).toFixed(1));
    field.classList.add("is-invalid");
    field.setAttribute("aria-invalid", "true");
    if ((field.getAttribute("aria-describedby") || "").split(" ").indexOf(errorId) < 0) {
      field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + errorId).trim());
    }
    field.focus();
  });
  // Buttons marked data-once are disabled after the first click (no double submit).
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var form = event.target;
    form.querySelectorAll("button[data-once]").forEach(function (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
  // In a form marked data-live-errors, a field refused by the last submit stops showing its error
  // once the person changes it (the server checks everything again on the next submit), and so do
  // the fields whose rule depends on it (data-depends-on="<names>"): ticking "complete" answers
  // "the deficiencies are required" as much as filling them in does.
  var unlink = function (element, errorId) {
    var described = (element.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== errorId;
    });
    if (described.length) { element.setAttribute("aria-describedby", described.join(" ")); }
    else { element.removeAttribute("aria-describedby"); }
  };
  var clear = function (field) {
    if (!field.id || !field.classList.contains("is-invalid")) { return; }
    // a documents field's checkboxes and file input share the fieldset's message
    var owner = field.closest("[data-documents]") || field;
    var errorId = owner.id + "-error";
    field.classList.remove("is-invalid");
    field.removeAttribute("aria-invalid");
    var error = document.getElementById(errorId);
    if (error) { error.remove(); }
    // and so do the summary's lines that point to it (data-error-for="<the message's id>")
    document.querySelectorAll('[data-error-for="' + CSS.escape(errorId) + '"]').forEach(function (line) {
      line.remove();
    });
    unlink(field, errorId);
    if (owner !== field) { unlink(owner, errorId); }
  };
  var clearWithin = function (container) { container.querySelectorAll(".is-invalid").forEach(clear); };
  var changed = function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-live-errors")) { return; }
    var field = event.target;
    var documents = field.closest("[data-documents]");
    if (documents) { clearWithin(documents); } else { clear(field); }
    var name = documents ? documents.getAttribute("data-documents") : field.name;
    if (name) { form.querySelectorAll('[data-depends-on~="' + CSS.escape(name) + '"]').forEach(clearWithin); }
    // data-live-errors="<id>": the summary that points to the messages goes with the last of them
    var summary = document.getElementById(form.getAttribute("data-live-errors"));
    if (summary && !form.querySelector(".is-invalid, .invalid-feedback")) { summary.remove(); }
  };
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  // After a failed submit, take keyboard and screen-reader users to the form's error summary.
  var refused = document.querySelector("form[data-live-errors]");
  var summary = refused && document.getElementById(refused.getAttribute("data-live-errors"));
  if (summary) { summary.focus(); }
})();
