"""Jobs around notifications: expiry after ten natural days, continuing the waiting process,
and the informational e-mail alert to the party (see engine.notifications.notifications); and
the link between a process step that waits for a notification and that notification."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale

from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.events import Event, subscribe
from engine.base.i18n import _l
from engine.base.jobs import enqueue
from engine.base.mail import send_mail
from engine.base.unit_of_work import after_commit, run_in_transaction
from engine.expedients.parties import Party
from engine.notifications import notifications
from engine.tenancy.models import Tenant


def expire_notification(tenant_id: int, notification_id: int, swept_at: str | None = None) -> bool:
    """Job: deem the notification rejected if its term ran out, then let the process go on."""
    ctx = Context.system(tenant_id, "notification-expiry")
    moment = max(as_utc(datetime.fromisoformat(swept_at)) or utcnow(), utcnow()) if swept_at else utcnow()
    expired = run_in_transaction(lambda: notifications.expire_one(ctx, notification_id, moment)) is not None
    notifications.continue_process(ctx, notification_id)
    return expired


def continue_after_notification(tenant_id: int, notification_id: int) -> bool:
    """Job: complete the task waiting for a settled notification (no-op when already done)."""
    return notifications.continue_process(Context.system(tenant_id, "notification"), notification_id)


@subscribe(Event.NOTIFICATION_TASK_READY)
def _wait_for_notification(ctx: Context, human_task_id: int, target: object) -> None:
    """A step waits for a notification, or one per party (``gee:await-notification``): their
    outcomes will complete the step. One already practised continues the process once this
    change has committed."""
    for note in notifications.link_waiting_task(ctx, human_task_id, target):
        continue_once_committed(ctx, note)


def continue_once_committed(ctx: Context, note: notifications.Notification) -> None:
    """When ``note`` is practised and a step waits for it, complete that step in a job of its
    own once the current change has committed (a failing process step then opens an incident
    instead of undoing the record of the notification)."""
    if note.human_task_id is None or note.state not in notifications.PRACTISED:
        return
    tenant_id, notification_id = ctx.tenant_id, note.id
    after_commit(lambda: enqueue(continue_after_notification, tenant_id, notification_id,
                                 job_id=f"continue-notification-{notification_id}"))


def alert_party(tenant_id: int, notification_id: int) -> bool:
    """Job: e-mail the party that a notification awaits them (informational only, art. 41.6)."""
    ctx = Context.system(tenant_id, "notification-alert")
    note = notifications.get_notification(ctx, notification_id)
    party = db.session.get(Party, note.party_id)
    tenant = db.session.get(Tenant, tenant_id)
    if party is None or not party.email or tenant is None:
        return False
    with force_locale(tenant.default_locale):  # the party chose no language: the municipality's
        return send_mail(
            [party.email],
            str(_l("%(tenant)s: you have a notification", tenant=tenant.name)),
            str(_l("A notification from %(tenant)s is available to you in the electronic office. This e-mail "
                   "is only an alert and has no legal effect.", tenant=tenant.name)),
        )


__all__ = ["alert_party", "continue_after_notification", "expire_notification"]
