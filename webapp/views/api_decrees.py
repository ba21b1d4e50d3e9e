"""The JSON API of the decree book: the decrees with filters, one decree, its signed PDF; for the
roles of the decree book page."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from engine.base.errors import Conflict
from engine.base.i18n import _l
from engine.decrees.book import decrees_page, get_decree
from engine.documents.documents import read_content
from engine.expedients.expedients import require_role
from engine.signatures.circuits import signed_decree_document
from webapp.api.answers import ok, page_args, paged
from webapp.api.auth import api_blueprint
from webapp.inputs import YEAR_MAX, YEAR_MIN, int_arg, search_text
from webapp.views.decrees_book import BOOK_ROLES

bp = api_blueprint("api_decrees")


@bp.get("/decrees")
def list_decrees() -> Any:
    require_role(g.ctx, BOOK_ROLES)
    args = request.args
    after, limit = page_args()
    page = decrees_page(g.ctx, year=int_arg(args.get("year"), field="year", low=YEAR_MIN, high=YEAR_MAX),
                        status=args.get("status") or None, q=search_text(args.get("q")), after=after,
                        limit=limit)  # fmt: skip
    return paged([decree.summary() for decree in page.rows], page)


@bp.get("/decrees/<int:decree_id>")
def show_decree(decree_id: int) -> Any:
    require_role(g.ctx, BOOK_ROLES)
    decree = get_decree(g.ctx, decree_id)
    return ok({**decree.summary(), "text": decree.text, "created_at": decree.created_at})


@bp.get("/decrees/<int:decree_id>/pdf")
def decree_pdf(decree_id: int) -> Any:
    """The signed PDF, once its signature circuit (the mayor's, the secretary's attestation) is complete."""
    require_role(g.ctx, BOOK_ROLES)
    decree = get_decree(g.ctx, decree_id)
    try:
        signed = signed_decree_document(g.ctx, decree.id)
    except Conflict:
        raise Conflict(_l("This decree has no signed PDF yet: its signatures are not complete.")) from None
    doc, content = read_content(g.ctx, signed.id)
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=doc.file_name)
    return response
