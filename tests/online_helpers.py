"""A citizen who files, answers and opens notifications in the e-office, on the days a test chooses.

The procedures' terms are checked by hand against the 2026 calendar, so each act of the citizen
happens on a chosen day: the registry stamps an entry with its clock (``engine.registry.entries``)
and the e-office checks a term against its own (``engine.citizens.filing``); :func:`registry_day`
sets both for the length of one act, as if the citizen had acted then. The
notifications' own outcome is given with its moment (``at``). Everything else runs as in
production: the e-office services, the registry, the notification and the process engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from engine.base.clock import MADRID
from engine.base.db import db
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.decrees.book import Decree
from engine.expedients.expedients import Expedient
from engine.notifications import notifications
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import ProcessInstance
from engine.registry import entries
from engine.registry.entries import RegistryEntry, Upload
from tests.procedures_helpers import Town, ready_ids
from tests.services import run_queued_jobs

MARIA = CitizenIdentity(nif="12345678Z", name="Maria Soler Vidal", email="maria@example.org")
PDF = b"%PDF-1.4 document presented by the citizen"


def moment(day: str, hour: int = 10) -> datetime:
    """``day`` at ``hour`` in Spain."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=MADRID)


@contextmanager
def registry_day(day: str, hour: int = 10) -> Iterator[None]:
    """The registry and the e-office act inside the block at ``day`` ``hour`` (Spain)."""
    originals = (entries.utcnow, filing.utcnow)
    entries.utcnow = filing.utcnow = lambda: moment(day, hour).astimezone(UTC)  # type: ignore[assignment]
    try:
        yield
    finally:
        entries.utcnow, filing.utcnow = originals  # type: ignore[assignment]


def file_online(t: Town, key: str, data: dict[str, Any], day: str, title: str = "Sol·licitud") -> tuple[int, int]:
    """Maria files ``key`` in the e-office on ``day``: (expedient id, instance id)."""
    with registry_day(day):
        filed = filing.file_request(t.tenant, MARIA, key, data, [Upload(f"{title}.pdf", PDF, title=title)])
    db.session.commit()
    run_queued_jobs()  # the receipt, issued by a worker when Redis is there
    assert filed.expedient_id is not None and filed.instance_id is not None
    return filed.expedient_id, filed.instance_id


def _awaited(t: Town, expedient_id: int, *messages: str) -> AwaitedMessage:
    stmt = select(AwaitedMessage).where(AwaitedMessage.tenant_id == t.tenant.id,
                                        AwaitedMessage.expedient_id == expedient_id,
                                        AwaitedMessage.message_name.in_(messages), AwaitedMessage.state == "waiting")
    return db.session.execute(stmt).scalar_one()


def answer_online(t: Town, expedient_id: int, day: str, text: str, document: str | None = None) -> filing.Filing:
    """Maria answers what the procedure waits for (a requeriment, an audiència) from her folder on ``day``."""
    awaited = _awaited(t, expedient_id, filing.ANSWER_MESSAGE, filing.ALLEGATIONS_MESSAGE)
    uploads = [Upload(f"{document}.pdf", PDF, title=document)] if document else []
    with registry_day(day):
        filed = filing.answer_requeriment(t.tenant, MARIA, expedient_id, awaited.id, uploads, text=text)
    db.session.commit()
    run_queued_jobs()  # the receipt, issued by a worker when Redis is there
    return filed


def ask_extension(t: Town, expedient_id: int, day: str) -> filing.Filing:
    """Maria asks, on the awaited requeriment, for its five-day extension (art. 68.2 Ley 39/2015) on ``day``."""
    awaited = _awaited(t, expedient_id, filing.ANSWER_MESSAGE)
    with registry_day(day):
        filed = filing.request_extension(t.tenant, MARIA, expedient_id, awaited.id)
    db.session.commit()
    run_queued_jobs()  # the receipt, issued by a worker when Redis is there
    return filed


def waiting_note(t: Town, expedient_id: int) -> notifications.Notification:
    pending = [n for n in notifications.list_notifications(t.people["tramitador"], expedient_id)
               if n.state == "pending"]
    assert len(pending) == 1, [(n.id, n.state) for n in pending]
    return pending[0]


def open_notification(t: Town, expedient_id: int, day: str) -> notifications.Notification:
    """Maria accesses the pending notification on ``day``: it takes effect then and the process goes on."""
    note = waiting_note(t, expedient_id)
    notifications.access(t.people["tramitador"], note.id, at=moment(day))
    db.session.commit()
    assert notifications.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()
    return note


def reject_notification(t: Town, expedient_id: int, day: str) -> notifications.Notification:
    """Maria expressly rejects it on ``day``: it counts as made and the procedure goes on (art. 41.5)."""
    note = waiting_note(t, expedient_id)
    notifications.reject(t.people["tramitador"], note.id, at=moment(day))
    db.session.commit()
    assert notifications.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()
    return note


def sign_decree(t: Town, instance_id: int) -> None:
    """The alcalde signs the decree (it gets its number) and the secretary attests it."""
    assert ready_ids(instance_id) == ["T_decret_signar"]
    t.sign(instance_id, "T_decret_signar")
    t.sign(instance_id, "T_decret_fe")
    assert ready_ids(instance_id) == ["T_decret_notificat"]


def decrees_of(expedient_id: int) -> list[Decree]:
    stmt = select(Decree).where(Decree.expedient_id == expedient_id).order_by(Decree.id)
    return list(db.session.execute(stmt).scalars())


def incoming(expedient_id: int) -> list[RegistryEntry]:
    stmt = select(RegistryEntry).where(RegistryEntry.expedient_id == expedient_id, RegistryEntry.direction == "E")
    return list(db.session.execute(stmt.order_by(RegistryEntry.id)).scalars())


def outgoing(expedient_id: int) -> list[str]:
    stmt = select(RegistryEntry.subject).where(RegistryEntry.expedient_id == expedient_id,
                                               RegistryEntry.direction == "S")
    return list(db.session.execute(stmt.order_by(RegistryEntry.id)).scalars())


def closed(expedient_id: int, instance_id: int) -> bool:
    expedient = db.session.get(Expedient, expedient_id)
    instance = db.session.get(ProcessInstance, instance_id)
    assert expedient is not None and instance is not None
    return expedient.state == "E02" and instance.status == "completed"
