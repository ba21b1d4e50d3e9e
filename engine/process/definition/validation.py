"""Checking a process model before it is deployed: every problem at once, in designer words.

Each :class:`Problem` names the BPMN element (or the file) and says what is wrong in a sentence
a process designer understands; nothing here ever shows a stack trace.

Conventions a model must follow (the designer docs repeat them):

- **One executable process per file** is the model; its id is the model key. Other processes in
  the file may be called from it (call activities).
- **Lanes are roles.** A lane maps to a role (``tramitador``, ``tecnic``, ``secretari``,
  ``alcalde``, ``dissenyador``, ``admin``) by a spiffworkflow property ``role`` on the lane, or
  else by its name: the name, without accents and case, is the role or a usual alias
  ("Tècnic", "Secretari-interventor", "Alcaldia", "Administratiu"...). When a process has
  lanes, every user or manual task must be in one.
- **Forms**: a user task names its JSON Schema with the spiffworkflow property
  ``formJsonSchemaFilename`` (and optional UI hints with ``formUiSchemaFilename``); files are
  looked up by name in the forms directory.
- **Document templates**: any task may name a Jinja2 template with the property
  ``documentTemplate``; files are looked up by name in the templates directory.
- **DMN**: a business rule task names its decision (``spiffworkflow:calledDecisionId``); the DMN
  files beside the BPMN that define the called decisions are bundled with the version.
- **Sign tasks**: a user task with the property ``gee:sign`` (value: the name of the variable that
  holds the document or decree to sign, e.g. the ``resultVariable`` of ``gee.create_decree_draft``)
  is done by a real signature of the person in its lane (``alcalde``, ``secretari`` or
  ``tecnic``), not by a form: it has no ``formJsonSchemaFilename``. It completes with ``signatura`` =
  ``{"outcome": "signed" | "returned", ...}``.
- **Units**: a user or manual task with the property ``gee:unit`` (value: a unit code such as
  ``urbanisme``) is offered to the members of that administrative unit of the municipality
  instead of a role's holders; deploying for a municipality checks that it has the unit.
- **Service tasks** name a registered operator (``spiffworkflow:serviceTaskOperator``, see
  :mod:`engine.operators`) and give its required parameters as expressions.
- **Template languages**: a template named ``<stem>.<locale>.html`` is bundled with its siblings
  in the other languages (``<stem>.ca.html``, ``<stem>.es.html``) when they exist.
- **Call activities** call a process of the same file, or a published model visible to the
  tenant (its own, else a shared one); the called version is pinned in the deployed version.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from jsonschema import Draft202012Validator, SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.base.i18n import _l
from engine.base.xml_safety import UnsafeXmlError, safe_parse_xml
from engine.process.definition import data_names, specs
from engine.process.definition.template_locales import DOCUMENT_LOCALES, LOCALE_VARIANT
from engine.process.instances.projection import UNIT_PROPERTY
from engine.process.instances.service_calls import OPERATORS
from engine.process.sandbox.runner import SandboxEnvironment, ScriptError
from engine.tenancy.models import ROLES
from engine.tenancy.units import UNIT_CODE

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"
TEMPLATE_PROPERTY = "documentTemplate"
ROLE_PROPERTY = "role"

#: Elements the platform does not run, with the reason shown to the designer.
UNSUPPORTED = {
    "complexGateway": _l("complex gateways are not supported: use exclusive or inclusive gateways."),
    "adHocSubProcess": _l("ad hoc subprocesses are not supported."),
}

_ROLE_ALIASES = {
    "administratiu": "tramitador",
    "administrativa": "tramitador",
    "tramitadora": "tramitador",
    "tecnica": "tecnic",
    "secretaria": "secretari",
    "secretari-interventor": "secretari",
    "secretaria-interventora": "secretari",
    "secretari interventor": "secretari",
    "alcaldessa": "alcalde",
    "alcaldia": "alcalde",
    "dissenyadora": "dissenyador",
    "administrador": "admin",
    "administradora": "admin",
}

#: A file a model references: a plain name in its folder (``_document.html``: a base template).
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")


@dataclass(frozen=True)
class Problem:
    """One thing that keeps a model from being deployed."""

    element_id: str
    message: Any  # a lazy translatable string, or str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.element_id}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "message": str(self.message), "line": self.line}


@dataclass(frozen=True)
class CalledModel:
    """A deployed version a call activity may pin: its key, content hash and stored spec."""

    key: str
    version_id: int
    content_hash: str
    spec_json: str


@dataclass
class Sources:
    """Where the files a model references are read from; every read is size-limited."""

    forms_dir: Path
    templates_dir: Path
    dmn_dir: Path | None
    max_bytes: int
    #: Explicit DMN files (name -> text), used instead of ``dmn_dir`` when given.
    dmn_files: dict[str, str] | None = None
    #: Where ``<key>.info.json`` (the e-office information, with its start form) may sit.
    info_dir: Path | None = None
    #: Where a start form named in the sidecar is looked up when ``forms_dir`` does not have it
    #: (the e-office does the same: the version's forms, else the platform's forms folder).
    start_forms_dir: Path | None = None

    def read(self, directory: Path, name: str) -> str:
        """The text of ``directory/name``; raises LookupError (missing) or ValueError (bad)."""
        if not SAFE_FILE_NAME.fullmatch(name):
            raise ValueError("name")
        path = directory / name
        if not path.is_file():
            raise LookupError(name)
        if path.stat().st_size > self.max_bytes:
            raise ValueError("size")
        return path.read_text(encoding="utf-8")

    def dmn_candidates(self) -> dict[str, str]:
        if self.dmn_files is not None:
            return dict(self.dmn_files)
        if self.dmn_dir is None or not self.dmn_dir.is_dir():
            return {}
        found = {}
        for path in sorted(self.dmn_dir.glob("*.dmn")):
            if path.stat().st_size <= self.max_bytes:
                found[path.name] = path.read_text(encoding="utf-8", errors="replace")
            else:
                found[path.name] = ""  # reported as too big when it is needed
        return found


@dataclass
class CheckedModel:
    """A model that passed every check: what a version stores."""

    key: str
    name: str
    bpmn_xml: str
    dmn_files: dict[str, str]
    forms: dict[str, Any]
    templates: dict[str, str]
    lanes: dict[str, str]
    called: dict[str, CalledModel]
    spec_json: str
    #: Unit code -> the id of the first task assigned to it (``gee:unit``).
    units: dict[str, str] = field(default_factory=dict)


@dataclass
class _Check:
    file_name: str
    text: str
    sources: Sources
    find_called: Callable[[str], CalledModel | None]
    max_bytes: int
    problems: list[Problem] = field(default_factory=list)
    sandbox: SandboxEnvironment = field(default_factory=SandboxEnvironment)

    def add(self, element_id: str | None, message: Any, line: int | None = None) -> None:
        self.problems.append(Problem(element_id or self.file_name, message, line))


def check_model(
    file_name: str,
    text: str,
    sources: Sources,
    find_called: Callable[[str], CalledModel | None],
) -> tuple[CheckedModel | None, list[Problem]]:
    """Validate a BPMN text and everything it references; the checked model or the problems."""
    check = _Check(file_name, text, sources, find_called, sources.max_bytes)
    root = _parse_bpmn(check)
    if root is None:
        return None, check.problems
    process = _main_process(check, root)
    if process is None:
        return None, check.problems
    _check_unsupported(check, root)
    _check_reserved_ids(check, root)
    _check_service_tasks(check, root)
    lanes = _check_lanes(check, process)
    before_forms = len(check.problems)
    forms = _check_forms(check, root)
    forms_read = len(check.problems) == before_forms
    templates = _check_templates(check, root)
    before_dmn = len(check.problems)
    dmn_files = _check_dmn(check, root)
    dmn_read = len(check.problems) == before_dmn
    start_fields = _start_form_fields(check, process.get("id", "")) | _declared_start_data(process)
    known = _known_data_names(root, forms, dmn_files, start_fields)
    _check_sign_tasks(check, process, known)
    _check_notification_tasks(check, process, known)
    units = _check_unit_tasks(check, process)
    _check_code(check, root, known)
    if forms_read and dmn_read:  # else the names they define are unknown: fix those files first
        _check_undefined_names(check, root, known)
    local_ids = {p.get("id") for p in root.iterfind("bpmn:process", NS)}
    called = _check_call_activities(check, root, local_ids)
    if check.problems:
        return None, check.problems
    spec_json = _build_spec(check, root, process.get("id", ""), dmn_files, called)
    if spec_json is None:
        return None, check.problems
    return (
        CheckedModel(
            key=process.get("id", ""),
            name=(process.get("name") or process.get("id") or "")[:200],
            bpmn_xml=text,
            dmn_files=dmn_files,
            forms=forms,
            templates=templates,
            lanes=lanes,
            called=called,
            spec_json=spec_json,
            units=units,
        ),
        [],
    )


# --- the XML itself ------------------------------------------------------------------------


def _parse_bpmn(check: _Check) -> etree._Element | None:
    if len(check.text.encode("utf-8")) > check.max_bytes:
        check.add(None, _l("The file is larger than the %(kb)s KB allowed.", kb=check.max_bytes // 1024))
        return None
    try:
        root = safe_parse_xml(check.text)
    except UnsafeXmlError:
        check.add(None, _l("The file declares a DOCTYPE or entities, which are not allowed in BPMN files."))
        return None
    except etree.XMLSyntaxError as err:
        line = err.lineno or None
        check.add(None, _l("The file is not well-formed XML (line %(line)s: %(detail)s).", line=line,
                           detail=err.msg), line)  # fmt: skip
        return None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        check.add(None, _l("The file is not a BPMN 2.0 model (its root element is not bpmn:definitions)."))
        return None
    return root


def _main_process(check: _Check, root: etree._Element) -> etree._Element | None:
    executable = [p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "").lower() == "true"]
    if not executable:
        check.add(None, _l("The file has no executable process: mark the process as executable."))
        return None
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    mains = [p for p in executable if p.get("id") not in called] or executable
    if len(mains) > 1:
        ids = ", ".join(p.get("id", "?") for p in mains)
        check.add(None, _l("The file has several executable processes (%(ids)s): keep one per file.", ids=ids))
        return None
    return mains[0]


def _check_unsupported(check: _Check, root: etree._Element) -> None:
    for element in root.iter():
        local = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if element.tag == f"{{{BPMN_NS}}}{local}" and local in UNSUPPORTED:
            check.add(element.get("id"), UNSUPPORTED[local], element.sourceline)


#: Names SpiffWorkflow gives its own steps in every process (its start task and end tasks): an
#: element with one of these ids would silently replace them and the process would not run.
RESERVED_IDS = ("Start", "End", "Root")


def _check_reserved_ids(check: _Check, root: etree._Element) -> None:
    for process in root.iterfind("bpmn:process", NS):
        reserved = {*RESERVED_IDS, f"{process.get('id', '')}.EndJoin"}
        for element in process.iter():
            if isinstance(element.tag, str) and element.get("id") in reserved:
                check.add(element.get("id"), _l("The id %(id)s is reserved by the process engine: give the element "
                                               "another id.", id=element.get("id")), element.sourceline)  # fmt: skip


def _check_service_tasks(check: _Check, root: etree._Element) -> None:
    """Each service task names a registered operator with its required parameters, and the model
    catches the message that brings a later answer (e.g. the report of ``gee.request_assistance``)."""
    caught = _caught_messages(root)
    for task in _elements(root, "serviceTask"):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        name = operator.get("id", "") if operator is not None else ""
        known = OPERATORS.get(name)
        if operator is None or known is None:
            check.add(task.get("id"), _l("The service task must name one of the operators %(names)s.",
                                         names=", ".join(OPERATORS)), task.sourceline)  # fmt: skip
            continue
        if known.answered_by and known.answered_by not in caught:
            check.add(task.get("id"), _l("The service %(name)s is answered later by the message %(message)s: "
                                         "add a message catch event of %(message)s after it.", name=name,
                                         message=known.answered_by), task.sourceline)  # fmt: skip
        given = {}
        for param in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
            given[param.get("id", "")] = param.get("value", "")
        for missing in (p for p in known.required if not given.get(p, "").strip()):
            check.add(task.get("id"), _l("The service %(name)s needs the parameter %(param)s.", name=name,
                                         param=missing), task.sourceline)  # fmt: skip
        for param_name, code in given.items():
            if param_name not in (*known.required, *known.optional):
                check.add(task.get("id"), _l("The service %(name)s has no parameter %(param)s.", name=name,
                                             param=param_name), task.sourceline)  # fmt: skip
            elif code.strip():
                error = check.sandbox.check(code.strip(), "eval")
                if error is not None:
                    check.add(task.get("id"), _code_message("condition", str(error)), task.sourceline)


def _caught_messages(root: etree._Element) -> set[str]:
    """The names of the messages some catch event of the model waits for."""
    names = {message.get("id"): message.get("name") for message in root.iterfind("bpmn:message", NS)}
    return {names.get(definition.get("messageRef")) or ""
            for event in _elements(root, "intermediateCatchEvent", "boundaryEvent")
            for definition in event.iterfind("bpmn:messageEventDefinition", NS)}  # fmt: skip


def _with_locale_variants(check: _Check, name: str) -> list[str]:
    """``name`` and its existing siblings in the other languages."""
    match = LOCALE_VARIANT.match(name)
    if not match:
        return [name]
    names = [name]
    for locale in DOCUMENT_LOCALES:
        sibling = f"{match['stem']}.{locale}.html"
        if sibling != name and (check.sources.templates_dir / sibling).is_file():
            names.append(sibling)
    return names


def properties(element: etree._Element) -> dict[str, str]:
    """The spiffworkflow properties of a BPMN element."""
    found = {}
    for prop in element.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        if prop.get("name"):
            found[prop.get("name", "")] = prop.get("value", "")
    return found


# --- lanes ---------------------------------------------------------------------------------


def lane_role(name: str | None, props: dict[str, str]) -> str | None:
    """The role a lane stands for (see the module docstring), or None."""
    if props.get(ROLE_PROPERTY):
        role = props[ROLE_PROPERTY].strip().lower()
        return role if role in ROLES else None
    if not name:
        return None
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    plain = " ".join(plain.lower().split())
    return plain if plain in ROLES else _ROLE_ALIASES.get(plain)


def _check_lanes(check: _Check, process: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    in_lane: set[str] = set()
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        name = lane.get("name")
        props = properties(lane)
        role = lane_role(name, props)
        if not name:
            check.add(lane.get("id"), _l("The lane has no name: name it after the role that works in it."),
                      lane.sourceline)  # fmt: skip
        elif role is None and props.get(ROLE_PROPERTY):
            check.add(lane.get("id"), _l("The lane %(lane)s has role %(role)s, which does not exist. Roles: "
                                         "%(roles)s.", lane=name, role=props[ROLE_PROPERTY], roles=", ".join(ROLES)),
                      lane.sourceline)  # fmt: skip
        elif role is None:
            check.add(lane.get("id"), _l("The lane %(lane)s maps to no role. Name it after a role (%(roles)s) or "
                                         "give it a spiffworkflow property 'role'.", lane=name,
                                         roles=", ".join(ROLES)), lane.sourceline)  # fmt: skip
        else:
            lanes[name] = role
        in_lane.update((ref.text or "").strip() for ref in lane.iterfind("bpmn:flowNodeRef", NS))
    if in_lane:
        for task in _elements(process, "userTask", "manualTask"):
            if task.get("id") not in in_lane:
                check.add(task.get("id"), _l("The task %(name)s is in no lane, so nobody would be asked to do it.",
                                             name=task.get("name") or task.get("id")), task.sourceline)  # fmt: skip
    return lanes


SIGN_PROPERTY = "gee:sign"
#: The roles whose lane may hold a sign task: they have a signature queue (a technician signs
#: their own reports, e.g. the Diputació's technical assistance).
SIGNER_ROLES = ("alcalde", "secretari", "tecnic")


def _check_sign_tasks(check: _Check, process: etree._Element, known: set[str]) -> None:
    """A ``gee:sign`` task: a user task, without a form, in a signer's lane, naming a variable
    an earlier step sets."""
    lane_of: dict[str, str | None] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        role = lane_role(lane.get("name"), properties(lane))
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lane_of[(ref.text or "").strip()] = role
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        variable = properties(element).get(SIGN_PROPERTY)
        if variable is None:
            continue
        name = element.get("name") or element.get("id")
        line = element.sourceline
        if element.tag != f"{{{BPMN_NS}}}userTask":
            check.add(element.get("id"), _l("Only a user task can be a sign task (property gee:sign)."), line)
            continue
        variable = variable.strip()
        if not variable.isidentifier():
            check.add(element.get("id"), _l("The sign task %(name)s must name a variable (gee:sign), such as "
                                            "decret_esborrany.", name=name), line)  # fmt: skip
        elif variable not in known:
            check.add(element.get("id"), _l("The sign task %(name)s signs %(var)s, which no earlier step sets.",
                                            name=name, var=variable), line)  # fmt: skip
        if properties(element).get(FORM_PROPERTY):
            check.add(element.get("id"), _l("The sign task %(name)s is done by signing: remove its form.",
                                            name=name), line)  # fmt: skip
        if lane_of.get(element.get("id") or "") not in SIGNER_ROLES:
            check.add(element.get("id"), _l("Put the sign task %(name)s in the lane of a signer: %(roles)s.",
                                            name=name, roles=", ".join(SIGNER_ROLES)), line)  # fmt: skip
    known.add("signatura")


AWAIT_NOTIFICATION_PROPERTY = "gee:await-notification"


def _check_notification_tasks(check: _Check, process: etree._Element, known: set[str]) -> None:
    """A ``gee:await-notification`` task: a user task, without a form and not a sign task, naming
    the variable an earlier ``gee.notify`` answered into."""
    for element in process.iter(f"{{{BPMN_NS}}}*"):
        variable = properties(element).get(AWAIT_NOTIFICATION_PROPERTY)
        if variable is None:
            continue
        name, line = element.get("name") or element.get("id"), element.sourceline
        if element.tag != f"{{{BPMN_NS}}}userTask":
            check.add(element.get("id"), _l("Only a user task can wait for a notification "
                                            "(property gee:await-notification)."), line)  # fmt: skip
            continue
        variable = variable.strip()
        if not variable.isidentifier() or variable not in known:
            check.add(element.get("id"), _l("The task %(name)s waits for the notification in %(var)s, which no "
                                            "earlier step sets (the resultVariable of a gee.notify).",
                                            name=name, var=variable), line)  # fmt: skip
        if properties(element).get(FORM_PROPERTY) or properties(element).get(SIGN_PROPERTY):
            check.add(element.get("id"), _l("The task %(name)s goes on with the notification's outcome: it cannot "
                                            "have a form or be a sign task.", name=name), line)  # fmt: skip
    known.update(("notification_id", "notification_outcome", "notified_on"))


def _check_unit_tasks(check: _Check, process: etree._Element) -> dict[str, str]:
    """A ``gee:unit`` task: a user or manual task naming a unit code; the units named."""
    units: dict[str, str] = {}
    for element in process.iter(f"{{{BPMN_NS}}}*"):
        code = properties(element).get(UNIT_PROPERTY)
        if code is None:
            continue
        name, line = element.get("name") or element.get("id"), element.sourceline
        if element.tag not in (f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
            check.add(element.get("id"), _l("Only a user or manual task can be for a unit (property gee:unit)."),
                      line)  # fmt: skip
            continue
        code = code.strip().lower()
        if not UNIT_CODE.fullmatch(code):
            check.add(element.get("id"), _l("The task %(name)s names the unit %(unit)s: a unit code is lower-case "
                                            "letters, digits or _, such as urbanisme.", name=name, unit=code),
                      line)  # fmt: skip
            continue
        units.setdefault(code, element.get("id") or "")
    return units


def _elements(root: etree._Element, *local_names: str) -> Iterator[etree._Element]:
    for name in local_names:
        yield from root.iter(f"{{{BPMN_NS}}}{name}")


# --- forms and templates -------------------------------------------------------------------


def _check_forms(check: _Check, root: etree._Element) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    for task in _elements(root, "userTask"):
        props = properties(task)
        for prop, is_schema in ((FORM_PROPERTY, True), (UI_PROPERTY, False)):
            name = props.get(prop)
            if name is None or name in forms:
                continue
            loaded = _load_json(check, task, name)
            if loaded is None:
                continue
            if is_schema and not _schema_ok(check, task, name, loaded):
                continue
            forms[name] = loaded
    return forms


def _load_json(check: _Check, task: etree._Element, name: str) -> Any:
    element_id = task.get("id")
    try:
        text = check.sources.read(check.sources.forms_dir, name)
    except LookupError:
        check.add(element_id, _l("The form %(file)s does not exist in the forms folder.", file=name), task.sourceline)
        return None
    except (ValueError, OSError):
        check.add(element_id, _l("The form file name %(file)s is not valid or the file is too large.", file=name),
                  task.sourceline)  # fmt: skip
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        check.add(element_id, _l("The form %(file)s is not valid JSON (line %(line)s: %(detail)s).", file=name,
                                 line=err.lineno, detail=err.msg), task.sourceline)  # fmt: skip
        return None
    if not isinstance(value, dict):
        check.add(element_id, _l("The form %(file)s must be a JSON object.", file=name), task.sourceline)
        return None
    return value


def _schema_ok(check: _Check, task: etree._Element, name: str, schema: dict[str, Any]) -> bool:
    err = _schema_error(json.dumps(schema, sort_keys=True))
    if err is not None:
        where = "/".join(str(p) for p in err.path) or "/"
        check.add(task.get("id"), _l("The form %(file)s is not a valid JSON Schema: %(detail)s (at %(where)s).",
                                     file=name, detail=err.message, where=where), task.sourceline)  # fmt: skip
        return False
    return True


@lru_cache(maxsize=512)
def _schema_error(schema_text: str) -> SchemaError | None:
    """What is wrong with a form's JSON Schema against its metaschema, remembered by content: each new
    version of a model brings its forms again, mostly unchanged, and the check costs tens of ms a form."""
    schema = json.loads(schema_text)
    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as err:
        return err
    return None


def _check_templates(check: _Check, root: etree._Element) -> dict[str, str]:
    """Bundle the document templates the tasks name, their locale variants and, transitively,
    the templates they extend or include (rendering reads only the bundled ones)."""
    templates: dict[str, str] = {}
    wanted: deque[tuple[etree._Element, str, str | None]] = deque()
    for element in root.iter():
        name = properties(element).get(TEMPLATE_PROPERTY) if isinstance(element.tag, str) else None
        if name:
            wanted.extend((element, variant, None) for variant in _with_locale_variants(check, name))
    while wanted:
        element, name, used_by = wanted.popleft()
        if name in templates:
            continue
        text = _read_template(check, element, name, used_by)
        if text is None:
            continue
        references = _template_references(check, element, name, text)
        if references is None:
            continue
        templates[name] = text
        wanted.extend((element, reference, name) for reference in references)
    return templates


def _read_template(check: _Check, element: etree._Element, name: str, used_by: str | None) -> str | None:
    try:
        return check.sources.read(check.sources.templates_dir, name)
    except LookupError:
        if used_by is None:
            message = _l("The document template %(file)s does not exist in the templates folder.", file=name)
        else:
            message = _l("The document template %(file)s, which %(user)s extends or includes, does not exist in "
                         "the templates folder.", file=name, user=used_by)  # fmt: skip
        check.add(element.get("id"), message, element.sourceline)
    except (ValueError, OSError, UnicodeDecodeError):
        check.add(element.get("id"), _l("The document template name %(file)s is not valid or the file is too "
                                        "large.", file=name), element.sourceline)  # fmt: skip
    return None


def _template_references(check: _Check, element: etree._Element, name: str, text: str) -> list[str] | None:
    """The templates ``text`` extends, includes or imports; None (and a problem) when it cannot be used."""
    try:
        references = list(_referenced_templates(text))
    except TemplateSyntaxError as err:
        check.add(element.get("id"), _l("The document template %(file)s has an error on line %(line)s: "
                                        "%(detail)s", file=name, line=err.lineno, detail=err.message),
                  element.sourceline)  # fmt: skip
        return None
    if None in references:
        check.add(element.get("id"), _l("The document template %(file)s extends or includes a template whose "
                                        "name is computed: write the name itself.", file=name),
                  element.sourceline)  # fmt: skip
        return None
    return [reference for reference in references if reference is not None]


@lru_cache(maxsize=512)
def _referenced_templates(text: str) -> tuple[str | None, ...]:
    """The names a template extends, includes or imports (None for a computed one), remembered by
    content as :func:`_schema_error` is: parsing every template of a model again is most of a deploy's
    template check. A syntax error is raised, not remembered."""
    return tuple(meta.find_referenced_templates(SandboxedEnvironment().parse(text)))


# --- scripts, conditions, timers ---------------------------------------------------------


def _code_locations(root: etree._Element) -> Iterator[tuple[etree._Element, str, str, str]]:
    """(element, code, mode, what) of every piece of designer code in the model."""
    for task in _elements(root, "scriptTask"):
        script = task.find("bpmn:script", NS)
        if script is not None and (script.text or "").strip():
            yield task, script.text or "", "exec", "script"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for tag in ("preScript", "postScript"):
            script = element.find(f"bpmn:extensionElements/spiffworkflow:{tag}", NS)
            if script is not None and (script.text or "").strip():
                yield element, script.text or "", "exec", "script"
    for flow in _elements(root, "sequenceFlow"):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None and (condition.text or "").strip():
            yield flow, condition.text or "", "eval", "condition"
    for tag in ("loopCardinality", "completionCondition", "condition"):
        for expr in _elements(root, tag):
            if (expr.text or "").strip():
                yield _owner(expr), expr.text or "", "eval", "condition"
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for expr in _elements(root, tag):
            if (expr.text or "").strip():
                yield _owner(expr), expr.text or "", "eval", tag


def _owner(element: etree._Element) -> etree._Element:
    """The nearest ancestor with an id (the event or task a definition belongs to)."""
    node: etree._Element | None = element
    while node is not None and (node.get("id") is None or node.tag.endswith("Definition")):
        node = node.getparent()
    return node if node is not None else element


def _known_data_names(
    root: etree._Element, forms: dict[str, Any], dmn_files: dict[str, str], start_fields: set[str]
) -> set[str]:
    """Names task data will hold at run time (see :mod:`engine.process.definition.data_names`).

    A timer expression that uses one of them cannot be evaluated at deploy time (there is no
    data yet), so only its syntax is checked."""
    names = set(start_fields)
    for schema in forms.values():
        names |= data_names.names_in_schema(schema)
    scripts = (code for _element, code, mode, _what in _code_locations(root) if mode == "exec")
    names |= data_names.model_defined_names(root, scripts)
    names |= data_names.dmn_output_names(dmn_files)
    return names


#: A process property listing the data it is started with by another process or a program
#: (comma-separated names), beside what a registry entry or an e-office filing brings.
START_DATA_PROPERTY = "gee:start-data"


def _declared_start_data(process: etree._Element) -> set[str]:
    declared = properties(process).get(START_DATA_PROPERTY, "")
    return {name.strip() for name in declared.split(",") if name.strip().isidentifier()}


def _start_form_fields(check: _Check, key: str) -> set[str]:
    """The fields of the e-office start form named in ``<key>.info.json`` beside the model (a
    filing puts them in the process data); none when there is no such file."""
    folder = check.sources.info_dir
    if folder is None or not SAFE_FILE_NAME.fullmatch(f"{key}.info.json"):
        return set()
    try:
        info = json.loads(check.sources.read(folder, f"{key}.info.json"))
        form = info.get("start_form") if isinstance(info, dict) else None
        if isinstance(form, str):
            form = json.loads(_read_start_form(check.sources, form))
    except (LookupError, ValueError, OSError):
        return set()
    _check_subject_fields(check, key, info, form)
    return data_names.names_in_schema(form)


def _check_subject_fields(check: _Check, key: str, info: dict[str, Any], form: Any) -> None:
    """The sidecar's ``subject_fields`` word a filing's subject: each must be a start-form field."""
    named = info.get("subject_fields")
    if named is None or not isinstance(form, dict):
        return
    fields = form.get("properties") or {}
    missing = [str(n) for n in named if n not in fields] if isinstance(named, list) else [str(named)]
    if missing:
        check.add(f"{key}.info.json", _l("subject_fields names %(names)s, which the e-office start form does not "
                                         "have: the subject of a filing follows the procedure's name with what the "
                                         "citizen typed in these fields.", names=", ".join(missing)))


def _read_start_form(sources: Sources, name: str) -> str:
    try:
        return sources.read(sources.forms_dir, name)
    except LookupError:
        if sources.start_forms_dir is None:
            raise
        return sources.read(sources.start_forms_dir, name)


def _read_pieces(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """(element, code, mode) of every expression or script that reads process data."""
    for element, code, mode, _what in _code_locations(root):
        yield element, code, mode
    for task in _elements(root, "serviceTask"):
        for param in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:serviceTaskOperator/spiffworkflow:parameters/"
            "spiffworkflow:parameter", NS
        ):
            if (param.get("value") or "").strip():
                yield task, param.get("value", ""), "eval"


def _check_undefined_names(check: _Check, root: etree._Element, known: set[str]) -> None:
    """A name read by a script, condition, timer or service parameter that nothing defines is a
    typo or a missing step: refused here rather than an incident later."""
    reported = {problem.element_id for problem in check.problems}  # one problem at a time per element
    pieces = (piece for piece in _read_pieces(root) if piece[0].get("id") not in reported)
    for element, name in data_names.undefined_reads(pieces, known):
        check.add(element.get("id"), _l("%(name)s is read here but nothing defines it: no form field, script, "
                                        "service result, decision output, message or start data of the "
                                        "procedure has this name.", name=name), element.sourceline)  # fmt: skip


def _check_code(check: _Check, root: etree._Element, known: set[str]) -> None:
    for element, code, mode, what in _code_locations(root):
        error = check.sandbox.check(code, mode)
        if error is not None:
            for problem in error.problems:
                check.add(element.get("id"), _code_message(what, problem.message), element.sourceline)
            continue
        if what in ("timeDate", "timeDuration", "timeCycle"):
            _check_timer(check, element, code.strip(), what, known)


def _code_message(what: str, detail: str) -> Any:
    if what == "script":
        return _l("The script cannot run: %(detail)s", detail=detail)
    if what == "condition":
        return _l("The condition cannot be evaluated: %(detail)s", detail=detail)
    return _l("The timer expression cannot be evaluated: %(detail)s", detail=detail)


def _check_timer(check: _Check, element: etree._Element, code: str, what: str, known: set[str]) -> None:
    try:
        value = check.sandbox.evaluate(code, {})
    except ScriptError as err:
        names = {str(p.params.get("name")) for p in err.problems if p.key == "name"}
        if names and names <= known:
            return
        check.add(element.get("id"), _code_message(what, str(err)), element.sourceline)
        return
    try:
        if not isinstance(value, str):
            raise TypeError
        if what == "timeDate":
            datetime.fromisoformat(value)
        elif what == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
        expected = {
            "timeDate": _l("a date and time such as working_days(10) or '2026-12-04T23:59:59+01:00'"),
            "timeDuration": _l("an ISO 8601 duration such as 'P10D' or 'PT2H'"),
            "timeCycle": _l("an ISO 8601 repetition such as 'R3/PT1H'"),
        }[what]
        check.add(element.get("id"), _l("The timer expression gives %(value)s; it must give %(expected)s.",
                                        value=repr(value)[:80], expected=expected), element.sourceline)  # fmt: skip


# --- DMN and call activities ---------------------------------------------------------------


def _called_decisions(root: etree._Element) -> list[tuple[etree._Element, str]]:
    found = []
    for task in _elements(root, "businessRuleTask"):
        ref = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        decision = (ref.text or "").strip() if ref is not None else ""
        found.append((task, decision))
    return found


def _decision_ids(dmn_root: etree._Element) -> set[str]:
    return {
        el.get("id", "")
        for el in dmn_root.iter()
        if isinstance(el.tag, str) and etree.QName(el).localname == "decision" and el.get("id")
    }


def _check_dmn(check: _Check, root: etree._Element) -> dict[str, str]:
    """Bundle the DMN files that define the called decisions; report unreadable ones: always for
    files brought with the model (an upload), since dropping them unread would hide the mistake;
    for a folder of files on disk (shared with other models), only when a decision is missing."""
    calls = _called_decisions(root)
    brought = check.sources.dmn_files is not None
    if not calls and not brought:
        return {}
    owners: dict[str, str] = {}
    unreadable: list[Problem] = []
    texts = check.sources.dmn_candidates()
    for name, text in texts.items():
        problem = _dmn_xml_problem(check, name, text)
        if problem is not None:
            unreadable.append(problem)
            continue
        for decision in _decision_ids(safe_parse_xml(text)):
            owners.setdefault(decision, name)
    bundled: dict[str, str] = {}
    missing = False
    for task, decision in calls:
        if not decision:
            check.add(task.get("id"), _l("The business rule task does not say which decision (DMN) it calls."),
                      task.sourceline)  # fmt: skip
        elif decision not in owners:
            missing = True
            check.add(task.get("id"), _l("The decision %(decision)s is not defined in any DMN file beside the "
                                         "model.", decision=decision), task.sourceline)  # fmt: skip
        else:
            bundled[owners[decision]] = texts[owners[decision]]
    if missing or brought:
        check.problems.extend(unreadable)
    for name, text in bundled.items():
        _check_dmn_semantics(check, name, text)
    return bundled


def _dmn_xml_problem(check: _Check, name: str, text: str) -> Problem | None:
    if not text or len(text.encode("utf-8")) > check.max_bytes:
        return Problem(name, _l("The DMN file is empty or larger than the %(kb)s KB allowed.",
                                kb=check.max_bytes // 1024))  # fmt: skip
    try:
        safe_parse_xml(text)
    except UnsafeXmlError:
        return Problem(name, _l("The DMN file declares a DOCTYPE or entities, which are not allowed."))
    except etree.XMLSyntaxError as err:
        return Problem(name, _l("The DMN file is not well-formed XML (line %(line)s: %(detail)s).",
                                line=err.lineno, detail=err.msg), err.lineno or None)  # fmt: skip
    return None


def _check_dmn_semantics(check: _Check, name: str, text: str) -> None:
    parser = specs.new_parser()
    try:
        parser.add_dmn_xml(safe_parse_xml(text), filename=name)
        for dmn_parser in parser.dmn_parsers.values():
            dmn_parser.parse()
            if not dmn_parser.decision.decisionTables:
                raise ValidationException("the decision has no decision table")
            for table in dmn_parser.decision.decisionTables:
                _check_dmn_cells(check, name, table)
    except Exception as err:  # any parser failure is a designer problem, never a trace
        check.add(getattr(err, "id", None) or name, _l("The DMN file %(file)s cannot be used: %(detail)s",
                                                      file=name, detail=_short(err)))  # fmt: skip


def _check_dmn_cells(check: _Check, name: str, table: Any) -> None:
    """Input expressions and output cells are evaluated as they are: they must pass the sandbox."""
    cells = [(item.id, item.expression) for item in table.inputs]
    cells += [(entry.id, entry.text) for rule in table.rules for entry in rule.outputEntries]
    for cell_id, text in cells:
        error = check.sandbox.check(text.strip(), "eval") if text and text.strip() else None
        if error is not None:
            check.add(cell_id, _l("The DMN file %(file)s has a cell that cannot be evaluated: %(detail)s",
                                  file=name, detail=str(error)))  # fmt: skip


def _check_call_activities(check: _Check, root: etree._Element, local_ids: set[str | None]) -> dict[str, CalledModel]:
    called: dict[str, CalledModel] = {}
    for activity in _elements(root, "callActivity"):
        target = (activity.get("calledElement") or "").strip()
        if not target:
            check.add(activity.get("id"), _l("The call activity does not say which process it calls."),
                      activity.sourceline)  # fmt: skip
            continue
        if target in local_ids or target in called:
            continue
        found = check.find_called(target)
        if found is None:
            check.add(activity.get("id"), _l("The call activity calls %(target)s, which is not deployed and "
                                             "published for this municipality nor shared.", target=target),
                      activity.sourceline)  # fmt: skip
            continue
        called[target] = found
    return called


# --- SpiffWorkflow's own parse --------------------------------------------------------------


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:300]


def _build_spec(
    check: _Check, root: etree._Element, process_id: str, dmn_files: dict[str, str], called: dict[str, CalledModel]
) -> str | None:
    try:
        spec, subprocess_specs = specs.build_spec(check.text, dmn_files, process_id, external=_called_specs(called))
        _check_parsed(check, spec, subprocess_specs)
        if check.problems:
            return None
        return specs.serialize_spec(spec, subprocess_specs)
    except ValidationException as err:
        element_id = getattr(err, "id", "") or None
        line = _line_of(root, element_id)
        check.add(element_id, _l("The engine cannot use this element: %(detail)s", detail=_short(err)), line)
    except Exception as err:  # a parser failure becomes a problem, never a trace
        check.add(None, _l("The engine cannot read this model (%(detail)s).", detail=_short(err)))
    return None


def _check_parsed(check: _Check, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> None:
    for name, sub in subprocess_specs.items():
        if sub is None:
            check.add(None, _l("The process %(name)s that a call activity needs was not found.", name=name))


def _called_specs(called: dict[str, CalledModel]) -> dict[str, BpmnProcessSpec]:
    external: dict[str, BpmnProcessSpec] = {}
    for key, model in called.items():
        spec, nested = specs.load_spec(model.spec_json)
        external[key] = spec
        for name, sub in nested.items():
            external.setdefault(name, sub)
    return external


def _line_of(root: etree._Element, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == element_id:
            return element.sourceline
    return None
