// GEE's modeler: bpmn-js with its properties panel and GEE's own group. Saving puts the XML in the
// form and posts it; when the server's validation refuses it, the page comes back with the unsaved
// XML and each problem is marked on its element.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";

import GeePropertiesProvider from "./gee-properties-provider";
import { linkProblemList, markProblems } from "./problem-markers";

function translateModule(strings) {
  function translate(template, replacements) {
    const text = strings[template] || template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : "{" + key + "}";
    });
  }
  return { translate: ["value", translate] };
}

function start() {
  const container = document.getElementById("bpmn-modeler");
  const form = document.getElementById("modeler-form");
  const field = document.getElementById("bpmn-xml");
  const configNode = document.getElementById("modeler-config");
  if (!container || !form || !field || !configNode) { return; }
  const config = JSON.parse(configNode.textContent);
  const status = document.getElementById("modeler-status");
  const modeler = new BpmnModeler({
    container: container,
    propertiesPanel: { parent: "#properties-panel" },
    gee: config,
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      { __init__: ["geePropertiesProvider"], geePropertiesProvider: ["type", GeePropertiesProvider] },
      translateModule(config.builtin),
    ],
  });
  let ready = false;
  modeler.importXML(field.value)
    .then(function () {
      const canvas = modeler.get("canvas");
      canvas.zoom("fit-viewport");
      const marked = markProblems(modeler, config.problems);
      linkProblemList(modeler, marked);
      if (marked.length) {  // show the first problem at a readable size
        canvas.zoom(1);
        canvas.scrollToElement(modeler.get("elementRegistry").get(marked[0]));
      }
      ready = true;
      container.dataset.ready = "true";
    })
    .catch(function () {
      status.textContent = container.dataset.error;
      container.dataset.ready = "false";
    });
  form.addEventListener("submit", function (event) {
    if (!ready || form.dataset.saved === "1") { return; }
    event.preventDefault();
    // A field of the panel still being typed in commits its value when it loses the focus.
    if (document.activeElement instanceof HTMLElement) { document.activeElement.blur(); }
    modeler.saveXML({ format: true }).then(function (result) {
      field.value = result.xml;
      form.dataset.saved = "1";
      form.submit();
    });
  });
}

start();
