"""Notifications to interested parties (Ley 39/2015, arts. 40-46) and their evidence.

A notification puts one document of an expedient at a party's disposal, electronically (the
e-office / e-NOTUM) or on paper. Every step leaves an evidence row with its timestamp: made
available, accessed, rejected, expired (deemed rejected), postal delivery attempts.

States: ``pending`` -> ``accessed`` | ``rejected`` | ``expired`` (electronic, not accessed in
time: deemed rejected, art. 43.2) | ``publication_pending`` (paper, two failed delivery attempts:
to be published in the Tauler Edictal Únic, art. 44). A postal ``delivered`` attempt counts as
accessed.

**Expiry (art. 43.2)**: "se entenderá rechazada cuando hayan transcurrido diez días naturales
desde la puesta a disposición de la notificación sin que se acceda a su contenido". The ten
natural days are counted as art. 30.4 counts days: from the day after the one on which the
notification was made available, and the tenth day runs to its end. Made available on day D (at
any time), it is deemed rejected when day D+10 ends: 23:59:59 Europe/Madrid of D+10 is the last
moment it can still be opened. It is not moved to the next working day: the days are natural and
the rule sets when the rejection is deemed to happen, not a term for the party to act in.

**Closed expedients**: opening a notification is the party's right (art. 41.1 and 43) and closing
the expedient does not annul an act already practised, so a pending notification of a closed
expedient can still be opened; the access evidence and the audit event record that the
expedient was closed at that moment.

**The procedure goes on**: a notification may be linked to a process instance waiting for it
with ``human_task_id``: a user task such as "wait for the notification" (any role). When the
notification is settled (accessed, rejected, expired, delivered or sent to publication), that
task is completed by the system with ``{"notification_id": id, "notification_outcome": state}``,
so the BPMN can branch on the outcome (e.g. an exclusive gateway on ``notification_outcome``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.audit import record
from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.events import Event, publish
from engine.base.i18n import _l
from engine.base.keyset import PAGE_LIMIT, KeysetPage, keyset_page
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Channel, Party
from engine.process.models import HumanTask
from engine.tenancy.scoping import get_owned, scoped

#: Art. 43.2: natural days after being made available before an electronic notification is deemed rejected.
EXPIRY_NATURAL_DAYS = 10
#: Art. 42.2: failed delivery attempts before publication in the Tauler Edictal Únic (art. 44).
FAILED_ATTEMPTS_BEFORE_PUBLICATION = 2


class NotificationState(StrEnum):
    PENDING = "pending"
    ACCESSED = "accessed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    PUBLICATION_PENDING = "publication_pending"
    #: The announcement appeared in the Tauler Edictal Únic (BOE): the notification is practised (art. 44).
    PUBLISHED = "published"


#: Each state in words, as the staff pages name it (a message never shows the code).
STATE_LABELS: dict[str, Any] = {
    NotificationState.PENDING: _l("pending"),
    NotificationState.ACCESSED: _l("accessed"),
    NotificationState.REJECTED: _l("rejected"),
    NotificationState.EXPIRED: _l("not accessed in 10 days: deemed rejected"),
    NotificationState.PUBLICATION_PENDING: _l("publication pending in the Tauler Edictal Únic"),
    NotificationState.PUBLISHED: _l("published in the Tauler Edictal Únic"),
}

#: The outcomes after which the procedure goes on: the notification is practised, or deemed so.
PRACTISED = (NotificationState.ACCESSED, NotificationState.REJECTED, NotificationState.EXPIRED,
             NotificationState.PUBLISHED)


class PostalResult(StrEnum):
    DELIVERED = "delivered"
    ABSENT = "absent"
    UNKNOWN_ADDRESS = "unknown_address"
    REFUSED = "refused"


class Evidence(StrEnum):
    MADE_AVAILABLE = "made_available"
    ACCESSED = "accessed"
    REJECTED = "rejected"
    EXPIRED_AS_REJECTED = "expired_as_rejected"
    POSTAL_ATTEMPT = "postal_attempt"
    PUBLICATION_PENDING = "publication_pending"
    PUBLISHED = "published"


class Notification(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_expiry", "state", "channel", "expires_at"),
        # The municipality's list, newest first, a page at a time (engine.base.keyset.keyset_page's ``tenant``).
        Index("ix_notifications_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    #: electronic | postal
    channel: Mapped[str] = mapped_column(String(10))
    #: pending | accessed | rejected | expired | publication_pending
    state: Mapped[str] = mapped_column(String(20), default=NotificationState.PENDING.value)
    made_available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Electronic only: when it is deemed rejected if still not accessed (art. 43.2).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The process waiting for the outcome: its "wait for the notification" user task.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    created_by: Mapped[str | None] = mapped_column(String(80))

    evidence: Mapped[list[NotificationEvidence]] = relationship(
        order_by="NotificationEvidence.id", back_populates="notification"
    )

    def summary(self) -> dict[str, Any]:
        return {
            "expedient_id": self.expedient_id,
            "party_id": self.party_id,
            "document_id": self.document_id,
            "channel": self.channel,
            "state": self.state,
            "made_available_at": as_utc(self.made_available_at),
            "expires_at": as_utc(self.expires_at),
            "human_task_id": self.human_task_id,
        }


class NotificationEvidence(db.Model):  # type: ignore[name-defined]
    """Append-only: what happened to a notification and when."""

    __tablename__ = "notification_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    #: made_available | accessed | rejected | expired_as_rejected | postal_attempt | publication_pending
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Postal attempts: delivered | absent | unknown_address | refused
    #: A postal attempt's result, or the reference of the BOE announcement.
    result: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="evidence")


def expiry_of(made_available_at: datetime) -> datetime:
    """Made available on day D (any time) -> last moment 23:59:59 of day D+10, Europe/Madrid."""
    moment = as_utc(made_available_at)
    assert moment is not None
    tenth_day = moment.astimezone(MADRID).date() + timedelta(days=EXPIRY_NATURAL_DAYS)
    return datetime.combine(tenth_day, time(23, 59, 59), tzinfo=MADRID).astimezone(UTC)


def _evidence(ctx: Context, note: Notification, kind: Evidence, at: datetime, result: str | None = None) -> None:
    note.evidence.append(
        NotificationEvidence(tenant_id=note.tenant_id, kind=kind.value, at=at, result=result, recorded_by=ctx.username)
    )


def _check_pending(note: Notification) -> None:
    if note.state != NotificationState.PENDING:
        raise Conflict(_l("This notification is already settled (%(state)s).",
                          state=STATE_LABELS.get(note.state, note.state)))  # fmt: skip


def notify(
    ctx: Context,
    expedient_id: int,
    party_id: int,
    document_id: int,
    channel: str | None = None,
    *,
    human_task_id: int | None = None,
    at: datetime | None = None,
) -> Notification:
    """Make ``document_id`` available to ``party_id`` by the party's preferred channel unless
    ``channel`` is given; ``human_task_id`` names the user task that waits for the outcome."""
    expedient = get_owned(Expedient, ctx, expedient_id)
    party = get_owned(Party, ctx, party_id)
    document = get_owned(Document, ctx, document_id)
    if document.expedient_id != expedient.id:
        raise ValidationFailed(_l("The document does not belong to this expedient."), field="document_id")
    chosen = channel or party.preferred_channel
    if chosen not in tuple(Channel):
        raise ValidationFailed(_l("The channel must be electronic or postal."), field="channel")
    instance_id = None
    if human_task_id is not None:
        task = get_owned(HumanTask, ctx, human_task_id)
        if task.state != "ready":
            raise ValidationFailed(_l("The task waiting for the notification is not pending."), field="human_task_id")
        instance_id = task.instance_id
    moment = as_utc(at) or utcnow()
    note = Notification(
        tenant_id=ctx.tenant_id, expedient_id=expedient.id, party_id=party.id, document_id=document.id,
        channel=chosen, state=NotificationState.PENDING.value, made_available_at=moment,
        expires_at=expiry_of(moment) if chosen == Channel.ELECTRONIC else None,
        instance_id=instance_id, human_task_id=human_task_id, created_by=ctx.username,
    )
    db.session.add(note)
    db.session.flush()
    _evidence(ctx, note, Evidence.MADE_AVAILABLE, moment)
    record(ctx, "notification.made_available", "notification", note.id, expedient_id=expedient.id,
           after=note.summary())
    return note


def get_notification(ctx: Context, notification_id: int) -> Notification:
    return get_owned(Notification, ctx, notification_id)


def list_notifications(ctx: Context, expedient_id: int) -> list[Notification]:
    stmt = scoped(Notification, ctx).where(Notification.expedient_id == expedient_id).order_by(Notification.id)
    return list(db.session.execute(stmt).scalars())


def notifications_page(ctx: Context, *, state: str | None = None, after: int | None = None,
                       limit: int = PAGE_LIMIT) -> KeysetPage[Notification]:
    """Every notification of the tenant, newest first, a page at a time; ``state`` one of NotificationState."""
    stmt = scoped(Notification, ctx)
    if state is not None:
        if state not in tuple(NotificationState):
            raise ValidationFailed(_l("Unknown notification state %(state)s.", state=state), field="state")
        stmt = stmt.where(Notification.state == state)
    return keyset_page(stmt, Notification.id, after, limit, tenant=(Notification.tenant_id, ctx.tenant_id))


def _settle(ctx: Context, note: Notification, state: NotificationState, evidence: Evidence, at: datetime,
            result: str | None = None) -> Notification:
    before = note.state
    note.state, note.settled_at = state.value, at
    _evidence(ctx, note, evidence, at, result)
    record(ctx, f"notification.{state.value}", "notification", note.id, expedient_id=note.expedient_id,
           before={"state": before}, after={"state": note.state, "at": at, "result": result})
    publish(Event.NOTIFICATION_PRACTISED, ctx=ctx, notification_id=note.id)
    return note


def access(ctx: Context, notification_id: int, *, at: datetime | None = None) -> Notification:
    """The party (or the e-office on its behalf) opened the notification: it takes effect now."""
    note = get_owned(Notification, ctx, notification_id, for_update=True)
    _check_pending(note)
    moment = as_utc(at) or utcnow()
    if note.expires_at is not None and moment > as_utc(note.expires_at):  # type: ignore[operator]
        raise Conflict(_l("Too late: the notification was deemed rejected when its ten days ran out."))
    expedient = db.session.get(Expedient, note.expedient_id)
    if expedient is not None and not expedient.is_open:
        # Access is the party's right and closing does not annul a practised act (module docstring):
        # allowed, and the evidence (result "expedient_closed") says so.
        return _settle(ctx, note, NotificationState.ACCESSED, Evidence.ACCESSED, moment,
                       "expedient_closed")
    return _settle(ctx, note, NotificationState.ACCESSED, Evidence.ACCESSED, moment)


def reject(ctx: Context, notification_id: int, *, at: datetime | None = None) -> Notification:
    """The party expressly rejected it: the notification is done, the procedure goes on (art. 41.5)."""
    note = get_owned(Notification, ctx, notification_id, for_update=True)
    _check_pending(note)
    return _settle(ctx, note, NotificationState.REJECTED, Evidence.REJECTED, as_utc(at) or utcnow())


def record_postal_attempt(ctx: Context, notification_id: int, attempted_at: datetime, result: str) -> Notification:
    """A paper delivery attempt; delivered -> accessed, the second failure -> publication pending."""
    if result not in tuple(PostalResult):
        raise ValidationFailed(_l("Unknown delivery result %(value)s.", value=result), field="result")
    note = get_owned(Notification, ctx, notification_id, for_update=True)
    if note.channel != Channel.POSTAL:
        raise ValidationFailed(_l("Only postal notifications have delivery attempts."), field="notification_id")
    _check_pending(note)
    moment = as_utc(attempted_at)
    assert moment is not None
    _evidence(ctx, note, Evidence.POSTAL_ATTEMPT, moment, result)
    if result == PostalResult.DELIVERED:
        return _settle(ctx, note, NotificationState.ACCESSED, Evidence.ACCESSED, moment)
    db.session.flush()
    failures = db.session.scalar(
        select(func.count()).select_from(NotificationEvidence)
        .where(NotificationEvidence.notification_id == note.id, NotificationEvidence.kind == Evidence.POSTAL_ATTEMPT)
    ) or 0
    if failures >= FAILED_ATTEMPTS_BEFORE_PUBLICATION:
        return _settle(ctx, note, NotificationState.PUBLICATION_PENDING, Evidence.PUBLICATION_PENDING, moment, result)
    record(ctx, "notification.postal_attempt", "notification", note.id, expedient_id=note.expedient_id,
           after={"at": moment, "result": result})
    return note


def record_publication(ctx: Context, notification_id: int, published_on: date, reference: str) -> Notification:
    """The announcement of a notification that could not be delivered appeared in the Tauler
    Edictal Únic (BOE) on ``published_on``: it is practised that day (Ley 39/2015 art. 44)."""
    note = get_owned(Notification, ctx, notification_id, for_update=True)
    if note.state != NotificationState.PUBLICATION_PENDING:
        raise Conflict(_l("Only a notification pending publication can be recorded as published."))
    reference = " ".join((reference or "").split())
    if not reference or len(reference) > 100:
        raise ValidationFailed(_l("Give the reference of the announcement in the BOE (up to 100 characters)."),
                               field="reference")
    moment = datetime.combine(published_on, time(0, 0), tzinfo=MADRID)
    if moment.date() > local_date(utcnow()):
        raise ValidationFailed(_l("The publication date cannot be in the future."), field="published_on")
    made_available = as_utc(note.made_available_at)
    if made_available is not None and published_on < local_date(made_available):
        raise ValidationFailed(_l("The publication cannot be earlier than the notification."), field="published_on")
    at = as_utc(moment)
    assert at is not None
    return _settle(ctx, note, NotificationState.PUBLISHED, Evidence.PUBLISHED, at, reference)


def expire_one(ctx: Context, notification_id: int, now: datetime) -> Notification | None:
    """Deem one electronic notification rejected when its ten natural days have run out."""
    note = get_owned(Notification, ctx, notification_id, for_update=True)
    expires = as_utc(note.expires_at)
    if note.state != NotificationState.PENDING or expires is None or expires >= now:
        return None
    return _settle(ctx, note, NotificationState.EXPIRED, Evidence.EXPIRED_AS_REJECTED, expires)


def continue_process(ctx: Context, notification_id: int) -> bool:
    """Complete the user task waiting for this settled notification; True when it moved on.

    A task waiting for several notifications (one per party) moves on when the last of them is
    settled, with every outcome. Runs in its own transaction (after the settlement committed); a
    task already completed, cancelled or not linked is left alone, or one whose other
    notifications are still pending, so calling it twice is harmless.
    """
    note = get_owned(Notification, ctx, notification_id)
    if note.state not in PRACTISED or note.human_task_id is None:
        return False
    task = db.session.get(HumanTask, note.human_task_id)
    if task is None or task.state != "ready":
        return False
    group = _awaited_group(ctx, task.id)
    if len(group) > 1:
        if any(other.state not in PRACTISED for other in group):
            return False
        data, idem_key = group_outcome_data(group), f"notifications-task-{task.id}"
    else:
        data, idem_key = outcome_data(note), f"notification-{note.id}"
    publish(Event.NOTIFICATION_SETTLED, ctx=ctx, human_task_id=task.id, data=data, idem_key=idem_key)
    return True


def outcome_data(note: Notification) -> dict[str, Any]:
    """What a task waiting for the notification completes with: the outcome and the day it took
    effect (``notified_on``: terms counted from a notification start the day after it)."""
    settled = as_utc(note.settled_at)
    return {
        "notification_id": note.id,
        "notification_outcome": note.state,
        "notified_on": local_date(settled).isoformat() if settled else None,
    }


def group_outcome_data(group: list[Notification]) -> dict[str, Any]:
    """What a task waiting for several notifications completes with: each one's outcome
    (``notifications``) and ``notified_on``, the day the LAST took effect, so a term the model
    counts from it leaves every party at least its own term."""
    outcomes = [outcome_data(note) for note in group]
    days = [o["notified_on"] for o in outcomes if o["notified_on"]]
    return {"notifications": outcomes, "notified_on": max(days) if days else None}


def _awaited_group(ctx: Context, human_task_id: int) -> list[Notification]:
    return list(db.session.execute(
        scoped(Notification, ctx).where(Notification.human_task_id == human_task_id).order_by(Notification.id)
    ).scalars())


def link_waiting_task(ctx: Context, human_task_id: int, target: Any) -> list[Notification]:
    """A task waits for the notifications named by ``target`` (what ``gee.notify`` answered:
    ``notification_id`` or ``notification_ids``, or an id): link them, so their outcomes complete
    the task. Empty when ``target`` names no notification (a dispatch by registry only)."""
    if isinstance(target, dict):
        values = target.get("notification_ids") if "notification_ids" in target else [target.get("notification_id")]
    else:
        values = [target]
    task = get_owned(HumanTask, ctx, human_task_id)
    linked = []
    for value in values if isinstance(values, list) else []:
        if value is None or isinstance(value, bool):
            continue
        try:
            note = get_owned(Notification, ctx, int(value), for_update=True)
        except (TypeError, ValueError, NotFound):
            continue
        note.human_task_id, note.instance_id = task.id, task.instance_id
        linked.append(note)
    db.session.flush()
    return linked


def awaited_by(ctx: Context, human_task_id: int) -> Notification | None:
    """The notification whose outcome the task waits for, if any (the last, when several)."""
    group = _awaited_group(ctx, human_task_id)
    return group[-1] if group else None


def waiting_continuations(limit: int = 1000) -> list[tuple[int, int]]:
    """(tenant_id, notification_id) of settled notifications whose waiting task is still ready."""
    rows = db.session.execute(
        select(Notification.tenant_id, Notification.id)
        .join(HumanTask, HumanTask.id == Notification.human_task_id)
        .where(Notification.state.in_([state.value for state in PRACTISED]), HumanTask.state == "ready")
        .limit(limit)
    ).all()
    return [(tenant_id, nid) for tenant_id, nid in rows]


@dataclass(frozen=True)
class DueExpiry:
    tenant_id: int
    notification_id: int


def due_expiries(now: datetime, limit: int = 1000) -> list[DueExpiry]:
    """Pending electronic notifications whose term ran out (all tenants): for the scheduler."""
    rows = db.session.execute(
        select(Notification.tenant_id, Notification.id)
        .where(Notification.state == NotificationState.PENDING, Notification.channel == Channel.ELECTRONIC,
               Notification.expires_at < now)
        .order_by(Notification.expires_at)
        .limit(limit)
    ).all()
    return [DueExpiry(tenant_id, nid) for tenant_id, nid in rows]


__all__ = [
    "EXPIRY_NATURAL_DAYS",
    "PRACTISED",
    "Evidence",
    "Notification",
    "NotificationEvidence",
    "NotificationState",
    "PostalResult",
    "access",
    "awaited_by",
    "continue_process",
    "due_expiries",
    "expire_one",
    "expiry_of",
    "get_notification",
    "group_outcome_data",
    "link_waiting_task",
    "list_notifications",
    "notify",
    "outcome_data",
    "record_postal_attempt",
    "record_publication",
    "reject",
    "waiting_continuations",
]
