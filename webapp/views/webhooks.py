"""Webhooks (admin): register a URL and secret for some events, remove it, and read the delivery log
with a retry button (docs/api.md, "Webhooks")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.i18n import _, _l
from engine.webhooks import subscriptions as hooks
from engine.webhooks.delivery import MAX_ATTEMPTS, SIGNATURE_HEADER
from engine.webhooks.events import EVENT_NAMES, event_description
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

NAV = [NavItem("webhooks.index", _l("Webhooks"), roles=("admin",), order=91, menu="admin")]


@bp.get("/")
@roles_required("admin")
def index() -> Any:
    return _page()


def _page(errors: dict[str, str] | None = None) -> str:
    """The webhooks and their log; after a refused one, its URL and events (never the secret) with the reason."""
    return render_template("webhooks/index.html", webhooks=hooks.list_webhooks(g.ctx),
                           deliveries=hooks.list_deliveries(g.ctx), event_names=EVENT_NAMES,
                           event_description=event_description,
                           max_attempts=MAX_ATTEMPTS, signature_header=SIGNATURE_HEADER,
                           errors=errors or {}, form=request.form)  # fmt: skip


#: The DOM ids of the new webhook's fields, by the names the services give them.
_FIELDS = {"url": "webhook-url", "secret": "webhook-secret", "events": "webhook-events"}


@bp.post("/")
@roles_required("admin")
def create() -> Any:
    try:
        hook = hooks.register_webhook(g.ctx, request.form.get("url"), request.form.get("secret"),
                                      request.form.getlist("events"))  # fmt: skip
    except REFUSALS as err:
        unit_of_work.discard()
        return _page(field_errors(err, _FIELDS, "new-webhook")), err.status
    flash(_("The webhook %(url)s was registered.", url=hook.url), "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:webhook_id>/remove")
@roles_required("admin")
def remove(webhook_id: int) -> Any:
    hook = hooks.remove_webhook(g.ctx, webhook_id)
    flash(_("The webhook %(url)s was removed.", url=hook.url), "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/deliveries/<int:delivery_id>/retry")
@roles_required("admin")
def retry(delivery_id: int) -> Any:
    hooks.retry_delivery(g.ctx, delivery_id)
    flash(_("The delivery was queued again; its status is in the log."), "success")
    return redirect(url_for("webhooks.index"))
