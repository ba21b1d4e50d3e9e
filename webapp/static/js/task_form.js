// Task forms: repeatable rows of array fields (add / remove). Without JavaScript the page
// still offers a few blank rows, which the server ignores when left empty.
(function () {
  "use strict";
  document.querySelectorAll("[data-array]").forEach(function (fieldset) {
    var rows = fieldset.querySelector("[data-rows]");
    var template = fieldset.querySelector("template[data-row-template]");
    var next = rows.querySelectorAll("[data-row]").length;
    fieldset.querySelector("[data-add-row]").addEventListener("click", function () {
      var html = template.innerHTML.split("__row__").join(String(next));
      next += 1;
      rows.insertAdjacentHTML("beforeend", html);
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) { return; }
      var row = button.closest("[data-row]");
      if (row) { row.remove(); }
      var add = fieldset.querySelector("[data-add-row]");
      if (add) { add.focus(); }
    });
  });
  // A field refused by the last submit stops showing its error once the clerk changes it (the
  // server checks everything again on the next submit), so a corrected field no longer reads as wrong.
  var form = document.getElementById("task-form");
  if (form) {
    var cleared = function (event) {
      var field = event.target;
      if (!field.id || !field.classList.contains("is-invalid")) { return; }
      field.classList.remove("is-invalid");
      field.removeAttribute("aria-invalid");
      var error = document.getElementById(field.id + "-error");
      if (error) { error.remove(); }
      var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== field.id + "-error";
      });
      if (described.length) { field.setAttribute("aria-describedby", described.join(" ")); }
      else { field.removeAttribute("aria-describedby"); }
    };
    form.addEventListener("input", cleared);
    form.addEventListener("change", cleared);
  }
  // After a failed submit, take keyboard and screen-reader users to the error summary.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
