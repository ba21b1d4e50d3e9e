"""Incidents as an administrator reads them: which step of the model failed (its name in their language)
and what kind of failure it was (a script error, a document template that could not be filled in, a
service call that was refused, a condition that could not be evaluated), with the technical detail kept
apart for whoever fixes the model.

The kind is read from the failed element in the pinned version's BPMN (a script task, a service task and
its operator, the task's document template), so incidents recorded before this module read the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from engine.base.xml_safety import safe_parse_xml
from engine.process.definition.task_labels import label_for
from engine.process.definition.validation import NS, properties
from engine.process.models import Incident, ProcessVersion

SCRIPT, TEMPLATE, SERVICE, CONDITION, STEP = "script", "template", "service", "condition", "step"
#: Where a task names the document template its operator fills in.
TEMPLATE_PROPERTY = "documentTemplate"
#: The "gee.operator: " that service-call messages start with.
_OPERATOR_PREFIX = re.compile(r"^[a-z][\w]*(?:\.[a-z][\w]*)+: ")


@dataclass(frozen=True)
class _Element:
    tag: str
    operator: str | None
    template: str | None


@lru_cache(maxsize=128)
def _elements(content_hash: str, bpmn_xml: str) -> dict[str, _Element]:
    """element id -> what it is, of one (immutable) version; keyed by its content hash."""
    found: dict[str, _Element] = {}
    for element in safe_parse_xml(bpmn_xml).iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        operator = element.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        found[element.get("id", "")] = _Element(
            tag=element.tag.rpartition("}")[2],
            operator=operator.get("id") if operator is not None else None,
            template=properties(element).get(TEMPLATE_PROPERTY) or None,
        )
    return found


@dataclass(frozen=True)
class IncidentReading:
    """An open incident in words: the step, the kind of failure, GEE's message (without the operator's
    prefix) when it has one, and the technical detail."""

    incident: Incident
    expedient_id: int | None
    expedient_number: str | None
    step: str
    kind: str
    #: The service operator the step called (``gee.notify``), for service and template failures.
    operator: str | None
    #: The message in the reader's language without the operator prefix; None for a script's own
    #: error (Python's words), which is only technical detail.
    message: str | None
    detail: str


def _kind(element: _Element | None, raw: str, line: int | None) -> str:
    if element is None:
        return SCRIPT if line is not None else STEP
    if element.operator is not None:
        return TEMPLATE if element.template and element.template.split(".")[0] in raw else SERVICE
    if element.tag == "scriptTask" or line is not None:
        return SCRIPT
    if element.tag.endswith("Gateway") or element.tag == "sequenceFlow":
        return CONDITION
    return STEP


def _without_operator(text: str, operator: str | None) -> str:
    if operator and text.startswith(f"{operator}: "):
        return text[len(operator) + 2:]
    return _OPERATOR_PREFIX.sub("", text, count=1)


def read_incident(incident: Incident, version: ProcessVersion, expedient_id: int | None,
                  expedient_number: str | None, locale: str | None) -> IncidentReading:
    """``incident`` of an instance of ``version``, for a reader in ``locale``."""
    element = (_elements(version.content_hash, version.bpmn_xml).get(incident.element_id)
               if incident.element_id else None)  # fmt: skip
    kind = _kind(element, incident.message, incident.line)
    operator = element.operator if element is not None else None
    step = label_for(version, incident.element_id, locale) if incident.element_id else "—"
    text = incident.message_in(locale)
    message = None if kind in (SCRIPT, STEP) and not incident.messages else _without_operator(text, operator)
    return IncidentReading(incident, expedient_id, expedient_number, step, kind, operator, message,
                           detail=incident.message)


__all__ = ["CONDITION", "SCRIPT", "SERVICE", "STEP", "TEMPLATE", "IncidentReading", "read_incident"]
