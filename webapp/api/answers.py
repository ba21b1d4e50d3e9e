"""How every API route reads its JSON body and writes its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request

from engine.base.clock import as_utc
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l


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
