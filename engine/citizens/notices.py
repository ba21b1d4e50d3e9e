"""The citizen's side of electronic notifications (Ley 39/2015 arts. 41-43): see the pending
ones, open (access) or reject them. The evidence and the ten natural days' expiry are kept by
:mod:`engine.notifications.notifications`; until a notification is accessed its document stays
hidden from the citizen's folder (it takes effect when accessed).

A representative sees the notifications addressed to the person they represent only while a
power valid today covers the notification's expedient; opening one is audited on the
represented person's behalf. A declared but unaccredited representative sees none."""

from __future__ import annotations

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.citizens.carpeta import citizen_party
from engine.citizens.identity import CitizenIdentity
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.notifications import notifications
from engine.notifications.notifications import Notification, NotificationState
from engine.powers import register as powers
from engine.powers.models import Power
from engine.tenancy.scoping import scoped


def _acting_for(ctx: Context, citizen: CitizenIdentity) -> tuple[Party | None, dict[int, list[Power]]]:
    """(the citizen's own party, {party id of a grantor: the powers valid today it gave the citizen})."""
    own = citizen_party(ctx, citizen)
    by_party: dict[int, list[Power]] = {}
    valid = powers.valid_powers_to(ctx, citizen.nif)
    if valid:
        grantors = db.session.execute(
            scoped(Party, ctx).where(Party.nif.in_({p.grantor_nif for p in valid}))
        ).scalars()
        for party in grantors:
            by_party[party.id] = [p for p in valid if p.grantor_nif == party.nif]
    return own, by_party


def _power_for(ctx: Context, note: Notification, candidates: list[Power]) -> Power | None:
    expedient = db.session.get(Expedient, note.expedient_id)
    if expedient is None:
        return None
    return next((p for p in candidates if powers.covers(ctx, p, expedient)), None)


def _visible(
    ctx: Context, citizen: CitizenIdentity, expedient_id: int | None = None
) -> list[tuple[Notification, Power | None]]:
    own, by_party = _acting_for(ctx, citizen)
    parties = ([own.id] if own is not None else []) + list(by_party)
    if not parties:
        return []
    stmt = scoped(Notification, ctx).where(Notification.party_id.in_(parties), Notification.channel == "electronic")
    if expedient_id is not None:
        stmt = stmt.where(Notification.expedient_id == expedient_id)
    stmt = stmt.order_by(Notification.made_available_at.desc(), Notification.id.desc())
    out: list[tuple[Notification, Power | None]] = []
    for note in db.session.execute(stmt).scalars():
        if own is not None and note.party_id == own.id:
            out.append((note, None))
        else:
            power = _power_for(ctx, note, by_party.get(note.party_id, []))
            if power is not None:
                out.append((note, power))
    return out


def my_notifications(ctx: Context, citizen: CitizenIdentity, expedient_id: int | None = None) -> list[Notification]:
    """Electronic notifications addressed to the citizen, or to someone whose valid power covers
    the expedient, newest first."""
    return [note for note, _power in _visible(ctx, citizen, expedient_id)]


def _mine(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> tuple[Notification, Power | None]:
    try:
        ident = int(notification_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    for note, power in _visible(ctx, citizen):
        if note.id == ident:
            return note, power
    raise NotFound(_l("Not found."))


def my_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    return _mine(ctx, citizen, notification_id)[0]


def _audit(ctx: Context, citizen: CitizenIdentity, note: Notification, power: Power | None) -> None:
    if power is not None:
        doc = db.session.get(Document, note.document_id)
        label = doc.title if doc is not None else str(note.id)
        powers.record_access_on_behalf(ctx, power, "notification", note.id, label, expedient_id=note.expedient_id,
                                       representative_name=citizen.name)  # fmt: skip


def view_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    """The notification's page is opened (audited when on someone's behalf)."""
    note, power = _mine(ctx, citizen, notification_id)
    _audit(ctx, citizen, note, power)
    return note


def hidden_document_ids(ctx: Context, citizen: CitizenIdentity, expedient_id: int) -> set[int]:
    """Documents under a notification to the citizen's side that was not accessed."""
    rows = db.session.execute(
        select(Notification.document_id).where(
            Notification.tenant_id == ctx.tenant_id,
            Notification.expedient_id == expedient_id,
            Notification.state != NotificationState.ACCESSED.value,
        )
    ).scalars()
    accessed = {
        note.document_id for note in my_notifications(ctx, citizen, expedient_id)
        if note.state == NotificationState.ACCESSED.value
    }
    return set(rows) - accessed


def _settled(ctx: Context, note: Notification) -> Notification:
    if note.human_task_id is not None:
        notifications.continue_process(ctx, note.id)  # its own unit of work (a savepoint inside an edge)
    return note


def open_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    """The citizen accesses the notification: it takes effect now (evidence recorded)."""
    note, power = _mine(ctx, citizen, notification_id)
    _audit(ctx, citizen, note, power)
    run_in_transaction(lambda: notifications.access(ctx, note.id))
    return _settled(ctx, note)


def reject_notification(ctx: Context, citizen: CitizenIdentity, notification_id: object) -> Notification:
    """The citizen expressly rejects it: it counts as made and the procedure goes on (art. 41.5)."""
    note = my_notification(ctx, citizen, notification_id)
    run_in_transaction(lambda: notifications.reject(ctx, note.id))
    return _settled(ctx, note)
