"""The JSON API of the registry book: list and read entries, register an incoming one (with its
receipt); the same engine services and roles as the registry pages."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request

from engine.base.clock import local_date, utcnow
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.expedients.expedients import OPENERS, require_role
from engine.registry.book import search_entries
from engine.registry.entries import Channel, Direction, get_entry, register_incoming
from engine.registry.open_expedient import party_of
from engine.registry.receipts import receipt_file
from webapp.api.answers import id_list, json_body, ok, optional_text, party_input
from webapp.api.auth import api_blueprint
from webapp.inputs import YEAR_MAX, YEAR_MIN, id_value, int_arg, search_text

bp = api_blueprint("api_registry")


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
    party = party_input(body)
    entry = register_incoming(
        g.ctx, subject=str(body.get("subject") or ""), channel=str(body.get("channel") or Channel.IN_PERSON.value),
        party_id=party_of(g.ctx, party).id if party else None, sender=optional_text(body, "sender"),
        summary=optional_text(body, "summary"),
        document_ids=id_list(body, "document_ids"),
        expedient_id=id_value(body.get("expedient_id"), "expedient_id"), locale=str(g.ctx.locale or "ca"),
    )  # fmt: skip
    return ok(entry.summary_dict(), 201)


@bp.get("/registry/entries/<int:entry_id>/receipt")
def entry_receipt(entry_id: int) -> Any:
    """The receipt (justificant) PDF of the entry, as the registry page gives it."""
    require_role(g.ctx, OPENERS)
    receipt = receipt_file(g.ctx, entry_id)
    response = Response(receipt.content, mimetype=receipt.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=receipt.file_name)
    return response
