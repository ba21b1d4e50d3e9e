"""Test-run one process version along one path, in a transaction that is thrown away.

The run is real: the version is started by the engine's own services in a throwaway
municipality (:mod:`engine.simulation.cast`) on a throwaway expedient, its service tasks generate
documents, decrees, notifications and registry entries, and every wait is resolved as a person
or the world would:

- a **user task** is completed by someone of its lane with sample data from its form
  (:mod:`engine.simulation.sample_data`) merged with the designer's data for that task;
- a **sign step** (``gee:sign``) is signed with a throwaway certificate, or returned with a reason
  when the designer chose ``returned``;
- a **notification wait** (``gee:await-notification``) settles as ``accessed`` today (or the
  outcome chosen: ``rejected``, ``expired``);
- a **message** the process waits for (e.g. ``resposta_requeriment``) is answered with a sample
  payload, or, with ``not_answered``, its term runs out;
- **timers** fire by moving the clock to their due time when nothing else can go on.

The designer's choices (data per task, outcomes) apply to the first visit of an element; later
visits (after a return, a requeriment loop) take the defaults, so a loop ends. The run stops when
the process completes, an incident opens (reported with its message), nothing can go on, or after
:data:`MAX_STEPS` waits.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import select

from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import GeeError, ValidationFailed
from engine.base.events import Event, publish
from engine.base.i18n import _l
from engine.base.unit_of_work import run_discarded
from engine.base.xml_safety import safe_parse_xml
from engine.citizens.messages import EXTENSION_MESSAGE
from engine.decrees.book import Decree
from engine.documents.documents import Document, store_document
from engine.expedients import expedients, parties
from engine.notifications.notifications import Notification
from engine.process.definition.outline import AWAIT_NOTIFICATION_PROPERTY
from engine.process.definition.validation import BPMN_NS, SIGN_PROPERTY, properties
from engine.process.instances import tasks as instances
from engine.process.instances.messages import AwaitedMessage, deliver_message
from engine.process.models import PUBLISHED, CompletedStep, HumanTask, Incident, ProcessModel, ProcessVersion, Timer
from engine.registry.entries import RegistryEntry
from engine.signatures import circuits
from engine.simulation.cast import KEY_PASSWORD, Cast, sandbox_tenant
from engine.simulation.report import Action, Produced, Report, Step
from engine.simulation.sample_data import SAMPLE_NIF, sample_data
from engine.tenancy.models import Tenant

#: Waits resolved before a run gives up (a loop the defaults do not leave).
MAX_STEPS = 60
SIGN_OUTCOMES = ("signed", "returned")
NOTIFICATION_OUTCOMES = ("accessed", "rejected", "expired")
MESSAGE_OUTCOMES = ("answered", "not_answered")
SAMPLE_PARTY = "Persona de Prova"
#: What a citizen's answer to a requeriment carries (see engine/citizens/filing.py).
SAMPLE_ANSWER = {"registre_entrada": "E/0000/000001", "document_ids": [], "text": "Resposta de prova."}
#: A one-page PDF standing for what the applicant presented.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Plan:
    """What the designer chose for a run."""

    #: Merged over the sample start data (registry entry, interested party, documents presented).
    start_data: dict[str, Any] = field(default_factory=dict)
    #: Element id -> data merged over the sample data of that user task (first visit).
    task_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Element id of a sign step, a notification wait or a message event (or the message name)
    #: -> its outcome (first visit): signed/returned, accessed/rejected/expired, answered/not_answered.
    outcomes: dict[str, str] = field(default_factory=dict)
    max_steps: int = MAX_STEPS
    #: A user task where the run stops and leaves it waiting in its person's inbox (a kept run's
    #: expedient in progress); None runs on to the end.
    stop_at: str | None = None


def plan_from_json(raw: Any) -> Plan:
    """A plan from its JSON form ``{"start": {...}, "tasks": {"T_id": {...}}, "outcomes": {"T_id": "returned"}}``
    (the CLI's --data file, the preview page's text box); ValidationFailed when malformed."""
    if not isinstance(raw, dict) or set(raw) - {"start", "tasks", "outcomes"}:
        raise ValidationFailed(_l('The test data must be an object with "start", "tasks" and/or "outcomes".'))
    start, tasks, outcomes = raw.get("start", {}), raw.get("tasks", {}), raw.get("outcomes", {})
    if not isinstance(start, dict) or not isinstance(tasks, dict) or not isinstance(outcomes, dict):
        raise ValidationFailed(_l('In the test data, "start", "tasks" and "outcomes" are objects.'))
    if not all(isinstance(v, dict) for v in tasks.values()):
        raise ValidationFailed(_l('In the test data, each task in "tasks" takes an object of form fields.'))
    allowed = {*SIGN_OUTCOMES, *NOTIFICATION_OUTCOMES, *MESSAGE_OUTCOMES, EXTENSION_MESSAGE}
    if not all(isinstance(v, str) and v in allowed for v in outcomes.values()):
        raise ValidationFailed(_l('In the test data, each outcome is one of %(outcomes)s.',
                                  outcomes=", ".join(sorted(allowed))))  # fmt: skip
    return Plan(start_data=start, task_data=tasks, outcomes=outcomes)


def simulate(ctx: Context, version: ProcessVersion, plan: Plan | None = None) -> Report:
    """Run ``version`` along the path ``plan`` chooses; nothing of the run is kept. Data for a
    task the version does not have is refused before anything runs (it would be ignored)."""
    plan = plan or Plan()
    refusal = unknown_tasks_refusal(version, plan) or unknown_outcomes_refusal(version, plan)
    if refusal is not None:
        return Report("invalid", message=refusal)
    return run_discarded(lambda: Run(ctx, version, plan).go())


def _versions(version: ProcessVersion) -> list[ProcessVersion]:
    """``version`` and the versions its call activities pinned, transitively, each once."""
    found: list[ProcessVersion] = []
    seen: set[int] = set()
    pending = [version]
    while pending:
        current = pending.pop(0)
        if current.id in seen:
            continue
        seen.add(current.id)
        found.append(current)
        for called_id in (current.called_versions or {}).values():
            called = db.session.get(ProcessVersion, called_id)
            if called is not None:
                pending.append(called)
    return found


def unknown_outcomes_refusal(version: ProcessVersion, plan: Plan) -> str | None:
    """Why the plan is refused when its ``outcomes`` name neither an element nor a message of the model
    (a typo would silently test the usual path), else None."""
    known: set[str] = set()
    for current in _versions(version):
        root = safe_parse_xml(current.bpmn_xml)
        known |= {element.get("id") or "" for element in root.iter() if isinstance(element.tag, str)}
        known |= {message.get("name") or "" for message in root.iter(f"{{{BPMN_NS}}}message")}
    unknown = [key for key in plan.outcomes if key not in known]
    if not unknown:
        return None
    return str(_l("The test data gives an outcome for %(unknown)s, which is no step or message of this model.",
                  unknown=", ".join(unknown)))


def data_task_ids(version: ProcessVersion) -> list[str]:
    """The ids of the tasks a test-run completes with form data, in document order: the user and
    manual tasks that are neither sign steps nor notification waits, of the version and of the
    versions its call activities pinned."""
    found: list[str] = []
    for current in _versions(version):
        for element in safe_parse_xml(current.bpmn_xml).iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
            props = properties(element)
            element_id = element.get("id") or ""
            if element_id and SIGN_PROPERTY not in props and AWAIT_NOTIFICATION_PROPERTY not in props:
                found.append(element_id)
    return list(dict.fromkeys(found))


def unknown_tasks_refusal(version: ProcessVersion, plan: Plan) -> str | None:
    """Why the plan is refused when its ``tasks`` name tasks the run would never fill in, else None."""
    known = data_task_ids(version)
    unknown = [task_id for task_id in plan.task_data if task_id not in known]
    if not unknown:
        return None
    if not known:
        return str(_l("The test data gives form data for %(unknown)s, but this model has no user task that takes "
                      "form data.", unknown=", ".join(unknown)))  # fmt: skip
    return str(_l("The test data gives form data for %(unknown)s, but this model has no such user task. Its user "
                  "tasks that take form data: %(known)s.", unknown=", ".join(unknown), known=", ".join(known)))


def _names_in_order(message: AwaitedMessage) -> list[str]:
    """The messages a wait takes, the usual answer first and a request to extend the term last."""
    names = list(message.message_names or [message.message_name])
    return sorted(names, key=lambda name: name == EXTENSION_MESSAGE)


class Run:
    """One run along one path; :meth:`begin`, :meth:`answer`, :meth:`settle_notification` and
    :meth:`move_clock` are how the run meets the world (the sandbox's here,
    :mod:`engine.simulation.kept` for a real municipality)."""

    #: The key password of the run's signers.
    key_password = KEY_PASSWORD
    #: The application presented when the expedient was opened (None when opened ex officio).
    document_id: int | None = None

    def __init__(self, ctx: Context, version: ProcessVersion, plan: Plan):
        self.real_ctx, self.version, self.plan = ctx, version, plan
        self.visits: Counter[str] = Counter()
        self.actions: list[Action] = []
        self.current: str | None = None
        self.pending_alternatives: dict[str, list[Any]] = {}
        self.message_decisions: dict[int, str] = {}
        self.reported_waits: set[int] = set()
        self.names, self.props = _elements(version.bpmn_xml)

    # --- setting up ---------------------------------------------------------------------

    def go(self) -> Report:
        self.begin()
        return self._loop()

    def begin(self) -> None:
        """The throwaway municipality and expedient, and the process started on them by a clerk."""
        real = db.session.get(Tenant, self.real_ctx.tenant_id)
        assert real is not None
        self.cast: Cast = Cast(sandbox_tenant(real))
        clerk = self.cast.person("tramitador")
        copy = _copy_version(self.version, self.cast.tenant.id)
        party = parties.find_or_create_party(clerk, SAMPLE_NIF, SAMPLE_PARTY, email="persona@example.org")
        expedient = expedients.open_expedient(clerk, f"Prova: {self.version.model.name}"[:300], party_ids=[party.id])
        self.expedient_id = expedient.id
        presented = store_document(clerk, expedient.id, "document-de-prova.pdf", SAMPLE_PDF, title="Document de prova",
                                   tipo_documental="TD14", from_administration=False)  # fmt: skip
        self.document_id = presented.id
        self.today = local_date(utcnow())
        data = {
            "registre_entrada": f"E/{self.today.year}/000001",
            "data_entrada": self.today.isoformat(),
            "data_presentacio": self.today.isoformat(),
            "interessat": {"nif": SAMPLE_NIF, "nom": SAMPLE_PARTY},
            "documents_presentats": [presented.id],
            "sollicitud": {},
            "expedient": expedient.number,
            "assumpte": expedient.subject,
            "text": "Sol·licitud de prova.",
            **self.plan.start_data,
        }
        self.instance = instances.start_in_transaction(clerk, copy, expedient.id, data)

    # --- running --------------------------------------------------------------------------

    def _loop(self) -> Report:
        for _ in range(self.plan.max_steps):
            db.session.refresh(self.instance)
            incident = self._open_incident()
            if incident is not None:
                return self._report("incident", incident.element_id, _sentence(incident.message_in(_locale())))
            if self.instance.status == "completed":
                return self._report("completed")
            try:
                went_on = self._next()
            except GeeError as err:  # the designer's data or choice was refused: say where and why
                return self._report("invalid", self.current, _refusal(err))
            if not went_on:
                return self._report("waiting", *self._waiting_on())
        return self._report("step_limit", *self._waiting_on())

    def _next(self) -> bool:
        """Resolve one wait; False when nothing can go on."""
        ready = db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == self.instance.id, HumanTask.state == "ready")
            .order_by(HumanTask.id)
        ).scalars().first()  # fmt: skip
        if ready is not None and ready.element_id == self.plan.stop_at:
            return False
        if ready is not None:
            self.current = ready.element_id
            self._do(ready)
            return True
        message = db.session.execute(
            select(AwaitedMessage).where(AwaitedMessage.instance_id == self.instance.id,
                                         AwaitedMessage.state == "waiting").order_by(AwaitedMessage.id)
        ).scalars().first()  # fmt: skip
        self.current = message.element_id if message is not None else None
        answered = None
        names = _names_in_order(message) if message is not None else []
        choices = ("answered", *names[1:], "not_answered")  # another message (an extension) by its name
        if message is not None:  # decided once per wait: "not answered" lets the clock run to its term
            if message.id not in self.message_decisions:
                self.message_decisions[message.id] = self._choice(message.element_id, choices, names[0])
            answered = self.message_decisions[message.id]
        if message is not None and answered not in (None, "not_answered"):
            name = names[0] if answered == "answered" else str(answered)
            self.answer(message, name)
            self.actions.append(Action(message.element_id, "answer", {"message": name},
                                       self._others(message.element_id, choices, str(answered))))
            return True
        if message is not None and message.id not in self.reported_waits:
            self.reported_waits.add(message.id)
            self.pending_alternatives = self._others(message.element_id, choices, "not_answered")
        return self.move_clock()

    def answer(self, message: AwaitedMessage, name: str) -> None:
        """Deliver the message ``name`` the process waits for (``message``) with a sample payload."""
        payload = {**SAMPLE_ANSWER, "requested_on": local_date(utcnow()).isoformat()}
        deliver_message(self.cast.system, self.instance.id, name, payload)

    def move_clock(self) -> bool:
        """Fire the next pending timer at its due moment; False when none is pending."""
        timer = db.session.execute(
            select(Timer).where(Timer.instance_id == self.instance.id, Timer.state == "pending").order_by(Timer.due_at)
        ).scalars().first()  # fmt: skip
        if timer is None or timer.due_at is None:
            return False
        moment = (as_utc(timer.due_at) or utcnow()) + timedelta(seconds=1)
        instances.fire_timers(self.cast.system, self.instance.id, moment)
        self.actions.append(Action(timer.element_id, "clock", {"now": moment.isoformat()}, self.pending_alternatives))
        self.pending_alternatives = {}
        return True

    def _do(self, row: HumanTask) -> None:
        props = self.props.get(row.element_id, {})
        if SIGN_PROPERTY in props:
            self._sign(row)
        elif AWAIT_NOTIFICATION_PROPERTY in props:
            self._notification(row, props[AWAIT_NOTIFICATION_PROPERTY])
        else:
            self._complete(row)

    def _complete(self, row: HumanTask) -> None:
        schema = instances.form_schema(self.instance.process_version, row.form_key)
        data = {**sample_data(schema, today=self.today, document_id=self.document_id), **self.known(schema)}
        first = self.visits[row.element_id] == 0
        self.visits[row.element_id] += 1
        if first:
            data.update(self.plan.task_data.get(row.element_id) or {})
        instances.complete_task(self.cast.person(row.role), row.id, data)
        alternatives = _field_alternatives(schema, data) if first else {}
        self.actions.append(Action(row.element_id, "complete", data, alternatives))

    def known(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        """What a form starts with besides the sample data (nothing in a sandbox)."""
        return {}

    def _sign(self, row: HumanTask) -> None:
        signer = self.cast.person(row.role)
        outcome = self._choice(row.element_id, SIGN_OUTCOMES)
        request = circuits.for_task(signer, row.id)
        steps = {step.request_id: step.id for step in circuits.pending_for(signer)}
        if request is None or request.id not in steps:  # nothing to sign: the outcome alone
            signatura = {"outcome": outcome, "reason": "Simulació"} if outcome == "returned" else {"outcome": outcome}
            publish(Event.SIGNATURE_CIRCUIT_FINISHED, ctx=signer, human_task_id=row.id, data={"signatura": signatura})
        elif outcome == "returned":
            circuits.return_for_changes(signer, steps[request.id], "Retornat a la simulació")
        else:
            circuits.sign(signer, steps[request.id], self.key_password)
        self.actions.append(Action(row.element_id, "return" if outcome == "returned" else "sign", {"role": row.role},
                                   self._others(row.element_id, SIGN_OUTCOMES, outcome)))

    def _notification(self, row: HumanTask, variable: str) -> None:
        outcome = self._choice(row.element_id, NOTIFICATION_OUTCOMES)
        held = instances.show_instance(self.cast.system, self.instance.id)["data"].get(variable.strip())
        notification_id = held.get("notification_id") if isinstance(held, dict) else held
        data = self.settle_notification(row, notification_id, outcome)
        self.actions.append(Action(row.element_id, "notification", data,
                                   self._others(row.element_id, NOTIFICATION_OUTCOMES, outcome)))

    def settle_notification(self, row: HumanTask, notification_id: Any, outcome: str) -> dict[str, Any]:
        """The notification the task ``row`` waits for settles as ``outcome`` today; what the task got."""
        data = {"notification_outcome": outcome, "notification_id": notification_id,
                "notified_on": self.today.isoformat()}  # fmt: skip
        publish(Event.NOTIFICATION_SETTLED, ctx=self.cast.system, human_task_id=row.id, data=data,
                idem_key=f"simulacio-{row.id}")  # fmt: skip
        return data

    def _choice(self, element_id: str, outcomes: tuple[str, ...], alias: str | None = None) -> str:
        """The designer's outcome for the first visit of ``element_id``, else the first (the usual) one."""
        first = self.visits[element_id] == 0
        self.visits[element_id] += 1
        chosen = self.plan.outcomes.get(element_id) or (self.plan.outcomes.get(alias) if alias else None)
        return chosen if first and chosen in outcomes else outcomes[0]

    def _others(self, element_id: str, outcomes: tuple[str, ...], taken: str) -> dict[str, list[Any]]:
        """The outcomes not taken, on the first visit of ``element_id`` (later visits take the usual one)."""
        if self.visits[element_id] != 1:
            return {}
        return {"outcome": [o for o in outcomes if o != taken]}

    # --- reporting --------------------------------------------------------------------------

    def _open_incident(self) -> Incident | None:
        return db.session.execute(
            select(Incident).where(Incident.instance_id == self.instance.id, Incident.state == "open")
            .order_by(Incident.id)
        ).scalars().first()  # fmt: skip

    def _waiting_on(self) -> tuple[str | None, str | None]:
        """Where a run that cannot go on stands: the task still waiting, else the last step reached."""
        ready = db.session.execute(
            select(HumanTask.element_id).where(HumanTask.instance_id == self.instance.id, HumanTask.state == "ready")
        ).scalars().first()  # fmt: skip
        if ready is not None:
            return ready, None
        last = db.session.execute(
            select(CompletedStep.element_id).where(CompletedStep.instance_id == self.instance.id)
            .order_by(CompletedStep.id.desc())
        ).scalars().first()  # fmt: skip
        return last, None

    def _report(self, outcome: str, stopped_at: str | None = None, message: str | None = None) -> Report:
        rows = db.session.execute(
            select(CompletedStep).where(CompletedStep.instance_id == self.instance.id).order_by(CompletedStep.id)
        ).scalars()  # fmt: skip
        steps = [Step(r.element_id, self.names.get(r.element_id, ""), r.element_type) for r in rows]
        return Report(outcome, steps, self.actions, self._produced(), stopped_at, message,
                      self.names.get(stopped_at or "", "") or stopped_at or "")

    def _produced(self) -> list[Produced]:
        produced: list[Produced] = []
        documents = db.session.execute(
            select(Document).where(Document.expedient_id == self.expedient_id, Document.id != self.document_id,
                                   Document.id.not_in(_REPLACED))  # the latest version of each: signed ones
            .order_by(Document.id)
        ).scalars()  # fmt: skip
        produced += [Produced("document", d.title, d.tipo_documental, {"tipo": d.tipo_documental}) for d in documents]
        decrees = db.session.execute(select(Decree).where(Decree.expedient_id == self.expedient_id)).scalars()
        produced += [Produced("decree", d.title, d.number or d.status, {"number": d.number or "", "status": d.status})
                     for d in decrees]  # fmt: skip
        notes = db.session.execute(select(Notification).where(Notification.expedient_id == self.expedient_id)).scalars()
        produced += [Produced("notification", f"#{n.id}", f"{n.channel} {n.state}",
                              {"channel": n.channel, "state": n.state}) for n in notes]  # fmt: skip
        entries = db.session.execute(
            select(RegistryEntry).where(RegistryEntry.expedient_id == self.expedient_id).order_by(RegistryEntry.id)
        ).scalars()  # fmt: skip
        produced += [Produced("registry", e.subject, f"{e.direction} {e.number}",
                              {"direction": e.direction, "number": e.number}) for e in entries]  # fmt: skip
        return produced


def _field_alternatives(schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Form field -> the values it could have had instead (enum values, the other boolean): what
    gateways usually decide on."""
    found: dict[str, list[Any]] = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not isinstance(prop, dict) or "const" in prop:
            continue
        if isinstance(prop.get("enum"), list):
            values = list(prop["enum"])
        elif prop.get("type") == "boolean":
            values = [True, False]
        else:
            continue
        others = [v for v in values if v != data.get(name)]
        if others:
            found[name] = others
    return found


_REPLACED = select(Document.previous_version_id).where(Document.previous_version_id.is_not(None))


def _locale() -> str | None:
    """The reader's language (None outside a request: the stored message as it is)."""
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale is not None else None


def _sentence(message: str | None) -> str | None:
    """A message as the end of a sentence: single spaces, and one period where the engine's
    wrapping doubled it ("division by zero.." before the failing line)."""
    if not message:
        return message
    return re.sub(r"(?<!\.)\.\.(?!\.)", ".", " ".join(message.split()))


def _refusal(err: GeeError) -> str:
    """The refusal with each field's problem, as the task page would show them."""
    details = [d.to_dict() for d in err.details if hasattr(d, "to_dict")]
    return " ".join([str(err), *(f"{d.get('field')}: {d.get('message')}" for d in details)])


def _copy_version(version: ProcessVersion, tenant_id: int) -> ProcessVersion:
    """The version, as a model of the sandbox municipality (instances start on their own tenant's models)."""
    model = ProcessModel(tenant_id=tenant_id, key=version.model.key, name=version.model.name,
                         classification=version.model.classification, published=True)  # fmt: skip
    db.session.add(model)
    db.session.flush()
    copy = ProcessVersion(
        model_id=model.id, number=version.number, content_hash=version.content_hash, bpmn_xml=version.bpmn_xml,
        dmn_files=dict(version.dmn_files or {}), forms=dict(version.forms or {}),
        templates=dict(version.templates or {}), spec_json=version.spec_json, lanes=dict(version.lanes or {}),
        called_versions=dict(version.called_versions or {}), created_by="simulacio", status=PUBLISHED,
    )  # fmt: skip
    db.session.add(copy)
    db.session.flush()
    return copy


def _elements(bpmn_xml: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Element id -> name, and element id -> spiffworkflow properties."""
    names: dict[str, str] = {}
    props: dict[str, dict[str, str]] = {}
    for element in safe_parse_xml(bpmn_xml).iter():
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and element.get("id"):
            names[element.get("id", "")] = element.get("name") or ""
            props[element.get("id", "")] = properties(element)
    return names, props


__all__ = [
    "MAX_STEPS", "MESSAGE_OUTCOMES", "NOTIFICATION_OUTCOMES", "SAMPLE_PDF", "SIGN_OUTCOMES", "Plan", "Run",
    "data_task_ids", "plan_from_json", "simulate", "unknown_outcomes_refusal", "unknown_tasks_refusal",
]
