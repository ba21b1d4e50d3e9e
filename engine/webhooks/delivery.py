"""Sending a delivery: one signed JSON POST per attempt, retried with backoff until it is accepted.

Each attempt is a background job (:func:`deliver`); a failed one records its error and the time of
the next attempt, which the scheduler's sweep queues when due (:func:`due_deliveries`). After
:data:`MAX_ATTEMPTS` the delivery is failed: the admin may retry it by hand from the delivery log.
The receiver checks ``X-GEE-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import requests
from sqlalchemy import select

from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.jobs import enqueue
from engine.base.unit_of_work import after_commit, run_in_transaction
from engine.tenancy.scoping import get_owned
from engine.webhooks.addresses import private_allowed, resolves_to_private_address
from engine.webhooks.models import DeliveryStatus, WebhookDelivery

SIGNATURE_HEADER = "X-GEE-Signature"
EVENT_HEADER = "X-GEE-Event"
DELIVERY_HEADER = "X-GEE-Delivery"
#: Wait before the 2nd, 3rd, ... attempt; after the last one the delivery is failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))  # fmt: skip
MAX_ATTEMPTS = len(BACKOFF) + 1
#: Seconds a receiver has to answer one attempt.
TIMEOUT = 10
ERROR_MAX = 500


def signature(secret: str, body: bytes) -> str:
    """The value of :data:`SIGNATURE_HEADER` for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def schedule(delivery: WebhookDelivery) -> None:
    """Queue an attempt of ``delivery`` once the unit of work that wrote it has committed."""
    tenant_id, delivery_id = delivery.tenant_id, delivery.id
    after_commit(lambda: enqueue(deliver, tenant_id, delivery_id, job_id=f"webhook-{delivery_id}"))


def _post(delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    """POST the body; returns the HTTP status (if any answer came) and the error (None when accepted)."""
    if not private_allowed():
        private = resolves_to_private_address(delivery.webhook.url)
        if private is not None:
            return None, f"Refused: the receiver's host resolves to the non-public address {private}."
    body = delivery.body.encode("utf-8")
    headers = {"Content-Type": "application/json", EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.id),
               SIGNATURE_HEADER: signature(delivery.webhook.secret, body)}  # fmt: skip
    try:
        response = requests.post(delivery.webhook.url, data=body, headers=headers, timeout=TIMEOUT,
                                 allow_redirects=False)  # fmt: skip
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code} {response.reason or ''}".strip()[:ERROR_MAX]


def attempt(delivery: WebhookDelivery, now: datetime) -> None:
    """One attempt: delivered, or the error kept and the next attempt set (failed after the last)."""
    delivery.attempts += 1
    delivery.response_status, error = _post(delivery)
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    db.session.flush()


def deliver(tenant_id: int, delivery_id: int) -> str:
    """Job: attempt a pending delivery now; returns its status. A delivered or failed one is left alone,
    so a job queued twice sends once."""
    ctx = Context.system(tenant_id, "webhooks")

    def work() -> str:
        delivery = get_owned(WebhookDelivery, ctx, delivery_id, for_update=True)
        if delivery.status == DeliveryStatus.PENDING:
            attempt(delivery, utcnow())
        return delivery.status

    return run_in_transaction(work)


def due_deliveries(now: datetime) -> list[tuple[int, int]]:
    """``(tenant_id, delivery_id)`` of the pending deliveries whose next attempt is due (for the scheduler)."""
    rows = db.session.execute(
        select(WebhookDelivery.tenant_id, WebhookDelivery.id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id)
    )
    return [(tenant_id, delivery_id) for tenant_id, delivery_id in rows]
