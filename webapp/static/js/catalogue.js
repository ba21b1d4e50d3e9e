// Catalogue: draws a deployed version with the bpmn-js NavigatedViewer (pan and zoom).
(function () {
  "use strict";
  var container = document.getElementById("bpmn-viewer");
  if (!container || typeof window.BpmnJS === "undefined") { return; }
  var viewer = new window.BpmnJS({ container: container });
  fetch(container.dataset.bpmnUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () { viewer.get("canvas").zoom("fit-viewport"); })
    .catch(function () { container.textContent = container.dataset.error; });
})();
