"""What the modeler's properties panel offers a designer, in the page's language: the labels of
GEE's group, the roles, the forms and templates of the version being edited, the procedure blocks
(registered service operators with their parameters) and the municipality's units."""

from __future__ import annotations

from typing import Any

from engine.base.i18n import _l
from engine.process.definition.validation import Problem
from engine.process.instances.service_calls import OPERATORS
from engine.process.models import ProcessVersion
from engine.tenancy.models import ROLES, role_label
from engine.tenancy.units import unit_names

#: The names designers know the blocks by; an operator without one shows its own name.
BLOCK_NAMES = {
    "gee.generate_document": _l("Generate a document"),
    "gee.create_decree_draft": _l("Draft a decree"),
    "gee.decree_info": _l("Signed decree's number and PDF"),
    "gee.notify": _l("Notify"),
    "gee.public_information": _l("Public information"),
    "gee.allegations": _l("Allegations received"),
    "gee.max_resolution_date": _l("Maximum term to resolve"),
    "gee.suspend_term": _l("Suspend the maximum term"),
    "gee.record_silence": _l("Record the administrative silence"),
    "gee.close_expedient": _l("Close the expedient"),
    "gee.publish_edict": _l("Publish an edict"),
    "gee.relate_expedient": _l("Relate to another expedient"),
    "gee.message_related": _l("Send a message to related expedients"),
    "gee.request_assistance": _l("Ask the provincial service for assistance"),
    "gee.return_assistance": _l("Answer a request for assistance"),
    "gee.propose_to_body": _l("Propose to a collegiate body"),
    "gee.expedient_info": _l("The expedient's number and subject"),
    "gee.call_applications": _l("The call's admitted applications"),
}

LABELS = {
    "role": _l("Role of the lane"),
    "lane": _l("Lane (who does it)"),
    "laneHelp": _l("Drag the task into another lane to give it to another role."),
    "noLane": _l("In no lane"),
    "roleByName": _l("From the lane's name"),
    "form": _l("Form"),
    "noForm": _l("No form"),
    "uiHints": _l("Form layout hints"),
    "none": _l("None"),
    "sign": _l("Signs (gee:sign)"),
    "signHelp": _l(
        "The variable holding the document or decree to sign, e.g. decret_esborrany. A sign task has no form."
    ),
    "awaitNotification": _l("Waits for the notification in (gee:await-notification)"),
    "awaitHelp": _l("The result variable of an earlier Notify block. The task has no form."),
    "unit": _l("Unit (gee:unit)"),
    "unitHelp": _l("The code of the unit whose members do the task. Units of this municipality:"),
    "noUnits": _l("none yet (Administration, Units)."),
    "template": _l("Document template"),
    "block": _l("Procedure block"),
    "noBlock": _l("Choose a block"),
    "resultVariable": _l("Result variable"),
    "workingDays": _l("Term in working days"),
    "workingDaysHelp": _l(
        "The timer ends with the Nth working day after the process reaches it (weekends and the "
        "municipality's holidays do not count): working_days(N)."
    ),
    "workingDaysInvalid": _l("Write a whole number of days, such as 10."),
}

#: bpmn-js's own panel labels seen on every element, in the page's language.
BUILTIN = {
    "General": _l("General"),
    "Name": _l("Name"),
    "ID": _l("ID"),
    "Documentation": _l("Documentation"),
    "Element documentation": _l("Element documentation"),
    "Timer": _l("Timer"),
    "Type": _l("Type"),
    "Value": _l("Value"),
    "User Task": _l("User task"),
    "Manual Task": _l("Manual task"),
    "Service Task": _l("Service task"),
    "Script Task": _l("Script task"),
    "Lane": _l("Lane"),
    "Select an element to edit its properties.": _l("Select an element to edit its properties."),
    # The panel's header: the element's type (bpmn-js spells it with spaces, shown upper-case).
    "Start Event": _l("Start event"),
    "Message Start Event": _l("Message start event"),
    "Timer Start Event": _l("Timer start event"),
    "End Event": _l("End event"),
    "Terminate End Event": _l("Terminate end event"),
    "Error End Event": _l("Error end event"),
    "Message End Event": _l("Message end event"),
    "Intermediate Throw Event": _l("Intermediate throw event"),
    "Message Intermediate Catch Event": _l("Message intermediate catch event"),
    "Timer Intermediate Catch Event": _l("Timer intermediate catch event"),
    "Message Intermediate Throw Event": _l("Message intermediate throw event"),
    "Timer Boundary Event": _l("Timer boundary event"),
    "Timer Boundary Event (Non Interrupting)": _l("Timer boundary event (non-interrupting)"),
    "Message Boundary Event": _l("Message boundary event"),
    "Error Boundary Event": _l("Error boundary event"),
    "Exclusive Gateway": _l("Exclusive gateway"),
    "Parallel Gateway": _l("Parallel gateway"),
    "Inclusive Gateway": _l("Inclusive gateway"),
    "Event Based Gateway": _l("Event-based gateway"),
    "Task": _l("Task"),
    "Business Rule Task": _l("Business rule task"),
    "Send Task": _l("Send task"),
    "Receive Task": _l("Receive task"),
    "Call Activity": _l("Call activity"),
    "Collapsed Sub Process": _l("Sub-process"),
    "Expanded Sub Process": _l("Sub-process"),
    "Sequence Flow": _l("Sequence flow"),
    "Conditional Flow": _l("Conditional flow"),
    "Default Flow": _l("Default flow"),
    "Message Flow": _l("Message flow"),
    "Association": _l("Association"),
    "Text Annotation": _l("Text annotation"),
    "Collaboration": _l("Collaboration"),
    "Participant": _l("Participant"),
    "Process": _l("Process"),
    # The context pad beside a selected element.
    "Change element": _l("Change element"),
    "Delete": _l("Delete"),
    "Add text annotation": _l("Add text annotation"),
    "Append task": _l("Append task"),
    "Append gateway": _l("Append gateway"),
    "Append end event": _l("Append end event"),
    "Append intermediate/boundary event": _l("Append intermediate/boundary event"),
    "Connect to other element": _l("Connect to other element"),
    "Add lane above": _l("Add lane above"),
    "Add lane below": _l("Add lane below"),
    "Divide into two lanes": _l("Divide into two lanes"),
    "Divide into three lanes": _l("Divide into three lanes"),
    # The palette.
    "Activate hand tool": _l("Activate hand tool"),
    "Activate lasso tool": _l("Activate lasso tool"),
    "Activate create/remove space tool": _l("Activate create/remove space tool"),
    "Activate global connect tool": _l("Activate global connect tool"),
    "Create start event": _l("Create start event"),
    "Create intermediate/boundary event": _l("Create intermediate/boundary event"),
    "Create end event": _l("Create end event"),
    "Create gateway": _l("Create gateway"),
    "Create task": _l("Create task"),
    "Create expanded sub-process": _l("Create expanded sub-process"),
    "Create pool/participant": _l("Create pool/participant"),
}


def _block(name: str) -> dict[str, Any]:
    operator = OPERATORS[name]
    label = f"{BLOCK_NAMES[name]} ({name})" if name in BLOCK_NAMES else name
    return {"label": label, "required": list(operator.required), "optional": list(operator.optional)}


def panel_config(version: ProcessVersion, tenant_id: int | None, problems: list[Problem]) -> dict[str, Any]:
    """The JSON the modeler page gives its properties panel."""
    return {
        "labels": {key: str(text) for key, text in LABELS.items()},
        "builtin": {key: str(text) for key, text in BUILTIN.items()},
        "roles": [{"code": role, "name": f"{role_label(role)} ({role})"} for role in ROLES],
        "forms": sorted(version.forms or {}),
        "templates": sorted(version.templates or {}),
        "operators": {name: _block(name) for name in sorted(OPERATORS)},
        "units": sorted(unit_names(tenant_id)) if tenant_id is not None else [],
        "problems": [{"element_id": p.element_id, "message": str(p.message)} for p in problems],
    }
