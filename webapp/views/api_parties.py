"""The JSON API of interested parties: search them by NIF or name, read one, add one (the NIF checked
as the pages check it). Reading is for every member, as the party lookup of the pages; adding for
those who open expedients and register entries."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine.expedients.expedients import OPENERS, require_role
from engine.expedients.parties import find_party_by_nif, get_party, parties_page
from engine.registry.open_expedient import party_of
from webapp.api.answers import json_body, ok, page_args, paged, party_fields
from webapp.api.auth import api_blueprint
from webapp.inputs import search_text

bp = api_blueprint("api_parties")


@bp.get("/parties")
def list_parties() -> Any:
    after, limit = page_args()
    page = parties_page(g.ctx, q=search_text(request.args.get("q")), after=after, limit=limit)
    return paged([party.summary() for party in page.rows], page)


@bp.get("/parties/<int:party_id>")
def show_party(party_id: int) -> Any:
    return ok(get_party(g.ctx, party_id).summary())


@bp.post("/parties")
def create_party() -> Any:
    """201 with the new party; 200 with the existing one when the NIF is already known (left unchanged)."""
    require_role(g.ctx, OPENERS)
    wanted = party_fields(json_body(), field="")
    existing = find_party_by_nif(g.ctx, wanted.nif)
    return ok((existing or party_of(g.ctx, wanted)).summary(), 200 if existing else 201)
