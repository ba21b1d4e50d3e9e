// The expedient's procedure diagram: bpmn-js NavigatedViewer with done and current steps marked.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container) { return; }
  if (!window.BpmnJS) {  // the viewer script did not load: say so instead of leaving a blank box
    container.textContent = container.dataset.error || "";
    container.dataset.loaded = "error";
    container.dataset.reason = "bpmn-js viewer not loaded";
    return;
  }
  fetch(container.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var viewer = new window.BpmnJS({ container: container });
      return viewer.importXML(data.xml).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport", "auto");
        data.completed.forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "gee-done"); }
        });
        data.current.forEach(function (id) {
          if (registry.get(id)) { canvas.removeMarker(id, "gee-done"); canvas.addMarker(id, "gee-current"); }
        });
        container.dataset.loaded = "true";
      });
    })
    .catch(function (error) {
      container.textContent = container.dataset.error || "";
      container.dataset.loaded = "error";
      container.dataset.reason = String(error);
    });
})();
