"""What happens outside the procedure in tests/test_procedures_*.py, on the days a test chooses:
the party opens, rejects or lets expire a notification; the citizen files an answer or asks for
more time in the e-office. The records are the real ones (notifications with their evidence,
incoming registry entries); only the moment is the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from engine.base.clock import MADRID
from engine.base.db import db
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.notifications import notifications as n
from engine.notifications.alerts import expire_notification
from engine.process.instances.messages import AwaitedMessage
from engine.registry import entries
from engine.registry.entries import Upload
from tests.procedures_helpers import Town

MARIA = CitizenIdentity(nif="12345678Z", name="Maria Soler Vidal", email="maria@example.org")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def moment(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=MADRID)


def pending_notification(t: Town, expedient_id: int) -> n.Notification:
    notes = [note for note in n.list_notifications(t.people["tramitador"], expedient_id) if note.state == "pending"]
    assert len(notes) == 1, [(note.id, note.state) for note in notes]
    return notes[0]


def _made_available(t: Town, expedient_id: int, day: str) -> n.Notification:
    """The pending notification, as made available in the e-office at 9:00 of ``day``."""
    note = pending_notification(t, expedient_id)
    note.made_available_at = moment(day, 9)
    note.expires_at = n.expiry_of(note.made_available_at)
    db.session.commit()
    return note


def notification_opened(t: Town, expedient_id: int, available: str, opened: str) -> None:
    """Made available on ``available``, opened by the party on ``opened`` (it takes effect then)."""
    note = _made_available(t, expedient_id, available)
    n.access(t.people["tramitador"], note.id, at=moment(opened, 11))
    db.session.commit()
    assert n.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()


def notification_rejected(t: Town, expedient_id: int, available: str, rejected: str) -> None:
    note = _made_available(t, expedient_id, available)
    n.reject(t.people["tramitador"], note.id, at=moment(rejected, 11))
    db.session.commit()
    assert n.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()


def notification_expired(t: Town, expedient_id: int, available: str) -> None:
    """Not opened: ten natural days after ``available`` it is deemed rejected (art. 43.2)."""
    note = _made_available(t, expedient_id, available)
    swept = n.expiry_of(note.made_available_at) + timedelta(seconds=1)
    assert expire_notification(t.tenant.id, note.id, swept.isoformat()) is True
    db.session.commit()


@contextmanager
def registry_day(monkeypatch: pytest.MonkeyPatch, day: str, hour: int = 10) -> Iterator[None]:
    """The registry's clock at ``day`` ``hour``:00 in Spain while the citizen files."""
    with monkeypatch.context() as patch:
        patch.setattr(entries, "utcnow", lambda: moment(day, hour))
        patch.setattr(filing, "utcnow", lambda: moment(day, hour))
        yield


def awaited(instance_id: int, *messages: str) -> AwaitedMessage:
    """The wait of ``instance_id`` that takes one of ``messages`` (NoResultFound if none is offered)."""
    rows = db.session.execute(select(AwaitedMessage).where(
        AwaitedMessage.instance_id == instance_id, AwaitedMessage.state == "waiting")).scalars()
    matching = [row for row in rows if any(row.accepts(m) for m in messages)]
    if len(matching) != 1:
        raise NoResultFound(f"{len(matching)} waits take {messages}")
    return matching[0]


def answer_online(t: Town, monkeypatch: pytest.MonkeyPatch, instance_id: int, expedient_id: int, day: str,
                  text: str = "Adjunto el document que faltava.", citizen: CitizenIdentity = MARIA) -> filing.Filing:
    """The applicant answers (a requeriment, an audiència, a justification) from her folder in the
    e-office on ``day``."""
    row = awaited(instance_id, filing.ANSWER_MESSAGE, filing.ALLEGATIONS_MESSAGE)
    with registry_day(monkeypatch, day):
        done = filing.answer_requeriment(t.tenant, citizen, expedient_id, row.id,
                                         [Upload("document.pdf", PDF, "Document esmenat")], text=text)
    db.session.commit()
    return done


def ask_extension(t: Town, monkeypatch: pytest.MonkeyPatch, instance_id: int, expedient_id: int,
                  day: str) -> filing.Filing:
    """The applicant asks in the e-office for the five extra days (art. 68.2) on ``day``."""
    row = awaited(instance_id, filing.EXTENSION_MESSAGE)
    with registry_day(monkeypatch, day):
        done = filing.request_extension(t.tenant, MARIA, expedient_id, row.id)
    db.session.commit()
    return done


def delivered_by_post(t: Town, expedient_id: int, sent: str, delivered: str) -> None:
    """Sent by post on ``sent``; the postman hands it over on ``delivered`` (first attempt)."""
    note = pending_notification(t, expedient_id)
    assert note.channel == "postal"
    note.made_available_at = moment(sent, 9)
    db.session.commit()
    n.record_postal_attempt(t.people["tramitador"], note.id, moment(delivered, 12), "delivered")
    db.session.commit()
    assert n.continue_process(t.people["tramitador"], note.id) is True
    db.session.commit()
