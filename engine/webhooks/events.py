"""What a webhook receives: each event of the bus it subscribed to becomes one delivery per webhook.

Subscribers run in the publisher's unit of work, so a delivery exists only when the act it reports
was committed; the POST is sent by a job after that (:mod:`engine.webhooks.delivery`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.events import Event, subscribe
from engine.base.i18n import _l
from engine.decrees.book import Decree
from engine.expedients.expedients import Expedient
from engine.notifications.notifications import Notification
from engine.process.models import HumanTask
from engine.tenancy.models import Tenant
from engine.webhooks.delivery import schedule
from engine.webhooks.models import Webhook, WebhookDelivery
from engine.webhooks.presence import known_none_active

EXPEDIENT_OPENED = "expedient.opened"
TASK_COMPLETED = "task.completed"
DECREE_SIGNED = "decree.signed"
NOTIFICATION_SETTLED = "notification.settled"
#: The events a webhook may subscribe to, in the order the admin page lists them.
EVENT_NAMES = (EXPEDIENT_OPENED, TASK_COMPLETED, DECREE_SIGNED, NOTIFICATION_SETTLED)
#: When each event is sent, in words an administrator reads beside its name (docs/api.md, "Webhooks").
EVENT_DESCRIPTIONS = {
    EXPEDIENT_OPENED: _l("An expedient is opened (its number is allocated)"),
    TASK_COMPLETED: _l("A task is completed (form, API, signature or notification outcome)"),
    DECREE_SIGNED: _l("The mayor signs a decree and it takes its number in the decree book"),
    NOTIFICATION_SETTLED: _l("An electronic notification is opened, rejected or deemed rejected (after 10 days)"),
}


def event_description(name: str) -> str:
    """When the event ``name`` is sent, in the reader's language; an unknown name as is."""
    description = EVENT_DESCRIPTIONS.get(name)
    return str(description) if description is not None else name


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (as_utc(value) or value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def emit(ctx: Context, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """One pending delivery of ``event`` per active webhook of the tenant that wants it (the caller commits)."""
    if known_none_active(ctx.tenant_id):
        return []
    hooks = [hook for hook in db.session.scalars(
        select(Webhook).where(Webhook.tenant_id == ctx.tenant_id, Webhook.active.is_(True)).order_by(Webhook.id))
        if event in hook.events]  # fmt: skip
    if not hooks:
        return []
    tenant = db.session.get(Tenant, ctx.tenant_id)
    now = utcnow()
    envelope = {"event": event, "occurred_at": now, "tenant": {"id": ctx.tenant_id, "code": tenant.code if tenant
                else None}, "data": data}  # fmt: skip
    body = json.dumps(envelope, default=_json_value, ensure_ascii=False, sort_keys=True)
    deliveries = []
    for hook in hooks:
        delivery = WebhookDelivery(tenant_id=ctx.tenant_id, webhook=hook, event=event, body=body, next_attempt_at=now)
        db.session.add(delivery)
        db.session.flush()
        schedule(delivery)
        deliveries.append(delivery)
    return deliveries


@subscribe(Event.EXPEDIENT_OPENED)
def _expedient_opened(ctx: Context, expedient_id: int) -> None:
    expedient = db.session.get(Expedient, expedient_id)
    if expedient is not None:
        emit(ctx, EXPEDIENT_OPENED, {"expedient": {**expedient.summary(), "opened_at": expedient.opened_at}})


@subscribe(Event.TASK_COMPLETED)
def _task_completed(ctx: Context, human_task_id: int) -> None:
    task = db.session.get(HumanTask, human_task_id)
    if task is not None:
        emit(ctx, TASK_COMPLETED, {"task": {"id": task.id, "name": task.name, "element_id": task.element_id,
                                            "expedient_id": task.expedient_id, "completed_by": ctx.username}})


@subscribe(Event.DECREE_SIGNED)
def _decree_signed(ctx: Context, decree_id: int) -> None:
    decree = db.session.get(Decree, decree_id)
    if decree is not None:
        emit(ctx, DECREE_SIGNED, {"decree": decree.summary()})


@subscribe(Event.NOTIFICATION_PRACTISED)
def _notification_settled(ctx: Context, notification_id: int) -> None:
    note = db.session.get(Notification, notification_id)
    if note is not None:
        emit(ctx, NOTIFICATION_SETTLED, {"notification": {
            "id": note.id, "expedient_id": note.expedient_id, "channel": note.channel, "state": note.state,
            "settled_at": note.settled_at}})
