"""The JSON API of webhooks (admins only): register, list and remove them, read and retry deliveries.
Documented in :mod:`webapp.api.openapi` and docs/api.md."""

from __future__ import annotations

from typing import Any

from flask import g

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.webhooks import subscriptions as hooks
from webapp.api.answers import json_body, ok
from webapp.api.auth import api_blueprint

bp = api_blueprint("api_webhooks")


@bp.get("/webhooks")
def list_webhooks() -> Any:
    return ok([hook.summary() for hook in hooks.list_webhooks(g.ctx)])


@bp.post("/webhooks")
def register_webhook() -> Any:
    body = json_body()
    events = body.get("events")
    if not isinstance(events, list):
        raise ValidationFailed(_l("Send a list of event names."), field="events")
    url, secret = body.get("url"), body.get("secret")
    hook = hooks.register_webhook(g.ctx, None if url is None else str(url), None if secret is None else str(secret),
                                  [str(e) for e in events])  # fmt: skip
    return ok(hook.summary(), 201)


@bp.delete("/webhooks/<int:webhook_id>")
def remove_webhook(webhook_id: int) -> Any:
    return ok(hooks.remove_webhook(g.ctx, webhook_id).summary())


@bp.get("/webhooks/<int:webhook_id>/deliveries")
def list_deliveries(webhook_id: int) -> Any:
    return ok([delivery.summary() for delivery in hooks.list_deliveries(g.ctx, webhook_id)])


@bp.post("/webhook-deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> Any:
    return ok(hooks.retry_delivery(g.ctx, delivery_id).summary())
