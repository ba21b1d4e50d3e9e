"""Element labels in the user's language.

BPMN names are Catalan (the ajuntaments' working language, and what ``HumanTask.name`` keeps).
A translation is a spiffworkflow property ``name_<locale>`` on the element (the process, a lane,
a task, an event...), e.g. ``<spiffworkflow:property name="name_es" value="Informe técnico" />``
and ``name_en``, so it is pinned with the version like everything else in the BPMN. The UI asks
:func:`label_for`; a missing translation falls back to the Catalan name, then to the id.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from engine.base.db import db
from engine.base.i18n import _l
from engine.base.settings import LOCALES
from engine.base.xml_safety import safe_parse_xml
from engine.process.definition.validation import Problem, properties
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import HumanTask, ProcessInstance, ProcessVersion

DEFAULT_LOCALE = "ca"


@lru_cache(maxsize=128)
def _labels(content_hash: str, bpmn_xml: str) -> dict[str, dict[str, str]]:
    """element id -> {locale: label} of one (immutable) version; keyed by its content hash."""
    found: dict[str, dict[str, str]] = {}
    for element in safe_parse_xml(bpmn_xml).iter():
        if not isinstance(element.tag, str) or not element.get("id") or element.tag.endswith("Definition"):
            continue
        names = {DEFAULT_LOCALE: element.get("name")} if element.get("name") else {}
        for prop, value in properties(element).items():
            if prop.startswith("name_") and value.strip():
                names[prop.removeprefix("name_")] = value.strip()
        if names:
            found[element.get("id", "")] = names
    return found


def label_for(version: ProcessVersion, element_id: str, locale: str | None) -> str:
    """The label of ``element_id`` (a task, lane, event or the process key) in ``locale``."""
    names = _labels(version.content_hash, version.bpmn_xml).get(element_id, {})
    return names.get(locale or DEFAULT_LOCALE) or names.get(DEFAULT_LOCALE) or element_id


def task_label(task: HumanTask, locale: str | None) -> str:
    """A human task's name in ``locale`` (its stored name is the Catalan one)."""
    return _instance_label(task.instance_id, task.element_id, task.name, locale)


def instance_labels(tasks: list[tuple[int, str, str]], locale: str | None) -> list[str]:
    """The labels of many tasks given as (instance id, element id, stored Catalan name): in Catalan
    their stored names, in another language with one statement for all their versions, not one a task."""
    if (locale or DEFAULT_LOCALE) == DEFAULT_LOCALE:
        return [stored for _instance_id, _element_id, stored in tasks]
    versions = {
        instance_id: (version_id, content_hash)
        for instance_id, version_id, content_hash in db.session.execute(
            select(ProcessInstance.id, ProcessVersion.id, ProcessVersion.content_hash)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
            .where(ProcessInstance.id.in_({instance_id for instance_id, _element_id, _stored in tasks}))
        )
    }
    return [version_label(*versions[instance_id], element_id, stored, locale)
            for instance_id, element_id, stored in tasks]  # fmt: skip


def _instance_label(instance_id: int, element_id: str, stored: str, locale: str | None) -> str:
    """The label of an element of a running instance's version; ``stored`` is its Catalan name."""
    if (locale or DEFAULT_LOCALE) == DEFAULT_LOCALE:
        return stored
    version_id, content_hash = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.content_hash)
        .join(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
        .where(ProcessInstance.id == instance_id)
    ).one()
    return version_label(version_id, content_hash, element_id, stored, locale)


def version_label(version_id: int, content_hash: str, element_id: str, stored: str, locale: str | None) -> str:
    """The label of an element of a known version; ``stored`` is its Catalan name. Lists that read
    the version with their rows ask this, without a statement per row."""
    if (locale or DEFAULT_LOCALE) == DEFAULT_LOCALE:
        return stored
    names = _labels_of_version(version_id, content_hash).get(element_id, {})
    return names.get(str(locale)) or stored


@lru_cache(maxsize=256)
def _labels_of_version(version_id: int, content_hash: str) -> dict[str, dict[str, str]]:
    """Versions are immutable, so their labels can be remembered; keyed by the content hash too,
    so a remembered id never answers for another version (a database rebuilt under a running process)."""
    version = db.session.get(ProcessVersion, version_id)
    return _labels(content_hash, version.bpmn_xml) if version is not None else {}


def awaited_label(awaited: AwaitedMessage, locale: str | None) -> str:
    """What a process waits for (its catching event's name) in ``locale``; the stored name is Catalan."""
    return _instance_label(awaited.instance_id, awaited.element_id, awaited.name, locale)


def labels_of(version: ProcessVersion, locale: str | None) -> dict[str, str]:
    """Every labelled element of the version in ``locale`` (for a diagram or a catalogue page)."""
    return {element_id: label_for(version, element_id, locale) for element_id in
            _labels(version.content_hash, version.bpmn_xml)}  # fmt: skip


#: Elements whose names people read: tasks in the inbox, and what a process waits for (a citizen's
#: answer, a deadline) on the e-office and the task page.
NAMED_FOR_PEOPLE = ("}userTask", "}manualTask", "}eventBasedGateway", "}intermediateCatchEvent", "}receiveTask")


def missing_task_labels(version: ProcessVersion) -> list[Problem]:
    """Warnings, not refusals: the named tasks and waits without a ``name_<locale>`` for some
    language, which the people working in that language would see in Catalan."""
    labels = _labels(version.content_hash, version.bpmn_xml)
    warnings = []
    for element in safe_parse_xml(version.bpmn_xml).iter():
        if not isinstance(element.tag, str) or not element.tag.endswith(NAMED_FOR_PEOPLE) or not element.get("name"):
            continue
        element_id = element.get("id", "")
        missing = [f"name_{locale}" for locale in LOCALES
                   if locale != DEFAULT_LOCALE and locale not in labels.get(element_id, {})]  # fmt: skip
        if missing:
            warnings.append(Problem(element_id, _l("The task has no %(properties)s: people working in that language "
                                                   "see its Catalan name.", properties=", ".join(missing))))
    return warnings


__all__ = ["label_for", "labels_of", "missing_task_labels", "task_label"]
