// The "GEE" group of the properties panel: what GEE's deploy validation understands, set without
// editing XML (lane roles, forms, templates, sign / unit / await-notification tasks, procedure
// blocks as service operators, timers in working days). Labels and choices come from the page.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  SelectEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";

import {
  getParameter,
  getProperty,
  operatorOf,
  setOperatorAttribute,
  setParameter,
  setProperty,
} from "./spiff-extensions";

const WORKING_DAYS = /^\s*working_days\((\d+)\)\s*$/;

function useServices() {
  return {
    modeling: useService("modeling"),
    moddle: useService("moddle"),
    bpmnFactory: useService("bpmnFactory"),
  };
}

function choices(none, values) {
  return [{ value: "", label: none }].concat(values.map(function (v) {
    return typeof v === "string" ? { value: v, label: v } : v;
  }));
}

/** Keep a value the model has even when it is not among the choices, so it is shown as it is. */
function withCurrent(options, current) {
  if (!current || options.some(function (o) { return o.value === current; })) { return options; }
  return options.concat([{ value: current, label: current }]);
}

function PropertySelect(props) {
  const services = useServices();
  const { element, id, label, name, options } = props;
  const current = getProperty(element.businessObject, name);
  return h(SelectEntry, {
    id, element, label,
    getValue: () => getProperty(element.businessObject, name),
    setValue: (value) => setProperty(services, element, name, value),
    getOptions: () => withCurrent(options, current),
  });
}

function PropertyText(props) {
  const services = useServices();
  const debounce = useService("debounceInput");
  const { element, id, label, name, description } = props;
  return h(TextFieldEntry, {
    id, element, label, description, debounce,
    getValue: () => getProperty(element.businessObject, name),
    setValue: (value) => setProperty(services, element, name, value),
  });
}

function OperatorSelect(props) {
  const services = useServices();
  const { element, id, label, options } = props;
  const read = () => (operatorOf(element.businessObject) || {}).id || "";
  return h(SelectEntry, {
    id, element, label,
    getValue: read,
    setValue: (value) => setOperatorAttribute(services, element, "id", value),
    getOptions: () => withCurrent(options, read()),
  });
}

function ResultVariable(props) {
  const services = useServices();
  const debounce = useService("debounceInput");
  const { element, id, label } = props;
  return h(TextFieldEntry, {
    id, element, label, debounce,
    getValue: () => (operatorOf(element.businessObject) || {}).resultVariable || "",
    setValue: (value) => setOperatorAttribute(services, element, "resultVariable", (value || "").trim()),
  });
}

function Parameter(props) {
  const services = useServices();
  const debounce = useService("debounceInput");
  const { element, id, label, parameter } = props;
  return h(TextFieldEntry, {
    id, element, label, debounce,
    getValue: () => getParameter(element.businessObject, parameter),
    setValue: (value) => setParameter(services, element, parameter, value),
  });
}

function timerOf(element) {
  return (element.businessObject.eventDefinitions || []).find(function (d) {
    return is(d, "bpmn:TimerEventDefinition");
  });
}

function WorkingDays(props) {
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const { element, id, label, description, invalid } = props;
  const read = () => {
    const date = timerOf(element).get("timeDate");
    const match = WORKING_DAYS.exec((date && date.get("body")) || "");
    return match ? match[1] : "";
  };
  const write = (value) => {
    const days = (value || "").trim();
    if (!/^\d+$/.test(days) || Number(days) < 1) { return; }
    const expression = bpmnFactory.create("bpmn:FormalExpression", { body: "working_days(" + Number(days) + ")" });
    modeling.updateModdleProperties(element, timerOf(element), {
      timeDate: expression, timeDuration: undefined, timeCycle: undefined,
    });
  };
  return h(TextFieldEntry, {
    id, element, label, description, debounce,
    getValue: read, setValue: write,
    validate: (value) => (!value || /^\s*[1-9]\d*\s*$/.test(value) ? null : invalid),
  });
}

/** The task's lane, read-only: a task is given to a role by drawing it in that role's lane. */
function TaskLane(props) {
  const { element, id, label, description, none } = props;
  const read = () => {
    const lane = (element.businessObject.get("lanes") || [])[0];
    if (!lane) { return none; }
    const role = getProperty(lane, "role");
    return (lane.name || lane.id) + (role ? " (" + role + ")" : "");
  };
  return h(TextFieldEntry, {
    id, element, label, description, disabled: true,
    getValue: read, setValue: () => {}, debounce: (fn) => fn,
  });
}

function entry(element, id, component, extra) {
  return Object.assign({ id: "gee-" + id, element: element, component: component }, extra);
}

function laneEntries(element, config) {
  const L = config.labels;
  const roles = config.roles.map(function (r) { return { value: r.code, label: r.name }; });
  return [entry(element, "role", PropertySelect, {
    label: L.role, name: "role", options: choices(L.roleByName, roles), isEdited: isSelectEntryEdited,
  })];
}

function userTaskEntries(element, config) {
  const L = config.labels;
  return [
    entry(element, "form", PropertySelect, {
      label: L.form, name: "formJsonSchemaFilename", options: choices(L.noForm, config.forms),
      isEdited: isSelectEntryEdited,
    }),
    entry(element, "ui", PropertySelect, {
      label: L.uiHints, name: "formUiSchemaFilename", options: choices(L.none, config.forms),
      isEdited: isSelectEntryEdited,
    }),
    entry(element, "sign", PropertyText, {
      label: L.sign, description: L.signHelp, name: "gee:sign", isEdited: isTextFieldEntryEdited,
    }),
    entry(element, "await", PropertyText, {
      label: L.awaitNotification, description: L.awaitHelp, name: "gee:await-notification",
      isEdited: isTextFieldEntryEdited,
    }),
  ];
}

function unitEntry(element, config) {
  const L = config.labels;
  const known = config.units.length ? config.units.join(", ") : L.noUnits;
  return entry(element, "unit", PropertyText, {
    label: L.unit, description: L.unitHelp + " " + known, name: "gee:unit", isEdited: isTextFieldEntryEdited,
  });
}

function templateEntry(element, config) {
  const L = config.labels;
  return entry(element, "template", PropertySelect, {
    label: L.template, name: "documentTemplate", options: choices(L.none, config.templates),
    isEdited: isSelectEntryEdited,
  });
}

function serviceEntries(element, config) {
  const L = config.labels;
  const names = Object.keys(config.operators);
  const entries = [
    entry(element, "operator", OperatorSelect, {
      label: L.block, options: choices(L.noBlock, names.map(function (n) {
        return { value: n, label: config.operators[n].label };
      })), isEdited: isSelectEntryEdited,
    }),
    entry(element, "result", ResultVariable, { label: L.resultVariable, isEdited: isTextFieldEntryEdited }),
  ];
  const chosen = config.operators[(operatorOf(element.businessObject) || {}).id];
  if (chosen) {
    chosen.required.concat(chosen.optional).forEach(function (parameter) {
      const required = chosen.required.indexOf(parameter) >= 0;
      entries.push(entry(element, "param-" + parameter, Parameter, {
        label: parameter + (required ? " *" : ""), parameter: parameter, isEdited: isTextFieldEntryEdited,
      }));
    });
  }
  return entries;
}

function geeEntries(element, config) {
  const L = config.labels;
  let entries = [];
  if (is(element, "bpmn:Lane")) { entries = entries.concat(laneEntries(element, config)); }
  if (is(element, "bpmn:UserTask")) { entries = entries.concat(userTaskEntries(element, config)); }
  if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
    entries.unshift(entry(element, "lane", TaskLane, {
      label: L.lane, description: L.laneHelp, none: L.noLane,
    }));
    entries.push(unitEntry(element, config));
  }
  if (is(element, "bpmn:ServiceTask")) { entries = entries.concat(serviceEntries(element, config)); }
  if (is(element, "bpmn:Task")) { entries.push(templateEntry(element, config)); }
  if (is(element, "bpmn:Event") && timerOf(element)) {
    entries.push(entry(element, "working-days", WorkingDays, {
      label: L.workingDays, description: L.workingDaysHelp, invalid: L.workingDaysInvalid,
      isEdited: isTextFieldEntryEdited,
    }));
  }
  return entries;
}

export default function GeePropertiesProvider(propertiesPanel, config) {
  this.getGroups = function (element) {
    return function (groups) {
      const entries = geeEntries(element, config);
      if (entries.length) {
        groups.splice(1, 0, { id: "gee", label: "GEE", entries: entries });
      }
      return groups;
    };
  };
  propertiesPanel.registerProvider(500, this);
}

GeePropertiesProvider.$inject = ["propertiesPanel", "config.gee"];
