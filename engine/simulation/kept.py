"""A kept run: a published procedure run along one path in a real municipality, by its own
people, and kept (the demo's sample expedients, :mod:`engine.showcase`).

It is the test-run of :mod:`engine.simulation.runner` with the real world instead of the sandbox:

- it **starts** as it really starts: filed in the e-office by a citizen when the procedure is
  fileable online (registry entry, receipt, expedient), else opened by the municipality's clerk;
- each **user task** is done by the municipality's person of its role, and each **sign step** is
  signed with that person's own certificate (the decree numbered in the decree book, attested);
- a **notification** the process waits for is opened by the citizen in the e-office, rejected there,
  or left to expire: it is then taken as made available eleven days ago and swept by the expiry job;
- the citizen **answers a requeriment** online with a document;
- the clock is never moved: a run waiting for a term still to come stops there, as does a run
  reaching the plan's ``stop_at`` task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.citizens import filing, notices
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.citizens.procedures import get_procedure
from engine.documents.documents import store_document
from engine.expedients import expedients, parties
from engine.inbox.task_context import prefill
from engine.notifications import notifications
from engine.notifications.alerts import expire_notification
from engine.process.instances import tasks as instances
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import HumanTask, ProcessInstance, ProcessVersion, Timer
from engine.registry.entries import Upload
from engine.simulation.cast import Cast
from engine.simulation.report import Report
from engine.simulation.runner import SAMPLE_PDF, Plan, Run
from engine.simulation.sample_data import sample_data
from engine.tenancy.models import Tenant

#: How long ago an expired notification was made available: past its ten natural days (art. 43.2).
EXPIRED_AGO = timedelta(days=11)


@dataclass
class Staff(Cast):
    """The real people of a municipality, by role (every role a run meets must be there)."""

    people: dict[str, Context] = field(default_factory=dict)
    actor: str = "gee demo"

    @property
    def system(self) -> Context:
        return Context.system(self.tenant.id, self.actor)

    def person(self, role: str | None) -> Context:
        return self.people[role or "tramitador"]


@dataclass(frozen=True)
class Applicant:
    """Who asks: the citizen (their identity in the e-office) and what they present."""

    citizen: CitizenIdentity
    subject: str
    #: What they attach online (the request itself the e-office prints: engine.citizens.request_document).
    document_title: str = "Documentació annexa"
    #: What they bring to the counter: the request they signed on paper.
    paper_title: str = "Sol·licitud signada"
    #: The municipality opens it by itself (a call for grants): the citizen is not a party and
    #: presents nothing.
    ex_officio: bool = False


def run_kept(staff: Staff, version: ProcessVersion, applicant: Applicant, plan: Plan, password: str) -> Report:
    """Run ``version`` in ``staff``'s municipality along ``plan``; everything is kept (the caller
    commits). Signers sign with their own key, whose password is ``password``."""
    return _KeptRun(staff, version, applicant, plan, password).go()


class _KeptRun(Run):
    def __init__(self, staff: Staff, version: ProcessVersion, applicant: Applicant, plan: Plan, password: str):
        super().__init__(staff.system, version, plan)
        self.staff, self.applicant, self.key_password = staff, applicant, password

    @property
    def tenant(self) -> Tenant:
        return self.staff.tenant

    def begin(self) -> None:
        self.cast = self.staff
        self.today = local_date(utcnow())
        procedure = get_procedure(self.tenant.id, self.version.model.key, "ca")
        if procedure.online:
            self._file_online(procedure.start_form)
        else:
            self._open_at_the_counter()

    def _upload(self) -> list[Upload]:
        return [Upload(f"{self.applicant.document_title}.pdf", SAMPLE_PDF, title=self.applicant.document_title)]

    def _file_online(self, start_form: dict[str, Any] | None) -> None:
        data = {**sample_data(start_form, today=self.today, document_id=None), **self.plan.start_data}
        if "assumpte" in ((start_form or {}).get("properties") or {}):
            data["assumpte"] = self.applicant.subject
        filed = filing.file_request(self.tenant, self.applicant.citizen, self.version.model.key, data, self._upload())
        assert filed.expedient_id is not None and filed.instance_id is not None
        self.expedient_id = filed.expedient_id
        presented = instances.show_instance(self.staff.system, filed.instance_id)["data"]["documents_presentats"]
        self.document_id = int(presented[0])  # the application the citizen uploaded
        instance = db.session.get(ProcessInstance, filed.instance_id)
        assert instance is not None
        self.instance = instance

    def _open_at_the_counter(self) -> None:
        if self.applicant.ex_officio:
            self._open_ex_officio()
            return
        clerk, citizen = self.staff.person("tramitador"), self.applicant.citizen
        party = parties.find_or_create_party(clerk, citizen.nif, citizen.name, email=citizen.email,
                                             preferred_channel="electronic")  # fmt: skip
        expedient = expedients.open_expedient(clerk, self.applicant.subject, process_model_id=self.version.model_id,
                                              party_ids=[party.id])  # fmt: skip
        self.expedient_id = expedient.id
        presented = store_document(clerk, expedient.id, f"{self.applicant.paper_title}.pdf", SAMPLE_PDF,
                                   title=self.applicant.paper_title, tipo_documental="TD14",
                                   from_administration=False)  # fmt: skip
        self.document_id = presented.id
        data = {"interessat": {"nif": citizen.nif, "nom": citizen.name}, "documents_presentats": [presented.id],
                "expedient": expedient.number, "assumpte": expedient.subject, "sollicitud": {},
                **self.plan.start_data}  # fmt: skip
        self.instance = instances.start_in_transaction(clerk, self.version, expedient.id, data)

    def _open_ex_officio(self) -> None:
        clerk = self.staff.person("tramitador")
        expedient = expedients.open_expedient(clerk, self.applicant.subject, process_model_id=self.version.model_id)
        self.expedient_id, self.document_id = expedient.id, None
        data = {"expedient": expedient.number, "assumpte": expedient.subject, **self.plan.start_data}
        self.instance = instances.start_in_transaction(clerk, self.version, expedient.id, data)

    def known(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        """What the task page prefills: the process data of the same name, the applicant, the
        application."""
        data = instances.show_instance(self.staff.system, self.instance.id)["data"]
        if self.document_id is None:  # opened ex officio: nobody applied
            return prefill(schema, data, presented=[])
        citizen = self.applicant.citizen
        return prefill(schema, {**data, "nif": citizen.nif, "nom": citizen.name}, presented=[self.document_id])

    def answer(self, message: AwaitedMessage, name: str) -> None:
        if name != filing.ANSWER_MESSAGE:  # another administration's report, a call's resolution
            super().answer(message, name)
            return
        filing.answer_requeriment(self.tenant, self.applicant.citizen, self.expedient_id, message.id,
                                  [Upload("esmena.pdf", SAMPLE_PDF, title="Documentació esmenada")],
                                  text="Adjunto la documentació que em demaneu.")  # fmt: skip

    def settle_notification(self, row: HumanTask, notification_id: Any, outcome: str) -> dict[str, Any]:
        ctx = citizen_context(self.tenant, self.applicant.citizen)
        note = notifications.awaited_by(self.staff.system, row.id)
        assert note is not None, f"{row.element_id} waits for no notification"
        if outcome == "expired":
            made_available = utcnow() - EXPIRED_AGO
            note.made_available_at, note.expires_at = made_available, notifications.expiry_of(made_available)
            for evidence in note.evidence:  # made available then, as its evidence says
                evidence.at = made_available
            db.session.flush()
            expire_notification(self.tenant.id, note.id)
        elif outcome == "rejected":
            notices.reject_notification(ctx, self.applicant.citizen, note.id)
        else:
            notices.open_notification(ctx, self.applicant.citizen, note.id)
        db.session.refresh(note)
        return {"notification_outcome": note.state, "notification_id": note.id}

    def move_clock(self) -> bool:
        """Only terms already run out fire: a kept run does not move the clock."""
        due = db.session.execute(
            select(Timer).where(Timer.instance_id == self.instance.id, Timer.state == "pending").order_by(Timer.due_at)
        ).scalars().first()  # fmt: skip
        if due is None or (as_utc(due.due_at) or utcnow()) > utcnow():
            return False
        return instances.fire_timers(self.staff.system, self.instance.id, utcnow()) > 0


__all__ = ["Applicant", "Staff", "run_kept"]
