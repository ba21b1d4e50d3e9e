"""The JSON API of notifications across the municipality: the list by state, one with its evidence
(made available, accessed, rejected, postal attempts...). Readable by every member, as on the
expedient page."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine.notifications.notifications import Notification, get_notification, notifications_page
from webapp.api.answers import ok, page_args, paged
from webapp.api.auth import api_blueprint

bp = api_blueprint("api_notifications")


def notification_dict(note: Notification) -> dict[str, Any]:
    return {"id": note.id, **note.summary(), "settled_at": note.settled_at}


@bp.get("/notifications")
def list_notifications() -> Any:
    after, limit = page_args()
    page = notifications_page(g.ctx, state=request.args.get("state") or None, after=after, limit=limit)
    return paged([notification_dict(note) for note in page.rows], page)


@bp.get("/notifications/<int:notification_id>")
def show_notification(notification_id: int) -> Any:
    note = get_notification(g.ctx, notification_id)
    evidence = [{"kind": e.kind, "at": e.at, "result": e.result, "recorded_by": e.recorded_by}
                for e in note.evidence]  # fmt: skip
    return ok({**notification_dict(note), "evidence": evidence})
