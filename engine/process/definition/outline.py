"""What a version asks of people, read from its BPMN: each user task with its lane's role, its
form, and whether it is a sign step or waits on a notification; the templates and decisions it
bundles. The designer's preview shows it before a draft is published."""

from __future__ import annotations

from dataclasses import dataclass

from engine.base.xml_safety import safe_parse_xml
from engine.process.definition.validation import BPMN_NS, FORM_PROPERTY, NS, SIGN_PROPERTY, properties
from engine.process.models import ProcessVersion

AWAIT_NOTIFICATION_PROPERTY = "gee:await-notification"


@dataclass(frozen=True)
class TaskOutline:
    element_id: str
    name: str
    role: str | None
    form_key: str | None
    #: form | sign | notification
    kind: str


@dataclass(frozen=True)
class VersionOutline:
    tasks: list[TaskOutline]
    templates: list[str]
    decisions: list[str]
    messages: list[str]


def outline(version: ProcessVersion) -> VersionOutline:
    """The user tasks in document order, and the files the version bundles."""
    root = safe_parse_xml(version.bpmn_xml)
    lane_of: dict[str, str | None] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        role = (version.lanes or {}).get(lane.get("name") or "")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lane_of[(ref.text or "").strip()] = role
    tasks = []
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        props = properties(task)
        kind = "sign" if SIGN_PROPERTY in props else "notification" if AWAIT_NOTIFICATION_PROPERTY in props else "form"
        element_id = task.get("id", "")
        tasks.append(TaskOutline(element_id, task.get("name") or element_id, lane_of.get(element_id),
                                 props.get(FORM_PROPERTY), kind))  # fmt: skip
    messages = sorted({m.get("name", "") for m in root.iter(f"{{{BPMN_NS}}}message") if m.get("name")})
    return VersionOutline(tasks, sorted(version.templates or {}), sorted(version.dmn_files or {}), messages)


__all__ = ["AWAIT_NOTIFICATION_PROPERTY", "TaskOutline", "VersionOutline", "outline"]
