"""How every API route reads its JSON body and writes its answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify, request

from engine.base.clock import as_utc
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.base.keyset import PAGE_LIMIT, KeysetPage
from engine.registry.open_expedient import PartyInput
from webapp.inputs import id_value, int_arg


def plain(value: Any) -> Any:
    """Datetimes and dates as ISO 8601 (Flask would write HTTP dates), recursively."""
    if isinstance(value, datetime):
        moment = as_utc(value)
        return moment.isoformat() if moment else None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def ok(value: Any, status: int = 200) -> Any:
    return jsonify(plain(value)), status


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(_l("Send a JSON object (Content-Type: application/json)."))
    return body


def optional_text(body: dict[str, Any], key: str) -> str | None:
    """``body[key]`` as text, None when absent or null."""
    value = body.get(key)
    return None if value is None else str(value)


def id_list(body: dict[str, Any], key: str) -> list[int]:
    """``body[key]``: a list of ids (empty when absent), or a readable 422."""
    values = body.get(key) or []
    if not isinstance(values, list):
        raise ValidationFailed(_l("Send a list of document ids."), field=key)
    return [id_value(v, key) or 0 for v in values]


def party_fields(party: Any, field: str = "party") -> PartyInput:
    """A party object (``nif`` required, contact fields for a new party) as the services take it."""
    if not isinstance(party, dict) or not party.get("nif"):
        raise ValidationFailed(_l("The NIF/NIE/CIF is required."), field=f"{field}.nif" if field else "nif")
    fields = ("name", "email", "phone", "address", "postal_code", "municipality", "preferred_channel")
    return PartyInput(nif=str(party["nif"]), **{k: str(party[k]) for k in fields if party.get(k) is not None})


def party_input(body: dict[str, Any]) -> PartyInput | None:
    """The ``party`` object of a request body, if any."""
    party = body.get("party")
    return None if party is None else party_fields(party)


def page_args(default_limit: int = 50) -> tuple[int | None, int]:
    """The ``cursor`` (a keyset position, see :mod:`engine.base.keyset`) and ``limit`` of a paged list."""
    cursor = request.args.get("cursor")
    after = int_arg(cursor, field="cursor", low=1) if cursor else None
    limit = int_arg(request.args.get("limit"), field="limit", default=default_limit, low=1, high=PAGE_LIMIT)
    return after, limit or default_limit


def paged(items: list[Any], page: KeysetPage[Any]) -> Any:
    """A page answer: ``{"items", "next_cursor"}`` (null on the last page)."""
    return ok({"items": items, "next_cursor": None if page.next_after is None else str(page.next_after)})
