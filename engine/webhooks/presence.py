"""Whether a tenant has any active webhook, learnt for free by a query the request makes anyway.

Every audited change publishes events, and :func:`engine.webhooks.events.emit` reads the tenant's
webhooks for each: one statement per change, even for the many tenants that have none. A
request that reads its tenant's row for another reason (the API's token check) adds
:func:`none_active` to that query and tells :func:`remember_none_active` the answer; ``emit`` then
skips its read for the rest of that database transaction. The fact is kept for that transaction
only (a new transaction, after a commit or a lost race, reads the webhooks again), and registering
a webhook forgets it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists

from engine.base.db import db
from engine.webhooks.models import Webhook

_KEY = "gee_tenants_without_webhooks"


def none_active(tenant_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """A column: the tenant ``tenant_id`` has no active webhook."""
    return ~exists().where(Webhook.tenant_id == tenant_id, Webhook.active.is_(True))


def remember_none_active(tenant_id: int) -> None:
    """The tenant has no active webhook, as the open transaction saw."""
    transaction, tenants = db.session.info.get(_KEY, (None, set()))
    current = db.session().get_transaction()
    if transaction is not current:
        tenants = set()
    db.session.info[_KEY] = (current, tenants | {tenant_id})


def known_none_active(tenant_id: int) -> bool:
    """Whether the open transaction already learnt that the tenant has no active webhook."""
    transaction, tenants = db.session.info.get(_KEY, (None, set()))
    return transaction is not None and transaction is db.session().get_transaction() and tenant_id in tenants


def forget(tenant_id: int) -> None:
    """The tenant's webhooks changed: read them again."""
    _transaction, tenants = db.session.info.get(_KEY, (None, set()))
    tenants.discard(tenant_id)


__all__ = ["forget", "known_none_active", "none_active", "remember_none_active"]
