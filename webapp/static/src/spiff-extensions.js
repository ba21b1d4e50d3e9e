// GEE's settings live where SpiffWorkflow and GEE's deploy validation read them:
//   <bpmn:extensionElements>
//     <spiffworkflow:properties><spiffworkflow:property name="gee:unit" value="urbanisme"/></spiffworkflow:properties>
//     <spiffworkflow:serviceTaskOperator id="gee.notify" resultVariable="...">
//       <spiffworkflow:parameters><spiffworkflow:parameter id="document_id" type="any" value="..."/></...>
//
// No moddle descriptor is registered for the spiffworkflow namespace on purpose: moddle drops every
// element of a registered namespace that its descriptor does not list (preScript, messageVariable,
// calledDecisionId...), so a model would lose them by being opened. Kept as moddle's generic
// elements, every spiffworkflow element survives the round trip; these helpers read and write them
// through bpmn-js commands (undo/redo work).

export const SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";

function isSpiff(node, localName) {
  var type = (node && node.$type) || "";
  var ns = node && node.$descriptor && node.$descriptor.ns;
  return type.split(":").pop() === localName && (!ns || !ns.uri || ns.uri === SPIFF_NS);
}

function children(node, localName) {
  return ((node && node.$children) || []).filter(function (child) { return isSpiff(child, localName); });
}

export function extensionOf(bo, localName) {
  var values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find(function (value) { return isSpiff(value, localName); });
}

/** The value of the spiffworkflow property ``name`` of a business object, or "". */
export function getProperty(bo, name) {
  var found = children(extensionOf(bo, "properties"), "property").find(function (p) { return p.name === name; });
  return found ? found.value || "" : "";
}

function createSpiff(moddle, localName, attrs) {
  return moddle.createAny("spiffworkflow:" + localName, SPIFF_NS, attrs);
}

/** Put ``node`` (a new spiffworkflow element) in the extension elements of ``element``. */
function addExtension(services, element, node) {
  var bo = element.businessObject;
  var modeling = services.modeling;
  if (!bo.extensionElements) {
    var extension = services.bpmnFactory.create("bpmn:ExtensionElements", { values: [node] });
    modeling.updateModdleProperties(element, bo, { extensionElements: extension });
    return;
  }
  var values = bo.extensionElements.get("values").concat([node]);
  modeling.updateModdleProperties(element, bo.extensionElements, { values: values });
}

/** Set (or, with an empty value, remove) a child element identified by ``key``=``keyValue``. */
function setChild(services, element, parent, localName, key, keyValue, attrs) {
  var existing = children(parent, localName).find(function (c) { return c[key] === keyValue; });
  var modeling = services.modeling;
  if (attrs === null) {
    if (existing) {
      var kept = parent.$children.filter(function (c) { return c !== existing; });
      modeling.updateModdleProperties(element, parent, { $children: kept });
    }
    return;
  }
  if (existing) {
    modeling.updateModdleProperties(element, existing, attrs);
    return;
  }
  var created = createSpiff(services.moddle, localName, Object.assign({}, attrs, { [key]: keyValue }));
  modeling.updateModdleProperties(element, parent, { $children: (parent.$children || []).concat([created]) });
}

/** Set the spiffworkflow property ``name`` of ``element``; an empty value removes it. */
export function setProperty(services, element, name, value) {
  var trimmed = (value || "").trim();
  var properties = extensionOf(element.businessObject, "properties");
  if (!properties) {
    if (!trimmed) { return; }
    properties = createSpiff(services.moddle, "properties", {});
    properties.$children = [];
    addExtension(services, element, properties);
  }
  setChild(services, element, properties, "property", "name", name, trimmed ? { value: trimmed } : null);
}

/** The service task's operator element, or undefined. */
export function operatorOf(bo) {
  return extensionOf(bo, "serviceTaskOperator");
}

/** Set an attribute (``id`` = the operator name, ``resultVariable``) of the service task's operator. */
export function setOperatorAttribute(services, element, attribute, value) {
  var operator = operatorOf(element.businessObject);
  if (!operator) {
    operator = createSpiff(services.moddle, "serviceTaskOperator", { [attribute]: value });
    operator.$children = [];
    addExtension(services, element, operator);
    return;
  }
  if (value) {
    services.modeling.updateModdleProperties(element, operator, { [attribute]: value });
    return;
  }
  // A generic element cannot unset an attribute: replace it by a copy without it.
  var attrs = {};
  Object.keys(operator).forEach(function (key) {
    if (key.charAt(0) !== "$" && key !== attribute) { attrs[key] = operator[key]; }
  });
  var copy = createSpiff(services.moddle, "serviceTaskOperator", attrs);
  copy.$children = operator.$children || [];
  var values = element.businessObject.extensionElements.get("values").map(function (v) {
    return v === operator ? copy : v;
  });
  services.modeling.updateModdleProperties(element, element.businessObject.extensionElements, { values: values });
}

export function getParameter(bo, id) {
  var found = children(children(operatorOf(bo), "parameters")[0], "parameter").find(function (p) { return p.id === id; });
  return found ? found.value || "" : "";
}

/** Set the operator parameter ``id`` (an expression); an empty value removes it. */
export function setParameter(services, element, id, value) {
  var trimmed = (value || "").trim();
  var operator = operatorOf(element.businessObject);
  if (!operator) {
    if (!trimmed) { return; }
    setOperatorAttribute(services, element, "id", "");
    operator = operatorOf(element.businessObject);
  }
  var parameters = children(operator, "parameters")[0];
  if (!parameters) {
    if (!trimmed) { return; }
    parameters = createSpiff(services.moddle, "parameters", {});
    parameters.$children = [];
    services.modeling.updateModdleProperties(element, operator, {
      $children: (operator.$children || []).concat([parameters]),
    });
  }
  setChild(services, element, parameters, "parameter", "id", id, trimmed ? { type: "any", value: trimmed } : null);
}
