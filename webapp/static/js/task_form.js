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
})();
