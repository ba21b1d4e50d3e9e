"""The citizen's side of electronic notifications (Ley 39/2015 arts. 41-43): see the pending
ones, open (access) or reject them. The evidence and the ten natural days' expiry are kept by
:mod:`engine.notifications.notifications`; until a notification is accessed its document stays
hidden from the citizen's folder (it takes effect when accessed)."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.citizens.carpeta import citizen_party
from engine.citizens.identity import CitizenIdentity
from engine.expedients.parties import Party
from engine.notifications import notifications
from engine.notifications.notifications import Notification, NotificationState
from engine.tenancy.scoping import scoped


def _party_ids(ctx: Context, citizen: CitizenIdentity) -> list[int]:
    own = citizen_party(ctx, citizen)
    if own is None:
        return []
    represented = db.session.execute(
        select(Party.id).where(Party.tenant_id == ctx.tenant_id, Party.representative_id == own.id)
    ).scalars()
    return [own.id, *represented]


def my_notifications(ctx: Context, citizen: CitizenIdentity, expedient_id: int | None = None) -> list[Notification]:
    """Electronic notifications addressed to the citizen or to those they represent, newest first."""
    parties = _party_ids(ctx, citizen)
    if not parties:
        return []
    stmt = scoped(Notification, ctx).where(Notification.party_id.in_(parties), Notification.channel == "electronic")
    if expedient_id is not None:
        stmt = stmt.where(Notification.expedient_id == expedient_id)
    return list(db.session.execute(stmt.order_by(Notification.made_available_at.desc(), Notification.id.desc()))
                .scalars())  # fmt: skip


def my_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    try:
        ident = int(notification_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    for note in my_notifications(ctx, citizen):
        if note.id == ident:
            return note
    raise NotFound(_l("Not found."))


def hidden_document_ids(ctx: Context, citizen: CitizenIdentity, expedient_id: int) -> set[int]:
    """Documents under a notification to the citizen's side that was not accessed."""
    rows = db.session.execute(
        select(Notification.document_id).where(
            Notification.tenant_id == ctx.tenant_id,
            Notification.expedient_id == expedient_id,
            Notification.state != NotificationState.ACCESSED.value,
        )
    ).scalars()
    accessed = db.session.execute(
        select(Notification.document_id).where(
            Notification.tenant_id == ctx.tenant_id,
            Notification.expedient_id == expedient_id,
            Notification.state == NotificationState.ACCESSED.value,
            Notification.party_id.in_(_party_ids(ctx, citizen)),
        )
    ).scalars()
    return set(rows) - set(accessed)


def _settled(ctx: Context, note: Notification) -> Notification:
    if note.human_task_id is not None:
        notifications.continue_process(ctx, note.id)  # its own unit of work (a savepoint inside an edge)
    return note


def open_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    """The citizen accesses the notification: it takes effect now (evidence recorded)."""
    note = my_notification(ctx, citizen, notification_id)
    run_in_transaction(lambda: notifications.access(ctx, note.id))
    return _settled(ctx, note)


def reject_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    """The citizen expressly rejects it: it counts as made and the procedure goes on (art. 41.5)."""
    note = my_notification(ctx, citizen, notification_id)
    run_in_transaction(lambda: notifications.reject(ctx, note.id))
    return _settled(ctx, note)
