// Modeler: edits the BPMN in the browser; saving puts the XML in the form and posts it.
(function () {
  "use strict";
  var container = document.getElementById("bpmn-modeler");
  var form = document.getElementById("modeler-form");
  var field = document.getElementById("bpmn-xml");
  if (!container || !form || !field || typeof window.BpmnJS === "undefined") { return; }
  var modeler = new window.BpmnJS({ container: container });
  var ready = false;
  modeler.importXML(field.value)
    .then(function () { ready = true; modeler.get("canvas").zoom("fit-viewport"); })
    .catch(function () { document.getElementById("modeler-status").textContent = container.dataset.error; });
  form.addEventListener("submit", function (event) {
    if (!ready || form.dataset.saved === "1") { return; }
    event.preventDefault();
    modeler.saveXML({ format: true }).then(function (result) {
      field.value = result.xml;
      form.dataset.saved = "1";
      form.submit();
    });
  });
})();
