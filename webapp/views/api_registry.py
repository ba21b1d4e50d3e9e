"""The JSON API of the registry book: list and read entries, register an incoming one (with its
receipt); the same engine services and roles as the registry pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from engine.base.clock import local_date, utcnow
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.expedients.expedients import OPENERS, require_role
from engine.registry.book import search_entries
from engine.registry.entries import Channel, Direction, get_entry, register_incoming
from engine.registry.open_expedient import party_of
from webapp.api.answers import json_body, ok, party_input
from webapp.api.auth import authenticate
from webapp.inputs import YEAR_MAX, YEAR_MIN, id_value, int_arg, search_text
from webapp.security import csrf

bp = Blueprint("api_registry", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return None if value is None else str(value)


@bp.get("/registry/entries")
def list_entries() -> Any:
    require_role(g.ctx, OPENERS)
    direction = request.args.get("direction", Direction.INCOMING.value)
    if direction not in tuple(Direction):
        raise ValidationFailed(_l("The direction must be E (incoming) or S (outgoing)."), field="direction")
    this_year = local_date(utcnow()).year
    year = int_arg(request.args.get("year"), field="year", low=YEAR_MIN, high=YEAR_MAX) or this_year
    entries = search_entries(g.ctx, direction, year, search_text(request.args.get("q")))
    return ok([entry.summary_dict() for entry in entries])


@bp.get("/registry/entries/<int:entry_id>")
def show_entry(entry_id: int) -> Any:
    require_role(g.ctx, OPENERS)
    return ok(get_entry(g.ctx, entry_id).summary_dict())


@bp.post("/registry/entries")
def register_entry() -> Any:
    """An incoming entry (entrada) with its receipt; optionally joined to an expedient of the tenant."""
    require_role(g.ctx, OPENERS)
    body = json_body()
    document_ids = body.get("document_ids") or []
    if not isinstance(document_ids, list):
        raise ValidationFailed(_l("Send a list of document ids."), field="document_ids")
    party = party_input(body)
    entry = register_incoming(
        g.ctx, subject=str(body.get("subject") or ""), channel=str(body.get("channel") or Channel.IN_PERSON.value),
        party_id=party_of(g.ctx, party).id if party else None, sender=_text(body, "sender"),
        summary=_text(body, "summary"), document_ids=[id_value(d, "document_ids") or 0 for d in document_ids],
        expedient_id=id_value(body.get("expedient_id"), "expedient_id"), locale=str(g.ctx.locale or "ca"),
    )  # fmt: skip
    return ok(entry.summary_dict(), 201)
