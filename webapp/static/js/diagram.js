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
  // Below this scale labels cannot be read: a big procedure opens on its current step instead.
  var READABLE = 0.75;

  function focus(canvas, element, scale) {
    var box = canvas.viewbox();
    var width = box.outer.width / scale;
    var height = box.outer.height / scale;
    canvas.viewbox({
      x: element.x + (element.width || 0) / 2 - width / 2,
      y: element.y + (element.height || 0) / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function showCurrent(canvas, current) {
    var whole = canvas.zoom("fit-viewport", "auto");
    if (whole < READABLE && current.length) { focus(canvas, current[0], READABLE); }
  }

  function wireTools(canvas, current) {
    var tools = document.getElementById("diagram-tools");
    if (!tools) { return; }
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) { return; }
      var action = button.dataset.zoom;
      if (action === "in") { canvas.zoom(canvas.zoom() * 1.25); }
      else if (action === "out") { canvas.zoom(canvas.zoom() / 1.25); }
      else if (action === "fit") { canvas.zoom("fit-viewport", "auto"); }
      else if (current.length) { focus(canvas, current[0], Math.max(canvas.zoom(), READABLE)); }
    });
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
        data.completed.forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "gee-done"); }
        });
        var current = data.current.map(function (id) { return registry.get(id); }).filter(Boolean);
        current.forEach(function (element) {
          canvas.removeMarker(element.id, "gee-done");
          canvas.addMarker(element.id, "gee-current");
        });
        showCurrent(canvas, current);
        wireTools(canvas, current);
        container.dataset.loaded = "true";
      });
    })
    .catch(function (error) {
      container.textContent = container.dataset.error || "";
      container.dataset.loaded = "error";
      container.dataset.reason = String(error);
    });
})();
