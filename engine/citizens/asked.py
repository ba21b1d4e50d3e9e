"""What the municipality asks of a citizen while a procedure waits for them, in their words.

A wait (:class:`~engine.process.instances.messages.AwaitedMessage`) is named after a step of the
diagram ("Resposta, ampliació o termini"), which means nothing to a citizen. What she is asked is
in the document the municipality notified her just before the procedure started waiting: the
requeriment d'esmena, the tràmit d'audiència. That notification is the latest one to her side of
the expedient made available before the wait began, provided no answer reached the procedure in
between (else it asked for something already answered, and the wait is about something else,
e.g. the justification of a grant). A request for more time is no answer: the wait it opens asks
for the same thing. Generic for every procedure: it reads the notifications and the audit of the
deliveries, never a model's step names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.base.clock import as_utc
from engine.base.context import Context
from engine.base.db import db
from engine.citizens.carpeta import FolderItem
from engine.citizens.identity import CitizenIdentity
from engine.citizens.messages import ALLEGATIONS_MESSAGE, EXTENSION_MESSAGE
from engine.citizens.notices import my_notifications
from engine.documents.documents import Document
from engine.notifications.notifications import Notification, NotificationState
from engine.process.instances.messages import AwaitedMessage

#: The audit actions of a message delivered to a procedure (engine.process.instances.messages).
DELIVERED = ("message.delivered", "message.delivered_late")


@dataclass(frozen=True)
class Asked:
    """What one wait asks of the citizen: allegations or an answer, by when, and the notified
    document that says what (None when no notification asked it)."""

    awaited: AwaitedMessage
    allegations: bool
    due_at: datetime | None
    notification: Notification | None = None
    title: str | None = None
    #: The notified document can be downloaded (the notification was accessed).
    downloadable: bool = False


def _answers_between(expedient_id: int, start: datetime, end: datetime) -> bool:
    """Whether a message other than a request for more time reached the expedient's procedures
    between ``start`` and ``end``."""
    events = db.session.execute(
        select(AuditEvent.at, AuditEvent.after).where(
            AuditEvent.expedient_id == expedient_id, AuditEvent.action.in_(DELIVERED)
        )
    ).all()
    return any(start <= _utc(at) <= end and (after or {}).get("message") != EXTENSION_MESSAGE
               for at, after in events)  # fmt: skip


def _utc(value: datetime) -> datetime:
    moment = as_utc(value)
    assert moment is not None
    return moment


def _asking(notes: list[Notification], awaited: AwaitedMessage) -> Notification | None:
    began = _utc(awaited.created_at)
    before = [n for n in notes if _utc(n.made_available_at) <= began]
    if not before or awaited.expedient_id is None:
        return None
    latest = max(before, key=lambda n: (_utc(n.made_available_at), n.id))
    if _answers_between(awaited.expedient_id, _utc(latest.made_available_at), began):
        return None
    return latest


def what_is_asked(ctx: Context, citizen: CitizenIdentity, item: FolderItem) -> dict[int, Asked]:
    """Each wait of the expedient shown to the citizen (``item.awaited``), by its id, in words."""
    if not item.awaited:
        return {}
    notes = my_notifications(ctx, citizen, item.expedient.id)
    out: dict[int, Asked] = {}
    for awaited in item.awaited:
        note = _asking(notes, awaited)
        doc = db.session.get(Document, note.document_id) if note is not None else None
        out[awaited.id] = Asked(
            awaited=awaited,
            allegations=awaited.accepts(ALLEGATIONS_MESSAGE),
            due_at=awaited.due_at,
            notification=note if doc is not None else None,
            title=doc.title if doc is not None else None,
            downloadable=note is not None and note.state == NotificationState.ACCESSED.value,
        )
    return out


def asked_in_folder(ctx: Context, citizen: CitizenIdentity, items: list[FolderItem]) -> dict[int, Asked]:
    """:func:`what_is_asked` for every expedient of the folder that waits for the citizen."""
    out: dict[int, Asked] = {}
    for item in items:
        out.update(what_is_asked(ctx, citizen, item))
    return out


__all__ = ["Asked", "asked_in_folder", "what_is_asked"]
