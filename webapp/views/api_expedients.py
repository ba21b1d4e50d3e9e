"""The JSON API of expedients beyond opening one (:mod:`webapp.views.api`): the list with cursor
pagination and filters, closing, documents (list, new version, issue with CSV) and notifications.
The same engine services and role rules as the expedient page."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.documents import closing
from engine.documents import documents as docs
from engine.dossier.actions import issue_with_csv, upload_new_version
from engine.expedients.expedients import OPENERS, get_expedient, require_role
from engine.expedients.listing import expedients_page, procedure_keys
from engine.notifications.notifications import list_notifications
from engine.tenancy.models import Role
from webapp.api.answers import ok, page_args, paged
from webapp.api.auth import api_blueprint
from webapp.inputs import search_text
from webapp.views.api_notifications import notification_dict

bp = api_blueprint("api_expedients")

#: Who may add a document version on the expedient page.
VERSION_ADDERS = OPENERS | {Role.TECNIC}


@bp.get("/expedients")
def list_expedients() -> Any:
    args = request.args
    after, limit = page_args()
    try:
        page = expedients_page(g.ctx, state=args.get("state") or None, procedure=args.get("procedure") or None,
                               q=search_text(args.get("q")), after=after, limit=limit)  # fmt: skip
    except ValidationFailed as err:  # the page to go on from is the API's ``cursor``
        raise ValidationFailed(err.message, field="cursor" if err.field == "after" else err.field) from None
    keys = procedure_keys(g.ctx, page.rows)
    return paged([{**e.summary(), "opened_at": e.opened_at, "procedure": keys.get(e.id)} for e in page.rows], page)


@bp.post("/expedients/<int:expedient_id>/close")
def close_expedient(expedient_id: int) -> Any:
    expedient = closing.close_expedient(g.ctx, expedient_id)
    return ok({**expedient.summary(), "opened_at": expedient.opened_at})


@bp.get("/expedients/<int:expedient_id>/documents")
def list_documents(expedient_id: int) -> Any:
    expedient = get_expedient(g.ctx, expedient_id)
    return ok([doc.meta() for doc in docs.list_documents(g.ctx, expedient.id)])


@bp.post("/expedients/<int:expedient_id>/documents/<int:document_id>/versions")
def add_version(expedient_id: int, document_id: int) -> Any:
    require_role(g.ctx, VERSION_ADDERS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_l("Choose a file to upload."), field="file")
    return ok(upload_new_version(g.ctx, expedient_id, document_id, upload.filename, upload.read()).meta(), 201)


@bp.post("/expedients/<int:expedient_id>/documents/<int:document_id>/issue")
def issue_document(expedient_id: int, document_id: int) -> Any:
    require_role(g.ctx, OPENERS)
    return ok(issue_with_csv(g.ctx, expedient_id, document_id).meta())


@bp.get("/expedients/<int:expedient_id>/notifications")
def list_expedient_notifications(expedient_id: int) -> Any:
    expedient = get_expedient(g.ctx, expedient_id)
    return ok([notification_dict(note) for note in list_notifications(g.ctx, expedient.id)])
