"""How every API route reads its JSON body and writes its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request

from engine.base.clock import as_utc
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.registry.open_expedient import PartyInput


def plain(value: Any) -> Any:
    """Datetimes as ISO 8601 (Flask would write HTTP dates), recursively."""
    if isinstance(value, datetime):
        moment = as_utc(value)
        return moment.isoformat() if moment else None
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


def party_input(body: dict[str, Any]) -> PartyInput | None:
    """The ``party`` object of a request body (``nif`` required, contact fields for a new party)."""
    party = body.get("party")
    if party is None:
        return None
    if not isinstance(party, dict) or not party.get("nif"):
        raise ValidationFailed(_l("The NIF/NIE/CIF is required."), field="party.nif")
    fields = ("name", "email", "phone", "address", "postal_code", "municipality")
    return PartyInput(nif=str(party["nif"]), **{k: str(party[k]) for k in fields if party.get(k) is not None})
