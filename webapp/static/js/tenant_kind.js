/* The new municipality form: the INE code is required only for the kind of body that needs it
   (an ajuntament, as the engine checks); its marker and the browser's check follow the chosen kind. */
(function () {
  "use strict";
  var kind = document.getElementById("t-kind");
  var ine = document.getElementById("t-ine");
  var marker = document.getElementById("t-ine-req");
  if (!kind || !ine || !marker) { return; }
  function follow() {
    var required = kind.value === ine.getAttribute("data-required-for-kind");
    ine.required = required;
    marker.hidden = !required;
  }
  kind.addEventListener("change", follow);
  follow();
})();
