"""The admin's side: register, list and remove webhooks, read the delivery log and retry a delivery."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import delete

from engine.audit import record
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.tenancy.admin import require_tenant_admin
from engine.tenancy.scoping import get_owned, scoped
from engine.webhooks import presence
from engine.webhooks.addresses import names_private_address, private_allowed
from engine.webhooks.delivery import schedule
from engine.webhooks.events import EVENT_NAMES
from engine.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

URL_MAX = 500
SECRET_MIN, SECRET_MAX = 16, 200
#: Deliveries the log shows, newest first.
LOG_SIZE = 200


def _url(value: str | None) -> str:
    url = clean_text(value, URL_MAX, "url", required=True,
                     required_message=_l("Give the URL that receives the events."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(_l("The URL must start with https:// (or http://) and name a host."), field="url")
    if not private_allowed() and names_private_address(url):
        raise ValidationFailed(_l("The URL must name a public internet address, not this server or a private "
                                  "network."), field="url")  # fmt: skip
    return url


def _secret(value: str | None) -> str:
    secret = (value or "").strip()
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ValidationFailed(_l("The secret must have %(low)d to %(high)d characters.", low=SECRET_MIN,
                                  high=SECRET_MAX), field="secret")  # fmt: skip
    return secret


def _events(values: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(v) for v in values))
    unknown = [name for name in chosen if name not in EVENT_NAMES]
    if unknown:
        raise ValidationFailed(_l("Unknown event: %(name)s.", name=unknown[0]), field="events")
    if not chosen:
        raise ValidationFailed(_l("Choose at least one event."), field="events")
    return [name for name in EVENT_NAMES if name in chosen]


def register_webhook(ctx: Context, url: str | None, secret: str | None, events: Iterable[str]) -> Webhook:
    """A new active webhook of the tenant (the caller commits)."""
    require_tenant_admin(ctx)
    hook = Webhook(tenant_id=ctx.tenant_id, url=_url(url), secret=_secret(secret), events=_events(events), active=True)
    db.session.add(hook)
    db.session.flush()
    presence.forget(ctx.tenant_id)
    record(ctx, "webhook.registered", "webhook", hook.id, after={"url": hook.url, "events": hook.events})
    return hook


def list_webhooks(ctx: Context) -> list[Webhook]:
    require_tenant_admin(ctx)
    return list(db.session.scalars(scoped(Webhook, ctx).order_by(Webhook.id)))


def get_webhook(ctx: Context, webhook_id: int) -> Webhook:
    require_tenant_admin(ctx)
    return get_owned(Webhook, ctx, webhook_id)


def remove_webhook(ctx: Context, webhook_id: int) -> Webhook:
    """Delete a webhook and its delivery log: nothing more is sent to it."""
    hook = get_webhook(ctx, webhook_id)
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    record(ctx, "webhook.removed", "webhook", hook.id, before={"url": hook.url, "events": hook.events})
    db.session.delete(hook)
    db.session.flush()
    return hook


def list_deliveries(ctx: Context, webhook_id: int | None = None) -> list[WebhookDelivery]:
    """The latest deliveries of the tenant (of one webhook when given), newest first."""
    require_tenant_admin(ctx)
    stmt = scoped(WebhookDelivery, ctx)
    if webhook_id is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == get_webhook(ctx, webhook_id).id)
    return list(db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(LOG_SIZE)))


def retry_delivery(ctx: Context, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (one more attempt for a failed one)."""
    require_tenant_admin(ctx)
    delivery = get_owned(WebhookDelivery, ctx, delivery_id, for_update=True)
    if delivery.status == DeliveryStatus.DELIVERED:
        raise ValidationFailed(_l("This delivery was already accepted by its receiver."))
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, utcnow()
    db.session.flush()
    schedule(delivery)
    return delivery


__all__ = ["get_webhook", "list_deliveries", "list_webhooks", "register_webhook", "remove_webhook",
           "retry_delivery"]
