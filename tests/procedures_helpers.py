"""A small ajuntament running the shipped procedures, for tests/test_procedures_*.py.

The procedures' dates are in 2026 (checked by hand against that year's calendar). SpiffWorkflow
fires a timer by itself when its date is already past on the wall clock, so a test pins the clock
SpiffWorkflow's timers read (:class:`SpiffClock`) and moves it forward with :meth:`Town.fire`, like
the days passing before the worker's sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.clock import MADRID, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.demo.data import PROCESSES_DIR as PROCESSES
from engine.demo.data import deploy_shipped_procedures
from engine.documents.documents import Document, store_document
from engine.expedients import expedients, parties
from engine.process.definition.deploy import deploy_process
from engine.process.instances import tasks as instances
from engine.process.models import CompletedStep, HumanTask, Timer
from engine.signatures import circuits
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_tenant, make_user
from tests.test_signatures_helpers import KEY_PASSWORD, give_certificate

START_OF_TESTS = datetime(2026, 3, 2, 9, 0, tzinfo=MADRID)


class SpiffClock(datetime):
    """``datetime`` as SpiffWorkflow's timer module sees it: ``now()`` is :attr:`moment`."""

    moment = START_OF_TESTS

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> SpiffClock:  # type: ignore[override]
        value = cls.moment.astimezone(tz) if tz else cls.moment.replace(tzinfo=None)
        return cls.fromtimestamp(value.timestamp(), tz) if tz else cls.fromtimestamp(value.timestamp())


def decree_number(sequence: int) -> str:
    """The number of a decree the alcalde signs today: the book restarts each Catalan year, and
    signing reads the real clock (only SpiffWorkflow's timers are pinned here)."""
    return f"DEC/{local_date(utcnow()).year}/{sequence:04d}"


@pytest.fixture
def spiff_clock(monkeypatch: pytest.MonkeyPatch) -> type[SpiffClock]:
    monkeypatch.setattr(spiff_timer, "datetime", SpiffClock)
    monkeypatch.setattr(SpiffClock, "moment", START_OF_TESTS)
    return SpiffClock

#: The test town's two local holidays in 2026, as an ajuntament configures them.
LOCAL_HOLIDAYS = {"2026": ["2026-03-16", "2026-09-08"]}
ROLE_PEOPLE = {
    "tramitador": "Anna Puig",
    "tecnic": "Teresa Vila, arquitecta",
    "secretari": "Sandra Roig",
    "alcalde": "Jordi Mas",
}


@dataclass
class Town:
    tenant: Tenant
    people: dict[str, Context]

    @property
    def system(self) -> Context:
        return Context.system(self.tenant.id, "timers")

    def open_case(self, subject: str, nif: str = "12345678Z", name: str = "Maria Soler Vidal") -> int:
        clerk = self.people["tramitador"]
        # She chose the e-office for her notifications (art. 14.1: a natural person chooses)
        party = parties.find_or_create_party(clerk, nif, name, email="maria@example.org",
                                             preferred_channel="electronic")
        expedient = expedients.open_expedient(clerk, subject, party_ids=[party.id])
        db.session.commit()
        return expedient.id

    def attach(self, expedient_id: int, title: str) -> int:
        """A document the applicant brought, filed in the expedient; forms name it by its id."""
        doc = store_document(self.people["tramitador"], expedient_id, f"{title}.pdf", b"%PDF-1.4 " + title.encode(),
                             title=title, tipo_documental="TD99", from_administration=False)
        db.session.commit()
        return doc.id

    def start(self, key: str, expedient_id: int, data: dict[str, Any] | None = None) -> int:
        started = instances.start_instance(self.people["tramitador"], key, expedient_id=expedient_id, data=data)
        return int(started["instance_id"])

    def do(self, instance_id: int, element_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Complete the ready task ``element_id`` as the person holding its role."""
        rows = [t for t in ready(instance_id) if t.element_id == element_id]
        assert rows, f"{element_id} is not ready; ready: {[t.element_id for t in ready(instance_id)]}"
        row = rows[0]
        return instances.complete_task(self.people[row.role or "tramitador"], row.id, data or {})

    def _sign_step(self, instance_id: int, element_id: str) -> tuple[Context, int]:
        rows = [t for t in ready(instance_id) if t.element_id == element_id]
        assert rows, f"{element_id} is not ready; ready: {[t.element_id for t in ready(instance_id)]}"
        signer = self.people[rows[0].role or "alcalde"]
        request = circuits.for_task(signer, rows[0].id)
        assert request is not None, f"{element_id} put nothing in the signature queue"
        queue = {step.request_id: step.id for step in circuits.pending_for(signer)}
        assert request.id in queue, f"{element_id} is not in the signature queue of its {rows[0].role}"
        return signer, queue[request.id]

    def sign(self, instance_id: int, element_id: str, password: str = KEY_PASSWORD) -> None:
        """Sign the sign task ``element_id`` (gee:sign) as its signer, with the key password."""
        signer, step_id = self._sign_step(instance_id, element_id)
        circuits.sign(signer, step_id, password)
        db.session.commit()

    def give_back(self, instance_id: int, element_id: str, reason: str) -> None:
        """Return the sign task ``element_id`` with a reason, as its signer."""
        signer, step_id = self._sign_step(instance_id, element_id)
        circuits.return_for_changes(signer, step_id, reason)
        db.session.commit()

    def fire(self, instance_id: int, day: str) -> int:
        """The sweep at the first moment of ``day`` (Europe/Madrid): fires the terms that ended
        before it (a term ends at 23:59:59 of its last day)."""
        moment = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=MADRID)
        SpiffClock.moment = moment
        return instances.fire_timers(self.system, instance_id, moment)

    def show(self, instance_id: int) -> dict[str, Any]:
        return instances.show_instance(self.people["tramitador"], instance_id)


def town(*files: str) -> Town:
    """A tenant with one person per role and the shipped procedures ``files`` (default: all)
    deployed as shared models, as ``gee demo`` does."""
    tenant = make_tenant("sant-proves", "Ajuntament de Sant Proves", local_holidays=LOCAL_HOLIDAYS)
    people = {}
    for role, full_name in ROLE_PEOPLE.items():
        user = make_user(f"{role}.proves", tenant, (role,), full_name=full_name)
        people[role] = user
        if role in ("alcalde", "secretari"):
            give_certificate(user, tenant)
    if files:
        results = {f: deploy_process(None, PROCESSES / f, shared=True, created_by="tests") for f in files}
    else:
        results = deploy_shipped_procedures()
    problems = {name: [str(p) for p in r.problems] for name, r in results.items() if not r.ok}
    assert not problems, problems
    db.session.commit()
    return Town(tenant, {role: ctx_for(user, tenant) for role, user in people.items()})


def ready(instance_id: int) -> list[HumanTask]:
    stmt = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
    return list(db.session.execute(stmt.order_by(HumanTask.id)).scalars())


def ready_ids(instance_id: int) -> list[str]:
    return [t.element_id for t in ready(instance_id)]


def steps(instance_id: int) -> list[str]:
    stmt = select(CompletedStep.element_id).where(CompletedStep.instance_id == instance_id)
    return list(db.session.execute(stmt.order_by(CompletedStep.id)).scalars())


def pending_timers(instance_id: int) -> dict[str, str]:
    """element id -> due moment in Spain (ISO)."""
    stmt = select(Timer).where(Timer.instance_id == instance_id, Timer.state == "pending")
    return {t.element_id: t.due_at.astimezone(MADRID).isoformat() for t in db.session.execute(stmt).scalars()}


def document_titles(expedient_id: int) -> list[str]:
    """The documents the procedure produced (not those the applicant brought), as the expedient
    lists them: each in its current version."""
    newer = select(Document.previous_version_id).where(Document.previous_version_id.is_not(None))
    stmt = select(Document.title).where(
        Document.expedient_id == expedient_id, Document.from_administration.is_(True), Document.id.not_in(newer)
    ).order_by(Document.id)
    return list(db.session.execute(stmt).scalars())


def actions(tenant_id: int, expedient_id: int) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id, AuditEvent.expedient_id == expedient_id)
    return list(db.session.execute(stmt.order_by(AuditEvent.seq)).scalars())
